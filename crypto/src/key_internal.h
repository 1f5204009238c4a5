// The state behind PublicKey and PrivateKey, shared by keys.cc and signature.cc.
#ifndef COLEND_CRYPTO_SRC_KEY_INTERNAL_H_
#define COLEND_CRYPTO_SRC_KEY_INTERNAL_H_

#include <utility>

#include "colend/common/bytes.h"
#include "colend/common/check.h"
#include "colend/crypto/hash.h"
#include "colend/crypto/keys.h"
#include "colend/crypto/suite.h"
#include "openssl_util.h"

namespace colend::crypto::internal {

// SM2 distinguishing identifier used when the signer names none (GB/T 35276 §5.4.5,
// GM/T 0009). colend always uses this one; it is set explicitly here rather than relying
// on any library default.
inline constexpr std::string_view kSm2DefaultId = "1234567812345678";

struct PublicKeyState {
  PublicKeyState(CryptoSuite key_suite, EvpPkeyPtr key_pkey, Bytes key_raw, Bytes id,
                 const Digest& z)
      : suite(key_suite),
        pkey(std::move(key_pkey)),
        raw(std::move(key_raw)),
        key_id(std::move(id)),
        sm2_z(z) {}

  const CryptoSuite suite;
  const EvpPkeyPtr pkey;  // public key only, named curve, validated
  const Bytes raw;        // 0x04 || X || Y
  const Bytes key_id;     // kKeyIdSize bytes
  // SM2 only: Z = SM3(ENTL || ID || a || b || xG || yG || xA || yA) for kSm2DefaultId.
  // It depends only on the key, so it is computed once here instead of on every verify.
  const Digest sm2_z;
  // A cache, not part of the key's value: internally synchronised, hence usable through
  // the const state every PublicKey shares.
  mutable PkeyCtxPool verify_contexts{PkeyCtxPool::Operation::kVerify};
};

struct PrivateKeyState {
  PrivateKeyState(CryptoSuite key_suite, EvpPkeyPtr key_pkey, PublicKey key_public)
      : suite(key_suite), pkey(std::move(key_pkey)), public_key(std::move(key_public)) {}

  const CryptoSuite suite;
  const EvpPkeyPtr pkey;  // key pair, validated
  const PublicKey public_key;
  mutable PkeyCtxPool sign_contexts{PkeyCtxPool::Operation::kSign};
};

class KeyAccess {
 public:
  static const PublicKeyState& State(const PublicKey& key) {
    COLEND_CHECK_MSG(key.state_ != nullptr, "PublicKey used after move");
    return *key.state_;
  }
  static const PrivateKeyState& State(const PrivateKey& key) {
    COLEND_CHECK_MSG(key.state_ != nullptr, "PrivateKey used after move");
    return *key.state_;
  }
};

}  // namespace colend::crypto::internal

#endif  // COLEND_CRYPTO_SRC_KEY_INTERNAL_H_
