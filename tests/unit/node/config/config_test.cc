// The node's TOML config: a valid file reads and round-trips; every bad, missing or unknown
// value is reported by its name, all of them at once.
#include "colend/node/config.h"

#include <filesystem>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "colend/testutil/process_util.h"

namespace colend::node {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

// 40 characters: above the 32 the parser requires.
constexpr char kToken[] = "s3cret-token-0123456789abcdef0123456789";

constexpr char kValid[] = R"(# a localnet node
[node]
id = "LEAD"
data_dir = "data"
genesis_file = "genesis.json"

[log]
level = "debug"
file = "logs/node.log"
max_file_bytes = 2097152
max_files = 3

[p2p]
listen = "127.0.0.1:30300"
node_key_file = "keys/node.key.pem"
node_cert_file = "keys/node.cert.pem"
ca_cert_file = "ca.cert.pem"
max_frame_bytes = 8388608
send_queue_bytes = 33554432

[[p2p.peers]]
id = "PARTNER_A"
address = "127.0.0.1:30301"

[[p2p.peers]]
id = "PARTNER_B"
address = "[::1]:30302"

[rpc]
listen = "127.0.0.1:8545"
token_file = "rpc.token"
metrics_require_token = true
max_body_bytes = 2097152
max_response_bytes = 1048576
threads = 4
max_connections = 512
max_connections_per_address = 16
header_timeout_ms = 5000
body_timeout_ms = 20000
ws_max_subscriptions = 200
ws_max_subscriptions_per_connection = 4
ws_max_queue_messages = 64
ws_max_queue_bytes = 1048576

[txpool]
max_txs = 5000
max_bytes = 1048576
verifier_threads = 3
target_drain_ms = 1500
min_txs = 2500
signer_share_pct = 40
)";

class ConfigTest : public ::testing::Test {
 protected:
  ConfigTest() : scratch_("colend-config") {
    dir_ = fs::path(scratch_.Path("node"));
    fs::create_directories(dir_ / "keys");
    fs::create_directories(dir_ / "logs");
    for (const char* file :
         {"genesis.json", "keys/node.key.pem", "keys/node.cert.pem", "ca.cert.pem"}) {
      testutil::WriteFile((dir_ / file).string(), "x");
    }
    testutil::WriteFile((dir_ / "rpc.token").string(), std::string(kToken) + "\n");
    // Secrets are the owner's alone, as the parser requires; the files a test writes get
    // whatever the umask gives (usually 0644).
    SetMode("keys/node.key.pem", kOwnerOnly);
    SetMode("rpc.token", kOwnerOnly);
  }

  static constexpr fs::perms kOwnerOnly = fs::perms::owner_read | fs::perms::owner_write;

  void SetMode(const std::string& file, fs::perms mode) {
    fs::permissions(dir_ / file, mode, fs::perm_options::replace);
  }

  // kValid with `from` replaced by `to`. REQUIRES: `from` occurs in kValid.
  static std::string With(const std::string& from, const std::string& to) {
    std::string text = kValid;
    const std::size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) text.replace(at, from.size(), to);
    return text;
  }

  // The error message of parsing `text`; fails the test if it parses.
  std::string ErrorOf(const std::string& text) {
    Result<NodeConfig> parsed = ParseNodeConfig(text, dir_);
    EXPECT_FALSE(parsed.ok()) << text;
    if (parsed.ok()) return "";
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
    return parsed.status().message();
  }

  testutil::ScratchDir scratch_;
  fs::path dir_;
};

