// The consortium changes while its chain runs (issue #12), with real processes: a fifth bank
// joins a 4-bank network made by colend-netgen (`colend-netgen join`), its node follows the
// chain as an observer, the members vote the bank in and its node into the validator set;
// two more banks join and are voted in together (4 -> 5 -> 7 validators); then another
// bank's node is voted out (7 -> 6) and refused by the others with the reason; the new node
// restarts with no member holding its address and catches up; the chain commits a steady
// trickle of load throughout, and colend-bench while the set grows. A validator rotates its
// node key by vote (colend-netgen rekey). A revoked certificate is dropped and refused.
// Also: what join and rekey refuse, without any node.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "colend/common/bytes.h"
#include "colend/contracts/tx_json.h"
#include "colend/crypto/hash.h"
#include "colend/node/config.h"
#include "colend/testutil/process_util.h"
#include "local_network.h"

namespace colend::e2e {
namespace {

namespace fs = std::filesystem;
using testutil::RunCommand;

const std::vector<std::string> kBanks = {"LEAD", "PARTNER_A", "PARTNER_B", "PARTNER_C"};
constexpr std::size_t kLead = 0, kPartnerA = 1, kPartnerB = 2, kPartnerC = 3, kPartnerD = 4,
                      kPartnerE = 5, kPartnerF = 6;
constexpr int kWaitMs = 30'000;

std::string Netgen(const std::string& args) {
  return std::string(COLEND_NETGEN_PATH) + " " + args;
}

std::uint64_t U(const boost::json::value& v) {
  return v.to_number<std::uint64_t>();
}

// The fingerprint governance revokes a certificate by: lower-case hex SHA-256 of its DER.
std::string CertificateFingerprint(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (cert == nullptr) return "";
  unsigned char* der = nullptr;
  const int length = i2d_X509(cert, &der);
  X509_free(cert);
  if (length <= 0) return "";
  const crypto::Digest digest =
      crypto::Hash(crypto::HashAlgorithm::kSha256, ByteView(der, static_cast<std::size_t>(length)));
  OPENSSL_free(der);
  return ToHex(ByteView(digest.data(), digest.size()));
}

// ----- colend-netgen join without nodes: what it writes and what it refuses -----

class NetgenJoinTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const testutil::RunResult r = RunCommand(Netgen("--banks LEAD,PARTNER_A,PARTNER_B --out " +
                                                    root_ + " --localnet --base-port 21000"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }

  testutil::RunResult Join(const std::string& args) {
    return RunCommand(Netgen("join --network " + root_ + " " + args));
  }

  testutil::ScratchDir scratch_{"colend-netgen-join"};
  std::string root_ = scratch_.Path("net");
};

TEST_F(NetgenJoinTest, WritesTheBankTheProposalsAndListsTheNode) {
  const std::string genesis_before = testutil::ReadFile(root_ + "/genesis.json");
  const std::string lead_toml_before = testutil::ReadFile(root_ + "/LEAD/node.toml");
  const testutil::RunResult r = Join("--bank PARTNER_D --legal-name \"Partner D Bank\"");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Next steps"), std::string::npos) << r.output;
  EXPECT_EQ(testutil::ReadFile(root_ + "/genesis.json"), genesis_before);

  // Same layout as the others; the config reads as the node will read it.
  const std::string dir = root_ + "/PARTNER_D";
  for (const char* file : {"node.key.pem", "node.crt.pem", "client.key.pem", "node.toml"}) {
    EXPECT_TRUE(fs::exists(dir + "/" + file)) << file;
  }
  EXPECT_EQ(fs::status(dir + "/node.key.pem").permissions() & fs::perms::mask,
            fs::perms::owner_read | fs::perms::owner_write);
  Result<node::NodeConfig> config = node::LoadNodeConfig(dir + "/node.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->node_id, "PARTNER_D-1");
  EXPECT_EQ(config->genesis_file, fs::path(root_ + "/genesis.json"));
  EXPECT_EQ(config->p2p_port, 21006);  // after the highest port in use (21005)
  EXPECT_EQ(config->rpc_port, 21007);
  ASSERT_EQ(config->peers.size(), 3u);
  // The other nodes' configs are the operators' to change once the node is a validator (a
  // node refuses a peer that is not one); the next steps show the entry.
  EXPECT_EQ(testutil::ReadFile(root_ + "/LEAD/node.toml"), lead_toml_before);
  EXPECT_NE(r.output.find("id = \"PARTNER_D-1\"\n     address = \"127.0.0.1:21006\""),
            std::string::npos)
      << r.output;

  // The proposals read as transactions, in docs/api.md's shapes.
  Result<proto::TransactionBody> add =
      contracts::TransactionBodyFromJson(testutil::ReadFile(dir + "/join-1-add-member.json"));
  ASSERT_TRUE(add.ok()) << add.status();
  EXPECT_EQ(add->signer(), "LEAD");
  EXPECT_EQ(add->governance_proposal().add_member().member_id(), "PARTNER_D");
  EXPECT_EQ(add->governance_proposal().add_member().legal_name(), "Partner D Bank");
  EXPECT_EQ(add->governance_proposal().add_member().client_keys_size(), 1);
  Result<proto::TransactionBody> set = contracts::TransactionBodyFromJson(
      testutil::ReadFile(dir + "/join-2-change-validator-set.json"));
  ASSERT_TRUE(set.ok()) << set.status();
  std::vector<std::string> ids;
  for (const proto::Validator& v : set->governance_proposal().change_validator_set().validators()) {
    ids.push_back(v.node_id());
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"LEAD-1", "PARTNER_A-1", "PARTNER_B-1", "PARTNER_D-1"}));

