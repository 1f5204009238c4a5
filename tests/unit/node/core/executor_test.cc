// The node's executor: committed blocks through the contracts, receipts and roots.
#include "colend/node/executor.h"

#include <gtest/gtest.h>

#include "colend/contracts/apply.h"
#include "colend/contracts/records.h"
#include "colend/contracts/tx_decode.h"
#include "colend/contracts/tx_json.h"
#include "colend/crypto/keys.h"
#include "colend/crypto/merkle.h"
#include "colend/proto/tx.pb.h"
#include "event_parties.h"

namespace colend::node {
namespace {

constexpr char kChain[] = "colend-test-1";

struct Bank {
  std::string id;
  crypto::PrivateKey key;
};

class ExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    contracts::InitialState initial;
    for (const char* id : {"LEAD", "PARTNER_A"}) {
      crypto::PrivateKey key = crypto::PrivateKey::Generate(crypto::CryptoSuite::Standard()).value();
      contracts::InitialMember member;
      member.id = id;
      member.legal_name = std::string(id) + " Bank";
      proto::ClientKey client;
      const Bytes& key_id = key.public_key().key_id();
      client.set_key_id(std::string(key_id.begin(), key_id.end()));
      const Bytes der = key.public_key().ToDer().value();
      client.set_public_key(std::string(der.begin(), der.end()));
      member.client_keys.push_back(client);
      initial.members.push_back(member);
      banks_.push_back(Bank{id, std::move(key)});
    }
    genesis_ = contracts::BuildInitialState(initial).value();
  }

  std::string Signed(std::size_t bank, const std::string& json) {
    proto::TransactionBody body = contracts::TransactionBodyFromJson(json).value();
    body.set_chain_id(kChain);
    const Bytes tx = contracts::SignTransaction(body, banks_[bank].key).value();
    return std::string(tx.begin(), tx.end());
  }

  static proto::Block MakeBlock(std::uint64_t height, const std::vector<std::string>& txs,
                                proto::BlockHeader* header) {
    header->set_chain_id(kChain);
    header->set_height(height);
    header->set_timestamp_ms(1'800'000'000'000 + height);
    proto::Block block;
    header->SerializeToString(block.mutable_header());
    for (const std::string& tx : txs) block.add_transactions(tx);
    return block;
  }

  std::vector<Bank> banks_;
  contracts::WriteSet genesis_;
};

const char kPropose[] =
    R"({"type":"ProposeAgreement","signer":"LEAD","id":"p-1","agreement_id":"AG-1","currency":"CNY",)"
    R"("shares":{"LEAD":2000,"PARTNER_A":8000},"service_fee_bp":1500})";
const char kAccept[] =
    R"({"type":"AcceptAgreement","signer":"PARTNER_A","id":"a-1","agreement_id":"AG-1"})";
const char kOriginate[] =
    R"({"type":"OriginateLoan","signer":"LEAD","id":"L-1","agreement_id":"AG-1","loan_id":"L-1",)"
    R"("borrower_ref":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",)"
    R"("principal":"100000","annual_rate_bp":1800,"term_months":12,"value_date":"2026-11-21"})";

