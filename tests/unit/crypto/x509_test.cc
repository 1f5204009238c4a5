#include "colend/crypto/x509.h"

#include <ctime>
#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "colend/crypto/keys.h"

namespace colend::crypto {

void PrintTo(CryptoSuite suite, std::ostream* os) {
  *os << suite.name();
}

namespace {

class X509Test : public ::testing::TestWithParam<CryptoSuite> {
 protected:
  PrivateKey NewKey() {
    Result<PrivateKey> key = PrivateKey::Generate(GetParam());
    EXPECT_TRUE(key.ok()) << key.status();
    return std::move(key).value();
  }
};

TEST_P(X509Test, CaCertificateIsSelfSignedCa) {
  PrivateKey ca_key = NewKey();
  Result<std::string> ca = MakeCaCertificate(ca_key, "colend test CA", 365);
  ASSERT_TRUE(ca.ok()) << ca.status();
  Result<CertificateInfo> info = InspectCertificate(*ca);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->common_name, "colend test CA");
  EXPECT_EQ(info->issuer, "CN=colend test CA");
  EXPECT_TRUE(info->is_ca);
  EXPECT_EQ(info->public_key_der, ca_key.public_key().ToDer().value());
  const std::int64_t now = std::time(nullptr);
  EXPECT_LE(info->not_before_unix, now);
  EXPECT_GE(info->not_after_unix, now + 364 * 86400);
  EXPECT_EQ(info->serial_hex.size(), 32u);
}

TEST_P(X509Test, IssueInspectVerifyRoundTrip) {
  PrivateKey ca_key = NewKey();
  PrivateKey node_key = NewKey();
  const std::string ca = MakeCaCertificate(ca_key, "colend test CA", 365).value();
  Result<std::string> cert = IssueNodeCertificate(ca_key, ca, node_key.public_key(), "LEAD-1", 30);
  ASSERT_TRUE(cert.ok()) << cert.status();
  Result<CertificateInfo> info = InspectCertificate(*cert);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->common_name, "LEAD-1");
  EXPECT_EQ(info->issuer, "CN=colend test CA");
  EXPECT_FALSE(info->is_ca);
  EXPECT_EQ(info->public_key_der, node_key.public_key().ToDer().value());
  EXPECT_LT(info->not_before_unix, info->not_after_unix);
  // The DER in the certificate is the canonical colend encoding of the key.
  Result<PublicKey> parsed = PublicKey::FromDer(GetParam(), info->public_key_der);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(*parsed == node_key.public_key());

  EXPECT_TRUE(VerifyCertificateIssuedBy(*cert, ca).ok()) << VerifyCertificateIssuedBy(*cert, ca);
}

TEST_P(X509Test, SerialsDiffer) {
  PrivateKey ca_key = NewKey();
  PrivateKey node_key = NewKey();
  const std::string ca = MakeCaCertificate(ca_key, "CA", 1).value();
  const std::string a = IssueNodeCertificate(ca_key, ca, node_key.public_key(), "n", 1).value();
  const std::string b = IssueNodeCertificate(ca_key, ca, node_key.public_key(), "n", 1).value();
  EXPECT_NE(InspectCertificate(a)->serial_hex, InspectCertificate(b)->serial_hex);
}

TEST_P(X509Test, CertificateFromAnotherCaFails) {
  PrivateKey ca_key = NewKey();
  PrivateKey other_ca_key = NewKey();
  PrivateKey node_key = NewKey();
  const std::string ca = MakeCaCertificate(ca_key, "colend test CA", 365).value();
  // Same name as the real CA: only the signature tells them apart.
  const std::string other_ca = MakeCaCertificate(other_ca_key, "colend test CA", 365).value();
  const std::string cert =
      IssueNodeCertificate(other_ca_key, other_ca, node_key.public_key(), "LEAD-1", 30).value();
  const Status status = VerifyCertificateIssuedBy(cert, ca);
  EXPECT_EQ(status.code(), StatusCode::kPermissionDenied) << status;
  EXPECT_TRUE(VerifyCertificateIssuedBy(cert, other_ca).ok());
}

TEST_P(X509Test, NodeCertificateIsNotAnIssuer) {
  PrivateKey ca_key = NewKey();
  PrivateKey node_key = NewKey();
  PrivateKey third_key = NewKey();
  const std::string ca = MakeCaCertificate(ca_key, "CA", 365).value();
  const std::string node = IssueNodeCertificate(ca_key, ca, node_key.public_key(), "a", 30).value();
  // A node key cannot act as a CA, neither when issuing nor when verifying.
  EXPECT_EQ(IssueNodeCertificate(node_key, node, third_key.public_key(), "b", 30).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyCertificateIssuedBy(ca, node).code(), StatusCode::kPermissionDenied);
}

TEST_P(X509Test, RejectsBadArguments) {
  PrivateKey ca_key = NewKey();
  PrivateKey other_key = NewKey();
  EXPECT_EQ(MakeCaCertificate(ca_key, "", 365).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeCaCertificate(ca_key, "CA", 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeCaCertificate(ca_key, "CA", kMaxCertificateValidityDays + 1).status().code(),
            StatusCode::kInvalidArgument);
  const std::string ca = MakeCaCertificate(ca_key, "CA", 365).value();
  const PublicKey& node = other_key.public_key();
  EXPECT_EQ(IssueNodeCertificate(ca_key, ca, node, "", 1).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(IssueNodeCertificate(ca_key, ca, node, "bad id", 1).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(IssueNodeCertificate(ca_key, ca, node, "a,URI:x", 1).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(IssueNodeCertificate(ca_key, ca, node, std::string(65, 'a'), 1).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(IssueNodeCertificate(ca_key, "not a pem", node, "a", 1).status().code(),
            StatusCode::kInvalidArgument);
  // The CA key must be the one in the CA certificate.
  EXPECT_EQ(IssueNodeCertificate(other_key, ca, node, "a", 1).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_P(X509Test, RejectsMalformedPem) {
  PrivateKey ca_key = NewKey();
  const std::string ca = MakeCaCertificate(ca_key, "CA", 365).value();
  EXPECT_EQ(InspectCertificate("").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(InspectCertificate(ca.substr(0, ca.size() / 2)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(InspectCertificate(ca + ca).status().code(), StatusCode::kInvalidArgument);
  std::string corrupted = ca;
  corrupted[100] = corrupted[100] == 'A' ? 'B' : 'A';
  // Either the DER no longer parses or the signature no longer verifies.
  EXPECT_FALSE(VerifyCertificateIssuedBy(corrupted, ca).ok());
  EXPECT_EQ(InspectCertificate(std::string(kMaxCertificatePemSize + 1, ' ')).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(InspectCertificate("\n" + ca + "\n\n").ok());
}

TEST(X509MixedSuiteTest, NodeKeyOfAnotherSuiteIsRefused) {
  PrivateKey ca_key = PrivateKey::Generate(CryptoSuite::Standard()).value();
  PrivateKey sm_key = PrivateKey::Generate(CryptoSuite::Sm()).value();
  const std::string ca = MakeCaCertificate(ca_key, "CA", 365).value();
  EXPECT_EQ(IssueNodeCertificate(ca_key, ca, sm_key.public_key(), "a", 1).status().code(),
            StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Suites, X509Test,
                         ::testing::Values(CryptoSuite::Standard(), CryptoSuite::Sm()),
                         [](const ::testing::TestParamInfo<CryptoSuite>& param) {
                           return std::string(param.param.name());
                         });

}  // namespace
}  // namespace colend::crypto
