#include "json_document.h"

#include <boost/json/array.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>

#include <algorithm>
#include <exception>
#include <optional>

#include "utf8.h"

namespace colend::contracts::internal {
namespace {

namespace bj = boost::json;

// Builds a JsonValue tree from Boost's SAX events. Containers under construction sit on an
// explicit stack (the parser bounds its depth), so nothing here recurses.
class DomBuilder {
 public:
  // Boost's handler limits. Inputs are bounded by size before parsing, so these only need to
  // be large enough for any accepted document.
  static constexpr std::size_t max_array_size = std::size_t{1} << 24;
  static constexpr std::size_t max_object_size = std::size_t{1} << 24;
  static constexpr std::size_t max_string_size = std::size_t{1} << 26;
  static constexpr std::size_t max_key_size = std::size_t{1} << 16;

  explicit DomBuilder(PathStyle style) : style_(style) {}

  bool on_document_begin(bj::error_code& /*ec*/) { return true; }
  bool on_document_end(bj::error_code& /*ec*/) { return true; }

  bool on_array_begin(bj::error_code& /*ec*/) { return Open(JsonKind::kArray); }
  bool on_array_end(std::size_t /*n*/, bj::error_code& ec) { return Close(ec); }
  bool on_object_begin(bj::error_code& /*ec*/) { return Open(JsonKind::kObject); }
  bool on_object_end(std::size_t /*n*/, bj::error_code& ec) {
    return CheckDuplicateKeys(ec) && Close(ec);
  }

  bool on_string_part(bj::string_view s, std::size_t /*n*/, bj::error_code& /*ec*/) {
    buffer_.append(s.data(), s.size());
    return true;
  }
  bool on_string(bj::string_view s, std::size_t /*n*/, bj::error_code& ec) {
    buffer_.append(s.data(), s.size());
    JsonValue value;
    value.kind = JsonKind::kString;
    value.text = std::move(buffer_);
    buffer_.clear();
    return Add(std::move(value), ec);
  }
  bool on_key_part(bj::string_view s, std::size_t /*n*/, bj::error_code& /*ec*/) {
    buffer_.append(s.data(), s.size());
    return true;
  }
  bool on_key(bj::string_view s, std::size_t /*n*/, bj::error_code& /*ec*/) {
    buffer_.append(s.data(), s.size());
    stack_.back().members.push_back(JsonMember{std::move(buffer_), JsonValue()});
    buffer_.clear();
    return true;
  }

  bool on_number_part(bj::string_view s, bj::error_code& /*ec*/) {
    number_.append(s.data(), s.size());
    return true;
  }
  bool on_int64(std::int64_t i, bj::string_view s, bj::error_code& ec) {
    const bool negative = i < 0;
    // |INT64_MIN| does not fit in int64; compute the magnitude in unsigned arithmetic.
    const std::uint64_t magnitude =
        negative ? std::uint64_t{0} - static_cast<std::uint64_t>(i) : static_cast<std::uint64_t>(i);
    return AddNumber(JsonKind::kInteger, negative, magnitude, s, ec);
  }
  bool on_uint64(std::uint64_t u, bj::string_view s, bj::error_code& ec) {
    return AddNumber(JsonKind::kInteger, false, u, s, ec);
  }
  bool on_double(double /*d*/, bj::string_view s, bj::error_code& ec) {
    return AddNumber(JsonKind::kNumber, false, 0, s, ec);
  }
  bool on_bool(bool b, bj::error_code& ec) {
    JsonValue value;
    value.kind = JsonKind::kBool;
    value.boolean = b;
    return Add(std::move(value), ec);
  }
  bool on_null(bj::error_code& ec) { return Add(JsonValue(), ec); }

  // Comments are disabled in the parse options; these are never called.
  bool on_comment_part(bj::string_view /*s*/, bj::error_code& /*ec*/) { return true; }
  bool on_comment(bj::string_view /*s*/, bj::error_code& /*ec*/) { return true; }

