// Result<T>: a T, or the Status saying why there is none.
//
// Used as the return type of every function that produces a value and can fail in an
// expected way. Reading value() of a failed Result is a programming error and aborts
// (COLEND_CHECK); test ok() first, or use COLEND_ASSIGN_OR_RETURN.
// Thread safety: as for T.
#ifndef COLEND_COMMON_RESULT_H_
#define COLEND_COMMON_RESULT_H_

#include <type_traits>
#include <utility>
#include <variant>

#include "colend/common/check.h"
#include "colend/common/status.h"

namespace colend {

template <typename T>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<std::remove_cv_t<T>, Status>, "use Status, not Result<Status>");
  static_assert(!std::is_reference_v<T>, "Result<T&> is not supported");

 public:
  // A successful result.
  Result(const T& value) : rep_(std::in_place_index<0>, value) {}  // NOLINT: implicit by design
  Result(T&& value) : rep_(std::in_place_index<0>, std::move(value)) {}  // NOLINT
  // A failed result. REQUIRES: !status.ok().
  Result(Status status) : rep_(std::in_place_index<1>, std::move(status)) {  // NOLINT
    COLEND_CHECK_MSG(!std::get<1>(rep_).ok(), "Result built from an OK Status has no value");
  }

  bool ok() const { return rep_.index() == 0; }

  // OK when the result holds a value.
  Status status() const { return ok() ? Status() : std::get<1>(rep_); }

  // REQUIRES: ok().
  const T& value() const& {
    CheckHasValue();
    return std::get<0>(rep_);
  }
  T& value() & {
    CheckHasValue();
    return std::get<0>(rep_);
  }
  T&& value() && {
    CheckHasValue();
    return std::get<0>(std::move(rep_));
  }

  // The value if ok(), else `fallback`.
  T value_or(T fallback) const& { return ok() ? std::get<0>(rep_) : std::move(fallback); }

  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  void CheckHasValue() const {
    if (!ok()) [[unlikely]] {
      internal::CheckFailed(__FILE__, __LINE__, "Result::ok()",
                            std::get<1>(rep_).ToString().c_str());
    }
  }

  std::variant<T, Status> rep_;
};

}  // namespace colend

#define COLEND_INTERNAL_CONCAT_(a, b) a##b
#define COLEND_INTERNAL_CONCAT(a, b) COLEND_INTERNAL_CONCAT_(a, b)
#define COLEND_INTERNAL_ASSIGN_OR_RETURN(tmp, lhs, expr) \
  auto tmp = (expr);                                     \
  if (!tmp.ok()) return tmp.status();                    \
  lhs = std::move(tmp).value()

// COLEND_ASSIGN_OR_RETURN(auto x, ComputeX()); — declares/assigns x from a Result, or
// returns its Status from the enclosing function (which returns Status or Result<U>).
#define COLEND_ASSIGN_OR_RETURN(lhs, expr) \
  COLEND_INTERNAL_ASSIGN_OR_RETURN(COLEND_INTERNAL_CONCAT(colend_result_, __LINE__), lhs, expr)

#endif  // COLEND_COMMON_RESULT_H_
