#include "certificates.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <ctime>
#include <memory>

#include "colend/crypto/hash.h"
#include "colend/crypto/x509.h"

namespace colend::node::internal {
namespace {

struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

Result<PeerCertificate> FromX509(X509* cert) {
  const int der_size = i2d_X509(cert, nullptr);
  if (der_size <= 0) return Status::InvalidArgument("certificate cannot be DER-encoded");
  Bytes der(static_cast<std::size_t>(der_size));
  unsigned char* out = der.data();
  if (i2d_X509(cert, &out) != der_size) {
    return Status::InvalidArgument("certificate cannot be DER-encoded");
  }
  // As PEM, so that crypto::InspectCertificate reads it.
  std::string pem;
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio != nullptr && PEM_write_bio_X509(bio.get(), cert) == 1) {
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);  // NOLINT(runtime/int): OpenSSL API
    if (size > 0 && data != nullptr) pem.assign(data, static_cast<std::size_t>(size));
  }
  COLEND_ASSIGN_OR_RETURN(crypto::CertificateInfo info, crypto::InspectCertificate(pem));
  PeerCertificate result;
  result.common_name = std::move(info.common_name);
  result.public_key_der = std::move(info.public_key_der);
  result.fingerprint = CertificateFingerprint(der);
  result.not_after_unix = info.not_after_unix;
  return result;
}

}  // namespace

Result<PeerCertificate> ReadPeerCertificate(SSL* ssl) {
  X509Ptr cert(SSL_get1_peer_certificate(ssl));
  if (cert == nullptr) return Status::InvalidArgument("no peer certificate");
  return FromX509(cert.get());
}

Result<PeerCertificate> ReadCertificatePem(std::string_view pem) {
  if (pem.size() > crypto::kMaxCertificatePemSize) {
    return Status::InvalidArgument("certificate PEM is too large");
  }
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return Status::Internal("BIO_new_mem_buf failed");
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) return Status::InvalidArgument("certificate PEM does not parse");
  return FromX509(cert.get());
}

std::string CertificateFingerprint(ByteView der) {
  return ToHex(crypto::Hash(crypto::HashAlgorithm::kSha256, der));
}

std::string FormatUtc(std::int64_t unix_seconds) {
  const std::time_t time = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  if (gmtime_r(&time, &tm) == nullptr) return std::to_string(unix_seconds) + " (Unix time)";
  char text[32];
  if (std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0) {
    return std::to_string(unix_seconds) + " (Unix time)";
  }
  return text;
}

std::int64_t DaysLeft(std::int64_t not_after, std::int64_t now) {
  const std::int64_t seconds = not_after - now;
  constexpr std::int64_t kDay = 86400;
  return seconds >= 0 ? seconds / kDay : -((-seconds + kDay - 1) / kDay);
}

}  // namespace colend::node::internal