  const boost::json::value manifest =
      boost::json::parse(testutil::ReadFile(root_ + "/network.json"));
  ASSERT_EQ(manifest.at("banks").as_array().size(), 4u);
  EXPECT_EQ(manifest.at("banks").as_array().back().at("rpc"), "http://127.0.0.1:21007");
  EXPECT_NE(testutil::ReadFile(root_ + "/start.sh").find("PARTNER_D/node.toml"), std::string::npos);
  EXPECT_NE(testutil::ReadFile(root_ + "/stop.sh").find("PARTNER_D/node.pid"), std::string::npos);
  EXPECT_EQ(fs::status(root_ + "/start.sh").permissions() & fs::perms::owner_exec,
            fs::perms::owner_exec);
}

TEST_F(NetgenJoinTest, ExtendsTheSetAGetValidatorsResultNames) {
  // A set decided since genesis (PARTNER_A-1 left), in force or next: join extends that one.
  const boost::json::value genesis =
      boost::json::parse(testutil::ReadFile(root_ + "/genesis.json"));
  boost::json::array validators;
  for (const boost::json::value& v : genesis.at("validators").as_array()) {
    if (v.at("node_id") != "PARTNER_A-1") validators.push_back(v);
  }
  const std::string file = scratch_.Path("validators.json");
  testutil::WriteFile(file, boost::json::serialize(boost::json::object{
                                {"jsonrpc", "2.0"},
                                {"id", 1},
                                {"result",
                                 {{"epoch", 0},
                                  {"validators", genesis.at("validators")},
                                  {"next", {{"epoch", 1}, {"validators", validators}}}}}}));
  const testutil::RunResult r =
      Join("--bank PARTNER_D --proposer PARTNER_B --validators-json " + file);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  Result<proto::TransactionBody> set = contracts::TransactionBodyFromJson(
      testutil::ReadFile(root_ + "/PARTNER_D/join-2-change-validator-set.json"));
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->signer(), "PARTNER_B");
  std::vector<std::string> ids;
  for (const proto::Validator& v : set->governance_proposal().change_validator_set().validators()) {
    ids.push_back(v.node_id());
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"LEAD-1", "PARTNER_B-1", "PARTNER_D-1"}));
}

TEST_F(NetgenJoinTest, RefusesWithASentence) {
  const auto refused = [&](const std::string& args, const std::string& why) {
    const testutil::RunResult r = Join(args);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.output;
    EXPECT_NE(r.output.find(why), std::string::npos) << args << ": " << r.output;
  };
  refused("--bank PARTNER_A", "bank PARTNER_A is already in network.json");
  refused("--bank PARTNER_D --node-id LEAD-1", "node LEAD-1 is already in network.json");
  refused("--bank partner_d", "is not a bank id");
  refused("--bank PARTNER_D --base-port 21004", "port 21004 is taken");
  refused("--bank PARTNER_D --proposer NOBODY", "is not a bank of network.json");
  EXPECT_FALSE(fs::exists(root_ + "/PARTNER_D"));  // nothing written by a refusal

  const testutil::RunResult not_network =
      RunCommand(Netgen("join --network " + scratch_.Path("nothing") + " --bank PARTNER_D"));
  EXPECT_EQ(not_network.exit_code, 2);
  EXPECT_NE(not_network.output.find("is not a network made by colend-netgen"), std::string::npos)
      << not_network.output;

  fs::rename(root_ + "/ca/ca.key.pem", scratch_.Path("ca.key.pem"));
  refused("--bank PARTNER_D", "the consortium CA key");
  fs::rename(scratch_.Path("ca.key.pem"), root_ + "/ca/ca.key.pem");

  // A second join of the same bank.
  ASSERT_EQ(Join("--bank PARTNER_D").exit_code, 0);
  refused("--bank PARTNER_D", "bank PARTNER_D is already in network.json");
}

// ----- colend-netgen rekey without nodes -----

using NetgenRekeyTest = NetgenJoinTest;

TEST_F(NetgenRekeyTest, PreparesANewKeyAndTheProposalLeavingTheRunningKeyAlone) {
  const std::string key_before = testutil::ReadFile(root_ + "/PARTNER_B/node.key.pem");
  const testutil::RunResult r =
      RunCommand(Netgen("rekey --network " + root_ + " --node-id PARTNER_B-1"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Next steps"), std::string::npos) << r.output;
  EXPECT_EQ(testutil::ReadFile(root_ + "/PARTNER_B/node.key.pem"), key_before);

  const std::string next = root_ + "/PARTNER_B/next";
  EXPECT_EQ(fs::status(next).permissions() & fs::perms::mask, fs::perms::owner_all);
  EXPECT_EQ(fs::status(next + "/node.key.pem").permissions() & fs::perms::mask,
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_NE(testutil::ReadFile(next + "/node.key.pem"), key_before);
  EXPECT_TRUE(fs::exists(next + "/node.crt.pem"));

  // The same set, in the same order, with PARTNER_B-1's key replaced; PARTNER_B proposes.
  Result<proto::TransactionBody> set = contracts::TransactionBodyFromJson(
      testutil::ReadFile(next + "/change-validator-set.json"));
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->signer(), "PARTNER_B");
  EXPECT_EQ(set->governance_proposal().proposal_id().rfind("REKEY-PARTNER_B-1-", 0), 0u)
      << set->governance_proposal().proposal_id();
  const boost::json::value genesis =
      boost::json::parse(testutil::ReadFile(root_ + "/genesis.json"));
  const boost::json::value proposal =
      boost::json::parse(testutil::ReadFile(next + "/change-validator-set.json"));
  const boost::json::array& before = genesis.at("validators").as_array();
  const boost::json::array& after = proposal.at("action").at("validators").as_array();
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].at("node_id"), before[i].at("node_id"));
    if (after[i].at("node_id") == "PARTNER_B-1") {
      EXPECT_NE(after[i].at("public_key"), before[i].at("public_key"));
    } else {
      EXPECT_EQ(after[i].at("public_key"), before[i].at("public_key"));
    }
  }
}

