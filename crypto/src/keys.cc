#include "colend/crypto/keys.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>

#include <algorithm>
#include <array>
#include <string>
#include <utility>

#include "der_signature.h"
#include "key_internal.h"
#include "openssl_util.h"

namespace colend::crypto {
namespace {

using internal::EvpPkeyCtxPtr;
using internal::EvpPkeyPtr;
using internal::OpenSslFailure;

// Far above any real key PEM (a P-256 PKCS#8 PEM is about 240 bytes); bounds the work a
// hostile configuration file or RPC argument can cause.
constexpr std::size_t kMaxPemSize = 16 * 1024;

const char* KeyType(CryptoSuite suite) {
  return suite == CryptoSuite::Standard() ? "EC" : "SM2";
}

const char* GroupName(CryptoSuite suite) {
  return suite == CryptoSuite::Standard() ? "prime256v1" : "SM2";
}

std::string SuiteLabel(CryptoSuite suite) {
  return "suite \"" + std::string(suite.name()) + "\" (" + std::string(suite.description()) + ")";
}

// Accepts exactly one PEM block with `label`, optionally surrounded by whitespace, and
// returns the block without that whitespace. OpenSSL alone would skip arbitrary text before
// the block and ignore what follows it; a key file with extra content is more likely a
// mistake (two keys pasted together, a certificate chain) than something to guess about.
Result<std::string_view> CheckPemFraming(std::string_view pem, std::string_view label) {
  if (pem.size() > kMaxPemSize) {
    return Status::InvalidArgument("PEM input is " + std::to_string(pem.size()) +
                                   " bytes; a key is never more than " +
                                   std::to_string(kMaxPemSize));
  }
  constexpr std::string_view kWhitespace = " \t\r\n";
  const std::size_t first = pem.find_first_not_of(kWhitespace);
  if (first == std::string_view::npos) return Status::InvalidArgument("PEM input is empty");
  const std::string_view body = pem.substr(first, pem.find_last_not_of(kWhitespace) - first + 1);
  const std::string begin = "-----BEGIN " + std::string(label) + "-----";
  const std::string end = "-----END " + std::string(label) + "-----";
  if (body.substr(0, begin.size()) != begin) {
    return Status::InvalidArgument("PEM input does not start with \"" + begin + "\"");
  }
  if (body.size() < begin.size() + end.size() || body.substr(body.size() - end.size()) != end) {
    return Status::InvalidArgument("PEM input does not end with \"" + end + "\" (truncated?)");
  }
  const std::string_view inner = body.substr(begin.size(), body.size() - begin.size() - end.size());
  if (inner.find("-----") != std::string_view::npos) {
    return Status::InvalidArgument("PEM input holds more than one PEM block");
  }
  return body;
}

// A passphrase callback that always refuses: an encrypted key fails to load instead of
// OpenSSL falling back to prompting on the controlling terminal.
int RefusePassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*userdata*/) {
  return 0;
}

Result<EvpPkeyPtr> DecodePem(std::string_view pem, std::string_view label, const char* structure,
                             int selection) {
  COLEND_ASSIGN_OR_RETURN(const std::string_view block, CheckPemFraming(pem, label));
  EVP_PKEY* decoded = nullptr;
  internal::DecoderCtxPtr ctx(OSSL_DECODER_CTX_new_for_pkey(
      &decoded, "PEM", structure, /*keytype=*/nullptr, selection, nullptr, nullptr));
  if (ctx == nullptr) {
    return OpenSslFailure(StatusCode::kInternal, "cannot create an OpenSSL key decoder");
  }
  if (OSSL_DECODER_CTX_set_pem_password_cb(ctx.get(), RefusePassphrase, nullptr) != 1) {
    return OpenSslFailure(StatusCode::kInternal, "cannot configure the OpenSSL key decoder");
  }
  const auto* data = reinterpret_cast<const unsigned char*>(block.data());
  std::size_t length = block.size();
  if (OSSL_DECODER_from_data(ctx.get(), &data, &length) != 1 || decoded == nullptr) {
    EVP_PKEY_free(decoded);
    std::string what = "PEM block \"";
    what.append(label).append("\" does not hold a key OpenSSL can decode");
    return OpenSslFailure(StatusCode::kInvalidArgument, what);
  }
  return EvpPkeyPtr(decoded);
}

// Far above any SubjectPublicKeyInfo of the supported curves (91 bytes).
constexpr std::size_t kMaxPublicDerSize = 1024;

// Decodes exactly one DER SubjectPublicKeyInfo, with nothing after it.
Result<EvpPkeyPtr> DecodePublicDer(ByteView der) {
  if (der.size() > kMaxPublicDerSize) {
    return Status::InvalidArgument("DER public key is " + std::to_string(der.size()) +
                                   " bytes; a key is never more than " +
                                   std::to_string(kMaxPublicDerSize));
  }
  if (der.empty()) return Status::InvalidArgument("DER public key is empty");
  EVP_PKEY* decoded = nullptr;
  internal::DecoderCtxPtr ctx(OSSL_DECODER_CTX_new_for_pkey(&decoded, "DER", "SubjectPublicKeyInfo",
                                                            /*keytype=*/nullptr,
                                                            EVP_PKEY_PUBLIC_KEY, nullptr, nullptr));
  if (ctx == nullptr) {
    return OpenSslFailure(StatusCode::kInternal, "cannot create an OpenSSL key decoder");
  }
  const unsigned char* data = der.data();
  std::size_t length = der.size();
  if (OSSL_DECODER_from_data(ctx.get(), &data, &length) != 1 || decoded == nullptr) {
    EVP_PKEY_free(decoded);
    return OpenSslFailure(StatusCode::kInvalidArgument,
                          "DER input is not a SubjectPublicKeyInfo OpenSSL can decode");
  }
  EvpPkeyPtr pkey(decoded);
  if (length != 0) {
    return Status::InvalidArgument("DER public key is followed by " + std::to_string(length) +
                                   " more bytes");
  }
  return pkey;
}

Result<Bytes> EncodePublicDer(const EVP_PKEY* pkey) {
  internal::EncoderCtxPtr ctx(OSSL_ENCODER_CTX_new_for_pkey(pkey, EVP_PKEY_PUBLIC_KEY, "DER",
                                                            "SubjectPublicKeyInfo", nullptr));
  unsigned char* data = nullptr;
  std::size_t length = 0;
  if (ctx == nullptr || OSSL_ENCODER_to_data(ctx.get(), &data, &length) != 1) {
    return OpenSslFailure(StatusCode::kInternal, "OpenSSL cannot encode the key as DER");
  }
  Bytes der(data, data + length);
  OPENSSL_free(data);
  return der;
}

// Checks algorithm, curve and curve encoding of a decoded or generated key.
Status CheckKeyMatchesSuite(const EVP_PKEY* pkey, CryptoSuite suite) {
  if (EVP_PKEY_is_a(pkey, KeyType(suite)) != 1) {
    const char* actual = EVP_PKEY_get0_type_name(pkey);
    return Status::InvalidArgument(std::string("key is of OpenSSL type ") +
                                   (actual != nullptr ? actual : "unknown") + ", but " +
                                   SuiteLabel(suite) + " needs type " + KeyType(suite));
  }
  std::array<char, 80> group{};
  std::size_t group_length = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group.data(), group.size(),
                                     &group_length) != 1) {
    internal::ClearOpenSslErrors();
    return Status::InvalidArgument("key does not name its curve; " + SuiteLabel(suite) +
                                   " accepts only the named curve " + GroupName(suite));
  }
  if (std::string_view(group.data(), group_length) != GroupName(suite)) {
    return Status::InvalidArgument("key is on curve " + std::string(group.data(), group_length) +
                                   ", but " + SuiteLabel(suite) + " needs " + GroupName(suite));
  }
  std::array<char, 32> encoding{};
  std::size_t encoding_length = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_ENCODING, encoding.data(),
                                     encoding.size(), &encoding_length) != 1 ||
      std::string_view(encoding.data(), encoding_length) != OSSL_PKEY_EC_ENCODING_GROUP) {
    internal::ClearOpenSslErrors();
    return Status::InvalidArgument(
        "key carries explicit curve parameters; only a named-curve encoding is accepted");
  }
  return Status::Ok();
}

