#include "colend/crypto/hash.h"

#include <openssl/evp.h>

#include <string>
#include <utility>

#include "colend/common/check.h"
#include "hash_internal.h"
#include "openssl_util.h"

namespace colend::crypto {
namespace internal {
namespace {

// Fetches the digest implementation from the default library context once. Implicit
// fetching (passing EVP_sha256() to EVP_DigestInit_ex) repeats the provider lookup, with its
// global lock, on every call; with the object fetched here it happens once per process.
EvpMdPtr FetchOrDie(const char* name, HashAlgorithm algorithm) {
  EvpMdPtr md(EVP_MD_fetch(nullptr, name, nullptr));
  if (md == nullptr) {
    const std::string detail =
        OpenSslFailure(StatusCode::kInternal, std::string("OpenSSL cannot provide ") +
                                                  std::string(HashAlgorithmName(algorithm)) +
                                                  "; is the default provider loaded?")
            .ToString();
    colend::internal::CheckFailed(__FILE__, __LINE__, "EVP_MD_fetch", detail.c_str());
  }
  return md;
}

}  // namespace

const EVP_MD* FetchedDigest(HashAlgorithm algorithm) {
  // Function-local statics: initialised once, thread-safely (C++11 [stmt.dcl]/4). They are
  // destroyed before OpenSSL's own atexit cleanup runs because OpenSSL registers that
  // handler during the first fetch, i.e. before these destructors are registered.
  switch (algorithm) {
    case HashAlgorithm::kSha256: {
      static const EvpMdPtr sha256 = FetchOrDie("SHA2-256", algorithm);
      return sha256.get();
    }
    case HashAlgorithm::kSm3: {
      static const EvpMdPtr sm3 = FetchOrDie("SM3", algorithm);
      return sm3.get();
    }
  }
  COLEND_CHECK_MSG(false, "unknown HashAlgorithm");
  return nullptr;
}

}  // namespace internal

std::string_view HashAlgorithmName(HashAlgorithm algorithm) {
  switch (algorithm) {
    case HashAlgorithm::kSha256:
      return "SHA-256";
    case HashAlgorithm::kSm3:
      return "SM3";
  }
  return "unknown hash algorithm";
}

struct Hasher::State {
  internal::EvpMdCtxPtr ctx;
};

namespace {

// A digest context failing on bytes in memory means OpenSSL itself is broken (or out of
// memory, which operator new treats as fatal too); there is no input that causes it.
void CheckDigestCall(int rc, const char* call) {
  if (rc != 1) {
    const std::string detail = internal::OpenSslFailure(StatusCode::kInternal, call).ToString();
    colend::internal::CheckFailed(__FILE__, __LINE__, call, detail.c_str());
  }
}

}  // namespace

Hasher::Hasher(HashAlgorithm algorithm) : algorithm_(algorithm), state_(std::make_unique<State>()) {
  state_->ctx.reset(EVP_MD_CTX_new());
  COLEND_CHECK_MSG(state_->ctx != nullptr, "EVP_MD_CTX_new: out of memory");
  CheckDigestCall(
      EVP_DigestInit_ex2(state_->ctx.get(), internal::FetchedDigest(algorithm), nullptr),
      "EVP_DigestInit_ex2");
}

Hasher::~Hasher() = default;
Hasher::Hasher(Hasher&& other) noexcept = default;
Hasher& Hasher::operator=(Hasher&& other) noexcept = default;

Hasher& Hasher::Update(ByteView data) {
  COLEND_CHECK_MSG(state_ != nullptr, "Hasher used after move");
  CheckDigestCall(EVP_DigestUpdate(state_->ctx.get(), data.data(), data.size()),
                  "EVP_DigestUpdate");
  return *this;
}

Digest Hasher::Finish() {
  COLEND_CHECK_MSG(state_ != nullptr, "Hasher used after move");
  Digest digest{};
  unsigned int length = 0;
  CheckDigestCall(EVP_DigestFinal_ex(state_->ctx.get(), digest.data(), &length),
                  "EVP_DigestFinal_ex");
  COLEND_CHECK(length == kDigestSize);
  // Re-initialising with the same EVP_MD keeps the context's allocation.
  CheckDigestCall(
      EVP_DigestInit_ex2(state_->ctx.get(), internal::FetchedDigest(algorithm_), nullptr),
      "EVP_DigestInit_ex2");
  return digest;
}

Digest Hash(HashAlgorithm algorithm, ByteView data) {
  Digest digest{};
  unsigned int length = 0;
  // EVP_Digest with an explicitly fetched EVP_MD does no provider lookup.
  CheckDigestCall(EVP_Digest(data.data(), data.size(), digest.data(), &length,
                             internal::FetchedDigest(algorithm), nullptr),
                  "EVP_Digest");
  COLEND_CHECK(length == kDigestSize);
  return digest;
}

}  // namespace colend::crypto
