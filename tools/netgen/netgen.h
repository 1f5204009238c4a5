// colend-netgen: makes a whole consortium in one directory (docs/architecture.md, tools):
//
//   <out>/ca/ca.key.pem            the consortium CA's key (mode 0600; keep it offline)
//   <out>/ca/ca.crt.pem            the CA certificate every node trusts
//   <out>/genesis.json             the chain: members, their client keys, validators, CA
//   <out>/network.json             a manifest for the tools (banks, node ids, RPC URLs, key files)
//   <out>/<BANK>/node.key.pem      the validator's node key (consensus signatures and TLS)
//   <out>/<BANK>/node.crt.pem      its certificate from the CA (CN = node id)
//   <out>/<BANK>/client.key.pem    the bank's client key: signs its transactions
//   <out>/<BANK>/rpc.token         with RPC tokens: this node's own random bearer token
//   <out>/<BANK>/node.toml         the node's configuration (no secret in it: it names
//                                  rpc.token as rpc.token_file)
//   <out>/start.sh, <out>/stop.sh  with --localnet: start/stop every node in the background,
//                                  logs in <out>/<BANK>/node.log
//
// A bank that joins later gets the same layout from `colend-netgen join` (join.h), which
// also lists it in network.json, start.sh and stop.sh.
//
// One validator per bank, node id "<BANK>-1". With --localnet every node listens on
// 127.0.0.1: bank i (in the order given) gets p2p port base + 2i and RPC port base + 2i + 1.
// Without it, hosts are "<bank>.colend.internal" (lower case) on the base ports, for the
// banks' operators to edit. Refuses to write into an existing, non-empty directory.
//
// Secrets (docs/operations.md, "Secrets and logs"): every key and token file is created
// mode 0600 and never replaced; the directories that hold them (ca/, <BANK>/ and its data/)
// are 0700. RPC tokens are 32 random bytes as hex, a different one per node, so a token
// that leaks from one bank's systems opens no other bank's node. A network for real
// machines (without --localnet) always gets them; a local one only with rpc_tokens, since
// its nodes listen on 127.0.0.1 for the tests and the demo. network.json names each bank's
// token file ("rpc_token_file"), never the token.
//
// Thread safety: stateless functions.
#ifndef COLEND_TOOLS_NETGEN_NETGEN_H_
#define COLEND_TOOLS_NETGEN_NETGEN_H_

#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "colend/common/status.h"

namespace colend::netgen {

struct NetgenOptions {
  std::vector<std::string> banks;  // member ids, [A-Z0-9_]{1,32}, the lead bank first
  std::filesystem::path out;
  std::string crypto = "standard";  // or "sm"
  std::string chain_id = "colend-local-1";
  bool localnet = false;
  std::uint16_t base_port = 30300;
  std::filesystem::path node_binary;  // colend-node for start.sh; empty = next to colend-netgen
  // Consensus timing written into genesis.json (milliseconds).
  std::uint32_t batch_timeout_ms = 20;
  std::uint32_t view_change_timeout_ms = 2000;
  bool rpc_tokens = false;  // with localnet: a random token per node all the same
};

// Writes the network. kInvalidArgument for bad options (named), kAlreadyExists for a
// non-empty output directory, kIoError when a file cannot be written. Prints what it made
// to `out`.
Status Generate(const NetgenOptions& options, std::ostream& out);

}  // namespace colend::netgen

#endif  // COLEND_TOOLS_NETGEN_NETGEN_H_