TEST_F(ConfigTest, ValidFileReadsEveryValue) {
  Result<NodeConfig> parsed = ParseNodeConfig(kValid, dir_);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const NodeConfig& c = *parsed;
  EXPECT_EQ(c.node_id, "LEAD");
  EXPECT_EQ(c.data_dir, dir_ / "data");
  EXPECT_EQ(c.genesis_file, dir_ / "genesis.json");
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(c.log_file, dir_ / "logs" / "node.log");
  EXPECT_EQ(c.log_max_file_bytes, 2097152u);
  EXPECT_EQ(c.log_max_files, 3u);
  EXPECT_EQ(c.p2p_host, "127.0.0.1");
  EXPECT_EQ(c.p2p_port, 30300);
  EXPECT_EQ(c.node_key_file, dir_ / "keys" / "node.key.pem");
  EXPECT_EQ(c.node_cert_file, dir_ / "keys" / "node.cert.pem");
  EXPECT_EQ(c.ca_cert_file, dir_ / "ca.cert.pem");
  EXPECT_EQ(c.max_frame_bytes, 8388608u);
  EXPECT_EQ(c.peer_send_queue_bytes, 33554432u);
  ASSERT_EQ(c.peers.size(), 2u);
  EXPECT_EQ(c.peers[0], (PeerAddress{"PARTNER_A", "127.0.0.1", 30301}));
  EXPECT_EQ(c.peers[1], (PeerAddress{"PARTNER_B", "::1", 30302}));
  EXPECT_EQ(c.rpc_host, "127.0.0.1");
  EXPECT_EQ(c.rpc_port, 8545);
  EXPECT_EQ(c.rpc_token, kToken);  // the trailing newline dropped
  EXPECT_EQ(c.rpc_token_file, dir_ / "rpc.token");
  EXPECT_TRUE(c.rpc_metrics_require_token);
  EXPECT_EQ(c.rpc_max_body_bytes, 2097152u);
  EXPECT_EQ(c.rpc_max_response_bytes, 1048576u);
  EXPECT_EQ(c.rpc_ws_max_subscriptions, 200u);
  EXPECT_EQ(c.rpc_ws_max_subscriptions_per_connection, 4u);
  EXPECT_EQ(c.rpc_ws_max_queue_messages, 64u);
  EXPECT_EQ(c.rpc_ws_max_queue_bytes, 1048576u);
  EXPECT_EQ(c.rpc_threads, 4u);
  EXPECT_EQ(c.rpc_max_connections, 512u);
  EXPECT_EQ(c.rpc_max_connections_per_address, 16u);
  EXPECT_EQ(c.rpc_header_timeout_ms, 5000u);
  EXPECT_EQ(c.rpc_body_timeout_ms, 20000u);
  EXPECT_EQ(c.pool_max_txs, 5000u);
  EXPECT_EQ(c.pool_max_bytes, 1048576u);
  EXPECT_EQ(c.verifier_threads, 3u);
  EXPECT_EQ(c.pool_target_drain_ms, 1500u);
  EXPECT_EQ(c.pool_min_txs, 2500u);
  EXPECT_EQ(c.pool_signer_share_pct, 40u);
}

