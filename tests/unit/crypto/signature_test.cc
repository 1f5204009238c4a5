#include "colend/crypto/signature.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "colend/common/bytes.h"
#include "colend/crypto/keys.h"
#include "colend/crypto/verify_failure.h"
#include "colend/testutil/der_test_util.h"

namespace colend::crypto {

// Names parameterised tests "standard"/"sm" in ctest output instead of raw bytes.
void PrintTo(CryptoSuite suite, std::ostream* os) {
  *os << suite.name();
}

namespace {

using testutil::AppendDerInteger;
using testutil::Cat;
using testutil::DerSignature;
using testutil::Greater;
using testutil::kP256HalfN;
using testutil::kP256N;
using testutil::kSm2N;
using testutil::RS;
using testutil::Scalar;
using testutil::SplitDer;
using testutil::WithNegatedS;

constexpr std::string_view kDomain = "colend/tx/v1";
constexpr CryptoSuite kSuites[] = {CryptoSuite::Standard(), CryptoSuite::Sm()};

const Scalar& OrderOf(CryptoSuite suite) {
  return suite == CryptoSuite::Standard() ? kP256N : kSm2N;
}

PrivateKey NewKey(CryptoSuite suite) {
  Result<PrivateKey> key = PrivateKey::Generate(suite);
  EXPECT_TRUE(key.ok()) << key.status();
  return std::move(key).value();
}

Bytes SignOrDie(const PrivateKey& key, std::string_view domain, ByteView message) {
  Result<Bytes> signature = Sign(key, domain, message);
  EXPECT_TRUE(signature.ok()) << signature.status();
  return signature.value_or(Bytes());
}

// ---------------------------------------------------------------------------------------
// Behaviour common to both suites.

class SignatureTest : public ::testing::TestWithParam<CryptoSuite> {
 protected:
  SignatureTest() : key_(NewKey(GetParam())), message_(ToBytes("repay loan 42: 1000.00 CNY")) {}

