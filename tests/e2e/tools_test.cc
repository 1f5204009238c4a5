// The bank-facing tools end to end: colend-netgen makes a consortium, colend-cli signs,
// sends and queries against real nodes, colend-bench drives load and reports.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "colend/contracts/genesis.h"
#include "colend/contracts/tx_json.h"
#include "colend/crypto/x509.h"
#include "colend/node/config.h"
#include "colend/testutil/process_util.h"
#include "colend/testutil/rpc_client.h"
#include "governance_commands.h"
#include "local_network.h"
#include "rpc_commands.h"

namespace colend::e2e {
namespace {

using testutil::RunCommand;
namespace fs = std::filesystem;

// The permission bits of `path`.
fs::perms Mode(const std::string& path) {
  return fs::status(path).permissions() & fs::perms::mask;
}
constexpr fs::perms kOwnerRw = fs::perms::owner_read | fs::perms::owner_write;

const std::vector<std::string> kBanks = {"LEAD", "PARTNER_A", "PARTNER_B", "PARTNER_C"};

TEST(CliDecimalTest, ConvertsDecimalAmountsExactlyOrRefuses) {
  EXPECT_EQ(cli::DecimalToMinor("8000.00", 2).value(), 800000);
  EXPECT_EQ(cli::DecimalToMinor("8000", 2).value(), 800000);
  EXPECT_EQ(cli::DecimalToMinor("666.67", 2).value(), 66667);
  EXPECT_EQ(cli::DecimalToMinor("0.5", 2).value(), 50);
  EXPECT_EQ(cli::DecimalToMinor("0", 2).value(), 0);
  EXPECT_EQ(cli::DecimalToMinor("007.10", 2).value(), 710);
  EXPECT_EQ(cli::DecimalToMinor("1234", 0).value(), 1234);
  EXPECT_EQ(cli::DecimalToMinor("92233720368547758.07", 2).value(), INT64_MAX);
  for (const char* bad : {"1.005", "-1.00", "+1", "1,000.00", "1.", ".5", "", "1e3", "12 3",
                          "92233720368547758.08", "99999999999999999999"}) {
    EXPECT_FALSE(cli::DecimalToMinor(bad, 2).ok()) << bad;
  }
  EXPECT_FALSE(cli::DecimalToMinor("1.5", 0).ok());
}

TEST(CliGovernanceTest, BuildsProposalAndVoteTransactionsTheContractsRead) {
  cli::ProposeOptions propose;
  propose.signer = "LEAD";
  propose.proposal_id = "GP-7";
  propose.description = "node key leaked";
  const std::string action =
      R"({"type":"RevokeCertificate","fingerprint":")" + std::string(64, 'a') +
      R"(","reason":"node key leaked"})";
  Result<std::string> tx = cli::ProposalTransactionJson(propose, action);
  ASSERT_TRUE(tx.ok()) << tx.status();
  Result<proto::TransactionBody> body = contracts::TransactionBodyFromJson(*tx);
  ASSERT_TRUE(body.ok()) << body.status() << " in " << *tx;
  EXPECT_EQ(body->id(), "propose:GP-7");
  EXPECT_EQ(body->governance_proposal().revoke_certificate().fingerprint(), std::string(64, 'a'));
  EXPECT_FALSE(cli::ProposalTransactionJson(propose, "[1]").ok());
  EXPECT_FALSE(cli::ProposalTransactionJson(propose, R"({"member_id":"X"})").ok());
  propose.proposal_id = std::string(60, 'P');
  EXPECT_FALSE(cli::ProposalTransactionJson(propose, action).ok());  // default id too long
  propose.id = "p-1";
  EXPECT_TRUE(cli::ProposalTransactionJson(propose, action).ok());

  cli::VoteOptions vote;
  vote.signer = "PARTNER_A";
  vote.proposal_id = "GP-7";
  vote.choice = "Approve";
  tx = cli::VoteTransactionJson(vote);
  ASSERT_TRUE(tx.ok()) << tx.status();
  body = contracts::TransactionBodyFromJson(*tx);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(body->id(), "vote:GP-7");
  EXPECT_EQ(body->governance_vote().choice(), proto::VOTE_CHOICE_APPROVE);
  vote.choice = "maybe";
  EXPECT_FALSE(cli::VoteTransactionJson(vote).ok());
}

