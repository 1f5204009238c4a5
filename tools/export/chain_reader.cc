#include "chain_reader.h"

#include <utility>

#include <boost/json.hpp>

#include "colend/common/amount.h"

namespace colend::exporter {

namespace json = boost::json;

namespace {

constexpr std::size_t kPage = 1000;  // listEvents' largest page
constexpr std::size_t kBatch = 100;  // calls in one JSON-RPC batch

Status Bad(const std::string& what) {
  return Status::Corruption("unexpected answer from the node: " + what);
}

Result<const json::object*> Obj(const json::value& v, const std::string& what) {
  if (!v.is_object()) return Bad(what + " is not an object");
  return &v.as_object();
}

Result<const json::value*> Field(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return Bad(std::string("no \"") + key + "\" in " + json::serialize(o));
  return v;
}

Result<std::string> Str(const json::object& o, const char* key) {
  COLEND_ASSIGN_OR_RETURN(const json::value* v, Field(o, key));
  if (!v->is_string()) return Bad(std::string("\"") + key + "\" is not a string");
  return std::string(v->as_string());
}

std::string OptStr(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

Result<std::uint64_t> Uint(const json::object& o, const char* key) {
  COLEND_ASSIGN_OR_RETURN(const json::value* v, Field(o, key));
  if (v->is_uint64()) return v->as_uint64();
  if (v->is_int64() && v->as_int64() >= 0) return static_cast<std::uint64_t>(v->as_int64());
  return Bad(std::string("\"") + key + "\" is not a non-negative integer");
}

Result<std::int64_t> Money(const json::value& v, const std::string& what) {
  if (!v.is_string()) return Bad(what + " is not a string of minor units");
  Result<Amount> a = Amount::Parse(std::string(v.as_string()));
  if (!a.ok()) return Bad(what + ": " + a.status().message());
  return a->minor();
}

Result<std::int64_t> MoneyField(const json::object& o, const char* key) {
  COLEND_ASSIGN_OR_RETURN(const json::value* v, Field(o, key));
  return Money(*v, key);
}

Result<std::map<std::string, std::int64_t>> Components(const json::object& o) {
  std::map<std::string, std::int64_t> out;
  COLEND_ASSIGN_OR_RETURN(const json::value* v, Field(o, "components"));
  COLEND_ASSIGN_OR_RETURN(const json::object* c, Obj(*v, "components"));
  for (const auto& [name, amount] : *c) {
    COLEND_ASSIGN_OR_RETURN(std::int64_t minor, Money(amount, std::string(name)));
    out.emplace(std::string(name), minor);
  }
  return out;
}

Result<EventRow> ParseEvent(const json::object& o) {
  EventRow e;
  COLEND_ASSIGN_OR_RETURN(std::uint64_t index, Uint(o, "index"));
  if (index > UINT32_MAX) return Bad("event index out of range");
  e.index = static_cast<std::uint32_t>(index);
  COLEND_ASSIGN_OR_RETURN(e.tx_hash, Str(o, "tx_hash"));
  COLEND_ASSIGN_OR_RETURN(std::string status, Str(o, "status"));
  if (status != "ok" && status != "rejected") return Bad("event status \"" + status + "\"");
  e.accepted = status == "ok";
  e.code = OptStr(o, "code");
  e.message = OptStr(o, "message");
  COLEND_ASSIGN_OR_RETURN(const json::value* txv, Field(o, "tx"));
  COLEND_ASSIGN_OR_RETURN(const json::object* tx, Obj(*txv, "tx"));
  COLEND_ASSIGN_OR_RETURN(e.type, Str(*tx, "type"));
  COLEND_ASSIGN_OR_RETURN(e.signer, Str(*tx, "signer"));
  COLEND_ASSIGN_OR_RETURN(e.tx_id, Str(*tx, "id"));
  e.tx_json = json::serialize(*tx);
  e.loan_id = OptStr(*tx, "loan_id");  // the loan events that name it; a Reverse names a target
  e.currency = OptStr(o, "currency");
  e.value_date = OptStr(o, "value_date");
  COLEND_ASSIGN_OR_RETURN(const json::value* pv, Field(o, "postings"));
  if (!pv->is_array()) return Bad("postings is not an array");
  for (const json::value& item : pv->as_array()) {
    COLEND_ASSIGN_OR_RETURN(const json::object* p, Obj(item, "posting"));
    PostingRow row;
    COLEND_ASSIGN_OR_RETURN(row.debtor, Str(*p, "debtor"));
    COLEND_ASSIGN_OR_RETURN(row.creditor, Str(*p, "creditor"));
    COLEND_ASSIGN_OR_RETURN(row.component, Str(*p, "component"));
    COLEND_ASSIGN_OR_RETURN(row.amount, MoneyField(*p, "amount"));
    e.postings.push_back(std::move(row));
  }
  if (!e.postings.empty() && (e.currency.empty() || e.value_date.empty())) {
    return Bad("postings without a currency and value date");
  }
  if (const json::value* dv = o.if_contains("deltas")) {
    if (!dv->is_array()) return Bad("deltas is not an array");
    COLEND_ASSIGN_OR_RETURN(std::string loan_id, Str(o, "loan_id"));
    if (loan_id != e.loan_id) return Bad("deltas for loan " + loan_id + ", tx names " + e.loan_id);
    for (const json::value& item : dv->as_array()) {
      COLEND_ASSIGN_OR_RETURN(const json::object* d, Obj(item, "delta"));
      LegDeltaRow row;
      COLEND_ASSIGN_OR_RETURN(row.bank, Str(*d, "bank"));
      COLEND_ASSIGN_OR_RETURN(row.principal, MoneyField(*d, "principal"));
      COLEND_ASSIGN_OR_RETURN(row.recovered, MoneyField(*d, "recovered"));
      e.deltas.push_back(std::move(row));
    }
  }
  return e;
}

bool SameEvent(const EventRow& a, const EventRow& b) {
  return a.tx_hash == b.tx_hash && a.accepted == b.accepted && a.tx_json == b.tx_json &&
         a.postings.size() == b.postings.size() && a.deltas.size() == b.deltas.size();
}

}  // namespace

Result<json::value> ChainReader::Call(const std::string& method, const json::value& params) {
  tools::RpcResponse r = client_->Call(method, params);
  if (!r.status.ok()) return r.status;
  if (r.error.has_value()) {
    const std::string what = method + ": " + std::to_string(r.error->code) + " " + r.error->message;
    if (r.error->code == -32004) return Status::Unavailable(what);
    return Status::FailedPrecondition("the node refused " + what);
  }
  return std::move(r.result);
}

Result<std::string> ChainReader::ChainId() {
  COLEND_ASSIGN_OR_RETURN(json::value v, Call("getNodeInfo", nullptr));
  COLEND_ASSIGN_OR_RETURN(const json::object* o, Obj(v, "getNodeInfo"));
  return Str(*o, "chain_id");
}

Result<std::uint64_t> ChainReader::Head() {
  COLEND_ASSIGN_OR_RETURN(json::value v, Call("getBlockNumber", nullptr));
  if (v.is_uint64()) return v.as_uint64();
  if (v.is_int64() && v.as_int64() >= 0) return static_cast<std::uint64_t>(v.as_int64());
  return Bad("getBlockNumber is not a height");
}

Result<std::pair<std::uint64_t, std::vector<std::string>>> ChainReader::HeadAndMembers() {
  COLEND_ASSIGN_OR_RETURN(
      std::vector<tools::RpcResponse> answers,
      client_->CallBatch({{"getBlockNumber", nullptr}, {"getMembers", nullptr}}));
  for (std::size_t i = 0; i < answers.size(); ++i) {
    const tools::RpcResponse& r = answers[i];
    if (!r.status.ok()) return r.status;
    if (r.error.has_value()) {
      const std::string what = std::to_string(r.error->code) + " " + r.error->message;
      if (r.error->code == -32004 || r.error->code == -32005) return Status::Unavailable(what);
      return Status::FailedPrecondition("the node refused getBlockNumber/getMembers: " + what);
    }
  }
  if (answers.size() != 2) return Bad("a batch of 2 calls got " + std::to_string(answers.size()));
  const json::value& h = answers[0].result;
  std::uint64_t head = 0;
  if (h.is_uint64()) {
    head = h.as_uint64();
  } else if (h.is_int64() && h.as_int64() >= 0) {
    head = static_cast<std::uint64_t>(h.as_int64());
  } else {
    return Bad("getBlockNumber is not a height");
  }
  COLEND_ASSIGN_OR_RETURN(std::vector<std::string> members, ParseMembers(answers[1].result));
  return std::make_pair(head, std::move(members));
}

Result<std::vector<std::string>> ChainReader::ParseMembers(const json::value& v) {
  COLEND_ASSIGN_OR_RETURN(const json::object* o, Obj(v, "getMembers"));
  COLEND_ASSIGN_OR_RETURN(const json::value* list, Field(*o, "members"));
  if (!list->is_array()) return Bad("members is not an array");
  std::vector<std::string> out;
  for (const json::value& m : list->as_array()) {
    COLEND_ASSIGN_OR_RETURN(const json::object* mo, Obj(m, "member"));
    COLEND_ASSIGN_OR_RETURN(std::string id, Str(*mo, "id"));
    out.push_back(std::move(id));
  }
  return out;
}

Result<std::map<std::uint64_t, std::vector<EventRow>>> ChainReader::Events(
    const std::vector<std::string>& banks, std::uint64_t from, std::uint64_t to,
    const std::map<std::uint64_t, std::uint32_t>& tx_counts) {
  std::map<std::uint64_t, std::map<std::uint32_t, EventRow>> found;
  auto all_found = [&] {
    for (const auto& [height, count] : tx_counts) {
      auto it = found.find(height);
      if ((it == found.end() ? 0 : it->second.size()) < count) return false;
    }
    return true;
  };
  for (const std::string& bank : banks) {
    if (all_found()) break;
    std::uint64_t next_height = from;
    std::uint64_t next_index = 0;
    for (;;) {
      COLEND_ASSIGN_OR_RETURN(json::value v,
                              Call("listEvents", json::object{{"bank", bank},
                                                              {"from_height", next_height},
                                                              {"from_index", next_index},
                                                              {"to_height", to},
                                                              {"limit", kPage}}));
      COLEND_ASSIGN_OR_RETURN(const json::object* page, Obj(v, "listEvents"));
      COLEND_ASSIGN_OR_RETURN(const json::value* events, Field(*page, "events"));
      if (!events->is_array()) return Bad("events is not an array");
      for (const json::value& item : events->as_array()) {
        COLEND_ASSIGN_OR_RETURN(const json::object* o, Obj(item, "event"));
        COLEND_ASSIGN_OR_RETURN(std::uint64_t height, Uint(*o, "height"));
        if (height < from || height > to) return Bad("listEvents went outside its heights");
        COLEND_ASSIGN_OR_RETURN(EventRow e, ParseEvent(*o));
        auto [it, inserted] = found[height].emplace(e.index, e);
        if (!inserted && !SameEvent(it->second, e)) {
          return Bad("two banks' indexes disagree on transaction " + std::to_string(height) + "/" +
                     std::to_string(e.index));
        }
      }
      const json::value* nh = page->if_contains("next_from_height");
      if (nh == nullptr || nh->is_null()) break;
      COLEND_ASSIGN_OR_RETURN(next_height, Uint(*page, "next_from_height"));
      COLEND_ASSIGN_OR_RETURN(next_index, Uint(*page, "next_from_index"));
    }
  }
  std::map<std::uint64_t, std::vector<EventRow>> out;
  for (auto& [height, by_index] : found) {
    std::vector<EventRow>& rows = out[height];
    for (auto& [index, e] : by_index) rows.push_back(std::move(e));
  }
  return out;
}

Result<EventRow> ChainReader::UnindexedEvent(std::uint64_t height, std::uint32_t index) {
  COLEND_ASSIGN_OR_RETURN(json::value v,
                          Call("getBlockByNumber", json::object{{"height", height}}));
  COLEND_ASSIGN_OR_RETURN(const json::object* block, Obj(v, "getBlockByNumber"));
  COLEND_ASSIGN_OR_RETURN(const json::value* txs, Field(*block, "transactions"));
  if (!txs->is_array() || txs->as_array().size() <= index || !txs->as_array()[index].is_string()) {
    return Bad("block " + std::to_string(height) + " has no transaction " + std::to_string(index));
  }
  EventRow e;
  e.index = index;
  e.tx_hash = std::string(txs->as_array()[index].as_string());
  COLEND_ASSIGN_OR_RETURN(json::value rv,
                          Call("getTransactionReceipt", json::object{{"tx_hash", e.tx_hash}}));
  COLEND_ASSIGN_OR_RETURN(const json::object* receipt, Obj(rv, "receipt"));
  COLEND_ASSIGN_OR_RETURN(std::string status, Str(*receipt, "status"));
  COLEND_ASSIGN_OR_RETURN(std::uint64_t at, Uint(*receipt, "height"));
  if (status != "rejected" || at != height) {
    return Bad("transaction " + e.tx_hash + " is in no bank's event index but its receipt is " +
               status + " at height " + std::to_string(at));
  }
  e.code = OptStr(*receipt, "code");
  e.message = OptStr(*receipt, "message");
  return e;
}

Result<bool> ChainReader::PerLoanApproval(const std::string& agreement_id) {
  if (auto it = per_loan_.find(agreement_id); it != per_loan_.end()) return it->second;
  COLEND_ASSIGN_OR_RETURN(json::value v,
                          Call("getAgreement", json::object{{"agreement_id", agreement_id}}));
  COLEND_ASSIGN_OR_RETURN(const json::object* o, Obj(v, "getAgreement"));
  COLEND_ASSIGN_OR_RETURN(std::string approval, Str(*o, "approval"));
  if (approval != "PER_LOAN" && approval != "PREAPPROVED") return Bad("approval " + approval);
  per_loan_[agreement_id] = approval == "PER_LOAN";
  return approval == "PER_LOAN";
}

Result<std::vector<LoanRow>> ChainReader::OriginatedLoans(
    const std::vector<std::string>& ids, std::uint64_t height,
    std::optional<std::vector<PositionRow>>* positions) {
  std::vector<LoanRow> out;
  bool positions_asked = positions == nullptr;
  for (std::size_t start = 0; start < ids.size() || !positions_asked;) {
    std::vector<tools::JsonRpcClient::BatchCall> calls;
    // The first batch keeps a call's room for the positions.
    const std::size_t room = kBatch - (positions_asked ? 0 : 1);
    for (std::size_t i = start; i < ids.size() && i < start + room; ++i) {
      calls.push_back({"getLoan", json::object{{"loan_id", ids[i]}}});
    }
    const std::size_t loans_asked = calls.size();
    start += loans_asked;
    if (!positions_asked) {  // in the same round trip
      calls.push_back({"getPositions", json::object{{"height", height}}});
      positions_asked = true;
    }
    COLEND_ASSIGN_OR_RETURN(std::vector<tools::RpcResponse> answers, client_->CallBatch(calls));
    for (std::size_t i = 0; i < answers.size(); ++i) {
      tools::RpcResponse& r = answers[i];
      // Not executed: the batch's answers reached rpc.max_response_bytes. Ask again alone.
      if (r.status.ok() && r.error.has_value() && r.error->code == -32005) {
        r = client_->Call(calls[i].method, calls[i].params);
      }
      if (!r.status.ok()) return r.status;
      const std::string& method = calls[i].method;
      if (r.error.has_value()) {
        if (r.error->code == -32004) return Status::Unavailable(method + ": " + r.error->message);
        return Status::FailedPrecondition("the node refused " + method + ": " + r.error->message);
      }
      if (i >= loans_asked) {
        COLEND_ASSIGN_OR_RETURN(std::vector<PositionRow> p, ParsePositions(r.result, height));
        *positions = std::move(p);
        continue;
      }
      COLEND_ASSIGN_OR_RETURN(const json::object* o, Obj(r.result, "getLoan"));
      LoanRow l;
      COLEND_ASSIGN_OR_RETURN(l.loan_id, Str(*o, "loan_id"));
      COLEND_ASSIGN_OR_RETURN(l.agreement_id, Str(*o, "agreement_id"));
      COLEND_ASSIGN_OR_RETURN(l.lead, Str(*o, "lead"));
      COLEND_ASSIGN_OR_RETURN(l.currency, Str(*o, "currency"));
      COLEND_ASSIGN_OR_RETURN(l.borrower_ref, Str(*o, "borrower_ref"));
      COLEND_ASSIGN_OR_RETURN(l.principal, MoneyField(*o, "principal"));
      COLEND_ASSIGN_OR_RETURN(std::uint64_t rate, Uint(*o, "annual_rate_bp"));
      COLEND_ASSIGN_OR_RETURN(std::uint64_t term, Uint(*o, "term_months"));
      if (rate > UINT32_MAX || term > UINT32_MAX) return Bad("loan rate or term out of range");
      l.annual_rate_bp = static_cast<std::uint32_t>(rate);
      l.term_months = static_cast<std::uint32_t>(term);
      COLEND_ASSIGN_OR_RETURN(l.value_date, Str(*o, "value_date"));
      COLEND_ASSIGN_OR_RETURN(l.originated_at_height, Uint(*o, "originated_at_height"));
      if (l.originated_at_height != height) {
        return Bad("loan " + l.loan_id + " originated at " +
                   std::to_string(l.originated_at_height) + ", its event is at " +
                   std::to_string(height));
      }
      l.updated_at_height = height;
      COLEND_ASSIGN_OR_RETURN(bool per_loan, PerLoanApproval(l.agreement_id));
      l.status = per_loan ? "PENDING_APPROVAL" : "ACTIVE";
      COLEND_ASSIGN_OR_RETURN(const json::value* bv, Field(*o, "banks"));
      COLEND_ASSIGN_OR_RETURN(const json::object* banks, Obj(*bv, "banks"));
      std::int64_t total = 0;
      for (const auto& [bank, legv] : *banks) {
        COLEND_ASSIGN_OR_RETURN(const json::object* leg, Obj(legv, "leg"));
        LoanLegRow g;
        g.bank = std::string(bank);
        COLEND_ASSIGN_OR_RETURN(std::uint64_t bp, Uint(*leg, "share_bp"));
        if (bp > 10000) return Bad("share_bp above 10000");
        g.share_bp = static_cast<std::uint32_t>(bp);
        COLEND_ASSIGN_OR_RETURN(g.share, MoneyField(*leg, "share"));
        if (g.share < 0 || __builtin_add_overflow(total, g.share, &total)) {
          return Bad("loan " + l.loan_id + " has a bad share");
        }
        g.outstanding = g.share;
        g.approved = !per_loan || g.bank == l.lead;
        l.legs.push_back(std::move(g));
      }
      if (total != l.principal) return Bad("loan " + l.loan_id + "'s shares do not sum to it");
      out.push_back(std::move(l));
    }
  }
  return out;
}

Result<std::vector<PositionRow>> ChainReader::Positions(std::uint64_t height) {
  COLEND_ASSIGN_OR_RETURN(json::value v, Call("getPositions", json::object{{"height", height}}));
  return ParsePositions(v, height);
}

Result<std::vector<PositionRow>> ChainReader::ParsePositions(const json::value& v,
                                                             std::uint64_t height) {
  COLEND_ASSIGN_OR_RETURN(const json::object* o, Obj(v, "getPositions"));
  COLEND_ASSIGN_OR_RETURN(std::uint64_t at, Uint(*o, "height"));
  if (at != height) return Bad("getPositions answered for another height");
  COLEND_ASSIGN_OR_RETURN(const json::value* list, Field(*o, "positions"));
  if (!list->is_array()) return Bad("positions is not an array");
  std::vector<PositionRow> out;
  for (const json::value& item : list->as_array()) {
    COLEND_ASSIGN_OR_RETURN(const json::object* p, Obj(item, "position"));
    PositionRow row;
    COLEND_ASSIGN_OR_RETURN(row.a, Str(*p, "a"));
    COLEND_ASSIGN_OR_RETURN(row.b, Str(*p, "b"));
    COLEND_ASSIGN_OR_RETURN(row.currency, Str(*p, "currency"));
    COLEND_ASSIGN_OR_RETURN(row.net_a_owes_b, MoneyField(*p, "net_a_owes_b"));
    COLEND_ASSIGN_OR_RETURN(row.components, Components(*p));
    out.push_back(std::move(row));
  }
  return out;
}

Result<std::vector<SettlementRow>> ChainReader::ClosedBatches(const std::string& signer,
                                                              const std::string& counterparty,
                                                              std::uint64_t height) {
  COLEND_ASSIGN_OR_RETURN(
      json::value v,
      Call("getSettlements", json::object{{"bank", signer}, {"counterparty", counterparty}}));
  COLEND_ASSIGN_OR_RETURN(const json::object* o, Obj(v, "getSettlements"));
  COLEND_ASSIGN_OR_RETURN(const json::value* list, Field(*o, "settlements"));
  if (!list->is_array()) return Bad("settlements is not an array");
  std::vector<SettlementRow> out;
  for (const json::value& item : list->as_array()) {
    COLEND_ASSIGN_OR_RETURN(const json::object* b, Obj(item, "batch"));
    SettlementRow row;
    COLEND_ASSIGN_OR_RETURN(row.closed_at_height, Uint(*b, "closed_at_height"));
    COLEND_ASSIGN_OR_RETURN(row.closed_by, Str(*b, "closed_by"));
    if (row.closed_at_height != height || row.closed_by != signer) continue;
    COLEND_ASSIGN_OR_RETURN(row.batch_id, Str(*b, "batch_id"));
    COLEND_ASSIGN_OR_RETURN(row.a, Str(*b, "a"));
    COLEND_ASSIGN_OR_RETURN(row.b, Str(*b, "b"));
    COLEND_ASSIGN_OR_RETURN(row.currency, Str(*b, "currency"));
    COLEND_ASSIGN_OR_RETURN(row.net_a_owes_b, MoneyField(*b, "net_a_owes_b"));
    COLEND_ASSIGN_OR_RETURN(row.cutoff, Str(*b, "cutoff"));
    COLEND_ASSIGN_OR_RETURN(row.posting_count, Uint(*b, "posting_count"));
    COLEND_ASSIGN_OR_RETURN(row.components, Components(*b));
    // As it closed (contracts/src/settlement.cc): settled at once when it nets to zero.
    row.status = row.net_a_owes_b == 0 ? "CONFIRMED" : "CLOSED";
    out.push_back(std::move(row));
  }
  if (out.empty()) {
    return Bad(signer + " closed no batch with " + counterparty + " at " + std::to_string(height));
  }
  return out;
}

Result<BlockRow> BlockFromNotification(std::uint64_t height, const json::object& result) {
  BlockRow b;
  b.height = height;
  COLEND_ASSIGN_OR_RETURN(std::uint64_t h, Uint(result, "height"));
  if (h != height) return Bad("a blocks notification's result is for another height");
  COLEND_ASSIGN_OR_RETURN(b.hash, Str(result, "hash"));
  COLEND_ASSIGN_OR_RETURN(std::uint64_t ts, Uint(result, "timestamp_ms"));
  COLEND_ASSIGN_OR_RETURN(std::uint64_t count, Uint(result, "tx_count"));
  COLEND_ASSIGN_OR_RETURN(std::uint64_t accepted, Uint(result, "accepted"));
  if (ts > static_cast<std::uint64_t>(INT64_MAX) || count > UINT32_MAX || accepted > count) {
    return Bad("block " + std::to_string(height) + " has impossible counts or time");
  }
  b.timestamp_ms = static_cast<std::int64_t>(ts);
  b.tx_count = static_cast<std::uint32_t>(count);
  b.accepted = static_cast<std::uint32_t>(accepted);
  COLEND_ASSIGN_OR_RETURN(b.state_root, Str(result, "state_root"));
  COLEND_ASSIGN_OR_RETURN(b.receipts_root, Str(result, "receipts_root"));
  return b;
}

}  // namespace colend::exporter
