#include "colend/crypto/x509.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <array>
#include <ctime>
#include <memory>
#include <string>
#include <utility>

#include "key_internal.h"
#include "openssl_util.h"

namespace colend::crypto {
namespace {

using internal::EvpMdCtxPtr;
using internal::KeyAccess;
using internal::OpenSslDeleter;
using internal::OpenSslFailure;

using X509Ptr = std::unique_ptr<X509, OpenSslDeleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, OpenSslDeleter<BIO, BIO_free_all>>;
using X509ExtensionPtr =
    std::unique_ptr<X509_EXTENSION, OpenSslDeleter<X509_EXTENSION, X509_EXTENSION_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, OpenSslDeleter<X509_STORE, X509_STORE_free>>;
using X509StoreCtxPtr =
    std::unique_ptr<X509_STORE_CTX, OpenSslDeleter<X509_STORE_CTX, X509_STORE_CTX_free>>;
using Asn1OctetStringPtr =
    std::unique_ptr<ASN1_OCTET_STRING, OpenSslDeleter<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>>;

constexpr std::size_t kMaxCommonNameSize = 64;  // the X.520 upper bound for a CN
constexpr std::size_t kSerialBytes = 16;
constexpr std::string_view kNodeUriPrefix = "urn:colend:node:";

bool IsNodeIdChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

Status CheckNodeId(std::string_view node_id) {
  if (node_id.empty() || node_id.size() > 64) {
    return Status::InvalidArgument("node id must be 1-64 characters, got " +
                                   std::to_string(node_id.size()));
  }
  for (const char c : node_id) {
    if (!IsNodeIdChar(c)) {
      return Status::InvalidArgument("node id \"" + std::string(node_id) +
                                     "\" may hold only A-Z a-z 0-9 . _ -");
    }
  }
  return Status::Ok();
}

Status CheckValidityDays(std::uint32_t days) {
  if (days == 0 || days > kMaxCertificateValidityDays) {
    return Status::InvalidArgument("certificate validity must be 1-" +
                                   std::to_string(kMaxCertificateValidityDays) + " days, got " +
                                   std::to_string(days));
  }
  return Status::Ok();
}

// Exactly one CERTIFICATE block, optionally surrounded by whitespace.
Result<X509Ptr> ParsePem(std::string_view pem, std::string_view what) {
  if (pem.size() > kMaxCertificatePemSize) {
    return Status::InvalidArgument(std::string(what) + " PEM is " + std::to_string(pem.size()) +
                                   " bytes; the limit is " +
                                   std::to_string(kMaxCertificatePemSize));
  }
  constexpr std::string_view kWhitespace = " \t\r\n";
  const std::size_t first = pem.find_first_not_of(kWhitespace);
  if (first == std::string_view::npos) {
    return Status::InvalidArgument(std::string(what) + " PEM is empty");
  }
  const std::string_view body = pem.substr(first, pem.find_last_not_of(kWhitespace) - first + 1);
  constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  if (body.substr(0, kBegin.size()) != kBegin || body.size() < kBegin.size() + kEnd.size() ||
      body.substr(body.size() - kEnd.size()) != kEnd ||
      body.substr(kBegin.size(), body.size() - kBegin.size() - kEnd.size()).find("-----") !=
          std::string_view::npos) {
    return Status::InvalidArgument(std::string(what) +
                                   " is not exactly one PEM \"CERTIFICATE\" block");
  }
  BioPtr bio(BIO_new_mem_buf(body.data(), static_cast<int>(body.size())));
  if (bio == nullptr) return OpenSslFailure(StatusCode::kInternal, "BIO_new_mem_buf");
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) {
    return OpenSslFailure(StatusCode::kInvalidArgument,
                          std::string(what) + " is not a well-formed X.509 certificate");
  }
  return cert;
}

Result<std::string> ToPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return OpenSslFailure(StatusCode::kInternal, "PEM_write_bio_X509");
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);  // NOLINT(runtime/int): OpenSSL API
  if (size <= 0 || data == nullptr) return Status::Internal("PEM_write_bio_X509 wrote nothing");
  return std::string(data, static_cast<std::size_t>(size));
}

Result<std::string> NameToString(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) {
    return OpenSslFailure(StatusCode::kInternal, "X509_NAME_print_ex");
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);  // NOLINT(runtime/int): OpenSSL API
  if (size <= 0 || data == nullptr) return std::string();
  return std::string(data, static_cast<std::size_t>(size));
}

