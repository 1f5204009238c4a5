// The chain side of colend-recon: reads one bank's loans, positions, settlements and loan
// events from a node over JSON-RPC (recon.h, docs/api.md).
#include <algorithm>
#include <charconv>
#include <exception>
#include <set>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include <boost/json.hpp>

#include "recon.h"
#include "rpc_client.h"

namespace colend::recon {
namespace {

namespace json = boost::json;

constexpr std::int64_t kInvalidParams = -32602;
constexpr std::int64_t kNotFound = -32002;
constexpr std::uint64_t kLoanPage = 1000;

// A call's result, or a Status naming the method: kUnavailable when the node did not answer,
// kInvalidArgument / kNotFound for the node's -32602 / -32002, kInternal otherwise.
Result<json::value> Call(tools::JsonRpcClient& client, const std::string& method,
                         const json::value& params) {
  tools::RpcResponse r = client.Call(method, params);
  if (!r.status.ok()) {
    return Status::Unavailable("node " + client.url() + " did not answer " + method + ": " +
                               r.status.message());
  }
  if (r.error.has_value()) {
    const std::string what =
        method + " failed: " + r.error->message + " (" + std::to_string(r.error->code) + ")";
    if (r.error->code == kInvalidParams) return Status::InvalidArgument(what);
    if (r.error->code == kNotFound) return Status::NotFound(what);
    return Status::Internal(what);
  }
  return std::move(r.result);
}

// An amount or count: a JSON string of an integer or a JSON integer. Throws on anything else
// (caught at the top as "unexpected answer").
std::int64_t Int(const json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64()) return json::value_to<std::int64_t>(v);
  if (v.is_string()) {
    const json::string& s = v.get_string();
    std::int64_t out = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec == std::errc() && end == s.data() + s.size()) return out;
  }
  throw std::runtime_error("expected an integer, got " + json::serialize(v));
}

std::int64_t IntOr0(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v == nullptr ? 0 : Int(*v);
}

std::string Str(const json::value& v) {
  return std::string(v.as_string());
}

ChainLoan LoanFrom(const json::object& o) {
  ChainLoan loan;
  loan.loan_id = Str(o.at("loan_id"));
  loan.agreement_id = Str(o.at("agreement_id"));
  loan.currency = Str(o.at("currency"));
  loan.status = Str(o.at("status"));
  loan.principal = Int(o.at("principal"));
  for (const auto& [bank, leg_value] : o.at("banks").as_object()) {
    const json::object& leg = leg_value.as_object();
    loan.legs.push_back(LoanLeg{std::string(bank), Int(leg.at("share")),
                                Int(leg.at("outstanding")),
                                static_cast<std::int32_t>(Int(leg.at("share_bp")))});
  }
  std::sort(loan.legs.begin(), loan.legs.end(),
            [](const LoanLeg& a, const LoanLeg& b) { return a.bank < b.bank; });
  return loan;
}

Status ReadLoans(tools::JsonRpcClient& client, const std::string& bank,
                 std::vector<ChainLoan>& out) {
  std::optional<std::string> cursor;
  bool use_limit = true;
  while (true) {
    json::object params{{"bank", bank}};
    if (use_limit) params["limit"] = kLoanPage;
    if (cursor.has_value()) params["cursor"] = *cursor;
    Result<json::value> page = Call(client, "listLoans", params);
    if (!page.ok() && use_limit && page.status().code() == StatusCode::kInvalidArgument) {
      use_limit = false;  // a node with a smaller page cap: take its default page
      continue;
    }
    if (!page.ok()) return page.status();
    for (const json::value& l : page->at("loans").as_array()) out.push_back(LoanFrom(l.as_object()));
    const json::value& next = page->at("next_cursor");
    if (next.is_null()) break;
    cursor = Str(next);
  }
  std::sort(out.begin(), out.end(),
            [](const ChainLoan& a, const ChainLoan& b) { return a.loan_id < b.loan_id; });
  return Status::Ok();
}

// Pair (a, b) seen from `bank`: the counterparty and the sign that makes "bank owes" positive.
std::pair<std::string, std::int64_t> FromBank(const json::object& o, const std::string& bank) {
  const std::string a = Str(o.at("a"));
  const std::string b = Str(o.at("b"));
  return a == bank ? std::pair{b, std::int64_t{1}} : std::pair{a, std::int64_t{-1}};
}