// The names other messages use for settings (config_keys) are the parser's own: a bad value
// of each is reported under exactly that name.
TEST_F(ConfigTest, ConfigKeyNamesAreTheParsersOwn) {
  namespace k = config_keys;
  const std::pair<std::string, std::pair<std::string, std::string>> cases[] = {
      {k::kNodeId, {"[node]\nid = \"LEAD\"", "[node]\nid = 5"}},
      {k::kNodeDataDir, {"data_dir = \"data\"", "data_dir = 5"}},
      {k::kNodeGenesisFile, {"genesis_file = \"genesis.json\"", "genesis_file = \"none.json\""}},
      {k::kLogFile, {"file = \"logs/node.log\"", "file = \"nodir/node.log\""}},
      {k::kLogMaxFileBytes, {"max_file_bytes = 2097152", "max_file_bytes = 1"}},
      {k::kLogMaxFiles, {"max_files = 3", "max_files = 0"}},
      {k::kRpcToken, {"token_file = \"rpc.token\"", "token = \"inline\""}},
      {k::kRpcTokenFile, {"token_file = \"rpc.token\"", "token_file = \"none\""}},
      {k::kRpcMetricsRequireToken, {"metrics_require_token = true", "metrics_require_token = 1"}},
      {k::kP2pListen, {"listen = \"127.0.0.1:30300\"", "listen = \"abc\""}},
      {k::kP2pNodeKeyFile, {"node_key_file = \"keys/node.key.pem\"", "node_key_file = \"no.pem\""}},
      {k::kP2pNodeCertFile,
       {"node_cert_file = \"keys/node.cert.pem\"", "node_cert_file = \"no.pem\""}},
      {k::kP2pCaCertFile, {"ca_cert_file = \"ca.cert.pem\"", "ca_cert_file = \"no.pem\""}},
      {k::kP2pMaxFrameBytes, {"max_frame_bytes = 8388608", "max_frame_bytes = 1"}},
      {k::kRpcMaxConnections, {"max_connections = 512", "max_connections = 0"}},
      {k::kRpcMaxConnectionsPerAddress,
       {"max_connections_per_address = 16", "max_connections_per_address = 0"}},
      {k::kRpcHeaderTimeoutMs, {"header_timeout_ms = 5000", "header_timeout_ms = 1"}},
      {k::kRpcBodyTimeoutMs, {"body_timeout_ms = 20000", "body_timeout_ms = 1"}},
  };
  for (const auto& [key, edit] : cases) {
    const std::string error = ErrorOf(With(edit.first, edit.second));
    EXPECT_NE(error.find(key + ":"), std::string::npos) << key << " not named in: " << error;
  }
}

// An sm chain's node names a P-256 transport key and certificate instead of node_cert_file
// (docs/sm.md); both, only those, and the key is a secret.
TEST_F(ConfigTest, SmTransportFilesReplaceTheNodeCertificate) {
  testutil::WriteFile((dir_ / "keys/transport.key.pem").string(), "x");
  testutil::WriteFile((dir_ / "keys/transport.crt.pem").string(), "x");
  SetMode("keys/transport.key.pem", kOwnerOnly);
  const std::string node_cert = "node_cert_file = \"keys/node.cert.pem\"";
  const std::string transport =
      "transport_key_file = \"keys/transport.key.pem\"\n"
      "transport_cert_file = \"keys/transport.crt.pem\"";
  Result<NodeConfig> parsed = ParseNodeConfig(With(node_cert, transport), dir_);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->node_cert_file.empty());
  EXPECT_EQ(parsed->transport_key_file, dir_ / "keys" / "transport.key.pem");
  EXPECT_EQ(parsed->transport_cert_file, dir_ / "keys" / "transport.crt.pem");
  Result<NodeConfig> again = ParseNodeConfig(NodeConfigToToml(*parsed), dir_);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->transport_key_file, parsed->transport_key_file);
  EXPECT_EQ(again->transport_cert_file, parsed->transport_cert_file);
  EXPECT_TRUE(again->node_cert_file.empty());

  EXPECT_THAT(ErrorOf(With(node_cert, node_cert + "\n" + transport)),
              HasSubstr("p2p.node_cert_file: give node_cert_file"));
  EXPECT_THAT(ErrorOf(With(node_cert, "transport_key_file = \"keys/transport.key.pem\"")),
              HasSubstr("p2p.transport_cert_file:"));
  SetMode("keys/transport.key.pem", fs::perms::owner_read | fs::perms::group_read);
  EXPECT_THAT(ErrorOf(With(node_cert, transport)), HasSubstr("p2p.transport_key_file:"));
  // Neither: node_cert_file is required, as before.
  EXPECT_THAT(ErrorOf(With(node_cert, "")), HasSubstr("p2p.node_cert_file:"));
}

