#include "colend/contracts/records_json.h"

#include <string>
#include <string_view>
#include <utility>

#include "colend/contracts/books.h"

namespace colend::contracts {
namespace {

namespace json = boost::json;

std::string Str(std::int64_t minor) { return std::to_string(minor); }

// "LOAN_STATUS_ACTIVE" -> "ACTIVE"; a number this version has no name for -> its digits.
std::string EnumName(const std::string& full, std::string_view prefix, int number) {
  if (full.empty()) return std::to_string(number);
  std::string_view name = full;
  if (name.substr(0, prefix.size()) == prefix) name.remove_prefix(prefix.size());
  return std::string(name);
}

}  // namespace

json::object ComponentsJson(const proto::ComponentAmounts& c) {
  json::object out;
  const std::pair<const char*, std::int64_t> parts[] = {
      {"funding", c.funding()},         {"principal", c.principal()},
      {"interest", c.interest()},       {"service_fee", c.service_fee()},
      {"penalty", c.penalty()},         {"recovery", c.recovery()}};
  for (const auto& [name, value] : parts) {
    if (value != 0) out[name] = Str(value);
  }
  return out;
}

json::object LoanJson(const proto::LoanRecord& loan, LoanJsonView view) {
  const bool full = view == LoanJsonView::kFull;
  json::object banks;
  for (const proto::LoanLeg& leg : loan.legs()) {  // sorted by bank
    json::object b;
    b["share"] = Str(leg.share());
    b["outstanding"] = Str(leg.outstanding());
    if (full) {
      b["share_bp"] = leg.share_bp();
      b["loss"] = Str(leg.loss());
      b["recovered"] = Str(leg.recovered());
      b["approved"] = leg.approved();
    }
    banks[leg.bank()] = std::move(b);
  }
  json::object out;
  if (full) {
    out["loan_id"] = loan.id();
    out["agreement_id"] = loan.agreement_id();
    out["lead"] = loan.lead();
    out["currency"] = loan.currency();
  }
  out["status"] = EnumName(proto::LoanStatus_Name(loan.status()), "LOAN_STATUS_", loan.status());
  out["principal"] = Str(loan.principal());
  if (full) {
    out["annual_rate_bp"] = loan.annual_rate_bp();
    out["term_months"] = loan.term_months();
    out["value_date"] = loan.value_date();
    out["borrower_ref"] = loan.borrower_ref();
    out["originated_at_height"] = loan.originated_at_height();
  }
  out["banks"] = std::move(banks);
  return out;
}

json::object AgreementJson(const proto::AgreementRecord& a) {
  json::object parties;
  for (const proto::AgreementParty& p : a.parties()) {  // sorted by bank
    json::object o;
    o["share_bp"] = p.share_bp();
    o["accepted"] = p.accepted();
    if (p.has_limit()) {
      // A correction may leave a party above its limit (new loans needing its share are then
      // refused); "excess" says by how much, "0" when it is within.
      o["max_outstanding"] = Str(p.max_outstanding());
      o["excess"] = Str(LimitExcessOf(p));
    }
    o["outstanding"] = Str(p.outstanding());
    o["loss"] = Str(p.loss());
    parties[p.bank()] = std::move(o);
  }
  json::object out;
  out["agreement_id"] = a.id();
  out["lead"] = a.lead();
  out["currency"] = a.currency();
  out["status"] =
      EnumName(proto::AgreementStatus_Name(a.status()), "AGREEMENT_STATUS_", a.status());
  out["service_fee_bp"] = a.service_fee_bp();
  out["disbursement"] = EnumName(proto::DisbursementMode_Name(a.disbursement()),
                                 "DISBURSEMENT_MODE_", a.disbursement());
  out["approval"] =
      EnumName(proto::ApprovalMode_Name(a.approval()), "APPROVAL_MODE_", a.approval());
  if (!a.suspended_by().empty()) out["suspended_by"] = a.suspended_by();
  out["loan_count"] = a.loan_count();
  out["parties"] = std::move(parties);
  return out;
}

json::object SettlementJson(const proto::SettlementBatchRecord& b) {
  json::object out;
  out["a"] = b.a();
  out["b"] = b.b();
  out["currency"] = b.currency();
  out["net_a_owes_b"] = Str(b.net_a_owes_b());
  out["batch_id"] = b.batch_id();
  out["status"] = EnumName(proto::SettlementStatus_Name(b.status()), "SETTLEMENT_STATUS_",
                           b.status());
  out["cutoff"] = b.cutoff();
  out["closed_by"] = b.closed_by();
  out["closed_at_height"] = b.closed_at_height();
  out["posting_count"] = b.posting_count();
  out["components"] = ComponentsJson(b.amounts());
  if (!b.payment_ref().empty()) out["payment_ref"] = b.payment_ref();
  return out;
}

}  // namespace colend::contracts