Status ReadPositions(tools::JsonRpcClient& client, const FetchOptions& options,
                     std::uint64_t height, std::vector<PositionRow>& out) {
  json::object params{{"bank", options.bank}, {"height", height}};
  if (!options.counterparty.empty()) params["counterparty"] = options.counterparty;
  COLEND_ASSIGN_OR_RETURN(json::value r, Call(client, "getPositions", params));
  for (const json::value& p : r.at("positions").as_array()) {
    const json::object& o = p.as_object();
    auto [counterparty, sign] = FromBank(o, options.bank);
    PositionRow row;
    row.counterparty = counterparty;
    row.currency = Str(o.at("currency"));
    row.bank_owes = sign * Int(o.at("net_a_owes_b"));
    if (const json::value* c = o.if_contains("components")) {
      for (const auto& [name, value] : c->as_object()) {
        row.components[std::string(name)] = sign * Int(value);
      }
    }
    out.push_back(std::move(row));
  }
  std::sort(out.begin(), out.end(), [](const PositionRow& a, const PositionRow& b) {
    return std::tie(a.counterparty, a.currency) < std::tie(b.counterparty, b.currency);
  });
  return Status::Ok();
}

Status ReadSettlements(tools::JsonRpcClient& client, const FetchOptions& options,
                       std::uint64_t height, bool at_head, std::vector<SettlementRow>& out) {
  json::object params{{"bank", options.bank}};
  if (!options.counterparty.empty()) params["counterparty"] = options.counterparty;
  COLEND_ASSIGN_OR_RETURN(json::value r, Call(client, "getSettlements", params));
  for (const json::value& s : r.at("settlements").as_array()) {
    const json::object& o = s.as_object();
    SettlementRow row;
    row.closed_at_height = static_cast<std::uint64_t>(Int(o.at("closed_at_height")));
    if (row.closed_at_height > height) continue;
    auto [counterparty, sign] = FromBank(o, options.bank);
    row.counterparty = counterparty;
    row.batch_id = Str(o.at("batch_id"));
    row.currency = Str(o.at("currency"));
    row.bank_owes = sign * Int(o.at("net_a_owes_b"));
    row.status = at_head ? Str(o.at("status")) : "n/a";
    row.cutoff = Str(o.at("cutoff"));
    row.closed_by = Str(o.at("closed_by"));
    row.posting_count = static_cast<std::uint64_t>(IntOr0(o, "posting_count"));
    out.push_back(std::move(row));
  }
  return Status::Ok();
}

// Collects the bank's loan events from transactions in chain order: an accepted transaction
// on an in-scope loan, or an accepted reversal of one already collected.
class EventCollector {
 public:
  EventCollector(const std::unordered_set<std::string>& loans, std::vector<ChainEvent>& out)
      : loans_(loans), out_(out) {}

  // `t` is the transaction as JSON; `receipt_ok` asks for its receipt only when it matters.
  template <typename ReceiptOk>
  Status Offer(const json::object& t, std::uint64_t height, ReceiptOk receipt_ok) {
    static const std::set<std::string, std::less<>> kLoanTypes = {
        "OriginateLoan", "ApproveLoan", "RecordRepayment", "ChargeOff", "RecordRecovery"};
    const std::string type = Str(t.at("type"));
    ChainEvent e;
    std::optional<std::size_t> target;
    if (kLoanTypes.count(type) != 0) {
      e.loan_id = Str(t.at("loan_id"));
      if (loans_.count(e.loan_id) == 0) return Status::Ok();
    } else if (type == "Reverse") {
      auto it = by_signer_id_.find(Str(t.at("signer")) + '\x1f' + Str(t.at("target_id")));
      if (it == by_signer_id_.end()) return Status::Ok();
      target = it->second;
      e.loan_id = out_[it->second].loan_id;
    } else {
      return Status::Ok();
    }
    COLEND_ASSIGN_OR_RETURN(bool ok, receipt_ok());
    if (!ok) return Status::Ok();  // rejected: changed nothing
    e.event_id = Str(t.at("id"));
    e.type = type;
    e.signer = Str(t.at("signer"));
    e.status = "OK";
    e.height = height;
    if (type == "OriginateLoan") {
      e.amount = Int(t.at("principal"));
    } else if (type == "RecordRepayment") {
      e.amount = Int(t.at("principal"));
      e.interest = IntOr0(t, "interest");
      e.penalty = IntOr0(t, "penalty");
    } else if (type == "RecordRecovery") {
      e.amount = Int(t.at("amount"));
    }
    if (target.has_value()) out_[*target].status = "REVERSED";
    by_signer_id_[e.signer + '\x1f' + e.event_id] = out_.size();
    out_.push_back(std::move(e));
    return Status::Ok();
  }

 private:
  const std::unordered_set<std::string>& loans_;
  std::vector<ChainEvent>& out_;
  std::unordered_map<std::string, std::size_t> by_signer_id_;  // signer \x1f id -> event
};

