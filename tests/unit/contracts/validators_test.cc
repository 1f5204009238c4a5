// The validator schedule (validators.h): genesis epoch 0, epochs decided by ChangeValidatorSet
// and by SuspendMember, one epoch per block, the set in force at a height; and the
// certificate revocation list. Blocks here hold several transactions, so the chain is driven
// through Apply directly (colend-replay makes every transaction a block of its own).
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "colend/contracts/apply.h"
#include "colend/contracts/memory_state.h"
#include "colend/contracts/records.h"
#include "colend/contracts/replay.h"
#include "colend/contracts/validators.h"
#include "colend/crypto/hash.h"
#include "colend/crypto/keys.h"

namespace colend::contracts {
namespace {

constexpr char kChainId[] = "colend-validators-1";
constexpr std::uint64_t kDelay = 3;  // G, as for execution_lag 1
const std::vector<std::string> kMembers = {"LEAD", "PARTNER_A", "PARTNER_B", "PARTNER_C"};
constexpr char kFingerprint[] = "3b5d5c3712955042212316173ccf37be800e95d44e1e0c3d4ee7c6b2d7ac8a7d";

class ValidatorScheduleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    InitialState initial;
    for (const std::string& m : kMembers) initial.members.push_back({m, m + " Bank", {}, 0});
    // Genesis: one node per member, "<member>-1".
    for (const std::string& m : kMembers) initial.validators.push_back(Node(m + "-1", m));
    initial.validator_activation_delay = kDelay;
    auto writes = BuildInitialState(initial);
    ASSERT_TRUE(writes.ok()) << writes.status();
    state_.Commit(*writes);
  }

  // A validator with a fresh key per node id (the same key for the same id).
  proto::Validator Node(const std::string& node_id, const std::string& member) {
    auto it = node_keys_.find(node_id);
    if (it == node_keys_.end()) {
      auto key = crypto::PrivateKey::Generate(crypto::CryptoSuite::Standard());
      EXPECT_TRUE(key.ok());
      it = node_keys_.emplace(node_id, ToString(key->public_key().ToDer().value())).first;
    }
    proto::Validator v;
    v.set_node_id(node_id);
    v.set_member_id(member);
    v.set_public_key(it->second);
    return v;
  }

  proto::TransactionBody Body(const std::string& signer) {
    proto::TransactionBody body;
    body.set_chain_id(kChainId);
    body.set_signer(signer);
    body.set_id("tx-" + std::to_string(++tx_count_));
    return body;
  }

  proto::TransactionBody Propose(const std::string& id, proto::GovernanceProposal action) {
    proto::TransactionBody body = Body("LEAD");
    action.set_proposal_id(id);
    action.set_description("test " + id);
    *body.mutable_governance_proposal() = std::move(action);
    return body;
  }

  proto::TransactionBody Vote(const std::string& voter, const std::string& proposal) {
    proto::TransactionBody body = Body(voter);
    body.mutable_governance_vote()->set_proposal_id(proposal);
    body.mutable_governance_vote()->set_choice(proto::VOTE_CHOICE_APPROVE);
    return body;
  }

  static proto::GovernanceProposal SetOf(const std::vector<proto::Validator>& validators) {
    proto::GovernanceProposal p;
    for (const proto::Validator& v : validators) {
      *p.mutable_change_validator_set()->add_validators() = v;
    }
    return p;
  }

  static proto::GovernanceProposal Suspend(const std::string& member) {
    proto::GovernanceProposal p;
    p.mutable_suspend_member()->set_member_id(member);
    p.mutable_suspend_member()->set_reason("licence withdrawn");
    return p;
  }

  static proto::GovernanceProposal Revoke(const std::string& fingerprint) {
    proto::GovernanceProposal p;
    p.mutable_revoke_certificate()->set_fingerprint(fingerprint);
    p.mutable_revoke_certificate()->set_reason("node key leaked");
    return p;
  }