TEST_F(ConfigTest, RoundTripsThroughToml) {
  Result<NodeConfig> parsed = ParseNodeConfig(kValid, dir_);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  NodeConfig c = *parsed;
  c.node_id = "LEAD \"quoted\"\\bank";  // escapes survive (and then fail the id check below)
  const std::string text = NodeConfigToToml(c);
  Result<NodeConfig> again = ParseNodeConfig(text, "/somewhere/else");
  ASSERT_FALSE(again.ok());  // the id has a space
  EXPECT_THAT(again.status().message(), HasSubstr("node.id"));

  c.node_id = "LEAD\"\\x";
  c.log_file.clear();
  Result<NodeConfig> round = ParseNodeConfig(NodeConfigToToml(c), "/somewhere/else");
  ASSERT_TRUE(round.ok()) << round.status() << "\n" << NodeConfigToToml(c);
  EXPECT_EQ(*round, c);
}

TEST_F(ConfigTest, RoundTripsWithATokenFileWithoutWritingTheToken) {
  Result<NodeConfig> parsed = ParseNodeConfig(kValid, dir_);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const std::string text = NodeConfigToToml(*parsed);
  EXPECT_THAT(text, Not(HasSubstr(kToken)));  // the secret stays in its file
  Result<NodeConfig> round = ParseNodeConfig(text, "/");
  ASSERT_TRUE(round.ok()) << round.status();
  EXPECT_EQ(*round, *parsed);

  // A token that did not come from a file is not written either: the config reads back
  // without one rather than with the secret in node.toml.
  NodeConfig no_file = *parsed;
  no_file.rpc_token_file.clear();
  no_file.rpc_metrics_require_token = false;
  const std::string written = NodeConfigToToml(no_file);
  EXPECT_THAT(written, Not(HasSubstr(kToken)));
  Result<NodeConfig> without = ParseNodeConfig(written, "/");
  ASSERT_TRUE(without.ok()) << without.status() << "\n" << written;
  EXPECT_TRUE(without->rpc_token.empty());
}

TEST_F(ConfigTest, OmittedOptionalValuesTakeDefaults) {
  const std::string minimal = R"(
[node]
id = "LEAD"
data_dir = "data"
genesis_file = "genesis.json"
[p2p]
listen = "0.0.0.0:30300"
node_key_file = "keys/node.key.pem"
node_cert_file = "keys/node.cert.pem"
ca_cert_file = "ca.cert.pem"
[rpc]
listen = "localhost:8545"
)";
  Result<NodeConfig> parsed = ParseNodeConfig(minimal, dir_);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const NodeConfig defaults;
  EXPECT_EQ(parsed->log_level, "info");
  EXPECT_TRUE(parsed->log_file.empty());
  EXPECT_TRUE(parsed->peers.empty());
  EXPECT_TRUE(parsed->rpc_token.empty());
  EXPECT_FALSE(parsed->rpc_metrics_require_token);  // local scraping works out of the box
  EXPECT_EQ(parsed->log_max_file_bytes, 100u << 20);
  EXPECT_EQ(parsed->log_max_files, 5u);
  EXPECT_EQ(parsed->max_frame_bytes, defaults.max_frame_bytes);
  EXPECT_EQ(parsed->peer_send_queue_bytes, defaults.peer_send_queue_bytes);
  EXPECT_EQ(parsed->rpc_max_body_bytes, defaults.rpc_max_body_bytes);
  EXPECT_EQ(parsed->rpc_max_response_bytes, 8u << 20);
  EXPECT_EQ(parsed->rpc_threads, defaults.rpc_threads);
  EXPECT_EQ(parsed->rpc_max_connections, 256u);
  EXPECT_EQ(parsed->rpc_max_connections_per_address, 32u);
  EXPECT_EQ(parsed->rpc_header_timeout_ms, 10000u);
  EXPECT_EQ(parsed->rpc_body_timeout_ms, 30000u);
  EXPECT_EQ(parsed->rpc_ws_max_subscriptions, 1024u);
  EXPECT_EQ(parsed->rpc_ws_max_subscriptions_per_connection, 16u);
  EXPECT_EQ(parsed->rpc_ws_max_queue_messages, 1024u);
  EXPECT_EQ(parsed->rpc_ws_max_queue_bytes, 8u << 20);
  EXPECT_EQ(parsed->pool_max_txs, defaults.pool_max_txs);
  EXPECT_EQ(parsed->pool_max_bytes, defaults.pool_max_bytes);
  EXPECT_EQ(parsed->verifier_threads, defaults.verifier_threads);
  EXPECT_EQ(parsed->pool_target_drain_ms, defaults.pool_target_drain_ms);
  EXPECT_EQ(parsed->pool_min_txs, defaults.pool_min_txs);
  EXPECT_EQ(parsed->pool_signer_share_pct, defaults.pool_signer_share_pct);
}