// Blocks 1..height one by one: for a node without listEvents, or whose event index starts
// above block 1 (a data directory from before the index).
Status ReadEventsFromBlocks(tools::JsonRpcClient& client, std::uint64_t height,
                            EventCollector& collector) {
  for (std::uint64_t h = 1; h <= height; ++h) {
    COLEND_ASSIGN_OR_RETURN(
        json::value block,
        Call(client, "getBlockByNumber", json::object{{"height", h}, {"full", true}}));
    for (const json::value& entry : block.at("transactions").as_array()) {
      auto accepted = [&]() -> Result<bool> {
        COLEND_ASSIGN_OR_RETURN(
            json::value receipt,
            Call(client, "getTransactionReceipt", json::object{{"tx_hash", entry.at("tx_hash")}}));
        return Str(receipt.at("status")) == "ok";
      };
      COLEND_RETURN_IF_ERROR(collector.Offer(entry.at("tx").as_object(), h, accepted));
    }
  }
  return Status::Ok();
}

// Every accepted transaction on an in-scope loan, blocks 1..height: the bank's events from
// the node's event index (listEvents, docs/api.md), a page at a time; every loan event of a
// loan where the bank has a leg, and every reversal of one, is among them.
Status ReadEvents(tools::JsonRpcClient& client, const std::string& bank, std::uint64_t height,
                  const std::unordered_set<std::string>& loans, std::vector<ChainEvent>& out) {
  constexpr std::int64_t kMethodNotFound = -32601;
  constexpr std::uint64_t kEventPage = 1000;
  EventCollector collector(loans, out);
  if (height == 0) return Status::Ok();
  json::object params{{"bank", bank}, {"from_height", 1}, {"to_height", height},
                      {"limit", kEventPage}};
  while (true) {
    tools::RpcResponse r = client.Call("listEvents", params);
    if (r.status.ok() && r.error.has_value() && out.empty() &&
        params.at("from_height").to_number<std::uint64_t>() == 1 &&
        (r.error->code == kMethodNotFound || r.error->code == kNotFound)) {
      return ReadEventsFromBlocks(client, height, collector);  // no index, or not from 1
    }
    if (!r.status.ok()) {
      return Status::Unavailable("node " + client.url() + " did not answer listEvents: " +
                                 r.status.message());
    }
    if (r.error.has_value()) {
      return Status::Internal("listEvents failed: " + r.error->message + " (" +
                              std::to_string(r.error->code) + ")");
    }
    const json::object& page = r.result.as_object();
    for (const json::value& v : page.at("events").as_array()) {
      const json::object& e = v.as_object();
      const bool ok = Str(e.at("status")) == "ok";
      COLEND_RETURN_IF_ERROR(collector.Offer(
          e.at("tx").as_object(), static_cast<std::uint64_t>(Int(e.at("height"))),
          [ok]() -> Result<bool> { return ok; }));
    }
    if (page.at("next_from_height").is_null()) break;
    params["from_height"] = page.at("next_from_height");
    params["from_index"] = page.at("next_from_index");
  }
  return Status::Ok();
}

// Every party above its limit in the agreements where `options.bank` (and, with
// --counterparty, that bank too) is a party.
Status ReadLimitExcesses(tools::JsonRpcClient& client, const FetchOptions& options,
                         std::vector<LimitExcessRow>& out) {
  COLEND_ASSIGN_OR_RETURN(json::value r, Call(client, "listAgreements", nullptr));
  for (const json::value& a : r.at("agreements").as_array()) {
    const json::object& parties = a.at("parties").as_object();
    if (!parties.contains(options.bank)) continue;
    if (!options.counterparty.empty() && !parties.contains(options.counterparty)) continue;
    for (const auto& [bank, party] : parties) {  // sorted by bank
      const json::object& p = party.as_object();
      const std::int64_t excess = IntOr0(p, "excess");
      if (excess <= 0) continue;
      out.push_back(LimitExcessRow{Str(a.at("agreement_id")), std::string(bank),
                                   Str(a.at("currency")), Int(p.at("outstanding")),
                                   Int(p.at("max_outstanding")), excess});
    }
  }
  std::sort(out.begin(), out.end(), [](const LimitExcessRow& x, const LimitExcessRow& y) {
    return std::tie(x.agreement_id, x.bank) < std::tie(y.agreement_id, y.bank);
  });
  return Status::Ok();
}