// The 0x04 || X || Y encoding of the key's public point, whatever point format it was
// decoded from.
Result<Bytes> RawPublicPoint(const EVP_PKEY* pkey) {
  BIGNUM* x_raw = nullptr;
  BIGNUM* y_raw = nullptr;
  const int got_x = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x_raw);
  const int got_y = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y_raw);
  const internal::BignumPtr x(x_raw);
  const internal::BignumPtr y(y_raw);
  if (got_x != 1 || got_y != 1) {
    return OpenSslFailure(StatusCode::kInvalidArgument, "key has no public point");
  }
  Bytes raw(kRawPublicKeySize);
  raw[0] = 0x04;
  if (BN_bn2binpad(x.get(), raw.data() + 1, 32) != 32 ||
      BN_bn2binpad(y.get(), raw.data() + 33, 32) != 32) {
    return OpenSslFailure(StatusCode::kInvalidArgument,
                          "key's public point coordinates exceed 256 bits");
  }
  return raw;
}

Result<EvpPkeyPtr> BuildPublicPkey(CryptoSuite suite, ByteView raw) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, KeyType(suite), nullptr));
  if (ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    return OpenSslFailure(StatusCode::kInternal, "cannot create an OpenSSL key context");
  }
  // OSSL_PARAM takes non-const pointers but only reads through them for fromdata.
  std::array<OSSL_PARAM, 3> params = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                       const_cast<char*>(GroupName(suite)), 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                        const_cast<std::uint8_t*>(raw.data()), raw.size()),
      OSSL_PARAM_construct_end()};
  EVP_PKEY* built = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &built, EVP_PKEY_PUBLIC_KEY, params.data()) != 1 ||
      built == nullptr) {
    EVP_PKEY_free(built);
    return OpenSslFailure(StatusCode::kInvalidArgument,
                          "raw public key is not a point on the curve of " + SuiteLabel(suite));
  }
  EvpPkeyPtr pkey(built);
  // fromdata already rejects points off the curve; the full public-key validation (SP
  // 800-56A §5.6.2.3.3: not infinity, coordinates in range, on the curve, order n) costs a
  // few microseconds once per key and removes any doubt.
  EvpPkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (check == nullptr || EVP_PKEY_public_check(check.get()) != 1) {
    return OpenSslFailure(StatusCode::kInvalidArgument,
                          "raw public key fails validation on the curve of " + SuiteLabel(suite));
  }
  return pkey;
}

