#include "colend/crypto/keys.h"

#include <algorithm>
#include <cstdint>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "colend/common/bytes.h"

namespace colend::crypto {

// Names parameterised tests "standard"/"sm" in ctest output instead of raw bytes.
void PrintTo(CryptoSuite suite, std::ostream* os) {
  *os << suite.name();
}

namespace {

// Fixtures made once with the OpenSSL 3.0 command line (genpkey, pkey, ec -conv_form
// compressed, pkcs8 -topk8 -v2 aes-256-cbc). The three invalid private keys are the
// P-256 key below with its DER edited: scalar replaced by the group order n, by zero, and
// public point replaced by another key's.
constexpr std::string_view kP256PrivatePem = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgceP182BrWlC4pcI2
XUopek/BrVvVLyO6S6s1uB6JItahRANCAASewiZtYGflWzJ3+K+R8I7FMCmwceTJ
HdbEMpweY4ygGNdLeMP4Gwu6S5DR2zYtviy/qzIZzeHrSgh8NSHALeiM
-----END PRIVATE KEY-----
)";

constexpr std::string_view kP256CompressedPublicPem = R"(-----BEGIN PUBLIC KEY-----
MDkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDIgACnsImbWBn5Vsyd/ivkfCOxTApsHHk
yR3WxDKcHmOMoBg=
-----END PUBLIC KEY-----
)";

constexpr std::string_view kSecp256k1PublicPem = R"(-----BEGIN PUBLIC KEY-----
MFYwEAYHKoZIzj0CAQYFK4EEAAoDQgAEfgajA2053xItTDzxG3VIQAERBZOqoVHl
Lzhm5gwulJrFzFYbZ2gMtSQEqoZbt79VQIFXLwbZ/W/VZIJSIWbJtw==
-----END PUBLIC KEY-----
)";

constexpr std::string_view kSecp256k1PrivatePem = R"(-----BEGIN PRIVATE KEY-----
MIGEAgEAMBAGByqGSM49AgEGBSuBBAAKBG0wawIBAQQgGHRsmVzjW1SBESY3ArhJ
24wiDogdtD+/6LmLjKFkzWOhRANCAAR+BqMDbTnfEi1MPPEbdUhAAREFk6qhUeUv
OGbmDC6UmsXMVhtnaAy1JASqhlu3v1VAgVcvBtn9b9VkglIhZsm3
-----END PRIVATE KEY-----
)";

constexpr std::string_view kP384PublicPem = R"(-----BEGIN PUBLIC KEY-----
MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEuaDvEasd1OSyEbQKmydUGJzmhcka9eqO
X3NtbFtqqelJv5D9+qO4YdG+woUriCra1KrvvTmy0HWGOEI5Mi3vo4eIn6nFZmCX
v6aEc9B2Cf8kygnOHAgRq0+NQaoJB4K1
-----END PUBLIC KEY-----
)";

constexpr std::string_view kEd25519PublicPem = R"(-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAKauOGM1C0MpGTfMokKhkG1a/MYwve7CG90izVCxS5b8=
-----END PUBLIC KEY-----
)";

constexpr std::string_view kP256ExplicitParamsPrivatePem = R"(-----BEGIN PRIVATE KEY-----
MIIBeQIBADCCAQMGByqGSM49AgEwgfcCAQEwLAYHKoZIzj0BAQIhAP////8AAAAB
AAAAAAAAAAAAAAAA////////////////MFsEIP////8AAAABAAAAAAAAAAAAAAAA
///////////////8BCBaxjXYqjqT57PrvVV2mIa8ZR0GsMxTsPY7zjw+J9JgSwMV
AMSdNgiG5wSTamZ44ROdJreBn36QBEEEaxfR8uEsQkf4vOblY6RA8ncDfYEt6zOg
9KE5RdiYwpZP40Li/hp/m47n60p8D54WK84zV2sxXs7LtkBoN79R9QIhAP////8A
AAAA//////////+85vqtpxeehPO5ysL8YyVRAgEBBG0wawIBAQQgmcxcjKsIVg4E
hPm4N/4OUT/HtGcZoj9eT0dmhnEPL6ahRANCAATjgJYO8ztxZNUfb9N2KvpLYVrx
k+O0z2hCrSl/u2wXNqGQvALsvyy//NVVwno9778es9hYZsowv4bUwpQq05QR
-----END PRIVATE KEY-----
)";

