// NodeConfig: one validator node's settings, read from one TOML file (colend-netgen writes
// them with NodeConfigToToml).
//
// The file (every relative path is relative to the file's directory):
//
//   [node]
//   id = "LEAD"                          # this validator's node id in genesis (required)
//   data_dir = "data"                    # required; the node creates it if missing
//   genesis_file = "genesis.json"        # required; must exist
//
//   [log]
//   level = "info"                       # trace | debug | info | warn | error
//   file = "node.log"                    # optional; absent or "" = stderr
//   max_file_bytes = 104857600           # 1 MiB .. 64 GiB: with a file, rotate beyond this
//   max_files = 5                        # 1 .. 1,000: rotated files kept (node.1.log, ...)
//
//   [p2p]
//   listen = "127.0.0.1:30300"           # required; "host:port", IPv6 as "[::1]:30300"
//   node_key_file = "node.key.pem"       # required; must exist with mode 0600 or stricter
//                                        # (this node's consensus key; on a standard chain
//                                        # also its TLS key)
//   node_cert_file = "node.cert.pem"     # standard chain: required; must exist (signed by
//                                        # the consortium CA, holds node_key_file's key)
//   transport_key_file = "transport.key.pem"  # sm chain (docs/sm.md), with the next key and
//                                        # instead of node_cert_file: the P-256 TLS key;
//                                        # mode 0600 or stricter
//   transport_cert_file = "transport.crt.pem" # its certificate (signed by the consortium CA)
//   ca_cert_file = "ca.cert.pem"         # required; must exist
//   max_frame_bytes = 67108864           # 1 KiB .. 1 GiB
//   send_queue_bytes = 268435456         # per peer; max_frame_bytes .. 16 GiB
//
//   [[p2p.peers]]                        # zero or more; ids distinct and not this node's
//   id = "PARTNER_A"
//   address = "127.0.0.1:30301"
//
//   [rpc]
//   listen = "127.0.0.1:8545"            # required
//   token_file = "rpc.token"             # optional: the bearer token clients must send, one
//                                        # line of >= 32 printable characters; mode 0600 or
//                                        # stricter. Absent = no authentication.
//   metrics_require_token = false        # true: GET /metrics needs the token too
//   max_body_bytes = 1048576             # 1 KiB .. 64 MiB
//   max_response_bytes = 8388608         # 64 KiB .. 1 GiB: a batch's answers stop here
//   threads = 2                          # 1 .. 256
//   max_connections = 256                # 1 .. 65,536: open connections in all
//   max_connections_per_address = 32     # 1 .. 65,536: from one client IP address
//   header_timeout_ms = 10000            # 100 .. 300,000: connect (or first byte) to headers
//   body_timeout_ms = 30000              # 100 .. 600,000: end of headers to end of body
//   ws_max_subscriptions = 1024          # 1 .. 1,000,000: WebSocket subscriptions in all
//   ws_max_subscriptions_per_connection = 16  # 1 .. 1,024: on one /ws connection
//   ws_max_queue_messages = 1024         # 2 .. 1,000,000: unsent messages of a session,
//   ws_max_queue_bytes = 8388608         # 64 KiB .. 1 GiB: beyond either it is closed
//
//   [txpool]
//   max_txs = 100000                     # 1 .. 10,000,000: the hard cap
//   max_bytes = 268435456                # 1 KiB .. 64 GiB
//   verifier_threads = 2                 # 1 .. 256
//   target_drain_ms = 600                # 100 .. 60,000: admit what commits in this long
//   min_txs = 2000                       # 1 .. 10,000,000: capacity floor (capped by max_txs)
//   signer_share_pct = 50                # 1 .. 100: of the capacity, per signer
//
// Every problem is reported by its key name ("p2p.listen: expected \"host:port\", got
// \"abc\" (line 7)"), all of them at once in one kInvalidArgument Status, one per line.
// Unknown sections and keys are errors (a typo must not silently fall back to a default).
//
// Secrets (docs/operations.md, "Secrets and logs"): node.toml is not a secret (it is shared,
// backed up and pasted into tickets), so it holds none. A file that holds one (the node key,
// the RPC token) must have no permission bit for group or others (mode & 0077 == 0), or the
// config is refused naming the file, its mode and the chmod that fixes it. An inline
// `rpc.token = "<value>"` is refused for the same reason, with a sentence saying to move it
// to rpc.token_file; `rpc.token = ""` (no token, as older colend-netgen wrote) is accepted.
#ifndef COLEND_NODE_CONFIG_H_
#define COLEND_NODE_CONFIG_H_

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "colend/common/result.h"

