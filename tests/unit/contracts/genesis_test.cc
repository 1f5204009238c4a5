// genesis.json: valid files of both suites with keys made here, the canonical writer and its
// round trip, the defaults, and one test per bad value, each reported by its JSON path.
#include "colend/testutil/json_test_util.h"
#include "colend/contracts/genesis.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "colend/common/bytes.h"
#include "colend/crypto/hash.h"
#include "colend/crypto/keys.h"

namespace colend::contracts {
namespace {

using crypto::CryptoSuite;
using crypto::PrivateKey;

constexpr std::string_view kCa =
    "-----BEGIN CERTIFICATE-----\nMIIBdummyCertificateForTests\n-----END CERTIFICATE-----\n";

PrivateKey NewKey(CryptoSuite suite) {
  Result<PrivateKey> key = PrivateKey::Generate(suite);
  EXPECT_TRUE(key.ok()) << key.status();
  return std::move(key).value();
}

std::string Pem(const PrivateKey& key) {
  return key.public_key().ToPem().value_or("");
}

std::string Der(const PrivateKey& key) {
  return ToString(key.public_key().ToDer().value_or(Bytes()));
}

std::string Quoted(std::string_view text) { return testutil::JsonQuoted(text); }

// Keys for one suite, made once per test suite (key generation is the slow part).
struct SuiteKeys {
  explicit SuiteKeys(CryptoSuite suite)
      : lead(NewKey(suite)),
        lead_second(NewKey(suite)),
        partner(NewKey(suite)),
        lead_node(NewKey(suite)),
        partner_node(NewKey(suite)) {}
  PrivateKey lead;
  PrivateKey lead_second;
  PrivateKey partner;
  PrivateKey lead_node;
  PrivateKey partner_node;
};

proto::ClientKey ClientKeyOf(const PrivateKey& key) {
  proto::ClientKey out;
  out.set_key_id(ToString(key.public_key().key_id()));
  out.set_public_key(Der(key));
  return out;
}

proto::Validator ValidatorOf(std::string node_id, std::string member_id, const PrivateKey& key) {
  proto::Validator out;
  out.set_node_id(std::move(node_id));
  out.set_member_id(std::move(member_id));
  out.set_public_key(Der(key));
  return out;
}

// Two members (LEAD with two keys and a tier-1 capital, PARTNER_A with one), one validator
// each, default consensus parameters and rules.
Genesis SampleGenesis(CryptoSuite suite, const SuiteKeys& keys) {
  Genesis g;
  g.chain_id = "colend-test-1";
  g.suite = suite;
  g.consortium_ca_pem = std::string(kCa);
  GenesisMember& lead = g.members.emplace_back();
  lead.id = "LEAD";
  lead.legal_name = "Lead Bank Co., Ltd.";
  lead.client_keys = {ClientKeyOf(keys.lead), ClientKeyOf(keys.lead_second)};
  lead.tier1_capital = Amount::FromMinor(100'000'000'000);
  GenesisMember& partner = g.members.emplace_back();
  partner.id = "PARTNER_A";
  partner.legal_name = "合作银行 A";
  partner.client_keys = {ClientKeyOf(keys.partner)};
  g.validators = {ValidatorOf("LEAD-1", "LEAD", keys.lead_node),
                  ValidatorOf("PARTNER_A-1", "PARTNER_A", keys.partner_node)};
  return g;
}

class GenesisTest : public ::testing::TestWithParam<CryptoSuite> {
 protected:
  static void SetUpTestSuite() {
    standard_keys_ = std::make_unique<SuiteKeys>(CryptoSuite::Standard());
    sm_keys_ = std::make_unique<SuiteKeys>(CryptoSuite::Sm());
  }
  static void TearDownTestSuite() {
    standard_keys_.reset();
    sm_keys_.reset();
  }

  CryptoSuite suite() const { return GetParam(); }
  const SuiteKeys& keys() const {
    return suite() == CryptoSuite::Standard() ? *standard_keys_ : *sm_keys_;
  }
  const SuiteKeys& other_keys() const {
    return suite() == CryptoSuite::Standard() ? *sm_keys_ : *standard_keys_;
  }
  Genesis Sample() const { return SampleGenesis(suite(), keys()); }
  std::string SampleJson() const { return GenesisToJson(Sample()); }

  // The sample file with `from` replaced by `to` (which must occur in it).
  std::string Edited(std::string_view from, std::string_view to) const {
    std::string json = SampleJson();
    const std::size_t at = json.find(from);
    EXPECT_NE(at, std::string::npos) << "no " << from << " in\n" << json;
    if (at != std::string::npos) json.replace(at, from.size(), to);
    return json;
  }

  static void ExpectRejected(const std::string& json, std::string_view expected) {
    const Result<Genesis> genesis = ParseGenesis(json);
    ASSERT_FALSE(genesis.ok()) << json;
    EXPECT_EQ(genesis.status().code(), StatusCode::kInvalidArgument) << genesis.status();
    EXPECT_NE(genesis.status().message().find(expected), std::string::npos)
        << "message: " << genesis.status().message() << "\nexpected to contain: " << expected;
  }

  static std::unique_ptr<SuiteKeys> standard_keys_;
  static std::unique_ptr<SuiteKeys> sm_keys_;
};

std::unique_ptr<SuiteKeys> GenesisTest::standard_keys_;
std::unique_ptr<SuiteKeys> GenesisTest::sm_keys_;

INSTANTIATE_TEST_SUITE_P(BothSuites, GenesisTest,
                         ::testing::Values(CryptoSuite::Standard(), CryptoSuite::Sm()),
                         [](const auto& param_info) {
                           return std::string(param_info.param.name());
                         });

// --- Valid files --------------------------------------------------------------------------

TEST_P(GenesisTest, HandWrittenMinimalFileParsesWithDefaults) {
  const std::string json = R"({
    "chain_id": "colend-test-1",
    "crypto_suite": ")" + std::string(suite().name()) +
                           R"(",
    "consortium_ca": )" + Quoted(kCa) +
                           R"(,
    "members": [
      {"id": "LEAD", "legal_name": "Lead Bank", "client_keys": [{"public_key": )" +
                           Quoted(Pem(keys().lead)) + R"(}]},
      {"id": "PARTNER_A", "legal_name": "Partner A", "client_keys": [{"key_id": ")" +
                           keys().partner.public_key().KeyIdHex() + R"(", "public_key": )" +
                           Quoted(Pem(keys().partner)) + R"(}], "tier1_capital": "5"}
    ],
    "validators": [
      {"node_id": "LEAD-1", "member_id": "LEAD", "public_key": )" +
                           Quoted(Pem(keys().lead_node)) + R"(}
    ]
  })";
  const Result<Genesis> genesis = ParseGenesis(json);
  ASSERT_TRUE(genesis.ok()) << genesis.status();
  EXPECT_EQ(genesis->chain_id, "colend-test-1");
  EXPECT_EQ(genesis->suite, suite());
  EXPECT_EQ(genesis->consortium_ca_pem, kCa);
  ASSERT_EQ(genesis->members.size(), 2u);
  const GenesisMember& lead = genesis->members[0];
  EXPECT_EQ(lead.id, "LEAD");
  EXPECT_EQ(lead.legal_name, "Lead Bank");
  ASSERT_EQ(lead.client_keys.size(), 1u);
  EXPECT_EQ(ToBytes(lead.client_keys[0].key_id()), keys().lead.public_key().key_id());
  EXPECT_EQ(lead.client_keys[0].public_key(), Der(keys().lead));
  EXPECT_FALSE(lead.tier1_capital.has_value());
  EXPECT_EQ(genesis->members[1].tier1_capital, Amount::FromMinor(5));
  ASSERT_EQ(genesis->validators.size(), 1u);
  EXPECT_EQ(genesis->validators[0].node_id(), "LEAD-1");
  EXPECT_EQ(genesis->validators[0].public_key(), Der(keys().lead_node));
  EXPECT_EQ(genesis->consensus, ConsensusParams());
  EXPECT_EQ(genesis->network_rules, NetworkRules());
  const crypto::Digest digest = crypto::Hash(suite().hash(), AsBytes(json));
  EXPECT_EQ(genesis->genesis_hash, Bytes(digest.begin(), digest.end()));
}

TEST_P(GenesisTest, WriterOutputParsesBackToTheSameGenesis) {
  const Genesis sample = Sample();
  const std::string json = GenesisToJson(sample);
  const Result<Genesis> parsed = ParseGenesis(json);
  ASSERT_TRUE(parsed.ok()) << parsed.status() << "\n" << json;
  EXPECT_TRUE(*parsed == sample);
  EXPECT_EQ(GenesisToJson(*parsed), json);  // canonical: a fixed point
  EXPECT_EQ(parsed->genesis_hash.size(), 32u);
  EXPECT_TRUE(sample.genesis_hash.empty());  // operator== ignores the hash
}

TEST_P(GenesisTest, ExplicitConsensusParametersAndRules) {
  Genesis sample = Sample();
  sample.consensus = ConsensusParams{1, 1024, 1, 10, 1'000'000, 1024, 100'000'000, 0};
  sample.network_rules.min_funder_bp = 3000;
  const std::string json = GenesisToJson(sample);
  EXPECT_NE(json.find(R"("min_funder_bp": 3000)"), std::string::npos) << json;
  const Result<Genesis> parsed = ParseGenesis(json);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->consensus, sample.consensus);
  EXPECT_EQ(parsed->network_rules.min_funder_bp, 3000);
  EXPECT_TRUE(*parsed == sample);
}

TEST_P(GenesisTest, SameContentDifferentBytesHasADifferentHash) {
  const std::string json = SampleJson();
  const Result<Genesis> a = ParseGenesis(json);
  const Result<Genesis> b = ParseGenesis(json + "\n");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(*a == *b);
  EXPECT_NE(a->genesis_hash, b->genesis_hash);
}

// --- Errors, each named by its path ---------------------------------------------------------

TEST_P(GenesisTest, TopLevelErrors) {
  ExpectRejected("[]", "expected an object, got array");
  ExpectRejected(SampleJson() + "}", "invalid JSON");
  ExpectRejected(Edited(R"("chain_id": "colend-test-1")", R"("chain_id": "colend test")"),
                 R"(chain_id: expected 1-64 letters, digits, '.', '_' or '-', got "colend test")");
  ExpectRejected(Edited(R"("chain_id": "colend-test-1",)", ""),
                 "chain_id: required field is missing");
  ExpectRejected(Edited(R"("crypto_suite": ")", R"("crypto_suite": "X)"),
                 R"(crypto_suite: expected "standard" or "sm", got "X)");
  ExpectRejected(Edited(R"("consortium_ca": "-----BEGIN CERTIFICATE-----)",
                        R"("consortium_ca": "-----BEGIN CERT-----)"),
                 "consortium_ca: expected a PEM certificate");
  ExpectRejected(Edited(R"("chain_id")", R"("colour": 1, "chain_id")"), "colour: unknown field");
  ExpectRejected(Edited(R"("chain_id")", R"("chain_id": "a", "chain_id")"),
                 "chain_id: duplicate key");
}

TEST_P(GenesisTest, MemberErrors) {
  const std::string partner_id = R"("id": "PARTNER_A")";
  ExpectRejected(
      Edited(partner_id, R"("id": "partner_a")"),
      R"(members[1].id: expected a member id of 1-32 upper-case letters, digits or '_', got "partner_a")");
  ExpectRejected(Edited(partner_id, R"("id": ")" + std::string(33, 'A') + "\""),
                 "members[1].id: expected a member id");
  ExpectRejected(Edited(partner_id, R"("id": "LEAD")"),
                 R"(members[1].id: "LEAD" is already the id of members[0])");
  ExpectRejected(Edited(partner_id, partner_id + R"(, "id": "B")"), "members[1].id: duplicate key");
  ExpectRejected(Edited(R"("legal_name": "Lead Bank Co., Ltd.")", R"("legal_name": "")"),
                 "members[0].legal_name: must not be empty");
  ExpectRejected(Edited(R"("tier1_capital": "100000000000")", R"("tier1_capital": 100000000000)"),
                 "members[0].tier1_capital: expected a string of integer minor units, got number");
  ExpectRejected(Edited(R"("tier1_capital": "100000000000")", R"("tier1_capital": "0")"),
                 "members[0].tier1_capital: must be positive");
  ExpectRejected(
      Edited(R"("tier1_capital": "100000000000")", R"("tier1_capital": "1000.00")"),
      R"(members[0].tier1_capital: expected a string of integer minor units, got "1000.00")");
  ExpectRejected(
      Edited(R"("legal_name": "Lead Bank Co., Ltd.")", R"("legal_name": "L", "bic": "X")"),
      "members[0].bic: unknown field");
  ExpectRejected(Edited(R"("members": [)", R"("members": [], "x": [)"),
                 "members: must list at least one");
  ExpectRejected(Edited(R"("members": [)", R"("members": {}, "x": [)"),
                 "members: expected an array, got object");
}

TEST_P(GenesisTest, ClientKeyErrors) {
  const std::string lead_id = keys().lead.public_key().KeyIdHex();
  const std::string second_id = keys().lead_second.public_key().KeyIdHex();
  ExpectRejected(
      Edited(lead_id, second_id),
      "members[0].client_keys[0].key_id: does not match the public key, whose key id is " +
          lead_id);
  ExpectRejected(Edited(lead_id, "00"),
                 "members[0].client_keys[0].key_id: expected a string of 32 hex digits");
  // The second key replaced by the first: the same key twice.
  std::string json = SampleJson();
  const std::string second_pem = Quoted(Pem(keys().lead_second));
  const std::string first_pem = Quoted(Pem(keys().lead));
  json.replace(json.find(second_pem), second_pem.size(), first_pem);
  json.replace(json.find(second_id), second_id.size(), lead_id);
  ExpectRejected(json, "members[0].client_keys[1]: same key as members[0].client_keys[0]");
  // A key of the other suite.
  const std::string partner_pem = Quoted(Pem(keys().partner));
  json = SampleJson();
  json.replace(json.find(partner_pem), partner_pem.size(), Quoted(Pem(other_keys().partner)));
  const std::string partner_key_id = keys().partner.public_key().KeyIdHex();
  json.replace(json.find(partner_key_id), partner_key_id.size(),
               other_keys().partner.public_key().KeyIdHex());
  ExpectRejected(json, suite() == CryptoSuite::Standard()
                           ? "members[1].client_keys[0].public_key: not a P-256 public key"
                           : "members[1].client_keys[0].public_key: not an SM2 public key");
  ExpectRejected(Edited(partner_pem, R"("not a key")"),
                 "members[1].client_keys[0].public_key: not a");
  ExpectRejected(Edited(R"("client_keys": [)", R"("client_keys": [], "x": [)"),
                 "members[0].client_keys: must list at least one");
  ExpectRejected(Edited(R"("key_id": ")" + lead_id, R"("algorithm": "ec", "key_id": ")" + lead_id),
                 "members[0].client_keys[0].algorithm: unknown field");
}

TEST_P(GenesisTest, ValidatorErrors) {
  ExpectRejected(Edited(R"("node_id": "PARTNER_A-1")", R"("node_id": "A-1")"),
                 R"(validators[1].node_id: "A-1" does not sort after "LEAD-1")");
  ExpectRejected(Edited(R"("node_id": "PARTNER_A-1")", R"("node_id": "LEAD-1")"),
                 R"(validators[1].node_id: "LEAD-1" does not sort after "LEAD-1")");
  ExpectRejected(
      Edited(R"("node_id": "PARTNER_A-1")", R"("node_id": "node 2")"),
      R"(validators[1].node_id: expected 1-64 letters, digits, '.', '_' or '-', got "node 2")");
  ExpectRejected(Edited(R"("member_id": "PARTNER_A")", R"("member_id": "PARTNER_B")"),
                 R"(validators[1].member_id: no member "PARTNER_B" in members)");
  const std::string lead_node = Quoted(Pem(keys().lead_node));
  const std::string partner_node = Quoted(Pem(keys().partner_node));
  ExpectRejected(Edited(partner_node, lead_node),
                 "validators[1].public_key: same key as validators[0]");
  ExpectRejected(Edited(partner_node, Quoted(Pem(other_keys().partner_node))),
                 "validators[1].public_key: not a");
  ExpectRejected(Edited(R"("validators": [)", R"("validators": [], "x": [)"),
                 "validators: must list at least one");
  ExpectRejected(Edited(R"("node_id": "LEAD-1")", R"("node_id": "LEAD-1", "port": 1)"),
                 "validators[0].port: unknown field");
}

TEST_P(GenesisTest, ConsensusAndRuleErrors) {
  ExpectRejected(Edited(R"("max_block_txs": 2000)", R"("max_block_txs": 0)"),
                 "consensus.max_block_txs: expected an integer from 1 to 1000000, got number 0");
  ExpectRejected(
      Edited(R"("max_block_bytes": 4194304)", R"("max_block_bytes": "4MB")"),
      R"(consensus.max_block_bytes: expected an integer from 1024 to 67108864, got "4MB")");
  ExpectRejected(Edited(R"("batch_timeout_ms": 200)", R"("batch_timeout_ms": 2.5)"),
                 "consensus.batch_timeout_ms: expected an integer from 1 to 60000, got number 2.5");
  ExpectRejected(
      Edited(R"("watermark_window": 400)", R"("watermark_window": 99)"),
      "consensus.watermark_window: expected an integer from 100 to 100000000, got number 99");
  ExpectRejected(
      Edited(R"("max_clock_drift_ms": 1000)", R"("max_clock_drift_ms": -1)"),
      "consensus.max_clock_drift_ms: expected an integer from 0 to 3600000, got number -1");
  ExpectRejected(Edited(R"("execution_lag": 1)", R"("execution_lag": 1, "round_robin": true)"),
                 "consensus.round_robin: unknown field");
  ExpectRejected(
      Edited(R"("min_funder_bp": 0)", R"("min_funder_bp": 10001)"),
      "network_rules.min_funder_bp: min_funder_bp must be from 0 to 10000 basis points, got 10001");
  ExpectRejected(Edited(R"("min_funder_bp": 0)", R"("min_funder_bp": "3000")"),
                 R"(network_rules.min_funder_bp: expected a 64-bit signed integer, got "3000")");
  ExpectRejected(Edited(R"("min_funder_bp": 0)", R"("min_funder_bp": 0, "max_partners": 3)"),
                 R"(network_rules.max_partners: unknown network rule "max_partners")");

  // An omitted watermark_window keeps its default, which must still cover the period.
  std::string json = Edited(R"("checkpoint_period": 100)", R"("checkpoint_period": 1000)");
  const std::string window = R"("watermark_window": 400,)";
  json.erase(json.find(window), window.size());
  ExpectRejected(json, "consensus.watermark_window: the default 400 is below checkpoint_period");
}

TEST_P(GenesisTest, GarbageAndTruncationsNeverCrash) {
  const std::string json = SampleJson();
  for (std::size_t length = 0; length < json.size(); length += 7) {
    EXPECT_FALSE(ParseGenesis(std::string_view(json).substr(0, length)).ok()) << length;
  }
  ExpectRejected(std::string(100'000, '['), "invalid JSON");
  ExpectRejected(std::string(kMaxGenesisJsonBytes + 1, ' '), "at most");
}

// --- NetworkRules -------------------------------------------------------------------------

TEST(NetworkRulesTest, KnownRulesAndRanges) {
  EXPECT_TRUE(NetworkRules::Check("min_funder_bp", 0).ok());
  EXPECT_TRUE(NetworkRules::Check("min_funder_bp", 10'000).ok());
  EXPECT_EQ(NetworkRules::Check("min_funder_bp", -1).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(NetworkRules::Check("min_funder_bp", 10'001).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(NetworkRules::Check("MIN_FUNDER_BP", 0).code(), StatusCode::kInvalidArgument);
  NetworkRules rules;
  EXPECT_TRUE(rules.Set("min_funder_bp", 3000).ok());
  EXPECT_EQ(rules.min_funder_bp, 3000);
  EXPECT_FALSE(rules.Set("min_funder_bp", 20'000).ok());
  EXPECT_EQ(rules.min_funder_bp, 3000);
}

}  // namespace
}  // namespace colend::contracts
