// colend-netgen rekey: a validator's node key and TLS certificate are rotated by vote, while
// its chain runs (docs/operations.md, "A validator rotates its node key").
//
// In the bank's directory of a network colend-netgen made it writes, without touching the
// key the node runs with:
//
//   <BANK>/next/node.key.pem                 the new node key (0600, in a 0700 directory)
//   <BANK>/next/node.crt.pem                 its certificate from the consortium CA
//   <BANK>/next/change-validator-set.json    ChangeValidatorSet: the current set with the
//                                            node's new key, signed by the proposer
//
// The current set is genesis.json's, or the one a `getValidators` result names (its `next`
// if it has one), when it has changed since genesis. Once the members pass the proposal the
// new key signs from the epoch it starts; the node, still holding the old key, follows as an
// observer from there until its operator installs next/ and restarts it (the steps are
// printed). The other nodes admit its new certificate from the switch on.
//
// Refusals, before anything is written, with a sentence: a node id that network.json or the
// current validator set does not list, a rotation already prepared (next/ exists), a
// directory that is not a colend-netgen network or lacks the CA key.
//
// Thread safety: stateless functions.
#ifndef COLEND_TOOLS_NETGEN_REKEY_H_
#define COLEND_TOOLS_NETGEN_REKEY_H_

#include <filesystem>
#include <ostream>
#include <string>

#include "colend/common/status.h"

namespace colend::netgen {

struct RekeyOptions {
  std::filesystem::path network;  // the directory colend-netgen wrote
  std::string node_id;            // the validator whose key is rotated
  // The member that sends the proposal; default the node's own bank.
  std::string proposer;
  // A getValidators result (or the whole JSON-RPC response): the set to change.
  std::filesystem::path validators_json;
};

// The proposal id a rotation of `node_id` to the key with id `key_id_hex` carries.
std::string RekeyProposalId(const std::string& node_id, const std::string& key_id_hex);

// Prepares the rotation. Prints what it wrote and the next steps to `out`.
Status Rekey(const RekeyOptions& options, std::ostream& out);

}  // namespace colend::netgen

#endif  // COLEND_TOOLS_NETGEN_REKEY_H_
