// Validator-set changes take effect by epochs (validators.h, state.proto): the set decided
// by the block at height h orders the blocks from h + G on. The contract only records the
// decision and its start height; the consensus module reads the epochs and switches sets
// at that height, the same on every node because it depends only on executed state.
#include "validator_governance.h"

#include <algorithm>
#include <set>
#include <string>

#include "colend/contracts/records.h"
#include "colend/contracts/validators.h"
#include "colend/crypto/keys.h"
#include "contract_state.h"
#include "validation.h"

namespace colend::contracts {
namespace {

constexpr std::size_t kMaxReason = 1000;

using ValidatorList = google::protobuf::RepeatedPtrField<proto::Validator>;

bool SameValidator(const proto::Validator& a, const proto::Validator& b) {
  return a.node_id() == b.node_id() && a.member_id() == b.member_id() &&
         a.public_key() == b.public_key();
}

bool SameSet(const ValidatorList& a, const ValidatorList& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), SameValidator);
}

// The latest decided epoch (which may not be in force yet).
Result<proto::ValidatorEpochRecord> LatestEpoch(const StateReader& state,
                                                const proto::ValidatorSchedule& schedule) {
  COLEND_ASSIGN_OR_RETURN(std::vector<proto::ValidatorEpochRecord> latest,
                          ReadValidatorEpochs(state, schedule.latest_epoch()));
  if (latest.size() != 1) {
    return Status::Corruption("the validator schedule's latest epoch has no record");
  }
  return std::move(latest.front());
}

// Records `validators` (checked, sorted by node_id) as the latest decided set. Changes
// decided by one block make one epoch: if the latest epoch was decided by this block, it is
// replaced (same number, same start height), so that a block never starts two epochs at
// one height. Otherwise it is epoch latest + 1, ordering from ctx.height + G. Epoch 0 (the
// genesis) is never replaced.
Verdict DecideValidatorSet(TxEnv& env, const ValidatorList& validators) {
  COLEND_ASSIGN_OR_FAULT(proto::ValidatorSchedule schedule, ReadValidatorSchedule(env.view));
  COLEND_ASSIGN_OR_FAULT(const proto::ValidatorEpochRecord current,
                         LatestEpoch(env.view, schedule));
  if (SameSet(current.validators(), validators)) {
    return Verdict::Reject(ErrorCode::kBadValidatorSet,
                           "the proposed set is the set already decided (epoch " +
                               std::to_string(current.epoch()) + ", ordering from height " +
                               std::to_string(current.start_height()) + ")");
  }
  const bool same_block = current.epoch() > 0 && current.decided_at_height() == env.ctx.height;
  proto::ValidatorEpochRecord next;
  next.set_epoch(same_block ? current.epoch() : current.epoch() + 1);
  next.set_start_height(env.ctx.height + schedule.activation_delay());
  next.set_decided_at_height(env.ctx.height);
  *next.mutable_validators() = validators;
  WriteRecord(env.view, keys::ValidatorEpoch(next.epoch()), next);
  schedule.set_latest_epoch(next.epoch());
  WriteRecord(env.view, keys::kValidatorSchedule, schedule);
  proto::ValidatorSetRecord record;
  *record.mutable_validators() = validators;
  record.set_changed_at_height(env.ctx.height);
  WriteRecord(env.view, keys::kValidators, record);
  return Verdict::Accept();
}

}  // namespace

Verdict ChangeValidatorSetAction(TxEnv& env, const proto::ChangeValidatorSet& c) {
  if (c.validators().empty()) {
    return Verdict::Reject(ErrorCode::kBadValidatorSet, "the validator set cannot be empty");
  }
  std::set<std::string> public_keys;
  for (int i = 0; i < c.validators_size(); ++i) {
    const proto::Validator& v = c.validators(i);
    if (!IsObjectId(v.node_id())) {
      return Verdict::Reject(ErrorCode::kBadValidatorSet,
                             "node_id must be 1-64 letters, digits or . _ : -");
    }
    if (i > 0 && !(c.validators(i - 1).node_id() < v.node_id())) {
      return Verdict::Reject(ErrorCode::kBadValidatorSet,
                             "validators must be sorted by node_id with no duplicates");
    }
    COLEND_ASSIGN_OR_FAULT(bool member, IsActiveMember(env.view, v.member_id()));
    if (!member) {
      return Verdict::Reject(ErrorCode::kBadValidatorSet,
                             v.member_id() + " is not an active member");
    }
    if (!crypto::PublicKey::FromDer(env.ctx.suite, AsBytes(v.public_key())).ok()) {
      return Verdict::Reject(ErrorCode::kBadValidatorSet,
                             "the key of " + v.node_id() + " is not a valid node key");
    }
    if (!public_keys.insert(v.public_key()).second) {
      return Verdict::Reject(ErrorCode::kBadValidatorSet, "two validators share one key");
    }
  }
  return DecideValidatorSet(env, c.validators());
}