constexpr std::string_view kP256EncryptedPem = R"(-----BEGIN ENCRYPTED PRIVATE KEY-----
MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAi8tJU6q7MonQICCAAw
DAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEEA34G+OPYTdE7uvcoA43Mr0EgZDx
m0N7AOpeVxb45mjOynP7ARzTDjFF/o+cs3c5YkB3/2miqZ+S5DHmFrvTwGxpqv3n
gU96W9mERsN5PVCdIQFvwSZI+97GxrV0sHVF37dPkYsTFBvLysZ1m1zpN3h2t2ru
GhVuRK0BGVTM6sFqeLBFwwQHoPBm4d++Ge0bQN/Q3qkDBvlefjUlHOcDrSNpF2w=
-----END ENCRYPTED PRIVATE KEY-----
)";

constexpr std::string_view kP256ScalarEqualsOrderPem = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg/////wAAAAD/////
/////7zm+q2nF56E87nKwvxjJVGhRANCAASewiZtYGflWzJ3+K+R8I7FMCmwceTJ
HdbEMpweY4ygGNdLeMP4Gwu6S5DR2zYtviy/qzIZzeHrSgh8NSHALeiM
-----END PRIVATE KEY-----
)";

constexpr std::string_view kP256ScalarZeroPem = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgAAAAAAAAAAAAAAAA
AAAAAAAAAAAAAAAAAAAAAAAAAAChRANCAASewiZtYGflWzJ3+K+R8I7FMCmwceTJ
HdbEMpweY4ygGNdLeMP4Gwu6S5DR2zYtviy/qzIZzeHrSgh8NSHALeiM
-----END PRIVATE KEY-----
)";

constexpr std::string_view kP256MismatchedPublicPem = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgceP182BrWlC4pcI2
XUopek/BrVvVLyO6S6s1uB6JItahRANCAASr0VbaXvglA+uwF9uCsv5qZJ5g192k
dx2zngRBii69KrZasC4fF/+qG3bK74XHgdmkc7FyNc5F1bVAqia4a7kB
-----END PRIVATE KEY-----
)";

// OpenSSL test/recipes/30-test_evp_data/evppkey_sm2.txt, key SM2_key1 (SM2 recommended
// curve, PKCS#8).
constexpr std::string_view kOpenSslSm2Key1Pem = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqBHM9VAYItBG0wawIBAQQg0JFWczAXva2An9m7
2MaT9gIwWTFptvlKrxyO4TjMmbWhRANCAAQ5OirZ4n5DrKqrhaGdO4VZHhRAYVcX
Wt3Te/d/8Mr57Tf886i09VwDhSMmH8pmNq/mp6+ioUgqYG9cs6GLLioe
-----END PRIVATE KEY-----
)";

// OpenSSL test/evp_extra_test.c, test_EVP_SM2_verify: the draft-shen-sm2-ecdsa-02
// Appendix A key on a 256-bit test curve, encoded with explicit curve parameters.
constexpr std::string_view kSm2TestCurvePublicPem = R"(-----BEGIN PUBLIC KEY-----
MIIBMzCB7AYHKoZIzj0CATCB4AIBATAsBgcqhkjOPQEBAiEAhULWnkwETxjouSQ1
v2/33kVyg5FcRVF9ci7biwjx38MwRAQgeHlotPoyw/0kF4Quc7v+/y88hItoMdfg
7GUiizk35JgEIGPkxtOyOwyEnPhCQUhL/kj2HVmlsWugbm4S0donxSSaBEEEQh3r
1hti6rZ0ZDTrw8wxXjIiCzut1QvcTE5sFH/t1D0GgFEry7QsB9RzSdIVO3DE5df9
/L+jbqGoWEG55G4JogIhAIVC1p5MBE8Y6LkkNb9v990pdyBjBIVijVrnTufDLnm3
AgEBA0IABArkx3mKoPEZRxvuEYJb5GICu3nipYRElel8BP9N8lSKfAJA+I8c1OFj
Uqc8F7fxbwc1PlOhdtaEqf4Ma7eY6Fc=
-----END PUBLIC KEY-----
)";

