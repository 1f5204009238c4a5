// Reading a node's TOML config: every key by name, every problem collected. The writer
// (NodeConfigToToml) is in config_writer.cc.
#include "colend/node/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <system_error>
#include <utility>

#include "colend/common/files.h"
#include "config_internal.h"

namespace colend::node {
namespace {

namespace fs = std::filesystem;

// The problems found so far, one line each.
class Problems {
 public:
  void Add(std::string_view key, std::string_view message, const toml::node* at = nullptr) {
    std::string line(key);
    line += ": ";
    line += message;
    if (at != nullptr && at->source().begin.line > 0) {
      line += " (line " + std::to_string(at->source().begin.line) + ")";
    }
    lines_.push_back(std::move(line));
  }
  bool empty() const { return lines_.empty(); }
  std::string Joined() const {
    std::string out;
    for (const std::string& line : lines_) {
      if (!out.empty()) out += '\n';
      out += line;
    }
    return out;
  }

 private:
  std::vector<std::string> lines_;
};

std::string_view TypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
      return "a date or time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

// The keys each section knows; anything else is an error (NodeConfigKeys lists them all).
constexpr std::string_view kSections[] = {"node", "log", "p2p", "rpc", "txpool"};
constexpr std::string_view kNodeKeys[] = {"id", "data_dir", "genesis_file"};
constexpr std::string_view kLogKeys[] = {"level", "file", "max_file_bytes", "max_files"};
constexpr std::string_view kP2pKeys[] = {"listen",
                                         "node_key_file",
                                         "node_cert_file",
                                         "transport_key_file",
                                         "transport_cert_file",
                                         "ca_cert_file",
                                         "max_frame_bytes",
                                         "send_queue_bytes",
                                         "peers"};
constexpr std::string_view kPeerKeys[] = {"id", "address"};
constexpr std::string_view kRpcKeys[] = {"listen",
                                         "token",
                                         "token_file",
                                         "metrics_require_token",
                                         "max_body_bytes",
                                         "max_response_bytes",
                                         "threads",
                                         "max_connections",
                                         "max_connections_per_address",
                                         "header_timeout_ms",
                                         "body_timeout_ms",
                                         "ws_max_subscriptions",
                                         "ws_max_subscriptions_per_connection",
                                         "ws_max_queue_messages",
                                         "ws_max_queue_bytes"};
constexpr std::string_view kTxPoolKeys[] = {"max_txs",         "max_bytes", "verifier_threads",
                                            "target_drain_ms", "min_txs",   "signer_share_pct"};

std::string Join(std::span<const std::string_view> names) {
  std::string out;
  for (std::string_view name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

std::string Dotted(std::string_view section, std::string_view key) {
  return section.empty() ? std::string(key) : std::string(section) + "." + std::string(key);
}

// Reports every key of `table` not in `known`.
void CheckKeys(const toml::table& table, std::string_view section,
               std::span<const std::string_view> known, Problems& problems) {
  for (const auto& [key, node] : table) {
    if (std::find(known.begin(), known.end(), key.str()) != known.end()) continue;
    problems.Add(Dotted(section, key.str()),
                 "unknown key (" + std::string(section.empty() ? "sections" : "known keys") + ": " +
                     Join(known) + ")",
                 &node);
  }
}

// The permission bits for group and others (0077) are all clear.
bool OwnerOnly(const fs::file_status& status) {
  constexpr fs::perms kGroupOrOthers = fs::perms::group_all | fs::perms::others_all;
  return (status.permissions() & kGroupOrOthers) == fs::perms::none;
}

// "0644".
std::string ModeText(const fs::file_status& status) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o",
                static_cast<unsigned>(status.permissions() & fs::perms::mask));
  return text;
}

// One section's values, read by name with the section's prefix in every message.
class SectionReader {
 public:
  SectionReader(const toml::table* table, std::string section, Problems& problems)
      : table_(table), section_(std::move(section)), problems_(problems) {}

  const toml::node* Find(std::string_view key) const {
    return table_ == nullptr ? nullptr : table_->get(key);
  }

  std::string Name(std::string_view key) const { return Dotted(section_, key); }

  void Problem(std::string_view key, std::string_view message, const toml::node* at) {
    problems_.Add(Name(key), message, at);
  }

  std::optional<std::string> String(std::string_view key, bool required) {
    const toml::node* node = Find(key);
    if (node == nullptr) {
      if (required) problems_.Add(Name(key), "missing (required)");
      return std::nullopt;
    }
    const toml::value<std::string>* value = node->as_string();
    if (value == nullptr) {
      Problem(key, "expected a string, got " + std::string(TypeName(*node)), node);
      return std::nullopt;
    }
    return value->get();
  }

