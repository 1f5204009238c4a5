// RpcDispatcher: JSON-RPC 2.0 over a request body, independent of HTTP. Parses the body
// (one request or a batch), validates each request, calls the method against NodeApi,
// and builds the response body; counts requests by method and errors by code.
//
// Ownership: borrows the NodeApi and MetricsRegistry (they must outlive it).
// Thread safety: Handle and RefusalBody may be called concurrently from many threads.
#ifndef COLEND_NODE_RPC_SRC_RPC_DISPATCHER_H_
#define COLEND_NODE_RPC_SRC_RPC_DISPATCHER_H_

#include <boost/json.hpp>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "colend/node/metrics.h"
#include "colend/node/node_api.h"
#include "colend/node/rpc_server.h"
#include "json_rpc.h"

namespace colend::node::rpc {

class RpcDispatcher {
 public:
  RpcDispatcher(NodeApi& node, MetricsRegistry& metrics, const RpcOptions& options);

  // The response body for a POST body, or std::nullopt when nothing is to be sent (every
  // request was a notification). Never throws.
  std::optional<std::string> Handle(std::string_view body);

  // A response body carrying only an error, for refusals made before the body is parsed
  // (too large, unauthorized, too many connections). Counts the error.
  std::string RefusalBody(int code, const std::string& message);

  // The method names served, sorted.
  std::vector<std::string> MethodNames() const;

 private:
  using Handler = std::function<MethodResult(const ParamReader&)>;

  void RegisterMethods();
  // The response to one request value, or std::nullopt for a notification. With `execute`
  // false (a batch past max_response_bytes) a request that reads as JSON-RPC is not carried
  // out: it gets kResponseTooLarge (a notification, nothing); one that does not read is
  // refused as always.
  std::optional<json::object> HandleOne(const json::value& request, bool execute = true);
  // A non-empty batch within max_batch: its answers as a JSON array (nullopt if all were
  // notifications), cut at max_response_bytes.
  std::optional<std::string> HandleBatch(const json::array& batch);
  MethodResult Call(std::string_view method, const json::object* params);
  void CountError(int code);
  void LogInternal(const RpcError& error);

  // Methods.
  MethodResult SendTransaction(const ParamReader& p);
  MethodResult SendTransactions(const ParamReader& p);
  MethodResult GetTransaction(const ParamReader& p, bool receipt);
  MethodResult GetBlock(const ParamReader& p, bool by_hash);
  MethodResult GetPositions(const ParamReader& p);
  MethodResult GetSettlements(const ParamReader& p);
  MethodResult ListLoansMethod(const ParamReader& p);
  MethodResult GetValidatorsMethod(const ParamReader& p);
  MethodResult GetProposals(const ParamReader& p);
  // Runs fn under NodeApi::ReadState and returns what it produced.
  MethodResult WithState(
      const std::function<Result<json::value>(
          const contracts::StateReader&, const contracts::StateScanner&, const StateHead&)>& fn);

  NodeApi& node_;
  RpcOptions options_;
  std::map<std::string, Handler, std::less<>> methods_;  // fixed after construction
  std::map<std::string, Counter*, std::less<>> requests_by_method_;
  Counter* requests_other_ = nullptr;
  std::map<int, Counter*> errors_by_code_;
  Histogram* duration_ = nullptr;
};

}  // namespace colend::node::rpc

#endif  // COLEND_NODE_RPC_SRC_RPC_DISPATCHER_H_