  const Status& failure() const { return failure_; }
  std::optional<JsonValue>& root() { return root_; }

 private:
  bool Open(JsonKind kind) {
    stack_.emplace_back().kind = kind;
    return true;
  }

  bool Close(bj::error_code& ec) {
    JsonValue done = std::move(stack_.back());
    stack_.pop_back();
    return Add(std::move(done), ec);
  }

  bool AddNumber(JsonKind kind, bool negative, std::uint64_t magnitude, bj::string_view s,
                 bj::error_code& ec) {
    JsonValue value;
    value.kind = kind;
    value.text = std::move(number_);
    number_.clear();
    value.text.append(s.data(), s.size());
    // "-0" is an integer with a sign: a field that wants a non-negative integer refuses it.
    value.negative = negative || (!value.text.empty() && value.text.front() == '-');
    value.magnitude = magnitude;
    return Add(std::move(value), ec);
  }

  bool Add(JsonValue value, bj::error_code& /*ec*/) {
    if (stack_.empty()) {
      root_ = std::move(value);
    } else if (stack_.back().kind == JsonKind::kArray) {
      stack_.back().items.push_back(std::move(value));
    } else {
      stack_.back().members.back().value = std::move(value);
    }
    return true;
  }

  // The path of the innermost open container.
  std::string OpenPath() const {
    std::string path;
    for (std::size_t i = 0; i + 1 < stack_.size(); ++i) {
      const JsonValue& frame = stack_[i];
      path = frame.kind == JsonKind::kArray ? IndexPath(path, frame.items.size())
                                            : JoinPath(path, frame.members.back().key);
    }
    return path;
  }

  bool CheckDuplicateKeys(bj::error_code& ec) {
    const auto& members = stack_.back().members;
    std::vector<std::string_view> keys;
    keys.reserve(members.size());
    for (const auto& member : members) keys.emplace_back(member.key);
    std::sort(keys.begin(), keys.end());
    const auto duplicate = std::adjacent_find(keys.begin(), keys.end());
    if (duplicate == keys.end()) return true;
    failure_ = PathError(style_, JoinPath(OpenPath(), *duplicate), "duplicate key");
    ec = bj::error::syntax;
    return false;
  }

