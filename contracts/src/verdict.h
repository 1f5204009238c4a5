// Verdict: how a contract handler ended — accepted, rejected with a code and a sentence
// (the receipt says so and the transaction changes nothing else), or a fault: the state
// itself is unreadable (a corrupt record), which is not the transaction's fault and must
// stop the node rather than produce a receipt that other nodes would not produce.
//
// A Status converts implicitly so COLEND_ASSIGN_OR_RETURN / COLEND_RETURN_IF_ERROR work in
// handlers. kOutOfRange is the one Status that means "this transaction's amounts would
// overflow" (common/amount.h returns it for every checked operation): it becomes a
// BAD_AMOUNT rejection, never a fault, because a hostile amount must not stop the chain.
#ifndef COLEND_CONTRACTS_SRC_VERDICT_H_
#define COLEND_CONTRACTS_SRC_VERDICT_H_

#include <string>
#include <utility>

#include "colend/common/status.h"
#include "colend/contracts/error_code.h"

namespace colend::contracts {

class [[nodiscard]] Verdict {
 public:
  static Verdict Accept() { return Verdict(); }
  static Verdict Reject(ErrorCode code, std::string message) {
    Verdict v;
    v.kind_ = Kind::kRejected;
    v.code_ = code;
    v.message_ = std::move(message);
    return v;
  }

  // NOLINTNEXTLINE(google-explicit-constructor): lets handlers propagate Status.
  Verdict(Status status) {
    if (status.ok()) return;
    if (status.code() == StatusCode::kOutOfRange) {
      kind_ = Kind::kRejected;
      code_ = ErrorCode::kBadAmount;
      message_ = "amounts would overflow: " + status.message();
    } else {
      kind_ = Kind::kFault;
      fault_ = std::move(status);
    }
  }

  bool accepted() const { return kind_ == Kind::kAccepted; }
  bool rejected() const { return kind_ == Kind::kRejected; }
  bool faulted() const { return kind_ == Kind::kFault; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const Status& fault() const { return fault_; }

 private:
  enum class Kind { kAccepted, kRejected, kFault };
  Verdict() = default;

  Kind kind_ = Kind::kAccepted;
  ErrorCode code_ = ErrorCode::kMalformed;
  std::string message_;
  Status fault_;
};

// Returns the verdict from the enclosing handler unless it accepted.
#define COLEND_RETURN_IF_NOT_ACCEPTED(expr)                  \
  do {                                                       \
    ::colend::contracts::Verdict colend_verdict_ = (expr);   \
    if (!colend_verdict_.accepted()) return colend_verdict_; \
  } while (false)

}  // namespace colend::contracts

#endif  // COLEND_CONTRACTS_SRC_VERDICT_H_
