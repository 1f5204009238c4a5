// The governance contract: members, their client keys, the validator set and the network
// rules, changed by a two-thirds vote of the active members (docs/domain.md), and the genesis
// state they start from.
//
// A proposal passes when approvals * 3 >= active members * 2 (the proposer votes like
// everyone else: the proposal itself is not a vote). It is rejected as soon as enough
// members voted against that it can no longer pass. The deciding vote applies the action in
// the same transaction; if the action no longer fits the state (the member was admitted
// meanwhile, say) the proposal is FAILED with the reason and nothing else changes. Proposals
// have no expiry: one stays OPEN until a vote decides it.
//
// The validator-set and certificate actions live in validator_governance.cc.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "colend/contracts/genesis.h"
#include "colend/contracts/records.h"
#include "colend/crypto/keys.h"
#include "contract_state.h"
#include "tx_env.h"
#include "validation.h"
#include "validator_governance.h"

namespace colend::contracts {
namespace {

constexpr std::size_t kMaxText = 1000;
constexpr std::size_t kKeyIdSize = 16;

Verdict CheckClientKey(const proto::ClientKey& key, const crypto::CryptoSuite& suite) {
  auto parsed = crypto::PublicKey::FromDer(suite, AsBytes(key.public_key()));
  if (!parsed.ok()) {
    return Verdict::Reject(ErrorCode::kBadKey, "public key is not a " +
                                                   std::string(suite.description()) +
                                                   " key: " + parsed.status().message());
  }
  if (key.key_id().size() != kKeyIdSize || ToBytes(key.key_id()) != parsed->key_id()) {
    return Verdict::Reject(ErrorCode::kBadKey,
                           "key_id must be the key's id " + parsed->KeyIdHex());
  }
  return Verdict::Accept();
}

void SortKeys(proto::MemberRecord& member) {
  auto* keys = member.mutable_client_keys();
  std::sort(keys->begin(), keys->end(), [](const proto::ClientKey& x, const proto::ClientKey& y) {
    return x.key_id() < y.key_id();
  });
}

Result<std::vector<std::string>> ActiveMembers(const StateReader& view) {
  COLEND_ASSIGN_OR_RETURN(auto list, ReadRecord<proto::MemberList>(view, keys::kMembers));
  std::vector<std::string> active;
  if (!list.has_value()) return active;
  for (const std::string& id : list->ids()) {
    COLEND_ASSIGN_OR_RETURN(bool is_active, IsActiveMember(view, id));
    if (is_active) active.push_back(id);
  }
  return active;
}

Verdict AddMemberAction(TxEnv& env, const proto::AddMember& a) {
  if (!IsMemberId(a.member_id())) {
    return Verdict::Reject(ErrorCode::kBadField,
                           "member_id must be 1-32 upper-case letters, digits or _");
  }
  COLEND_ASSIGN_OR_FAULT(auto existing, ReadMember(env.view, a.member_id()));
  if (existing.has_value()) {
    return Verdict::Reject(ErrorCode::kMemberExists, a.member_id() + " is already a member");
  }
  if (a.legal_name().empty() || a.legal_name().size() > kMaxText) {
    return Verdict::Reject(ErrorCode::kBadField, "legal_name must be 1-1000 characters");
  }
  if (a.client_keys().empty()) {
    return Verdict::Reject(ErrorCode::kBadKey, "a new member needs at least one client key");
  }
  std::set<std::string> ids;
  for (const proto::ClientKey& key : a.client_keys()) {
    COLEND_RETURN_IF_NOT_ACCEPTED(CheckClientKey(key, env.ctx.suite));
    if (!ids.insert(key.key_id()).second) {
      return Verdict::Reject(ErrorCode::kBadKey, "a client key is listed twice");
    }
  }
  proto::MemberRecord member;
  member.set_id(a.member_id());
  member.set_legal_name(a.legal_name());
  member.set_status(proto::MEMBER_STATUS_ACTIVE);
  *member.mutable_client_keys() = a.client_keys();
  SortKeys(member);
  WriteRecord(env.view, keys::Member(a.member_id()), member);
  COLEND_ASSIGN_OR_FAULT(auto list, ReadRecord<proto::MemberList>(env.view, keys::kMembers));
  proto::MemberList members = list.value_or(proto::MemberList());
  std::vector<std::string> all(members.ids().begin(), members.ids().end());
  all.insert(std::upper_bound(all.begin(), all.end(), a.member_id()), a.member_id());
  members.mutable_ids()->Assign(all.begin(), all.end());
  WriteRecord(env.view, keys::kMembers, members);
  return Verdict::Accept();
}

Verdict SuspendMemberAction(TxEnv& env, const proto::SuspendMember& s) {
  COLEND_ASSIGN_OR_FAULT(auto member, ReadMember(env.view, s.member_id()));
  if (!member.has_value() || member->status() != proto::MEMBER_STATUS_ACTIVE) {
    return Verdict::Reject(ErrorCode::kNoMember, "no active member " + s.member_id());
  }
  // Its validators leave the set (a new epoch) and it stops voting on proposals. A member
  // running every validator cannot be suspended: the chain would have nobody to order it.
  COLEND_RETURN_IF_NOT_ACCEPTED(RemoveMemberValidators(env, s.member_id()));
  member->set_status(proto::MEMBER_STATUS_SUSPENDED);
  WriteRecord(env.view, keys::Member(s.member_id()), *member);
  return Verdict::Accept();
}

Verdict RotateKeyAction(TxEnv& env, const proto::RotateKey& r) {
  COLEND_ASSIGN_OR_FAULT(auto member, ReadMember(env.view, r.member_id()));
  if (!member.has_value()) return Verdict::Reject(ErrorCode::kNoMember, "no member " + r.member_id());
  if (!r.has_new_key() && r.retired_key_id().empty()) {
    return Verdict::Reject(ErrorCode::kBadKey, "a rotation adds a key, retires one, or both");
  }
  auto* keys = member->mutable_client_keys();
  if (!r.retired_key_id().empty()) {
    auto it = std::find_if(keys->begin(), keys->end(), [&](const proto::ClientKey& k) {
      return k.key_id() == r.retired_key_id();
    });
    if (it == keys->end()) {
      return Verdict::Reject(ErrorCode::kBadKey, r.member_id() + " has no key with that id");
    }
    keys->erase(it);
  }
  if (r.has_new_key()) {
    COLEND_RETURN_IF_NOT_ACCEPTED(CheckClientKey(r.new_key(), env.ctx.suite));
    for (const proto::ClientKey& k : *keys) {
      if (k.key_id() == r.new_key().key_id()) {
        return Verdict::Reject(ErrorCode::kBadKey, r.member_id() + " already has this key");
      }
    }
    *keys->Add() = r.new_key();
  }
  if (keys->empty()) {
    return Verdict::Reject(ErrorCode::kBadKey, "a member must keep at least one client key");
  }
  SortKeys(*member);
  WriteRecord(env.view, keys::Member(r.member_id()), *member);
  return Verdict::Accept();
}

Verdict SetNetworkRuleAction(TxEnv& env, const proto::SetNetworkRule& s) {
  // The same rule names and ranges as genesis.json (genesis.h).
  if (!NetworkRules::IsKnown(s.name())) {
    return Verdict::Reject(ErrorCode::kUnknownRule, "unknown network rule \"" + s.name() + "\"");
  }
  NetworkRules checked;
  if (Status st = checked.Set(s.name(), s.value()); !st.ok()) {
    return Verdict::Reject(ErrorCode::kBadField, st.message());
  }
  COLEND_ASSIGN_OR_FAULT(proto::NetworkRules rules, ReadRules(env.view));
  rules.set_min_funder_bp(static_cast<std::uint32_t>(checked.min_funder_bp));
  WriteRecord(env.view, keys::kRules, rules);
  return Verdict::Accept();
}

Verdict ApplyAction(TxEnv& env, const proto::GovernanceProposal& p) {
  switch (p.action_case()) {
    case proto::GovernanceProposal::kAddMember: return AddMemberAction(env, p.add_member());
    case proto::GovernanceProposal::kSuspendMember: return SuspendMemberAction(env, p.suspend_member());
    case proto::GovernanceProposal::kRotateKey: return RotateKeyAction(env, p.rotate_key());
    case proto::GovernanceProposal::kChangeValidatorSet:
      return ChangeValidatorSetAction(env, p.change_validator_set());
    case proto::GovernanceProposal::kSetNetworkRule:
      return SetNetworkRuleAction(env, p.set_network_rule());
    case proto::GovernanceProposal::kRevokeCertificate:
      return RevokeCertificateAction(env, p.revoke_certificate());
    default:
      return Verdict::Reject(ErrorCode::kMalformed, "the proposal has no action");
  }
}

}  // namespace

Verdict GovernanceProposalHandler(TxEnv& env) {
  const proto::GovernanceProposal& p = env.body.governance_proposal();
  if (!IsObjectId(p.proposal_id())) {
    return Verdict::Reject(ErrorCode::kBadField, "proposal_id must be 1-64 letters, digits or . _ : -");
  }
  if (p.description().size() > kMaxText) {
    return Verdict::Reject(ErrorCode::kBadField, "description must be at most 1000 characters");
  }
  if (p.action_case() == proto::GovernanceProposal::ACTION_NOT_SET) {
    return Verdict::Reject(ErrorCode::kMalformed, "the proposal has no action");
  }
  const std::string key = keys::Proposal(p.proposal_id());
  std::string unused;
  if (env.view.Get(key, &unused)) {
    return Verdict::Reject(ErrorCode::kProposalExists, "proposal " + p.proposal_id() + " exists");
  }
  // Check the action against today's state now, so a proposal that could never apply is
  // refused at once; the deciding vote checks again.
  {
    StateView dry_run(&env.view);
    proto::TxRecord scratch;
    TxEnv probe{env.body, env.ctx, dry_run, scratch};
    COLEND_RETURN_IF_NOT_ACCEPTED(ApplyAction(probe, p));
  }
  proto::ProposalRecord record;
  record.set_id(p.proposal_id());
  record.set_proposer(env.signer());
  *record.mutable_proposal() = p;
  record.set_status(proto::PROPOSAL_STATUS_OPEN);
  record.set_opened_at_height(env.ctx.height);
  WriteRecord(env.view, key, record);
  return Verdict::Accept();
}

Verdict GovernanceVoteHandler(TxEnv& env) {
  const proto::GovernanceVote& v = env.body.governance_vote();
  if (v.choice() != proto::VOTE_CHOICE_APPROVE && v.choice() != proto::VOTE_CHOICE_REJECT) {
    return Verdict::Reject(ErrorCode::kBadField, "choice must be APPROVE or REJECT");
  }
  const std::string key = keys::Proposal(v.proposal_id());
  COLEND_ASSIGN_OR_FAULT(auto found, ReadRecord<proto::ProposalRecord>(env.view, key));
  if (!found.has_value()) return Verdict::Reject(ErrorCode::kNoProposal, "no proposal " + v.proposal_id());
  proto::ProposalRecord& proposal = *found;
  if (proposal.status() != proto::PROPOSAL_STATUS_OPEN) {
    return Verdict::Reject(ErrorCode::kProposalClosed, "proposal " + v.proposal_id() + " is decided");
  }
  auto voted = [&](const google::protobuf::RepeatedPtrField<std::string>& list) {
    return std::find(list.begin(), list.end(), env.signer()) != list.end();
  };
  if (voted(proposal.approvals()) || voted(proposal.rejections())) {
    return Verdict::Reject(ErrorCode::kAlreadyVoted,
                           env.signer() + " has already voted on proposal " + v.proposal_id());
  }
  auto* list = v.choice() == proto::VOTE_CHOICE_APPROVE ? proposal.mutable_approvals()
                                                         : proposal.mutable_rejections();
  std::vector<std::string> sorted(list->begin(), list->end());
  sorted.insert(std::upper_bound(sorted.begin(), sorted.end(), env.signer()), env.signer());
  list->Assign(sorted.begin(), sorted.end());

  // Count only votes of members active now (a suspended member's earlier vote lapses).
  COLEND_ASSIGN_OR_FAULT(std::vector<std::string> active, ActiveMembers(env.view));
  auto count_active = [&](const google::protobuf::RepeatedPtrField<std::string>& votes) {
    std::size_t n = 0;
    for (const std::string& m : votes) n += std::binary_search(active.begin(), active.end(), m);
    return n;
  };
  const std::size_t members = active.size();
  const std::size_t approvals = count_active(proposal.approvals());
  const std::size_t rejections = count_active(proposal.rejections());
  if (approvals * 3 >= members * 2) {
    proposal.set_decided_at_height(env.ctx.height);
    StateView action_view(&env.view);
    proto::TxRecord scratch;
    TxEnv action_env{env.body, env.ctx, action_view, scratch};
    Verdict applied = ApplyAction(action_env, proposal.proposal());
    if (applied.faulted()) return applied;
    if (applied.accepted()) {
      action_view.MergeInto(env.view);
      proposal.set_status(proto::PROPOSAL_STATUS_PASSED);
    } else {
      proposal.set_status(proto::PROPOSAL_STATUS_FAILED);
      proposal.set_failure(std::string(ErrorCodeName(applied.code())) + ": " + applied.message());
    }
  } else if ((members - rejections) * 3 < members * 2) {
    proposal.set_status(proto::PROPOSAL_STATUS_REJECTED);
    proposal.set_decided_at_height(env.ctx.height);
  }
  WriteRecord(env.view, key, proposal);
  return Verdict::Accept();
}

Result<WriteSet> BuildInitialState(const InitialState& initial) {
  StateView view(nullptr);
  proto::MemberList list;
  std::vector<std::string> ids;
  for (const InitialMember& m : initial.members) {
    if (!IsMemberId(m.id)) {
      return Status::InvalidArgument("member id \"" + m.id +
                                     "\" must be 1-32 upper-case letters, digits or _");
    }
    if (std::find(ids.begin(), ids.end(), m.id) != ids.end()) {
      return Status::InvalidArgument("member " + m.id + " is listed twice");
    }
    ids.push_back(m.id);
    proto::MemberRecord member;
    member.set_id(m.id);
    member.set_legal_name(m.legal_name);
    member.set_status(proto::MEMBER_STATUS_ACTIVE);
    member.set_tier1_capital(m.tier1_capital);
    std::set<std::string> key_ids;
    for (const proto::ClientKey& key : m.client_keys) {
      if (!key_ids.insert(key.key_id()).second) {
        return Status::InvalidArgument("member " + m.id + " lists one client key twice");
      }
      *member.add_client_keys() = key;
    }
    SortKeys(member);
    WriteRecord(view, keys::Member(m.id), member);
  }
  std::sort(ids.begin(), ids.end());
  list.mutable_ids()->Assign(ids.begin(), ids.end());
  WriteRecord(view, keys::kMembers, list);
  if (initial.min_funder_bp > 10'000) {
    return Status::InvalidArgument("min_funder_bp must be between 0 and 10000");
  }
  proto::NetworkRules rules;
  rules.set_min_funder_bp(initial.min_funder_bp);
  WriteRecord(view, keys::kRules, rules);
  COLEND_RETURN_IF_ERROR(
      WriteGenesisValidators(view, initial.validators, initial.validator_activation_delay));
  return view.TakeWrites();
}

}  // namespace colend::contracts
