// colend-cli as a bank operator runs it: keygen, keyid and selfcheck through the real
// binary, checking exit codes, files and what is printed.
#include <sys/stat.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "colend/common/bytes.h"
#include "colend/crypto/keys.h"
#include "colend/testutil/process_util.h"

namespace colend {
namespace {

namespace fs = std::filesystem;

using testutil::ReadFile;
using testutil::RunResult;

RunResult RunCli(const std::string& args) {
  return testutil::RunCommand(std::string(COLEND_CLI_PATH) + " " + args);
}

std::string Field(const std::string& output, const std::string& name) {
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + ":", 0) == 0) {
      const std::size_t start = line.find_first_not_of(' ', name.size() + 1);
      return line.substr(start);
    }
  }
  return "";
}

class CliKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("colend-cli-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
};

TEST_F(CliKeysTest, KeygenWritesAPrivateKeyOnlyItsOwnerCanRead) {
  for (const char* suite : {"standard", "sm"}) {
    const std::string key = Path(std::string(suite) + ".pem");
    const std::string pub = Path(std::string(suite) + ".pub.pem");
    RunResult r =
        RunCli("keygen --suite " + std::string(suite) + " --out " + key + " --public-out " + pub);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    struct stat st {};
    ASSERT_EQ(::stat(key.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << suite;

    // The printed key id is the one the library derives from the file's key.
    auto parsed_suite = crypto::CryptoSuite::FromName(suite);
    ASSERT_TRUE(parsed_suite.ok());
    Result<crypto::PublicKey> pk = crypto::PublicKey::FromPem(*parsed_suite, ReadFile(pub));
    ASSERT_TRUE(pk.ok()) << pk.status();
    EXPECT_EQ(Field(r.output, "key_id"), pk->KeyIdHex());
    EXPECT_EQ(Field(r.output, "public_key"), ToHex(pk->raw()));
  }
}

TEST_F(CliKeysTest, KeyIdOfPrivateAndPublicFileAgreeWithKeygen) {
  const std::string key = Path("lead.pem");
  const std::string pub = Path("lead.pub.pem");
  RunResult gen = RunCli("keygen --suite sm --out " + key + " --public-out " + pub);
  ASSERT_EQ(gen.exit_code, 0) << gen.output;
  RunResult from_private = RunCli("keyid --suite sm --key " + key);
  RunResult from_public = RunCli("keyid --suite sm --key " + pub);
  ASSERT_EQ(from_private.exit_code, 0) << from_private.output;
  ASSERT_EQ(from_public.exit_code, 0) << from_public.output;
  EXPECT_EQ(Field(from_private.output, "key_id").size(), 32u);
  EXPECT_EQ(Field(from_private.output, "key_id"), Field(gen.output, "key_id"));
  EXPECT_EQ(Field(from_public.output, "key_id"), Field(gen.output, "key_id"));
}

TEST_F(CliKeysTest, KeygenNeverOverwritesAnExistingKey) {
  const std::string key = Path("lead.pem");
  ASSERT_EQ(RunCli("keygen --suite standard --out " + key).exit_code, 0);
  const std::string before = ReadFile(key);
  RunResult again = RunCli("keygen --suite standard --out " + key);
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.output.find("refusing to overwrite"), std::string::npos) << again.output;
  EXPECT_EQ(ReadFile(key), before);
}

TEST_F(CliKeysTest, WrongSuiteAndGarbageAreClearErrors) {
  const std::string key = Path("lead.pem");
  ASSERT_EQ(RunCli("keygen --suite standard --out " + key).exit_code, 0);
  RunResult wrong_suite = RunCli("keyid --suite sm --key " + key);
  EXPECT_EQ(wrong_suite.exit_code, 1);
  EXPECT_NE(wrong_suite.output.find("INVALID_ARGUMENT"), std::string::npos) << wrong_suite.output;

  const std::string garbage = Path("garbage.pem");
  std::ofstream(garbage)
      << "-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n";
  RunResult bad = RunCli("keyid --suite standard --key " + garbage);
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.output.find("garbage.pem"), std::string::npos) << bad.output;

  RunResult missing = RunCli("keyid --suite standard --key " + Path("nope.pem"));
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find("NOT_FOUND"), std::string::npos) << missing.output;

  RunResult bad_suite = RunCli("keygen --suite rsa --out " + Path("x.pem"));
  EXPECT_NE(bad_suite.exit_code, 0);
  EXPECT_FALSE(fs::exists(Path("x.pem")));
}

TEST(CliSelfCheckTest, AllChecksPass) {
  RunResult r = RunCli("selfcheck");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find(" passed, 0 failed"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("FAIL"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("crypto suite sm"), std::string::npos);
}

}  // namespace
}  // namespace colend
