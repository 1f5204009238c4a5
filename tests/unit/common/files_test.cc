// Reading a file that holds a secret: the whole text, the same errors as ReadWholeFile, and
// WipeString zeroes the bytes a string held.
#include "colend/common/files.h"

#include <sys/stat.h>

#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "colend/testutil/process_util.h"

namespace colend {
namespace {

void Write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

TEST(FilesTest, ReadSecretWholeFileReadsTheWholeText) {
  const testutil::ScratchDir dir("colend-files-test");
  const std::string path = dir.Path("client.key.pem");
  const std::string pem =
      "-----BEGIN PRIVATE KEY-----\n" + std::string(3000, 'A') + "\n-----END PRIVATE KEY-----\n";
  Write(path, pem);
  Result<std::string> text = ReadSecretWholeFile(path, 64 << 10);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, pem);
  Write(dir.Path("empty"), "");
  Result<std::string> empty = ReadSecretWholeFile(dir.Path("empty"), 10);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_TRUE(empty->empty());
}

TEST(FilesTest, ReadSecretWholeFileFailsAsReadWholeFileDoes) {
  const testutil::ScratchDir dir("colend-files-test");
  const std::string path = dir.Path("token");
  Write(path, std::string(5000, 't'));
  Result<std::string> big = ReadSecretWholeFile(path, 4096);
  EXPECT_EQ(big.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(big.status().message(), path + " is larger than 4096 bytes");
  EXPECT_EQ(big.status().message(), ReadWholeFile(path, 4096).status().message());
  Result<std::string> missing = ReadSecretWholeFile(dir.Path("absent"), 4096);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "cannot open " + dir.Path("absent"));
}

// The heap block stays with the string, so the bytes it held can be looked at through a
// pointer taken before: zeros, not the secret.
TEST(FilesTest, WipeStringZeroesTheBytes) {
  std::string secret(300, 'k');
  const char* bytes = secret.data();
  WipeString(secret);
  EXPECT_TRUE(secret.empty());
  EXPECT_EQ(secret.data(), bytes);
  for (std::size_t i = 0; i < 300; ++i) ASSERT_EQ(bytes[i], '\0') << "byte " << i;
}

}  // namespace
}  // namespace colend
