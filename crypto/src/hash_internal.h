// Access to the process-wide fetched digest implementations, for the module's own sources.
#ifndef COLEND_CRYPTO_SRC_HASH_INTERNAL_H_
#define COLEND_CRYPTO_SRC_HASH_INTERNAL_H_

#include <openssl/evp.h>

#include "colend/crypto/hash.h"

namespace colend::crypto::internal {

// The EVP_MD for `algorithm`, fetched once per process and never freed before exit.
// Thread-safe. Aborts if OpenSSL cannot provide the algorithm (see hash.h).
const EVP_MD* FetchedDigest(HashAlgorithm algorithm);

}  // namespace colend::crypto::internal

#endif  // COLEND_CRYPTO_SRC_HASH_INTERNAL_H_
