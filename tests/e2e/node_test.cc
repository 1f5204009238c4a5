// colend-node end to end: real processes on 127.0.0.1 with ephemeral ports, made by
// colend-netgen, driven over JSON-RPC like a bank's loan system (issue: the validator node).
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "colend/testutil/process_util.h"
#include "colend/testutil/rpc_client.h"
#include "local_network.h"

namespace colend::e2e {
namespace {

const std::vector<std::string> kBanks = {"LEAD", "PARTNER_A", "PARTNER_B", "PARTNER_C"};
constexpr std::size_t kLead = 0;
constexpr std::size_t kPartnerA = 1;
constexpr int kCommitTimeoutMs = 60000;

std::string ProposeAgreement(const std::string& agreement, const std::string& partner) {
  return R"({"type":"ProposeAgreement","signer":"LEAD","id":"p-)" + agreement +
         R"(","agreement_id":")" + agreement + R"(","currency":"CNY","shares":{"LEAD":2000,")" +
         partner + R"(":8000},"service_fee_bp":1500})";
}

std::string AcceptAgreement(const std::string& agreement, const std::string& partner) {
  return R"({"type":"AcceptAgreement","signer":")" + partner + R"(","id":"a-)" + agreement +
         R"(","agreement_id":")" + agreement + R"("})";
}

std::string OriginateLoan(const std::string& agreement, int n) {
  const std::string id = agreement + "-L" + std::to_string(n);
  return R"({"type":"OriginateLoan","signer":"LEAD","id":")" + id + R"(","agreement_id":")" +
         agreement + R"(","loan_id":")" + id +
         R"(","borrower_ref":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",)"
         R"("principal":"800000","annual_rate_bp":1800,"term_months":12,"value_date":"2026-11-21"})";
}

std::string TxHashOf(const boost::json::value& response) {
  if (!response.is_object() || !response.as_object().contains("result")) return "";
  const boost::json::value& result = response.at("result");
  if (result.is_object() && result.as_object().contains("tx_hash")) {
    return std::string(result.at("tx_hash").as_string());
  }
  return "";
}

// The receipt's status at node i ("ok", "rejected"), or "" while it has none.
std::string ReceiptStatus(const LocalNetwork& net, std::size_t i, const std::string& tx_hash) {
  const boost::json::value r =
      net.Result(i, "getTransactionReceipt", boost::json::object{{"tx_hash", tx_hash}});
  if (!r.is_object() || !r.as_object().contains("status")) return "";
  return std::string(r.at("status").as_string());
}

class NodeE2eTest : public ::testing::Test {
 protected:
  void SetUp() override { net_ = MakeNetwork(scratch_.Path("a")); }

  std::unique_ptr<LocalNetwork> MakeNetwork(const std::string& dir, const std::string& extra = "") {
    std::string error;
    std::unique_ptr<LocalNetwork> net = LocalNetwork::Create(dir, kBanks, extra, &error);
    EXPECT_NE(net, nullptr) << error;
    return net;
  }

  // Submits `tx_json` signed by `signer` to node `via`; returns its hash.
  std::string Submit(std::size_t via, std::size_t signer, const std::string& tx_json) {
    const boost::json::value response = net_->Send(via, net_->Sign(signer, tx_json));
    const std::string hash = TxHashOf(response);
    EXPECT_FALSE(hash.empty()) << tx_json << " -> " << boost::json::serialize(response);
    return hash;
  }

  // Every hash has an "ok" receipt at node i.
  bool AllOk(std::size_t i, const std::vector<std::string>& hashes) {
    for (const std::string& h : hashes) {
      if (ReceiptStatus(*net_, i, h) != "ok") return false;
    }
    return true;
  }

  void ExpectCommittedEverywhere(const std::vector<std::string>& hashes,
                                 const std::vector<std::size_t>& nodes) {
    for (std::size_t i : nodes) {
      EXPECT_TRUE(LocalNetwork::WaitUntil([&] { return AllOk(i, hashes); }, kCommitTimeoutMs))
          << kBanks[i] << " did not commit every transaction; log:\n"
          << net_->Log(i);
    }
  }

