// Apply: the checks every transaction passes before its contract runs (chain, signer,
// key, PII, id, duplicate), the dispatch to the handler, and the receipt.
#include "colend/contracts/apply.h"

#include <google/protobuf/arena.h>

#include <array>
#include <optional>
#include <string>
#include <utility>

#include "colend/contracts/conservation.h"
#include "colend/contracts/error_code.h"
#include "colend/contracts/records.h"
#include "contract_state.h"
#include "tx_env.h"
#include "validation.h"

namespace colend::contracts {
namespace {

// Every text field of the body a human or a system types. Ids are included: a loan id
// must not be a phone number either. borrower_ref is checked by its own rule (hex only).
std::optional<std::string> FindPersonalDataInBody(const proto::TransactionBody& body) {
  // At most five fields: a fixed array, no allocation per transaction.
  std::array<std::pair<const char*, const std::string*>, 5> storage;
  std::size_t count = 0;
  auto add = [&](const char* name, const std::string& value) { storage[count++] = {name, &value}; };
  add("id", body.id());
  switch (body.payload_case()) {
    case proto::TransactionBody::kProposeAgreement:
      add("agreement_id", body.propose_agreement().agreement_id());
      break;
    case proto::TransactionBody::kOriginateLoan:
      add("agreement_id", body.originate_loan().agreement_id());
      add("loan_id", body.originate_loan().loan_id());
      break;
    case proto::TransactionBody::kReverse:
      add("reason", body.reverse().reason());
      break;
    case proto::TransactionBody::kConfirmSettlement:
      add("payment_ref", body.confirm_settlement().payment_ref());
      break;
    case proto::TransactionBody::kGovernanceProposal: {
      const proto::GovernanceProposal& g = body.governance_proposal();
      add("proposal_id", g.proposal_id());
      add("description", g.description());
      if (g.has_add_member()) add("legal_name", g.add_member().legal_name());
      if (g.has_suspend_member()) add("reason", g.suspend_member().reason());
      if (g.has_revoke_certificate()) add("reason", g.revoke_certificate().reason());
      break;
    }
    default:
      break;
  }
  for (std::size_t i = 0; i < count; ++i) {
    const auto& [name, value] = storage[i];
    if (auto found = FindPersonalData(*value)) {
      return "field " + std::string(name) + " contains what looks like " + *found +
             "; personal data never goes on the chain";
    }
  }
  return std::nullopt;
}

Verdict Dispatch(TxEnv& env) {
  switch (env.body.payload_case()) {
    case proto::TransactionBody::kProposeAgreement: return ProposeAgreementHandler(env);
    case proto::TransactionBody::kAcceptAgreement: return AcceptAgreementHandler(env);
    case proto::TransactionBody::kSuspendAgreement: return SuspendAgreementHandler(env);
    case proto::TransactionBody::kOriginateLoan: return OriginateLoanHandler(env);
    case proto::TransactionBody::kApproveLoan: return ApproveLoanHandler(env);
    case proto::TransactionBody::kRecordRepayment: return RecordRepaymentHandler(env);
    case proto::TransactionBody::kChargeOff: return ChargeOffHandler(env);
    case proto::TransactionBody::kRecordRecovery: return RecordRecoveryHandler(env);
    case proto::TransactionBody::kReverse: return ReverseHandler(env);
    case proto::TransactionBody::kCloseSettlement: return CloseSettlementHandler(env);
    case proto::TransactionBody::kConfirmSettlement: return ConfirmSettlementHandler(env);
    case proto::TransactionBody::kAcknowledgeReport: return AcknowledgeReportHandler(env);
    case proto::TransactionBody::kGovernanceProposal: return GovernanceProposalHandler(env);
    case proto::TransactionBody::kGovernanceVote: return GovernanceVoteHandler(env);
    case proto::TransactionBody::PAYLOAD_NOT_SET:
      break;
  }
  return Verdict::Reject(ErrorCode::kMalformed, "the transaction has no payload this version knows");
}

proto::Receipt Rejected(ByteView tx_hash, ErrorCode code, std::string message) {
  proto::Receipt receipt;
  receipt.set_tx_hash(ToString(tx_hash));
  receipt.set_status(proto::RECEIPT_STATUS_REJECTED);
  receipt.set_code(std::string(ErrorCodeName(code)));
  receipt.set_message(std::move(message));
  return receipt;
}

// Checks that leave no trace when they fail: the transaction does not belong on this chain
// or to a member, so it has no (signer, id) to remember.
std::optional<proto::Receipt> CheckAdmission(const ExecutableTx& tx, const StateView& state,
                                             const BlockContext& ctx, std::string* tx_key,
                                             Status* fault) {
  const proto::TransactionBody& body = *tx.body;
  if (body.chain_id() != ctx.chain_id) {
    return Rejected(tx.tx_hash, ErrorCode::kWrongChain,
                    "chain_id \"" + body.chain_id() + "\" is not this chain (\"" + ctx.chain_id +
                        "\")");
  }
  if (!IsMemberId(body.signer())) {
    return Rejected(tx.tx_hash, ErrorCode::kUnknownSigner, "signer must be a member id");
  }
  // Decoded once per block, not copied.
  auto found = PeekRecord<proto::MemberRecord>(state, keys::Member(body.signer()));
  if (!found.ok()) {
    *fault = found.status();
    return std::nullopt;
  }
  const proto::MemberRecord* member = *found;
  if (member == nullptr || member->status() != proto::MEMBER_STATUS_ACTIVE) {
    return Rejected(tx.tx_hash, ErrorCode::kUnknownSigner,
                    body.signer() + " is not an active member");
  }
  if (tx.authentication == Authentication::kSignatureInvalid) {
    return Rejected(tx.tx_hash, ErrorCode::kBadSignature,
                    "the signature does not verify under the key " + ToHex(tx.key_id) + " of " +
                        body.signer());
  }
  if (tx.authentication == Authentication::kVerifiedKey) {
    bool registered = false;
    for (const proto::ClientKey& key : member->client_keys()) {
      const ByteView id = AsBytes(key.key_id());
      if (id.size() == tx.key_id.size() && std::equal(id.begin(), id.end(), tx.key_id.begin())) {
        registered = true;
      }
    }
    if (!registered) {
      return Rejected(tx.tx_hash, ErrorCode::kBadSignature,
                      "the signing key is not an active client key of " + body.signer());
    }
  }
  if (!IsObjectId(body.id())) {
    return Rejected(tx.tx_hash, ErrorCode::kBadField,
                    "id must be 1-64 letters, digits or . _ : -");
  }
  *tx_key = keys::Tx(body.signer(), body.id());
  std::string unused;
  if (state.Get(*tx_key, &unused)) {
    return Rejected(tx.tx_hash, ErrorCode::kDuplicate,
                    body.signer() + " already used id " + body.id() +
                        "; the first transaction with it has the receipt");
  }
  return std::nullopt;
}

}  // namespace

Result<proto::Receipt> Apply(const ExecutableTx& tx, StateView& state, const BlockContext& ctx) {
  const proto::TransactionBody& body = *tx.body;
  Status fault;
  std::string tx_key;
  if (auto rejected = CheckAdmission(tx, state, ctx, &tx_key, &fault)) return *rejected;
  if (!fault.ok()) return fault;

  // The record and its journal lines live on an arena: a repayment under a four-bank
  // agreement writes a dozen lines, and one arena block beats three heap allocations each.
  google::protobuf::Arena arena;
  proto::TxRecord& record = *google::protobuf::Arena::CreateMessage<proto::TxRecord>(&arena);
  record.set_tx_hash(ToString(tx.tx_hash));
  record.set_height(ctx.height);
  record.set_index(tx.index);
  record.set_kind(proto::EVENT_KIND_OTHER);

  Verdict verdict = Verdict::Accept();
  StateView tx_view(&state);
  const std::size_t banks_before = tx.banks != nullptr ? tx.banks->size() : 0;
  if (auto pii = FindPersonalDataInBody(body)) {
    verdict = Verdict::Reject(ErrorCode::kPiiRejected, *pii);
  } else {
    TxEnv env{body, ctx, tx_view, record, tx.banks};
    verdict = Dispatch(env);
    if (verdict.accepted() && env.mixed_journal) {
      verdict = Verdict::Fault(Status::Internal("a journal entry mixes currencies or value dates"));
    }
    if (verdict.accepted()) {
      if (Status balanced = CheckJournalBalances(record); !balanced.ok()) {
        verdict = Verdict::Fault(std::move(balanced));
      }
    }
    if (verdict.accepted()) verdict = BookPostings(tx_view, record);
  }
  if (verdict.faulted()) return verdict.fault();

  proto::Receipt receipt;
  receipt.set_tx_hash(record.tx_hash());
  if (verdict.accepted()) {
    record.set_accepted(true);
    tx_view.MergeInto(state);
    if (tx.banks != nullptr) {
      for (const proto::JournalLine& line : record.journal()) {
        tx.banks->push_back(line.debtor());
        tx.banks->push_back(line.creditor());
      }
    }
    receipt.set_status(proto::RECEIPT_STATUS_OK);
  } else {
    if (tx.banks != nullptr) tx.banks->resize(banks_before);  // the handler's loan legs
    // Only the (signer, id) record: the handler's writes are dropped with tx_view.
    record.clear_journal();
    record.clear_deltas();
    record.clear_loan_id();
    record.clear_currency();
    record.clear_value_date();
    record.set_kind(proto::EVENT_KIND_UNSPECIFIED);
    record.set_code(std::string(ErrorCodeName(verdict.code())));
    receipt = Rejected(tx.tx_hash, verdict.code(), verdict.message());
  }
  WriteRecord(state, tx_key, record);
  return receipt;
}

}  // namespace colend::contracts