// The column where `word` starts on the line of `text` that contains `line_key`.
std::size_t ColumnOf(const std::string& text, const std::string& line_key, const std::string& word) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.find(line_key) != std::string::npos) return line.find(word);
  }
  return std::string::npos;
}

TEST(CliGovernanceTest, ProposalAndValidatorTablesAreAligned) {
  const boost::json::value proposals = boost::json::parse(R"({"proposals":[
    {"proposal_id":"GP-1","proposer":"LEAD","description":"d","action":{"type":"SuspendMember","member_id":"PARTNER_D","reason":"r"},
     "status":"PASSED","approvals":["LEAD","PARTNER_A","PARTNER_B"],"rejections":[],"opened_at_height":3,"decided_at_height":6},
    {"proposal_id":"GP-LONGER-ID","proposer":"PARTNER_A","description":"d","action":{"type":"SetNetworkRule","name":"min_funder_bp","value":500},
     "status":"OPEN","approvals":["PARTNER_A"],"rejections":["LEAD"],"opened_at_height":9}]})");
  std::ostringstream out;
  cli::PrintProposals(proposals, out);
  const std::string text = out.str();
  EXPECT_NE(text.find("SuspendMember PARTNER_D"), std::string::npos) << text;
  EXPECT_NE(text.find("SetNetworkRule min_funder_bp=500"), std::string::npos) << text;
  EXPECT_NE(text.find("3/0"), std::string::npos) << text;
  EXPECT_NE(text.find("1/1"), std::string::npos) << text;
  for (const char* column : {"proposer", "status"}) {
    const std::size_t at = ColumnOf(text, "for/against", column);
    ASSERT_NE(at, std::string::npos) << text;
    EXPECT_EQ(ColumnOf(text, "GP-1 ", column == std::string("status") ? "PASSED" : "LEAD"), at)
        << text;
    EXPECT_EQ(ColumnOf(text, "GP-LONGER-ID", column == std::string("status") ? "OPEN" : "PARTNER_A"),
              at)
        << text;
  }

  const boost::json::value validators = boost::json::parse(R"({"epoch":1,"start_height":17,
    "decided_at_height":14,"validators":[{"node_id":"LEAD-1","member_id":"LEAD","public_key":"k"},
    {"node_id":"PARTNER_A-1","member_id":"PARTNER_A","public_key":"k"}],"view":3,"primary":"PARTNER_A-1",
    "next":{"epoch":2,"start_height":40,"validators":[{"node_id":"LEAD-1","member_id":"LEAD","public_key":"k"}]}})");
  out.str("");
  cli::PrintValidators(validators, out);
  const std::string table = out.str();
  EXPECT_NE(table.find("epoch 1: ordering from height 17, decided at height 14; view 3, "
                       "primary PARTNER_A-1"),
            std::string::npos)
      << table;
  EXPECT_EQ(ColumnOf(table, "PARTNER_A-1  ", "primary"), ColumnOf(table, "epoch  from height", "role"))
      << table;
  EXPECT_NE(table.find("epoch 2 is decided and orders from height 40"), std::string::npos) << table;
  EXPECT_EQ(ColumnOf(table, "PARTNER_A-1  ", "PARTNER_A "), ColumnOf(table, "epoch  from height", "member"))
      << table;
}

