#include "der_signature.h"

#include <algorithm>
#include <cstddef>
#include <string>

#include "colend/common/check.h"

namespace colend::crypto::internal {
namespace {

constexpr std::uint8_t kSequenceTag = 0x30;
constexpr std::uint8_t kIntegerTag = 0x02;

// Reads one INTEGER at der[*pos] into `out`, advancing *pos past it.
Status ParseInteger(ByteView der, std::size_t* pos, const char* name, Scalar* out) {
  const std::string field(name);
  if (*pos + 2 > der.size()) {
    return Status::InvalidArgument("signature DER ends before INTEGER " + field);
  }
  if (der[*pos] != kIntegerTag) {
    return Status::InvalidArgument("signature DER has no INTEGER tag for " + field);
  }
  const std::size_t length = der[*pos + 1];
  if (length & 0x80) {
    return Status::InvalidArgument("signature DER uses a long-form length for " + field +
                                   " (not minimal DER)");
  }
  *pos += 2;
  if (length == 0) {
    return Status::InvalidArgument("signature DER INTEGER " + field + " is empty");
  }
  if (length > der.size() - *pos) {
    return Status::InvalidArgument("signature DER INTEGER " + field + " runs past the end");
  }
  ByteView value = der.subspan(*pos, length);
  *pos += length;
  if (value[0] & 0x80) {
    return Status::InvalidArgument("signature DER INTEGER " + field + " is negative");
  }
  if (value.size() > 1 && value[0] == 0x00 && !(value[1] & 0x80)) {
    return Status::InvalidArgument("signature DER INTEGER " + field +
                                   " has a superfluous leading zero (not minimal DER)");
  }
  if (value[0] == 0x00 && value.size() > 1) value = value.subspan(1);
  if (value.size() > out->size()) {
    return Status::InvalidArgument("signature DER INTEGER " + field + " is wider than 256 bits");
  }
  out->fill(0);
  std::copy(value.begin(), value.end(), out->end() - static_cast<std::ptrdiff_t>(value.size()));
  return Status::Ok();
}

// Appends the minimal INTEGER encoding of `value`.
void AppendInteger(const Scalar& value, Bytes* out) {
  std::size_t first = 0;
  while (first + 1 < value.size() && value[first] == 0) ++first;
  const bool pad = (value[first] & 0x80) != 0;
  out->push_back(kIntegerTag);
  out->push_back(static_cast<std::uint8_t>(value.size() - first + (pad ? 1 : 0)));
  if (pad) out->push_back(0x00);
  out->insert(out->end(), value.begin() + static_cast<std::ptrdiff_t>(first), value.end());
}

}  // namespace

Result<SignatureScalars> ParseDerSignature(ByteView der) {
  if (der.empty()) return Status::InvalidArgument("signature is empty");
  if (der.size() < 2 || der[0] != kSequenceTag) {
    return Status::InvalidArgument("signature is not a DER SEQUENCE");
  }
  const std::size_t length = der[1];
  if (length & 0x80) {
    return Status::InvalidArgument(
        "signature DER uses a long-form or indefinite SEQUENCE length (not minimal DER)");
  }
  if (length != der.size() - 2) {
    return Status::InvalidArgument("signature DER SEQUENCE length " + std::to_string(length) +
                                   " does not match the " + std::to_string(der.size() - 2) +
                                   " bytes that follow (truncated or trailing data)");
  }
  SignatureScalars scalars;
  std::size_t pos = 2;
  COLEND_RETURN_IF_ERROR(ParseInteger(der, &pos, "r", &scalars.r));
  COLEND_RETURN_IF_ERROR(ParseInteger(der, &pos, "s", &scalars.s));
  if (pos != der.size()) {
    return Status::InvalidArgument("signature DER SEQUENCE has data after s");
  }
  return scalars;
}

Bytes EncodeDerSignature(const SignatureScalars& scalars) {
  Bytes body;
  body.reserve(70);
  AppendInteger(scalars.r, &body);
  AppendInteger(scalars.s, &body);
  Bytes der;
  der.reserve(body.size() + 2);
  der.push_back(kSequenceTag);
  der.push_back(static_cast<std::uint8_t>(body.size()));  // at most 70: short form
  der.insert(der.end(), body.begin(), body.end());
  return der;
}

int CompareScalars(const Scalar& a, const Scalar& b) {
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return 0;
}

bool IsZero(const Scalar& a) {
  for (std::uint8_t byte : a) {
    if (byte != 0) return false;
  }
  return true;
}

Scalar SubtractScalars(const Scalar& a, const Scalar& b) {
  COLEND_CHECK(CompareScalars(a, b) >= 0);
  Scalar out{};
  int borrow = 0;
  for (std::size_t i = a.size(); i-- > 0;) {
    int diff = static_cast<int>(a[i]) - static_cast<int>(b[i]) - borrow;
    borrow = diff < 0 ? 1 : 0;
    out[i] = static_cast<std::uint8_t>(diff + (borrow << 8));
  }
  return out;
}

Scalar HalveScalar(const Scalar& a) {
  Scalar out{};
  std::uint8_t carry = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    out[i] = static_cast<std::uint8_t>((a[i] >> 1) | (carry << 7));
    carry = a[i] & 1;
  }
  return out;
}

}  // namespace colend::crypto::internal