Bytes DeriveKeyId(CryptoSuite suite, const Bytes& raw) {
  static constexpr std::uint8_t kSeparator[1] = {0x00};
  Hasher hasher(suite.hash());
  hasher.Update(AsBytes(kKeyIdDomain))
      .Update(kSeparator)
      .Update(AsBytes(suite.name()))
      .Update(kSeparator)
      .Update(raw);
  const Digest digest = hasher.Finish();
  return Bytes(digest.begin(), digest.begin() + kKeyIdSize);
}

Digest ComputeSm2Z(const Bytes& raw) {
  // ENTL is the identifier's length in bits, two bytes big-endian.
  constexpr std::size_t kIdBits = internal::kSm2DefaultId.size() * 8;
  static_assert(kIdBits <= 0xffff);
  const std::uint8_t entl[2] = {static_cast<std::uint8_t>(kIdBits >> 8),
                                static_cast<std::uint8_t>(kIdBits & 0xff)};
  Hasher hasher(HashAlgorithm::kSm3);
  hasher.Update(entl)
      .Update(AsBytes(internal::kSm2DefaultId))
      .Update(internal::kSm2A)
      .Update(internal::kSm2B)
      .Update(internal::kSm2Gx)
      .Update(internal::kSm2Gy)
      .Update(ByteView(raw).subspan(1));  // xA || yA without the 0x04 prefix
  return hasher.Finish();
}