TEST_F(ConfigTest, RelativeAndAbsolutePaths) {
  const fs::path elsewhere = fs::path(scratch_.Path("shared"));
  fs::create_directories(elsewhere);
  testutil::WriteFile((elsewhere / "ca.pem").string(), "x");
  Result<NodeConfig> parsed =
      ParseNodeConfig(With("ca_cert_file = \"ca.cert.pem\"",
                           "ca_cert_file = \"" + (elsewhere / "ca.pem").string() + "\""),
                      dir_ / "keys" / "..");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->ca_cert_file, elsewhere / "ca.pem");
  EXPECT_EQ(parsed->data_dir, dir_ / "data");  // normalised: no "keys/.."

  Result<NodeConfig> dotted =
      ParseNodeConfig(With("\"genesis.json\"", "\"./keys/../genesis.json\""), dir_);
  ASSERT_TRUE(dotted.ok()) << dotted.status();
  EXPECT_EQ(dotted->genesis_file, dir_ / "genesis.json");
}

struct BadValue {
  std::string from;
  std::string to;
  std::string expected;  // a substring of the message, starting with the key's name
};

TEST_F(ConfigTest, EachBadValueIsReportedByName) {
  const std::vector<BadValue> cases = {
      {"listen = \"127.0.0.1:30300\"", "listen = \"abc\"", "p2p.listen: expected \"host:port\""},
      {"listen = \"127.0.0.1:30300\"", "listen = \"127.0.0.1:0\"",
       "p2p.listen: port must be 1-65535"},
      {"listen = \"127.0.0.1:30300\"", "listen = \"127.0.0.1:70000\"",
       "p2p.listen: port must be 1-65535"},
      {"listen = \"127.0.0.1:30300\"", "listen = \"bad host:1\"", "p2p.listen: host of"},
      {"listen = \"127.0.0.1:30300\"", "listen = 30300",
       "p2p.listen: expected a string, got an integer"},
      {"listen = \"127.0.0.1:8545\"", "listen = \"127.0.0.1:30300\"",
       "rpc.listen: is the same address as p2p.listen"},
      {"level = \"debug\"", "level = \"verbose\"",
       "log.level: must be one of trace, debug, info, warn, error"},
      {"file = \"logs/node.log\"", "file = \"nodir/node.log\"",
       "log.file: its directory does not exist"},
      {"file = \"logs/node.log\"", "file = \"logs\"", "log.file: is a directory"},
      {"max_frame_bytes = 8388608", "max_frame_bytes = 0",
       "p2p.max_frame_bytes: must be between 1024 and 1073741824, got 0"},
      {"max_frame_bytes = 8388608", "max_frame_bytes = \"big\"",
       "p2p.max_frame_bytes: expected an integer, got a string"},
      {"max_frame_bytes = 8388608", "max_frame_bytes = 67108864",
       "p2p.send_queue_bytes: must be at least p2p.max_frame_bytes"},
      {"threads = 4", "threads = -1", "rpc.threads: must be between 1 and 256, got -1"},
      {"threads = 4", "threads = 2.5",
       "rpc.threads: expected an integer, got a floating-point number"},
      {"max_body_bytes = 2097152", "max_body_bytes = 1073741824",
       "rpc.max_body_bytes: must be between"},
      {"max_response_bytes = 1048576", "max_response_bytes = 65535",
       "rpc.max_response_bytes: must be between 65536 and 1073741824, got 65535"},
      {"max_connections = 512", "max_connections = 0",
       "rpc.max_connections: must be between 1 and 65536, got 0"},
      {"max_connections = 512", "max_connections = 100000",
       "rpc.max_connections: must be between 1 and 65536, got 100000"},
      {"max_connections_per_address = 16", "max_connections_per_address = -3",
       "rpc.max_connections_per_address: must be between 1 and 65536, got -3"},
      {"ws_max_subscriptions = 200", "ws_max_subscriptions = 0",
       "rpc.ws_max_subscriptions: must be between 1 and 1000000, got 0"},
      {"ws_max_subscriptions_per_connection = 4", "ws_max_subscriptions_per_connection = 2000",
       "rpc.ws_max_subscriptions_per_connection: must be between 1 and 1024, got 2000"},
      {"ws_max_queue_messages = 64", "ws_max_queue_messages = 1",
       "rpc.ws_max_queue_messages: must be between 2 and 1000000, got 1"},
      {"ws_max_queue_bytes = 1048576", "ws_max_queue_bytes = 1000",
       "rpc.ws_max_queue_bytes: must be between 65536 and 1073741824, got 1000"},
      {"max_connections_per_address = 16", "max_connections_per_address = \"many\"",
       "rpc.max_connections_per_address: expected an integer, got a string"},
      {"header_timeout_ms = 5000", "header_timeout_ms = 99",
       "rpc.header_timeout_ms: must be between 100 and 300000, got 99"},
      {"header_timeout_ms = 5000", "header_timeout_ms = 300001",
       "rpc.header_timeout_ms: must be between 100 and 300000, got 300001"},
      {"body_timeout_ms = 20000", "body_timeout_ms = 0",
       "rpc.body_timeout_ms: must be between 100 and 600000, got 0"},
      {"body_timeout_ms = 20000", "body_timeout_ms = 1.5",
       "rpc.body_timeout_ms: expected an integer, got a floating-point number"},
      {"verifier_threads = 3", "verifier_threads = 1000",
       "txpool.verifier_threads: must be between 1 and 256"},
      {"max_txs = 5000", "max_txs = 0", "txpool.max_txs: must be between"},
      {"max_bytes = 1048576", "max_bytes = 10", "txpool.max_bytes: must be between"},
      {"target_drain_ms = 1500", "target_drain_ms = 5", "txpool.target_drain_ms: must be between"},
      {"min_txs = 2500", "min_txs = 0", "txpool.min_txs: must be between"},
      {"signer_share_pct = 40", "signer_share_pct = 101",
       "txpool.signer_share_pct: must be between"},
      {"\"genesis.json\"", "\"missing.json\"", "node.genesis_file: no such file: "},
      {"\"genesis.json\"", "\"keys\"", "node.genesis_file: not a regular file"},
      {"\"keys/node.key.pem\"", "\"keys/other.pem\"", "p2p.node_key_file: no such file"},
      {"\"keys/node.cert.pem\"", "\"\"", "p2p.node_cert_file: must not be empty"},
      {"ca_cert_file = \"ca.cert.pem\"", "", "p2p.ca_cert_file: missing (required)"},
      {"data_dir = \"data\"", "data_dir = \"genesis.json\"",
       "node.data_dir: exists and is not a directory"},
      {"id = \"LEAD\"", "", "node.id: missing (required)"},
      {"id = \"LEAD\"", "id = \"\"", "node.id: must be a non-empty node id"},
      {"id = \"PARTNER_A\"", "id = \"LEAD\"", "p2p.peers[0].id: is this node's own id"},
      {"id = \"PARTNER_B\"", "id = \"PARTNER_A\"",
       "p2p.peers[1].id: peer \"PARTNER_A\" is listed twice"},
      {"address = \"[::1]:30302\"", "address = \"[::1]\"",
       "p2p.peers[1].address: expected \"host:port\""},
      {"address = \"[::1]:30302\"", "address = \"127.0.0.1:30301\"",
       "p2p.peers[1].address: another peer has the same address"},
      {"address = \"[::1]:30302\"", "", "p2p.peers[1].address: missing (required)"},
      {"token_file = \"rpc.token\"", "token_file = \"nope\"", "rpc.token_file: no such file"},
      {"token_file = \"rpc.token\"\n", "",
       "rpc.metrics_require_token: is true, but there is no token to require: set "
       "rpc.token_file"},
      {"metrics_require_token = true", "metrics_require_token = \"yes\"",
       "rpc.metrics_require_token: expected true or false, got a string"},
      {"max_file_bytes = 2097152", "max_file_bytes = 1000",
       "log.max_file_bytes: must be between 1048576 and 68719476736, got 1000"},
      {"max_files = 3", "max_files = 0", "log.max_files: must be between 1 and 1000, got 0"},
      {"max_files = 3", "max_files = 1001", "log.max_files: must be between 1 and 1000"},
      {"[rpc]", "[rpc_]", "rpc: missing section [rpc] (required)"},
  };
  for (const BadValue& bad : cases) {
    SCOPED_TRACE(bad.from + " -> " + bad.to);
    EXPECT_THAT(ErrorOf(With(bad.from, bad.to)), HasSubstr(bad.expected));
  }
  EXPECT_THAT(
      ErrorOf("log = 5\n" + With("[log]\nlevel = \"debug\"\nfile = \"logs/node.log\"\n", "")),
      HasSubstr("log: expected a table, got an integer (line 1)"));
}

