#include "colend/contracts/tx_json.h"

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "governance_json.h"
#include "json_document.h"
#include "json_fields.h"

namespace colend::contracts {
namespace {

using internal::EnumName;
using internal::JsonKind;
using internal::JsonPlace;
using internal::JsonValue;
using internal::JsonWriter;
using internal::ObjectReader;
using internal::PathStyle;
using proto::TransactionBody;

constexpr EnumName kDisbursementNames[] = {
    {"FRONTED", proto::DISBURSEMENT_MODE_FRONTED},
    {"DIRECT", proto::DISBURSEMENT_MODE_DIRECT},
};
constexpr EnumName kApprovalNames[] = {
    {"PREAPPROVED", proto::APPROVAL_MODE_PREAPPROVED},
    {"PER_LOAN", proto::APPROVAL_MODE_PER_LOAN},
};

// Amounts travel as strings of integer minor units (docs/api.md).
void WriteAmount(std::int64_t minor, JsonWriter& out) {
  out.String(Amount::FromMinor(minor).ToString());
}

// ----- Agreements -----

Status ReadShares(ObjectReader& in, proto::ProposeAgreement* out) {
  COLEND_ASSIGN_OR_RETURN(const JsonValue* shares, in.Get("shares"));
  const JsonPlace place = in.PlaceOf("shares");
  COLEND_RETURN_IF_ERROR(ObjectReader::Open(*shares, place).status());
  for (const auto& [bank, value] : shares->members) {
    COLEND_ASSIGN_OR_RETURN(const std::uint64_t bp,
                            internal::ReadUnsigned(value, internal::kMaxUint32, place.Key(bank)));
    (*out->mutable_shares())[bank] = static_cast<std::uint32_t>(bp);
  }
  return Status::Ok();
}

Status ReadLimits(ObjectReader& in, proto::ProposeAgreement* out) {
  const JsonValue* limits = in.Find("limits");
  if (limits == nullptr) return Status::Ok();
  const JsonPlace place = in.PlaceOf("limits");
  COLEND_RETURN_IF_ERROR(ObjectReader::Open(*limits, place).status());
  for (const auto& [bank, value] : limits->members) {
    COLEND_ASSIGN_OR_RETURN(ObjectReader limit, ObjectReader::Open(value, place.Key(bank)));
    COLEND_ASSIGN_OR_RETURN(const Amount max_outstanding, limit.AmountField("max_outstanding"));
    COLEND_RETURN_IF_ERROR(limit.CheckAllRead());
    (*out->mutable_limits())[bank].set_max_outstanding(max_outstanding.minor());
  }
  return Status::Ok();
}

Status ReadProposeAgreement(ObjectReader& in, TransactionBody* body) {
  proto::ProposeAgreement* out = body->mutable_propose_agreement();
  COLEND_ASSIGN_OR_RETURN(*out->mutable_agreement_id(), in.String("agreement_id"));
  COLEND_ASSIGN_OR_RETURN(*out->mutable_currency(), in.String("currency"));
  COLEND_RETURN_IF_ERROR(ReadShares(in, out));
  COLEND_ASSIGN_OR_RETURN(const std::uint64_t fee,
                          in.OptionalUnsigned("service_fee_bp", internal::kMaxUint32, 0));
  out->set_service_fee_bp(static_cast<std::uint32_t>(fee));
  COLEND_ASSIGN_OR_RETURN(
      const int disbursement,
      in.OptionalEnum("disbursement", kDisbursementNames, proto::DISBURSEMENT_MODE_FRONTED));
  out->set_disbursement(static_cast<proto::DisbursementMode>(disbursement));
  COLEND_ASSIGN_OR_RETURN(const int approval, in.OptionalEnum("approval", kApprovalNames,
                                                              proto::APPROVAL_MODE_PREAPPROVED));
  out->set_approval(static_cast<proto::ApprovalMode>(approval));
  return ReadLimits(in, out);
}

// Map entries sorted by key: Protobuf's map iteration order is unspecified.
template <typename Map>
std::vector<typename Map::const_pointer> SortedEntries(const Map& map) {
  std::vector<typename Map::const_pointer> entries;
  entries.reserve(map.size());
  for (const auto& entry : map) entries.push_back(&entry);
  std::sort(entries.begin(), entries.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  return entries;
}

void WriteProposeAgreement(const TransactionBody& body, JsonWriter& out) {
  const proto::ProposeAgreement& a = body.propose_agreement();
  out.Key("agreement_id").String(a.agreement_id());
  out.Key("currency").String(a.currency());
  out.Key("shares").BeginObject();
  for (const auto* entry : SortedEntries(a.shares())) {
    out.Key(entry->first).Unsigned(entry->second);
  }
  out.EndObject();
  out.Key("service_fee_bp").Unsigned(a.service_fee_bp());
  out.Key("disbursement").String(internal::EnumToName(kDisbursementNames, a.disbursement()));
  out.Key("approval").String(internal::EnumToName(kApprovalNames, a.approval()));
  if (!a.limits().empty()) {
    out.Key("limits").BeginObject();
    for (const auto* entry : SortedEntries(a.limits())) {
      out.Key(entry->first).BeginObject().Key("max_outstanding");
      WriteAmount(entry->second.max_outstanding(), out);
      out.EndObject();
    }
    out.EndObject();
  }
}

Status ReadAcceptAgreement(ObjectReader& in, TransactionBody* body) {
  COLEND_ASSIGN_OR_RETURN(*body->mutable_accept_agreement()->mutable_agreement_id(),
                          in.String("agreement_id"));
  return Status::Ok();
}
void WriteAcceptAgreement(const TransactionBody& body, JsonWriter& out) {
  out.Key("agreement_id").String(body.accept_agreement().agreement_id());
}

Status ReadSuspendAgreement(ObjectReader& in, TransactionBody* body) {
  COLEND_ASSIGN_OR_RETURN(*body->mutable_suspend_agreement()->mutable_agreement_id(),
                          in.String("agreement_id"));
  return Status::Ok();
}
void WriteSuspendAgreement(const TransactionBody& body, JsonWriter& out) {
  out.Key("agreement_id").String(body.suspend_agreement().agreement_id());
}

// ----- Loans -----

Status ReadOriginateLoan(ObjectReader& in, TransactionBody* body) {
  proto::OriginateLoan* out = body->mutable_originate_loan();
  COLEND_ASSIGN_OR_RETURN(*out->mutable_agreement_id(), in.String("agreement_id"));
  COLEND_ASSIGN_OR_RETURN(*out->mutable_loan_id(), in.String("loan_id"));
  COLEND_ASSIGN_OR_RETURN(*out->mutable_borrower_ref(), in.String("borrower_ref"));
  COLEND_ASSIGN_OR_RETURN(const Amount principal, in.AmountField("principal"));
  out->set_principal(principal.minor());
  COLEND_ASSIGN_OR_RETURN(const std::uint64_t rate,
                          in.Unsigned("annual_rate_bp", internal::kMaxUint32));
  out->set_annual_rate_bp(static_cast<std::uint32_t>(rate));
  COLEND_ASSIGN_OR_RETURN(const std::uint64_t term,
                          in.Unsigned("term_months", internal::kMaxUint32));
  out->set_term_months(static_cast<std::uint32_t>(term));
  COLEND_ASSIGN_OR_RETURN(*out->mutable_value_date(), in.String("value_date"));
  return Status::Ok();
}
void WriteOriginateLoan(const TransactionBody& body, JsonWriter& out) {
  const proto::OriginateLoan& loan = body.originate_loan();
  out.Key("agreement_id").String(loan.agreement_id());
  out.Key("loan_id").String(loan.loan_id());
  out.Key("borrower_ref").String(loan.borrower_ref());
  out.Key("principal");
  WriteAmount(loan.principal(), out);
  out.Key("annual_rate_bp").Unsigned(loan.annual_rate_bp());
  out.Key("term_months").Unsigned(loan.term_months());
  out.Key("value_date").String(loan.value_date());
}

Status ReadApproveLoan(ObjectReader& in, TransactionBody* body) {
  COLEND_ASSIGN_OR_RETURN(*body->mutable_approve_loan()->mutable_loan_id(), in.String("loan_id"));
  return Status::Ok();
}
void WriteApproveLoan(const TransactionBody& body, JsonWriter& out) {
  out.Key("loan_id").String(body.approve_loan().loan_id());
}

Status ReadRecordRepayment(ObjectReader& in, TransactionBody* body) {
  proto::RecordRepayment* out = body->mutable_record_repayment();
  COLEND_ASSIGN_OR_RETURN(*out->mutable_loan_id(), in.String("loan_id"));
  COLEND_ASSIGN_OR_RETURN(const Amount principal, in.AmountField("principal"));
  out->set_principal(principal.minor());
  COLEND_ASSIGN_OR_RETURN(const Amount interest, in.AmountField("interest"));
  out->set_interest(interest.minor());
  COLEND_ASSIGN_OR_RETURN(const Amount penalty, in.OptionalAmount("penalty", Amount::Zero()));
  out->set_penalty(penalty.minor());
  COLEND_ASSIGN_OR_RETURN(*out->mutable_value_date(), in.String("value_date"));
  return Status::Ok();
}
void WriteRecordRepayment(const TransactionBody& body, JsonWriter& out) {
  const proto::RecordRepayment& r = body.record_repayment();
  out.Key("loan_id").String(r.loan_id());
  out.Key("principal");
  WriteAmount(r.principal(), out);
  out.Key("interest");
  WriteAmount(r.interest(), out);
  out.Key("penalty");
  WriteAmount(r.penalty(), out);
  out.Key("value_date").String(r.value_date());
}

Status ReadChargeOff(ObjectReader& in, TransactionBody* body) {
  proto::ChargeOff* out = body->mutable_charge_off();
  COLEND_ASSIGN_OR_RETURN(*out->mutable_loan_id(), in.String("loan_id"));
  COLEND_ASSIGN_OR_RETURN(*out->mutable_value_date(), in.String("value_date"));
  return Status::Ok();
}
void WriteChargeOff(const TransactionBody& body, JsonWriter& out) {
  out.Key("loan_id").String(body.charge_off().loan_id());
  out.Key("value_date").String(body.charge_off().value_date());
}

Status ReadRecordRecovery(ObjectReader& in, TransactionBody* body) {
  proto::RecordRecovery* out = body->mutable_record_recovery();
  COLEND_ASSIGN_OR_RETURN(*out->mutable_loan_id(), in.String("loan_id"));
  COLEND_ASSIGN_OR_RETURN(const Amount amount, in.AmountField("amount"));
  out->set_amount(amount.minor());
  COLEND_ASSIGN_OR_RETURN(*out->mutable_value_date(), in.String("value_date"));
  return Status::Ok();
}
void WriteRecordRecovery(const TransactionBody& body, JsonWriter& out) {
  const proto::RecordRecovery& r = body.record_recovery();
  out.Key("loan_id").String(r.loan_id());
  out.Key("amount");
  WriteAmount(r.amount(), out);
  out.Key("value_date").String(r.value_date());
}

Status ReadReverse(ObjectReader& in, TransactionBody* body) {
  proto::Reverse* out = body->mutable_reverse();
  COLEND_ASSIGN_OR_RETURN(*out->mutable_target_id(), in.String("target_id"));
  COLEND_ASSIGN_OR_RETURN(*out->mutable_reason(), in.String("reason"));
  return Status::Ok();
}
void WriteReverse(const TransactionBody& body, JsonWriter& out) {
  out.Key("target_id").String(body.reverse().target_id());
  out.Key("reason").String(body.reverse().reason());
}

// ----- Settlement and reconciliation -----

Status ReadCloseSettlement(ObjectReader& in, TransactionBody* body) {
  proto::CloseSettlement* out = body->mutable_close_settlement();
  COLEND_ASSIGN_OR_RETURN(*out->mutable_counterparty(), in.String("counterparty"));
  COLEND_ASSIGN_OR_RETURN(*out->mutable_cutoff(), in.String("cutoff"));
  return Status::Ok();
}
void WriteCloseSettlement(const TransactionBody& body, JsonWriter& out) {
  out.Key("counterparty").String(body.close_settlement().counterparty());
  out.Key("cutoff").String(body.close_settlement().cutoff());
}

Status ReadConfirmSettlement(ObjectReader& in, TransactionBody* body) {
  proto::ConfirmSettlement* out = body->mutable_confirm_settlement();
  COLEND_ASSIGN_OR_RETURN(*out->mutable_batch_id(), in.String("batch_id"));
  // Required from the payer, absent in the receiver's confirmation (tx.proto).
  COLEND_ASSIGN_OR_RETURN(*out->mutable_payment_ref(), in.OptionalString("payment_ref"));
  return Status::Ok();
}
void WriteConfirmSettlement(const TransactionBody& body, JsonWriter& out) {
  out.Key("batch_id").String(body.confirm_settlement().batch_id());
  if (!body.confirm_settlement().payment_ref().empty()) {
    out.Key("payment_ref").String(body.confirm_settlement().payment_ref());
  }
}

constexpr std::size_t kSha256Size = 32;

Status ReadAcknowledgeReport(ObjectReader& in, TransactionBody* body) {
  proto::AcknowledgeReport* out = body->mutable_acknowledge_report();
  COLEND_ASSIGN_OR_RETURN(*out->mutable_counterparty(), in.String("counterparty"));
  COLEND_ASSIGN_OR_RETURN(const std::uint64_t height, in.Unsigned("height", internal::kMaxUint64));
  out->set_height(height);
  COLEND_ASSIGN_OR_RETURN(const Bytes sha256, in.Hex("report_sha256", kSha256Size));
  out->set_report_sha256(ToString(sha256));
  return Status::Ok();
}
void WriteAcknowledgeReport(const TransactionBody& body, JsonWriter& out) {
  const proto::AcknowledgeReport& a = body.acknowledge_report();
  out.Key("counterparty").String(a.counterparty());
  out.Key("height").Unsigned(a.height());
  out.Key("report_sha256").String(ToHex(AsBytes(a.report_sha256())));
}

// ----- Governance (governance_json.cc) -----

Status ReadGovernanceProposal(ObjectReader& in, TransactionBody* body) {
  return internal::ReadGovernanceProposal(in, body->mutable_governance_proposal());
}
void WriteGovernanceProposal(const TransactionBody& body, JsonWriter& out) {
  internal::WriteGovernanceProposal(body.governance_proposal(), out);
}
Status ReadGovernanceVote(ObjectReader& in, TransactionBody* body) {
  return internal::ReadGovernanceVote(in, body->mutable_governance_vote());
}
void WriteGovernanceVote(const TransactionBody& body, JsonWriter& out) {
  internal::WriteGovernanceVote(body.governance_vote(), out);
}

// ----- Dispatch -----

struct PayloadCodec {
  std::string_view type;  // the payload's tx.proto message name
  TransactionBody::PayloadCase payload_case;
  Status (*read)(ObjectReader&, TransactionBody*);
  void (*write)(const TransactionBody&, JsonWriter&);
};

constexpr PayloadCodec kPayloadCodecs[] = {
    {"ProposeAgreement", TransactionBody::kProposeAgreement, ReadProposeAgreement,
     WriteProposeAgreement},
    {"AcceptAgreement", TransactionBody::kAcceptAgreement, ReadAcceptAgreement,
     WriteAcceptAgreement},
    {"SuspendAgreement", TransactionBody::kSuspendAgreement, ReadSuspendAgreement,
     WriteSuspendAgreement},
    {"OriginateLoan", TransactionBody::kOriginateLoan, ReadOriginateLoan, WriteOriginateLoan},
    {"ApproveLoan", TransactionBody::kApproveLoan, ReadApproveLoan, WriteApproveLoan},
    {"RecordRepayment", TransactionBody::kRecordRepayment, ReadRecordRepayment,
     WriteRecordRepayment},
    {"ChargeOff", TransactionBody::kChargeOff, ReadChargeOff, WriteChargeOff},
    {"RecordRecovery", TransactionBody::kRecordRecovery, ReadRecordRecovery, WriteRecordRecovery},
    {"Reverse", TransactionBody::kReverse, ReadReverse, WriteReverse},
    {"CloseSettlement", TransactionBody::kCloseSettlement, ReadCloseSettlement,
     WriteCloseSettlement},
    {"ConfirmSettlement", TransactionBody::kConfirmSettlement, ReadConfirmSettlement,
     WriteConfirmSettlement},
    {"AcknowledgeReport", TransactionBody::kAcknowledgeReport, ReadAcknowledgeReport,
     WriteAcknowledgeReport},
    {"GovernanceProposal", TransactionBody::kGovernanceProposal, ReadGovernanceProposal,
     WriteGovernanceProposal},
    {"GovernanceVote", TransactionBody::kGovernanceVote, ReadGovernanceVote, WriteGovernanceVote},
};

const PayloadCodec* FindCodec(std::string_view type) {
  for (const PayloadCodec& codec : kPayloadCodecs) {
    if (codec.type == type) return &codec;
  }
  return nullptr;
}

const PayloadCodec* FindCodec(TransactionBody::PayloadCase payload_case) {
  for (const PayloadCodec& codec : kPayloadCodecs) {
    if (codec.payload_case == payload_case) return &codec;
  }
  return nullptr;
}

}  // namespace

Result<proto::TransactionBody> TransactionBodyFromJson(std::string_view json_object) {
  internal::JsonParseOptions options;
  options.max_bytes = kMaxTransactionJsonBytes;
  options.style = PathStyle::kQuotedField;
  COLEND_ASSIGN_OR_RETURN(const JsonValue document, internal::ParseJson(json_object, options));
  if (document.kind != JsonKind::kObject) {
    return Status::InvalidArgument("a transaction is a JSON object, got " +
                                   std::string(internal::JsonKindName(document.kind)));
  }
  COLEND_ASSIGN_OR_RETURN(ObjectReader in,
                          ObjectReader::Open(document, JsonPlace(PathStyle::kQuotedField, "")));
  COLEND_ASSIGN_OR_RETURN(const JsonValue* type, in.Get("type"));
  const PayloadCodec* codec = type->kind == JsonKind::kString ? FindCodec(type->text) : nullptr;
  if (codec == nullptr) {
    return internal::Mismatch(*type, "a transaction type such as \"OriginateLoan\"",
                              in.PlaceOf("type"));
  }
  TransactionBody body;
  COLEND_ASSIGN_OR_RETURN(*body.mutable_chain_id(), in.OptionalString("chain_id"));
  COLEND_ASSIGN_OR_RETURN(*body.mutable_signer(), in.NonEmptyString("signer"));
  COLEND_ASSIGN_OR_RETURN(*body.mutable_id(), in.NonEmptyString("id"));
  COLEND_RETURN_IF_ERROR(codec->read(in, &body));
  COLEND_RETURN_IF_ERROR(in.CheckAllRead());
  return body;
}

namespace {

void WriteBody(const proto::TransactionBody& body, JsonWriter& out) {
  out.BeginObject();
  const PayloadCodec* codec = FindCodec(body.payload_case());
  if (codec != nullptr) out.Key("type").String(codec->type);
  if (!body.chain_id().empty()) out.Key("chain_id").String(body.chain_id());
  out.Key("signer").String(body.signer());
  out.Key("id").String(body.id());
  if (codec != nullptr) codec->write(body, out);
  out.EndObject();
}

}  // namespace

std::string TransactionBodyToJson(const proto::TransactionBody& body) {
  JsonWriter out;
  WriteBody(body, out);
  return std::move(out).Finish();
}

boost::json::object TransactionBodyJson(const proto::TransactionBody& body) {
  JsonWriter out(JsonWriter::Layout::kValue);
  WriteBody(body, out);
  return std::move(std::move(out).TakeValue().as_object());
}

}  // namespace colend::contracts