Result<std::string> EncodePem(const EVP_PKEY* pkey, int selection, const char* structure,
                              bool secret) {
  internal::EncoderCtxPtr ctx(
      OSSL_ENCODER_CTX_new_for_pkey(pkey, selection, "PEM", structure, nullptr));
  unsigned char* data = nullptr;
  std::size_t length = 0;
  if (ctx == nullptr || OSSL_ENCODER_to_data(ctx.get(), &data, &length) != 1) {
    return OpenSslFailure(StatusCode::kInternal, "OpenSSL cannot encode the key as PEM");
  }
  std::string pem(reinterpret_cast<const char*>(data), length);
  if (secret) {
    OPENSSL_clear_free(data, length);
  } else {
    OPENSSL_free(data);
  }
  return pem;
}

}  // namespace

// ----- PublicKey -----

PublicKey::PublicKey(std::shared_ptr<const internal::PublicKeyState> state)
    : state_(std::move(state)) {}

Result<PublicKey> PublicKey::FromRaw(CryptoSuite suite, ByteView raw) {
  if (raw.size() != kRawPublicKeySize) {
    return Status::InvalidArgument("raw public key must be " + std::to_string(kRawPublicKeySize) +
                                   " bytes (0x04 || X || Y), got " + std::to_string(raw.size()));
  }
  if (raw[0] != 0x04) {
    return Status::InvalidArgument(
        "raw public key must be an uncompressed SEC1 point starting with 0x04, got 0x" +
        ToHex(raw.first(1)));
  }
  COLEND_ASSIGN_OR_RETURN(EvpPkeyPtr pkey, BuildPublicPkey(suite, raw));
  Bytes point(raw.begin(), raw.end());
  Bytes key_id = DeriveKeyId(suite, point);
  const Digest sm2_z = suite == CryptoSuite::Sm() ? ComputeSm2Z(point) : Digest{};
  return PublicKey(std::make_shared<const internal::PublicKeyState>(
      suite, std::move(pkey), std::move(point), std::move(key_id), sm2_z));
}

Result<PublicKey> PublicKey::FromPem(CryptoSuite suite, std::string_view pem) {
  COLEND_ASSIGN_OR_RETURN(EvpPkeyPtr decoded, DecodePem(pem, "PUBLIC KEY", "SubjectPublicKeyInfo",
                                                        EVP_PKEY_PUBLIC_KEY));
  COLEND_RETURN_IF_ERROR(CheckKeyMatchesSuite(decoded.get(), suite));
  COLEND_ASSIGN_OR_RETURN(Bytes raw, RawPublicPoint(decoded.get()));
  // Rebuilt from the point so every PublicKey has one canonical form, whatever point
  // compression or parameter encoding the PEM used.
  return FromRaw(suite, raw);
}

Result<PublicKey> PublicKey::FromDer(CryptoSuite suite, ByteView der) {
  COLEND_ASSIGN_OR_RETURN(EvpPkeyPtr decoded, DecodePublicDer(der));
  COLEND_RETURN_IF_ERROR(CheckKeyMatchesSuite(decoded.get(), suite));
  COLEND_ASSIGN_OR_RETURN(Bytes raw, RawPublicPoint(decoded.get()));
  COLEND_ASSIGN_OR_RETURN(PublicKey key, FromRaw(suite, raw));
  // One key, one byte form: anything but the canonical encoding (a compressed point, say)
  // is refused rather than normalised, so keys can be compared and deduplicated as bytes.
  COLEND_ASSIGN_OR_RETURN(const Bytes canonical, key.ToDer());
  if (!std::equal(canonical.begin(), canonical.end(), der.begin(), der.end())) {
    return Status::InvalidArgument(
        "DER public key is not in the canonical form (named curve, uncompressed point)");
  }
  return key;
}

CryptoSuite PublicKey::suite() const {
  return internal::KeyAccess::State(*this).suite;
}
const Bytes& PublicKey::raw() const {
  return internal::KeyAccess::State(*this).raw;
}
const Bytes& PublicKey::key_id() const {
  return internal::KeyAccess::State(*this).key_id;
}
std::string PublicKey::KeyIdHex() const {
  return ToHex(key_id());
}