// Public point of kP256PrivatePem.
constexpr std::string_view kP256PublicRawHex =
    "049ec2266d6067e55b3277f8af91f08ec53029b071e4c91dd6c4329c1e638ca018"
    "d74b78c3f81b0bba4b90d1db362dbe2cbfab3219cde1eb4a087c3521c02de88c";

// The P-256 base point G (SEC 2 §2.4.2), a valid public key (of private key 1).
constexpr std::string_view kP256GeneratorHex =
    "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
    "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5";

// The public key of the GM/T 0003.5-2012 Appendix A signature example (SM2 curve).
constexpr std::string_view kSm2SamplePublicRawHex =
    "0409f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020"
    "ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13";

Bytes Hex(std::string_view hex) {
  Result<Bytes> bytes = FromHex(hex);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  return bytes.value_or(Bytes());
}

constexpr CryptoSuite kSuites[] = {CryptoSuite::Standard(), CryptoSuite::Sm()};

CryptoSuite Other(CryptoSuite suite) {
  return suite == CryptoSuite::Standard() ? CryptoSuite::Sm() : CryptoSuite::Standard();
}

class KeysTest : public ::testing::TestWithParam<CryptoSuite> {};

INSTANTIATE_TEST_SUITE_P(BothSuites, KeysTest, ::testing::ValuesIn(kSuites),
                         [](const auto& param_info) {
                           return std::string(param_info.param.name());
                         });

TEST_P(KeysTest, GeneratedKeyHasWellFormedPublicKey) {
  const Result<PrivateKey> key = PrivateKey::Generate(GetParam());
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->suite(), GetParam());
  const PublicKey& public_key = key->public_key();
  EXPECT_EQ(public_key.suite(), GetParam());
  ASSERT_EQ(public_key.raw().size(), kRawPublicKeySize);
  EXPECT_EQ(public_key.raw()[0], 0x04);
  EXPECT_EQ(public_key.key_id().size(), kKeyIdSize);
  EXPECT_EQ(public_key.KeyIdHex(), ToHex(public_key.key_id()));
  EXPECT_EQ(public_key.KeyIdHex().size(), 2 * kKeyIdSize);
}

TEST_P(KeysTest, GeneratedKeysDiffer) {
  const Result<PrivateKey> a = PrivateKey::Generate(GetParam());
  const Result<PrivateKey> b = PrivateKey::Generate(GetParam());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->public_key().raw(), b->public_key().raw());
  EXPECT_NE(a->public_key().key_id(), b->public_key().key_id());
}

TEST_P(KeysTest, PrivatePemRoundTrip) {
  const Result<PrivateKey> key = PrivateKey::Generate(GetParam());
  ASSERT_TRUE(key.ok()) << key.status();
  const Result<std::string> pem = key->ToPem();
  ASSERT_TRUE(pem.ok()) << pem.status();
  EXPECT_EQ(pem->rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0u) << *pem;
  const Result<PrivateKey> loaded = PrivateKey::FromPem(GetParam(), *pem);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->public_key(), key->public_key());
  const Result<std::string> again = loaded->ToPem();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *pem);
}

TEST_P(KeysTest, PublicPemRoundTrip) {
  const Result<PrivateKey> key = PrivateKey::Generate(GetParam());
  ASSERT_TRUE(key.ok()) << key.status();
  const Result<std::string> pem = key->public_key().ToPem();
  ASSERT_TRUE(pem.ok()) << pem.status();
  EXPECT_EQ(pem->rfind("-----BEGIN PUBLIC KEY-----\n", 0), 0u) << *pem;
  const Result<PublicKey> loaded = PublicKey::FromPem(GetParam(), *pem);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(*loaded, key->public_key());
  EXPECT_EQ(loaded->key_id(), key->public_key().key_id());
}

TEST_P(KeysTest, RawRoundTrip) {
  const Result<PrivateKey> key = PrivateKey::Generate(GetParam());
  ASSERT_TRUE(key.ok()) << key.status();
  const Bytes raw = key->public_key().ToRaw();
  const Result<PublicKey> loaded = PublicKey::FromRaw(GetParam(), raw);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(*loaded, key->public_key());
  EXPECT_EQ(loaded->ToRaw(), raw);
}