namespace colend::node {

// node.toml keys as "section.key", the names the parser reports problems under: messages
// elsewhere that are about a setting name it with these (ConfigTest checks that the parser
// uses the same names).
namespace config_keys {
inline constexpr char kNodeId[] = "node.id";
inline constexpr char kNodeDataDir[] = "node.data_dir";
inline constexpr char kNodeGenesisFile[] = "node.genesis_file";
inline constexpr char kLogFile[] = "log.file";
inline constexpr char kLogMaxFileBytes[] = "log.max_file_bytes";
inline constexpr char kLogMaxFiles[] = "log.max_files";
inline constexpr char kP2pListen[] = "p2p.listen";
inline constexpr char kP2pNodeKeyFile[] = "p2p.node_key_file";
inline constexpr char kP2pNodeCertFile[] = "p2p.node_cert_file";
inline constexpr char kP2pTransportKeyFile[] = "p2p.transport_key_file";
inline constexpr char kP2pTransportCertFile[] = "p2p.transport_cert_file";
inline constexpr char kP2pCaCertFile[] = "p2p.ca_cert_file";
inline constexpr char kP2pMaxFrameBytes[] = "p2p.max_frame_bytes";
inline constexpr char kRpcToken[] = "rpc.token";
inline constexpr char kRpcTokenFile[] = "rpc.token_file";
inline constexpr char kRpcMetricsRequireToken[] = "rpc.metrics_require_token";
inline constexpr char kRpcMaxConnections[] = "rpc.max_connections";
inline constexpr char kRpcMaxConnectionsPerAddress[] = "rpc.max_connections_per_address";
inline constexpr char kRpcHeaderTimeoutMs[] = "rpc.header_timeout_ms";
inline constexpr char kRpcBodyTimeoutMs[] = "rpc.body_timeout_ms";
}  // namespace config_keys

struct PeerAddress {
  std::string node_id;
  std::string host;  // name or address, IPv6 without brackets
  std::uint16_t port = 0;

