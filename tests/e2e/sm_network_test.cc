// An "sm" chain end to end (issue #16, docs/sm.md): SM2 signatures and SM3 hashes on the
// chain, TLS 1.3 with P-256 transport certificates from the consortium CA, each connection
// bound to the node's SM2 validator key by a signature over its tls-exporter value. Real
// colend-node processes made by colend-netgen --crypto sm on 127.0.0.1, driven over
// JSON-RPC: they commit and agree, survive kill -9 and a killed primary, refuse another CA's
// certificate and forged signatures, and refuse a peer that holds a node's transport key but
// binds it with another SM2 key.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "colend/contracts/genesis.h"
#include "colend/crypto/keys.h"
#include "colend/crypto/x509.h"
#include "colend/node/config.h"
#include "colend/node/p2p_network.h"
#include "colend/testutil/process_util.h"
#include "local_network.h"

namespace colend::e2e {
namespace {

const std::vector<std::string> kBanks = {"LEAD", "PARTNER_A", "PARTNER_B", "PARTNER_C"};
constexpr std::size_t kLead = 0;
constexpr std::size_t kPartnerA = 1;
constexpr std::size_t kPartnerC = 3;
constexpr int kCommitTimeoutMs = 40000;

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string ProposeAgreement(const std::string& agreement) {
  return R"({"type":"ProposeAgreement","signer":"LEAD","id":"p-)" + agreement +
         R"(","agreement_id":")" + agreement +
         R"(","currency":"CNY","shares":{"LEAD":2000,"PARTNER_A":8000},"service_fee_bp":1500})";
}

std::string AcceptAgreement(const std::string& agreement) {
  return R"({"type":"AcceptAgreement","signer":"PARTNER_A","id":"a-)" + agreement +
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