TEST_P(KeysTest, DerRoundTrip) {
  const Result<PrivateKey> key = PrivateKey::Generate(GetParam());
  ASSERT_TRUE(key.ok()) << key.status();
  const Result<Bytes> der = key->public_key().ToDer();
  ASSERT_TRUE(der.ok()) << der.status();
  // SEQUENCE (0x59 bytes) { AlgorithmIdentifier, BIT STRING of the 65-byte point }.
  ASSERT_EQ(der->size(), 91u);
  EXPECT_EQ((*der)[0], 0x30);
  EXPECT_EQ((*der)[1], 0x59);
  EXPECT_TRUE(std::equal(der->end() - 65, der->end(), key->public_key().raw().begin()));
  const Result<PublicKey> loaded = PublicKey::FromDer(GetParam(), *der);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(*loaded, key->public_key());
  EXPECT_EQ(loaded->key_id(), key->public_key().key_id());
  // The DER and PEM forms name the same key.
  const Result<std::string> pem = key->public_key().ToPem();
  ASSERT_TRUE(pem.ok());
  const Result<PublicKey> from_pem = PublicKey::FromPem(GetParam(), *pem);
  ASSERT_TRUE(from_pem.ok());
  EXPECT_EQ(from_pem->ToDer().value_or(Bytes()), *der);
}

TEST_P(KeysTest, WrongSuiteDerIsRejected) {
  const Result<PrivateKey> key = PrivateKey::Generate(GetParam());
  ASSERT_TRUE(key.ok()) << key.status();
  const Result<Bytes> der = key->public_key().ToDer();
  ASSERT_TRUE(der.ok());
  const Result<PublicKey> as_other = PublicKey::FromDer(Other(GetParam()), *der);
  ASSERT_FALSE(as_other.ok());
  EXPECT_EQ(as_other.status().code(), StatusCode::kInvalidArgument) << as_other.status();
}

TEST_P(KeysTest, TruncatedOrExtendedDerIsAnError) {
  const Result<PrivateKey> key = PrivateKey::Generate(GetParam());
  ASSERT_TRUE(key.ok()) << key.status();
  const Bytes der = key->public_key().ToDer().value_or(Bytes());
  ASSERT_FALSE(der.empty());
  for (std::size_t length = 0; length < der.size(); ++length) {
    const Result<PublicKey> truncated = PublicKey::FromDer(GetParam(), ByteView(der).first(length));
    ASSERT_FALSE(truncated.ok()) << length;
    EXPECT_EQ(truncated.status().code(), StatusCode::kInvalidArgument);
  }
  Bytes extended = der;
  extended.push_back(0x00);
  const Result<PublicKey> with_trailer = PublicKey::FromDer(GetParam(), extended);
  ASSERT_FALSE(with_trailer.ok());
  EXPECT_EQ(with_trailer.status().code(), StatusCode::kInvalidArgument);
}

TEST_P(KeysTest, WrongSuitePemIsRejected) {
  const Result<PrivateKey> key = PrivateKey::Generate(GetParam());
  ASSERT_TRUE(key.ok()) << key.status();
  const Result<std::string> private_pem = key->ToPem();
  const Result<std::string> public_pem = key->public_key().ToPem();
  ASSERT_TRUE(private_pem.ok() && public_pem.ok());
  const Result<PrivateKey> as_other = PrivateKey::FromPem(Other(GetParam()), *private_pem);
  ASSERT_FALSE(as_other.ok());
  EXPECT_EQ(as_other.status().code(), StatusCode::kInvalidArgument) << as_other.status();
  const Result<PublicKey> public_as_other = PublicKey::FromPem(Other(GetParam()), *public_pem);
  ASSERT_FALSE(public_as_other.ok());
  EXPECT_EQ(public_as_other.status().code(), StatusCode::kInvalidArgument)
      << public_as_other.status();
}

TEST_P(KeysTest, WrongSuiteRawPointIsRejected) {
  // A point of one curve is (overwhelmingly likely) not on the other.
  const Result<PrivateKey> key = PrivateKey::Generate(GetParam());
  ASSERT_TRUE(key.ok()) << key.status();
  const Result<PublicKey> as_other = PublicKey::FromRaw(Other(GetParam()), key->public_key().raw());
  ASSERT_FALSE(as_other.ok());
  EXPECT_EQ(as_other.status().code(), StatusCode::kInvalidArgument);
}

