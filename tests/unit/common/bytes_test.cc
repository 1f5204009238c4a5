#include "colend/common/bytes.h"

#include <gtest/gtest.h>

namespace colend {
namespace {

TEST(BytesTest, HexRoundTripEveryByte) {
  Bytes all(256);
  for (int i = 0; i < 256; ++i) all[i] = static_cast<std::uint8_t>(i);
  const std::string hex = ToHex(all);
  ASSERT_EQ(hex.size(), 512u);
  EXPECT_EQ(hex.substr(0, 8), "00010203");
  EXPECT_EQ(hex.substr(504), "fcfdfeff");
  Result<Bytes> back = FromHex(hex);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, all);
}

TEST(BytesTest, FromHexAcceptsUpperCase) {
  Result<Bytes> b = FromHex("DEADbeef");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, (Bytes{0xde, 0xad, 0xbe, 0xef}));
}

TEST(BytesTest, EmptyIsValid) {
  EXPECT_EQ(ToHex({}), "");
  ASSERT_TRUE(FromHex("").ok());
  EXPECT_TRUE(FromHex("")->empty());
}

TEST(BytesTest, FromHexRejectsOddLength) {
  Result<Bytes> b = FromHex("abc");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(b.status().message().find("odd length"), std::string::npos);
}

TEST(BytesTest, FromHexRejectsNonHexAndNamesPosition) {
  for (const char* bad : {"0x12", "zz", "12 3", "1g", "\xff\x01"}) {
    Result<Bytes> b = FromHex(bad);
    EXPECT_FALSE(b.ok()) << bad;
  }
  EXPECT_NE(FromHex("001g").status().message().find("position 3"), std::string::npos);
}

TEST(BytesTest, ConstantTimeEqual) {
  EXPECT_TRUE(ConstantTimeEqual(AsBytes("abc"), AsBytes("abc")));
  EXPECT_FALSE(ConstantTimeEqual(AsBytes("abc"), AsBytes("abd")));
  EXPECT_FALSE(ConstantTimeEqual(AsBytes("abc"), AsBytes("ab")));
  EXPECT_TRUE(ConstantTimeEqual({}, {}));
}

}  // namespace
}  // namespace colend