TEST_F(ConfigTest, ProblemsCarryTheirLineNumber) {
  EXPECT_THAT(ErrorOf(With("level = \"debug\"", "level = \"loud\"")),
              HasSubstr("got \"loud\" (line 8)"));
}

TEST_F(ConfigTest, SeveralProblemsAreReportedTogetherOnePerLine) {
  std::string text = With("level = \"debug\"", "level = \"loud\"");
  text.replace(text.find("threads = 4"), 11, "threads = 0");
  text.replace(text.find("\"genesis.json\""), 14, "\"gone.json\"");
  const std::string message = ErrorOf(text);
  EXPECT_THAT(message, HasSubstr("log.level: "));
  EXPECT_THAT(message, HasSubstr("rpc.threads: "));
  EXPECT_THAT(message, HasSubstr("node.genesis_file: "));
  EXPECT_EQ(std::count(message.begin(), message.end(), '\n'), 2) << message;
}

TEST_F(ConfigTest, UnknownKeysAndSectionsAreErrors) {
  const std::string message =
      ErrorOf(With("listen = \"127.0.0.1:30300\"", "lisen = \"127.0.0.1:30300\"") +
              "\n[rcp]\nthreads = 2\n");
  EXPECT_THAT(message, HasSubstr("p2p.lisen: unknown key (known keys: listen, node_key_file"));
  EXPECT_THAT(message, HasSubstr("rcp: unknown key (sections: node, log, p2p, rpc, txpool)"));
  EXPECT_THAT(message, HasSubstr("p2p.listen: missing (required)"));
  EXPECT_THAT(ErrorOf(With("id = \"PARTNER_A\"", "id = \"PARTNER_A\"\nhost = \"x\"")),
              HasSubstr("p2p.peers[0].host: unknown key"));
}