TEST_P(KeysTest, MalformedRawKeysAreRejected) {
  const Result<PrivateKey> key = PrivateKey::Generate(GetParam());
  ASSERT_TRUE(key.ok()) << key.status();
  const Bytes good = key->public_key().raw();
  std::vector<Bytes> bad;
  bad.push_back({});
  bad.push_back(Bytes(good.begin(), good.end() - 1));  // 64 bytes
  Bytes longer = good;
  longer.push_back(0x00);
  bad.push_back(longer);                                  // 66 bytes
  bad.push_back(Bytes(good.begin() + 1, good.end()));     // X || Y without prefix
  bad.push_back(Bytes(good.begin(), good.begin() + 33));  // 0x04 || X only
  for (std::uint8_t prefix : {0x00, 0x02, 0x03, 0x06, 0x07}) {
    Bytes wrong_prefix = good;
    wrong_prefix[0] = prefix;
    bad.push_back(wrong_prefix);
  }
  Bytes off_curve = good;
  off_curve.back() ^= 0x01;
  bad.push_back(off_curve);
  bad.push_back(Bytes(kRawPublicKeySize, 0x00));
  Bytes all_ff(kRawPublicKeySize, 0xff);
  all_ff[0] = 0x04;
  bad.push_back(all_ff);  // coordinates >= p
  for (const Bytes& raw : bad) {
    const Result<PublicKey> parsed = PublicKey::FromRaw(GetParam(), raw);
    ASSERT_FALSE(parsed.ok()) << "accepted " << ToHex(raw);
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << parsed.status();
  }
}

TEST_P(KeysTest, TruncatedPemIsAnErrorAtEveryLength) {
  const Result<PrivateKey> key = PrivateKey::Generate(GetParam());
  ASSERT_TRUE(key.ok()) << key.status();
  const Result<std::string> private_pem = key->ToPem();
  const Result<std::string> public_pem = key->public_key().ToPem();
  ASSERT_TRUE(private_pem.ok() && public_pem.ok());
  // Every strict prefix that still ends in the END line would have to be the whole block,
  // so each of them must fail cleanly, never crash.
  for (std::size_t length = 0; length + 1 < private_pem->size(); ++length) {
    const std::string_view cut = std::string_view(*private_pem).substr(0, length);
    ASSERT_FALSE(PrivateKey::FromPem(GetParam(), cut).ok()) << "length " << length;
  }
  for (std::size_t length = 0; length + 1 < public_pem->size(); ++length) {
    const std::string_view cut = std::string_view(*public_pem).substr(0, length);
    ASSERT_FALSE(PublicKey::FromPem(GetParam(), cut).ok()) << "length " << length;
  }
}

TEST_P(KeysTest, CorruptedPemBodyIsAnError) {
  const Result<PrivateKey> key = PrivateKey::Generate(GetParam());
  ASSERT_TRUE(key.ok()) << key.status();
  const Result<std::string> pem = key->public_key().ToPem();
  ASSERT_TRUE(pem.ok());
  const std::size_t body_start = std::string_view("-----BEGIN PUBLIC KEY-----\n").size();
  const std::size_t body_end = pem->find("-----END");
  std::mt19937 rng(7);
  for (int round = 0; round < 300; ++round) {
    std::string corrupted = *pem;
    const std::size_t at = body_start + rng() % (body_end - body_start - 1);
    if (corrupted[at] == '\n') continue;
    const char replacement = "AZaz09+/=!"[rng() % 10];
    if (replacement == corrupted[at]) continue;
    corrupted[at] = replacement;
    // Some single-character changes still decode to a valid point by chance of the
    // base64 padding bits; what matters is that none crashes and none yields another key.
    const Result<PublicKey> parsed = PublicKey::FromPem(GetParam(), corrupted);
    if (parsed.ok()) {
      EXPECT_EQ(*parsed, key->public_key()) << corrupted;
    }
  }
}

