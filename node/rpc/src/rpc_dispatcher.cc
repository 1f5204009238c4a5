#include "rpc_dispatcher.h"

#include <chrono>
#include <exception>

#include <spdlog/spdlog.h>

#include "colend/contracts/books.h"
#include "event_queries.h"
#include "governance_queries.h"
#include "rpc_render.h"
#include "state_queries.h"

namespace colend::node::rpc {
namespace {

constexpr std::size_t kHashSize = 32;

json::value NoId() {
  return json::value(nullptr);
}

RpcError Invalid(std::string message) {
  return {kInvalidRequest, std::move(message), std::nullopt};
}

// A list read from one state snapshot, with the height it is of ("height": the block the
// state is after), so a client paging through it can tell when the pages span blocks.
Result<json::value> AtHeight(Result<json::value> list, const StateHead& head) {
  if (list.ok() && list->is_object()) list->as_object()["height"] = head.height;
  return list;
}

}  // namespace

RpcDispatcher::RpcDispatcher(NodeApi& node, MetricsRegistry& metrics, const RpcOptions& options)
    : node_(node), options_(options) {
  RegisterMethods();
  for (const auto& [name, handler] : methods_) {
    requests_by_method_[name] = &metrics.RegisterCounter(
        "colend_rpc_requests_total", "JSON-RPC requests received, by method", {{"method", name}});
  }
  requests_other_ = &metrics.RegisterCounter(
      "colend_rpc_requests_total", "JSON-RPC requests received, by method", {{"method", "other"}});
  for (int code : kAllErrorCodes) {
    errors_by_code_[code] = &metrics.RegisterCounter("colend_rpc_errors_total",
                                                     "JSON-RPC error responses, by error code",
                                                     {{"code", std::to_string(code)}});
  }
  duration_ = &metrics.RegisterHistogram("colend_rpc_request_duration_seconds",
                                         "Time to serve one HTTP request body, in seconds",
                                         LatencyBucketsSeconds());
}

std::vector<std::string> RpcDispatcher::MethodNames() const {
  std::vector<std::string> names;
  for (const auto& [name, handler] : methods_) names.push_back(name);
  return names;
}

void RpcDispatcher::CountError(int code) {
  auto it = errors_by_code_.find(code);
  if (it != errors_by_code_.end()) it->second->Increment();
}

void RpcDispatcher::LogInternal(const RpcError& error) {
  // Internal errors mean damaged stored data or a bug, never a bad request: worth a line.
  if (error.code == kInternalError) spdlog::warn("rpc: internal error: {}", error.message);
}

std::string RpcDispatcher::RefusalBody(int code, const std::string& message) {
  CountError(code);
  return json::serialize(ErrorResponse(NoId(), RpcError{code, message, std::nullopt}));
}

std::optional<std::string> RpcDispatcher::Handle(std::string_view body) {
  const auto start = std::chrono::steady_clock::now();
  std::optional<std::string> out;
  try {
    boost::system::error_code ec;
    json::parse_options opts;
    opts.max_depth = 64;
    json::value request = json::parse(body, ec, json::storage_ptr(), opts);
    if (ec) {
      out = RefusalBody(kParseError, "parse error: " + ec.message());
    } else if (request.is_array()) {
      const json::array& batch = request.get_array();
      if (batch.empty()) {
        out = RefusalBody(kInvalidRequest, "invalid request: empty batch");
      } else if (batch.size() > options_.max_batch) {
        out =
            RefusalBody(kInvalidRequest,
                        "invalid request: a batch of " + std::to_string(batch.size()) +
                            " requests exceeds the limit of " + std::to_string(options_.max_batch));
      } else {
        out = HandleBatch(batch);
      }
    } else {
      if (auto r = HandleOne(request)) out = json::serialize(*r);
    }
  } catch (const std::exception& e) {
    out = RefusalBody(kInternalError, std::string("internal error: ") + e.what());
  }
  duration_->Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return out;
}

// Each answer is serialised once, straight into the response. Once the response holds
// max_response_bytes, the later entries are not executed: each gets a kResponseTooLarge
// error (a notification, nothing; an entry that is no request at all, the usual -32600),
// so a batch of 100 full blocks cannot build an unbounded response. The answer that
// reaches the limit is kept whole, so the response is at most the limit plus one answer
// (bounded by the block and list limits) plus the short errors.
std::optional<std::string> RpcDispatcher::HandleBatch(const json::array& batch) {
  std::string out = "[";
  bool any = false;
  auto append = [&](const json::object& response) {
    if (any) out += ',';
    out += json::serialize(response);
    any = true;
  };
  for (const json::value& one : batch) {
    if (auto r = HandleOne(one, out.size() < options_.max_response_bytes)) append(*r);
  }
  if (!any) return std::nullopt;
  out += ']';
  return out;
}

std::optional<json::object> RpcDispatcher::HandleOne(const json::value& request, bool execute) {
  auto fail = [this](const json::value& id, RpcError error) {
    CountError(error.code);
    LogInternal(error);
    return ErrorResponse(id, error);
  };
  if (!request.is_object()) {
    requests_other_->Increment();
    return fail(NoId(), Invalid("invalid request: expected an object, got " +
                                std::string(JsonKindName(request))));
  }
  const json::object& obj = request.get_object();
  const json::value* id = obj.if_contains("id");
  // JSON-RPC 2.0 allows any number; a fraction, an exponent form or an integer beyond
  // uint64 would not come back as the client wrote it (1e999 not even as JSON), so only
  // integers are taken (rpc::IsEchoableId).
  if (id != nullptr && !rpc::IsEchoableId(*id)) {
    requests_other_->Increment();
    return fail(NoId(), Invalid("invalid request: \"id\" must be a string, an integer or "
                                "null"));
  }
  const json::value response_id = id != nullptr ? *id : NoId();
  const json::value* version = obj.if_contains("jsonrpc");
  if (version == nullptr || !version->is_string() || version->get_string() != "2.0") {
    requests_other_->Increment();
    return fail(response_id, Invalid("invalid request: \"jsonrpc\" must be \"2.0\""));
  }
  const json::value* method = obj.if_contains("method");
  if (method == nullptr || !method->is_string()) {
    requests_other_->Increment();
    return fail(response_id, Invalid("invalid request: \"method\" must be a string"));
  }
  const std::string_view name = method->get_string();
  auto counter = requests_by_method_.find(name);
  (counter != requests_by_method_.end() ? counter->second : requests_other_)->Increment();
  if (!execute) {
    if (id == nullptr) return std::nullopt;  // a notification: never answered
    return fail(response_id,
                RpcError{kResponseTooLarge,
                         "response too large: the answers before this request reached the limit "
                         "of " +
                             std::to_string(options_.max_response_bytes) +
                             " bytes (rpc.max_response_bytes); it was not executed: send it "
                             "again in another batch",
                         std::nullopt});
  }

  const json::value* params = obj.if_contains("params");
  const json::object* named = nullptr;
  MethodResult result;
  if (params != nullptr && !params->is_object() && !params->is_array()) {
    result = Invalid("invalid request: \"params\" must be an object or an array");
  } else if (params != nullptr && params->is_array() && !params->get_array().empty()) {
    result = RpcError{kInvalidParams,
                      "params must be an object of named params (docs/api.md), not a list",
                      std::nullopt};
  } else {
    if (params != nullptr && params->is_object()) named = &params->get_object();
    result = Call(name, named);
  }
  if (id == nullptr) {
    // A notification: executed, never answered (not even with an error).
    if (auto* error = std::get_if<RpcError>(&result)) {
      CountError(error->code);
      LogInternal(*error);
    }
    return std::nullopt;
  }
  if (auto* error = std::get_if<RpcError>(&result)) return fail(response_id, std::move(*error));
  return ResultResponse(response_id, std::move(std::get<json::value>(result)));
}

MethodResult RpcDispatcher::Call(std::string_view method, const json::object* params) {
  auto it = methods_.find(method);
  if (it == methods_.end()) {
    return RpcError{kMethodNotFound, "method not found: \"" + std::string(method) + "\"",
                    std::nullopt};
  }
  try {
    return it->second(ParamReader(params, it->first));
  } catch (const std::exception& e) {
    return RpcError{kInternalError, std::string("internal error: ") + e.what(), std::nullopt};
  }
}

MethodResult RpcDispatcher::WithState(
    const std::function<Result<json::value>(
        const contracts::StateReader&, const contracts::StateScanner&, const StateHead&)>& fn) {
  json::value out;
  Status status =
      node_.ReadState([&](const contracts::StateReader& reader,
                          const contracts::StateScanner& scanner, const StateHead& head) -> Status {
        COLEND_ASSIGN_OR_RETURN(out, fn(reader, scanner, head));
        return Status::Ok();
      });
  if (!status.ok()) return ErrorFromStatus(status);
  return out;
}

void RpcDispatcher::RegisterMethods() {
  // Methods without params refuse any param, so a typo never passes silently.
  auto no_params = [](std::function<MethodResult()> fn) {
    return [fn = std::move(fn)](const ParamReader& p) -> MethodResult {
      Status s = p.OnlyAllowed({});
      if (!s.ok()) return ErrorFromStatus(s);
      return fn();
    };
  };
  methods_["sendTransaction"] = [this](const ParamReader& p) { return SendTransaction(p); };
  methods_["sendTransactions"] = [this](const ParamReader& p) { return SendTransactions(p); };
  methods_["getTransaction"] = [this](const ParamReader& p) { return GetTransaction(p, false); };
  methods_["getTransactionReceipt"] = [this](const ParamReader& p) {
    return GetTransaction(p, true);
  };
  methods_["getBlockNumber"] =
      no_params([this]() -> MethodResult { return json::value(node_.BlockNumber()); });
  methods_["getBlockByNumber"] = [this](const ParamReader& p) { return GetBlock(p, false); };
  methods_["getBlockByHash"] = [this](const ParamReader& p) { return GetBlock(p, true); };
  methods_["getLoan"] = [this](const ParamReader& p) -> MethodResult {
    Status s = p.OnlyAllowed({"loan_id"});
    if (!s.ok()) return ErrorFromStatus(s);
    Result<std::string> id = p.RequiredString("loan_id");
    if (!id.ok()) return ErrorFromStatus(id.status());
    if (s = CheckRecordId("loan_id", *id); !s.ok()) return ErrorFromStatus(s);
    return WithState([&](const contracts::StateReader& r, const contracts::StateScanner&,
                         const StateHead&) { return GetLoan(r, *id); });
  };
  methods_["listLoans"] = [this](const ParamReader& p) { return ListLoansMethod(p); };
  methods_["getAgreement"] = [this](const ParamReader& p) -> MethodResult {
    Status s = p.OnlyAllowed({"agreement_id"});
    if (!s.ok()) return ErrorFromStatus(s);
    Result<std::string> id = p.RequiredString("agreement_id");
    if (!id.ok()) return ErrorFromStatus(id.status());
    if (s = CheckRecordId("agreement_id", *id); !s.ok()) return ErrorFromStatus(s);
    return WithState([&](const contracts::StateReader& r, const contracts::StateScanner&,
                         const StateHead&) { return GetAgreement(r, *id); });
  };
  methods_["listAgreements"] = no_params([this]() {
    return WithState([](const contracts::StateReader&, const contracts::StateScanner& s,
                        const StateHead& head) { return AtHeight(ListAgreements(s), head); });
  });
  methods_["getPositions"] = [this](const ParamReader& p) { return GetPositions(p); };
  methods_["listEvents"] = [this](const ParamReader& p) {
    return ListEventsMethod(node_, p, options_.max_list_limit);
  };
  methods_["getSettlements"] = [this](const ParamReader& p) { return GetSettlements(p); };
  methods_["getBooks"] = no_params([this]() {
    return WithState([](const contracts::StateReader& r, const contracts::StateScanner& s,
                        const StateHead& head) -> Result<json::value> {
      contracts::BooksHeader header{head.height,
                                    Bytes(head.state_root.begin(), head.state_root.end())};
      COLEND_ASSIGN_OR_RETURN(json::object books, contracts::Books(r, s, header, {}));
      return json::value(std::move(books));
    });
  });
  methods_["getMembers"] = no_params([this]() {
    return WithState([](const contracts::StateReader& r, const contracts::StateScanner&,
                        const StateHead&) { return ListMembers(r); });
  });
  methods_["getValidators"] = [this](const ParamReader& p) { return GetValidatorsMethod(p); };
  methods_["getRevokedCertificates"] = no_params([this]() {
    return WithState([](const contracts::StateReader&, const contracts::StateScanner& s,
                        const StateHead&) { return ListRevokedCertificates(s); });
  });
  methods_["getProposals"] = [this](const ParamReader& p) { return GetProposals(p); };
  methods_["getNodeInfo"] = no_params(
      [this]() -> MethodResult { return json::value(NodeInfoJson(node_.GetNodeInfo())); });
  methods_["getPeers"] = no_params([this]() -> MethodResult {
    json::array peers;
    for (const RpcPeerInfo& peer : node_.GetPeers()) peers.push_back(PeerJson(peer));
    json::object out;
    out["peers"] = std::move(peers);
    return json::value(std::move(out));
  });
  methods_["getConsensusStatus"] = no_params([this]() -> MethodResult {
    return json::value(ConsensusStatusJson(node_.GetConsensusStatus()));
  });
  methods_["getSyncStatus"] = no_params(
      [this]() -> MethodResult { return json::value(SyncStatusJson(node_.GetSyncStatus())); });
}

namespace {

// What sendTransaction answers for one submitted transaction, and sendTransactions for each
// entry: {"tx_hash"} once admitted, else the BUSY or rejection error.
MethodResult SubmitAnswer(const SubmitResult& submitted) {
  switch (submitted.kind) {
    case SubmitResult::Kind::kAdmitted: {
      json::object out;
      out["tx_hash"] = ToHex(submitted.tx_hash);
      return json::value(std::move(out));
    }
    case SubmitResult::Kind::kBusy: {
      // The same signed bytes may be sent again as they are: an identical transaction is
      // idempotent. retry_after_ms is the node's estimate of when there will be room.
      json::object data;
      data["reason"] = submitted.busy_reason.empty() ? "busy" : submitted.busy_reason;
      data["retry_after_ms"] = submitted.retry_after_ms == 0 ? 200 : submitted.retry_after_ms;
      return RpcError{kBusy, submitted.message.empty() ? "busy: retry later" : submitted.message,
                      std::move(data)};
    }
    case SubmitResult::Kind::kRejected:
      break;
  }
  json::object data;
  data["code"] = submitted.code;
  if (!submitted.tx_hash.empty()) data["tx_hash"] = ToHex(submitted.tx_hash);
  return RpcError{kTransactionRejected,
                  "transaction rejected: " + submitted.code +
                      (submitted.message.empty() ? "" : ": " + submitted.message),
                  std::move(data)};
}

}  // namespace

MethodResult RpcDispatcher::SendTransaction(const ParamReader& p) {
  Status s = p.OnlyAllowed({"tx"});
  if (!s.ok()) return ErrorFromStatus(s);
  Result<Bytes> tx = p.RequiredHex("tx");
  if (!tx.ok()) return ErrorFromStatus(tx.status());
  return SubmitAnswer(node_.SubmitTransaction(ToString(*tx)));
}

// {"results": [one entry per transaction, in order: {"tx_hash"} or {"error": {...}}],
//  "admitted", "busy", "rejected"}: the entries' errors are sendTransaction's, so a client
// resends exactly the BUSY ones. Params that are not 1..kMaxSendTransactions hex strings
// fail the whole call (-32602) and submit nothing.
MethodResult RpcDispatcher::SendTransactions(const ParamReader& p) {
  Status s = p.OnlyAllowed({"txs"});
  if (!s.ok()) return ErrorFromStatus(s);
  Result<std::vector<Bytes>> txs = p.RequiredHexArray("txs", kMaxSendTransactions);
  if (!txs.ok()) return ErrorFromStatus(txs.status());
  std::vector<std::string> signed_txs;
  signed_txs.reserve(txs->size());
  for (const Bytes& tx : *txs) signed_txs.push_back(ToString(tx));
  const std::vector<SubmitResult> submitted = node_.SubmitTransactions(std::move(signed_txs));
  json::array results;
  results.reserve(submitted.size());
  std::uint64_t admitted = 0, busy = 0, rejected = 0;
  for (const SubmitResult& one : submitted) {
    MethodResult answer = SubmitAnswer(one);
    if (json::value* ok = std::get_if<json::value>(&answer)) {
      ++admitted;
      results.push_back(std::move(*ok));
      continue;
    }
    const RpcError& error = std::get<RpcError>(answer);
    ++(error.code == kBusy ? busy : rejected);
    results.push_back(json::object{{"error", ErrorObject(error)}});
  }
  json::object out;
  out["results"] = std::move(results);
  out["admitted"] = admitted;
  out["busy"] = busy;
  out["rejected"] = rejected;
  return json::value(std::move(out));
}

MethodResult RpcDispatcher::GetTransaction(const ParamReader& p, bool receipt) {
  Status s = p.OnlyAllowed({"tx_hash"});
  if (!s.ok()) return ErrorFromStatus(s);
  Result<Bytes> hash = p.RequiredHex("tx_hash", kHashSize);
  if (!hash.ok()) return ErrorFromStatus(hash.status());
  std::optional<TransactionLookup> found = node_.FindTransaction(*hash);
  if (!found.has_value()) {
    return RpcError{kNotFound, "no transaction " + ToHex(*hash), std::nullopt};
  }
  if (!receipt) {
    Result<json::object> tx = TransactionLookupJson(*found, *hash);
    if (!tx.ok()) return ErrorFromStatus(tx.status());
    return json::value(std::move(tx).value());
  }
  if (found->pending || !found->receipt.has_value()) {
    return RpcError{kNotFound,
                    "transaction " + ToHex(*hash) +
                        (found->pending ? " is pending: no receipt yet"
                                        : " is committed but not yet executed: no receipt yet"),
                    std::nullopt};
  }
  return json::value(ReceiptJson(*found, *hash));
}

MethodResult RpcDispatcher::GetBlock(const ParamReader& p, bool by_hash) {
  Status s = by_hash ? p.OnlyAllowed({"hash", "full"}) : p.OnlyAllowed({"height", "full"});
  if (!s.ok()) return ErrorFromStatus(s);
  Result<bool> full = p.OptionalBool("full", false);
  if (!full.ok()) return ErrorFromStatus(full.status());
  std::optional<BlockLookup> block;
  std::string what;
  if (by_hash) {
    Result<Bytes> hash = p.RequiredHex("hash", kHashSize);
    if (!hash.ok()) return ErrorFromStatus(hash.status());
    block = node_.BlockByHash(*hash);
    what = "hash " + ToHex(*hash);
  } else {
    Result<std::uint64_t> height = p.RequiredUint("height");
    if (!height.ok()) return ErrorFromStatus(height.status());
    block = node_.BlockByNumber(*height);
    what = "height " + std::to_string(*height);
  }
  if (!block.has_value()) return RpcError{kNotFound, "no block at " + what, std::nullopt};
  Result<json::object> out = BlockJson(*block, *full);
  if (!out.ok()) return ErrorFromStatus(out.status());
  return json::value(std::move(out).value());
}

MethodResult RpcDispatcher::GetPositions(const ParamReader& p) {
  Status s = p.OnlyAllowed({"bank", "counterparty", "height"});
  if (!s.ok()) return ErrorFromStatus(s);
  Result<std::optional<std::string>> bank = p.OptionalString("bank");
  if (!bank.ok()) return ErrorFromStatus(bank.status());
  Result<std::optional<std::string>> counterparty = p.OptionalString("counterparty");
  if (!counterparty.ok()) return ErrorFromStatus(counterparty.status());
  Result<std::optional<std::uint64_t>> height = p.OptionalUint("height");
  if (!height.ok()) return ErrorFromStatus(height.status());
  contracts::PositionFilter filter;
  if (bank->has_value()) {
    if (s = CheckMemberId("bank", **bank); !s.ok()) return ErrorFromStatus(s);
    filter.bank = **bank;
  }
  if (counterparty->has_value()) {
    if (s = CheckMemberId("counterparty", **counterparty); !s.ok()) return ErrorFromStatus(s);
    filter.counterparty = **counterparty;
  }
  json::object out;
  auto render = [&](const contracts::StateReader& reader, std::uint64_t at) -> Status {
    COLEND_ASSIGN_OR_RETURN(json::array positions, contracts::Positions(reader, filter));
    out["height"] = at;
    out["positions"] = std::move(positions);
    return Status::Ok();
  };
  if (height->has_value()) {
    const std::uint64_t at = **height;
    Result<HistoryRead> read =
        node_.ReadPositionsAt(at, [&](const contracts::StateReader& r) { return render(r, at); });
    if (!read.ok()) return ErrorFromStatus(read.status());
    if (*read == HistoryRead::kAboveHead) {
      return RpcError{kNotFound,
                      "positions at height " + std::to_string(at) + " are not available: height " +
                          std::to_string(at) + " is above the last block, " +
                          std::to_string(node_.BlockNumber()),
                      std::nullopt};
    }
  } else {
    s = node_.ReadState([&](const contracts::StateReader& r, const contracts::StateScanner&,
                            const StateHead& head) { return render(r, head.height); });
  }
  if (!s.ok()) return ErrorFromStatus(s);
  return json::value(std::move(out));
}

MethodResult RpcDispatcher::GetSettlements(const ParamReader& p) {
  Status s = p.OnlyAllowed({"bank", "counterparty", "status"});
  if (!s.ok()) return ErrorFromStatus(s);
  SettlementQuery query;
  for (auto [name, field] :
       {std::pair{"bank", &query.bank}, {"counterparty", &query.counterparty}}) {
    Result<std::optional<std::string>> v = p.OptionalString(name);
    if (!v.ok()) return ErrorFromStatus(v.status());
    if (v->has_value()) {
      if (s = CheckMemberId(name, **v); !s.ok()) return ErrorFromStatus(s);
      *field = **v;
    }
  }
  Result<std::optional<std::string>> status = p.OptionalString("status");
  if (!status.ok()) return ErrorFromStatus(status.status());
  if (status->has_value()) {
    if (**status != "CLOSED" && **status != "PAID" && **status != "CONFIRMED") {
      return RpcError{kInvalidParams,
                      "param \"status\": expected \"CLOSED\", \"PAID\" or \"CONFIRMED\"",
                      std::nullopt};
    }
    query.status = **status;
  }
  return WithState([&](const contracts::StateReader& r, const contracts::StateScanner&,
                       const StateHead& head) {
    return AtHeight(ListSettlements(r, query), head);
  });
}

MethodResult RpcDispatcher::GetValidatorsMethod(const ParamReader& p) {
  Status s = p.OnlyAllowed({"height"});
  if (!s.ok()) return ErrorFromStatus(s);
  Result<std::optional<std::uint64_t>> height = p.OptionalUint("height");
  if (!height.ok()) return ErrorFromStatus(height.status());
  // The view and the committed height from the consensus snapshot; the sets from the state.
  const ConsensusStatus consensus = node_.GetConsensusStatus();
  ValidatorsQuery query;
  query.height = *height;
  query.view = consensus.view;
  query.committed_height = consensus.committed_height;
  return WithState([&](const contracts::StateReader& r, const contracts::StateScanner&,
                       const StateHead& head) { return GetValidators(r, head, query); });
}

MethodResult RpcDispatcher::GetProposals(const ParamReader& p) {
  Status s = p.OnlyAllowed({"status"});
  if (!s.ok()) return ErrorFromStatus(s);
  Result<std::optional<std::string>> status = p.OptionalString("status");
  if (!status.ok()) return ErrorFromStatus(status.status());
  const std::string wanted = status->value_or("");
  if (!wanted.empty() && wanted != "OPEN" && wanted != "PASSED" && wanted != "REJECTED" &&
      wanted != "FAILED") {
    return RpcError{kInvalidParams,
                    "param \"status\": expected \"OPEN\", \"PASSED\", \"REJECTED\" or "
                    "\"FAILED\"",
                    std::nullopt};
  }
  return WithState([&](const contracts::StateReader&, const contracts::StateScanner& scanner,
                       const StateHead&) { return ListProposals(scanner, wanted); });
}

MethodResult RpcDispatcher::ListLoansMethod(const ParamReader& p) {
  Status s = p.OnlyAllowed({"agreement_id", "bank", "cursor", "limit"});
  if (!s.ok()) return ErrorFromStatus(s);
  LoanQuery query;
  Result<std::optional<std::string>> agreement = p.OptionalString("agreement_id");
  if (!agreement.ok()) return ErrorFromStatus(agreement.status());
  if (agreement->has_value()) {
    if (s = CheckRecordId("agreement_id", **agreement); !s.ok()) return ErrorFromStatus(s);
    query.agreement_id = **agreement;
  }
  Result<std::optional<std::string>> bank = p.OptionalString("bank");
  if (!bank.ok()) return ErrorFromStatus(bank.status());
  if (bank->has_value()) {
    if (s = CheckMemberId("bank", **bank); !s.ok()) return ErrorFromStatus(s);
    query.bank = **bank;
  }
  Result<std::optional<std::string>> cursor = p.OptionalString("cursor");
  if (!cursor.ok()) return ErrorFromStatus(cursor.status());
  if (cursor->has_value()) {
    if (s = CheckRecordId("cursor", **cursor); !s.ok()) return ErrorFromStatus(s);
    query.cursor = **cursor;
  }
  Result<std::optional<std::uint64_t>> limit = p.OptionalUint("limit");
  if (!limit.ok()) return ErrorFromStatus(limit.status());
  if (limit->has_value()) {
    if (**limit < 1 || **limit > options_.max_list_limit) {
      return RpcError{
          kInvalidParams,
          "param \"limit\": must be between 1 and " + std::to_string(options_.max_list_limit),
          std::nullopt};
    }
    query.limit = static_cast<std::size_t>(**limit);
  } else {
    query.limit = std::min<std::size_t>(100, options_.max_list_limit);
  }
  query.scan_budget = options_.list_scan_budget;
  return WithState([&](const contracts::StateReader&, const contracts::StateScanner& scanner,
                       const StateHead& head) {
    return AtHeight(ListLoans(scanner, query), head);
  });
}

}  // namespace colend::node::rpc
