// A strict JSON document model and writer for the codecs of docs/api.md (transactions, genesis).
//
// Private to colend_contracts: Boost.JSON's SAX parser does the tokenising and UTF-8
// checking; this layer adds what the codecs need and Boost's DOM does not give:
//   - duplicate keys are an error (Boost's DOM silently keeps one of them), reported with the
//     key's path;
//   - numbers keep whether they were written as integers, so "1e3" or "8000.00" can be
//     refused where an integer is expected;
//   - nesting depth and input size are bounded, so hostile input cannot exhaust the stack.
// Members keep their document order; the codecs look keys up by name.
//
// The writer produces the canonical forms the codecs print: a fixed key order chosen by the
// caller, no insignificant whitespace (compact) or two-space indentation (indented), and
// valid UTF-8 whatever the input strings hold (invalid sequences become U+FFFD).
// Thread safety: values and writers are plain objects owned by one thread at a time.
#ifndef COLEND_CONTRACTS_SRC_JSON_DOCUMENT_H_
#define COLEND_CONTRACTS_SRC_JSON_DOCUMENT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>

#include "colend/common/result.h"

namespace colend::contracts::internal {

enum class JsonKind : std::uint8_t {
  kNull,
  kBool,
  kInteger,  // written without fraction or exponent and within the 64-bit range
  kNumber,   // any other number: 1.5, 1e3, 123456789012345678901234
  kString,
  kArray,
  kObject,
};

// "null", "boolean", "number", "string", "array", "object": for error sentences (integers
// are numbers to the reader).
std::string_view JsonKindName(JsonKind kind);

struct JsonMember;

struct JsonValue {
  JsonKind kind = JsonKind::kNull;
  bool boolean = false;          // kBool
  bool negative = false;         // kInteger: the sign
  std::uint64_t magnitude = 0;   // kInteger: the absolute value
  std::string text;              // kString: the value; kInteger/kNumber: as written
  std::vector<JsonValue> items;  // kArray
  // kObject, in document order. A vector of a type completed below is allowed (C++17);
  // a std::pair of an incomplete type is not (clang rejects it).
  std::vector<JsonMember> members;
};

struct JsonMember {
  std::string key;
  JsonValue value;
};

// How an error names the place it is about:
//   kQuotedField  field "limits.PARTNER_A.max_outstanding": ...   (transactions)
//   kBarePath     members[2].client_keys[0].public_key: ...       (genesis)
enum class PathStyle : std::uint8_t { kQuotedField, kBarePath };

// "a" + "b" = "a.b"; "" + "b" = "b".
std::string JoinPath(std::string_view parent, std::string_view key);
// "a" + 2 = "a[2]".
std::string IndexPath(std::string_view parent, std::size_t index);
// The InvalidArgument status "<place>: <message>", the place written in `style`; an empty
// path names the whole document.
Status PathError(PathStyle style, std::string_view path, std::string_view message);

struct JsonParseOptions {
  std::size_t max_bytes = 1 << 20;
  std::size_t max_depth = 16;
  PathStyle style = PathStyle::kQuotedField;
};

// Parses exactly one JSON value, surrounded by nothing but whitespace. Never throws and
// never aborts: every malformed, oversized, too deep or duplicate-keyed input is an
// InvalidArgument status with a sentence (a syntax error names its byte offset).
Result<JsonValue> ParseJson(std::string_view text, const JsonParseOptions& options);

// Builds one JSON text. The caller pairs every Begin with its End and puts exactly one
// value after each Key; the writer adds the punctuation and whitespace.
class JsonWriter {
 public:
  // kValue builds the document as a Boost.JSON value instead of text (TakeValue): members in
  // the order written, strings made valid UTF-8 as in the text forms. For a caller that
  // embeds the document in a larger one, so that nobody parses text this module wrote.
  enum class Layout : std::uint8_t { kCompact, kIndented, kValue };

  explicit JsonWriter(Layout layout = Layout::kCompact) : layout_(layout) {}

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view value);
  JsonWriter& Unsigned(std::uint64_t value);
  JsonWriter& Signed(std::int64_t value);
  JsonWriter& Bool(bool value);

  // The text written; an indented document ends with a newline. REQUIRES: not kValue.
  std::string Finish() &&;
  // The document built. REQUIRES: kValue, and every object and array ended.
  boost::json::value TakeValue() &&;

 private:
  struct Level {
    bool object = false;
    bool empty = true;
  };

  void BeforeValue();
  void NewLineAndIndent(std::size_t depth);
  void WriteQuoted(std::string_view value);
  // kValue: adds `value` to the open object (under the pending key) or array, or makes it
  // the document.
  void AddValue(boost::json::value value);

  Layout layout_;
  std::vector<Level> levels_;
  bool after_key_ = false;
  std::string out_;
  std::vector<boost::json::value> open_;  // kValue: the objects and arrays not yet ended
  std::vector<std::string> keys_;         // kValue: the pending key of each open object
  boost::json::value root_;               // kValue: the document once its outermost value ends
};

// The standard base64 alphabet with padding, as in PEM bodies.
std::string Base64Encode(std::string_view bytes);

// A PEM block of `label` around `der`: 64 base64 characters a line and a final newline,
// the form OpenSSL writes.
std::string PemEncode(std::string_view label, std::string_view der);

}  // namespace colend::contracts::internal

#endif  // COLEND_CONTRACTS_SRC_JSON_DOCUMENT_H_