TEST_F(NetgenRekeyTest, RefusesWithASentence) {
  const auto refused = [&](const std::string& args, const std::string& why) {
    const testutil::RunResult r = RunCommand(Netgen("rekey --network " + root_ + " " + args));
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.output;
    EXPECT_NE(r.output.find(why), std::string::npos) << args << ": " << r.output;
  };
  refused("--node-id NOBODY-1", "node \"NOBODY-1\" is not in network.json");
  refused("--node-id PARTNER_B-1 --proposer NOBODY", "is not a bank of network.json");
  EXPECT_FALSE(fs::exists(root_ + "/PARTNER_B/next"));
  fs::rename(root_ + "/ca/ca.key.pem", scratch_.Path("ca.key.pem"));
  refused("--node-id PARTNER_B-1", "the consortium CA key");
  fs::rename(scratch_.Path("ca.key.pem"), root_ + "/ca/ca.key.pem");
  ASSERT_EQ(RunCommand(Netgen("rekey --network " + root_ + " --node-id PARTNER_B-1")).exit_code, 0);
  refused("--node-id PARTNER_B-1", "a rotation is already prepared");
}

// On an sm chain a node's TLS certificate holds a P-256 transport key bound to its SM2 node
// key (docs/sm.md): join writes the transport key and certificate, rekey only a new SM2 key.
TEST(NetgenSmTest, JoinWritesATransportKeyAndRekeyKeepsIt) {
  testutil::ScratchDir scratch("colend-netgen-sm");
  const std::string root = scratch.Path("net");
  ASSERT_EQ(RunCommand(Netgen("--banks LEAD,PARTNER_A,PARTNER_B --crypto sm --out " + root +
                              " --localnet --base-port 21100"))
                .exit_code,
            0);
  const testutil::RunResult joined =
      RunCommand(Netgen("join --network " + root + " --bank PARTNER_D"));
  ASSERT_EQ(joined.exit_code, 0) << joined.output;
  const std::string dir = root + "/PARTNER_D";
  EXPECT_TRUE(fs::exists(dir + "/transport.key.pem"));
  EXPECT_TRUE(fs::exists(dir + "/transport.crt.pem"));
  EXPECT_FALSE(fs::exists(dir + "/node.crt.pem"));
  Result<node::NodeConfig> config = node::LoadNodeConfig(dir + "/node.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->transport_key_file, fs::path(dir + "/transport.key.pem"));
  EXPECT_EQ(config->transport_cert_file, fs::path(dir + "/transport.crt.pem"));
  EXPECT_TRUE(config->node_cert_file.empty());

  const std::string transport_before = testutil::ReadFile(root + "/PARTNER_B/transport.crt.pem");
  const testutil::RunResult rekeyed =
      RunCommand(Netgen("rekey --network " + root + " --node-id PARTNER_B-1"));
  ASSERT_EQ(rekeyed.exit_code, 0) << rekeyed.output;
  EXPECT_TRUE(fs::exists(root + "/PARTNER_B/next/node.key.pem"));
  EXPECT_FALSE(fs::exists(root + "/PARTNER_B/next/node.crt.pem"));
  EXPECT_EQ(testutil::ReadFile(root + "/PARTNER_B/transport.crt.pem"), transport_before);
  EXPECT_NE(rekeyed.output.find("transport certificate stays"), std::string::npos)
      << rekeyed.output;
}

// ----- A fifth bank joins a running chain; a validator leaves -----

// The hash a sendTransaction answer carries, or "".
std::string TxHashOf(const boost::json::value& response) {
  if (!response.is_object() || !response.as_object().contains("result")) return "";
  const boost::json::value& result = response.at("result");
  if (!result.is_object() || !result.as_object().contains("tx_hash")) return "";
  return std::string(result.at("tx_hash").as_string());
}

class ConsortiumE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Fourteen ports: the four nodes, then the three joining ones.
    base_port_ = testutil::FreePortRun(14);
    ASSERT_GT(base_port_, 0);
    std::string error;
    net_ = LocalNetwork::Create(scratch_.Path("net"), kBanks, "", &error, base_port_);
    ASSERT_NE(net_, nullptr) << error;
    ASSERT_TRUE(net_->StartAll());
  }

  void TearDown() override { StopLoad(); }

  // LEAD proposes agreements with PARTNER_B, about 20 a second, through the nodes `via`:
  // nodes that stay validators (a removed node is cut off: what it admits would never
  // commit).
  void StartLoad(std::vector<std::size_t> via = {kLead, kPartnerB, kPartnerC}) {
    loader_ = std::thread([this, via] {
      for (int n = 0; !stop_load_; ++n) {
        {
          std::lock_guard lock(net_mu_);
          const std::string tx = net_->Sign(
              kLead, R"({"type":"ProposeAgreement","signer":"LEAD","id":"load-)" +
                         std::to_string(n) + R"(","agreement_id":"AGL-)" + std::to_string(n) +
                         R"(","currency":"CNY","shares":{"LEAD":2000,"PARTNER_B":8000}})");
          const std::string hash =
              TxHashOf(net_->Send(via[static_cast<std::size_t>(n) % via.size()], tx));
          if (!hash.empty()) load_hashes_.push_back(hash);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
  }

  void StopLoad() {
    stop_load_ = true;
    if (loader_.joinable()) loader_.join();
  }

  // Signs `tx_json` as bank `signer`, sends it to node `via` and waits for an "ok" receipt.
  void Commit(std::size_t via, std::size_t signer, const std::string& tx_json) {
    std::string hash;
    {
      std::lock_guard lock(net_mu_);
      const boost::json::value response = net_->Send(via, net_->Sign(signer, tx_json));
      hash = TxHashOf(response);
      ASSERT_FALSE(hash.empty()) << tx_json << " -> " << boost::json::serialize(response);
    }
    boost::json::value receipt;
    ASSERT_TRUE(LocalNetwork::WaitUntil(
        [&] {
          receipt = net_->Result(via, "getTransactionReceipt", {{"tx_hash", hash}});
          return receipt.is_object() && receipt.as_object().contains("status");
        },
        kWaitMs))
        << tx_json;
    ASSERT_EQ(receipt.at("status"), "ok") << tx_json << " -> " << boost::json::serialize(receipt);
  }

  // Through the bank's own node (an observer's too: it relays to the validators).
  void Vote(std::size_t bank, const std::string& proposal_id) {
    const std::string& id = net_->bank(bank).id;
    Commit(bank, bank,
           R"({"type":"GovernanceVote","signer":")" + id + R"(","id":"vote:)" + proposal_id +
               R"(","proposal_id":")" + proposal_id + R"(","choice":"APPROVE"})");
  }

  std::string ProposalStatus(std::size_t i, const std::string& proposal_id) {
    const boost::json::value r = net_->Result(i, "getProposals");
    if (!r.is_object()) return "";
    for (const boost::json::value& p : r.at("proposals").as_array()) {
      if (p.at("proposal_id") == proposal_id.c_str())
        return std::string(p.at("status").as_string());
    }
    return "";
  }

  // getValidators at node i shows `count` validators in force from epoch >= `epoch`, and no
  // set waiting to start.
  bool InForce(std::size_t i, std::uint64_t epoch, std::size_t count) {
    const boost::json::value v = net_->Result(i, "getValidators");
    return v.is_object() && U(v.at("epoch")) >= epoch &&
           v.at("validators").as_array().size() == count && !v.as_object().contains("next");
  }

  // Log lines of the nodes that stay validators refusing PARTNER_A-1's connections because it
  // was removed from the set.
  std::size_t RefusalsOfRemovedNode() const {
    std::size_t n = 0;
    for (std::size_t i : {kLead, kPartnerB, kPartnerC, kPartnerD, kPartnerE, kPartnerF}) {
      std::istringstream log(net_->Log(i));
      std::string line;
      while (std::getline(log, line)) {
        if (line.find("refused \"PARTNER_A-1\"") != std::string::npos &&
            line.find("removed from the validator set") != std::string::npos) {
          ++n;
        }
      }
    }
    return n;
  }

  // The nodes reach one height and one executed height, with the same block and state root.
  void ExpectSameChainAndState(const std::vector<std::size_t>& nodes) {
    std::uint64_t height = 0;
    const bool agreed = LocalNetwork::WaitUntil(
        [&] {
          std::set<std::uint64_t> heights, executed;
          for (std::size_t i : nodes) {
            const boost::json::value info = net_->Result(i, "getNodeInfo");
            if (!info.is_object()) return false;
            heights.insert(U(info.at("height")));
            executed.insert(U(info.at("executed_height")));
          }
          height = *heights.begin();
          return heights.size() == 1 && executed.size() == 1;
        },
        kWaitMs);
    std::string where;
    for (std::size_t i : nodes) {
      where += " " + net_->bank(i).id + "=" + std::to_string(net_->Height(i));
    }
    ASSERT_TRUE(agreed) << "heights:" << where;
    std::set<std::string> hashes, roots;
    for (std::size_t i : nodes) {
      const boost::json::value block = net_->Result(i, "getBlockByNumber", {{"height", height}});
      ASSERT_TRUE(block.is_object()) << net_->bank(i).id;
      hashes.insert(boost::json::serialize(block.at("hash")));
      roots.insert(boost::json::serialize(net_->Result(i, "getNodeInfo").at("state_root")));
    }
    EXPECT_EQ(hashes.size(), 1u) << "the nodes disagree on block " << height;
    EXPECT_EQ(roots.size(), 1u) << "the nodes disagree on the state root at " << height;
  }

  testutil::ScratchDir scratch_{"colend-consortium-e2e"};
  int base_port_ = 0;
  std::unique_ptr<LocalNetwork> net_;
  std::mutex net_mu_;  // the loader's sends against AdoptJoinedBanks growing the bank list
  std::thread loader_;
  std::atomic<bool> stop_load_{false};
  std::vector<std::string> load_hashes_;  // guarded by net_mu_
};