  friend bool operator==(const PeerAddress&, const PeerAddress&) = default;
};

// Defaults are the values a key takes when the file omits it. Paths are absolute and
// lexically normal once parsed.
struct NodeConfig {
  // [node]
  std::string node_id;
  std::filesystem::path data_dir;
  std::filesystem::path genesis_file;
  // [log]
  std::string log_level = "info";
  std::filesystem::path log_file;  // empty = stderr
  // With a log file: rotated when it would grow past max_file_bytes, keeping max_files old
  // ones, so a flood of log lines costs bounded disk, never the disk the chain needs.
  std::uint64_t log_max_file_bytes = 100u << 20;
  std::uint32_t log_max_files = 5;
  // [p2p]
  std::string p2p_host;
  std::uint16_t p2p_port = 0;
  std::vector<PeerAddress> peers;
  std::filesystem::path node_key_file;
  std::filesystem::path node_cert_file;  // empty when the transport files are given
  // An sm chain's TLS identity (docs/sm.md): a P-256 key and its certificate; both or none.
  std::filesystem::path transport_key_file;
  std::filesystem::path transport_cert_file;
  std::filesystem::path ca_cert_file;
  std::uint32_t max_frame_bytes = 64u << 20;
  std::uint64_t peer_send_queue_bytes = 256u << 20;
  // [rpc]
  std::string rpc_host;
  std::uint16_t rpc_port = 0;
  std::string rpc_token;                 // empty = no authentication
  std::filesystem::path rpc_token_file;  // if set, rpc_token was read from it
  // GET /metrics needs the token too (default: open, for a scraper on the same host).
  bool rpc_metrics_require_token = false;
  std::uint32_t rpc_max_body_bytes = 1u << 20;
  // A batch's answers stop growing here; later entries get error -32005, unexecuted.
  std::uint32_t rpc_max_response_bytes = 8u << 20;
  std::uint32_t rpc_threads = 2;
  // What one client can hold (docs/operations.md, "Hostile clients"): connection slots in
  // all and per remote address, and deadlines that a slow sender cannot push back.
  std::uint32_t rpc_max_connections = 256;
  std::uint32_t rpc_max_connections_per_address = 32;
  std::uint32_t rpc_header_timeout_ms = 10'000;
  std::uint32_t rpc_body_timeout_ms = 30'000;
  // WebSocket subscriptions (docs/api.md, "Subscriptions"): how many in all and per
  // connection, and the queue a session may hold before it is closed as a slow consumer.
  std::uint32_t rpc_ws_max_subscriptions = 1024;
  std::uint32_t rpc_ws_max_subscriptions_per_connection = 16;
  std::uint32_t rpc_ws_max_queue_messages = 1024;
  std::uint32_t rpc_ws_max_queue_bytes = 8u << 20;
  // [txpool]
  std::uint32_t pool_max_txs = 100'000;
  // Backpressure: the pool admits what the chain commits in target_drain_ms at the recent
  // commit rate (never below min_txs, never above max_txs); one signer at most
  // signer_share_pct of that. Beyond it sendTransaction answers BUSY with a retry hint.
  // 600 ms leaves room in the 1 s promised to an admitted transaction under overload for the
  // commit itself (docs/operations.md, "Backpressure").
  std::uint32_t pool_target_drain_ms = 600;
  std::uint32_t pool_min_txs = 2000;
  std::uint32_t pool_signer_share_pct = 50;
  std::uint64_t pool_max_bytes = 256u << 20;
  std::uint32_t verifier_threads = 2;

  friend bool operator==(const NodeConfig&, const NodeConfig&) = default;
};

// The shortest bearer token accepted: 32 characters (128 bits as hex, 192 as base64) put
// guessing out of reach even for a client that can try as fast as the RPC port answers.
inline constexpr std::size_t kMinRpcTokenLength = 32;

// The log levels accepted by [log] level, lowest first.
inline constexpr std::string_view kLogLevels[] = {"trace", "debug", "info", "warn", "error"};

// Parses and checks a config file's text. Relative paths are resolved against `base_dir`
// (the file's directory); the files the node reads at start (genesis, key, certificates,
// token file) must exist as files, the key and token files with no permission for group or
// others; data_dir, if it exists, must be a directory, and the log file's directory must
// exist. Fails with kInvalidArgument listing every problem, one per line.
Result<NodeConfig> ParseNodeConfig(std::string_view toml_text,
                                   const std::filesystem::path& base_dir);

// Reads `file` and parses it against the file's directory: kNotFound if it cannot be read;
// otherwise as ParseNodeConfig, with "config file <path>:" as the message's first line.
Result<NodeConfig> LoadNodeConfig(const std::filesystem::path& file);

// The TOML text of `config`, commented, every key written. For a config whose paths are
// absolute (as ParseNodeConfig returns them), ParseNodeConfig(NodeConfigToToml(c), any) == c.
// Relative paths are written as they are, to be read against the written file's directory
// (colend-netgen lays out a node's files beside its config).
// The token itself is never written: with rpc_token_file set, the file is named; without
// it, no token is written (so a config whose rpc_token did not come from a file reads back
// without one).
std::string NodeConfigToToml(const NodeConfig& config);

// Every key the parser knows, as "section.key" in file order; the keys of each [[p2p.peers]]
// entry as "p2p.peers.id" and "p2p.peers.address". docs/operations.md documents each one
// (ConfigTest.OperationsDocNamesEveryKey).
std::vector<std::string> NodeConfigKeys();

}  // namespace colend::node

#endif  // COLEND_NODE_CONFIG_H_
