// Owning handles for OpenSSL objects and the translation of OpenSSL failures into Status.
//
// Internal to colend_crypto: nothing here appears in a public header (docs/style.md rule 5).
// Every OpenSSL object the module allocates is held by one of these unique_ptr aliases so
// that early returns on error paths cannot leak it.
#ifndef COLEND_CRYPTO_SRC_OPENSSL_UTIL_H_
#define COLEND_CRYPTO_SRC_OPENSSL_UTIL_H_

#include <openssl/bn.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include "colend/common/status.h"

namespace colend::crypto::internal {

template <typename T, void (*kFree)(T*)>
struct OpenSslDeleter {
  void operator()(T* p) const { kFree(p); }
};

inline void FreeBignumClearing(BIGNUM* bn) {
  BN_clear_free(bn);
}

using EvpMdPtr = std::unique_ptr<EVP_MD, OpenSslDeleter<EVP_MD, EVP_MD_free>>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, OpenSslDeleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslDeleter<EVP_PKEY, EVP_PKEY_free>>;
using EvpPkeyCtxPtr =
    std::unique_ptr<EVP_PKEY_CTX, OpenSslDeleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using DecoderCtxPtr =
    std::unique_ptr<OSSL_DECODER_CTX, OpenSslDeleter<OSSL_DECODER_CTX, OSSL_DECODER_CTX_free>>;
using EncoderCtxPtr =
    std::unique_ptr<OSSL_ENCODER_CTX, OpenSslDeleter<OSSL_ENCODER_CTX, OSSL_ENCODER_CTX_free>>;
// Bignums here may hold private scalars, so they are always wiped on release.
using BignumPtr = std::unique_ptr<BIGNUM, OpenSslDeleter<BIGNUM, FreeBignumClearing>>;

// Reusable EVP_PKEY_CTX objects for one key and one operation (sign or verify).
//
// Creating and initialising a context costs a provider method lookup under a global lock
// plus several allocations, about 4 µs; a P-256 verification is about 70 µs, so doing it
// per call is a measurable share and, with many threads, a point of contention. A context
// is used by one thread at a time; the pool hands them out under its own mutex and keeps up
// to kMaxIdle of them between calls.
// Thread safety: Acquire and the returned Lease may be used from any thread.
class PkeyCtxPool {
 public:
  enum class Operation { kSign, kVerify };
  static constexpr std::size_t kMaxIdle = 8;

  explicit PkeyCtxPool(Operation operation) : operation_(operation) {}
  PkeyCtxPool(const PkeyCtxPool&) = delete;
  PkeyCtxPool& operator=(const PkeyCtxPool&) = delete;

  // Returns its context to the pool when destroyed.
  class Lease {
   public:
    Lease(PkeyCtxPool* pool, EvpPkeyCtxPtr ctx) : pool_(pool), ctx_(std::move(ctx)) {}
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (ctx_ != nullptr) pool_->Release(std::move(ctx_));
    }
    EVP_PKEY_CTX* get() const { return ctx_.get(); }

   private:
    PkeyCtxPool* pool_;
    EvpPkeyCtxPtr ctx_;
  };

  // A context initialised for the pool's operation on `pkey`, or none if OpenSSL failed
  // (out of memory). REQUIRES: every call passes the same key, which outlives the pool.
  std::optional<Lease> Acquire(EVP_PKEY* pkey);

 private:
  void Release(EvpPkeyCtxPtr ctx);

  const Operation operation_;
  std::mutex mutex_;
  std::vector<EvpPkeyCtxPtr> idle_;  // guarded by mutex_
};

// A Status with `code` whose message is "<what>" followed by OpenSSL's reason for the most
// recent failure on this thread, if it recorded one. Clears this thread's OpenSSL error
// queue: a stale entry left there would be misread by the next, unrelated OpenSSL caller on
// the same thread (for example SSL_get_error in the p2p layer).
Status OpenSslFailure(StatusCode code, std::string_view what);

// Discards this thread's OpenSSL error queue. Used where an OpenSSL failure is an expected
// outcome that is already reported with its own Status (a signature that does not verify).
void ClearOpenSslErrors();

}  // namespace colend::crypto::internal

#endif  // COLEND_CRYPTO_SRC_OPENSSL_UTIL_H_