TEST(NetgenE2eTest, MakesAConsortiumEveryPartAccepts) {
  testutil::ScratchDir dir("colend-netgen-e2e");
  const std::string out = dir.Path("net");
  const testutil::RunResult r = RunCommand(std::string(COLEND_NETGEN_PATH) +
                                           " --banks LEAD,PARTNER_A --out " + out +
                                           " --localnet --base-port 41000");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string genesis_text = testutil::ReadFile(out + "/genesis.json");
  Result<contracts::Genesis> genesis = contracts::ParseGenesis(genesis_text);
  ASSERT_TRUE(genesis.ok()) << genesis.status();
  EXPECT_EQ(genesis->members.size(), 2u);
  EXPECT_EQ(genesis->validators.size(), 2u);
  const std::string ca = testutil::ReadFile(out + "/ca/ca.crt.pem");
  for (const std::string bank : {"LEAD", "PARTNER_A"}) {
    Result<node::NodeConfig> config = node::LoadNodeConfig(out + "/" + bank + "/node.toml");
    ASSERT_TRUE(config.ok()) << config.status();
    EXPECT_EQ(config->node_id, bank + "-1");
    const std::string cert = testutil::ReadFile(out + "/" + bank + "/node.crt.pem");
    EXPECT_TRUE(crypto::VerifyCertificateIssuedBy(cert, ca).ok());
    EXPECT_EQ(crypto::InspectCertificate(cert)->common_name, bank + "-1");
    // Keys are secret: the owner's alone (0600), in directories only the owner may enter.
    EXPECT_EQ(Mode(out + "/" + bank + "/client.key.pem"), kOwnerRw);
    EXPECT_EQ(Mode(out + "/" + bank + "/node.key.pem"), kOwnerRw);
    EXPECT_EQ(Mode(out + "/" + bank), fs::perms::owner_all);
    EXPECT_EQ(Mode(out + "/" + bank + "/data"), fs::perms::owner_all);
    // A local network gets no RPC token unless asked (--rpc-tokens); node.toml holds none.
    EXPECT_FALSE(fs::exists(out + "/" + bank + "/rpc.token"));
    EXPECT_TRUE(config->rpc_token.empty());
  }
  EXPECT_EQ(Mode(out + "/ca/ca.key.pem"), kOwnerRw);
  EXPECT_EQ(Mode(out + "/ca"), fs::perms::owner_all);
  EXPECT_TRUE(std::filesystem::exists(out + "/start.sh"));
  EXPECT_TRUE(std::filesystem::exists(out + "/network.json"));

  // It never overwrites a network, and it names what is wrong.
  const testutil::RunResult again = RunCommand(std::string(COLEND_NETGEN_PATH) +
                                               " --banks LEAD,PARTNER_A --out " + out);
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.output.find("refusing to overwrite"), std::string::npos) << again.output;
  const testutil::RunResult bad =
      RunCommand(std::string(COLEND_NETGEN_PATH) + " --banks LEAD,lower --out " + dir.Path("x"));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.output.find("\"lower\" is not a bank id"), std::string::npos) << bad.output;
  EXPECT_EQ(RunCommand(std::string(COLEND_NETGEN_PATH) + " --help").exit_code, 0);
}

