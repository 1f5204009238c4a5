#include "colend/crypto/suite.h"

#include <openssl/evp.h>

#include <algorithm>
#include <string>

#include "openssl_util.h"

namespace colend::crypto {
namespace {

using KeymgmtPtr =
    std::unique_ptr<EVP_KEYMGMT, internal::OpenSslDeleter<EVP_KEYMGMT, EVP_KEYMGMT_free>>;
using SignaturePtr =
    std::unique_ptr<EVP_SIGNATURE, internal::OpenSslDeleter<EVP_SIGNATURE, EVP_SIGNATURE_free>>;

// Checks that the default library context can provide the three algorithms a suite needs.
Status CheckAvailable(CryptoSuite suite, const char* keymgmt, const char* signature,
                      const char* digest) {
  const internal::EvpMdPtr md(EVP_MD_fetch(nullptr, digest, nullptr));
  const KeymgmtPtr km(EVP_KEYMGMT_fetch(nullptr, keymgmt, nullptr));
  const SignaturePtr sig(EVP_SIGNATURE_fetch(nullptr, signature, nullptr));
  if (md == nullptr || km == nullptr || sig == nullptr) {
    return internal::OpenSslFailure(
        StatusCode::kFailedPrecondition,
        "crypto suite \"" + std::string(suite.name()) + "\" (" + std::string(suite.description()) +
            ") is not available from the OpenSSL linked into this process; "
            "check that the default provider is loaded");
  }
  return Status::Ok();
}

}  // namespace

Result<CryptoSuite> CryptoSuite::FromName(std::string_view name) {
  if (name == kStandardName) {
    const CryptoSuite suite = Standard();
    Status available = CheckAvailable(suite, "EC", "ECDSA", "SHA2-256");
    if (!available.ok()) return available;
    return suite;
  }
  if (name == kSmName) {
    const CryptoSuite suite = Sm();
    Status available = CheckAvailable(suite, "SM2", "SM2", "SM3");
    if (!available.ok()) return available;
    return suite;
  }
  // Echo the name only when it is short printable text, so a hostile genesis cannot put
  // control characters or megabytes into the operator's log.
  const bool printable = name.size() <= 32 && std::all_of(name.begin(), name.end(), [](char c) {
                           return c >= 0x20 && c < 0x7f;
                         });
  return Status::InvalidArgument((printable
                                      ? "unknown crypto suite \"" + std::string(name) + "\""
                                      : "unknown crypto suite (" + std::to_string(name.size()) +
                                            " bytes, not printable text)") +
                                 "; expected \"standard\" or \"sm\"");
}

}  // namespace colend::crypto
