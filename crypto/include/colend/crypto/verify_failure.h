// What a failed signature check means, for callers that must tell a bad signature from a
// check that could not run (the transaction pool answers BAD_SIGNATURE for one and INTERNAL
// for the other). The codes behind it are crypto::Verify's (signature.h, "Verify results"),
// read here and nowhere else.
#ifndef COLEND_CRYPTO_VERIFY_FAILURE_H_
#define COLEND_CRYPTO_VERIFY_FAILURE_H_

#include "colend/common/status.h"

namespace colend::crypto {

enum class VerifyFailure {
  kInvalid,     // the signature is malformed or does not verify under the key for the data
  kNotChecked,  // OpenSSL itself failed (out of memory): nothing is known of the signature
};

// REQUIRES: `failed` is a non-OK result of Verify (or of a BatchVerifier item).
inline VerifyFailure ClassifyVerifyFailure(const Status& failed) {
  return failed.code() == StatusCode::kInternal ? VerifyFailure::kNotChecked
                                                : VerifyFailure::kInvalid;
}

}  // namespace colend::crypto

#endif  // COLEND_CRYPTO_VERIFY_FAILURE_H_