// --rpc-tokens: every node its own random token, in a 0600 file node.toml names; the node
// requires it (and, with rpc.metrics_require_token, on /metrics too); colend-cli reads it
// with --token-file and refuses a token file others can read; a node whose key file others
// can read refuses to start, saying which chmod to run.
TEST(NetgenE2eTest, EveryNodeGetsItsOwnTokenInAFileAndClientsReadIt) {
  testutil::ScratchDir dir("colend-netgen-tokens");
  const std::string out = dir.Path("net");
  const int base = testutil::FreePortRun(4);
  const testutil::RunResult r =
      RunCommand(std::string(COLEND_NETGEN_PATH) + " --banks LEAD,PARTNER_A --out " + out +
                 " --localnet --rpc-tokens --base-port " + std::to_string(base));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::vector<std::string> tokens;
  for (const std::string bank : {"LEAD", "PARTNER_A"}) {
    const std::string token_file = out + "/" + bank + "/rpc.token";
    EXPECT_EQ(Mode(token_file), kOwnerRw);
    std::string token = testutil::ReadFile(token_file);
    ASSERT_EQ(token.size(), 65u) << token;  // 32 random bytes as hex, and a newline
    token.pop_back();
    EXPECT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos) << token;
    const std::string toml = testutil::ReadFile(out + "/" + bank + "/node.toml");
    EXPECT_EQ(toml.find(token), std::string::npos) << "the token is in node.toml";
    EXPECT_NE(toml.find("token_file = "), std::string::npos) << toml;
    Result<node::NodeConfig> config = node::LoadNodeConfig(out + "/" + bank + "/node.toml");
    ASSERT_TRUE(config.ok()) << config.status();
    EXPECT_EQ(config->rpc_token, token);
    tokens.push_back(token);
  }
  EXPECT_NE(tokens[0], tokens[1]) << "one token shared by every node";
  const std::string manifest = testutil::ReadFile(out + "/network.json");
  EXPECT_NE(manifest.find("\"rpc_token_file\":\"LEAD/rpc.token\""), std::string::npos) << manifest;
  EXPECT_EQ(manifest.find(tokens[0]), std::string::npos);

  // LEAD alone (it serves RPC without a quorum), with /metrics behind the token too.
  const std::string lead_toml = out + "/LEAD/node.toml";
  std::string toml = testutil::ReadFile(lead_toml);
  const std::size_t at = toml.find("metrics_require_token = false");
  ASSERT_NE(at, std::string::npos) << toml;
  toml.replace(at, 29, "metrics_require_token = true");
  testutil::WriteFile(lead_toml, toml);
  const std::string node_binary =
      (fs::path(COLEND_NETGEN_PATH).parent_path() / "colend-node").string();
  testutil::ChildProcess lead;
  ASSERT_TRUE(lead.Start({node_binary, "--config", lead_toml}, out + "/LEAD/node.log"));
  const auto port = static_cast<std::uint16_t>(base + 1);
  ASSERT_TRUE(LocalNetwork::WaitUntil(
      [&] { return testutil::HttpCall("127.0.0.1", port, "GET", "/health", "").status == 200; },
      20000))
      << testutil::ReadFile(out + "/LEAD/node.log");
  const std::string call = R"({"jsonrpc":"2.0","id":1,"method":"getBlockNumber"})";
  EXPECT_EQ(testutil::HttpCall("127.0.0.1", port, "POST", "/", call).status, 401);
  EXPECT_EQ(testutil::HttpCall("127.0.0.1", port, "POST", "/", call, tokens[1]).status, 401)
      << "another node's token opens this one";
  EXPECT_EQ(testutil::HttpCall("127.0.0.1", port, "POST", "/", call, tokens[0]).status, 200);
  EXPECT_EQ(testutil::HttpCall("127.0.0.1", port, "GET", "/metrics", "").status, 401);
  EXPECT_EQ(testutil::HttpCall("127.0.0.1", port, "GET", "/metrics", "", tokens[0]).status, 200);

  const std::string cli =
      std::string(COLEND_CLI_PATH) + " call --rpc http://127.0.0.1:" + std::to_string(port);
  testutil::RunResult called =
      RunCommand(cli + " --token-file " + out + "/LEAD/rpc.token getBlockNumber");
  EXPECT_EQ(called.exit_code, 0) << called.output;
  EXPECT_NE(RunCommand(cli + " getBlockNumber").exit_code, 0);  // no token: 401
  const std::string loose = dir.Path("loose.token");
  testutil::WriteFile(loose, tokens[0] + "\n");
  fs::permissions(loose, kOwnerRw | fs::perms::group_read | fs::perms::others_read,
                  fs::perm_options::replace);
  called = RunCommand(cli + " --token-file " + loose + " getBlockNumber");
  EXPECT_NE(called.exit_code, 0);
  EXPECT_NE(called.output.find("has mode 0644"), std::string::npos) << called.output;
  EXPECT_NE(called.output.find("chmod 600 " + loose), std::string::npos) << called.output;
  lead.Signal(SIGTERM);

  // A key file others can read: the node does not start, and says what to run.
  const std::string key = out + "/PARTNER_A/node.key.pem";
  fs::permissions(key, kOwnerRw | fs::perms::group_read | fs::perms::others_read,
                  fs::perm_options::replace);
  const testutil::RunResult refused =
      RunCommand("timeout 20 " + node_binary + " --config " + out + "/PARTNER_A/node.toml");
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  EXPECT_NE(refused.output.find("p2p.node_key_file: " + key + " has mode 0644"), std::string::npos)
      << refused.output;
  EXPECT_NE(refused.output.find("chmod 600 " + key), std::string::npos) << refused.output;
}

// Without --localnet the network is meant for the banks' machines: tokens always.
TEST(NetgenE2eTest, ANetworkForRealMachinesAlwaysGetsTokens) {
  testutil::ScratchDir dir("colend-netgen-remote");
  const std::string out = dir.Path("net");
  const testutil::RunResult r =
      RunCommand(std::string(COLEND_NETGEN_PATH) + " --banks LEAD,PARTNER_A --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(Mode(out + "/LEAD/rpc.token"), kOwnerRw);
  EXPECT_NE(testutil::ReadFile(out + "/LEAD/rpc.token"),
            testutil::ReadFile(out + "/PARTNER_A/rpc.token"));
}

class ToolsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    net_ = LocalNetwork::Create(scratch_.Path("a"), kBanks, "", &error);
    ASSERT_NE(net_, nullptr) << error;
    ASSERT_TRUE(net_->StartAll());
  }

  std::string Rpc(std::size_t i) const {
    return "http://127.0.0.1:" + std::to_string(net_->bank(i).rpc_port);
  }
  std::string Key(std::size_t i) const { return net_->bank(i).client_key_file; }
  std::string Cli() const { return COLEND_CLI_PATH; }

  testutil::ScratchDir scratch_{"colend-tools-e2e"};
  std::unique_ptr<LocalNetwork> net_;
};