// The SM2 distinguishing id as an ASN1_OCTET_STRING, for X509_set0_distinguishing_id.
Result<Asn1OctetStringPtr> Sm2Id() {
  Asn1OctetStringPtr id(ASN1_OCTET_STRING_new());
  if (id == nullptr ||
      ASN1_OCTET_STRING_set(id.get(),
                            reinterpret_cast<const unsigned char*>(internal::kSm2DefaultId.data()),
                            static_cast<int>(internal::kSm2DefaultId.size())) != 1) {
    return OpenSslFailure(StatusCode::kInternal, "ASN1_OCTET_STRING_set");
  }
  return id;
}

// Sets the id OpenSSL uses to verify this certificate's own signature when it is SM2 with
// SM3; left unset, the verifier would hash a different Z than the signer did.
Status SetSm2VerifyId(X509* cert) {
  if (X509_get_signature_nid(cert) != NID_SM2_with_SM3) return Status::Ok();
  COLEND_ASSIGN_OR_RETURN(Asn1OctetStringPtr id, Sm2Id());
  X509_set0_distinguishing_id(cert, id.release());
  return Status::Ok();
}

Status SetRandomSerial(X509* cert) {
  std::array<unsigned char, kSerialBytes> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return OpenSslFailure(StatusCode::kInternal, "RAND_bytes");
  }
  bytes[0] &= 0x7f;  // a positive INTEGER (RFC 5280 §4.1.2.2)
  bytes[0] |= 0x01;  // and never shorter than the others, nor zero
  internal::BignumPtr bn(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
  if (bn == nullptr || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr) {
    return OpenSslFailure(StatusCode::kInternal, "BN_to_ASN1_INTEGER");
  }
  return Status::Ok();
}

Status SetValidity(X509* cert, std::uint32_t validity_days) {
  std::time_t now = std::time(nullptr);
  if (X509_time_adj_ex(X509_getm_notBefore(cert), 0,
                       -static_cast<long>(kCertificateBackdateSeconds),  // NOLINT(runtime/int)
                       &now) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert), static_cast<int>(validity_days), 0, &now) ==
          nullptr) {
    return OpenSslFailure(StatusCode::kInternal, "X509_time_adj_ex");
  }
  return Status::Ok();
}

Status SetCommonName(X509* cert, std::string_view common_name) {
  X509_NAME* name = X509_get_subject_name(cert);
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.data()),
                                 static_cast<int>(common_name.size()), -1, 0) != 1) {
    return OpenSslFailure(StatusCode::kInternal, "X509_NAME_add_entry_by_txt");
  }
  return Status::Ok();
}

// Adds one extension written in OpenSSL's configuration syntax ("critical,CA:TRUE").
Status AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (ext == nullptr || X509_add_ext(cert, ext.get(), -1) != 1) {
    return OpenSslFailure(StatusCode::kInternal,
                          std::string("adding X.509 extension ") + OBJ_nid2sn(nid));
  }
  return Status::Ok();
}

// Signs with SHA-256 (ECDSA) or SM3 (SM2, with colend's distinguishing id).
Status Sign(X509* cert, const PrivateKey& key) {
  EVP_PKEY* pkey = KeyAccess::State(key).pkey.get();
  const bool sm = key.suite() == CryptoSuite::Sm();
  EvpMdCtxPtr md_ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pkey_ctx = nullptr;  // owned by md_ctx
  if (md_ctx == nullptr || EVP_DigestSignInit_ex(md_ctx.get(), &pkey_ctx, sm ? "SM3" : "SHA256",
                                                 nullptr, nullptr, pkey, nullptr) != 1) {
    return OpenSslFailure(StatusCode::kInternal, "EVP_DigestSignInit_ex for a certificate");
  }
  if (sm && EVP_PKEY_CTX_set1_id(pkey_ctx, internal::kSm2DefaultId.data(),
                                 internal::kSm2DefaultId.size()) != 1) {
    return OpenSslFailure(StatusCode::kInternal, "EVP_PKEY_CTX_set1_id");
  }
  if (X509_sign_ctx(cert, md_ctx.get()) <= 0) {
    return OpenSslFailure(StatusCode::kInternal, "X509_sign_ctx");
  }
  return Status::Ok();
}