  // Executes `txs` as the block at the next height; returns "ok" or the code of each.
  std::vector<std::string> Block(const std::vector<proto::TransactionBody>& txs) {
    BlockContext ctx;
    ctx.chain_id = kChainId;
    ctx.height = ++height_;
    StateView block(&state_);
    std::vector<std::string> codes;
    for (std::size_t i = 0; i < txs.size(); ++i) {
      const std::string bytes = ReplayBodyBytes(txs[i]);
      const crypto::Digest hash = crypto::Hash(crypto::HashAlgorithm::kSha256, AsBytes(bytes));
      ExecutableTx tx;
      tx.body = &txs[i];
      tx.tx_hash = hash;
      tx.authentication = Authentication::kUnsignedReplay;
      tx.index = static_cast<std::uint32_t>(i);
      auto receipt = Apply(tx, block, ctx);
      EXPECT_TRUE(receipt.ok()) << receipt.status();
      if (!receipt.ok()) return {"FAULT"};
      last_message_ = receipt->message();
      codes.push_back(receipt->status() == proto::RECEIPT_STATUS_OK ? "ok" : receipt->code());
    }
    state_.Commit(block.TakeWrites());
    return codes;
  }
  std::string One(const proto::TransactionBody& tx) { return Block({tx}).front(); }

  // Proposes and collects two of the three approvals 4 members need, a block each; the
  // deciding vote (PARTNER_B's) is left to the caller. Returns the proposal's code.
  std::string Prepare(const std::string& id, const proto::GovernanceProposal& action) {
    const std::string proposed = One(Propose(id, action));
    if (proposed != "ok") return proposed;
    EXPECT_EQ(One(Vote("LEAD", id)), "ok");
    EXPECT_EQ(One(Vote("PARTNER_A", id)), "ok");
    return "ok";
  }
  // Prepare, then the deciding vote in a block of its own; returns that block's height.
  std::uint64_t Pass(const std::string& id, const proto::GovernanceProposal& action) {
    EXPECT_EQ(Prepare(id, action), "ok") << last_message_;
    EXPECT_EQ(One(Vote("PARTNER_B", id)), "ok");
    EXPECT_EQ(Status(id), proto::PROPOSAL_STATUS_PASSED) << Failure(id);
    return height_;
  }

  proto::ProposalStatus Status(const std::string& id) {
    auto r = ReadRecord<proto::ProposalRecord>(state_, keys::Proposal(id));
    EXPECT_TRUE(r.ok() && r->has_value());
    return r.ok() && r->has_value() ? (*r)->status() : proto::PROPOSAL_STATUS_UNSPECIFIED;
  }
  std::string Failure(const std::string& id) {
    auto r = ReadRecord<proto::ProposalRecord>(state_, keys::Proposal(id));
    return r.ok() && r->has_value() ? (*r)->failure() : "";
  }

  proto::ValidatorSchedule Schedule() {
    auto s = ReadValidatorSchedule(state_);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *s : proto::ValidatorSchedule();
  }
  std::vector<proto::ValidatorEpochRecord> Epochs(std::uint64_t from = 0) {
    auto e = ReadValidatorEpochs(state_, from);
    EXPECT_TRUE(e.ok()) << e.status();
    return e.ok() ? *e : std::vector<proto::ValidatorEpochRecord>();
  }
  std::uint64_t EpochAt(std::uint64_t height) {
    auto e = ValidatorEpochAt(state_, height);
    EXPECT_TRUE(e.ok()) << e.status();
    return e.ok() ? e->epoch() : ~std::uint64_t{0};
  }
  // The node ids of the latest decided set as "meta/validators" holds them.
  std::vector<std::string> DecidedNodes() {
    auto r = ReadRecord<proto::ValidatorSetRecord>(state_, keys::kValidators);
    EXPECT_TRUE(r.ok() && r->has_value());
    std::vector<std::string> ids;
    if (r.ok() && r->has_value()) {
      for (const proto::Validator& v : (*r)->validators()) ids.push_back(v.node_id());
    }
    return ids;
  }
  static std::vector<std::string> NodesOf(const proto::ValidatorEpochRecord& e) {
    std::vector<std::string> ids;
    for (const proto::Validator& v : e.validators()) ids.push_back(v.node_id());
    return ids;
  }
  std::vector<proto::Validator> GenesisSet() {
    std::vector<proto::Validator> out;
    for (const std::string& m : kMembers) out.push_back(Node(m + "-1", m));
    return out;
  }

  MemoryState state_{crypto::HashAlgorithm::kSha256};
  std::uint64_t height_ = 0;
  std::uint64_t tx_count_ = 0;
  std::string last_message_;
  std::map<std::string, std::string> node_keys_;
};

