// The validator schedule and the certificate revocation list as the contract state keeps
// them (state.proto: ValidatorSchedule, ValidatorEpochRecord, RevokedCertificate), read for
// the node (which validator set orders which height) and the JSON-RPC queries.
//
// Epochs: epoch 0 is the genesis set and orders heights from 1. A set decided by the block
// at height h (a passed ChangeValidatorSet, or a SuspendMember that removed validators) is
// a new epoch ordering heights from h + G on, G being the schedule's activation_delay
// (consensus execution_lag + 2 at genesis). Epoch numbers and start heights both increase;
// the set in force at height x is the epoch with the greatest start_height <= x.
//
// Every chain writes the schedule and epoch 0 at genesis (BuildInitialState), so there is
// no state without them to convert: a missing schedule or epoch record means the state is
// damaged (kCorruption), like any record that does not parse. A state built without
// validators (an ad-hoc colend-replay over a bank list, tests) has an epoch 0 with no
// validators.
//
// Thread safety: stateless functions; the reader/scanner must be a consistent snapshot.
#ifndef COLEND_CONTRACTS_VALIDATORS_H_
#define COLEND_CONTRACTS_VALIDATORS_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "colend/common/result.h"
#include "colend/contracts/state.h"
#include "colend/proto/state.pb.h"

namespace colend::contracts {

// The length of a certificate fingerprint: lower-case hex of a SHA-256 digest.
inline constexpr std::size_t kCertificateFingerprintSize = 64;

// Whether `text` is a certificate fingerprint: exactly 64 characters of 0-9 a-f.
bool IsCertificateFingerprint(std::string_view text);

// The schedule at "meta/validator_schedule"; kCorruption if absent or unparsable.
Result<proto::ValidatorSchedule> ReadValidatorSchedule(const StateReader& state);

// Epochs from_epoch .. latest_epoch, ascending (empty if from_epoch is above the latest).
// kCorruption if the schedule or one of those epoch records is missing or unparsable.
Result<std::vector<proto::ValidatorEpochRecord>> ReadValidatorEpochs(const StateReader& state,
                                                                     std::uint64_t from_epoch = 0);

// The epoch whose set orders `height`: the one with the greatest start_height <= height
// (height 0, the genesis, reads as epoch 0). It may be a set decided but not in force yet
// at the executed height only if `height` is above that height; callers that answer for a
// height the chain has not reached must say so. Reads O(log epochs) records.
Result<proto::ValidatorEpochRecord> ValidatorEpochAt(const StateReader& state,
                                                     std::uint64_t height);

// Every revoked certificate, by fingerprint ascending (a prefix scan of "meta/revoked/").
// kCorruption if a record does not parse.
Result<std::vector<proto::RevokedCertificate>> ReadRevokedCertificates(const StateScanner& scanner);

}  // namespace colend::contracts

#endif  // COLEND_CONTRACTS_VALIDATORS_H_
