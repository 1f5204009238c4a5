#include "colend/common/status.h"

#include <utility>

#include "colend/common/check.h"

namespace colend {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case StatusCode::kOutOfRange:
      return "OUT_OF_RANGE";
    case StatusCode::kNotFound:
      return "NOT_FOUND";
    case StatusCode::kAlreadyExists:
      return "ALREADY_EXISTS";
    case StatusCode::kPermissionDenied:
      return "PERMISSION_DENIED";
    case StatusCode::kFailedPrecondition:
      return "FAILED_PRECONDITION";
    case StatusCode::kResourceExhausted:
      return "RESOURCE_EXHAUSTED";
    case StatusCode::kUnavailable:
      return "UNAVAILABLE";
    case StatusCode::kCorruption:
      return "CORRUPTION";
    case StatusCode::kIoError:
      return "IO_ERROR";
    case StatusCode::kInternal:
      return "INTERNAL";
  }
  return "UNKNOWN";
}

Status::Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {
  COLEND_CHECK_MSG(code_ != StatusCode::kOk || message_.empty(), "an OK Status carries no message");
}

Status Status::InvalidArgument(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
Status Status::OutOfRange(std::string m) {
  return {StatusCode::kOutOfRange, std::move(m)};
}
Status Status::NotFound(std::string m) {
  return {StatusCode::kNotFound, std::move(m)};
}
Status Status::AlreadyExists(std::string m) {
  return {StatusCode::kAlreadyExists, std::move(m)};
}
Status Status::PermissionDenied(std::string m) {
  return {StatusCode::kPermissionDenied, std::move(m)};
}
Status Status::FailedPrecondition(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
}
Status Status::ResourceExhausted(std::string m) {
  return {StatusCode::kResourceExhausted, std::move(m)};
}
Status Status::Unavailable(std::string m) {
  return {StatusCode::kUnavailable, std::move(m)};
}
Status Status::Corruption(std::string m) {
  return {StatusCode::kCorruption, std::move(m)};
}
Status Status::IoError(std::string m) {
  return {StatusCode::kIoError, std::move(m)};
}
Status Status::Internal(std::string m) {
  return {StatusCode::kInternal, std::move(m)};
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out(StatusCodeName(code_));
  out += ": ";
  out += message_;
  return out;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  std::string m(context);
  m += ": ";
  m += message_;
  return {code_, std::move(m)};
}

std::ostream& operator<<(std::ostream& os, const Status& status) {
  return os << status.ToString();
}

}  // namespace colend