class SmNetworkE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    net_ = LocalNetwork::Create(scratch_.Path("a"), kBanks, "--crypto sm", &error);
    ASSERT_NE(net_, nullptr) << error;
  }

  std::string Submit(std::size_t via, std::size_t signer, const std::string& tx_json) {
    const boost::json::value response = net_->Send(via, net_->Sign(signer, tx_json));
    const std::string hash = TxHashOf(response);
    EXPECT_FALSE(hash.empty()) << tx_json << " -> " << boost::json::serialize(response);
    return hash;
  }

  bool AllOk(std::size_t i, const std::vector<std::string>& hashes) {
    for (const std::string& h : hashes) {
      const boost::json::value r =
          net_->Result(i, "getTransactionReceipt", boost::json::object{{"tx_hash", h}});
      if (!r.is_object() || !r.as_object().contains("status") || r.at("status") != "ok") {
        return false;
      }
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

  // Every node in `nodes` holds the same block and the same state root at one height.
  void ExpectSameChain(const std::vector<std::size_t>& nodes) {
    std::uint64_t height = 0;
    for (std::size_t i : nodes) height = std::max(height, net_->Height(i));
    std::set<std::string> roots;
    std::set<std::string> hashes;
    for (std::size_t i : nodes) {
      ASSERT_TRUE(
          LocalNetwork::WaitUntil([&] { return net_->Height(i) >= height; }, kCommitTimeoutMs))
          << kBanks[i] << " stuck at " << net_->Height(i) << " below " << height;
      const boost::json::value block = net_->Result(
          i, "getBlockByNumber", boost::json::object{{"height", height}, {"full", false}});
      ASSERT_TRUE(block.is_object()) << kBanks[i];
      hashes.insert(boost::json::serialize(block.at("hash")));
      ASSERT_TRUE(LocalNetwork::WaitUntil(
          [&] {
            const boost::json::value info = net_->Result(i, "getNodeInfo");
            return info.is_object() && info.as_object().contains("executed_height") &&
                   info.at("executed_height").to_number<std::uint64_t>() >= height;
          },
          kCommitTimeoutMs));
      const boost::json::value info = net_->Result(i, "getNodeInfo");
      EXPECT_EQ(info.at("crypto_suite"), "sm") << boost::json::serialize(info);
      if (info.at("executed_height").to_number<std::uint64_t>() == height) {
        roots.insert(boost::json::serialize(info.at("state_root")));
      }
    }
    EXPECT_EQ(hashes.size(), 1u) << "nodes disagree on block " << height;
    EXPECT_EQ(roots.size(), 1u) << "nodes disagree on the state root at " << height;
  }

  testutil::ScratchDir scratch_{"colend-sm-e2e"};
  std::unique_ptr<LocalNetwork> net_;
};

TEST_F(SmNetworkE2eTest, CommitsAgreesAndCatchesUpAfterKillNine) {
  ASSERT_TRUE(net_->StartAll()) << net_->Log(0);
  for (std::size_t i = 0; i < net_->size(); ++i) {
    ASSERT_TRUE(LocalNetwork::WaitUntil([&] { return net_->ConnectedPeers(i) == 3; }, 20000))
        << net_->Log(i);
  }
  std::vector<std::string> hashes;
  hashes.push_back(Submit(0, kLead, ProposeAgreement("AG-A")));
  hashes.push_back(Submit(1, kPartnerA, AcceptAgreement("AG-A")));
  ExpectCommittedEverywhere(hashes, {0, 1, 2, 3});
  for (int n = 0; n < 20; ++n) {
    hashes.push_back(Submit(static_cast<std::size_t>(n) % 4, kLead, OriginateLoan("AG-A", n)));
  }
  ExpectCommittedEverywhere(hashes, {0, 1, 2, 3});
  ExpectSameChain({0, 1, 2, 3});

  // kill -9 a backup with transactions in flight; the other three go on.
  std::vector<std::string> more;
  const std::vector<std::size_t> alive = {0, 1, 3};
  for (int n = 20; n < 30; ++n) {
    more.push_back(Submit(alive[static_cast<std::size_t>(n) % 3], kLead, OriginateLoan("AG-A", n)));
  }
  EXPECT_EQ(net_->Stop(2, SIGKILL), 128 + SIGKILL);
  for (int n = 30; n < 50; ++n) {
    more.push_back(Submit(alive[static_cast<std::size_t>(n) % 3], kLead, OriginateLoan("AG-A", n)));
  }
  ExpectCommittedEverywhere(more, alive);

  // It restarts from its store, reconnects (binding its new connections) and catches up.
  ASSERT_TRUE(net_->Start(2)) << net_->Log(2);
  ExpectCommittedEverywhere(more, {2});
  ExpectSameChain({0, 1, 2, 3});
  EXPECT_EQ(net_->Log(2).find("channel binding"), std::string::npos) << net_->Log(2);
}

TEST_F(SmNetworkE2eTest, PrimaryKilledViewChangeFollows) {
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
  // LEAD's client key signs whichever node is down: it is not the node's key.
  std::vector<std::string> hashes{Submit(alive[0], kLead, ProposeAgreement("AG-V"))};
  ExpectCommittedEverywhere(hashes, alive);
  for (std::size_t i : alive) {
    const boost::json::value s = net_->Result(i, "getConsensusStatus");
    ASSERT_TRUE(s.is_object());
    EXPECT_GT(s.at("view").to_number<std::uint64_t>(), 0u) << kBanks[i];
    EXPECT_NE(std::string(s.at("primary").as_string()), primary);
  }
  ExpectSameChain(alive);
}

TEST_F(SmNetworkE2eTest, ForgedAndTamperedSignaturesAreRefused) {
  ASSERT_TRUE(net_->Start(0));
  // A body naming LEAD as signer, signed with PARTNER_A's SM2 key.
  boost::json::value r = net_->Send(0, net_->Sign(kPartnerA, ProposeAgreement("AG-F")));
  ASSERT_TRUE(r.is_object() && r.as_object().contains("error")) << boost::json::serialize(r);
  EXPECT_EQ(r.at("error").at("code").to_number<int>(), -32001);
  // One flipped byte of LEAD's own SM2 signature.
  std::string tampered = net_->Sign(kLead, ProposeAgreement("AG-T"));
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == '0' ? '1' : '0';
  r = net_->Send(0, tampered);
  ASSERT_TRUE(r.is_object() && r.as_object().contains("error")) << boost::json::serialize(r);
  EXPECT_EQ(r.at("error").at("data").at("code"), "BAD_SIGNATURE") << boost::json::serialize(r);
  EXPECT_EQ(net_->Height(0), 0u);
}

TEST_F(SmNetworkE2eTest, ACertificateFromAnotherCaIsRefused) {
  for (std::size_t i = 0; i < 3; ++i) ASSERT_TRUE(net_->Start(i));
  for (std::size_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(LocalNetwork::WaitUntil([&] { return net_->ConnectedPeers(i) == 2; }, 20000));
  }
  // Another sm consortium on the same ports: its PARTNER_C node holds a transport
  // certificate our CA never issued.
  std::string error;
  std::unique_ptr<LocalNetwork> other =
      LocalNetwork::Create(scratch_.Path("b"), kBanks, "--crypto sm --chain-id colend-other-1",
                           &error, net_->base_port());
  ASSERT_NE(other, nullptr) << error;
  ASSERT_TRUE(other->Start(kPartnerC));
  EXPECT_TRUE(LocalNetwork::WaitUntil(
      [&] { return net_->Log(0).find("refused \"PARTNER_C-1\"") != std::string::npos; }, 20000))
      << net_->Log(0);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(net_->ConnectedPeers(i), 2u);
}

// PARTNER_C's real transport key and certificate (right CA, right name), but Hellos bound
// with an SM2 key that is not PARTNER_C's validator key: what an attacker who stole the
// transport key could do. The three honest nodes refuse it and log why; the real PARTNER_C
// then connects.
TEST_F(SmNetworkE2eTest, TransportKeyWithTheWrongValidatorBindingIsRefused) {
  for (std::size_t i = 0; i < 3; ++i) ASSERT_TRUE(net_->Start(i));
  for (std::size_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(LocalNetwork::WaitUntil([&] { return net_->ConnectedPeers(i) == 2; }, 20000))
        << net_->Log(i);
  }
  Result<node::NodeConfig> config = node::LoadNodeConfig(net_->bank(kPartnerC).config_file);
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_FALSE(config->transport_cert_file.empty());
  Result<contracts::Genesis> genesis = contracts::ParseGenesis(ReadFile(config->genesis_file));
  ASSERT_TRUE(genesis.ok()) << genesis.status();
  ASSERT_EQ(genesis->suite, crypto::CryptoSuite::Sm());
  // The transport certificate is a P-256 one, and the CA in genesis issued it.
  EXPECT_TRUE(crypto::VerifyCertificateIssuedBy(ReadFile(config->transport_cert_file),
                                                genesis->consortium_ca_pem)
                  .ok());

  auto impostor_key = std::make_shared<const crypto::PrivateKey>(
      crypto::PrivateKey::Generate(crypto::CryptoSuite::Sm()).value());
  node::P2pOptions options;
  options.chain_id = genesis->chain_id;
  options.self_id = config->node_id;
  options.listen_host = "127.0.0.1";
  options.listen_port = config->p2p_port;
  for (const node::PeerAddress& peer : config->peers) {
    options.peers.push_back(node::PeerEndpoint{peer.node_id, peer.host, peer.port});
  }
  options.ca_cert_pem = ReadFile(config->ca_cert_file);
  options.cert_pem = ReadFile(config->transport_cert_file);
  options.key_pem = ReadFile(config->transport_key_file);
  options.suite = crypto::CryptoSuite::Sm();
  options.binding_key = impostor_key;
  for (const proto::Validator& v : genesis->validators) {
    options.validator_keys[v.node_id()] = Bytes(v.public_key().begin(), v.public_key().end());
  }
  // The impostor believes its key is PARTNER_C's (its own check passes); the others do not.
  options.validator_keys[config->node_id] = impostor_key->public_key().ToDer().value();

  struct Handler final : node::P2pHandler {
    void OnPeerUp(const std::string&, const proto::Hello&) override {}
    void OnPeerDown(const std::string&) override {}
    void OnFrame(const std::string&, proto::Frame) override {}
  } handler;
  spdlog::set_level(spdlog::level::warn);
  boost::asio::io_context io;
  Result<std::unique_ptr<node::P2pNetwork>> p2p =
      node::P2pNetwork::Create(io, options, &handler, [] { return std::uint64_t{0}; });
  ASSERT_TRUE(p2p.ok()) << p2p.status();
  ASSERT_TRUE((*p2p)->Start().ok());
  auto work = boost::asio::make_work_guard(io);
  std::thread io_thread([&io] { io.run(); });

  const std::string why = "does not verify under the validator key of \"PARTNER_C-1\"";
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(LocalNetwork::WaitUntil(
        [&] {
          const std::string log = net_->Log(i);
          return log.find("refused \"PARTNER_C-1\"") != std::string::npos &&
                 log.find(why) != std::string::npos;
        },
        20000))
        << net_->Log(i);
    EXPECT_EQ(net_->ConnectedPeers(i), 2u);
  }
  // Meanwhile the three honest nodes commit: 3 of 4 is a quorum.
  std::vector<std::string> hashes{Submit(0, kLead, ProposeAgreement("AG-I"))};
  ExpectCommittedEverywhere(hashes, {0, 1, 2});

  (*p2p)->Stop();
  work.reset();
  io.stop();
  io_thread.join();
  // (The impostor itself saw the honest nodes' Hellos verify: their bindings are genuine;
  // they closed each connection on reading its own.)

  // The real PARTNER_C, with its own SM2 key, is admitted and catches up.
  ASSERT_TRUE(net_->Start(kPartnerC)) << net_->Log(kPartnerC);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_TRUE(LocalNetwork::WaitUntil([&] { return net_->ConnectedPeers(i) == 3; }, 20000))
        << net_->Log(i);
  }
  ExpectCommittedEverywhere(hashes, {kPartnerC});
}

}  // namespace
}  // namespace colend::e2e
