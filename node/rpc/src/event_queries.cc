#include "event_queries.h"

#include <cctype>
#include <string>

#include "colend/proto/state.pb.h"
#include "rpc_render.h"

namespace colend::node::rpc {

std::string PostingComponentName(int component) {
  constexpr std::string_view kPrefix = "POSTING_COMPONENT_";
  std::string name =
      proto::PostingComponent_IsValid(component)
          ? proto::PostingComponent_Name(static_cast<proto::PostingComponent>(component))
          : std::string(kPrefix) + "UNSPECIFIED";
  if (name.starts_with(kPrefix)) name = name.substr(kPrefix.size());
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

Result<json::object> BankEventJson(const BankEvent& event) {
  COLEND_ASSIGN_OR_RETURN(json::object tx, TransactionJson(event.signed_tx, event.tx_hash));
  json::object out;
  out["height"] = event.height;
  out["index"] = event.index;
  out["tx_hash"] = ToHex(event.tx_hash);
  const bool accepted = event.receipt.status() == proto::RECEIPT_STATUS_OK;
  out["status"] = accepted ? "ok" : "rejected";
  if (!accepted) {
    out["code"] = event.receipt.code();
    out["message"] = event.receipt.message();
  }
  out["tx"] = std::move(tx["tx"]);
  json::array postings;
  if (event.record.has_value()) {
    if (!event.record->currency().empty()) out["currency"] = event.record->currency();
    if (!event.record->value_date().empty()) out["value_date"] = event.record->value_date();
    for (const proto::JournalLine& line : event.record->journal()) {
      json::object posting;
      posting["debtor"] = line.debtor();
      posting["creditor"] = line.creditor();
      posting["component"] = PostingComponentName(line.component());
      posting["amount"] = std::to_string(line.amount());
      postings.push_back(std::move(posting));
    }
  }
  out["postings"] = std::move(postings);
  // What the event did to each bank's leg of its loan (repayments, recoveries, reversals):
  // an exporter keeps loan balances as of each height from these (docs/export.md).
  if (event.record.has_value() && event.record->deltas_size() > 0) {
    out["loan_id"] = event.record->loan_id();
    json::array deltas;
    for (const proto::LegDelta& delta : event.record->deltas()) {
      deltas.push_back(json::object{{"bank", delta.bank()},
                                    {"principal", std::to_string(delta.principal())},
                                    {"recovered", std::to_string(delta.recovered())}});
    }
    out["deltas"] = std::move(deltas);
  }
  return out;
}

namespace {

MethodResult NotAMember(const std::string& bank) {
  return RpcError{kNotFound, "bank " + bank + " is not a member of this chain", std::nullopt};
}

}  // namespace

MethodResult ListEventsMethod(NodeApi& node, const ParamReader& p, std::size_t max_limit) {
  Status s = p.OnlyAllowed({"bank", "from_height", "from_index", "to_height", "limit"});
  if (!s.ok()) return ErrorFromStatus(s);
  EventQuery query;
  Result<std::string> bank = p.RequiredString("bank");
  if (!bank.ok()) return ErrorFromStatus(bank.status());
  if (s = CheckMemberId("bank", *bank); !s.ok()) return ErrorFromStatus(s);
  query.bank = *bank;
  Result<std::optional<std::uint64_t>> from = p.OptionalUint("from_height");
  if (!from.ok()) return ErrorFromStatus(from.status());
  Result<std::optional<std::uint64_t>> from_index = p.OptionalUint("from_index");
  if (!from_index.ok()) return ErrorFromStatus(from_index.status());
  Result<std::optional<std::uint64_t>> to = p.OptionalUint("to_height");
  if (!to.ok()) return ErrorFromStatus(to.status());
  Result<std::optional<std::uint64_t>> limit = p.OptionalUint("limit");
  if (!limit.ok()) return ErrorFromStatus(limit.status());
  auto invalid = [](std::string message) -> MethodResult {
    return RpcError{kInvalidParams, std::move(message), std::nullopt};
  };
  if (from->has_value() && **from == 0) {
    return invalid("param \"from_height\": heights start at 1 (0 is genesis, which has no events)");
  }
  if (from_index->has_value() && **from_index > UINT32_MAX) {
    return invalid("param \"from_index\": must be at most " + std::to_string(UINT32_MAX));
  }
  if (limit->has_value() && (**limit < 1 || **limit > max_limit)) {
    return invalid("param \"limit\": must be between 1 and " + std::to_string(max_limit));
  }
  const std::uint64_t head = node.BlockNumber();
  query.from_height = from->value_or(0);
  if (query.from_height > head + 1) {
    return invalid("param \"from_height\": " + std::to_string(query.from_height) +
                   " is above the next height " + std::to_string(head + 1));
  }
  query.from_index = static_cast<std::uint32_t>(from_index->value_or(0));
  query.to_height = to->value_or(UINT64_MAX);
  if (query.to_height < query.from_height && to->has_value()) {
    return invalid("param \"to_height\": below from_height");
  }
  query.limit = static_cast<std::size_t>(limit->value_or(std::min<std::size_t>(100, max_limit)));

  BankEventPage page;
  if (!from->has_value()) {
    // From the start of the index (1 unless the data directory predates it).
    Result<EventsListed> probe =
        node.ListEvents(EventQuery{query.bank, UINT64_MAX, 0, 0, 1}, &page);
    if (!probe.ok()) return ErrorFromStatus(probe.status());
    if (*probe == EventsListed::kNotMember) return NotAMember(query.bank);
    query.from_height = page.indexed_from;
    page = BankEventPage{};
  }
  Result<EventsListed> listed = node.ListEvents(query, &page);
  if (!listed.ok()) return ErrorFromStatus(listed.status());
  switch (*listed) {
    case EventsListed::kListed:
      break;
    case EventsListed::kNotMember:
      return NotAMember(query.bank);
    case EventsListed::kBelowIndex: {
      json::object data;
      data["indexed_from"] = page.indexed_from;
      return RpcError{kNotFound,
                      "param \"from_height\": " + std::to_string(query.from_height) +
                          " is below the first indexed height " +
                          std::to_string(page.indexed_from) +
                          " (blocks below were stored before the event index existed)",
                      std::move(data)};
    }
  }
  json::array events;
  for (const BankEvent& event : page.events) {
    Result<json::object> one = BankEventJson(event);
    if (!one.ok()) return ErrorFromStatus(one.status());
    events.push_back(std::move(one).value());
  }
  json::object out;
  out["bank"] = query.bank;
  out["head"] = page.head;
  out["indexed_from"] = page.indexed_from;
  out["events"] = std::move(events);
  if (page.next_height.has_value()) {
    out["next_from_height"] = *page.next_height;
    out["next_from_index"] = page.next_index;
  } else {
    out["next_from_height"] = nullptr;
    out["next_from_index"] = nullptr;
  }
  return json::value(std::move(out));
}

}  // namespace colend::node::rpc