  // Every node in `nodes` reaches the same height, with the same block hash and the same
  // state root there.
  void ExpectSameChain(const std::vector<std::size_t>& nodes) {
    std::uint64_t height = 0;
    for (std::size_t i : nodes) height = std::max(height, net_->Height(i));
    std::set<std::string> roots;
    std::set<std::string> hashes;
    for (std::size_t i : nodes) {
      ASSERT_TRUE(LocalNetwork::WaitUntil([&] { return net_->Height(i) >= height; }, kCommitTimeoutMs))
          << kBanks[i] << " stuck at " << net_->Height(i) << " below " << height;
      const boost::json::value block = net_->Result(
          i, "getBlockByNumber", boost::json::object{{"height", height}, {"full", false}});
      ASSERT_TRUE(block.is_object()) << kBanks[i];
      hashes.insert(boost::json::serialize(block.at("hash")));
      // The node's own state root after that height (it executed it itself).
      const boost::json::value info = net_->Result(i, "getNodeInfo");
      ASSERT_TRUE(info.is_object());
      ASSERT_TRUE(info.as_object().contains("state_root")) << boost::json::serialize(info);
      if (info.at("executed_height").to_number<std::uint64_t>() == height) {
        roots.insert(boost::json::serialize(info.at("state_root")));
      }
    }
    EXPECT_EQ(hashes.size(), 1u) << "nodes disagree on block " << height;
    EXPECT_EQ(roots.size(), 1u) << "nodes disagree on the state root at " << height;
  }

  testutil::ScratchDir scratch_{"colend-node-e2e"};
  std::unique_ptr<LocalNetwork> net_;
};

TEST_F(NodeE2eTest, FourNodesCommitLoansAndSurviveKillNine) {
  ASSERT_NE(net_, nullptr);
  ASSERT_TRUE(net_->StartAll()) << net_->Log(0);
  std::vector<std::string> hashes;
  hashes.push_back(Submit(0, kLead, ProposeAgreement("AG-A", "PARTNER_A")));
  ExpectCommittedEverywhere(hashes, {0, 1, 2, 3});
  hashes.push_back(Submit(1, kPartnerA, AcceptAgreement("AG-A", "PARTNER_A")));
  ExpectCommittedEverywhere(hashes, {0, 1, 2, 3});
  for (int n = 0; n < 40; ++n) {
    hashes.push_back(Submit(static_cast<std::size_t>(n) % 4, kLead, OriginateLoan("AG-A", n)));
  }
  ExpectCommittedEverywhere(hashes, {0, 1, 2, 3});
  ExpectSameChain({0, 1, 2, 3});

  // kill -9 a backup under load: transactions are in flight (sent, not yet committed)
  // when it dies, and more follow; the other three keep committing all of them.
  std::vector<std::string> more;
  const std::vector<std::size_t> alive = {0, 1, 3};
  for (int n = 40; n < 60; ++n) {
    more.push_back(Submit(alive[static_cast<std::size_t>(n) % 3], kLead, OriginateLoan("AG-A", n)));
  }
  EXPECT_EQ(net_->Stop(2, SIGKILL), 128 + SIGKILL);
  for (int n = 60; n < 100; ++n) {
    more.push_back(Submit(alive[static_cast<std::size_t>(n) % 3], kLead, OriginateLoan("AG-A", n)));
  }
  ExpectCommittedEverywhere(more, alive);

  // It restarts from its store and catches up to the same chain and state.
  ASSERT_TRUE(net_->Start(2)) << net_->Log(2);
  ExpectCommittedEverywhere(more, {2});
  ExpectSameChain({0, 1, 2, 3});
  EXPECT_NE(net_->Log(2).find("opened chain"), std::string::npos);
}

TEST_F(NodeE2eTest, PrimaryKilledViewChangeFollows) {
  ASSERT_NE(net_, nullptr);
  ASSERT_TRUE(net_->StartAll());
  const boost::json::value status = net_->Result(1, "getConsensusStatus");
  ASSERT_TRUE(status.is_object());
  const std::string primary(status.at("primary").as_string());
  std::size_t primary_index = 0;
  for (std::size_t i = 0; i < net_->size(); ++i) {
    if (net_->bank(i).node_id == primary) primary_index = i;
  }
  EXPECT_EQ(net_->Stop(primary_index, SIGKILL), 128 + SIGKILL);
  std::vector<std::size_t> alive;
  for (std::size_t i = 0; i < net_->size(); ++i) {
    if (i != primary_index) alive.push_back(i);
  }
  std::vector<std::string> hashes;
  hashes.push_back(Submit(alive[0], kLead, ProposeAgreement("AG-V", "PARTNER_A")));
  ExpectCommittedEverywhere(hashes, alive);
  for (std::size_t i : alive) {
    const boost::json::value s = net_->Result(i, "getConsensusStatus");
    ASSERT_TRUE(s.is_object());
    EXPECT_GT(s.at("view").to_number<std::uint64_t>(), 0u) << kBanks[i];
    EXPECT_NE(std::string(s.at("primary").as_string()), primary);
    // The metric follows the replica's own count of VIEW-CHANGEs it started.
    const testutil::HttpReply metrics =
        testutil::HttpCall("127.0.0.1", net_->bank(i).rpc_port, "GET", "/metrics", "");
    const std::size_t at = metrics.body.find("\ncolend_view_changes_total ");
    ASSERT_NE(at, std::string::npos) << metrics.body;
    EXPECT_GT(std::stoull(metrics.body.substr(at + 27)), 0u) << metrics.body.substr(at, 40);
  }
}