TEST_F(ConfigTest, SyntaxErrorNamesItsLine) {
  const std::string message = ErrorOf("[node]\nid = \"LEAD\"\ndata_dir = \n");
  EXPECT_THAT(message, HasSubstr("syntax error at line 3"));
}

TEST_F(ConfigTest, LoadReadsRelativeToTheFilesDirectory) {
  testutil::WriteFile((dir_ / "node.toml").string(), kValid);
  Result<NodeConfig> loaded = LoadNodeConfig(dir_ / "node.toml");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->genesis_file, dir_ / "genesis.json");

  testutil::WriteFile((dir_ / "bad.toml").string(), With("threads = 4", "threads = 0"));
  Result<NodeConfig> bad = LoadNodeConfig(dir_ / "bad.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(),
              HasSubstr("config file " + (dir_ / "bad.toml").string() + ":\nrpc.threads: "));

  Result<NodeConfig> missing = LoadNodeConfig(dir_ / "absent.toml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("absent.toml"));
}

TEST_F(ConfigTest, EmptyTokenFileIsRefused) {
  testutil::WriteFile((dir_ / "rpc.token").string(), "\n");
  EXPECT_THAT(ErrorOf(kValid), HasSubstr("rpc.token_file: must hold one token"));
}

// ---- secrets: files only their owner can read, tokens long enough, none in node.toml ----

