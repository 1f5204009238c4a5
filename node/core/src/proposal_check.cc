#include "proposal_check.h"

#include <pthread.h>

#include <chrono>
#include <utility>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

namespace colend::node {

ProposalCheck::ProposalCheck(boost::asio::io_context& io, Host host)
    : io_(io), host_(std::move(host)), worker_(std::make_unique<boost::asio::thread_pool>(1)) {
  boost::asio::post(*worker_, [] { pthread_setname_np(pthread_self(), "colend-check"); });
}

ProposalCheck::~ProposalCheck() {
  Stop();
}

void ProposalCheck::Stop() {
  worker_->join();
}

void ProposalCheck::Check(const consensus::CheckProposalAction& proposal) {
  boost::asio::post(*worker_, [this, proposal] {
    const auto started = std::chrono::steady_clock::now();
    const std::vector<std::string> txs(proposal.block->transactions().begin(),
                                       proposal.block->transactions().end());
    Status verdict = host_.check(txs);
    spdlog::debug("checked a proposal of {} transactions in {} us: {}", txs.size(),
                  std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count(),
                  verdict.ok() ? "ok" : verdict.ToString());
    boost::asio::post(io_, [this, proposal, verdict = std::move(verdict)]() mutable {
      host_.verdict(proposal, std::move(verdict));
    });
  });
}

}  // namespace colend::node