TEST(KeysTest, KeyIdIsPinned) {
  // Expected values computed independently (Python hashlib) from the definition in keys.h.
  const Result<PublicKey> standard =
      PublicKey::FromRaw(CryptoSuite::Standard(), Hex(kP256GeneratorHex));
  ASSERT_TRUE(standard.ok()) << standard.status();
  EXPECT_EQ(standard->KeyIdHex(), "5c714a184b30fe0b481224fa31223fe0");

  const Result<PublicKey> sm = PublicKey::FromRaw(CryptoSuite::Sm(), Hex(kSm2SamplePublicRawHex));
  ASSERT_TRUE(sm.ok()) << sm.status();
  EXPECT_EQ(sm->KeyIdHex(), "1124537faaa5d86cdd726ce636193cb1");
}

TEST(KeysTest, FixedP256KeyLoadsWithItsPublicPoint) {
  const Result<PrivateKey> key = PrivateKey::FromPem(CryptoSuite::Standard(), kP256PrivatePem);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(ToHex(key->public_key().raw()), kP256PublicRawHex);
}

TEST(KeysTest, CompressedPointPemIsNormalised) {
  const Result<PublicKey> key =
      PublicKey::FromPem(CryptoSuite::Standard(), kP256CompressedPublicPem);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(ToHex(key->raw()), kP256PublicRawHex);
  const Result<std::string> pem = key->ToPem();
  ASSERT_TRUE(pem.ok());
  EXPECT_NE(*pem, kP256CompressedPublicPem);  // re-encoded with the uncompressed point
}

TEST(KeysTest, DerEncodingIsPinned) {
  const Result<PublicKey> key = PublicKey::FromRaw(CryptoSuite::Standard(), Hex(kP256PublicRawHex));
  ASSERT_TRUE(key.ok()) << key.status();
  // SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING { 00, point } }.
  const Bytes expected =
      Hex("3059301306072a8648ce3d020106082a8648ce3d030107034200" + std::string(kP256PublicRawHex));
  EXPECT_EQ(key->ToDer().value_or(Bytes()), expected);
  const Result<PublicKey> loaded = PublicKey::FromDer(CryptoSuite::Standard(), expected);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(*loaded, *key);
}

TEST(KeysTest, NonCanonicalDerIsRefused) {
  // kP256CompressedPublicPem's DER: the same key with a compressed point. FromPem
  // normalises it; FromDer, which reads what the chain stores, refuses it.
  const Bytes compressed =
      Hex("3039301306072a8648ce3d020106082a8648ce3d03010703220002"
          "9ec2266d6067e55b3277f8af91f08ec53029b071e4c91dd6c4329c1e638ca018");
  const Result<PublicKey> loaded = PublicKey::FromDer(CryptoSuite::Standard(), compressed);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(loaded.status().message().find("canonical"), std::string::npos) << loaded.status();
}

TEST(KeysTest, OpenSslSm2TestKeyLoadsOnlyAsSm) {
  const Result<PrivateKey> key = PrivateKey::FromPem(CryptoSuite::Sm(), kOpenSslSm2Key1Pem);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->suite(), CryptoSuite::Sm());
  const Result<PrivateKey> as_standard =
      PrivateKey::FromPem(CryptoSuite::Standard(), kOpenSslSm2Key1Pem);
  ASSERT_FALSE(as_standard.ok());
  EXPECT_EQ(as_standard.status().code(), StatusCode::kInvalidArgument);
}

TEST(KeysTest, OtherCurvesAndAlgorithmsAreRejected) {
  for (CryptoSuite suite : kSuites) {
    for (std::string_view pem :
         {kSecp256k1PublicPem, kP384PublicPem, kEd25519PublicPem, kSm2TestCurvePublicPem}) {
      const Result<PublicKey> key = PublicKey::FromPem(suite, pem);
      ASSERT_FALSE(key.ok()) << suite.name() << " accepted\n" << pem;
      EXPECT_EQ(key.status().code(), StatusCode::kInvalidArgument) << key.status();
    }
    const Result<PrivateKey> k1 = PrivateKey::FromPem(suite, kSecp256k1PrivatePem);
    ASSERT_FALSE(k1.ok());
    EXPECT_EQ(k1.status().code(), StatusCode::kInvalidArgument);
  }
  EXPECT_NE(PublicKey::FromPem(CryptoSuite::Standard(), kSecp256k1PublicPem)
                .status()
                .message()
                .find("secp256k1"),
            std::string::npos);
}