TEST_F(ExecutorTest, ExecutesABlockAndTwoExecutorsAgree) {
  Executor a(kChain, crypto::CryptoSuite::Standard());
  Executor b(kChain, crypto::CryptoSuite::Standard());
  a.Load(genesis_, 0);
  b.Load(genesis_, 0);
  EXPECT_EQ(a.state_root(), b.state_root());

  proto::BlockHeader header;
  const proto::Block block = MakeBlock(1, {Signed(0, kPropose), Signed(1, kAccept)}, &header);
  ExecutedBlock ea = a.Execute(block, header).value();
  ExecutedBlock eb = b.Execute(block, header).value();
  ASSERT_EQ(ea.receipts.size(), 2u);
  EXPECT_EQ(ea.receipts[0].status(), proto::RECEIPT_STATUS_OK) << ea.receipts[0].message();
  EXPECT_EQ(ea.receipts[1].status(), proto::RECEIPT_STATUS_OK) << ea.receipts[1].message();
  EXPECT_EQ(ea.accepted, 2u);
  EXPECT_EQ(ea.receipts_root, eb.receipts_root);
  EXPECT_EQ(ea.tx_hashes, eb.tx_hashes);
  EXPECT_EQ(ea.tx_hashes[0].size(), 32u);
  // The receipts as the root hashed them, which the store keeps.
  ASSERT_EQ(ea.encoded_receipts.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(ea.encoded_receipts[i], ea.receipts[i].SerializeAsString()) << i;
  }
  EXPECT_EQ(ea.receipts_root, ReceiptsRoot(crypto::HashAlgorithm::kSha256, ea.receipts));
  EXPECT_EQ(ea.receipts_root, EncodedReceiptsRoot(crypto::HashAlgorithm::kSha256,
                                                  ea.encoded_receipts));

  // Execute changes nothing; Apply does, and gives both the same root.
  const crypto::Digest before = a.state_root();
  EXPECT_EQ(a.height(), 0u);
  a.Apply(ea);
  b.Apply(eb);
  EXPECT_NE(a.state_root(), before);
  EXPECT_EQ(a.state_root(), b.state_root());
  EXPECT_EQ(ea.state_root, a.state_root());
  EXPECT_EQ(a.height(), 1u);
  std::string agreement;
  EXPECT_TRUE(a.state().Get(contracts::keys::Agreement("AG-1"), &agreement));
}

// The same signed bytes committed again are a replay: DUPLICATE, flagged so the store keeps
// the tx-hash index at the first copy. Another body under a used id is a DUPLICATE too, but
// not a replay (its hash was never indexed).
TEST_F(ExecutorTest, FlagsReplaysOfCommittedBytes) {
  Executor executor(kChain, crypto::CryptoSuite::Standard());
  executor.Load(genesis_, 0);
  const std::string propose = Signed(0, kPropose);
  proto::BlockHeader h1;
  ExecutedBlock first = executor.Execute(MakeBlock(1, {propose, propose}, &h1), h1).value();
  EXPECT_EQ(first.replays, (std::vector<bool>{false, true}));
  EXPECT_EQ(first.receipts[1].code(), "DUPLICATE");
  executor.Apply(first);

  std::string other = kPropose;
  other.replace(other.find("1500"), 4, "1400");  // same (signer, id), another body
  proto::BlockHeader h2;
  ExecutedBlock second =
      executor.Execute(MakeBlock(2, {propose, Signed(0, other), std::string("\x01", 1)}, &h2), h2)
          .value();
  EXPECT_EQ(second.receipts[0].code(), "DUPLICATE");
  EXPECT_EQ(second.receipts[1].code(), "DUPLICATE");
  EXPECT_EQ(second.replays, (std::vector<bool>{true, false, false}));
}

// Bytes this node decoded strictly before (verified lookup) are parsed without the strict
// checks again: the block's receipts, hashes, writes and roots must be the same.
TEST_F(ExecutorTest, DecodingCheckedBytesAgainGivesTheSameBlock) {
  Executor strict(kChain, crypto::CryptoSuite::Standard());
  Executor checked(kChain, crypto::CryptoSuite::Standard());
  strict.Load(genesis_, 0);
  checked.Load(genesis_, 0);
  std::size_t looked_up = 0;
  checked.SetVerifiedLookup([&](std::string_view) {
    ++looked_up;
    return true;
  });
  proto::BlockHeader header;
  const proto::Block block =
      MakeBlock(1, {Signed(0, kPropose), Signed(1, kAccept), Signed(1, kAccept)}, &header);
  ExecutedBlock a = strict.Execute(block, header).value();
  ExecutedBlock b = checked.Execute(block, header).value();
  EXPECT_EQ(looked_up, 3u);
  EXPECT_EQ(a.tx_hashes, b.tx_hashes);
  EXPECT_EQ(a.receipts_root, b.receipts_root);
  EXPECT_EQ(a.writes, b.writes);
  EXPECT_EQ(a.replays, b.replays);
  strict.Apply(a);
  checked.Apply(b);
  EXPECT_EQ(strict.state_root(), checked.state_root());
}