TEST_F(ToolsE2eTest, CliSignsSendsWaitsAndQueries) {
  const std::string day = scratch_.Path("day.jsonl");
  testutil::WriteFile(day,
                      R"({"type":"ProposeAgreement","signer":"LEAD","id":"p-1","agreement_id":"AG-1","currency":"CNY","shares":{"LEAD":2000,"PARTNER_A":8000},"service_fee_bp":1500})"
                      "\n");
  testutil::RunResult r = RunCommand(Cli() + " send --rpc " + Rpc(0) + " --key " + Key(0) +
                                     " --wait " + day);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("p-1\tok"), std::string::npos) << r.output;

  // Stdin, another node, the partner's key.
  r = RunCommand("echo '{\"type\":\"AcceptAgreement\",\"signer\":\"PARTNER_A\",\"id\":\"a-1\","
                 "\"agreement_id\":\"AG-1\"}' | " +
                 Cli() + " send --rpc " + Rpc(1) + " --key " + Key(1) + " --wait -");
  ASSERT_EQ(r.exit_code, 0) << r.output;

  std::string loans;
  for (int i = 1; i <= 5; ++i) {
    loans += R"({"type":"OriginateLoan","signer":"LEAD","id":"L-)" + std::to_string(i) +
             R"(","agreement_id":"AG-1","loan_id":"L-)" + std::to_string(i) +
             R"(","borrower_ref":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","principal":"800000","annual_rate_bp":1800,"term_months":12,"value_date":"2026-11-21"})"
             "\n";
  }
  testutil::WriteFile(day, loans);
  r = RunCommand(Cli() + " send --json --rpc " + Rpc(2) + " --key " + Key(0) + " --wait " + day);
  ASSERT_EQ(r.exit_code, 0) << r.output;

  // A contract rejection is exit 1 with the code; a key that is not the signer's is refused.
  testutil::WriteFile(day, R"({"type":"RecordRepayment","signer":"LEAD","id":"R-x","loan_id":"L-1","principal":"900000","interest":"0","value_date":"2026-12-21"})");
  r = RunCommand(Cli() + " send --rpc " + Rpc(0) + " --key " + Key(0) + " --wait " + day);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("OVERPAYMENT"), std::string::npos) << r.output;
  testutil::WriteFile(day, R"({"type":"ChargeOff","signer":"LEAD","id":"C-x","loan_id":"L-2","value_date":"2027-04-01"})");
  r = RunCommand(Cli() + " send --rpc " + Rpc(0) + " --key " + Key(1) + " " + day);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("-32001"), std::string::npos) << r.output;

  // Positions as of this height, kept by the store's versioned records.
  const boost::json::value before = net_->Result(0, "getPositions");
  ASSERT_TRUE(before.is_object());
  const std::uint64_t height_before = before.at("height").to_number<std::uint64_t>();

  // The shortcut: decimal amounts, converted exactly; a sixth loan of 8,000.00.
  r = RunCommand(Cli() + " loan originate --rpc " + Rpc(3) + " --key " + Key(0) +
                 " --signer LEAD --agreement AG-1 --loan-id L-6 --principal 8000.00 --rate-bp 1800"
                 " --term-months 12 --value-date 2026-11-21 --borrower-ref "
                 "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 --wait");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = RunCommand(Cli() + " loan repay --rpc " + Rpc(3) + " --key " + Key(0) +
                 " --signer LEAD --id R-6 --loan-id L-6 --principal 666.67 --interest 120"
                 " --value-date 2026-12-21 --wait");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = RunCommand(Cli() + " loan repay --rpc " + Rpc(3) + " --key " + Key(0) +
                 " --signer LEAD --id R-7 --loan-id L-6 --principal 1.005 --value-date 2026-12-21");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("never rounded"), std::string::npos) << r.output;
  r = RunCommand(Cli() + " loan L-6 --json --rpc " + Rpc(1), true);
  EXPECT_NE(r.stdout_text.find("\"outstanding\":\"586666\""), std::string::npos) << r.stdout_text;

  // Every node answers getPositions at the earlier height with what was current then, and
  // the current positions moved on.
  for (std::size_t i = 0; i < net_->size(); ++i) {
    const boost::json::value then = net_->Result(
        i, "getPositions", boost::json::object{{"height", height_before}});
    ASSERT_TRUE(then.is_object()) << i;
    EXPECT_EQ(then.at("positions"), before.at("positions")) << i;
  }
  const boost::json::value now = net_->Result(0, "getPositions");
  EXPECT_NE(now.at("positions"), before.at("positions"));
  const boost::json::value future = net_->Rpc(
      0, "getPositions", boost::json::object{{"height", height_before + 1000}});
  EXPECT_EQ(future.at("error").at("code").to_number<int>(), -32002) << boost::json::serialize(future);

  // Queries: the positions table and its JSON agree with the loans (6 x 6,400.00 funded,
  // PARTNER_A's 533.34 of principal and 96.00 of interest repaid).
  r = RunCommand(Cli() + " positions --rpc " + Rpc(3), true);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.stdout_text.find("funding -38,400.00"), std::string::npos) << r.stdout_text;
  r = RunCommand(Cli() + " positions --json --bank PARTNER_A --rpc " + Rpc(1), true);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const boost::json::value positions = boost::json::parse(r.stdout_text);
  EXPECT_EQ(positions.at("positions").as_array().size(), 1u);
  r = RunCommand(Cli() + " loan L-3 --json --rpc " + Rpc(2), true);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.stdout_text.find("\"principal\":\"800000\""), std::string::npos) << r.stdout_text;
  r = RunCommand(Cli() + " loan L-3 --rpc " + Rpc(2), true);  // for people: a table
  EXPECT_NE(r.stdout_text.find("principal                 8,000.00"), std::string::npos)
      << r.stdout_text;
  EXPECT_NE(r.stdout_text.find("PARTNER_A  8000      6,400.00"), std::string::npos) << r.stdout_text;
  r = RunCommand(Cli() + " peers --rpc " + Rpc(0), true);
  EXPECT_NE(r.stdout_text.find("PARTNER_C-1"), std::string::npos) << r.stdout_text;
  r = RunCommand(Cli() + " loan NOPE --rpc " + Rpc(2));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  r = RunCommand(Cli() + " call --rpc " + Rpc(0) + " getNodeInfo '{}'", true);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.stdout_text.find("\"node_id\":\"LEAD-1\""), std::string::npos);

  // A node that is not there: exit 2, with a sentence.
  r = RunCommand(Cli() + " status --rpc http://127.0.0.1:1");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = RunCommand(Cli() + " status --rpc not-a-url");
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

