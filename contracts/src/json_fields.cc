#include "json_fields.h"

namespace colend::contracts::internal {
namespace {

// Long enough to recognise a value in an error sentence, short enough for a log line.
constexpr std::size_t kMaxQuotedChars = 48;

}  // namespace

std::string QuoteForMessage(std::string_view value) {
  JsonWriter writer;
  if (value.size() <= kMaxQuotedChars) {
    writer.String(value);
    return std::move(writer).Finish();
  }
  // Cut on a character boundary (never inside a UTF-8 sequence) and say so.
  std::size_t cut = kMaxQuotedChars;
  while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xc0) == 0x80) --cut;
  writer.String(value.substr(0, cut));
  return std::move(writer).Finish() + "...";
}

std::string DescribeForMessage(const JsonValue& value) {
  switch (value.kind) {
    case JsonKind::kInteger:
    case JsonKind::kNumber:
      return "number " + value.text;
    case JsonKind::kString:
      return QuoteForMessage(value.text);
    default:
      return std::string(JsonKindName(value.kind));
  }
}

Status Mismatch(const JsonValue& value, std::string_view what, const JsonPlace& place) {
  return place.Error("expected " + std::string(what) + ", got " + DescribeForMessage(value));
}

Result<std::string> ReadString(const JsonValue& value, const JsonPlace& place) {
  if (value.kind != JsonKind::kString) {
    return place.Error("expected a string, got " + std::string(JsonKindName(value.kind)));
  }
  return value.text;
}

Result<std::string> ReadNonEmptyString(const JsonValue& value, const JsonPlace& place) {
  COLEND_ASSIGN_OR_RETURN(std::string text, ReadString(value, place));
  if (text.empty()) return place.Error("must not be empty");
  return text;
}

Result<std::uint64_t> ReadUnsigned(const JsonValue& value, std::uint64_t max,
                                   const JsonPlace& place) {
  if (value.kind != JsonKind::kInteger || value.negative || value.magnitude > max) {
    return Mismatch(value, "a non-negative integer at most " + std::to_string(max), place);
  }
  return value.magnitude;
}

Result<std::int64_t> ReadSigned(const JsonValue& value, const JsonPlace& place) {
  constexpr std::uint64_t kMaxPositive = std::numeric_limits<std::int64_t>::max();
  const bool fits = value.kind == JsonKind::kInteger &&
                    value.magnitude <= (value.negative ? kMaxPositive + 1 : kMaxPositive);
  if (!fits) return Mismatch(value, "a 64-bit signed integer", place);
  if (!value.negative) return static_cast<std::int64_t>(value.magnitude);
  // -magnitude computed without overflowing at INT64_MIN.
  return value.magnitude == kMaxPositive + 1 ? std::numeric_limits<std::int64_t>::min()
                                             : -static_cast<std::int64_t>(value.magnitude);
}

Result<Amount> ReadAmount(const JsonValue& value, const JsonPlace& place) {
  constexpr std::string_view kWhat = "a string of integer minor units";
  if (value.kind != JsonKind::kString) {
    return place.Error("expected " + std::string(kWhat) + ", got " +
                       std::string(JsonKindName(value.kind)));
  }
  Result<Amount> amount = Amount::Parse(value.text);
  if (!amount.ok()) return Mismatch(value, kWhat, place);
  return amount;
}

Result<Bytes> ReadHex(const JsonValue& value, std::size_t size, const JsonPlace& place) {
  const std::string what = size == 0 ? std::string("a non-empty string of hex digits")
                                     : "a string of " + std::to_string(2 * size) + " hex digits";
  if (value.kind != JsonKind::kString) return Mismatch(value, what, place);
  Result<Bytes> bytes = FromHex(value.text);
  if (!bytes.ok() || (size == 0 ? bytes->empty() : bytes->size() != size)) {
    return Mismatch(value, what, place);
  }
  return bytes;
}

Result<const std::vector<JsonValue>*> ReadArray(const JsonValue& value, const JsonPlace& place) {
  if (value.kind != JsonKind::kArray) {
    return place.Error("expected an array, got " + std::string(JsonKindName(value.kind)));
  }
  return &value.items;
}

