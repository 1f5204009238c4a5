// Where each contract record lives in the state, and typed access to it. The key layout
// is part of the state root (every node must use the same keys), so it changes only with a
// chain upgrade. Ids inside keys are restricted by the contracts (validation: member ids
// [A-Z0-9_]{1,32}; agreement, loan, transaction, proposal ids [A-Za-z0-9._:-]{1,64};
// currencies [A-Z]{3}), so the '/' separator can never be forged by an id.
//
//   member/<member>                  MemberRecord
//   agreement/<agreement>            AgreementRecord
//   loan/<loan>                      LoanRecord
//   tx/<signer>/<id>                 TxRecord (dedup, event details, journal entry)
//   position/<a>/<b>/<currency>      PositionRecord (a < b)
//   batch/<a>/<b>/<currency>/<n>     SettlementBatchRecord (the key suffix is the batch id)
//   batchseq/<20-digit n>            batch id of the n-th batch closed on the chain
//   ack/<a>/<b>/<20-digit height>    ReportAckRecord
//   proposal/<proposal>              ProposalRecord
//   meta/members, meta/rules, meta/pairs, meta/batches, meta/validators
//   meta/validator_schedule          ValidatorSchedule (activation delay, latest epoch)
//   meta/epoch/<20-digit epoch>      ValidatorEpochRecord (validators.h reads them)
//   meta/revoked/<fingerprint>       RevokedCertificate (64 lower-case hex digits)
#ifndef COLEND_CONTRACTS_RECORDS_H_
#define COLEND_CONTRACTS_RECORDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "colend/common/result.h"
#include "colend/common/status.h"
#include "colend/contracts/state.h"
#include "colend/proto/state.pb.h"

namespace colend::contracts::keys {

inline constexpr std::string_view kMemberPrefix = "member/";
inline constexpr std::string_view kAgreementPrefix = "agreement/";
inline constexpr std::string_view kLoanPrefix = "loan/";
inline constexpr std::string_view kTxPrefix = "tx/";
inline constexpr std::string_view kPositionPrefix = "position/";
inline constexpr std::string_view kBatchPrefix = "batch/";
inline constexpr std::string_view kBatchSeqPrefix = "batchseq/";
inline constexpr std::string_view kAckPrefix = "ack/";
inline constexpr std::string_view kProposalPrefix = "proposal/";
inline constexpr std::string_view kMembers = "meta/members";
inline constexpr std::string_view kRules = "meta/rules";
inline constexpr std::string_view kPairs = "meta/pairs";
inline constexpr std::string_view kBatches = "meta/batches";
inline constexpr std::string_view kValidators = "meta/validators";
inline constexpr std::string_view kValidatorSchedule = "meta/validator_schedule";
inline constexpr std::string_view kValidatorEpochPrefix = "meta/epoch/";
inline constexpr std::string_view kRevokedPrefix = "meta/revoked/";

std::string Member(std::string_view id);
std::string Agreement(std::string_view id);
std::string Loan(std::string_view id);
std::string Tx(std::string_view signer, std::string_view id);
std::string Position(std::string_view a, std::string_view b, std::string_view currency);
// The batch id "<a>/<b>/<currency>/<n>"; its record is at Batch(BatchId(...)).
std::string BatchId(std::string_view a, std::string_view b, std::string_view currency,
                    std::uint64_t n);
std::string Batch(std::string_view batch_id);
std::string BatchSeq(std::uint64_t n);
std::string Ack(std::string_view a, std::string_view b, std::uint64_t height);
std::string Proposal(std::string_view id);
// Zero-padded so that key order is epoch order.
std::string ValidatorEpoch(std::uint64_t epoch);
std::string Revoked(std::string_view fingerprint);

}  // namespace colend::contracts::keys

namespace colend::contracts {

// Reads and parses the record at `key`: std::nullopt if absent, kCorruption if the stored
// bytes do not parse as M (a damaged store, never a transaction's fault). On a StateView
// that holds the record decoded (see state.h), the record is copied instead of parsed.
template <typename M>
Result<std::optional<M>> ReadRecord(const StateReader& state, std::string_view key) {
  M record;
  if (const auto* view = dynamic_cast<const StateView*>(&state)) {
    COLEND_ASSIGN_OR_RETURN(bool found, view->CopyDecoded(key, &record));
    if (!found) return std::optional<M>();
    return std::optional<M>(std::move(record));
  }
  // One buffer per thread: reads are the hot path of execution and most records are
  // small, so this saves an allocation per read.
  thread_local std::string bytes;
  if (!state.Get(key, &bytes)) return std::optional<M>();
  if (!record.ParseFromString(bytes)) {
    return Status::Corruption("state record at \"" + std::string(key) + "\" does not parse as " +
                              std::string(M::descriptor()->name()));
  }
  return std::optional<M>(std::move(record));
}

// Serialises and stages `record` at `key`. Records use no maps (state.proto), so the bytes
// are the same on every node.
template <typename M>
void WriteRecord(StateView& state, std::string_view key, const M& record) {
  state.Put(key, record.SerializeAsString());
}

// The record at `key` without a copy: nullptr if absent, kCorruption as ReadRecord. The
// view decodes it at most once per block (StateView::FindDecoded); the pointer is valid
// until the next change to `state` or a view it sits on.
template <typename M>
Result<const M*> PeekRecord(const StateView& state, std::string_view key) {
  COLEND_ASSIGN_OR_RETURN(const google::protobuf::Message* record,
                          state.FindDecoded(key, M::default_instance()));
  return static_cast<const M*>(record);
}

// Stages the record at `key` as a write of `state` and returns it for changing in place:
// what it holds when the block's writes are taken is what is written (serialised once per
// block). nullptr if the key is absent (nothing staged). Call it only on a path that
// writes the record; a rejected transaction's view is dropped with everything staged in
// it. Pointer valid until the next Put, Delete, MergeInto or TakeWrites of `state`.
template <typename M>
Result<M*> MutableRecord(StateView& state, std::string_view key) {
  COLEND_ASSIGN_OR_RETURN(google::protobuf::Message* record,
                          state.StageMutable(key, M::default_instance()));
  return static_cast<M*>(record);
}

// Stages an empty M at `key` (replacing any value) and returns it for filling in.
template <typename M>
M* NewRecord(StateView& state, std::string_view key) {
  return static_cast<M*>(state.StageNew(key, M::default_instance()));
}

}  // namespace colend::contracts

#endif  // COLEND_CONTRACTS_RECORDS_H_