TEST_F(ToolsE2eTest, CliProposesVotesAndListsGovernance) {
  // LEAD proposes to revoke a certificate; with 4 members, 3 approvals pass it.
  const std::string fingerprint(64, 'e');
  testutil::RunResult r = RunCommand(
      Cli() + " governance propose --rpc " + Rpc(0) + " --key " + Key(0) +
      " --signer LEAD --proposal-id GP-1 --description 'leaked node key' --wait "
      "'{\"type\":\"RevokeCertificate\",\"fingerprint\":\"" + fingerprint +
      "\",\"reason\":\"node key leaked\"}'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("propose:GP-1\tok"), std::string::npos) << r.output;
  for (std::size_t i = 0; i < 3; ++i) {
    r = RunCommand(Cli() + " governance vote --rpc " + Rpc(i) + " --key " + Key(i) + " --signer " +
                   kBanks[i] + " GP-1 approve --wait");
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  r = RunCommand(Cli() + " governance vote --rpc " + Rpc(3) + " --key " + Key(3) +
                 " --signer PARTNER_C GP-1 approve --wait");
  EXPECT_EQ(r.exit_code, 1) << r.output;  // decided already
  EXPECT_NE(r.output.find("PROPOSAL_CLOSED"), std::string::npos) << r.output;

  r = RunCommand(Cli() + " governance list --status passed --rpc " + Rpc(1), true);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.stdout_text.find("GP-1"), std::string::npos) << r.stdout_text;
  EXPECT_NE(r.stdout_text.find("PASSED"), std::string::npos) << r.stdout_text;
  EXPECT_NE(r.stdout_text.find("3/0"), std::string::npos) << r.stdout_text;
  r = RunCommand(Cli() + " governance list --status open --rpc " + Rpc(1), true);
  EXPECT_NE(r.stdout_text.find("(none)"), std::string::npos) << r.stdout_text;
  r = RunCommand(Cli() + " call --rpc " + Rpc(2) + " getRevokedCertificates", true);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.stdout_text.find(fingerprint), std::string::npos) << r.stdout_text;

  r = RunCommand(Cli() + " validators --rpc " + Rpc(0), true);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.stdout_text.find("epoch 0: ordering from height 1"), std::string::npos)
      << r.stdout_text;
  EXPECT_NE(r.stdout_text.find("PARTNER_C-1"), std::string::npos) << r.stdout_text;
  r = RunCommand(Cli() + " validators --height 1 --json --rpc " + Rpc(0), true);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.stdout_text.find("\"epoch\":0"), std::string::npos) << r.stdout_text;
  r = RunCommand(Cli() + " validators --height 999999 --rpc " + Rpc(0));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("-32602"), std::string::npos) << r.output;
}

