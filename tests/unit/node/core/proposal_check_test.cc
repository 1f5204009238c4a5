// The proposal check on its own (node/core/src/proposal_check.h): a proposed block's
// transactions are checked on the "colend-check" worker, and the verdict, with the
// proposal it is about, comes back on the event loop.
#include "proposal_check.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>

namespace colend::node {
namespace {

TEST(ProposalCheckTest, TheVerdictComesBackOnTheEventLoop) {
  boost::asio::io_context io;
  const std::thread::id loop_thread = std::this_thread::get_id();
  std::string check_thread;
  std::vector<std::string> checked;
  struct Verdict {
    std::uint64_t sequence;
    Status status;
    bool on_loop;
  };
  std::vector<Verdict> verdicts;
  ProposalCheck::Host host;
  host.check = [&](const std::vector<std::string>& txs) {
    char name[16] = {};
    pthread_getname_np(pthread_self(), name, sizeof name);
    check_thread = name;
    checked = txs;
    return txs.size() > 1 ? Status::InvalidArgument("DUPLICATE in the block") : Status::Ok();
  };
  host.verdict = [&](const consensus::CheckProposalAction& proposal, Status verdict) {
    verdicts.push_back({proposal.sequence, verdict, std::this_thread::get_id() == loop_thread});
  };
  ProposalCheck check(io, host);

  auto block = std::make_shared<proto::Block>();
  block->add_transactions("tx-1");
  consensus::CheckProposalAction proposal;
  proposal.view = 2;
  proposal.sequence = 7;
  proposal.block = block;
  check.Check(proposal);
  auto bad = std::make_shared<proto::Block>(*block);
  bad->add_transactions("tx-1 again");
  proposal.sequence = 8;
  proposal.block = bad;
  check.Check(proposal);

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (verdicts.size() < 2 && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_for(std::chrono::milliseconds(5));
  }
  check.Stop();
  ASSERT_EQ(verdicts.size(), 2u);
  EXPECT_EQ(verdicts[0].sequence, 7u);
  EXPECT_TRUE(verdicts[0].status.ok());
  EXPECT_TRUE(verdicts[0].on_loop);
  EXPECT_EQ(verdicts[1].sequence, 8u);
  EXPECT_EQ(verdicts[1].status.message(), "DUPLICATE in the block");
  EXPECT_TRUE(verdicts[1].on_loop);
  EXPECT_EQ(check_thread, "colend-check");
  EXPECT_EQ(checked, (std::vector<std::string>{"tx-1", "tx-1 again"}));
}

}  // namespace
}  // namespace colend::node
