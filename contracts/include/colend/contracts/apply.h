// Executing transactions: the entry point of the settlement and governance contracts.
//
//   Result<proto::Receipt> Apply(tx, state, ctx)
//
// is a pure function of (the transaction, the state it reads through `state`, the block
// context): no clock, file, socket, thread or randomness, no floating point, no iteration
// over an unordered container. Every node that applies the same transactions to the same
// state gets the same receipts, the same write set and therefore the same state root.
//
// Receipts: an accepted transaction's effects are added to `state`; a rejected one adds
// only the record of its (signer, id) so that a retry is DUPLICATE (unless the signer is
// not an active member or its key is not registered: those transactions leave no trace at
// all). A non-OK Result means the state itself is damaged (a record does not parse); the
// node must stop rather than guess.
#ifndef COLEND_CONTRACTS_APPLY_H_
#define COLEND_CONTRACTS_APPLY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "colend/common/bytes.h"
#include "colend/common/result.h"
#include "colend/contracts/state.h"
#include "colend/crypto/suite.h"
#include "colend/proto/block.pb.h"
#include "colend/proto/state.pb.h"
#include "colend/proto/tx.pb.h"

namespace colend::contracts {

// What the block gives every transaction in it.
struct BlockContext {
  std::string chain_id;
  // The chain's crypto suite (genesis): which curve governance checks new client keys on.
  crypto::CryptoSuite suite = crypto::CryptoSuite::Standard();
  std::uint64_t height = 0;
  std::uint64_t block_time_ms = 0;
};

// Whether the caller checked the transaction's signature.
enum class Authentication {
  // The signature over the body bytes verified under the public key with id `key_id`; the
  // contract checks that this key is one of the signer's active keys at execution time (a
  // key retired after admission no longer counts). What the node always uses.
  kVerifiedKey,
  // Nothing was signed (colend-replay of a JSON-lines file): the key check is skipped and
  // only membership is checked.
  kUnsignedReplay,
  // The node verified the signature at execution under the signer's key with id `key_id`
  // (as the state holds it at this point of the block), and it does not verify: rejected
  // BAD_SIGNATURE, leaving no (signer, id) record. A proposal check cannot refuse a block
  // for it when the key was unknown to that replica's state then (a key registered in a
  // block it had not executed yet), so execution, which every node does at the same state,
  // decides.
  kSignatureInvalid,
};

// One transaction as the contract sees it. The body was parsed from the verbatim bytes the
// signer signed; tx_hash is the suite hash of those bytes.
struct ExecutableTx {
  const proto::TransactionBody* body = nullptr;
  ByteView tx_hash;
  Authentication authentication = Authentication::kVerifiedKey;
  ByteView key_id;
  // Position of the transaction in its block, from 0.
  std::uint32_t index = 0;
  // When not null, Apply appends the banks an accepted transaction concerns as the contract
  // knows them: the banks with a leg in the loan a loan event names (for a reversal, the
  // loan of the event it reverses), then the debtor and the creditor of each line of its
  // journal, in line order; for a rejected one, nothing. What the node indexes events by,
  // without reading the loan and the record again.
  std::vector<std::string>* banks = nullptr;
};

// REQUIRES: tx.body != nullptr. `state` is the block's overlay on the committed state.
Result<proto::Receipt> Apply(const ExecutableTx& tx, StateView& state, const BlockContext& ctx);

// The state a chain starts from: members (with their client keys), validators and rules.
struct InitialMember {
  std::string id;
  std::string legal_name;
  std::vector<proto::ClientKey> client_keys;
  std::int64_t tier1_capital = 0;
};

struct InitialState {
  std::vector<InitialMember> members;
  // Epoch 0 of the validator schedule (validators.h); empty for a state without consensus
  // (an ad-hoc replay).
  std::vector<proto::Validator> validators;
  std::uint32_t min_funder_bp = 0;
  // G of the validator schedule: a set decided by the block at height h orders blocks from
  // h + G on. InitialStateFromGenesis sets it to the genesis consensus execution_lag + 2
  // (the consensus module's MaxInFlight); the default is that of the default lag, 1.
  std::uint64_t validator_activation_delay = 3;
};

// The write set of the genesis state: members, rules, "meta/validators" (when there are
// validators), the validator schedule and its epoch 0. Fails with kInvalidArgument (naming
// the member) on a bad or repeated member id, a repeated key id, min_funder_bp above
// 10,000, or a validator_activation_delay of 0.
Result<WriteSet> BuildInitialState(const InitialState& initial);

}  // namespace colend::contracts

#endif  // COLEND_CONTRACTS_APPLY_H_