TEST_F(ExecutorTest, UndecodableAndRejectedTransactionsGetReceipts) {
  Executor executor(kChain, crypto::CryptoSuite::Standard());
  executor.Load(genesis_, 0);
  proto::BlockHeader header;
  const proto::Block block =
      MakeBlock(1, {std::string("\x01\x02garbage", 9), Signed(1, kAccept)}, &header);
  ExecutedBlock executed = executor.Execute(block, header).value();
  ASSERT_EQ(executed.receipts.size(), 2u);
  EXPECT_EQ(executed.receipts[0].status(), proto::RECEIPT_STATUS_REJECTED);
  EXPECT_EQ(executed.receipts[0].code(), "MALFORMED");
  EXPECT_TRUE(executed.tx_hashes[0].empty());
  // Accepting an agreement nobody proposed is a contract rejection with its own code.
  EXPECT_EQ(executed.receipts[1].status(), proto::RECEIPT_STATUS_REJECTED);
  EXPECT_FALSE(executed.receipts[1].code().empty());
  EXPECT_EQ(executed.accepted, 0u);
}

// A transaction whose signature the node did not verify before (its key was unknown to the
// proposal check) is verified at execution against the key the state holds: a forgery gets
// a BAD_SIGNATURE receipt and changes nothing, a valid one executes. Those already verified
// are not verified again.
TEST_F(ExecutorTest, VerifiesWhatTheNodeHasNotVerifiedYet) {
  Executor executor(kChain, crypto::CryptoSuite::Standard());
  executor.Load(genesis_, 0);
  std::string forged = Signed(0, kPropose);
  proto::SignedTransaction envelope;
  ASSERT_TRUE(envelope.ParseFromString(forged));
  std::string signature = envelope.signature();
  signature[signature.size() / 2] ^= 0x01;
  envelope.set_signature(signature);
  forged = envelope.SerializeAsString();
  const std::string good = Signed(0, kPropose);
  std::vector<std::string> asked;
  executor.SetVerifiedLookup([&](std::string_view tx) {
    asked.emplace_back(tx);
    return false;  // nothing verified before
  });
  proto::BlockHeader header;
  const proto::Block block = MakeBlock(1, {forged, good}, &header);
  ExecutedBlock executed = executor.Execute(block, header).value();
  ASSERT_EQ(executed.receipts.size(), 2u);
  EXPECT_EQ(executed.receipts[0].code(), "BAD_SIGNATURE") << executed.receipts[0].message();
  // The forgery left no (signer, id) behind: the genuine transaction with that id executes.
  EXPECT_EQ(executed.receipts[1].status(), proto::RECEIPT_STATUS_OK) << executed.receipts[1].message();
  EXPECT_EQ(asked.size(), 2u);

  // Marked verified: the executor trusts the node's earlier check of those exact bytes.
  Executor trusting(kChain, crypto::CryptoSuite::Standard());
  trusting.Load(genesis_, 0);
  trusting.SetVerifiedLookup([](std::string_view) { return true; });
  ExecutedBlock trusted = trusting.Execute(block, header).value();
  EXPECT_EQ(trusted.receipts[0].status(), proto::RECEIPT_STATUS_OK);
}

TEST_F(ExecutorTest, RefusesABlockAtTheWrongHeight) {
  Executor executor(kChain, crypto::CryptoSuite::Standard());
  executor.Load(genesis_, 0);
  proto::BlockHeader header;
  const proto::Block block = MakeBlock(2, {Signed(0, kPropose)}, &header);
  EXPECT_EQ(executor.Execute(block, header).status().code(), StatusCode::kFailedPrecondition);
}

TEST(ReceiptsRootTest, IsTheMerkleRootOfTheSerialisedReceipts) {
  proto::Receipt r;
  r.set_tx_hash(std::string(32, 'a'));
  r.set_status(proto::RECEIPT_STATUS_OK);
  const std::string encoded = r.SerializeAsString();
  const crypto::Digest leaf = crypto::Hash(crypto::HashAlgorithm::kSha256, AsBytes(encoded));
  const std::vector<Bytes> leaves = {Bytes(leaf.begin(), leaf.end())};
  EXPECT_EQ(ReceiptsRoot(crypto::HashAlgorithm::kSha256, {r}),
            crypto::MerkleRoot(crypto::HashAlgorithm::kSha256, std::span<const Bytes>(leaves)));
  EXPECT_EQ(ReceiptsRoot(crypto::HashAlgorithm::kSha256, {}),
            crypto::MerkleRoot(crypto::HashAlgorithm::kSha256, std::span<const Bytes>()));
}

