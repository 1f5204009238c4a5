// Helpers for wire-format tests of the generated Protobuf types.
#ifndef COLEND_TESTUTIL_PROTO_TEST_UTIL_H_
#define COLEND_TESTUTIL_PROTO_TEST_UTIL_H_

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/message.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "colend/common/bytes.h"

namespace colend::testutil {

inline std::string Hex(const std::string& bytes) {
  return ToHex(AsBytes(bytes));
}

// The bytes `hex` stands for; a bad constant fails the calling test.
inline std::string Unhex(std::string_view hex) {
  Result<Bytes> bytes = FromHex(hex);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  return bytes.ok() ? ToString(*bytes) : std::string();
}

inline std::string Serialize(const google::protobuf::Message& message) {
  std::string out;
  EXPECT_TRUE(message.SerializeToString(&out));
  return out;
}

// Serialisation with map entries sorted by key: used only to compare two messages' contents
// in tests, never for anything signed or hashed.
inline std::string DeterministicBytes(const google::protobuf::Message& message) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    EXPECT_TRUE(message.SerializeToCodedStream(&coded));
  }
  return out;
}

// Serialises, parses back and expects the same contents. For messages without maps pass
// `stable_encoding` = true to also expect the very same bytes again.
template <typename M>
void ExpectRoundTrip(const M& original, bool stable_encoding) {
  const std::string bytes = Serialize(original);
  M parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes)) << original.ShortDebugString();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(original, parsed))
      << original.ShortDebugString();
  EXPECT_EQ(DeterministicBytes(parsed), DeterministicBytes(original));
  if (stable_encoding) {
    EXPECT_EQ(Serialize(parsed), bytes);
  }
}

}  // namespace colend::testutil

#endif  // COLEND_TESTUTIL_PROTO_TEST_UTIL_H_
