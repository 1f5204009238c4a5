#include "colend/contracts/books.h"

#include <boost/json.hpp>

#include "colend/contracts/records.h"
#include "colend/contracts/records_json.h"
#include "colend/common/amount.h"
#include "colend/proto/state.pb.h"

namespace colend::contracts {
namespace {

namespace json = boost::json;

std::string Str(std::int64_t minor) { return std::to_string(minor); }

Result<json::array> PositionsArray(const StateReader& state, const PositionFilter& filter) {
  COLEND_ASSIGN_OR_RETURN(auto positions, ReadPositions(state));
  json::array out;
  for (const proto::PositionRecord& p : positions) {
    if (!filter.bank.empty() && p.a() != filter.bank && p.b() != filter.bank) continue;
    if (!filter.counterparty.empty() && p.a() != filter.counterparty &&
        p.b() != filter.counterparty) {
      continue;
    }
    json::object components = ComponentsJson(p.total());
    if (components.empty()) continue;
    COLEND_ASSIGN_OR_RETURN(std::int64_t net, NetOfComponents(p.total()));
    json::object entry;
    entry["a"] = p.a();
    entry["b"] = p.b();
    entry["currency"] = p.currency();
    entry["net_a_owes_b"] = Str(net);
    entry["components"] = std::move(components);
    out.push_back(std::move(entry));
  }
  return out;
}

json::object LimitExcessJson(const LimitExcess& e) {
  json::object out;
  out["agreement_id"] = e.agreement_id;
  out["bank"] = e.bank;
  out["currency"] = e.currency;
  out["outstanding"] = Str(e.outstanding);
  out["max_outstanding"] = Str(e.max_outstanding);
  out["excess"] = Str(e.excess);
  return out;
}

}  // namespace

Result<std::int64_t> NetOfComponents(const proto::ComponentAmounts& amounts) {
  const Amount parts[] = {Amount::FromMinor(amounts.funding()),
                          Amount::FromMinor(amounts.principal()),
                          Amount::FromMinor(amounts.interest()),
                          Amount::FromMinor(amounts.service_fee()),
                          Amount::FromMinor(amounts.penalty()),
                          Amount::FromMinor(amounts.recovery())};
  COLEND_ASSIGN_OR_RETURN(Amount net, CheckedSum(parts));
  return net.minor();
}

std::int64_t LimitExcessOf(const proto::AgreementParty& party) {
  if (!party.has_limit() || party.outstanding() <= party.max_outstanding()) return 0;
  // Both are >= 0 (the contract keeps them so), so the difference cannot overflow.
  return party.outstanding() - party.max_outstanding();
}

std::vector<LimitExcess> LimitExcessesOf(const proto::AgreementRecord& agreement) {
  std::vector<LimitExcess> out;
  for (const proto::AgreementParty& party : agreement.parties()) {
    const std::int64_t excess = LimitExcessOf(party);
    if (excess == 0) continue;
    out.push_back(LimitExcess{agreement.id(), party.bank(), agreement.currency(),
                              party.outstanding(), party.max_outstanding(), excess});
  }
  return out;
}

Result<std::vector<LimitExcess>> ReadLimitExcesses(const StateScanner& scanner) {
  std::vector<LimitExcess> out;
  Status scan_status;
  scanner.Scan(keys::kAgreementPrefix, [&](std::string_view key, std::string_view value) {
    proto::AgreementRecord agreement;
    if (!agreement.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      scan_status =
          Status::Corruption("state record at \"" + std::string(key) + "\" is not an agreement");
      return false;
    }
    for (LimitExcess& e : LimitExcessesOf(agreement)) out.push_back(std::move(e));
    return true;
  });
  COLEND_RETURN_IF_ERROR(scan_status);
  return out;
}

Result<std::vector<proto::PositionRecord>> ReadPositions(const StateReader& state) {
  COLEND_ASSIGN_OR_RETURN(auto pairs, ReadRecord<proto::PairList>(state, keys::kPairs));
  std::vector<proto::PositionRecord> out;
  if (!pairs.has_value()) return out;
  for (const proto::PairKey& k : pairs->pairs()) {
    const std::string key = keys::Position(k.a(), k.b(), k.currency());
    COLEND_ASSIGN_OR_RETURN(auto p, ReadRecord<proto::PositionRecord>(state, key));
    if (!p.has_value()) return Status::Corruption("pair list names missing " + key);
    out.push_back(std::move(*p));
  }
  return out;
}

Result<std::vector<proto::SettlementBatchRecord>> ReadSettlements(const StateReader& state) {
  COLEND_ASSIGN_OR_RETURN(auto counter, ReadRecord<proto::BatchCounter>(state, keys::kBatches));
  std::vector<proto::SettlementBatchRecord> out;
  const std::uint64_t count = counter.has_value() ? counter->count() : 0;
  for (std::uint64_t n = 1; n <= count; ++n) {
    std::string batch_id;
    if (!state.Get(keys::BatchSeq(n), &batch_id)) {
      return Status::Corruption("batch sequence " + std::to_string(n) + " is missing");
    }
    COLEND_ASSIGN_OR_RETURN(auto b, ReadRecord<proto::SettlementBatchRecord>(state, keys::Batch(batch_id)));
    if (!b.has_value()) return Status::Corruption("batch " + batch_id + " is missing");
    out.push_back(std::move(*b));
  }
  return out;
}

Result<json::array> Positions(const StateReader& state, const PositionFilter& filter) {
  return PositionsArray(state, filter);
}

Result<std::string> PositionsJson(const StateReader& state, const PositionFilter& filter) {
  COLEND_ASSIGN_OR_RETURN(json::array positions, PositionsArray(state, filter));
  return json::serialize(positions);
}

Result<std::string> BooksJson(const StateReader& reader, const StateScanner& scanner,
                              const BooksHeader& header, const std::vector<ReceiptLine>& receipts) {
  COLEND_ASSIGN_OR_RETURN(json::object books, Books(reader, scanner, header, receipts));
  return json::serialize(books);
}

Result<json::object> Books(const StateReader& reader, const StateScanner& scanner,
                           const BooksHeader& header, const std::vector<ReceiptLine>& receipts) {
  json::object books;
  books["height"] = header.height;
  books["state_root"] = ToHex(header.state_root);

  json::object loans;
  Status scan_status;
  scanner.Scan(keys::kLoanPrefix, [&](std::string_view key, std::string_view value) {
    proto::LoanRecord loan;
    if (!loan.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      scan_status = Status::Corruption("state record at \"" + std::string(key) + "\" is not a loan");
      return false;
    }
    loans[loan.id()] = LoanJson(loan, LoanJsonView::kBooks);
    return true;
  });
  COLEND_RETURN_IF_ERROR(scan_status);
  books["loans"] = std::move(loans);

  COLEND_ASSIGN_OR_RETURN(json::array positions, PositionsArray(reader, PositionFilter{}));
  books["positions"] = std::move(positions);

  COLEND_ASSIGN_OR_RETURN(auto batches, ReadSettlements(reader));
  json::array settlements;
  for (const auto& b : batches) settlements.push_back(SettlementJson(b));
  books["settlements"] = std::move(settlements);

  COLEND_ASSIGN_OR_RETURN(auto excesses, ReadLimitExcesses(scanner));
  json::array over_limit;
  for (const LimitExcess& e : excesses) over_limit.push_back(LimitExcessJson(e));
  books["over_limit"] = std::move(over_limit);

  json::array lines;
  for (const ReceiptLine& r : receipts) {
    json::object line;
    line["id"] = r.id;
    line["status"] = r.ok ? "ok" : "rejected";
    if (!r.ok) {
      line["code"] = r.code;
      line["message"] = r.message;
    }
    lines.push_back(std::move(line));
  }
  books["receipts"] = std::move(lines);
  return books;
}

}  // namespace colend::contracts