  PathStyle style_;
  std::vector<JsonValue> stack_;
  std::optional<JsonValue> root_;
  std::string buffer_;  // the string or key being read
  std::string number_;  // the number being read
  Status failure_;
};

// Appends `s` as the inside of a JSON string literal, replacing invalid UTF-8 with U+FFFD.
void AppendEscaped(std::string_view s, std::string* out) {
  static constexpr char kHexDigits[] = "0123456789abcdef";
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out->append("\\\"");
          break;
        case '\\':
          out->append("\\\\");
          break;
        case '\n':
          out->append("\\n");
          break;
        case '\r':
          out->append("\\r");
          break;
        case '\t':
          out->append("\\t");
          break;
        case '\b':
          out->append("\\b");
          break;
        case '\f':
          out->append("\\f");
          break;
        default:
          if (c < 0x20 || c == 0x7f) {
            out->append("\\u00");
            out->push_back(kHexDigits[c >> 4]);
            out->push_back(kHexDigits[c & 0xf]);
          } else {
            out->push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    const std::size_t length = Utf8SequenceLength(s, i);
    const bool valid = length != 0;
    if (valid) {
      out->append(s.substr(i, length));
      i += length;
    } else {
      out->append("\xef\xbf\xbd");  // U+FFFD
      ++i;
    }
  }
}

}  // namespace

std::string_view JsonKindName(JsonKind kind) {
  switch (kind) {
    case JsonKind::kNull:
      return "null";
    case JsonKind::kBool:
      return "boolean";
    case JsonKind::kInteger:
    case JsonKind::kNumber:
      return "number";
    case JsonKind::kString:
      return "string";
    case JsonKind::kArray:
      return "array";
    case JsonKind::kObject:
      return "object";
  }
  return "value";
}

std::string JoinPath(std::string_view parent, std::string_view key) {
  std::string path(parent);
  if (!path.empty()) path.push_back('.');
  path.append(key);
  return path;
}

std::string IndexPath(std::string_view parent, std::size_t index) {
  return std::string(parent) + "[" + std::to_string(index) + "]";
}

Status PathError(PathStyle style, std::string_view path, std::string_view message) {
  if (path.empty()) return Status::InvalidArgument(std::string(message));
  std::string text;
  if (style == PathStyle::kQuotedField) {
    text.append("field \"").append(path).append("\"");
  } else {
    text.append(path);
  }
  text.append(": ").append(message);
  return Status::InvalidArgument(std::move(text));
}

Result<JsonValue> ParseJson(std::string_view text, const JsonParseOptions& options) {
  if (text.size() > options.max_bytes) {
    return Status::InvalidArgument("JSON document is " + std::to_string(text.size()) +
                                   " bytes; at most " + std::to_string(options.max_bytes) +
                                   " are accepted");
  }
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return Status::InvalidArgument("invalid JSON: the input is empty");
  }
  // Boost may throw (allocation failure); nothing leaves this function but a Status.
  try {
    bj::parse_options parse_options;
    parse_options.max_depth = options.max_depth;
    bj::basic_parser<DomBuilder> parser(parse_options, options.style);
    bj::error_code ec;
    const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
    if (!parser.handler().failure().ok()) return parser.handler().failure();
    if (ec == bj::error::too_deep) {
      return Status::InvalidArgument("invalid JSON: nested deeper than " +
                                     std::to_string(options.max_depth) + " levels");
    }
    if (ec) {
      return Status::InvalidArgument("invalid JSON at byte " + std::to_string(used) + ": " +
                                     ec.message());
    }
    if (used != text.size()) {
      return Status::InvalidArgument("invalid JSON at byte " + std::to_string(used) +
                                     ": unexpected text after the JSON value");
    }
    std::optional<JsonValue>& root = parser.handler().root();
    if (!root.has_value()) return Status::InvalidArgument("invalid JSON: no value");
    return std::move(*root);
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("cannot parse JSON: ") + e.what());
  }
}

// ----- JsonWriter -----

void JsonWriter::NewLineAndIndent(std::size_t depth) {
  if (layout_ != Layout::kIndented) return;
  out_.push_back('\n');
  out_.append(2 * depth, ' ');
}

void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (levels_.empty()) return;
  Level& level = levels_.back();
  if (!level.empty) out_.push_back(',');
  level.empty = false;
  NewLineAndIndent(levels_.size());
}

void JsonWriter::WriteQuoted(std::string_view value) {
  out_.push_back('"');
  AppendEscaped(value, &out_);
  out_.push_back('"');
}

namespace {

// The valid UTF-8 form of `s`, invalid sequences replaced by U+FFFD (as AppendEscaped).
std::string ValidUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t length = Utf8SequenceLength(s, i);
    if (length == 0) {
      out.append("\xef\xbf\xbd");  // U+FFFD
      ++i;
    } else {
      out.append(s.substr(i, length));
      i += length;
    }
  }
  return out;
}

}  // namespace

void JsonWriter::AddValue(boost::json::value value) {
  if (open_.empty()) {
    root_ = std::move(value);
  } else if (open_.back().is_object()) {
    open_.back().as_object()[keys_.back()] = std::move(value);
  } else {
    open_.back().as_array().push_back(std::move(value));
  }
}

JsonWriter& JsonWriter::BeginObject() {
  if (layout_ == Layout::kValue) {
    open_.emplace_back(boost::json::object());
    keys_.emplace_back();
    return *this;
  }
  BeforeValue();
  out_.push_back('{');
  levels_.push_back(Level{true, true});
  return *this;
}