// The common fields of a v3 certificate for `subject_key`.
Result<X509Ptr> NewCertificate(EVP_PKEY* subject_key, std::string_view common_name,
                               std::uint32_t validity_days) {
  X509Ptr cert(X509_new());
  if (cert == nullptr || X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      X509_set_pubkey(cert.get(), subject_key) != 1) {
    return OpenSslFailure(StatusCode::kInternal, "X509_new");
  }
  COLEND_RETURN_IF_ERROR(SetRandomSerial(cert.get()));
  COLEND_RETURN_IF_ERROR(SetValidity(cert.get(), validity_days));
  COLEND_RETURN_IF_ERROR(SetCommonName(cert.get(), common_name));
  return cert;
}

Result<std::int64_t> TimeToUnix(const ASN1_TIME* time) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) {
    return OpenSslFailure(StatusCode::kInvalidArgument, "certificate has a malformed time");
  }
  return static_cast<std::int64_t>(timegm(&tm));
}

}  // namespace

Result<std::string> MakeCaCertificate(const PrivateKey& ca_key, std::string_view common_name,
                                      std::uint32_t validity_days) {
  if (common_name.empty() || common_name.size() > kMaxCommonNameSize) {
    return Status::InvalidArgument("CA common name must be 1-64 bytes, got " +
                                   std::to_string(common_name.size()));
  }
  COLEND_RETURN_IF_ERROR(CheckValidityDays(validity_days));
  COLEND_ASSIGN_OR_RETURN(X509Ptr cert, NewCertificate(KeyAccess::State(ca_key).pkey.get(),
                                                       common_name, validity_days));
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())) != 1) {
    return OpenSslFailure(StatusCode::kInternal, "X509_set_issuer_name");
  }
  COLEND_RETURN_IF_ERROR(
      AddExtension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
  COLEND_RETURN_IF_ERROR(
      AddExtension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign"));
  COLEND_RETURN_IF_ERROR(AddExtension(cert.get(), cert.get(), NID_subject_key_identifier, "hash"));
  COLEND_RETURN_IF_ERROR(Sign(cert.get(), ca_key));
  return ToPem(cert.get());
}

Result<std::string> IssueNodeCertificate(const PrivateKey& ca_key, std::string_view ca_cert_pem,
                                         const PublicKey& node_key, std::string_view node_id,
                                         std::uint32_t validity_days) {
  COLEND_RETURN_IF_ERROR(CheckNodeId(node_id));
  COLEND_RETURN_IF_ERROR(CheckValidityDays(validity_days));
  if (node_key.suite() != ca_key.suite()) {
    return Status::InvalidArgument(
        "node key is of suite \"" + std::string(node_key.suite().name()) +
        "\" but the CA key of suite \"" + std::string(ca_key.suite().name()) + "\"");
  }
  COLEND_ASSIGN_OR_RETURN(X509Ptr ca_cert, ParsePem(ca_cert_pem, "CA certificate"));
  if (X509_check_ca(ca_cert.get()) == 0) {
    return Status::InvalidArgument("the CA certificate is not a CA (no basicConstraints CA:TRUE)");
  }
  if (X509_check_private_key(ca_cert.get(), KeyAccess::State(ca_key).pkey.get()) != 1) {
    internal::ClearOpenSslErrors();
    return Status::InvalidArgument("the CA key does not belong to the CA certificate");
  }
  COLEND_ASSIGN_OR_RETURN(
      X509Ptr cert, NewCertificate(KeyAccess::State(node_key).pkey.get(), node_id, validity_days));
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert.get())) != 1) {
    return OpenSslFailure(StatusCode::kInternal, "X509_set_issuer_name");
  }
  COLEND_RETURN_IF_ERROR(
      AddExtension(cert.get(), ca_cert.get(), NID_basic_constraints, "critical,CA:FALSE"));
  COLEND_RETURN_IF_ERROR(
      AddExtension(cert.get(), ca_cert.get(), NID_key_usage, "critical,digitalSignature"));
  COLEND_RETURN_IF_ERROR(
      AddExtension(cert.get(), ca_cert.get(), NID_ext_key_usage, "serverAuth,clientAuth"));
  COLEND_RETURN_IF_ERROR(AddExtension(cert.get(), ca_cert.get(), NID_subject_alt_name,
                                      "URI:" + std::string(kNodeUriPrefix) + std::string(node_id)));
  COLEND_RETURN_IF_ERROR(
      AddExtension(cert.get(), ca_cert.get(), NID_subject_key_identifier, "hash"));
  COLEND_RETURN_IF_ERROR(
      AddExtension(cert.get(), ca_cert.get(), NID_authority_key_identifier, "keyid:always"));
  COLEND_RETURN_IF_ERROR(Sign(cert.get(), ca_key));
  return ToPem(cert.get());
}