Result<ChainSnapshot> FetchOnce(tools::JsonRpcClient& client, const FetchOptions& options,
                                bool* head_moved) {
  *head_moved = false;
  ChainSnapshot snap;
  snap.bank = options.bank;
  COLEND_ASSIGN_OR_RETURN(json::value info, Call(client, "getNodeInfo", nullptr));
  snap.chain_id = Str(info.at("chain_id"));
  snap.head_height = static_cast<std::uint64_t>(Int(info.at("executed_height")));

  COLEND_ASSIGN_OR_RETURN(json::value members, Call(client, "getMembers", nullptr));
  std::set<std::string> ids;
  for (const json::value& m : members.at("members").as_array()) ids.insert(Str(m.at("id")));
  if (ids.count(options.bank) == 0) {
    return Status::InvalidArgument("--bank " + options.bank + " is not a member of chain " +
                                   snap.chain_id);
  }
  if (!options.counterparty.empty() &&
      (ids.count(options.counterparty) == 0 || options.counterparty == options.bank)) {
    return Status::InvalidArgument("--counterparty " + options.counterparty +
                                   " is not another member of chain " + snap.chain_id);
  }

  snap.height = options.height.value_or(snap.head_height);
  if (snap.height > snap.head_height) {
    return Status::InvalidArgument("--height " + std::to_string(snap.height) +
                                   " is above the node's executed height " +
                                   std::to_string(snap.head_height));
  }
  snap.loans_at_height = snap.height == snap.head_height;
  if (!snap.loans_at_height && options.with_events) {
    return Status::FailedPrecondition(
        "--height " + std::to_string(snap.height) + " is older than the head (" +
        std::to_string(snap.head_height) +
        "): loan balances are served at the head only, so a ledger can only be reconciled at "
        "the head; omit --height (or pass the head) to reconcile, or drop --ledger for the "
        "positions as of that height");
  }

  std::vector<ChainLoan> all_loans;
  if (snap.loans_at_height) {
    COLEND_RETURN_IF_ERROR(ReadLoans(client, options.bank, all_loans));
    COLEND_RETURN_IF_ERROR(ReadLimitExcesses(client, options, snap.over_limit));
  }
  COLEND_RETURN_IF_ERROR(ReadPositions(client, options, snap.height, snap.positions));
  COLEND_RETURN_IF_ERROR(
      ReadSettlements(client, options, snap.height, snap.loans_at_height, snap.settlements));
  if (snap.loans_at_height) {
    COLEND_ASSIGN_OR_RETURN(json::value again, Call(client, "getNodeInfo", nullptr));
    if (static_cast<std::uint64_t>(Int(again.at("executed_height"))) != snap.height) {
      *head_moved = true;
      return Status::Unavailable("the chain moved past height " + std::to_string(snap.height) +
                                 " while the loans were read");
    }
  }

  if (snap.height > 0) {
    Result<json::value> block =
        Call(client, "getBlockByNumber", json::object{{"height", snap.height}, {"full", false}});
    if (!block.ok()) return block.status();
    snap.block_hash = Str(block->at("hash"));
    snap.timestamp_ms = static_cast<std::uint64_t>(Int(block->at("header").at("timestamp_ms")));
  }

  std::set<std::string> counterparties;
  std::unordered_set<std::string> in_scope;
  for (ChainLoan& loan : all_loans) {
    const bool scoped = options.counterparty.empty() || loan.Leg(options.counterparty) != nullptr;
    if (!scoped) {
      snap.out_of_scope_loans.push_back(loan.loan_id);
      continue;
    }
    for (const LoanLeg& leg : loan.legs) {
      if (leg.bank != options.bank) counterparties.insert(leg.bank);
    }
    in_scope.insert(loan.loan_id);
    snap.loans.push_back(std::move(loan));
  }
  for (const PositionRow& p : snap.positions) counterparties.insert(p.counterparty);
  for (const SettlementRow& s : snap.settlements) counterparties.insert(s.counterparty);
  if (!options.counterparty.empty()) counterparties = {options.counterparty};
  snap.counterparties.assign(counterparties.begin(), counterparties.end());

  if (options.with_events) {
    COLEND_RETURN_IF_ERROR(
        ReadEvents(client, options.bank, snap.height, in_scope, snap.events));
    snap.events_loaded = true;
  }
  return snap;
}

}  // namespace

Result<ChainSnapshot> FetchChain(tools::JsonRpcClient& client, const FetchOptions& options) {
  try {
    for (int attempt = 0;; ++attempt) {
      bool head_moved = false;
      Result<ChainSnapshot> snap = FetchOnce(client, options, &head_moved);
      if (snap.ok() || !head_moved) return snap;
      if (options.height.has_value()) {
        // The chain moved past the requested head: loans at that height are gone.
        if (options.with_events) {
          return Status::FailedPrecondition(
              "the chain moved past --height " + std::to_string(*options.height) +
              " while reading; loan balances are served at the head only: run again without "
              "--height");
        }
        return FetchOnce(client, options, &head_moved);  // now below the head: no loans
      }
      if (attempt + 1 >= options.max_retries) {
        return Status::Unavailable("the chain kept moving while the report was read (" +
                                   std::to_string(options.max_retries) + " attempts)");
      }
    }
  } catch (const std::exception& e) {
    return Status::Internal(std::string("unexpected answer from the node: ") + e.what());
  }
}

}  // namespace colend::recon
