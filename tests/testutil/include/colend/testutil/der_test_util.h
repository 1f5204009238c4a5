// DER and scalar helpers for signature tests, written independently of crypto/'s own DER
// codec so the tests do not trust what they test.
#ifndef COLEND_TESTUTIL_DER_TEST_UTIL_H_
#define COLEND_TESTUTIL_DER_TEST_UTIL_H_

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "colend/common/bytes.h"

namespace colend::testutil {

// A curve scalar as 32 big-endian bytes.
using Scalar = std::array<std::uint8_t, 32>;

// Concatenation. (vector::insert into a short vector makes GCC 12 at -O2 report a false
// -Warray-bounds.)
Bytes Cat(std::initializer_list<ByteView> parts);

// The bytes of `hex`; a bad constant fails the calling test and gives empty bytes.
Bytes Hex(std::string_view hex);

// Right-aligned big-endian scalar from at most 64 hex digits.
Scalar ScalarFromHex(std::string_view hex);

extern const Scalar kP256N;      // order of P-256
extern const Scalar kP256HalfN;  // floor(n / 2) for P-256
extern const Scalar kSm2N;       // order of the SM2 recommended curve

// a - b. REQUIRES: a >= b.
Scalar Minus(const Scalar& a, const Scalar& b);
// a > b as unsigned big-endian numbers.
bool Greater(const Scalar& a, const Scalar& b);

// Minimal DER INTEGER of a non-negative big-endian value, appended to `out`.
void AppendDerInteger(ByteView value, Bytes* out);
// DER SEQUENCE { INTEGER r, INTEGER s }.
Bytes DerSignature(ByteView r, ByteView s);

struct RS {
  Scalar r{};
  Scalar s{};
};
// Splits a strict DER signature (as Sign produces) into r and s.
RS SplitDer(ByteView der);
// The same signature with s replaced by order - s (the ECDSA "high-S twin").
Bytes WithNegatedS(ByteView der, const Scalar& order);

}  // namespace colend::testutil

#endif  // COLEND_TESTUTIL_DER_TEST_UTIL_H_