  // Reads an integer in [min, max] into *out (left unchanged when absent or bad).
  template <typename T>
  void Integer(std::string_view key, std::int64_t min, std::uint64_t max, T* out) {
    const toml::node* node = Find(key);
    if (node == nullptr) return;
    const toml::value<std::int64_t>* value = node->as_integer();
    if (value == nullptr) {
      Problem(key, "expected an integer, got " + std::string(TypeName(*node)), node);
      return;
    }
    const std::int64_t v = value->get();
    if (v < min || static_cast<std::uint64_t>(v) > max) {
      Problem(key,
              "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
                  std::to_string(v),
              node);
      return;
    }
    *out = static_cast<T>(v);
  }

  // Reads a boolean into *out (left unchanged when absent or bad).
  void Boolean(std::string_view key, bool* out) {
    const toml::node* node = Find(key);
    if (node == nullptr) return;
    const toml::value<bool>* value = node->as_boolean();
    if (value == nullptr) {
      Problem(key, "expected true or false, got " + std::string(TypeName(*node)), node);
      return;
    }
    *out = value->get();
  }

  // A host:port address; "[v6]:port" for IPv6.
  void Address(std::string_view key, bool required, std::string* host, std::uint16_t* port) {
    std::optional<std::string> text = String(key, required);
    if (!text) return;
    std::string error;
    if (!config_internal::ParseHostPort(*text, host, port, &error)) {
      Problem(key, error, Find(key));
    }
  }

  // kSecretFile: an existing file that holds a secret (a private key, a token), which
  // no one but its owner may read or write.
  enum class PathKind { kExistingFile, kSecretFile, kDirectory, kNewFile };

  // A path resolved against base_dir and checked for what the node will do with it.
  void Path(std::string_view key, bool required, PathKind kind, const fs::path& base_dir,
            fs::path* out) {
    std::optional<std::string> text = String(key, required);
    if (!text) return;
    const toml::node* at = Find(key);
    if (text->empty()) {
      if (required || kind != PathKind::kNewFile) Problem(key, "must not be empty", at);
      return;
    }
    if (text->find('\0') != std::string::npos) {
      Problem(key, "contains a NUL character", at);
      return;
    }
    const fs::path path = config_internal::Resolve(*text, base_dir);
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    const bool exists = fs::exists(status);
    switch (kind) {
      case PathKind::kExistingFile:
      case PathKind::kSecretFile:
        if (!exists) {
          Problem(key, "no such file: " + path.string(), at);
          return;
        }
        if (!fs::is_regular_file(status)) {
          Problem(key, "not a regular file: " + path.string(), at);
          return;
        }
        if (kind == PathKind::kSecretFile && !OwnerOnly(status)) {
          // Anyone else on the machine who can read it has the secret; anyone who can
          // write it can substitute their own. Refused, not warned about: a warning in a
          // log nobody reads leaves the key exposed.
          Problem(key,
                  path.string() + " has mode " + ModeText(status) +
                      ", readable or writable by group or others; it holds a secret and must "
                      "be 0600 or stricter: run chmod 600 " +
                      path.string(),
                  at);
          return;
        }
        break;
      case PathKind::kDirectory:
        if (exists && !fs::is_directory(status)) {
          Problem(key, "exists and is not a directory: " + path.string(), at);
          return;
        }
        break;
      case PathKind::kNewFile:
        if (exists && fs::is_directory(status)) {
          Problem(key, "is a directory, not a file: " + path.string(), at);
          return;
        }
        if (!fs::is_directory(path.parent_path(), ec)) {
          Problem(key, "its directory does not exist: " + path.parent_path().string(), at);
          return;
        }
        break;
    }
    *out = path;
  }

