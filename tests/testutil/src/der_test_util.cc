#include "colend/testutil/der_test_util.h"

#include <algorithm>

#include <gtest/gtest.h>

namespace colend::testutil {

Bytes Cat(std::initializer_list<ByteView> parts) {
  std::size_t total = 0;
  for (ByteView part : parts) total += part.size();
  Bytes out(total);
  auto at = out.begin();
  for (ByteView part : parts) at = std::copy(part.begin(), part.end(), at);
  return out;
}

Bytes Hex(std::string_view hex) {
  Result<Bytes> bytes = FromHex(hex);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  return bytes.ok() ? std::move(bytes).value() : Bytes();
}

Scalar ScalarFromHex(std::string_view hex) {
  Scalar out{};
  const Result<Bytes> bytes = FromHex(hex);
  if (bytes.ok() && bytes->size() <= out.size()) {
    std::copy(bytes->begin(), bytes->end(), out.end() - static_cast<std::ptrdiff_t>(bytes->size()));
  }
  return out;
}

const Scalar kP256N =
    ScalarFromHex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
const Scalar kP256HalfN =
    ScalarFromHex("7fffffff800000007fffffffffffffffde737d56d38bcf4279dce5617e3192a8");
const Scalar kSm2N =
    ScalarFromHex("fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123");

Scalar Minus(const Scalar& a, const Scalar& b) {
  Scalar out{};
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    const int diff = a[i] - b[i] - borrow;
    borrow = diff < 0;
    out[i] = static_cast<std::uint8_t>(diff + 256 * borrow);
  }
  return out;
}

bool Greater(const Scalar& a, const Scalar& b) {
  return a > b;
}  // big-endian bytes

void AppendDerInteger(ByteView value, Bytes* out) {
  std::size_t first = 0;
  while (first + 1 < value.size() && value[first] == 0) ++first;
  const bool pad = value[first] & 0x80;
  out->push_back(0x02);
  out->push_back(static_cast<std::uint8_t>(value.size() - first + (pad ? 1 : 0)));
  if (pad) out->push_back(0x00);
  out->insert(out->end(), value.begin() + static_cast<std::ptrdiff_t>(first), value.end());
}

Bytes DerSignature(ByteView r, ByteView s) {
  Bytes body;
  AppendDerInteger(r, &body);
  AppendDerInteger(s, &body);
  return Cat({Bytes{0x30, static_cast<std::uint8_t>(body.size())}, body});
}

RS SplitDer(ByteView der) {
  RS rs;
  std::size_t pos = 2;
  for (Scalar* out : {&rs.r, &rs.s}) {
    std::size_t length = der[pos + 1];
    ByteView value = der.subspan(pos + 2, length);
    pos += 2 + length;
    if (value.size() == 33) value = value.subspan(1);
    std::copy(value.begin(), value.end(), out->end() - static_cast<std::ptrdiff_t>(value.size()));
  }
  return rs;
}

Bytes WithNegatedS(ByteView der, const Scalar& order) {
  const RS rs = SplitDer(der);
  return DerSignature(rs.r, Minus(order, rs.s));
}

}  // namespace colend::testutil