  PrivateKey key_;
  Bytes message_;
};

INSTANTIATE_TEST_SUITE_P(BothSuites, SignatureTest, ::testing::ValuesIn(kSuites),
                         [](const auto& param_info) {
                           return std::string(param_info.param.name());
                         });

TEST_P(SignatureTest, SignThenVerify) {
  const Bytes signature = SignOrDie(key_, kDomain, message_);
  EXPECT_LE(signature.size(), kMaxSignatureSize);
  EXPECT_TRUE(Verify(key_.public_key(), kDomain, message_, signature).ok());

  const Result<Bytes> plain = Sign(key_, message_);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_TRUE(Verify(key_.public_key(), message_, *plain).ok());
}

TEST_P(SignatureTest, EmptyAndLargeMessages) {
  const Bytes empty;
  EXPECT_TRUE(Verify(key_.public_key(), kDomain, empty, SignOrDie(key_, kDomain, empty)).ok());
  const Bytes large(1 << 20, 0x42);
  EXPECT_TRUE(Verify(key_.public_key(), kDomain, large, SignOrDie(key_, kDomain, large)).ok());
}

TEST_P(SignatureTest, SignaturesAreRandomisedButAllVerify) {
  const Bytes a = SignOrDie(key_, kDomain, message_);
  const Bytes b = SignOrDie(key_, kDomain, message_);
  EXPECT_NE(a, b);
  EXPECT_TRUE(Verify(key_.public_key(), kDomain, message_, a).ok());
  EXPECT_TRUE(Verify(key_.public_key(), kDomain, message_, b).ok());
}

TEST_P(SignatureTest, TamperedMessageIsDenied) {
  const Bytes signature = SignOrDie(key_, kDomain, message_);
  for (std::size_t i = 0; i < message_.size(); ++i) {
    Bytes tampered = message_;
    tampered[i] ^= 0x01;
    const Status status = Verify(key_.public_key(), kDomain, tampered, signature);
    ASSERT_EQ(status.code(), StatusCode::kPermissionDenied) << "byte " << i << ": " << status;
  }
  Bytes longer = message_;
  longer.push_back(0);
  EXPECT_EQ(Verify(key_.public_key(), kDomain, longer, signature).code(),
            StatusCode::kPermissionDenied);
}

// Callers tell a bad signature from a check that could not run through
// ClassifyVerifyFailure, never by reading Verify's codes themselves.
TEST_P(SignatureTest, FailuresAreClassifiedBadSignatureOrNotChecked) {
  const Bytes signature = SignOrDie(key_, kDomain, message_);
  Bytes tampered = message_;
  tampered[0] ^= 0x01;
  EXPECT_EQ(ClassifyVerifyFailure(Verify(key_.public_key(), kDomain, tampered, signature)),
            VerifyFailure::kInvalid);
  EXPECT_EQ(ClassifyVerifyFailure(Verify(key_.public_key(), kDomain, message_, Bytes{0x30, 0x00})),
            VerifyFailure::kInvalid);
  EXPECT_EQ(ClassifyVerifyFailure(Status::Internal("EVP_DigestVerifyInit failed")),
            VerifyFailure::kNotChecked);
}

TEST_P(SignatureTest, TamperedSignatureNeverVerifies) {
  const Bytes signature = SignOrDie(key_, kDomain, message_);
  for (std::size_t i = 0; i < signature.size(); ++i) {
    for (std::uint8_t flip : {0x01, 0x80, 0xff}) {
      Bytes tampered = signature;
      tampered[i] ^= flip;
      const Status status = Verify(key_.public_key(), kDomain, message_, tampered);
      ASSERT_FALSE(status.ok()) << "byte " << i << " ^ " << int{flip};
      ASSERT_TRUE(status.code() == StatusCode::kInvalidArgument ||
                  status.code() == StatusCode::kPermissionDenied)
          << status;
    }
  }
}

TEST_P(SignatureTest, OtherKeyIsDenied) {
  const Bytes signature = SignOrDie(key_, kDomain, message_);
  const PrivateKey other = NewKey(GetParam());
  const Status status = Verify(other.public_key(), kDomain, message_, signature);
  EXPECT_EQ(status.code(), StatusCode::kPermissionDenied) << status;
  EXPECT_NE(status.message().find(other.public_key().KeyIdHex()), std::string::npos);
}

TEST_P(SignatureTest, DomainsSeparate) {
  const Bytes signature = SignOrDie(key_, kDomain, message_);
  EXPECT_EQ(Verify(key_.public_key(), "colend/vote/v1", message_, signature).code(),
            StatusCode::kPermissionDenied);
  // The plain form and the domain form never stand in for each other.
  EXPECT_EQ(Verify(key_.public_key(), message_, signature).code(), StatusCode::kPermissionDenied);
  const Bytes spliced = Cat({AsBytes(kDomain), Bytes{0x00}, message_});
  // Signing domain || 0x00 || message in plain form is, by definition, the same data.
  const Result<Bytes> plain = Sign(key_, spliced);
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(Verify(key_.public_key(), kDomain, message_, *plain).ok());
}

TEST_P(SignatureTest, InvalidDomainsAreRejected) {
  const Bytes signature = SignOrDie(key_, kDomain, message_);
  const std::string nul_inside("colend\0tx", 9);
  for (std::string_view domain :
       {std::string_view(""), std::string_view(nul_inside), std::string_view("colend tx"),
        std::string_view("colend/tx/v1\n"), std::string_view("colend/\xe4\xba\xa4\xe6\x98\x93"),
        std::string_view(std::string(65, 'd'))}) {
    const Result<Bytes> signed_result = Sign(key_, domain, message_);
    ASSERT_FALSE(signed_result.ok());
    EXPECT_EQ(signed_result.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(Verify(key_.public_key(), domain, message_, signature).code(),
              StatusCode::kInvalidArgument);
  }
  EXPECT_TRUE(ValidateDomain(std::string(64, 'd')).ok());
}

TEST_P(SignatureTest, NonStrictDerIsInvalidArgument) {
  const Bytes good = SignOrDie(key_, kDomain, message_);
  const RS rs = SplitDer(good);
  std::vector<std::pair<std::string, Bytes>> cases;
  Bytes trailing = good;
  trailing.push_back(0x00);
  cases.push_back({"trailing byte", trailing});
  Bytes trailing_in_sequence = good;
  trailing_in_sequence[1] += 1;
  trailing_in_sequence.push_back(0x00);
  cases.push_back({"extra byte inside the SEQUENCE", trailing_in_sequence});
  cases.push_back({"truncated", Bytes(good.begin(), good.end() - 1)});
  const ByteView good_body = ByteView(good).subspan(2);
  cases.push_back({"long-form length", Cat({Bytes{0x30, 0x81, good[1]}, good_body})});
  cases.push_back({"indefinite length", Cat({Bytes{0x30, 0x80}, good_body, Bytes{0x00, 0x00}})});
  {  // r with a superfluous leading zero
    const bool has_sign_byte = (rs.r[0] & 0x80) != 0;
    const Bytes r_field = has_sign_byte ? Cat({Bytes{0x02, 0x22, 0x00, 0x00}, rs.r})
                                        : Cat({Bytes{0x02, 0x21, 0x00}, rs.r});
    Bytes s_field;
    AppendDerInteger(rs.s, &s_field);
    const auto length = static_cast<std::uint8_t>(r_field.size() + s_field.size());
    cases.push_back({"non-minimal r", Cat({Bytes{0x30, length}, r_field, s_field})});
  }
  {  // r without its sign byte reads as negative
    Scalar r = rs.r;
    r[0] |= 0x80;
    Bytes s_field;
    AppendDerInteger(rs.s, &s_field);
    const auto length = static_cast<std::uint8_t>(2 + r.size() + s_field.size());
    cases.push_back({"negative r", Cat({Bytes{0x30, length, 0x02, 0x20}, r, s_field})});
  }
  Bytes wrong_tag = good;
  wrong_tag[0] = 0x31;
  cases.push_back({"SET instead of SEQUENCE", wrong_tag});
  Bytes octet_r = good;
  octet_r[2] = 0x04;
  cases.push_back({"OCTET STRING instead of INTEGER", octet_r});
  const Scalar zero{};
  const Scalar& n = OrderOf(GetParam());
  cases.push_back({"r = 0", DerSignature(zero, rs.s)});
  cases.push_back({"s = 0", DerSignature(rs.r, zero)});
  cases.push_back({"r = n", DerSignature(n, rs.s)});
  cases.push_back({"s = n", DerSignature(rs.r, n)});
  Bytes three = DerSignature(rs.r, rs.s);
  AppendDerInteger(rs.s, &three);
  three[1] = static_cast<std::uint8_t>(three.size() - 2);
  cases.push_back({"three INTEGERs", three});
  cases.push_back({"empty", {}});
  cases.push_back({"73 bytes", Bytes(73, 0x30)});
  cases.push_back({"raw r || s", Cat({rs.r, rs.s})});
  for (const auto& [name, der] : cases) {
    const Status status = Verify(key_.public_key(), kDomain, message_, der);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << name << ": " << status;
  }
}

TEST_P(SignatureTest, RandomGarbageIsRejectedWithoutCrashing) {
  std::mt19937 rng(99);
  for (int round = 0; round < 2000; ++round) {
    Bytes garbage(rng() % 80);
    for (auto& byte : garbage) byte = static_cast<std::uint8_t>(rng());
    // Every other round, make it look like DER so the integer parser is exercised too.
    if (round % 2 == 1 && garbage.size() >= 2) {
      garbage[0] = 0x30;
      garbage[1] = static_cast<std::uint8_t>(garbage.size() - 2);
      if (garbage.size() > 2) garbage[2] = 0x02;
    }
    const Status status = Verify(key_.public_key(), kDomain, message_, garbage);
    ASSERT_FALSE(status.ok());
    ASSERT_TRUE(status.code() == StatusCode::kInvalidArgument ||
                status.code() == StatusCode::kPermissionDenied)
        << status;
  }
}

TEST_P(SignatureTest, ConcurrentVerificationWithOneKey) {
  const Bytes signature = SignOrDie(key_, kDomain, message_);
  Bytes wrong = message_;
  wrong[0] ^= 1;
  std::vector<std::thread> threads;
  std::array<int, 4> errors{};
  for (std::size_t t = 0; t < errors.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        if (!Verify(key_.public_key(), kDomain, message_, signature).ok()) ++errors[t];
        if (Verify(key_.public_key(), kDomain, wrong, signature).ok()) ++errors[t];
        if (!Verify(key_.public_key(), kDomain, message_, SignOrDie(key_, kDomain, message_))
                 .ok()) {
          ++errors[t];
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int e : errors) EXPECT_EQ(e, 0);
}

// ---------------------------------------------------------------------------------------
// ECDSA low-S rule.

TEST(EcdsaLowSTest, SignAlwaysEmitsLowS) {
  const PrivateKey key = NewKey(CryptoSuite::Standard());
  // About half of raw ECDSA signatures are high-S, so 200 signatures all low means the
  // normalisation ran (the chance of 200 low-S by luck is 2^-200).
  for (int i = 0; i < 200; ++i) {
    const Bytes message = ToBytes("message " + std::to_string(i));
    const Bytes signature = SignOrDie(key, kDomain, message);
    ASSERT_FALSE(Greater(SplitDer(signature).s, kP256HalfN)) << ToHex(signature);
    ASSERT_TRUE(Verify(key.public_key(), kDomain, message, signature).ok());
  }
}

TEST(EcdsaLowSTest, HighSTwinIsRejectedAsNonCanonical) {
  const PrivateKey key = NewKey(CryptoSuite::Standard());
  const Bytes message = ToBytes("malleable?");
  const Bytes signature = SignOrDie(key, kDomain, message);
  const Bytes twin = WithNegatedS(signature, kP256N);
  const Status status = Verify(key.public_key(), kDomain, message, twin);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status;
  EXPECT_NE(status.message().find("high-S"), std::string::npos) << status;
}

TEST(EcdsaLowSTest, Sm2HasNoHighSTwin) {
  // For SM2, (r, n - s) is simply a wrong signature: it fails as not verifying.
  const PrivateKey key = NewKey(CryptoSuite::Sm());
  const Bytes message = ToBytes("malleable?");
  const Bytes signature = SignOrDie(key, kDomain, message);
  const Status status = Verify(key.public_key(), kDomain, message, WithNegatedS(signature, kSm2N));
  EXPECT_EQ(status.code(), StatusCode::kPermissionDenied) << status;
}

// ---------------------------------------------------------------------------------------
// Interoperability with OpenSSL's own high-level API, which computes the SM2 Z value
// itself from the identifier it is given (SM2(7)).

struct EvpPkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct EvpMdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct EvpPkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
using OpenSslKey = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;

OpenSslKey ToOpenSsl(const PrivateKey& key) {
  const Result<std::string> pem = key.ToPem();
  EXPECT_TRUE(pem.ok());
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
  return OpenSslKey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

// An OpenSSL digest-sign or digest-verify context set up the way SM2(7) documents. The
// EVP_PKEY_CTX stays ours after EVP_MD_CTX_set_pkey_ctx, and must outlive the EVP_MD_CTX
// (members are destroyed in reverse order).
struct OpenSslDigestContext {
  OpenSslDigestContext(EVP_PKEY* pkey, CryptoSuite suite, bool sign)
      : pkey_ctx(EVP_PKEY_CTX_new(pkey, nullptr)), md_ctx(EVP_MD_CTX_new()) {
    if (suite == CryptoSuite::Sm()) {
      static constexpr char kId[] = "1234567812345678";
      EXPECT_EQ(EVP_PKEY_CTX_set1_id(pkey_ctx.get(), kId, 16), 1);
    }
    EVP_MD_CTX_set_pkey_ctx(md_ctx.get(), pkey_ctx.get());
    const EVP_MD* md = suite == CryptoSuite::Sm() ? EVP_sm3() : EVP_sha256();
    const int rc = sign ? EVP_DigestSignInit(md_ctx.get(), nullptr, md, nullptr, pkey)
                        : EVP_DigestVerifyInit(md_ctx.get(), nullptr, md, nullptr, pkey);
    EXPECT_EQ(rc, 1);
  }
  EVP_MD_CTX* get() const { return md_ctx.get(); }

  std::unique_ptr<EVP_PKEY_CTX, EvpPkeyCtxFree> pkey_ctx;
  std::unique_ptr<EVP_MD_CTX, EvpMdCtxFree> md_ctx;
};

TEST_P(SignatureTest, OpenSslVerifiesOurSignatures) {
  const OpenSslKey pkey = ToOpenSsl(key_);
  ASSERT_NE(pkey, nullptr);
  const Result<Bytes> signature = Sign(key_, message_);
  ASSERT_TRUE(signature.ok());
  OpenSslDigestContext ctx(pkey.get(), GetParam(), /*sign=*/false);
  EXPECT_EQ(EVP_DigestVerify(ctx.get(), signature->data(), signature->size(), message_.data(),
                             message_.size()),
            1);
}

TEST_P(SignatureTest, WeVerifyOpenSslSignatures) {
  const OpenSslKey pkey = ToOpenSsl(key_);
  ASSERT_NE(pkey, nullptr);
  for (int i = 0; i < 20; ++i) {
    OpenSslDigestContext ctx(pkey.get(), GetParam(), /*sign=*/true);
    std::array<std::uint8_t, 80> buffer{};
    std::size_t length = buffer.size();
    ASSERT_EQ(EVP_DigestSign(ctx.get(), buffer.data(), &length, message_.data(), message_.size()),
              1);
    const Bytes signature(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(length));
    const Status status = Verify(key_.public_key(), message_, signature);
    if (GetParam() == CryptoSuite::Standard() && Greater(SplitDer(signature).s, kP256HalfN)) {
      // OpenSSL does not normalise; its high-S output is refused and its twin accepted.
      EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status;
      EXPECT_TRUE(Verify(key_.public_key(), message_, WithNegatedS(signature, kP256N)).ok());
    } else {
      EXPECT_TRUE(status.ok()) << status;
    }
  }
}

}  // namespace
}  // namespace colend::crypto
