// Typed, path-aware reading of JsonValue trees for the codecs of docs/api.md.
//
// Every accessor checks the JSON type and the range of the target field and fails with an
// InvalidArgument status whose sentence names the field by its path, in the caller's
// PathStyle (json_document.h): `field "principal": expected a string of integer minor units,
// got number` for transactions, `members[2].id: ...` for the genesis.
// Private to colend_contracts. An ObjectReader borrows the JsonValue it reads; the value
// must outlive it.
#ifndef COLEND_CONTRACTS_SRC_JSON_FIELDS_H_
#define COLEND_CONTRACTS_SRC_JSON_FIELDS_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "colend/common/amount.h"
#include "colend/common/bytes.h"
#include "colend/common/result.h"
#include "json_document.h"

namespace colend::contracts::internal {

// Where a value sits in the document.
class JsonPlace {
 public:
  JsonPlace(PathStyle style, std::string path) : style_(style), path_(std::move(path)) {}

  JsonPlace Key(std::string_view key) const { return {style_, JoinPath(path_, key)}; }
  JsonPlace Index(std::size_t index) const { return {style_, IndexPath(path_, index)}; }

  PathStyle style() const { return style_; }
  const std::string& path() const { return path_; }

  // InvalidArgument "<place>: <message>".
  Status Error(std::string_view message) const { return PathError(style_, path_, message); }

 private:
  PathStyle style_;
  std::string path_;
};

// `value` as a JSON string literal for an error sentence, shortened if long.
std::string QuoteForMessage(std::string_view value);

// What a value is, for "got ..." in error sentences: a number as written, a string quoted,
// anything else by its kind ("object", "null").
std::string DescribeForMessage(const JsonValue& value);

// Fails with "expected <what>, got <DescribeForMessage(value)>".
Status Mismatch(const JsonValue& value, std::string_view what, const JsonPlace& place);

Result<std::string> ReadString(const JsonValue& value, const JsonPlace& place);
// A string that is not empty.
Result<std::string> ReadNonEmptyString(const JsonValue& value, const JsonPlace& place);
// An integer in [0, max].
Result<std::uint64_t> ReadUnsigned(const JsonValue& value, std::uint64_t max,
                                   const JsonPlace& place);
// An integer in the int64 range.
Result<std::int64_t> ReadSigned(const JsonValue& value, const JsonPlace& place);
// A string that Amount::Parse accepts ("800000", "-5"). A JSON number is refused.
Result<Amount> ReadAmount(const JsonValue& value, const JsonPlace& place);
// A string of hex digits (either case) of exactly `size` bytes, or of 1 or more bytes when
// `size` is 0.
Result<Bytes> ReadHex(const JsonValue& value, std::size_t size, const JsonPlace& place);

// The items of a JSON array.
Result<const std::vector<JsonValue>*> ReadArray(const JsonValue& value, const JsonPlace& place);

// One accepted spelling of an enum and the number it stands for.
struct EnumName {
  std::string_view name;
  int number;
};
// A string equal to one of `names` (exact case).
Result<int> ReadEnum(const JsonValue& value, std::span<const EnumName> names,
                     const JsonPlace& place);
// The spelling of `number` in `names`, or the decimal number if it has none.
std::string EnumToName(std::span<const EnumName> names, int number);

// Reads the members of one JSON object and then checks that none was left unread, so an
// unknown (misspelt, newer) key is an error rather than silently ignored.
class ObjectReader {
 public:
  // Fails with "expected an object, got ..." unless `value` is an object.
  static Result<ObjectReader> Open(const JsonValue& value, JsonPlace place);

  const JsonPlace& place() const { return place_; }
  JsonPlace PlaceOf(std::string_view key) const { return place_.Key(key); }

  // The member's value, or nullptr if absent. Marks the key as read.
  const JsonValue* Find(std::string_view key);
  // The member's value; fails with "required field is missing" if absent.
  Result<const JsonValue*> Get(std::string_view key);

  Result<std::string> String(std::string_view key);
  Result<std::string> NonEmptyString(std::string_view key);
  Result<std::string> OptionalString(std::string_view key, std::string fallback = {});
  Result<std::uint64_t> Unsigned(std::string_view key, std::uint64_t max);
  Result<std::uint64_t> OptionalUnsigned(std::string_view key, std::uint64_t max,
                                         std::uint64_t fallback);
  Result<std::int64_t> Signed(std::string_view key);
  Result<Amount> AmountField(std::string_view key);
  Result<Amount> OptionalAmount(std::string_view key, Amount fallback);
  Result<Bytes> Hex(std::string_view key, std::size_t size);
  Result<int> Enum(std::string_view key, std::span<const EnumName> names);
  Result<int> OptionalEnum(std::string_view key, std::span<const EnumName> names, int fallback);

  // Fails naming the first member (in document order) that nothing asked for.
  Status CheckAllRead() const;

 private:
  ObjectReader(const JsonValue* object, JsonPlace place)
      : object_(object), place_(std::move(place)), read_(object->members.size(), false) {}

  const JsonValue* object_;
  JsonPlace place_;
  std::vector<bool> read_;
};

inline constexpr std::uint64_t kMaxUint32 = std::numeric_limits<std::uint32_t>::max();
inline constexpr std::uint64_t kMaxUint64 = std::numeric_limits<std::uint64_t>::max();

}  // namespace colend::contracts::internal

#endif  // COLEND_CONTRACTS_SRC_JSON_FIELDS_H_
