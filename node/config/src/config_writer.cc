// Writing a node's TOML config (NodeConfigToToml), and the helpers the reader shares.
#include <cctype>
#include <cstdio>

#include "colend/node/config.h"
#include "config_internal.h"

namespace colend::node {
namespace config_internal {
namespace {

bool IsHostChar(char c, bool bracketed) {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  if (bracketed) return c == ':' || c == '.' || c == '%';
  return c == '.' || c == '-' || c == '_';
}

}  // namespace

bool ParseHostPort(std::string_view text, std::string* host, std::uint16_t* port,
                   std::string* error) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  *error = "expected \"host:port\" (IPv6 as \"[addr]:port\"), got " + quoted;
  std::string_view host_part;
  std::string_view port_part;
  bool bracketed = false;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return false;
    }
    bracketed = true;
    host_part = text.substr(1, close - 1);
    port_part = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return false;
    host_part = text.substr(0, colon);
    port_part = text.substr(colon + 1);
  }
  if (host_part.empty()) return false;
  for (char c : host_part) {
    if (!IsHostChar(c, bracketed)) {
      *error = "host of " + quoted + " has a character a host name cannot have";
      return false;
    }
  }
  if (port_part.empty() || port_part.size() > 5) {
    if (!port_part.empty()) *error = "port must be 1-65535, got " + quoted;
    return false;
  }
  std::uint32_t value = 0;
  for (char c : port_part) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (value == 0 || value > 65535) {
    *error = "port must be 1-65535, got " + quoted;
    return false;
  }
  *host = std::string(host_part);
  *port = static_cast<std::uint16_t>(value);
  error->clear();
  return true;
}

std::string FormatHostPort(std::string_view host, std::uint16_t port) {
  const std::string port_text = std::to_string(port);
  if (host.find(':') != std::string_view::npos) return "[" + std::string(host) + "]:" + port_text;
  return std::string(host) + ":" + port_text;
}

std::filesystem::path Resolve(std::string_view text, const std::filesystem::path& base_dir) {
  std::filesystem::path path(text);
  if (path.is_relative()) path = base_dir / path;
  return path.lexically_normal();
}

std::string DescribeSyntaxError(std::string_view description, std::uint32_t line,
                                std::uint32_t column) {
  return "syntax error at line " + std::to_string(line) + ", column " + std::to_string(column) +
         ": " + std::string(description);
}

std::string TomlString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
          out += escaped;
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

}  // namespace config_internal

namespace {

using config_internal::FormatHostPort;
using config_internal::TomlString;

std::string PathValue(const std::filesystem::path& path) {
  return TomlString(path.string());
}

}  // namespace

std::string NodeConfigToToml(const NodeConfig& c) {
  std::string out;
  auto line = [&](std::string_view key, const std::string& value, std::string_view comment = {}) {
    out += key;
    out += " = ";
    out += value;
    if (!comment.empty()) {
      out += "  # ";
      out += comment;
    }
    out += '\n';
  };
  out += "# colend node configuration. Relative paths are relative to this file's directory.\n\n";
  out += "[node]\n";
  line("id", TomlString(c.node_id), "this validator's node id in genesis");
  line("data_dir", PathValue(c.data_dir));
  line("genesis_file", PathValue(c.genesis_file));

  out += "\n[log]\n";
  line("level", TomlString(c.log_level), "trace | debug | info | warn | error");
  line("file", PathValue(c.log_file), "empty = stderr");
  line("max_file_bytes", std::to_string(c.log_max_file_bytes),
       "with a file: rotate when it would grow past this");
  line("max_files", std::to_string(c.log_max_files), "rotated files kept");

  out += "\n[p2p]\n";
  line("listen", TomlString(FormatHostPort(c.p2p_host, c.p2p_port)));
  line("node_key_file", PathValue(c.node_key_file));
  if (!c.node_cert_file.empty()) line("node_cert_file", PathValue(c.node_cert_file));
  if (!c.transport_key_file.empty() || !c.transport_cert_file.empty()) {
    line("transport_key_file", PathValue(c.transport_key_file),
         "sm chain: the P-256 TLS key (mode 0600)");
    line("transport_cert_file", PathValue(c.transport_cert_file),
         "sm chain: its certificate from the consortium CA");
  }
  line("ca_cert_file", PathValue(c.ca_cert_file));
  line("max_frame_bytes", std::to_string(c.max_frame_bytes));
  line("send_queue_bytes", std::to_string(c.peer_send_queue_bytes), "per peer");
  for (const PeerAddress& peer : c.peers) {
    out += "\n[[p2p.peers]]\n";
    line("id", TomlString(peer.node_id));
    line("address", TomlString(FormatHostPort(peer.host, peer.port)));
  }

  out += "\n[rpc]\n";
  line("listen", TomlString(FormatHostPort(c.rpc_host, c.rpc_port)));
  // Never the token itself: this file is not a secret (docs/operations.md, "Secrets and
  // logs"). Without a token file, the key is shown commented out, as the way to add one.
  if (!c.rpc_token_file.empty()) {
    line("token_file", PathValue(c.rpc_token_file),
         "bearer token clients must send (mode 0600, >= 32 characters)");
  } else {
    out +=
        "# token_file = \"rpc.token\"  # bearer token clients must send (mode 0600, >= 32 "
        "characters); absent = none\n";
  }
  line("metrics_require_token", c.rpc_metrics_require_token ? "true" : "false",
       "GET /metrics needs the token too");
  line("max_body_bytes", std::to_string(c.rpc_max_body_bytes));
  line("max_response_bytes", std::to_string(c.rpc_max_response_bytes),
       "a batch's answers stop here; later entries get error -32005");
  line("threads", std::to_string(c.rpc_threads));
  line("max_connections", std::to_string(c.rpc_max_connections), "open connections in all");
  line("max_connections_per_address", std::to_string(c.rpc_max_connections_per_address),
       "open connections from one client IP address");
  line("header_timeout_ms", std::to_string(c.rpc_header_timeout_ms),
       "a request's headers must arrive within this long");
  line("body_timeout_ms", std::to_string(c.rpc_body_timeout_ms),
       "and its body within this long after them");
  line("ws_max_subscriptions", std::to_string(c.rpc_ws_max_subscriptions),
       "WebSocket subscriptions on the node");
  line("ws_max_subscriptions_per_connection",
       std::to_string(c.rpc_ws_max_subscriptions_per_connection), "on one /ws connection");
  line("ws_max_queue_messages", std::to_string(c.rpc_ws_max_queue_messages),
       "a session's unsent messages; beyond: closed (slow consumer)");
  line("ws_max_queue_bytes", std::to_string(c.rpc_ws_max_queue_bytes), "likewise in bytes");

  out += "\n[txpool]\n";
  line("max_txs", std::to_string(c.pool_max_txs), "hard cap on pending transactions");
  line("max_bytes", std::to_string(c.pool_max_bytes));
  line("verifier_threads", std::to_string(c.verifier_threads), "signature checks in parallel");
  line("target_drain_ms", std::to_string(c.pool_target_drain_ms),
       "admit from clients what the network commits in this long; beyond it, BUSY");
  line("min_txs", std::to_string(c.pool_min_txs), "capacity floor (capped by max_txs)");
  line("signer_share_pct", std::to_string(c.pool_signer_share_pct),
       "one signer's share of that capacity");
  return out;
}

}  // namespace colend::node