TEST_F(ConfigTest, KeyFileOthersCanReadOrWriteIsRefusedNamingModeAndFix) {
  using P = fs::perms;
  const std::string key = (dir_ / "keys" / "node.key.pem").string();
  const std::pair<fs::perms, std::string> modes[] = {
      {P::owner_read | P::owner_write | P::group_read | P::others_read, "0644"},
      {P::owner_read | P::owner_write | P::group_read, "0640"},
      {P::owner_read | P::owner_write | P::group_write, "0620"},
      {P::owner_read | P::others_read, "0404"},
      {P::owner_all | P::group_all | P::others_all, "0777"},
  };
  for (const auto& [mode, text] : modes) {
    SCOPED_TRACE(text);
    SetMode("keys/node.key.pem", mode);
    const std::string error = ErrorOf(kValid);
    EXPECT_THAT(error, HasSubstr("p2p.node_key_file: " + key + " has mode " + text +
                                 ", readable or writable by group or others"));
    EXPECT_THAT(error, HasSubstr("run chmod 600 " + key));
  }
  SetMode("keys/node.key.pem", P::owner_read);  // 0400: stricter than 0600 is fine
  EXPECT_TRUE(ParseNodeConfig(kValid, dir_).ok());
}

TEST_F(ConfigTest, TokenFileOthersCanReadIsRefusedNamingModeAndFix) {
  const std::string token = (dir_ / "rpc.token").string();
  SetMode("rpc.token", kOwnerOnly | fs::perms::group_read | fs::perms::others_read);
  const std::string error = ErrorOf(kValid);
  EXPECT_THAT(error, HasSubstr("rpc.token_file: " + token + " has mode 0644"));
  EXPECT_THAT(error, HasSubstr("run chmod 600 " + token));
  EXPECT_THAT(error, Not(HasSubstr(kToken)));  // the refusal does not print the secret
}

TEST_F(ConfigTest, ShortTokenIsRefusedWithASentence) {
  testutil::WriteFile((dir_ / "rpc.token").string(), std::string(31, 'a') + "\n");
  EXPECT_THAT(ErrorOf(kValid),
              HasSubstr("rpc.token_file: the token in " + (dir_ / "rpc.token").string() +
                        " is 31 characters; at least 32 are required"));
  testutil::WriteFile((dir_ / "rpc.token").string(), std::string(32, 'a'));
  Result<NodeConfig> parsed = ParseNodeConfig(kValid, dir_);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->rpc_token, std::string(32, 'a'));
}

TEST_F(ConfigTest, InlineTokenIsRefusedAndAnEmptyOneMeansNone) {
  const std::string inline_token = With("token_file = \"rpc.token\"\nmetrics_require_token = true",
                                        std::string("token = \"") + kToken + "\"");
  const std::string error = ErrorOf(inline_token);
  EXPECT_THAT(error, HasSubstr("rpc.token: a token written in node.toml is refused"));
  EXPECT_THAT(error, HasSubstr("name it with rpc.token_file"));
  EXPECT_THAT(error, Not(HasSubstr(kToken)));

  // As colend-netgen used to write it: no token, nothing disclosed.
  Result<NodeConfig> empty = ParseNodeConfig(
      With("token_file = \"rpc.token\"\nmetrics_require_token = true", "token = \"\""), dir_);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_TRUE(empty->rpc_token.empty());
}

}  // namespace
}  // namespace colend::node
