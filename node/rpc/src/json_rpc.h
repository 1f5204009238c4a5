// JSON-RPC 2.0 building blocks for the server: error codes, errors, and a strict reader
// of a method's named params whose every error sentence names the field.
//
// Thread safety: plain values and stateless functions.
#ifndef COLEND_NODE_RPC_SRC_JSON_RPC_H_
#define COLEND_NODE_RPC_SRC_JSON_RPC_H_

#include <boost/json.hpp>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "colend/common/bytes.h"
#include "colend/common/result.h"
#include "colend/common/status.h"

namespace colend::node::rpc {

namespace json = boost::json;

// The error codes of docs/api.md.
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
inline constexpr int kTransactionRejected = -32001;
inline constexpr int kNotFound = -32002;
inline constexpr int kUnauthorized = -32003;
inline constexpr int kBusy = -32004;
// The most transactions one sendTransactions call takes (the body limit applies too).
inline constexpr std::size_t kMaxSendTransactions = 1000;
// A batch entry left unexecuted because the answers before it reached max_response_bytes.
inline constexpr int kResponseTooLarge = -32005;

// Every code above, for pre-registering the error counters.
inline constexpr int kAllErrorCodes[] = {kParseError,    kInvalidRequest, kMethodNotFound,
                                         kInvalidParams, kInternalError,  kTransactionRejected,
                                         kNotFound,      kUnauthorized,   kBusy,
                                         kResponseTooLarge};

struct RpcError {
  int code = kInternalError;
  std::string message;
  std::optional<json::object> data;
};

// A method's result or its error.
using MethodResult = std::variant<json::value, RpcError>;

// Maps an expected failure to its JSON-RPC error: kInvalidArgument -> invalid params,
// kNotFound/kOutOfRange -> not found, kResourceExhausted/kUnavailable -> busy,
// kPermissionDenied -> unauthorized, anything else -> internal error.
RpcError ErrorFromStatus(const Status& status);

// A Result<json::value> as a MethodResult.
MethodResult FromResult(Result<json::value> result);

// Whether `id` may be echoed in a response: a string, an integer (int64 or uint64 range) or
// null. A fraction, an exponent form or an integer beyond uint64 (Boost.JSON reads them all
// as double) may not: it would not come back as the client wrote it, and a value beyond
// double range (1e999) would come back as text that is not JSON.
bool IsEchoableId(const json::value& id);

// {"jsonrpc":"2.0","id":<id>,"error":{...}} / {"jsonrpc":"2.0","id":<id>,"result":...}.
// An id IsEchoableId refuses is written as null: whatever a caller passes, the output is
// JSON.
json::object ErrorResponse(const json::value& id, const RpcError& error);
// The "error" member alone: {"code", "message", "data"?}.
json::object ErrorObject(const RpcError& error);
json::object ResultResponse(const json::value& id, json::value result);

// Reads a method's named params. Every failure is kInvalidArgument with a sentence naming
// the field, e.g. `param "height": expected a non-negative integer, got string`.
class ParamReader {
 public:
  // `params` may be null (no params given). REQUIRES: it outlives the reader.
  ParamReader(const json::object* params, std::string_view method)
      : params_(params), method_(method) {}

  // Fails naming the first param not in `allowed`.
  Status OnlyAllowed(std::initializer_list<std::string_view> allowed) const;

  Result<std::string> RequiredString(std::string_view name) const;
  Result<std::optional<std::string>> OptionalString(std::string_view name) const;
  Result<std::optional<std::uint64_t>> OptionalUint(std::string_view name) const;
  Result<std::uint64_t> RequiredUint(std::string_view name) const;
  Result<bool> OptionalBool(std::string_view name, bool fallback) const;
  // Hex text (either case, no "0x"); with exact_size > 0 it must decode to that many bytes.
  Result<Bytes> RequiredHex(std::string_view name, std::size_t exact_size = 0) const;
  // An array of 1..max_items hex strings, each decoded; fails naming the first bad entry
  // (`param "txs"[3]: not hex: ...`).
  Result<std::vector<Bytes>> RequiredHexArray(std::string_view name, std::size_t max_items) const;

 private:
  const json::value* Find(std::string_view name) const;
  Status Missing(std::string_view name) const;

  const json::object* params_;
  std::string_view method_;
};

// "string", "number", "object", ... for error sentences.
std::string_view JsonKindName(const json::value& v);

// Checks an id against the rules of docs/api.md: member ids [A-Z0-9_]{1,32}; agreement and loan ids
// [A-Za-z0-9._:-]{1,64}. kInvalidArgument naming the param otherwise.
Status CheckMemberId(std::string_view param, std::string_view id);
Status CheckRecordId(std::string_view param, std::string_view id);

}  // namespace colend::node::rpc

#endif  // COLEND_NODE_RPC_SRC_JSON_RPC_H_