// Each transaction's summary names who it concerns: its signer always, the parties of an
// accepted transaction's agreement or loan too, and nobody else for a rejection.
TEST_F(ExecutorTest, SummariesNameTheBanksEachTransactionConcerns) {
  Executor executor(kChain, crypto::CryptoSuite::Standard());
  executor.Load(genesis_, 0);
  const std::string refused =
      R"({"type":"AcceptAgreement","signer":"PARTNER_A","id":"a-9","agreement_id":"AG-NONE"})";
  proto::BlockHeader header;
  proto::Block block = MakeBlock(1, {Signed(0, kPropose), Signed(1, kAccept), Signed(0, kOriginate),
                                     Signed(1, refused), "not a transaction"},
                                 &header);
  ExecutedBlock executed = executor.Execute(block, header).value();
  ASSERT_EQ(executed.txs.size(), 5u);
  const std::vector<std::string> both = {"LEAD", "PARTNER_A"};
  EXPECT_EQ(executed.txs[0].parties, both);  // the agreement's shares
  EXPECT_EQ(executed.txs[0].type, "ProposeAgreement");
  EXPECT_EQ(executed.txs[1].parties, both);  // its parties
  EXPECT_EQ(executed.txs[2].parties, both);  // the loan's legs (and the journal)
  EXPECT_EQ(executed.txs[2].id, "L-1");
  EXPECT_EQ(executed.txs[3].parties, std::vector<std::string>{"PARTNER_A"});  // rejected
  EXPECT_EQ(executed.receipts[3].status(), proto::RECEIPT_STATUS_REJECTED);
  EXPECT_TRUE(executed.txs[4].parties.empty());  // MALFORMED: no signer
  EXPECT_TRUE(executed.txs[4].signer.empty());
}

