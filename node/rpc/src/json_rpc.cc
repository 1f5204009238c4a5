#include "json_rpc.h"

#include <algorithm>
#include <exception>

namespace colend::node::rpc {
namespace {

std::string Quoted(std::string_view name) {
  return "param \"" + std::string(name) + "\": ";
}

bool IsRecordIdChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '-';
}

bool IsMemberIdChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

}  // namespace

std::string_view JsonKindName(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "boolean";
    case json::kind::int64:
    case json::kind::uint64:
      return "integer";
    case json::kind::double_:
      return "number";
    case json::kind::string:
      return "string";
    case json::kind::array:
      return "array";
    case json::kind::object:
      return "object";
  }
  return "value";
}

RpcError ErrorFromStatus(const Status& status) {
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
      return {kInvalidParams, status.message(), std::nullopt};
    case StatusCode::kNotFound:
    case StatusCode::kOutOfRange:
      return {kNotFound, status.message(), std::nullopt};
    case StatusCode::kResourceExhausted:
    case StatusCode::kUnavailable:
      return {kBusy, status.message(), std::nullopt};
    case StatusCode::kPermissionDenied:
      return {kUnauthorized, status.message(), std::nullopt};
    default:
      return {kInternalError, status.ToString(), std::nullopt};
  }
}

MethodResult FromResult(Result<json::value> result) {
  if (!result.ok()) return ErrorFromStatus(result.status());
  return std::move(result).value();
}

bool IsEchoableId(const json::value& id) {
  return id.is_string() || id.is_int64() || id.is_uint64() || id.is_null();
}

json::object ErrorObject(const RpcError& error) {
  json::object err;
  err["code"] = error.code;
  err["message"] = error.message;
  if (error.data.has_value()) err["data"] = *error.data;
  return err;
}

json::object ErrorResponse(const json::value& id, const RpcError& error) {
  json::object out;
  out["jsonrpc"] = "2.0";
  out["id"] = IsEchoableId(id) ? id : json::value(nullptr);
  out["error"] = ErrorObject(error);
  return out;
}

json::object ResultResponse(const json::value& id, json::value result) {
  json::object out;
  out["jsonrpc"] = "2.0";
  out["id"] = IsEchoableId(id) ? id : json::value(nullptr);
  out["result"] = std::move(result);
  return out;
}

const json::value* ParamReader::Find(std::string_view name) const {
  if (params_ == nullptr) return nullptr;
  return params_->if_contains(name);
}

Status ParamReader::Missing(std::string_view name) const {
  return Status::InvalidArgument(Quoted(name) + "is required by " + std::string(method_));
}

Status ParamReader::OnlyAllowed(std::initializer_list<std::string_view> allowed) const {
  if (params_ == nullptr) return Status::Ok();
  for (const auto& [key, value] : *params_) {
    if (std::find(allowed.begin(), allowed.end(), std::string_view(key)) == allowed.end()) {
      std::string list;
      for (std::string_view a : allowed)
        list += (list.empty() ? "\"" : ", \"") + std::string(a) + "\"";
      return Status::InvalidArgument(
          Quoted(key) + "is not a param of " + std::string(method_) +
          (list.empty() ? " (it takes none)" : " (it takes " + list + ")"));
    }
  }
  return Status::Ok();
}

Result<std::optional<std::string>> ParamReader::OptionalString(std::string_view name) const {
  const json::value* v = Find(name);
  if (v == nullptr) return std::optional<std::string>();
  if (!v->is_string()) {
    return Status::InvalidArgument(Quoted(name) + "expected a string, got " +
                                   std::string(JsonKindName(*v)));
  }
  return std::optional<std::string>(std::string(v->get_string()));
}

Result<std::string> ParamReader::RequiredString(std::string_view name) const {
  COLEND_ASSIGN_OR_RETURN(std::optional<std::string> s, OptionalString(name));
  if (!s.has_value()) return Missing(name);
  return std::move(*s);
}

