// Secrets: buffers that held key material are zeroed by Wipe (OPENSSL_cleanse), and a
// secret file is read only if its mode keeps group and others out.
#include "colend/crypto/secret.h"

#include <cstdint>
#include <filesystem>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "colend/testutil/process_util.h"

namespace colend::crypto {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// Wipe keeps the heap block (clear() does not free it), so the bytes it held can be looked
// at through a pointer taken before: they must be zeros, not the secret.
TEST(CryptoSecretTest, WipeZeroesTheBytesOfAString) {
  std::string secret(300, 'k');  // beyond any small-string buffer: on the heap
  const char* bytes = secret.data();
  Wipe(secret);
  EXPECT_TRUE(secret.empty());
  EXPECT_EQ(secret.data(), bytes);  // same block, not reallocated
  for (std::size_t i = 0; i < 300; ++i) ASSERT_EQ(bytes[i], '\0') << "byte " << i;
}

TEST(CryptoSecretTest, WipeZeroesASmallString) {
  std::string secret = "short";  // held inside the string object itself
  const char* bytes = secret.data();
  Wipe(secret);
  EXPECT_TRUE(secret.empty());
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(bytes[i], '\0');
}

TEST(CryptoSecretTest, WipeZeroesBytes) {
  Bytes secret(64, 0xab);
  const std::uint8_t* bytes = secret.data();
  Wipe(secret);
  EXPECT_TRUE(secret.empty());
  for (std::size_t i = 0; i < 64; ++i) ASSERT_EQ(bytes[i], 0) << "byte " << i;
}

TEST(CryptoSecretTest, WipeOnExitWipesOnEveryPathOut) {
  std::string secret(100, 's');
  const char* bytes = secret.data();
  { const WipeOnExit guard(secret); }
  EXPECT_TRUE(secret.empty());
  EXPECT_EQ(bytes[0], '\0');
}

TEST(CryptoSecretTest, RandomTokensAreLongHexAndDistinct) {
  Result<std::string> a = RandomToken();
  Result<std::string> b = RandomToken();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), 64u);
  EXPECT_EQ(a->find_first_not_of("0123456789abcdef"), std::string::npos) << *a;
  EXPECT_NE(*a, *b);
  EXPECT_EQ(RandomToken(16)->size(), 32u);
}

TEST(CryptoSecretTest, FormatsModesAsFourOctalDigits) {
  EXPECT_EQ(FormatFileMode(0600), "0600");
  EXPECT_EQ(FormatFileMode(0644), "0644");
  EXPECT_EQ(FormatFileMode(0100755), "0755");  // file type bits dropped
}

class CryptoSecretFileTest : public ::testing::Test {
 protected:
  CryptoSecretFileTest() : scratch_("colend-secret") {
    dir_ = fs::path(scratch_.Path("keys"));
    fs::create_directories(dir_);
  }

  fs::path Write(const std::string& name, const std::string& text, fs::perms mode) {
    const fs::path path = dir_ / name;
    testutil::WriteFile(path.string(), text);
    fs::permissions(path, mode, fs::perm_options::replace);
    return path;
  }

  testutil::ScratchDir scratch_;
  fs::path dir_;
};

TEST_F(CryptoSecretFileTest, ReadsAFileOnlyItsOwnerCanReadOrWrite) {
  using P = fs::perms;
  const fs::path rw = Write("rw.pem", "secret text\n", P::owner_read | P::owner_write);
  Result<std::string> text = ReadSecretFile(rw, "p2p.node_key_file");
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "secret text\n");

  const fs::path ro = Write("ro.pem", "read only", P::owner_read);  // 0400 is stricter
  ASSERT_TRUE(ReadSecretFile(ro, "p2p.node_key_file").ok());
}

TEST_F(CryptoSecretFileTest, RefusesAnyGroupOrOtherPermissionNamingFileModeAndFix) {
  using P = fs::perms;
  const struct {
    fs::perms mode;
    const char* text;
  } cases[] = {
      {P::owner_read | P::owner_write | P::group_read | P::others_read, "0644"},
      {P::owner_read | P::owner_write | P::group_read, "0640"},
      {P::owner_read | P::owner_write | P::group_write, "0620"},
      {P::owner_read | P::others_read, "0404"},
      {P::owner_read | P::owner_write | P::others_write, "0602"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    const fs::path path = Write(std::string("key-") + c.text + ".pem", "secret", c.mode);
    Result<std::string> text = ReadSecretFile(path, "p2p.node_key_file");
    ASSERT_FALSE(text.ok());
    EXPECT_EQ(text.status().code(), StatusCode::kPermissionDenied);
    const std::string message = text.status().message();  // a copy: status() may be a temporary
    EXPECT_THAT(message, HasSubstr("p2p.node_key_file: " + path.string()));
    EXPECT_THAT(message, HasSubstr(std::string("has mode ") + c.text));
    EXPECT_THAT(message, HasSubstr("chmod 600 " + path.string()));
  }
}

TEST_F(CryptoSecretFileTest, RefusesMissingDirectoriesAndOversizedFiles) {
  Result<std::string> missing = ReadSecretFile(dir_ / "absent.pem", "rpc.token_file");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("rpc.token_file: "));

  fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::replace);
  Result<std::string> directory = ReadSecretFile(dir_, "rpc.token_file");
  ASSERT_FALSE(directory.ok());
  EXPECT_THAT(directory.status().message(), HasSubstr("not a regular file"));

  const fs::path big =
      Write("big.pem", std::string(2000, 'x'), fs::perms::owner_read | fs::perms::owner_write);
  Result<std::string> too_big = ReadSecretFile(big, "rpc.token_file", 1000);
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace colend::crypto
