// Verdict: how a contract handler ended — accepted; rejected, the transaction's own failure
// (its receipt carries the code and a sentence, and it changes nothing else); or a fault:
// the state is damaged (a record does not parse, a record names one that is missing) or the
// contract broke one of its own invariants (money not conserved). A fault is no
// transaction's doing, so it must stop the node rather than produce a receipt that other
// nodes would not produce.
//
// Nothing here reads a StatusCode to guess which of these a failure was: the call site says
// it, by the macro it uses.
//
//   COLEND_ASSIGN_OR_FAULT(lhs, result)   a Result<T> from reading the state or checking an
//   COLEND_FAULT_IF_ERROR(status)         invariant: any failure is a fault.
//   COLEND_ASSIGN_OR_VERDICT(lhs, outcome)  an Outcome<T> (the transaction's numbers,
//                                         checked.h): its failure already is a Verdict,
//                                         BAD_AMOUNT for a sum that would not fit.
//   COLEND_RETURN_IF_NOT_ACCEPTED(verdict)
#ifndef COLEND_CONTRACTS_SRC_VERDICT_H_
#define COLEND_CONTRACTS_SRC_VERDICT_H_

#include <string>
#include <utility>
#include <variant>

#include "colend/common/check.h"
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
  // REQUIRES: !status.ok().
  static Verdict Fault(Status status) {
    COLEND_CHECK_MSG(!status.ok(), "a fault needs a reason");
    Verdict v;
    v.kind_ = Kind::kFault;
    v.fault_ = std::move(status);
    return v;
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

// A value computed from a transaction's numbers, or the Verdict (a rejection or a fault)
// that ends the handler instead.
template <typename T>
class [[nodiscard]] Outcome {
 public:
  Outcome(T value) : rep_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  // REQUIRES: !verdict.accepted().
  Outcome(Verdict verdict) : rep_(std::in_place_index<1>, std::move(verdict)) {  // NOLINT
    COLEND_CHECK_MSG(!std::get<1>(rep_).accepted(), "an Outcome without a value must say why");
  }

  bool ok() const { return rep_.index() == 0; }
  // REQUIRES: ok().
  T& value() & { return std::get<0>(rep_); }
  T&& value() && { return std::get<0>(std::move(rep_)); }
  // REQUIRES: !ok().
  Verdict verdict() && { return std::get<1>(std::move(rep_)); }

 private:
  std::variant<T, Verdict> rep_;
};

// Returns the verdict from the enclosing handler unless it accepted.
#define COLEND_RETURN_IF_NOT_ACCEPTED(expr)                  \
  do {                                                       \
    ::colend::contracts::Verdict colend_verdict_ = (expr);   \
    if (!colend_verdict_.accepted()) return colend_verdict_; \
  } while (false)

#define COLEND_INTERNAL_ASSIGN_OR_FAULT(tmp, lhs, expr)                               \
  auto tmp = (expr);                                                                  \
  if (!tmp.ok()) return ::colend::contracts::Verdict::Fault(std::move(tmp).status()); \
  lhs = std::move(tmp).value()

// lhs = the value of a Result<T>; its failure is a fault (a damaged state, a broken
// invariant), returned from the enclosing function (which returns Verdict or Outcome<U>).
#define COLEND_ASSIGN_OR_FAULT(lhs, expr) \
  COLEND_INTERNAL_ASSIGN_OR_FAULT(COLEND_INTERNAL_CONCAT(colend_fault_, __LINE__), lhs, expr)

#define COLEND_FAULT_IF_ERROR(expr)                                                \
  do {                                                                             \
    ::colend::Status colend_fault_status_ = (expr);                                \
    if (!colend_fault_status_.ok()) {                                              \
      return ::colend::contracts::Verdict::Fault(std::move(colend_fault_status_)); \
    }                                                                              \
  } while (false)

#define COLEND_INTERNAL_ASSIGN_OR_VERDICT(tmp, lhs, expr) \
  auto tmp = (expr);                                      \
  if (!tmp.ok()) return std::move(tmp).verdict();         \
  lhs = std::move(tmp).value()

// lhs = the value of an Outcome<T>, or its Verdict returned from the enclosing function.
#define COLEND_ASSIGN_OR_VERDICT(lhs, expr) \
  COLEND_INTERNAL_ASSIGN_OR_VERDICT(COLEND_INTERNAL_CONCAT(colend_outcome_, __LINE__), lhs, expr)

}  // namespace colend::contracts

#endif  // COLEND_CONTRACTS_SRC_VERDICT_H_
