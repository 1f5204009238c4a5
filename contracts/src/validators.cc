#include "colend/contracts/validators.h"

#include <string>

#include "colend/contracts/records.h"

namespace colend::contracts {
namespace {

Result<proto::ValidatorEpochRecord> ReadEpoch(const StateReader& state, std::uint64_t epoch) {
  const std::string key = keys::ValidatorEpoch(epoch);
  COLEND_ASSIGN_OR_RETURN(auto record, ReadRecord<proto::ValidatorEpochRecord>(state, key));
  if (!record.has_value()) {
    return Status::Corruption("the validator schedule names epoch " + std::to_string(epoch) +
                              " but there is no record at \"" + key + "\"");
  }
  return std::move(*record);
}

}  // namespace

bool IsCertificateFingerprint(std::string_view text) {
  if (text.size() != kCertificateFingerprintSize) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Result<proto::ValidatorSchedule> ReadValidatorSchedule(const StateReader& state) {
  COLEND_ASSIGN_OR_RETURN(auto schedule,
                          ReadRecord<proto::ValidatorSchedule>(state, keys::kValidatorSchedule));
  if (!schedule.has_value()) {
    // Genesis writes it on every chain (BuildInitialState), so this state is not one.
    return Status::Corruption("the state has no validator schedule (\"" +
                              std::string(keys::kValidatorSchedule) + "\")");
  }
  return std::move(*schedule);
}

Result<std::vector<proto::ValidatorEpochRecord>> ReadValidatorEpochs(const StateReader& state,
                                                                     std::uint64_t from_epoch) {
  COLEND_ASSIGN_OR_RETURN(const proto::ValidatorSchedule schedule, ReadValidatorSchedule(state));
  std::vector<proto::ValidatorEpochRecord> epochs;
  for (std::uint64_t e = from_epoch; e <= schedule.latest_epoch(); ++e) {
    COLEND_ASSIGN_OR_RETURN(proto::ValidatorEpochRecord record, ReadEpoch(state, e));
    epochs.push_back(std::move(record));
  }
  return epochs;
}

Result<proto::ValidatorEpochRecord> ValidatorEpochAt(const StateReader& state,
                                                     std::uint64_t height) {
  COLEND_ASSIGN_OR_RETURN(const proto::ValidatorSchedule schedule, ReadValidatorSchedule(state));
  // Start heights increase with the epoch number (epoch 0 starts at 1; a later epoch starts
  // G after the block that decided it, and those blocks increase), so binary search for
  // the last epoch starting at or below `height`. Epoch 0 is the answer for any height
  // below epoch 1's start, height 0 included.
  std::uint64_t low = 0;                         // starts <= height (or is epoch 0)
  std::uint64_t high = schedule.latest_epoch();  // candidates are [low, high]
  while (low < high) {
    const std::uint64_t mid = low + (high - low + 1) / 2;
    COLEND_ASSIGN_OR_RETURN(const proto::ValidatorEpochRecord record, ReadEpoch(state, mid));
    if (record.start_height() <= height) {
      low = mid;
    } else {
      high = mid - 1;
    }
  }
  return ReadEpoch(state, low);
}

Result<std::vector<proto::RevokedCertificate>> ReadRevokedCertificates(
    const StateScanner& scanner) {
  std::vector<proto::RevokedCertificate> revoked;
  Status status;
  scanner.Scan(keys::kRevokedPrefix, [&](std::string_view key, std::string_view value) {
    proto::RevokedCertificate record;
    if (!record.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      status = Status::Corruption("state record at \"" + std::string(key) +
                                  "\" does not parse as RevokedCertificate");
      return false;
    }
    revoked.push_back(std::move(record));
    return true;
  });
  COLEND_RETURN_IF_ERROR(status);
  return revoked;
}

}  // namespace colend::contracts