Result<int> ReadEnum(const JsonValue& value, std::span<const EnumName> names,
                     const JsonPlace& place) {
  if (value.kind == JsonKind::kString) {
    for (const EnumName& name : names) {
      if (value.text == name.name) return name.number;
    }
  }
  std::string what = "one of ";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) what.append(", ");
    what.append(QuoteForMessage(names[i].name));
  }
  return Mismatch(value, what, place);
}

std::string EnumToName(std::span<const EnumName> names, int number) {
  for (const EnumName& name : names) {
    if (name.number == number) return std::string(name.name);
  }
  return std::to_string(number);
}

// ----- ObjectReader -----

Result<ObjectReader> ObjectReader::Open(const JsonValue& value, JsonPlace place) {
  if (value.kind != JsonKind::kObject) {
    return place.Error("expected an object, got " + std::string(JsonKindName(value.kind)));
  }
  return ObjectReader(&value, std::move(place));
}

const JsonValue* ObjectReader::Find(std::string_view key) {
  for (std::size_t i = 0; i < object_->members.size(); ++i) {
    if (object_->members[i].key == key) {
      read_[i] = true;
      return &object_->members[i].value;
    }
  }
  return nullptr;
}

Result<const JsonValue*> ObjectReader::Get(std::string_view key) {
  const JsonValue* value = Find(key);
  if (value == nullptr) return PlaceOf(key).Error("required field is missing");
  return value;
}

Result<std::string> ObjectReader::String(std::string_view key) {
  COLEND_ASSIGN_OR_RETURN(const JsonValue* value, Get(key));
  return ReadString(*value, PlaceOf(key));
}

Result<std::string> ObjectReader::NonEmptyString(std::string_view key) {
  COLEND_ASSIGN_OR_RETURN(const JsonValue* value, Get(key));
  return ReadNonEmptyString(*value, PlaceOf(key));
}

Result<std::string> ObjectReader::OptionalString(std::string_view key, std::string fallback) {
  const JsonValue* value = Find(key);
  if (value == nullptr) return fallback;
  return ReadString(*value, PlaceOf(key));
}

Result<std::uint64_t> ObjectReader::Unsigned(std::string_view key, std::uint64_t max) {
  COLEND_ASSIGN_OR_RETURN(const JsonValue* value, Get(key));
  return ReadUnsigned(*value, max, PlaceOf(key));
}

Result<std::uint64_t> ObjectReader::OptionalUnsigned(std::string_view key, std::uint64_t max,
                                                     std::uint64_t fallback) {
  const JsonValue* value = Find(key);
  if (value == nullptr) return fallback;
  return ReadUnsigned(*value, max, PlaceOf(key));
}

Result<std::int64_t> ObjectReader::Signed(std::string_view key) {
  COLEND_ASSIGN_OR_RETURN(const JsonValue* value, Get(key));
  return ReadSigned(*value, PlaceOf(key));
}

Result<Amount> ObjectReader::AmountField(std::string_view key) {
  COLEND_ASSIGN_OR_RETURN(const JsonValue* value, Get(key));
  return ReadAmount(*value, PlaceOf(key));
}

Result<Amount> ObjectReader::OptionalAmount(std::string_view key, Amount fallback) {
  const JsonValue* value = Find(key);
  if (value == nullptr) return fallback;
  return ReadAmount(*value, PlaceOf(key));
}

Result<Bytes> ObjectReader::Hex(std::string_view key, std::size_t size) {
  COLEND_ASSIGN_OR_RETURN(const JsonValue* value, Get(key));
  return ReadHex(*value, size, PlaceOf(key));
}

Result<int> ObjectReader::Enum(std::string_view key, std::span<const EnumName> names) {
  COLEND_ASSIGN_OR_RETURN(const JsonValue* value, Get(key));
  return ReadEnum(*value, names, PlaceOf(key));
}

Result<int> ObjectReader::OptionalEnum(std::string_view key, std::span<const EnumName> names,
                                       int fallback) {
  const JsonValue* value = Find(key);
  if (value == nullptr) return fallback;
  return ReadEnum(*value, names, PlaceOf(key));
}

Status ObjectReader::CheckAllRead() const {
  for (std::size_t i = 0; i < read_.size(); ++i) {
    if (!read_[i]) return PlaceOf(object_->members[i].key).Error("unknown field");
  }
  return Status::Ok();
}

}  // namespace colend::contracts::internal
