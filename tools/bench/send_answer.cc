#include "send_answer.h"

#include <algorithm>
#include <cctype>

namespace colend::bench {
namespace {

bool SameHex(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

const boost::json::value* DataField(const tools::RpcError& error, std::string_view name) {
  if (!error.data.is_object()) return nullptr;
  return error.data.as_object().if_contains(name);
}

// data.retry_after_ms as a non-negative number of milliseconds, if it is a number.
std::optional<std::chrono::milliseconds> RetryHint(const tools::RpcError& error) {
  const boost::json::value* v = DataField(error, "retry_after_ms");
  if (v == nullptr || !v->is_number()) return std::nullopt;
  boost::system::error_code ec;
  const double ms = v->to_number<double>(ec);
  if (ec) return std::nullopt;
  return std::chrono::milliseconds(
      static_cast<std::int64_t>(std::clamp(ms, 0.0, static_cast<double>(kMaxRetryHint.count()))));
}

}  // namespace

ClassifiedAnswer ClassifySendAnswer(const tools::RpcResponse& response, const std::string& tx_hash,
                                    bool resubmission) {
  ClassifiedAnswer out;
  if (!response.status.ok()) {
    out.kind = SendAnswer::kUnreachable;
    out.reason = response.status.ToString();
    return out;
  }
  if (!response.error.has_value()) {
    out.kind = SendAnswer::kAdmitted;
    return out;
  }
  const tools::RpcError& error = *response.error;
  if (error.code == kRpcBusy) {
    out.kind = SendAnswer::kBusy;
    const boost::json::value* reason = DataField(error, "reason");
    out.reason =
        reason != nullptr && reason->is_string() ? std::string(reason->as_string()) : error.message;
    out.retry_after = RetryHint(error);
    return out;
  }
  if (error.code == kRpcRejected && resubmission) {
    const boost::json::value* code = DataField(error, "code");
    const boost::json::value* hash = DataField(error, "tx_hash");
    if (code != nullptr && code->is_string() && code->as_string() == "DUPLICATE" &&
        hash != nullptr && hash->is_string() && SameHex(hash->as_string(), tx_hash)) {
      out.kind = SendAnswer::kAdmittedDuplicate;
      return out;
    }
  }
  out.kind = SendAnswer::kRefused;
  out.reason = std::to_string(error.code) + " " + error.message;
  return out;
}

std::chrono::milliseconds BusyRetryDelay(std::optional<std::chrono::milliseconds> hint,
                                         std::uint32_t busy_answers) {
  if (hint.has_value()) return std::min(*hint, kMaxRetryHint);
  constexpr std::chrono::milliseconds kFirst{100};
  constexpr std::chrono::milliseconds kMax{2000};
  std::chrono::milliseconds delay = kFirst;
  for (std::uint32_t i = 1; i < busy_answers && delay < kMax; ++i) delay *= 2;
  return std::min(delay, kMax);
}

}  // namespace colend::bench
