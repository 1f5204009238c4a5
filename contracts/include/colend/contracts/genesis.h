// The genesis: what a chain starts from, read from genesis.json (docs/api.md, "Genesis").
//
// Every node of one chain has the same genesis.json bytes; their suite hash is
// genesis_hash, the parent_hash of block 1 (block.proto). colend-netgen writes the file with
// GenesisToJson; nodes, colend-replay and the contracts read it with ParseGenesis.
//
// The format (every key required unless marked optional; no other key is accepted):
//   {
//     "chain_id": "colend-test-1",        1-64 of A-Z a-z 0-9 . _ -
//     "crypto_suite": "standard",         "standard" (ECDSA P-256, SHA-256) or "sm" (SM2, SM3)
//     "consortium_ca": "-----BEGIN CERTIFICATE-----\n...",   PEM text, kept as written
//     "members": [                        at least one; ids unique
//       {"id": "LEAD",                    A-Z 0-9 _, 1-32 characters
//        "legal_name": "Lead Bank Co., Ltd.",                 not empty
//        "client_keys": [                 at least one; key ids unique within the member
//          {"key_id": "<32 hex>",         optional; if given, must be the key's id
//           "public_key": "-----BEGIN PUBLIC KEY-----\n..."}],  a key of crypto_suite
//        "tier1_capital": "100000000000"}],  optional; string of minor units, > 0
//     "validators": [                     at least one; sorted by node_id; no duplicate
//                                         node id or public key
//       {"node_id": "LEAD-1",             1-64 of A-Z a-z 0-9 . _ -
//        "member_id": "LEAD",             a member above
//        "public_key": "-----BEGIN PUBLIC KEY-----\n..."}],
//     "consensus": {...},                 optional, and so is each key: ConsensusParams
//     "network_rules": {"min_funder_bp": 0}   optional, and so is each rule: NetworkRules
//   }
// Every bad value is reported by its JSON path, for example
//   members[2].client_keys[0].public_key: not a P-256 public key (...)
//
// Thread safety: plain values and stateless functions.
#ifndef COLEND_CONTRACTS_GENESIS_H_
#define COLEND_CONTRACTS_GENESIS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "colend/common/amount.h"
#include "colend/common/bytes.h"
#include "colend/common/result.h"
#include "colend/common/status.h"
#include "colend/contracts/apply.h"
#include "colend/crypto/suite.h"
#include "colend/proto/tx.pb.h"

namespace colend::contracts {

// Files above this size are refused before parsing.
inline constexpr std::size_t kMaxGenesisJsonBytes = 16 << 20;

// The consensus parameters. Every key of "consensus" may be omitted and then takes the
// default below; a value outside its range is an error. What each one governs is the
// consensus module's to define; the ranges only keep a typing error from starting a chain.
struct ConsensusParams {
  std::uint32_t max_block_txs = 2000;           // [1, 1000000] transactions in one block
  std::uint32_t max_block_bytes = 4 << 20;      // [1024, 67108864] bytes of one block
  std::uint32_t batch_timeout_ms = 200;         // [1, 60000] how long a primary fills a block
  std::uint32_t view_change_timeout_ms = 5000;  // [10, 3600000] before suspecting the primary
  std::uint64_t checkpoint_period = 100;        // [1, 1000000] sequence numbers per checkpoint
  std::uint32_t execution_lag = 1;              // [1, 1024] blocks execution runs behind ordering
  std::uint64_t watermark_window = 400;         // [checkpoint_period, 100000000] sequence numbers
  std::uint32_t max_clock_drift_ms = 1000;      // [0, 3600000] tolerated block-time drift

  friend bool operator==(const ConsensusParams&, const ConsensusParams&) = default;
};

// The network rules the contracts enforce, changed later by SetNetworkRule governance.
struct NetworkRules {
  // Minimum share in basis points every co-funding bank must take of each loan; 0 is off.
  std::int64_t min_funder_bp = 0;

  // OK if `name` is a known rule and `value` is within its range (min_funder_bp: 0-10000);
  // kInvalidArgument naming the rule otherwise. Used for genesis.json and by the governance
  // contract for SetNetworkRule, so both accept the same rules.
  static Status Check(std::string_view name, std::int64_t value);
  // Whether `name` is a rule this version knows.
  static bool IsKnown(std::string_view name);
  // Sets rule `name` to `value` if Check accepts them; otherwise returns Check's error and
  // changes nothing.
  Status Set(std::string_view name, std::int64_t value);

  friend bool operator==(const NetworkRules&, const NetworkRules&) = default;
};

struct GenesisMember {
  std::string id;
  std::string legal_name;
  // key_id = crypto::PublicKey::key_id() (16 bytes); public_key = DER SubjectPublicKeyInfo
  // as crypto::PublicKey::ToDer writes it, a key of the genesis suite.
  std::vector<proto::ClientKey> client_keys;
  std::optional<Amount> tier1_capital;
};

struct Genesis {
  std::string chain_id;
  crypto::CryptoSuite suite = crypto::CryptoSuite::Standard();
  std::string consortium_ca_pem;       // as written in the file
  std::vector<GenesisMember> members;  // in file order
  // Sorted by node_id ascending; public_key as in GenesisMember::client_keys.
  std::vector<proto::Validator> validators;
  ConsensusParams consensus;
  NetworkRules network_rules;
  // The suite hash of the exact bytes ParseGenesis read (32 bytes); empty for a Genesis
  // built in code. A property of the file, not of its content: operator== ignores it.
  Bytes genesis_hash;
};

// Compares the content, not genesis_hash.
bool operator==(const Genesis& a, const Genesis& b);

// Parses and validates genesis.json. kInvalidArgument with the JSON path of the first bad
// value; kFailedPrecondition if the linked OpenSSL lacks the named suite's algorithms.
Result<Genesis> ParseGenesis(std::string_view json_bytes);

// The canonical genesis.json of `genesis` (two-space indentation, the key order of the
// format above, every optional key written, public keys as PEM). For any valid genesis g,
// ParseGenesis(GenesisToJson(g)) == g, and GenesisToJson of that result gives the same
// bytes again. REQUIRES: `genesis` is valid (as ParseGenesis returns it); keys are written
// as they are held, not checked.
std::string GenesisToJson(const Genesis& genesis);

// The contract state a chain starts from: the genesis members (with their client keys),
// validators (epoch 0, with activation delay consensus.execution_lag + 2) and network
// rules, for BuildInitialState. The node and colend-replay both
// start from it, so they hold the same state root after genesis.
InitialState InitialStateFromGenesis(const Genesis& genesis);

}  // namespace colend::contracts

#endif  // COLEND_CONTRACTS_GENESIS_H_