 private:
  const toml::table* table_;
  std::string section_;
  Problems& problems_;
};

// The section `name` of the root, or nullptr if it is absent (reported if required) or not
// a table (reported).
const toml::table* Section(const toml::table& root, std::string_view name, bool required,
                           Problems& problems) {
  const toml::node* node = root.get(name);
  if (node == nullptr) {
    if (required) problems.Add(name, "missing section [" + std::string(name) + "] (required)");
    return nullptr;
  }
  if (!node->is_table()) {
    problems.Add(name, "expected a table, got " + std::string(TypeName(*node)), node);
    return nullptr;
  }
  return node->as_table();
}

bool IsPrintableToken(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

void ReadNode(const toml::table& root, const fs::path& base, Problems& problems, NodeConfig& c) {
  const toml::table* t = Section(root, "node", true, problems);
  if (t != nullptr) CheckKeys(*t, "node", kNodeKeys, problems);
  SectionReader r(t, "node", problems);
  if (std::optional<std::string> id = r.String("id", t != nullptr)) {
    if (id->empty() || !IsPrintableToken(*id)) {
      r.Problem("id", "must be a non-empty node id without spaces, got \"" + *id + "\"",
                r.Find("id"));
    } else {
      c.node_id = *id;
    }
  }
  using Kind = SectionReader::PathKind;
  r.Path("data_dir", t != nullptr, Kind::kDirectory, base, &c.data_dir);
  r.Path("genesis_file", t != nullptr, Kind::kExistingFile, base, &c.genesis_file);
}

void ReadLog(const toml::table& root, const fs::path& base, Problems& problems, NodeConfig& c) {
  const toml::table* t = Section(root, "log", false, problems);
  if (t != nullptr) {
    CheckKeys(*t, "log", kLogKeys, problems);
  }
  SectionReader r(t, "log", problems);
  if (std::optional<std::string> level = r.String("level", false)) {
    if (std::find(std::begin(kLogLevels), std::end(kLogLevels), *level) == std::end(kLogLevels)) {
      r.Problem("level", "must be one of trace, debug, info, warn, error, got \"" + *level + "\"",
                r.Find("level"));
    } else {
      c.log_level = *level;
    }
  }
  r.Path("file", false, SectionReader::PathKind::kNewFile, base, &c.log_file);
  // At least 1 MiB, so a rotation is not a per-second event; at most 64 GiB per file.
  r.Integer("max_file_bytes", std::int64_t{1} << 20, std::uint64_t{64} << 30,
            &c.log_max_file_bytes);
  r.Integer("max_files", 1, 1000, &c.log_max_files);
}

void ReadPeers(const toml::node* node, Problems& problems, NodeConfig& c) {
  if (node == nullptr) return;
  const toml::array* peers = node->as_array();
  if (peers == nullptr) {
    problems.Add("p2p.peers",
                 "expected an array of tables ([[p2p.peers]]), got " + std::string(TypeName(*node)),
                 node);
    return;
  }
  std::set<std::string> ids;
  std::set<std::pair<std::string, std::uint16_t>> addresses;
  for (std::size_t i = 0; i < peers->size(); ++i) {
    const std::string name = "p2p.peers[" + std::to_string(i) + "]";
    const toml::node& entry = (*peers)[i];
    const toml::table* table = entry.as_table();
    if (table == nullptr) {
      problems.Add(name,
                   "expected a table with id and address, got " + std::string(TypeName(entry)),
                   &entry);
      continue;
    }
    CheckKeys(*table, name, kPeerKeys, problems);
    SectionReader r(table, name, problems);
    PeerAddress peer;
    std::optional<std::string> id = r.String("id", true);
    if (id && (id->empty() || !IsPrintableToken(*id))) {
      r.Problem("id", "must be a non-empty node id without spaces", r.Find("id"));
      id.reset();
    } else if (id && *id == c.node_id) {
      r.Problem("id", "is this node's own id \"" + *id + "\"", r.Find("id"));
      id.reset();
    } else if (id && !ids.insert(*id).second) {
      r.Problem("id", "peer \"" + *id + "\" is listed twice", r.Find("id"));
      id.reset();
    }
    const bool address_given = r.Find("address") != nullptr;
    r.Address("address", true, &peer.host, &peer.port);
    if (peer.port != 0 && !addresses.insert({peer.host, peer.port}).second) {
      r.Problem("address", "another peer has the same address", r.Find("address"));
    }
    if (id && address_given && peer.port != 0) {
      peer.node_id = *id;
      c.peers.push_back(std::move(peer));
    }
  }
}

void ReadP2p(const toml::table& root, const fs::path& base, Problems& problems, NodeConfig& c) {
  const toml::table* t = Section(root, "p2p", true, problems);
  if (t != nullptr) {
    CheckKeys(*t, "p2p", kP2pKeys, problems);
  }
  SectionReader r(t, "p2p", problems);
  const bool required = t != nullptr;
  r.Address("listen", required, &c.p2p_host, &c.p2p_port);
  using Kind = SectionReader::PathKind;
  r.Path("node_key_file", required, Kind::kSecretFile, base, &c.node_key_file);
  // A standard chain's certificate holds the node key (node_cert_file); an sm chain's holds a
  // P-256 transport key (transport_key_file + transport_cert_file; docs/sm.md): one or the
  // other.
  const bool transport =
      r.Find("transport_key_file") != nullptr || r.Find("transport_cert_file") != nullptr;
  r.Path("node_cert_file", required && !transport, Kind::kExistingFile, base, &c.node_cert_file);
  if (transport) {
    r.Path("transport_key_file", true, Kind::kSecretFile, base, &c.transport_key_file);
    r.Path("transport_cert_file", true, Kind::kExistingFile, base, &c.transport_cert_file);
    if (r.Find("node_cert_file") != nullptr) {
      r.Problem("node_cert_file",
                "give node_cert_file (a standard chain: the certificate holds the node key) or "
                "transport_key_file and transport_cert_file (an sm chain), not both",
                r.Find("node_cert_file"));
    }
  }
  r.Path("ca_cert_file", required, Kind::kExistingFile, base, &c.ca_cert_file);
  r.Integer("max_frame_bytes", 1 << 10, std::uint64_t{1} << 30, &c.max_frame_bytes);
  r.Integer("send_queue_bytes", 1 << 10, std::uint64_t{16} << 30, &c.peer_send_queue_bytes);
  if (c.peer_send_queue_bytes < c.max_frame_bytes) {
    r.Problem("send_queue_bytes",
              "must be at least p2p.max_frame_bytes (" + std::to_string(c.max_frame_bytes) +
                  "), got " + std::to_string(c.peer_send_queue_bytes),
              r.Find("send_queue_bytes"));
  }
  ReadPeers(r.Find("peers"), problems, c);
}

// The bearer token: from rpc.token_file only (docs/operations.md, "Secrets and logs").
void ReadRpcToken(SectionReader& r, const fs::path& base, NodeConfig& c) {
  // An inline token is refused rather than deprecated with a warning: node.toml is the
  // file that gets shared, backed up and pasted into tickets, usually world-readable, so a
  // token in it is already disclosed, and a warning would let that go on. An empty one (no
  // token, as colend-netgen used to write) discloses nothing and is accepted.
  if (std::optional<std::string> token = r.String("token", false); token && !token->empty()) {
    r.Problem("token",
              "a token written in node.toml is refused (the file is not a secret: it is shared "
              "and backed up); put the token in a file of its own with mode 0600 and name it "
              "with " +
                  std::string(config_keys::kRpcTokenFile),
              r.Find("token"));
  }
  r.Boolean("metrics_require_token", &c.rpc_metrics_require_token);
  if (c.rpc_metrics_require_token && r.Find("token_file") == nullptr) {
    r.Problem(
        "metrics_require_token",
        "is true, but there is no token to require: set " + std::string(config_keys::kRpcTokenFile),
        r.Find("metrics_require_token"));
  }
  fs::path token_file;
  r.Path("token_file", false, SectionReader::PathKind::kSecretFile, base, &token_file);
  if (!token_file.empty()) {
    // A token is a line, never kilobytes: the bound keeps a wrong path (a log file, a
    // device) from being read whole.
    Result<std::string> text = ReadSecretWholeFile(token_file.string(), 4096);
    if (!text.ok()) {
      r.Problem("token_file", text.status().message(), r.Find("token_file"));
      return;
    }
    std::string token = std::move(text).value();
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) {
      token.pop_back();
    }
    if (token.empty() || !IsPrintableToken(token)) {
      r.Problem("token_file",
                "must hold one token of printable ASCII without spaces: " + token_file.string(),
                r.Find("token_file"));
    } else if (token.size() < kMinRpcTokenLength) {
      r.Problem("token_file",
                "the token in " + token_file.string() + " is " + std::to_string(token.size()) +
                    " characters; at least " + std::to_string(kMinRpcTokenLength) +
                    " are required so it cannot be guessed (make one with: openssl rand -hex 32)",
                r.Find("token_file"));
    } else {
      c.rpc_token = std::move(token);
      c.rpc_token_file = token_file;
    }
  }
}

void ReadRpc(const toml::table& root, const fs::path& base, Problems& problems, NodeConfig& c) {
  const toml::table* t = Section(root, "rpc", true, problems);
  if (t != nullptr) {
    CheckKeys(*t, "rpc", kRpcKeys, problems);
  }
  SectionReader r(t, "rpc", problems);
  r.Address("listen", t != nullptr, &c.rpc_host, &c.rpc_port);
  if (c.rpc_port != 0 && c.rpc_port == c.p2p_port && c.rpc_host == c.p2p_host) {
    r.Problem("listen", "is the same address as p2p.listen", r.Find("listen"));
  }
  ReadRpcToken(r, base, c);
  r.Integer("max_body_bytes", 1 << 10, std::uint64_t{64} << 20, &c.rpc_max_body_bytes);
  // At least 64 KiB: below that a batch of ordinary answers would already be cut.
  r.Integer("max_response_bytes", 64 << 10, std::uint64_t{1} << 30, &c.rpc_max_response_bytes);
  r.Integer("threads", 1, 256, &c.rpc_threads);
  // Every open connection is a file descriptor and a buffer; 65,536 is beyond any sane
  // descriptor limit for one process. A per-address limit above max_connections simply
  // means max_connections (the total cap wins), so the two are not cross-checked.
  r.Integer("max_connections", 1, 65'536, &c.rpc_max_connections);
  r.Integer("max_connections_per_address", 1, 65'536, &c.rpc_max_connections_per_address);
  // At least 100 ms: below that a client on a busy link cannot send a request at all.
  r.Integer("header_timeout_ms", 100, 300'000, &c.rpc_header_timeout_ms);
  r.Integer("body_timeout_ms", 100, 600'000, &c.rpc_body_timeout_ms);
  r.Integer("ws_max_subscriptions", 1, 1'000'000, &c.rpc_ws_max_subscriptions);
  r.Integer("ws_max_subscriptions_per_connection", 1, 1'024,
            &c.rpc_ws_max_subscriptions_per_connection);
  // At least 2 messages and 64 KiB: a session catches up while its queue is below half.
  r.Integer("ws_max_queue_messages", 2, 1'000'000, &c.rpc_ws_max_queue_messages);
  r.Integer("ws_max_queue_bytes", 64 << 10, std::uint64_t{1} << 30, &c.rpc_ws_max_queue_bytes);
}

void ReadTxPool(const toml::table& root, Problems& problems, NodeConfig& c) {
  const toml::table* t = Section(root, "txpool", false, problems);
  if (t != nullptr) {
    CheckKeys(*t, "txpool", kTxPoolKeys, problems);
  }
  SectionReader r(t, "txpool", problems);
  r.Integer("max_txs", 1, 10'000'000, &c.pool_max_txs);
  r.Integer("target_drain_ms", 100, 60'000, &c.pool_target_drain_ms);
  r.Integer("min_txs", 1, 10'000'000, &c.pool_min_txs);
  r.Integer("signer_share_pct", 1, 100, &c.pool_signer_share_pct);
  // min_txs above max_txs simply means max_txs (the hard cap wins).
  r.Integer("max_bytes", 1 << 10, std::uint64_t{64} << 30, &c.pool_max_bytes);
  r.Integer("verifier_threads", 1, 256, &c.verifier_threads);
}

}  // namespace

Result<NodeConfig> ParseNodeConfig(std::string_view toml_text, const fs::path& base_dir) {
  toml::table root;
#if TOML_EXCEPTIONS
  try {
    root = toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument(config_internal::DescribeSyntaxError(
        e.description(), e.source().begin.line, e.source().begin.column));
  }
#else
  toml::parse_result parsed = toml::parse(toml_text);
  if (!parsed) {
    return Status::InvalidArgument(config_internal::DescribeSyntaxError(
        parsed.error().description(), parsed.error().source().begin.line,
        parsed.error().source().begin.column));
  }
  root = std::move(parsed).table();
#endif
  const fs::path base = fs::absolute(base_dir).lexically_normal();
  Problems problems;
  NodeConfig config;
  CheckKeys(root, "", kSections, problems);
  ReadNode(root, base, problems, config);
  ReadLog(root, base, problems, config);
  ReadP2p(root, base, problems, config);
  ReadRpc(root, base, problems, config);
  ReadTxPool(root, problems, config);
  if (!problems.empty()) return Status::InvalidArgument(problems.Joined());
  return config;
}

Result<NodeConfig> LoadNodeConfig(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::NotFound("cannot read config file " + file.string());
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::IoError("error reading config file " + file.string());
  const fs::path dir = fs::absolute(file).parent_path();
  Result<NodeConfig> config = ParseNodeConfig(text.str(), dir);
  if (!config.ok()) {
    return Status(config.status().code(),
                  "config file " + file.string() + ":\n" + config.status().message());
  }
  return config;
}

std::vector<std::string> NodeConfigKeys() {
  std::vector<std::string> keys;
  auto add = [&](std::string_view section, std::span<const std::string_view> names) {
    for (std::string_view name : names) {
      if (name == "peers") continue;  // a list of tables, listed by its own keys below
      keys.push_back(Dotted(section, name));
    }
  };
  add("node", kNodeKeys);
  add("log", kLogKeys);
  add("p2p", kP2pKeys);
  add("p2p.peers", kPeerKeys);
  add("rpc", kRpcKeys);
  add("txpool", kTxPoolKeys);
  return keys;
}

}  // namespace colend::node