TEST_F(ValidatorScheduleTest, GenesisIsEpochZeroFromHeightOne) {
  const proto::ValidatorSchedule schedule = Schedule();
  EXPECT_EQ(schedule.activation_delay(), kDelay);
  EXPECT_EQ(schedule.latest_epoch(), 0u);
  const auto epochs = Epochs();
  ASSERT_EQ(epochs.size(), 1u);
  EXPECT_EQ(epochs[0].epoch(), 0u);
  EXPECT_EQ(epochs[0].start_height(), 1u);
  EXPECT_EQ(epochs[0].decided_at_height(), 0u);
  EXPECT_EQ(NodesOf(epochs[0]),
            (std::vector<std::string>{"LEAD-1", "PARTNER_A-1", "PARTNER_B-1", "PARTNER_C-1"}));
  EXPECT_EQ(DecidedNodes(), NodesOf(epochs[0]));
  EXPECT_EQ(EpochAt(0), 0u);
  EXPECT_EQ(EpochAt(1), 0u);
  EXPECT_EQ(EpochAt(1'000'000), 0u);
  EXPECT_TRUE(Epochs(1).empty());
}

TEST_F(ValidatorScheduleTest, GenesisDerivesTheDelayFromTheExecutionLag) {
  contracts::Genesis genesis;
  genesis.chain_id = kChainId;
  genesis.members.push_back({"LEAD", "Lead Bank", {}, std::nullopt});
  genesis.validators.push_back(Node("LEAD-1", "LEAD"));
  genesis.consensus.execution_lag = 5;
  EXPECT_EQ(InitialStateFromGenesis(genesis).validator_activation_delay, 7u);
  InitialState zero;
  zero.validator_activation_delay = 0;
  EXPECT_FALSE(BuildInitialState(zero).ok());
}

TEST_F(ValidatorScheduleTest, AddRemoveAndReplaceKeyEachMakeAnEpoch) {
  std::vector<proto::Validator> set = GenesisSet();
  // Add a second node of PARTNER_A.
  set.insert(set.begin() + 2, Node("PARTNER_A-2", "PARTNER_A"));
  const std::uint64_t h1 = Pass("ADD", SetOf(set));
  // Remove PARTNER_C-1.
  set.pop_back();
  const std::uint64_t h2 = Pass("REMOVE", SetOf(set));
  // Replace LEAD-1's key (same node id, new key).
  node_keys_.erase("LEAD-1");
  set[0] = Node("LEAD-1", "LEAD");
  const std::uint64_t h3 = Pass("REKEY", SetOf(set));

  const auto epochs = Epochs();
  ASSERT_EQ(epochs.size(), 4u);
  EXPECT_EQ(Schedule().latest_epoch(), 3u);
  const std::uint64_t decided[] = {0, h1, h2, h3};
  for (std::uint64_t e = 1; e <= 3; ++e) {
    EXPECT_EQ(epochs[e].epoch(), e);
    EXPECT_EQ(epochs[e].decided_at_height(), decided[e]);
    EXPECT_EQ(epochs[e].start_height(), decided[e] + kDelay);
  }
  EXPECT_EQ(NodesOf(epochs[1]), (std::vector<std::string>{"LEAD-1", "PARTNER_A-1", "PARTNER_A-2",
                                                          "PARTNER_B-1", "PARTNER_C-1"}));
  EXPECT_EQ(NodesOf(epochs[2]),
            (std::vector<std::string>{"LEAD-1", "PARTNER_A-1", "PARTNER_A-2", "PARTNER_B-1"}));
  EXPECT_NE(epochs[3].validators(0).public_key(), epochs[2].validators(0).public_key());
  EXPECT_EQ(DecidedNodes(), NodesOf(epochs[3]));
  auto record = ReadRecord<proto::ValidatorSetRecord>(state_, keys::kValidators);
  ASSERT_TRUE(record.ok() && record->has_value());
  EXPECT_EQ((*record)->changed_at_height(), h3);
  EXPECT_EQ(Epochs(2).size(), 2u);
  EXPECT_EQ(Epochs(2).front().epoch(), 2u);
}