Result<std::string> PublicKey::ToPem() const {
  return EncodePem(internal::KeyAccess::State(*this).pkey.get(), EVP_PKEY_PUBLIC_KEY,
                   "SubjectPublicKeyInfo", /*secret=*/false);
}

Result<Bytes> PublicKey::ToDer() const {
  return EncodePublicDer(internal::KeyAccess::State(*this).pkey.get());
}

bool operator==(const PublicKey& a, const PublicKey& b) {
  return a.suite() == b.suite() && a.raw() == b.raw();
}

// ----- PrivateKey -----

namespace {

// Validates a key pair and wraps it with its public key.
Result<std::unique_ptr<const internal::PrivateKeyState>> MakePrivateState(CryptoSuite suite,
                                                                          EvpPkeyPtr pkey) {
  COLEND_RETURN_IF_ERROR(CheckKeyMatchesSuite(pkey.get(), suite));
  // Full check: public point valid, private scalar in [1, n-1], and the two belong
  // together (a PKCS#8 file may carry a public key that does not match its scalar).
  EvpPkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (check == nullptr || EVP_PKEY_check(check.get()) != 1) {
    return OpenSslFailure(StatusCode::kInvalidArgument,
                          "private key fails validation (scalar out of range or public key "
                          "does not match)");
  }
  COLEND_ASSIGN_OR_RETURN(Bytes raw, RawPublicPoint(pkey.get()));
  COLEND_ASSIGN_OR_RETURN(PublicKey public_key, PublicKey::FromRaw(suite, raw));
  return std::unique_ptr<const internal::PrivateKeyState>(
      std::make_unique<const internal::PrivateKeyState>(suite, std::move(pkey),
                                                        std::move(public_key)));
}

}  // namespace

PrivateKey::PrivateKey(std::unique_ptr<const internal::PrivateKeyState> state)
    : state_(std::move(state)) {}
PrivateKey::~PrivateKey() = default;
PrivateKey::PrivateKey(PrivateKey&& other) noexcept = default;
PrivateKey& PrivateKey::operator=(PrivateKey&& other) noexcept = default;

Result<PrivateKey> PrivateKey::Generate(CryptoSuite suite) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, KeyType(suite), nullptr));
  if (ctx == nullptr || EVP_PKEY_keygen_init(ctx.get()) != 1) {
    return OpenSslFailure(StatusCode::kInternal, "cannot start key generation");
  }
  std::array<OSSL_PARAM, 2> params = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                       const_cast<char*>(GroupName(suite)), 0),
      OSSL_PARAM_construct_end()};
  EVP_PKEY* generated = nullptr;
  if (EVP_PKEY_CTX_set_params(ctx.get(), params.data()) != 1 ||
      EVP_PKEY_generate(ctx.get(), &generated) != 1 || generated == nullptr) {
    EVP_PKEY_free(generated);
    return OpenSslFailure(StatusCode::kInternal, "key generation failed");
  }
  COLEND_ASSIGN_OR_RETURN(auto state, MakePrivateState(suite, EvpPkeyPtr(generated)));
  return PrivateKey(std::move(state));
}

Result<PrivateKey> PrivateKey::FromPem(CryptoSuite suite, std::string_view pem) {
  COLEND_ASSIGN_OR_RETURN(EvpPkeyPtr decoded,
                          DecodePem(pem, "PRIVATE KEY", "PrivateKeyInfo", EVP_PKEY_KEYPAIR));
  COLEND_ASSIGN_OR_RETURN(auto state, MakePrivateState(suite, std::move(decoded)));
  return PrivateKey(std::move(state));
}

CryptoSuite PrivateKey::suite() const {
  return internal::KeyAccess::State(*this).suite;
}

const PublicKey& PrivateKey::public_key() const {
  return internal::KeyAccess::State(*this).public_key;
}

Result<std::string> PrivateKey::ToPem() const {
  return EncodePem(internal::KeyAccess::State(*this).pkey.get(), EVP_PKEY_KEYPAIR, "PrivateKeyInfo",
                   /*secret=*/true);
}

}  // namespace colend::crypto
