#include "openssl_util.h"

#include <openssl/err.h>

#include <array>
#include <string>

namespace colend::crypto::internal {

Status OpenSslFailure(StatusCode code, std::string_view what) {
  std::string message(what);
  // The earliest error is the root cause; later entries are callers adding context.
  const unsigned long error = ERR_peek_error();  // NOLINT(runtime/int): OpenSSL's type
  if (error != 0) {
    std::array<char, 256> reason{};
    ERR_error_string_n(error, reason.data(), reason.size());
    message += " (OpenSSL: ";
    message += reason.data();
    message += ")";
  }
  ERR_clear_error();
  return Status(code, std::move(message));
}

void ClearOpenSslErrors() {
  ERR_clear_error();
}

std::optional<PkeyCtxPool::Lease> PkeyCtxPool::Acquire(EVP_PKEY* pkey) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!idle_.empty()) {
      EvpPkeyCtxPtr ctx = std::move(idle_.back());
      idle_.pop_back();
      return std::optional<Lease>(std::in_place, this, std::move(ctx));
    }
  }
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (ctx == nullptr) return std::nullopt;
  const int rc = operation_ == Operation::kSign ? EVP_PKEY_sign_init(ctx.get())
                                                : EVP_PKEY_verify_init(ctx.get());
  if (rc != 1) return std::nullopt;
  return std::optional<Lease>(std::in_place, this, std::move(ctx));
}

void PkeyCtxPool::Release(EvpPkeyCtxPtr ctx) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (idle_.size() < kMaxIdle) idle_.push_back(std::move(ctx));
}

}  // namespace colend::crypto::internal
