// colend-netgen join: a new bank joins a network colend-netgen made, while its chain runs
// (docs/operations.md, "A bank joins").
//
// In the network directory it adds <BANK>/ in the layout of the others (netgen.h): node key,
// a TLS certificate from the consortium CA (so join runs where ca/ca.key.pem is kept), the
// bank's client key, an RPC token when the network's nodes have them, and node.toml naming
// the same genesis.json with every existing node as a peer. genesis.json is never changed:
// the bank becomes a member, and its node a validator, by the members' votes. For those it
// writes the two governance transactions (docs/api.md, "Governance transactions"), each a
// GovernanceProposal signed by the proposer named in it:
//
//   <BANK>/join-1-add-member.json          AddMember: the bank, its legal name, client key
//   <BANK>/join-2-change-validator-set.json ChangeValidatorSet: the current set plus the new
//                                           node, sorted by node_id (send it once the first
//                                           has passed: its member must be active)
//
// The current set is genesis.json's, or the set a `getValidators` result names (its `next`
// if it has one, the latest decided), when the network has changed since genesis.
//
// It also lists the new node where the network is enumerated: network.json (read by
// colend-bench), and start.sh and stop.sh when they exist, each replaced atomically. The
// other nodes' node.toml files are left alone (they belong to their operators): the new
// node's [[p2p.peers]] entry is printed with the next steps, for the members to add when
// convenient (a listed peer that is not a validator yet is ignored, and the new node dials
// the members itself meanwhile).
//
// Ports: with a local network (--localnet, or a network that has start.sh) the node listens
// on 127.0.0.1, p2p on base_port and RPC on base_port + 1; without base_port, on the two
// ports after the highest one network.json names. Otherwise its host is
// "<bank>.colend.internal" on the network's ports, for the operators to edit.
//
// Refusals, before anything is written (kInvalidArgument, kAlreadyExists or
// kFailedPrecondition, with a sentence): a bank or node id that is not an id, or that the
// network already has (network.json, genesis.json, the validator set, or an existing
// <BANK>/ directory); a directory that is not a colend-netgen network; a missing CA key; a
// port another node uses.
//
// Thread safety: stateless functions.
#ifndef COLEND_TOOLS_NETGEN_JOIN_H_
#define COLEND_TOOLS_NETGEN_JOIN_H_

#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>

#include "colend/common/status.h"

namespace colend::netgen {

struct JoinOptions {
  std::filesystem::path network;  // the directory colend-netgen wrote
  std::string bank;               // the new member id, [A-Z0-9_]{1,32}
  std::string node_id;            // default "<bank>-1"
  std::string legal_name;         // default "<bank> (co-lending member)"
  // The member whose signer the two proposals name; default the first bank of network.json.
  std::string proposer;
  bool localnet = false;  // also when the network has start.sh
  std::optional<std::uint16_t> base_port;
  // A getValidators result (or the whole JSON-RPC response): the set to extend.
  std::filesystem::path validators_json;
  bool rpc_tokens = false;            // a token even if the other nodes have none
  std::filesystem::path node_binary;  // for start.sh; default: the one start.sh runs
};

// Adds the bank. Prints what it wrote and the next steps to `out`.
Status Join(const JoinOptions& options, std::ostream& out);

}  // namespace colend::netgen

#endif  // COLEND_TOOLS_NETGEN_JOIN_H_