Result<CertificateInfo> InspectCertificate(std::string_view cert_pem) {
  COLEND_ASSIGN_OR_RETURN(X509Ptr cert, ParsePem(cert_pem, "certificate"));
  CertificateInfo info;
  const X509_NAME* subject = X509_get_subject_name(cert.get());
  const int cn_index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (cn_index >= 0) {
    if (X509_NAME_get_index_by_NID(subject, NID_commonName, cn_index) >= 0) {
      return Status::InvalidArgument("certificate subject has more than one common name");
    }
    const ASN1_STRING* cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, cn_index));
    unsigned char* utf8 = nullptr;
    const int length = ASN1_STRING_to_UTF8(&utf8, cn);
    if (length < 0) {
      return OpenSslFailure(StatusCode::kInvalidArgument, "certificate common name");
    }
    info.common_name.assign(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
    OPENSSL_free(utf8);
  }
  const EVP_PKEY* pkey = X509_get0_pubkey(cert.get());
  if (pkey == nullptr) {
    return OpenSslFailure(StatusCode::kInvalidArgument, "certificate public key does not parse");
  }
  unsigned char* der = nullptr;
  const int der_size = i2d_PUBKEY(pkey, &der);
  if (der_size <= 0) return OpenSslFailure(StatusCode::kInternal, "i2d_PUBKEY");
  info.public_key_der.assign(der, der + der_size);
  OPENSSL_free(der);
  COLEND_ASSIGN_OR_RETURN(info.issuer, NameToString(X509_get_issuer_name(cert.get())));
  internal::BignumPtr serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr));
  if (serial == nullptr) return OpenSslFailure(StatusCode::kInternal, "ASN1_INTEGER_to_BN");
  char* hex = BN_bn2hex(serial.get());
  if (hex == nullptr) return OpenSslFailure(StatusCode::kInternal, "BN_bn2hex");
  info.serial_hex = hex;
  OPENSSL_free(hex);
  info.is_ca = X509_check_ca(cert.get()) != 0;
  COLEND_ASSIGN_OR_RETURN(info.not_before_unix, TimeToUnix(X509_get0_notBefore(cert.get())));
  COLEND_ASSIGN_OR_RETURN(info.not_after_unix, TimeToUnix(X509_get0_notAfter(cert.get())));
  internal::ClearOpenSslErrors();
  return info;
}

Status VerifyCertificateIssuedBy(std::string_view cert_pem, std::string_view ca_cert_pem) {
  COLEND_ASSIGN_OR_RETURN(X509Ptr cert, ParsePem(cert_pem, "certificate"));
  COLEND_ASSIGN_OR_RETURN(X509Ptr ca_cert, ParsePem(ca_cert_pem, "CA certificate"));
  if (X509_check_ca(ca_cert.get()) == 0) {
    return Status::PermissionDenied("the issuer certificate is not a CA");
  }
  if (X509_check_issued(ca_cert.get(), ca_cert.get()) != X509_V_OK) {
    return Status::PermissionDenied("the CA certificate is not self-signed");
  }
  COLEND_RETURN_IF_ERROR(SetSm2VerifyId(cert.get()));
  COLEND_RETURN_IF_ERROR(SetSm2VerifyId(ca_cert.get()));
  X509StorePtr store(X509_STORE_new());
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (store == nullptr || ctx == nullptr || X509_STORE_add_cert(store.get(), ca_cert.get()) != 1 ||
      X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr) != 1) {
    return OpenSslFailure(StatusCode::kInternal, "X509_STORE setup");
  }
  X509_STORE_CTX_set_flags(ctx.get(), X509_V_FLAG_X509_STRICT | X509_V_FLAG_CHECK_SS_SIGNATURE);
  const int verified = X509_verify_cert(ctx.get());
  internal::ClearOpenSslErrors();
  if (verified != 1) {
    const int error = X509_STORE_CTX_get_error(ctx.get());
    return Status::PermissionDenied(std::string("certificate does not verify against the CA: ") +
                                    X509_verify_cert_error_string(error));
  }
  return Status::Ok();
}

}  // namespace colend::crypto