TEST_F(ValidatorScheduleTest, EpochAtBoundaries) {
  std::vector<proto::Validator> set = GenesisSet();
  set.pop_back();
  const std::uint64_t h1 = Pass("E1", SetOf(set));
  set.pop_back();
  const std::uint64_t h2 = Pass("E2", SetOf(set));
  ASSERT_GT(h2, h1 + kDelay);  // a gap: epoch 1 is in force for a while
  EXPECT_EQ(EpochAt(0), 0u);
  EXPECT_EQ(EpochAt(h1), 0u);  // the deciding block itself is still ordered by the old set
  EXPECT_EQ(EpochAt(h1 + kDelay - 1), 0u);
  EXPECT_EQ(EpochAt(h1 + kDelay), 1u);
  EXPECT_EQ(EpochAt(h2 + kDelay - 1), 1u);
  EXPECT_EQ(EpochAt(h2 + kDelay), 2u);
  EXPECT_EQ(EpochAt(h2 + kDelay + 100), 2u);
}

TEST_F(ValidatorScheduleTest, TwoChangesInOneBlockMakeOneEpoch) {
  std::vector<proto::Validator> first = GenesisSet();
  first.pop_back();
  std::vector<proto::Validator> second = GenesisSet();
  second.erase(second.begin());
  ASSERT_EQ(Prepare("P1", SetOf(first)), "ok");
  ASSERT_EQ(Prepare("P2", SetOf(second)), "ok");
  EXPECT_EQ(Block({Vote("PARTNER_B", "P1"), Vote("PARTNER_B", "P2")}),
            (std::vector<std::string>{"ok", "ok"}));
  EXPECT_EQ(Status("P1"), proto::PROPOSAL_STATUS_PASSED);
  EXPECT_EQ(Status("P2"), proto::PROPOSAL_STATUS_PASSED);
  const auto epochs = Epochs();
  ASSERT_EQ(epochs.size(), 2u);  // the later decision of the block replaced the earlier one
  EXPECT_EQ(epochs[1].decided_at_height(), height_);
  EXPECT_EQ(epochs[1].start_height(), height_ + kDelay);
  EXPECT_EQ(NodesOf(epochs[1]),
            (std::vector<std::string>{"PARTNER_A-1", "PARTNER_B-1", "PARTNER_C-1"}));
  EXPECT_EQ(DecidedNodes(), NodesOf(epochs[1]));
}

TEST_F(ValidatorScheduleTest, ChangesInConsecutiveBlocksMakeTwoEpochs) {
  std::vector<proto::Validator> first = GenesisSet();
  first.pop_back();
  std::vector<proto::Validator> second = GenesisSet();
  second.erase(second.begin());
  ASSERT_EQ(Prepare("P1", SetOf(first)), "ok");
  ASSERT_EQ(Prepare("P2", SetOf(second)), "ok");
  ASSERT_EQ(One(Vote("PARTNER_B", "P1")), "ok");
  ASSERT_EQ(One(Vote("PARTNER_B", "P2")), "ok");
  const auto epochs = Epochs();
  ASSERT_EQ(epochs.size(), 3u);
  EXPECT_EQ(epochs[1].decided_at_height(), height_ - 1);
  EXPECT_EQ(epochs[2].decided_at_height(), height_);
  EXPECT_EQ(epochs[2].start_height(), epochs[1].start_height() + 1);
  // Both are decided and neither is in force at the executed height yet.
  EXPECT_EQ(EpochAt(height_), 0u);
  EXPECT_EQ(EpochAt(height_ - 1 + kDelay), 1u);
  EXPECT_EQ(EpochAt(height_ + kDelay), 2u);
}

TEST_F(ValidatorScheduleTest, TheSetAlreadyDecidedIsRefused) {
  EXPECT_EQ(One(Propose("SAME", SetOf(GenesisSet()))), "BAD_VALIDATOR_SET");
  EXPECT_NE(last_message_.find("the proposed set is the set already decided"), std::string::npos)
      << last_message_;
  // Decided meanwhile: the deciding vote fails the proposal and nothing changes.
  std::vector<proto::Validator> smaller = GenesisSet();
  smaller.pop_back();
  ASSERT_EQ(Prepare("A", SetOf(smaller)), "ok");
  ASSERT_EQ(Prepare("B", SetOf(smaller)), "ok");
  ASSERT_EQ(One(Vote("PARTNER_B", "A")), "ok");
  ASSERT_EQ(One(Vote("PARTNER_B", "B")), "ok");
  EXPECT_EQ(Status("B"), proto::PROPOSAL_STATUS_FAILED);
  EXPECT_NE(Failure("B").find("BAD_VALIDATOR_SET"), std::string::npos) << Failure("B");
  EXPECT_EQ(Epochs().size(), 2u);
}

