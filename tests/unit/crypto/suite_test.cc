#include "colend/crypto/suite.h"

#include <string>

#include <gtest/gtest.h>

namespace colend::crypto {
namespace {

TEST(CryptoSuiteTest, StandardByName) {
  const Result<CryptoSuite> suite = CryptoSuite::FromName("standard");
  ASSERT_TRUE(suite.ok()) << suite.status();
  EXPECT_EQ(*suite, CryptoSuite::Standard());
  EXPECT_EQ(suite->id(), CryptoSuite::Id::kStandard);
  EXPECT_EQ(suite->name(), "standard");
  EXPECT_EQ(suite->hash(), HashAlgorithm::kSha256);
  EXPECT_EQ(suite->description(), "ECDSA P-256 with SHA-256");
}

TEST(CryptoSuiteTest, SmByName) {
  const Result<CryptoSuite> suite = CryptoSuite::FromName("sm");
  ASSERT_TRUE(suite.ok()) << suite.status();
  EXPECT_EQ(*suite, CryptoSuite::Sm());
  EXPECT_EQ(suite->id(), CryptoSuite::Id::kSm);
  EXPECT_EQ(suite->name(), "sm");
  EXPECT_EQ(suite->hash(), HashAlgorithm::kSm3);
  EXPECT_EQ(suite->description(), "SM2 with SM3");
  EXPECT_NE(*suite, CryptoSuite::Standard());
}

TEST(CryptoSuiteTest, NamesAreExact) {
  for (const char* name : {"", "Standard", "SM", "sm2", "standard ", " sm", "ecdsa", "p256"}) {
    const Result<CryptoSuite> suite = CryptoSuite::FromName(name);
    ASSERT_FALSE(suite.ok()) << "accepted \"" << name << "\"";
    EXPECT_EQ(suite.status().code(), StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(CryptoSuite::FromName("sm3").status().message(),
            "unknown crypto suite \"sm3\"; expected \"standard\" or \"sm\"");
}

TEST(CryptoSuiteTest, HostileNameIsNotEchoed) {
  const std::string hostile = std::string("sm\n") + std::string(100, 'x');
  const Result<CryptoSuite> suite = CryptoSuite::FromName(hostile);
  ASSERT_FALSE(suite.ok());
  EXPECT_EQ(suite.status().message().find('\n'), std::string::npos);
  EXPECT_NE(suite.status().message().find("103 bytes"), std::string::npos);
}

TEST(CryptoSuiteTest, NameRoundTrips) {
  for (CryptoSuite suite : {CryptoSuite::Standard(), CryptoSuite::Sm()}) {
    const Result<CryptoSuite> parsed = CryptoSuite::FromName(suite.name());
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, suite);
  }
}

}  // namespace
}  // namespace colend::crypto