TEST_F(ConsortiumE2eTest, ABankJoinsByVoteAndAValidatorIsVotedOutWhileTheChainRuns) {
  StartLoad();
  ASSERT_TRUE(LocalNetwork::WaitUntil([&] { return net_->Height(kLead) >= 5; }, kWaitMs));

  // colend-bench offers load through the nodes that stay validators while the set grows
  // (4 -> 5 -> 7), besides the loader's trickle; its report is checked at the end.
  const std::string root = net_->root();
  testutil::ChildProcess bench;
  const std::string bench_log = scratch_.Path("bench.log");
  ASSERT_TRUE(bench.Start({COLEND_BENCH_PATH, "--network", root + "/network.json", "--via",
                           "LEAD,PARTNER_B,PARTNER_C", "--rate", "40", "--duration", "12",
                           "--preload", "20", "--connections", "2", "--json", "--quiet"},
                          bench_log));

  // 1. PARTNER_D joins: keys, certificate, config and the proposals from colend-netgen.
  const std::string genesis_before = testutil::ReadFile(root + "/genesis.json");
  const testutil::RunResult joined = RunCommand(
      Netgen("join --network " + root + " --bank PARTNER_D --legal-name \"Partner D Bank\"" +
             " --base-port " + std::to_string(base_port_ + 8)));
  ASSERT_EQ(joined.exit_code, 0) << joined.output;
  EXPECT_EQ(testutil::ReadFile(root + "/genesis.json"), genesis_before);
  {
    std::lock_guard lock(net_mu_);
    ASSERT_EQ(net_->AdoptJoinedBanks(), 1u);
  }
  ASSERT_EQ(net_->bank(kPartnerD).node_id, "PARTNER_D-1");

  // 2. Its node follows the chain as an observer.
  ASSERT_TRUE(net_->Start(kPartnerD)) << net_->Log(kPartnerD);
  const std::uint64_t lead_height = net_->Height(kLead);
  EXPECT_TRUE(
      LocalNetwork::WaitUntil([&] { return net_->Height(kPartnerD) >= lead_height; }, kWaitMs))
      << "PARTNER_D-1 at " << net_->Height(kPartnerD) << ", LEAD-1 at " << lead_height << "\n"
      << net_->Log(kPartnerD);
  EXPECT_TRUE(InForce(kPartnerD, 0, 4));
  EXPECT_NE(net_->Log(kPartnerD).find("as an observer"), std::string::npos) << net_->Log(kPartnerD);
  EXPECT_EQ(net_->Log(kPartnerD).find("this node votes"), std::string::npos);

  // 3. The members admit PARTNER_D (3 of 4), then its node as a validator (4 of 5).
  ASSERT_NO_FATAL_FAILURE(
      Commit(kLead, kLead, testutil::ReadFile(root + "/PARTNER_D/join-1-add-member.json")));
  for (std::size_t bank : {kLead, kPartnerA, kPartnerB}) {
    ASSERT_NO_FATAL_FAILURE(Vote(bank, "JOIN-PARTNER_D-MEMBER"));
  }
  ASSERT_TRUE(LocalNetwork::WaitUntil(
      [&] { return ProposalStatus(kLead, "JOIN-PARTNER_D-MEMBER") == "PASSED"; }, kWaitMs))
      << ProposalStatus(kLead, "JOIN-PARTNER_D-MEMBER");
  ASSERT_NO_FATAL_FAILURE(Commit(
      kLead, kLead, testutil::ReadFile(root + "/PARTNER_D/join-2-change-validator-set.json")));
  for (std::size_t bank : {kLead, kPartnerA, kPartnerB}) {
    ASSERT_NO_FATAL_FAILURE(Vote(bank, "JOIN-PARTNER_D-VALIDATOR"));
  }
  // Through its own node, still an observer: the validators take its clients' transactions
  // like any client's.
  ASSERT_NO_FATAL_FAILURE(Vote(kPartnerD, "JOIN-PARTNER_D-VALIDATOR"));
  EXPECT_TRUE(LocalNetwork::WaitUntil(
      [&] { return ProposalStatus(kLead, "JOIN-PARTNER_D-VALIDATOR") == "PASSED"; }, kWaitMs))
      << ProposalStatus(kLead, "JOIN-PARTNER_D-VALIDATOR");
  for (std::size_t i = 0; i < net_->size(); ++i) {
    EXPECT_TRUE(LocalNetwork::WaitUntil([&] { return InForce(i, 1, 5); }, kWaitMs))
        << net_->bank(i).id << ": " << boost::json::serialize(net_->Result(i, "getValidators"));
  }
  EXPECT_TRUE(LocalNetwork::WaitUntil(
      [&] { return net_->Log(kPartnerD).find("this node votes") != std::string::npos; }, kWaitMs))
      << net_->Log(kPartnerD);
  const std::uint64_t epoch1_start = U(net_->Result(kLead, "getValidators").at("start_height"));

  // 3b. Two more banks join at once: 5 -> 7 validators (f = 2, quorum 5).
  // The set has changed since genesis: join extends the one getValidators reports.
  const std::string validators_json = root + "/validators.json";
  {
    std::ofstream out(validators_json);
    out << boost::json::serialize(net_->Result(kLead, "getValidators"));
  }
  for (const std::string bank : {"PARTNER_E", "PARTNER_F"}) {
    const int port = base_port_ + (bank == "PARTNER_E" ? 10 : 12);
    const testutil::RunResult r =
        RunCommand(Netgen("join --network " + root + " --bank " + bank + " --base-port " +
                          std::to_string(port) + " --validators-json " + validators_json));
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  {
    std::lock_guard lock(net_mu_);
    ASSERT_EQ(net_->AdoptJoinedBanks(), 2u);
  }
  ASSERT_EQ(net_->bank(kPartnerE).id, "PARTNER_E");
  ASSERT_EQ(net_->bank(kPartnerF).id, "PARTNER_F");
  for (std::size_t i : {kPartnerE, kPartnerF}) {
    ASSERT_TRUE(net_->Start(i)) << net_->Log(i);
    const std::string& bank = net_->bank(i).id;
    ASSERT_NO_FATAL_FAILURE(
        Commit(kLead, kLead, testutil::ReadFile(root + "/" + bank + "/join-1-add-member.json")));
    for (std::size_t voter : {kLead, kPartnerA, kPartnerB, kPartnerD}) {  // 4 of 5
      ASSERT_NO_FATAL_FAILURE(Vote(voter, "JOIN-" + bank + "-MEMBER"));
    }
    ASSERT_TRUE(LocalNetwork::WaitUntil(
        [&] { return ProposalStatus(kLead, "JOIN-" + bank + "-MEMBER") == "PASSED"; }, kWaitMs));
  }
  // One ChangeValidatorSet with both nodes: the set in force plus E's and F's entries from
  // the proposals join wrote, sorted by node id as the contract requires.
  std::map<std::string, boost::json::value> seven;
  for (const std::string bank : {"PARTNER_E", "PARTNER_F"}) {
    const boost::json::value proposal =
        boost::json::parse(testutil::ReadFile(root + "/" + bank + "/join-2-change-validator-set.json"));
    for (const boost::json::value& v : proposal.at("action").at("validators").as_array()) {
      seven[std::string(v.at("node_id").as_string())] = v;
    }
  }
  ASSERT_EQ(seven.size(), 7u);
  boost::json::array seven_sorted;
  for (auto& [id, v] : seven) seven_sorted.push_back(v);
  const boost::json::object grow{
      {"type", "GovernanceProposal"},
      {"signer", "LEAD"},
      {"id", "propose:GP-GROW-7"},
      {"proposal_id", "GP-GROW-7"},
      {"description", "PARTNER_E and PARTNER_F validate"},
      {"action", {{"type", "ChangeValidatorSet"}, {"validators", seven_sorted}}}};
  ASSERT_NO_FATAL_FAILURE(Commit(kLead, kLead, boost::json::serialize(grow)));
  for (std::size_t voter : {kLead, kPartnerA, kPartnerB, kPartnerC, kPartnerE}) {  // 5 of 7
    ASSERT_NO_FATAL_FAILURE(Vote(voter, "GP-GROW-7"));
  }
  for (std::size_t i = 0; i < net_->size(); ++i) {
    EXPECT_TRUE(LocalNetwork::WaitUntil([&] { return InForce(i, 2, 7); }, kWaitMs))
        << net_->bank(i).id << ": " << boost::json::serialize(net_->Result(i, "getValidators"));
  }
  for (std::size_t i : {kPartnerE, kPartnerF}) {
    EXPECT_TRUE(LocalNetwork::WaitUntil(
        [&] { return net_->Log(i).find("this node votes") != std::string::npos; }, kWaitMs))
        << net_->Log(i);
  }
  const boost::json::value epoch2 = net_->Result(kLead, "getValidators");

  // 4. PARTNER_A's node is voted out (5 of 7 members).
  boost::json::array remaining;
  for (const boost::json::value& v : epoch2.at("validators").as_array()) {
    if (v.at("node_id") != "PARTNER_A-1") remaining.push_back(v);
  }
  ASSERT_EQ(remaining.size(), 6u);
  const boost::json::object remove{
      {"type", "GovernanceProposal"},
      {"signer", "LEAD"},
      {"id", "propose:GP-REMOVE-A"},
      {"proposal_id", "GP-REMOVE-A"},
      {"description", "PARTNER_A retires its node"},
      {"action", {{"type", "ChangeValidatorSet"}, {"validators", remaining}}}};
  ASSERT_NO_FATAL_FAILURE(Commit(kLead, kLead, boost::json::serialize(remove)));
  for (std::size_t bank : {kLead, kPartnerB, kPartnerC, kPartnerD, kPartnerE}) {
    ASSERT_NO_FATAL_FAILURE(Vote(bank, "GP-REMOVE-A"));
  }
  const std::vector<std::size_t> staying = {kLead,     kPartnerB, kPartnerC,
                                            kPartnerD, kPartnerE, kPartnerF};
  for (std::size_t i : staying) {
    EXPECT_TRUE(LocalNetwork::WaitUntil([&] { return InForce(i, 3, 6); }, kWaitMs))
        << net_->bank(i).id << ": " << boost::json::serialize(net_->Result(i, "getValidators"));
  }
  const std::uint64_t epoch3_start = U(net_->Result(kLead, "getValidators").at("start_height"));
  // It now follows as an observer and dials the others; they refuse it, saying why.
  EXPECT_TRUE(LocalNetwork::WaitUntil([&] { return RefusalsOfRemovedNode() > 0; }, kWaitMs))
      << "LEAD-1's log:\n"
      << net_->Log(kLead) << "\nPARTNER_A-1's log:\n"
      << net_->Log(kPartnerA);
  // And the chain goes on without it.
  EXPECT_TRUE(
      LocalNetwork::WaitUntil([&] { return net_->Height(kLead) >= epoch3_start + 10; }, kWaitMs));
  // PARTNER_D-1 signed commits (at least one certificate among the blocks since it votes).
  std::size_t signed_by_d = 0;
  for (std::uint64_t h = epoch1_start; h < epoch3_start + 10; ++h) {
    const boost::json::value block = net_->Result(kLead, "getBlockByNumber", {{"height", h}});
    if (!block.is_object()) continue;
    for (const boost::json::value& c : block.at("certificate").at("commits").as_array()) {
      if (c.at("validator") == "PARTNER_D-1") ++signed_by_d;
    }
  }
  EXPECT_GT(signed_by_d, 0u) << "no commit certificate from " << epoch1_start << " to "
                             << epoch3_start + 10 << " holds PARTNER_D-1's commit";
  RecordProperty("certificates_signed_by_partner_d", std::to_string(signed_by_d));

  // 5. PARTNER_D-1 restarts. Its node.toml still lists PARTNER_A-1 (no longer a validator:
  // ignored) and the others have no endpoint for it (they were configured before it joined):
  // it dials them itself (the larger id's fallback) and catches up.
  EXPECT_EQ(net_->Stop(kPartnerD), 0);
  const std::uint64_t before_restart = net_->Height(kLead);
  ASSERT_TRUE(net_->Start(kPartnerD)) << net_->Log(kPartnerD);
  EXPECT_TRUE(LocalNetwork::WaitUntil(
      [&] { return net_->Height(kPartnerD) > before_restart + 3; }, kWaitMs))
      << "PARTNER_D-1 at " << net_->Height(kPartnerD) << " after its restart, LEAD-1 at "
      << net_->Height(kLead) << "\n"
      << net_->Log(kPartnerD);

  // 6. Everything colend-bench and the loader got admitted commits; the nodes agree on chain
  // and state. The removed node stays where it was cut off, on the same chain.
  ASSERT_EQ(bench.WaitExit(120'000), 0) << testutil::ReadFile(bench_log);
  {
    // The report is the last line (progress and setup lines go before it).
    const std::string text = testutil::ReadFile(bench_log);
    const std::size_t line = text.rfind("\n{");
    const boost::json::value report =
        boost::json::parse(text.substr(line == std::string::npos ? 0 : line + 1));
    EXPECT_GT(U(report.at("committed")), 100u) << text;
    EXPECT_EQ(U(report.at("committed")), U(report.at("admitted"))) << text;
    EXPECT_EQ(U(report.at("not_committed")), 0u) << text;
    EXPECT_EQ(U(report.at("refused_at_admission")), 0u) << text;
    EXPECT_EQ(U(report.at("unsent")), 0u) << text;
    EXPECT_EQ(report.at("nodes_agree"), true) << text;
    RecordProperty("bench_committed", std::to_string(U(report.at("committed"))));
  }
  StopLoad();
  std::vector<std::string> hashes;
  {
    std::lock_guard lock(net_mu_);
    hashes = load_hashes_;
  }
  EXPECT_GT(hashes.size(), 20u);
  RecordProperty("load_transactions", std::to_string(hashes.size()));
  for (std::size_t i : {kLead, kPartnerD}) {
    std::size_t missing = 0;
    EXPECT_TRUE(LocalNetwork::WaitUntil(
        [&] {
          missing = 0;
          for (const std::string& h : hashes) {
            const boost::json::value r = net_->Result(i, "getTransactionReceipt", {{"tx_hash", h}});
            if (!r.is_object() || r.at("status") != "ok") ++missing;
          }
          return missing == 0;
        },
        kWaitMs))
        << net_->bank(i).id << ": " << missing << " of " << hashes.size()
        << " load transactions without an ok receipt";
  }
  ExpectSameChainAndState(staying);
  const std::uint64_t cut_off = net_->Height(kPartnerA);
  EXPECT_LT(cut_off, net_->Height(kLead));
  if (cut_off > 0) {
    EXPECT_EQ(net_->Result(kPartnerA, "getBlockByNumber", {{"height", cut_off}}).at("hash"),
              net_->Result(kLead, "getBlockByNumber", {{"height", cut_off}}).at("hash"));
  }
  RecordProperty("refusals_logged", std::to_string(RefusalsOfRemovedNode()));
}

// Governance revokes PARTNER_C-1's TLS certificate (say its key leaked): every other node
// drops and refuses it, naming the fingerprint, and the chain goes on with the three others.
TEST_F(ConsortiumE2eTest, ARevokedCertificateIsRefusedAndTheChainGoesOn) {
  const std::string fingerprint =
      CertificateFingerprint(testutil::ReadFile(net_->root() + "/PARTNER_C/node.crt.pem"));
  ASSERT_EQ(fingerprint.size(), 64u);
  const boost::json::object revoke{
      {"type", "GovernanceProposal"},
      {"signer", "LEAD"},
      {"id", "propose:GP-REVOKE-C"},
      {"proposal_id", "GP-REVOKE-C"},
      {"description", "PARTNER_C-1's node key leaked"},
      {"action",
       {{"type", "RevokeCertificate"}, {"fingerprint", fingerprint}, {"reason", "node key leaked"}}}};
  ASSERT_NO_FATAL_FAILURE(Commit(kLead, kLead, boost::json::serialize(revoke)));
  for (std::size_t bank : {kLead, kPartnerA, kPartnerB}) {
    ASSERT_NO_FATAL_FAILURE(Vote(bank, "GP-REVOKE-C"));
  }
  ASSERT_TRUE(LocalNetwork::WaitUntil(
      [&] { return ProposalStatus(kLead, "GP-REVOKE-C") == "PASSED"; }, kWaitMs));
  const boost::json::value revoked = net_->Result(kLead, "getRevokedCertificates");
  ASSERT_TRUE(revoked.is_object()) << revoked;
  ASSERT_EQ(revoked.at("revoked").as_array().size(), 1u) << revoked;
  EXPECT_EQ(revoked.at("revoked").as_array()[0].at("fingerprint"), fingerprint.c_str());

  // The others drop PARTNER_C-1 and refuse it from then on, saying why.
  for (std::size_t i : {kLead, kPartnerA, kPartnerB}) {
    EXPECT_TRUE(LocalNetwork::WaitUntil(
        [&] { return net_->ConnectedPeers(i) == 2; }, kWaitMs))
        << net_->bank(i).id << " still has " << net_->ConnectedPeers(i) << " peers";
    EXPECT_TRUE(LocalNetwork::WaitUntil(
        [&] {
          const std::string log = net_->Log(i);
          return log.find(fingerprint) != std::string::npos &&
                 log.find("node key leaked") != std::string::npos;
        },
        kWaitMs))
        << net_->bank(i).id << "'s log:\n" << net_->Log(i);
  }
  // The chain goes on: three of four validators are a quorum.
  ASSERT_NO_FATAL_FAILURE(Commit(
      kPartnerA, kLead,
      R"({"type":"ProposeAgreement","signer":"LEAD","id":"after-revoke","agreement_id":"AG-R",)"
      R"("currency":"CNY","shares":{"LEAD":2000,"PARTNER_A":8000}})"));
}

// PARTNER_B rotates its validator's node key by vote while the chain runs. Until its node is
// restarted with the new key it follows as an observer (it must not sign with a key the set
// does not list); PARTNER_C's node is stopped at the switch, so from then on the chain moves
// only if PARTNER_B-1 votes again, with its new key. The old certificate is dropped.
TEST_F(ConsortiumE2eTest, AValidatorRotatesItsNodeKeyByVote) {
  // Through the two nodes that run throughout: what a node admits while the others refuse
  // it (PARTNER_B-1 on its old key) or while it is stopped would wait in its pool.
  StartLoad({kLead, kPartnerA});
  ASSERT_TRUE(LocalNetwork::WaitUntil([&] { return net_->Height(kLead) >= 3; }, kWaitMs));
  const std::string root = net_->root();
  const testutil::RunResult prepared =
      RunCommand(Netgen("rekey --network " + root + " --node-id PARTNER_B-1"));
  ASSERT_EQ(prepared.exit_code, 0) << prepared.output;
  const std::string next = root + "/PARTNER_B/next";
  const boost::json::value proposal =
      boost::json::parse(testutil::ReadFile(next + "/change-validator-set.json"));
  const std::string proposal_id(proposal.at("proposal_id").as_string());
  boost::json::value new_key;
  for (const boost::json::value& v : proposal.at("action").at("validators").as_array()) {
    if (v.at("node_id") == "PARTNER_B-1") new_key = v.at("public_key");
  }
  ASSERT_TRUE(new_key.is_string());

  ASSERT_NO_FATAL_FAILURE(
      Commit(kPartnerB, kPartnerB, testutil::ReadFile(next + "/change-validator-set.json")));
  for (std::size_t bank : {kLead, kPartnerA, kPartnerB}) {  // 3 of 4
    ASSERT_NO_FATAL_FAILURE(Vote(bank, proposal_id));
  }
  for (std::size_t i = 0; i < net_->size(); ++i) {
    EXPECT_TRUE(LocalNetwork::WaitUntil([&] { return InForce(i, 1, 4); }, kWaitMs))
        << net_->bank(i).id << ": " << boost::json::serialize(net_->Result(i, "getValidators"));
  }
  const boost::json::value in_force = net_->Result(kLead, "getValidators");
  for (const boost::json::value& v : in_force.at("validators").as_array()) {
    if (v.at("node_id") == "PARTNER_B-1") {
      EXPECT_EQ(v.at("public_key"), new_key);
    }
  }
  const std::uint64_t epoch1_start = U(net_->Result(kLead, "getValidators").at("start_height"));
  // Still on its old key: it follows, says why, and the others drop its old certificate.
  EXPECT_TRUE(LocalNetwork::WaitUntil(
      [&] {
        const std::string log = net_->Log(kPartnerB);
        return log.find("is not the key validator epoch 1 lists for PARTNER_B-1") !=
                   std::string::npos &&
               log.find("this node follows as an observer") != std::string::npos;
      },
      kWaitMs))
      << net_->Log(kPartnerB);
  EXPECT_TRUE(LocalNetwork::WaitUntil(
      [&] {
        return net_->Log(kLead).find("the validator key of \"PARTNER_B-1\" changed") !=
               std::string::npos;
      },
      kWaitMs))
      << net_->Log(kLead);

  // Without PARTNER_C-1, LEAD-1 and PARTNER_A-1 are two of the three votes a block needs.
  EXPECT_EQ(net_->Stop(kPartnerC), 0);
  EXPECT_EQ(net_->Stop(kPartnerB), 0);
  fs::rename(next + "/node.key.pem", root + "/PARTNER_B/node.key.pem");
  fs::rename(next + "/node.crt.pem", root + "/PARTNER_B/node.crt.pem");
  fs::remove_all(next);
  const std::uint64_t before_restart = net_->Height(kLead);
  ASSERT_TRUE(net_->Start(kPartnerB)) << net_->Log(kPartnerB);
  EXPECT_TRUE(LocalNetwork::WaitUntil(
      [&] { return net_->Height(kLead) >= before_restart + 5; }, kWaitMs))
      << "LEAD-1 at " << net_->Height(kLead) << " since " << before_restart
      << "; PARTNER_B-1's log:\n"
      << net_->Log(kPartnerB);
  // Its commits, with the new key, are in the certificates of the blocks since.
  std::size_t signed_by_b = 0;
  for (std::uint64_t h = std::max(before_restart, epoch1_start); h < before_restart + 5; ++h) {
    const boost::json::value block = net_->Result(kLead, "getBlockByNumber", {{"height", h}});
    if (!block.is_object()) continue;
    for (const boost::json::value& c : block.at("certificate").at("commits").as_array()) {
      if (c.at("validator") == "PARTNER_B-1") ++signed_by_b;
    }
  }
  EXPECT_GT(signed_by_b, 0u);

  ASSERT_TRUE(net_->Start(kPartnerC)) << net_->Log(kPartnerC);
  StopLoad();
  std::vector<std::string> hashes;
  {
    std::lock_guard lock(net_mu_);
    hashes = load_hashes_;
  }
  std::size_t missing = 0;
  EXPECT_TRUE(LocalNetwork::WaitUntil(
      [&] {
        missing = 0;
        for (const std::string& h : hashes) {
          const boost::json::value r = net_->Result(kLead, "getTransactionReceipt", {{"tx_hash", h}});
          if (!r.is_object() || r.at("status") != "ok") ++missing;
        }
        return missing == 0;
      },
      kWaitMs))
      << missing << " of " << hashes.size() << " load transactions without an ok receipt";
  ExpectSameChainAndState({kLead, kPartnerA, kPartnerB, kPartnerC});
}

}  // namespace
}  // namespace colend::e2e