Verdict RemoveMemberValidators(TxEnv& env, std::string_view member_id) {
  COLEND_ASSIGN_OR_FAULT(const proto::ValidatorSchedule schedule, ReadValidatorSchedule(env.view));
  COLEND_ASSIGN_OR_FAULT(const proto::ValidatorEpochRecord decided,
                         LatestEpoch(env.view, schedule));
  ValidatorList kept;
  for (const proto::Validator& v : decided.validators()) {
    if (v.member_id() != member_id) *kept.Add() = v;
  }
  if (kept.size() == decided.validators_size()) return Verdict::Accept();
  if (kept.empty()) {
    return Verdict::Reject(ErrorCode::kBadValidatorSet,
                           "suspending " + std::string(member_id) +
                               " would leave no validator (it runs every validator of the "
                               "decided set)");
  }
  // The remaining validators keep their order (sorted by node_id) and were checked when
  // their set was decided.
  return DecideValidatorSet(env, kept);
}

Verdict RevokeCertificateAction(TxEnv& env, const proto::RevokeCertificate& r) {
  if (!IsCertificateFingerprint(r.fingerprint())) {
    return Verdict::Reject(ErrorCode::kBadField,
                           "fingerprint must be the lower-case hex SHA-256 of the certificate's "
                           "DER: exactly 64 characters of 0-9 a-f");
  }
  if (r.reason().empty() || r.reason().size() > kMaxReason) {
    return Verdict::Reject(ErrorCode::kBadField, "reason must be 1-1000 characters");
  }
  const std::string key = keys::Revoked(r.fingerprint());
  COLEND_ASSIGN_OR_FAULT(auto existing, ReadRecord<proto::RevokedCertificate>(env.view, key));
  if (existing.has_value()) {
    return Verdict::Reject(ErrorCode::kAlreadyRevoked,
                           "certificate " + r.fingerprint() + " was revoked at height " +
                               std::to_string(existing->revoked_at_height()));
  }
  proto::RevokedCertificate record;
  record.set_fingerprint(r.fingerprint());
  record.set_reason(r.reason());
  record.set_revoked_at_height(env.ctx.height);
  WriteRecord(env.view, key, record);
  return Verdict::Accept();
}

Status WriteGenesisValidators(StateView& view, std::vector<proto::Validator> validators,
                              std::uint64_t activation_delay) {
  if (activation_delay == 0) {
    return Status::InvalidArgument(
        "validator_activation_delay must be at least 1 (a set cannot order the block that "
        "decided it)");
  }
  std::sort(validators.begin(), validators.end(),
            [](const proto::Validator& a, const proto::Validator& b) {
              return a.node_id() < b.node_id();
            });
  proto::ValidatorEpochRecord epoch0;
  epoch0.set_epoch(0);
  epoch0.set_start_height(1);
  epoch0.set_decided_at_height(0);
  for (const proto::Validator& v : validators) *epoch0.add_validators() = v;
  WriteRecord(view, keys::ValidatorEpoch(0), epoch0);
  proto::ValidatorSchedule schedule;
  schedule.set_activation_delay(activation_delay);
  schedule.set_latest_epoch(0);
  WriteRecord(view, keys::kValidatorSchedule, schedule);
  // As before the schedule existed: only a chain with validators has the record.
  if (!validators.empty()) {
    proto::ValidatorSetRecord record;
    *record.mutable_validators() = epoch0.validators();
    WriteRecord(view, keys::kValidators, record);
  }
  return Status::Ok();
}

}  // namespace colend::contracts