// The executor takes each loan event's legs and each journal's banks from contracts::Apply
// instead of reading the loan and the record again (ExecutableTx::banks): the parties it
// gives are those read back from the committed state, for every kind of loan event, an
// agreement's, a reversal and rejections (one after the handler had the loan in hand).
TEST_F(ExecutorTest, PartiesFromApplyMatchThoseReadBackFromState) {
  Executor executor(kChain, crypto::CryptoSuite::Standard());
  executor.Load(genesis_, 0);
  const std::string repay =
      R"({"type":"RecordRepayment","signer":"LEAD","id":"R-1","loan_id":"L-1","principal":"1000",)"
      R"("interest":"120","penalty":"5","value_date":"2026-12-21"})";
  const std::string repay_again =
      R"({"type":"RecordRepayment","signer":"LEAD","id":"R-2","loan_id":"L-1","principal":"500",)"
      R"("interest":"0","penalty":"0","value_date":"2026-12-22"})";
  const std::string reverse =
      R"({"type":"Reverse","signer":"LEAD","id":"V-1","target_id":"R-2","reason":"keyed twice"})";
  const std::string overpay =
      R"({"type":"RecordRepayment","signer":"LEAD","id":"R-3","loan_id":"L-1",)"
      R"("principal":"999999999","interest":"0","penalty":"0","value_date":"2026-12-23"})";
  const std::vector<std::string> txs = {Signed(0, kPropose), Signed(1, kAccept),
                                        Signed(0, kOriginate), Signed(0, repay),
                                        Signed(0, repay_again), Signed(0, reverse),
                                        Signed(0, overpay)};
  // Each transaction's parties as Apply reported them, against those read back from the
  // state after the block.
  const auto expect_read_back = [&](const ExecutedBlock& executed,
                                    const std::vector<std::string>& block,
                                    const std::string& name) {
    ASSERT_EQ(executed.txs.size(), block.size());
    for (std::size_t i = 0; i < block.size(); ++i) {
      SCOPED_TRACE(name + ", transaction " + std::to_string(i));
      const contracts::DecodedTransaction decoded =
          contracts::DecodeTransaction(AsBytes(block[i]), crypto::CryptoSuite::Standard()).value();
      const std::vector<std::string> read_back =
          TransactionParties(decoded.body, executed.receipts[i], executor.state()).value();
      EXPECT_EQ(executed.txs[i].parties, read_back);
      EXPECT_FALSE(read_back.empty());
    }
  };
  proto::BlockHeader header;
  ExecutedBlock executed = executor.Execute(MakeBlock(1, txs, &header), header).value();
  executor.Apply(executed);
  ASSERT_NO_FATAL_FAILURE(expect_read_back(executed, txs, "block 1"));
  // The repayment and the reversal moved money: their journals are not empty, so the
  // comparison above covered the banks Apply reported.
  EXPECT_EQ(executed.receipts[3].status(), proto::RECEIPT_STATUS_OK);
  EXPECT_EQ(executed.receipts[5].status(), proto::RECEIPT_STATUS_OK);
  EXPECT_EQ(executed.receipts[6].status(), proto::RECEIPT_STATUS_REJECTED);
  const std::vector<std::string> both = {"LEAD", "PARTNER_A"};
  EXPECT_EQ(executed.txs[3].parties, both);
  EXPECT_EQ(executed.txs[6].parties, std::vector<std::string>{"LEAD"});

  // The other loan events: a per-loan approval (and a second one, rejected after the
  // handler had the loan in hand), a charge-off, a recovery and its reversal.
  const std::vector<std::string> second = {
      Signed(0, R"({"type":"ProposeAgreement","signer":"LEAD","id":"p-2","agreement_id":"AG-2",)"
                R"("currency":"CNY","shares":{"LEAD":2000,"PARTNER_A":8000},"service_fee_bp":0,)"
                R"("approval":"PER_LOAN"})"),
      Signed(1, R"({"type":"AcceptAgreement","signer":"PARTNER_A","id":"a-2","agreement_id":"AG-2"})"),
      Signed(0, R"({"type":"OriginateLoan","signer":"LEAD","id":"L-2","agreement_id":"AG-2",)"
                R"("loan_id":"L-2","borrower_ref":)"
                R"("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",)"
                R"("principal":"50000","annual_rate_bp":1200,"term_months":6,)"
                R"("value_date":"2026-11-22"})"),
      Signed(1, R"({"type":"ApproveLoan","signer":"PARTNER_A","id":"ap-1","loan_id":"L-2"})"),
      Signed(1, R"({"type":"ApproveLoan","signer":"PARTNER_A","id":"ap-2","loan_id":"L-2"})"),
      Signed(0, R"({"type":"ChargeOff","signer":"LEAD","id":"C-1","loan_id":"L-1",)"
                R"("value_date":"2027-04-01"})"),
      Signed(0, R"({"type":"RecordRecovery","signer":"LEAD","id":"RC-1","loan_id":"L-1",)"
                R"("amount":"1000","value_date":"2027-05-01"})"),
      Signed(0, R"({"type":"Reverse","signer":"LEAD","id":"V-2","target_id":"RC-1",)"
                R"("reason":"bounced"})")};
  proto::BlockHeader header2;
  ExecutedBlock executed2 = executor.Execute(MakeBlock(2, second, &header2), header2).value();
  executor.Apply(executed2);
  ASSERT_NO_FATAL_FAILURE(expect_read_back(executed2, second, "block 2"));
  for (std::size_t i = 0; i < second.size(); ++i) {
    SCOPED_TRACE("block 2, transaction " + std::to_string(i));
    const bool rejected = i == 4;
    EXPECT_EQ(executed2.receipts[i].status(),
              rejected ? proto::RECEIPT_STATUS_REJECTED : proto::RECEIPT_STATUS_OK)
        << executed2.receipts[i].code() << " " << executed2.receipts[i].message();
    EXPECT_EQ(executed2.txs[i].parties,
              rejected ? std::vector<std::string>{"PARTNER_A"} : both);
  }
}

}  // namespace
}  // namespace colend::node
