// Status: the outcome of an operation that can fail in an expected way.
//
// A Status is either OK or carries a code and a human sentence for the operator or the
// bank's engineer reading a log. It is a value: cheap to move, safe to copy, and
// [[nodiscard]] so an ignored failure is a compile error in the `ci` preset.
// Thread safety: a Status is an immutable value after construction.
#ifndef COLEND_COMMON_STATUS_H_
#define COLEND_COMMON_STATUS_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

namespace colend {

enum class StatusCode : std::uint8_t {
  kOk = 0,
  kInvalidArgument,     // the input is malformed or out of its domain
  kOutOfRange,          // arithmetic overflow, index or size beyond its bound
  kNotFound,            // the thing named does not exist
  kAlreadyExists,       // the thing to create exists
  kPermissionDenied,    // the caller may not do this (wrong signer, unknown key)
  kFailedPrecondition,  // the system is not in a state where this is allowed
  kResourceExhausted,   // a pool, a queue or a quota is full
  kUnavailable,         // try again later (peer down, shutting down)
  kCorruption,          // stored or received data fails its own integrity check
  kIoError,             // the operating system reported a failure
  kInternal,            // a library we call failed in a way we did not expect
};

// "OK", "INVALID_ARGUMENT", … — stable names used in logs and tests.
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  // An OK status.
  Status() = default;
  // REQUIRES: code != kOk, or message is empty.
  Status(StatusCode code, std::string message);

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string message);
  static Status OutOfRange(std::string message);
  static Status NotFound(std::string message);
  static Status AlreadyExists(std::string message);
  static Status PermissionDenied(std::string message);
  static Status FailedPrecondition(std::string message);
  static Status ResourceExhausted(std::string message);
  static Status Unavailable(std::string message);
  static Status Corruption(std::string message);
  static Status IoError(std::string message);
  static Status Internal(std::string message);

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "OK" or "INVALID_ARGUMENT: <message>".
  std::string ToString() const;

  // Returns a copy whose message is "<context>: <message>"; OK stays OK.
  Status WithContext(std::string_view context) const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

std::ostream& operator<<(std::ostream& os, const Status& status);

}  // namespace colend

// Returns the Status of `expr` from the enclosing function if it is not OK.
#define COLEND_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::colend::Status colend_status_ = (expr);        \
    if (!colend_status_.ok()) return colend_status_; \
  } while (false)

#endif  // COLEND_COMMON_STATUS_H_
