#include "state_queries.h"

#include "colend/contracts/books.h"
#include "colend/contracts/records.h"
#include "colend/contracts/records_json.h"
#include "colend/proto/state.pb.h"
#include "governance_queries.h"
#include "rpc_render.h"

namespace colend::node::rpc {
namespace {

// The characters of record ids, in ascending byte order.
constexpr std::string_view kIdAlphabet =
    "-.0123456789:ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";

template <typename M>
Status ParseRecord(std::string_view key, std::string_view value, M* out) {
  if (!out->ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    return Status::Corruption("state record at \"" + std::string(key) + "\" does not parse as " +
                              std::string(M::descriptor()->name()));
  }
  return Status::Ok();
}

bool PairMatches(std::string_view a, std::string_view b, const std::string& bank,
                 const std::string& counterparty) {
  if (!bank.empty() && a != bank && b != bank) return false;
  if (!counterparty.empty() && a != counterparty && b != counterparty) return false;
  return true;
}

}  // namespace

void ScanAfter(const contracts::StateScanner& scanner, std::string_view prefix,
               std::string_view after,
               const std::function<bool(std::string_view, std::string_view)>& fn) {
  bool stopped = false;
  auto visit = [&](std::string_view key, std::string_view value) {
    if (!fn(key, value)) stopped = true;
    return !stopped;
  };
  const std::string base(prefix);
  if (after.empty()) {
    scanner.Scan(base, visit);
    return;
  }
  // Keys above base+after, ascending: first its extensions (after is their prefix), then for
  // each position i from the last to the first, the keys that agree with `after` before i
  // and hold a greater character at i.
  const std::string exact = base + std::string(after);
  scanner.Scan(exact, [&](std::string_view key, std::string_view value) {
    return key.size() == exact.size() ? true : visit(key, value);
  });
  for (std::size_t i = after.size(); i-- > 0 && !stopped;) {
    const std::string head = base + std::string(after.substr(0, i));
    for (char c : kIdAlphabet) {
      if (c <= after[i]) continue;
      scanner.Scan(head + c, visit);
      if (stopped) return;
    }
  }
}

Result<json::value> ListLoans(const contracts::StateScanner& scanner, const LoanQuery& query) {
  json::array loans;
  Status status;
  bool more = false;
  std::string last_id;        // the last loan of the page
  std::string last_examined;  // the last loan examined, on the page or not
  bool budget_spent = false;
  std::size_t examined = 0;
  ScanAfter(scanner, contracts::keys::kLoanPrefix, query.cursor.value_or(""),
            [&](std::string_view key, std::string_view value) {
              if (examined == query.scan_budget) {
                // Everything up to last_examined is examined: the next page starts after it.
                budget_spent = true;
                return false;
              }
              ++examined;
              proto::LoanRecord loan;
              status = ParseRecord(key, value, &loan);
              if (!status.ok()) return false;
              if (query.agreement_id.has_value() && loan.agreement_id() != *query.agreement_id) {
                last_examined = loan.id();
                return true;
              }
              if (query.bank.has_value()) {
                bool party = false;
                for (const auto& leg : loan.legs()) party = party || leg.bank() == *query.bank;
                if (!party) {
                  last_examined = loan.id();
                  return true;
                }
              }
              if (loans.size() == query.limit) {
                more = true;  // this one opens the next page
                return false;
              }
              last_id = loan.id();
              last_examined = last_id;
              loans.push_back(contracts::LoanJson(loan, contracts::LoanJsonView::kFull));
              return true;
            });
  COLEND_RETURN_IF_ERROR(status);
  json::object out;
  out["loans"] = std::move(loans);
  if (budget_spent) {
    out["next_cursor"] = json::string(last_examined);
  } else {
    out["next_cursor"] = more ? json::value(json::string(last_id)) : json::value(nullptr);
  }
  return json::value(std::move(out));
}

Result<json::value> GetLoan(const contracts::StateReader& reader, std::string_view loan_id) {
  COLEND_ASSIGN_OR_RETURN(
      auto loan, contracts::ReadRecord<proto::LoanRecord>(reader, contracts::keys::Loan(loan_id)));
  if (!loan.has_value()) return Status::NotFound("no loan \"" + std::string(loan_id) + "\"");
  return json::value(contracts::LoanJson(*loan, contracts::LoanJsonView::kFull));
}

Result<json::value> ListAgreements(const contracts::StateScanner& scanner) {
  json::array agreements;
  Status status;
  scanner.Scan(contracts::keys::kAgreementPrefix,
               [&](std::string_view key, std::string_view value) {
                 proto::AgreementRecord agreement;
                 status = ParseRecord(key, value, &agreement);
                 if (!status.ok()) return false;
                 agreements.push_back(contracts::AgreementJson(agreement));
                 return true;
               });
  COLEND_RETURN_IF_ERROR(status);
  json::object out;
  out["agreements"] = std::move(agreements);
  return json::value(std::move(out));
}

Result<json::value> GetAgreement(const contracts::StateReader& reader,
                                 std::string_view agreement_id) {
  COLEND_ASSIGN_OR_RETURN(auto agreement, contracts::ReadRecord<proto::AgreementRecord>(
                                              reader, contracts::keys::Agreement(agreement_id)));
  if (!agreement.has_value()) {
    return Status::NotFound("no agreement \"" + std::string(agreement_id) + "\"");
  }
  return json::value(contracts::AgreementJson(*agreement));
}

Result<json::value> ListMembers(const contracts::StateReader& reader) {
  COLEND_ASSIGN_OR_RETURN(
      auto list, contracts::ReadRecord<proto::MemberList>(reader, contracts::keys::kMembers));
  COLEND_ASSIGN_OR_RETURN(auto validators, ValidatorsByMember(reader));
  json::array members;
  if (list.has_value()) {
    for (const std::string& id : list->ids()) {
      COLEND_ASSIGN_OR_RETURN(auto member, contracts::ReadRecord<proto::MemberRecord>(
                                               reader, contracts::keys::Member(id)));
      if (!member.has_value()) return Status::Corruption("member list names missing " + id);
      json::object entry = MemberJson(*member);
      auto runs = validators.find(id);
      entry["validators"] = runs != validators.end() ? std::move(runs->second) : json::array();
      members.push_back(std::move(entry));
    }
  }
  json::object out;
  out["members"] = std::move(members);
  return json::value(std::move(out));
}

Result<json::value> ListSettlements(const contracts::StateReader& reader,
                                    const SettlementQuery& query) {
  COLEND_ASSIGN_OR_RETURN(auto batches, contracts::ReadSettlements(reader));
  json::array settlements;
  for (const proto::SettlementBatchRecord& b : batches) {
    if (!PairMatches(b.a(), b.b(), query.bank, query.counterparty)) continue;
    json::object entry = contracts::SettlementJson(b);
    if (!query.status.empty() && entry["status"].as_string() != query.status) continue;
    settlements.push_back(std::move(entry));
  }
  json::object out;
  out["settlements"] = std::move(settlements);
  return json::value(std::move(out));
}

}  // namespace colend::node::rpc