TEST_F(NodeE2eTest, BadTransactionsAndRequestsGetErrorsAndChangeNothing) {
  ASSERT_NE(net_, nullptr);
  ASSERT_TRUE(net_->Start(0));
  const std::uint16_t port = net_->bank(0).rpc_port;

  // A body that names LEAD as signer, signed with PARTNER_A's key (a forgery).
  const std::string forged = net_->Sign(kPartnerA, ProposeAgreement("AG-F", "PARTNER_A"));
  boost::json::value r = net_->Send(0, forged);
  ASSERT_TRUE(r.is_object() && r.as_object().contains("error")) << boost::json::serialize(r);
  EXPECT_EQ(r.at("error").at("code").to_number<int>(), -32001);

  // A flipped signature byte.
  std::string tampered = net_->Sign(kLead, ProposeAgreement("AG-T", "PARTNER_A"));
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == '0' ? '1' : '0';
  r = net_->Send(0, tampered);
  ASSERT_TRUE(r.is_object() && r.as_object().contains("error")) << boost::json::serialize(r);
  EXPECT_EQ(r.at("error").at("code").to_number<int>(), -32001);
  EXPECT_EQ(r.at("error").at("data").at("code"), "BAD_SIGNATURE") << boost::json::serialize(r);

  // Malformed JSON, an unknown method, wrong types, an oversized body.
  testutil::HttpReply reply = testutil::HttpCall("127.0.0.1", port, "POST", "/", "{not json");
  EXPECT_NE(reply.body.find("-32700"), std::string::npos) << reply.body;
  r = net_->Rpc(0, "noSuchMethod");
  EXPECT_EQ(r.at("error").at("code").to_number<int>(), -32601);
  r = net_->Rpc(0, "getBlockByNumber", boost::json::object{{"height", "seven"}});
  EXPECT_EQ(r.at("error").at("code").to_number<int>(), -32602);
  reply = testutil::HttpCall("127.0.0.1", port, "POST", "/", std::string(3 << 20, ' '));
  EXPECT_TRUE(reply.status == 413 || reply.status == 0) << reply.status;

  // Still serving, nothing changed.
  EXPECT_EQ(net_->Height(0), 0u);
  const boost::json::value metrics_ok = net_->Result(0, "getNodeInfo");
  EXPECT_TRUE(metrics_ok.is_object());
  reply = testutil::HttpCall("127.0.0.1", port, "GET", "/metrics", "");
  EXPECT_EQ(reply.status, 200);
  EXPECT_NE(reply.body.find("colend_height"), std::string::npos);
  reply = testutil::HttpCall("127.0.0.1", port, "GET", "/health", "");
  EXPECT_EQ(reply.status, 200);
}

TEST_F(NodeE2eTest, ANodeWithACertificateFromAnotherCaIsRefused) {
  ASSERT_NE(net_, nullptr);
  // A second consortium with its own CA, laid out on the same ports: its PARTNER_C node
  // listens where ours would, and our nodes dial it and meet a certificate our CA never
  // issued.
  for (std::size_t i = 0; i < 3; ++i) ASSERT_TRUE(net_->Start(i));
  for (std::size_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(LocalNetwork::WaitUntil([&] { return net_->ConnectedPeers(i) == 2; }, 20000));
  }
  std::string error;
  std::unique_ptr<LocalNetwork> other = LocalNetwork::Create(
      scratch_.Path("b"), kBanks, "--chain-id colend-other-1", &error, net_->base_port());
  ASSERT_NE(other, nullptr) << error;
  ASSERT_TRUE(other->Start(3));
  // LEAD-1 dials PARTNER_C-1's address, meets the intruder and refuses it, with the reason.
  EXPECT_TRUE(LocalNetwork::WaitUntil(
      [&] {
        const std::string log = net_->Log(0);
        return log.find("refused \"PARTNER_C-1\"") != std::string::npos;
      },
      20000))
      << net_->Log(0);
  // Our nodes never count it as a peer.
  const boost::json::value peers = net_->Result(0, "getPeers");
  ASSERT_TRUE(peers.is_array() || peers.is_object());
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(net_->ConnectedPeers(i), 2u) << boost::json::serialize(peers);
  }
}

}  // namespace
}  // namespace colend::e2e