TEST_F(ToolsE2eTest, BenchReportsCommittedThroughputAndLatency) {
  const testutil::RunResult r =
      RunCommand(std::string(COLEND_BENCH_PATH) + " --network " + net_->root() +
                     "/network.json --rate 100 --duration 2 --preload 10 --json --quiet",
                 true);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const boost::json::value report = boost::json::parse(r.stdout_text);
  EXPECT_EQ(report.at("sent").to_number<std::uint64_t>(), 200u);
  EXPECT_EQ(report.at("committed").to_number<std::uint64_t>(), 200u) << r.stdout_text;
  EXPECT_EQ(report.at("not_committed").to_number<std::uint64_t>(), 0u);
  EXPECT_EQ(report.at("rejected_by_contract").to_number<double>(), 0.0) << r.stdout_text;
  EXPECT_GT(report.at("committed_tps").to_number<double>(), 0.0);
  EXPECT_GT(report.at("latency_ms").at("p99").to_number<double>(), 0.0);
  EXPECT_GT(report.at("baseline_verify_per_s").to_number<double>(), 0.0);
  const testutil::RunResult bad =
      RunCommand(std::string(COLEND_BENCH_PATH) + " --network " + net_->root() +
                 "/network.json --mix 50,10,10");
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_EQ(RunCommand(std::string(COLEND_BENCH_PATH) + " --network " + net_->root() +
                       "/network.json --batch 1001")
                .exit_code,
            2);
}

// --batch: the same load in sendTransactions calls; every transaction still commits once.
// One sender at 2,000 tx/s: slots come faster than a call returns, so calls carry several.
TEST_F(ToolsE2eTest, BenchSendsInBulkWithSendTransactions) {
  const testutil::RunResult r =
      RunCommand(std::string(COLEND_BENCH_PATH) + " --network " + net_->root() +
                     "/network.json --rate 2000 --duration 0.5 --connections 1 --preload 10"
                     " --batch 50 --json --quiet",
                 true);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const boost::json::value report = boost::json::parse(r.stdout_text);
  EXPECT_EQ(report.at("sent").to_number<std::uint64_t>(), 1000u);
  EXPECT_EQ(report.at("admitted").to_number<std::uint64_t>(), 1000u) << r.stdout_text;
  EXPECT_EQ(report.at("committed").to_number<std::uint64_t>(), 1000u) << r.stdout_text;
  EXPECT_EQ(report.at("rejected_by_contract").to_number<double>(), 0.0) << r.stdout_text;
  // The sends went in bulk: fewer calls than transactions.
  const std::uint64_t calls = report.at("batch_calls").to_number<std::uint64_t>();
  EXPECT_GT(calls, 0u);
  EXPECT_LT(calls, report.at("send_calls").to_number<std::uint64_t>()) << r.stdout_text;
}

}  // namespace
}  // namespace colend::e2e