JsonWriter& JsonWriter::EndObject() {
  if (layout_ == Layout::kValue) {
    boost::json::value done = std::move(open_.back());
    open_.pop_back();
    keys_.pop_back();
    AddValue(std::move(done));
    return *this;
  }
  const bool empty = levels_.back().empty;
  levels_.pop_back();
  if (!empty) NewLineAndIndent(levels_.size());
  out_.push_back('}');
  return *this;
}

JsonWriter& JsonWriter::BeginArray() {
  if (layout_ == Layout::kValue) {
    open_.emplace_back(boost::json::array());
    return *this;
  }
  BeforeValue();
  out_.push_back('[');
  levels_.push_back(Level{false, true});
  return *this;
}

JsonWriter& JsonWriter::EndArray() {
  if (layout_ == Layout::kValue) {
    boost::json::value done = std::move(open_.back());
    open_.pop_back();
    AddValue(std::move(done));
    return *this;
  }
  const bool empty = levels_.back().empty;
  levels_.pop_back();
  if (!empty) NewLineAndIndent(levels_.size());
  out_.push_back(']');
  return *this;
}

JsonWriter& JsonWriter::Key(std::string_view key) {
  if (layout_ == Layout::kValue) {
    keys_.back() = ValidUtf8(key);
    return *this;
  }
  BeforeValue();
  WriteQuoted(key);
  out_.push_back(':');
  if (layout_ == Layout::kIndented) out_.push_back(' ');
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::String(std::string_view value) {
  if (layout_ == Layout::kValue) {
    AddValue(boost::json::string(ValidUtf8(value)));
    return *this;
  }
  BeforeValue();
  WriteQuoted(value);
  return *this;
}

JsonWriter& JsonWriter::Unsigned(std::uint64_t value) {
  if (layout_ == Layout::kValue) {
    AddValue(value);
    return *this;
  }
  BeforeValue();
  out_.append(std::to_string(value));
  return *this;
}

JsonWriter& JsonWriter::Signed(std::int64_t value) {
  if (layout_ == Layout::kValue) {
    AddValue(value);
    return *this;
  }
  BeforeValue();
  out_.append(std::to_string(value));
  return *this;
}

JsonWriter& JsonWriter::Bool(bool value) {
  if (layout_ == Layout::kValue) {
    AddValue(value);
    return *this;
  }
  BeforeValue();
  out_.append(value ? "true" : "false");
  return *this;
}

std::string JsonWriter::Finish() && {
  if (layout_ == Layout::kIndented) out_.push_back('\n');
  return std::move(out_);
}

boost::json::value JsonWriter::TakeValue() && { return std::move(root_); }

// ----- base64 / PEM -----

std::string Base64Encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t group = (std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16) |
                                (std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8) |
                                std::uint32_t{static_cast<unsigned char>(bytes[i + 2])};
    out.push_back(kAlphabet[(group >> 18) & 0x3f]);
    out.push_back(kAlphabet[(group >> 12) & 0x3f]);
    out.push_back(kAlphabet[(group >> 6) & 0x3f]);
    out.push_back(kAlphabet[group & 0x3f]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t group = std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16;
    if (rest == 2) group |= std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8;
    out.push_back(kAlphabet[(group >> 18) & 0x3f]);
    out.push_back(kAlphabet[(group >> 12) & 0x3f]);
    out.push_back(rest == 2 ? kAlphabet[(group >> 6) & 0x3f] : '=');
    out.push_back('=');
  }
  return out;
}

std::string PemEncode(std::string_view label, std::string_view der) {
  const std::string body = Base64Encode(der);
  std::string pem = "-----BEGIN " + std::string(label) + "-----\n";
  for (std::size_t i = 0; i < body.size(); i += 64) {
    pem.append(body, i, 64);
    pem.push_back('\n');
  }
  pem.append("-----END ").append(label).append("-----\n");
  return pem;
}

}  // namespace colend::contracts::internal