Result<std::optional<std::uint64_t>> ParamReader::OptionalUint(std::string_view name) const {
  const json::value* v = Find(name);
  if (v == nullptr) return std::optional<std::uint64_t>();
  if (v->is_uint64()) return std::optional<std::uint64_t>(v->get_uint64());
  if (v->is_int64()) {
    if (v->get_int64() < 0) {
      return Status::InvalidArgument(Quoted(name) + "must not be negative, got " +
                                     std::to_string(v->get_int64()));
    }
    return std::optional<std::uint64_t>(static_cast<std::uint64_t>(v->get_int64()));
  }
  return Status::InvalidArgument(Quoted(name) + "expected a non-negative integer, got " +
                                 std::string(JsonKindName(*v)));
}

Result<std::uint64_t> ParamReader::RequiredUint(std::string_view name) const {
  COLEND_ASSIGN_OR_RETURN(std::optional<std::uint64_t> n, OptionalUint(name));
  if (!n.has_value()) return Missing(name);
  return *n;
}

Result<bool> ParamReader::OptionalBool(std::string_view name, bool fallback) const {
  const json::value* v = Find(name);
  if (v == nullptr) return fallback;
  if (!v->is_bool()) {
    return Status::InvalidArgument(Quoted(name) + "expected a boolean, got " +
                                   std::string(JsonKindName(*v)));
  }
  return v->get_bool();
}

Result<Bytes> ParamReader::RequiredHex(std::string_view name, std::size_t exact_size) const {
  COLEND_ASSIGN_OR_RETURN(std::string text, RequiredString(name));
  if (text.empty()) return Status::InvalidArgument(Quoted(name) + "is empty");
  Result<Bytes> bytes = FromHex(text);
  if (!bytes.ok()) {
    return Status::InvalidArgument(Quoted(name) + "not hex: " + bytes.status().message());
  }
  if (exact_size != 0 && bytes->size() != exact_size) {
    return Status::InvalidArgument(Quoted(name) + "expected " + std::to_string(2 * exact_size) +
                                   " hex digits, got " + std::to_string(text.size()));
  }
  return std::move(bytes).value();
}

Result<std::vector<Bytes>> ParamReader::RequiredHexArray(std::string_view name,
                                                         std::size_t max_items) const {
  const json::value* v = Find(name);
  if (v == nullptr) return Missing(name);
  if (!v->is_array()) {
    return Status::InvalidArgument(Quoted(name) + "expected an array, got " +
                                   std::string(JsonKindName(*v)));
  }
  const json::array& items = v->get_array();
  if (items.empty() || items.size() > max_items) {
    return Status::InvalidArgument(Quoted(name) + "must hold 1 to " + std::to_string(max_items) +
                                   " entries, got " + std::to_string(items.size()));
  }
  std::vector<Bytes> out;
  out.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string entry = "\"" + std::string(name) + "\"[" + std::to_string(i) + "]: ";
    if (!items[i].is_string() || items[i].get_string().empty()) {
      return Status::InvalidArgument("param " + entry + "expected a non-empty hex string, got " +
                                     std::string(JsonKindName(items[i])));
    }
    Result<Bytes> bytes = FromHex(items[i].get_string());
    if (!bytes.ok()) {
      return Status::InvalidArgument("param " + entry + "not hex: " + bytes.status().message());
    }
    out.push_back(std::move(bytes).value());
  }
  return out;
}

Status CheckMemberId(std::string_view param, std::string_view id) {
  if (id.empty() || id.size() > 32 || !std::all_of(id.begin(), id.end(), IsMemberIdChar)) {
    return Status::InvalidArgument(Quoted(param) + "not a member id (1-32 of A-Z 0-9 _)");
  }
  return Status::Ok();
}

Status CheckRecordId(std::string_view param, std::string_view id) {
  if (id.empty() || id.size() > 64 || !std::all_of(id.begin(), id.end(), IsRecordIdChar)) {
    return Status::InvalidArgument(Quoted(param) + "not an id (1-64 of A-Z a-z 0-9 . _ : -)");
  }
  return Status::Ok();
}

}  // namespace colend::node::rpc