TEST(KeysTest, ExplicitCurveParametersAreRejected) {
  const Result<PrivateKey> key =
      PrivateKey::FromPem(CryptoSuite::Standard(), kP256ExplicitParamsPrivatePem);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), StatusCode::kInvalidArgument) << key.status();
}

TEST(KeysTest, EncryptedPrivateKeyIsRefusedWithoutPrompting) {
  const Result<PrivateKey> key = PrivateKey::FromPem(CryptoSuite::Standard(), kP256EncryptedPem);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), StatusCode::kInvalidArgument) << key.status();
}

TEST(KeysTest, InvalidPrivateScalarsAndMismatchedPairsAreRejected) {
  for (std::string_view pem :
       {kP256ScalarEqualsOrderPem, kP256ScalarZeroPem, kP256MismatchedPublicPem}) {
    const Result<PrivateKey> key = PrivateKey::FromPem(CryptoSuite::Standard(), pem);
    ASSERT_FALSE(key.ok()) << pem;
    EXPECT_EQ(key.status().code(), StatusCode::kInvalidArgument) << key.status();
  }
}

TEST(KeysTest, PemFramingIsStrict) {
  const std::string good(kP256PrivatePem);
  EXPECT_TRUE(PrivateKey::FromPem(CryptoSuite::Standard(), "\n  " + good + "\n\n").ok());
  const std::vector<std::string> bad = {
      "",
      "   \n",
      "garbage",
      "comment line\n" + good,
      good + "trailing text\n",
      good + good,
      std::string(kP256CompressedPublicPem),  // a public key where a private one is expected
      std::string(20000, 'A'),
  };
  for (const std::string& pem : bad) {
    const Result<PrivateKey> key = PrivateKey::FromPem(CryptoSuite::Standard(), pem);
    ASSERT_FALSE(key.ok()) << pem.substr(0, 80);
    EXPECT_EQ(key.status().code(), StatusCode::kInvalidArgument);
  }
  // And a private key where a public one is expected: refused, not silently reduced.
  const Result<PublicKey> public_from_private = PublicKey::FromPem(CryptoSuite::Standard(), good);
  ASSERT_FALSE(public_from_private.ok());
  EXPECT_EQ(public_from_private.status().code(), StatusCode::kInvalidArgument);
}

TEST(KeysTest, RandomGarbageNeverCrashes) {
  std::mt19937 rng(12345);
  for (int round = 0; round < 500; ++round) {
    const std::size_t length = rng() % 400;
    std::string garbage(length, '\0');
    for (char& c : garbage) c = static_cast<char>(rng());
    // Half the time wrap it in a plausible frame so the DER decoder sees it too.
    if (round % 2 == 1)
      garbage = "-----BEGIN PUBLIC KEY-----\n" + garbage + "\n-----END PUBLIC KEY-----\n";
    for (CryptoSuite suite : kSuites) {
      EXPECT_FALSE(PublicKey::FromPem(suite, garbage).ok());
      EXPECT_FALSE(PrivateKey::FromPem(suite, garbage).ok());
      Bytes raw(garbage.begin(), garbage.end());
      if (raw.size() > kRawPublicKeySize) raw.resize(kRawPublicKeySize);
      if (!raw.empty()) raw[0] = 0x04;
      EXPECT_FALSE(PublicKey::FromRaw(suite, raw).ok());
      EXPECT_FALSE(PublicKey::FromDer(suite, AsBytes(garbage)).ok());
    }
  }
}

TEST(KeysTest, CopiesShareTheKeyAndMovedKeysKeepIt) {
  Result<PrivateKey> generated = PrivateKey::Generate(CryptoSuite::Standard());
  ASSERT_TRUE(generated.ok());
  PrivateKey key = std::move(generated).value();
  const PublicKey copy = key.public_key();
  EXPECT_EQ(copy, key.public_key());
  PrivateKey moved = std::move(key);
  EXPECT_EQ(moved.public_key(), copy);
}

}  // namespace
}  // namespace colend::crypto