TEST_F(ValidatorScheduleTest, SuspendingAMemberRemovesItsValidators) {
  std::vector<proto::Validator> set = GenesisSet();
  set.insert(set.begin() + 3, Node("PARTNER_B-2", "PARTNER_B"));
  Pass("ADD", SetOf(set));
  const std::uint64_t h = Pass("SUSPEND", Suspend("PARTNER_B"));
  const auto epochs = Epochs();
  ASSERT_EQ(epochs.size(), 3u);
  EXPECT_EQ(epochs[2].decided_at_height(), h);
  EXPECT_EQ(epochs[2].start_height(), h + kDelay);
  EXPECT_EQ(NodesOf(epochs[2]), (std::vector<std::string>{"LEAD-1", "PARTNER_A-1", "PARTNER_C-1"}));
  EXPECT_EQ(DecidedNodes(), NodesOf(epochs[2]));
  auto member = ReadRecord<proto::MemberRecord>(state_, keys::Member("PARTNER_B"));
  ASSERT_TRUE(member.ok() && member->has_value());
  EXPECT_EQ((*member)->status(), proto::MEMBER_STATUS_SUSPENDED);
}

TEST_F(ValidatorScheduleTest, SuspendingAMemberWithoutValidatorsMakesNoEpoch) {
  std::vector<proto::Validator> set = GenesisSet();
  set.pop_back();  // PARTNER_C runs none now
  Pass("DROP", SetOf(set));
  Pass("SUSPEND", Suspend("PARTNER_C"));
  EXPECT_EQ(Epochs().size(), 2u);
}

TEST_F(ValidatorScheduleTest, SuspensionThatWouldEmptyTheSetIsRefused) {
  Pass("ONLY_LEAD", SetOf({Node("LEAD-1", "LEAD")}));
  EXPECT_EQ(One(Propose("SUSPEND", Suspend("LEAD"))), "BAD_VALIDATOR_SET");
  EXPECT_NE(last_message_.find("suspending LEAD would leave no validator"), std::string::npos)
      << last_message_;
  auto member = ReadRecord<proto::MemberRecord>(state_, keys::Member("LEAD"));
  ASSERT_TRUE(member.ok() && member->has_value());
  EXPECT_EQ((*member)->status(), proto::MEMBER_STATUS_ACTIVE);
  EXPECT_EQ(Epochs().size(), 2u);
}

TEST_F(ValidatorScheduleTest, RevokedCertificatesAreListed) {
  auto none = ReadRevokedCertificates(state_);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  const std::uint64_t h = Pass("REVOKE", Revoke(kFingerprint));
  auto revoked = ReadRevokedCertificates(state_);
  ASSERT_TRUE(revoked.ok()) << revoked.status();
  ASSERT_EQ(revoked->size(), 1u);
  EXPECT_EQ((*revoked)[0].fingerprint(), kFingerprint);
  EXPECT_EQ((*revoked)[0].reason(), "node key leaked");
  EXPECT_EQ((*revoked)[0].revoked_at_height(), h);
  // Twice: refused at the proposal already.
  EXPECT_EQ(One(Propose("AGAIN", Revoke(kFingerprint))), "ALREADY_REVOKED");
  EXPECT_NE(last_message_.find("was revoked at height " + std::to_string(h)), std::string::npos)
      << last_message_;
}

TEST_F(ValidatorScheduleTest, FingerprintMustBe64LowerCaseHexDigits) {
  std::string upper = kFingerprint;
  upper[0] = 'B';
  for (const std::string& bad :
       {std::string(kFingerprint).substr(0, 63), std::string(kFingerprint) + "0", upper,
        std::string(64, 'g'), std::string()}) {
    EXPECT_EQ(One(Propose("BAD" + std::to_string(tx_count_), Revoke(bad))), "BAD_FIELD") << bad;
  }
  EXPECT_TRUE(IsCertificateFingerprint(kFingerprint));
  EXPECT_FALSE(IsCertificateFingerprint(upper));
}

}  // namespace
}  // namespace colend::contracts
