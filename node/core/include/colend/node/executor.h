// Executor: runs committed blocks through the contracts, in height order, on the node's
// in-memory copy of the contract state (docs/architecture.md, node/core).
//
// The node keeps the whole contract state in memory (contracts::MemoryState, loaded from the
// block store at start) and writes each block's write set to the store in the same synced
// batch as the block. Executing a block is split in two, so that a block that cannot be
// executed leaves the state as it was:
//
//   Result<ExecutedBlock> Execute(block)   reads the state, changes nothing
//   void Apply(executed)                   makes the block's writes the current state and
//                                          fills in the state root
// The node executes, applies, and only then commits the block with its write set to the
// store (Node::Impl::Commit). Readers may see a block's state a moment before it is
// durable; receipts and heights are served from the store, so nothing is acknowledged
// before it survives a crash. If that store write fails the node halts: its memory is one
// block ahead of its store, and a restart reloads the state from the store.
//
// Every node that executes the same blocks from the same genesis gets the same receipts,
// the same write sets and the same roots (contracts/apply.h); block_test.cc pins the
// receipt encoding behind receipts_root.
//
// Ownership: owns the state. Thread safety: Execute and Apply from one thread (the node's);
// readers on other threads take `mutex()` shared, Apply takes it exclusively.
#ifndef COLEND_NODE_EXECUTOR_H_
#define COLEND_NODE_EXECUTOR_H_

#include <cstdint>
#include <functional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "colend/common/bytes.h"
#include "colend/common/result.h"
#include "colend/contracts/apply.h"
#include "colend/contracts/memory_state.h"
#include "colend/contracts/state.h"
#include "colend/contracts/tx_decode.h"
#include "colend/crypto/hash.h"
#include "colend/crypto/suite.h"
#include "colend/proto/block.pb.h"

namespace colend::node {

// One transaction as the event index and the subscriptions see it: who signed it, its id
// and type (docs/api.md), and the member ids it concerns (signer and parties of what it
// changed, node/core/src/event_parties.h), sorted. All empty for bytes that did not decode.
struct TxSummary {
  std::string signer;
  std::string id;
  std::string type;
  std::vector<std::string> parties;
};

// What executing one block produced.
struct ExecutedBlock {
  std::uint64_t height = 0;
  std::uint64_t timestamp_ms = 0;
  Bytes block_hash;                     // suite hash of the header bytes
  std::vector<Bytes> tx_hashes;         // suite hash of each body (empty for undecodable bytes)
  std::vector<proto::Receipt> receipts;  // one per transaction, block order
  // `receipts` serialised, as the receipts root hashed them: the store keeps these bytes.
  std::vector<std::string> encoded_receipts;
  std::vector<TxSummary> txs;            // one per transaction, block order
  // One per transaction: a replay of bytes committed before (StoredBlock::replays).
  std::vector<bool> replays;
  contracts::WriteSet writes;
  crypto::Digest state_root{};     // after this block (set by Apply)
  crypto::Digest receipts_root{};  // of `receipts`
  std::uint64_t accepted = 0;      // receipts with status OK
};

// The receipts root of block.proto: Merkle root over the suite hash of each serialised
// receipt, in order (the root of the empty list for none).
crypto::Digest ReceiptsRoot(crypto::HashAlgorithm hash, const std::vector<proto::Receipt>& receipts);
// The same root over receipts already serialised (each the bytes of one proto::Receipt).
crypto::Digest EncodedReceiptsRoot(crypto::HashAlgorithm hash,
                                   const std::vector<std::string>& encoded_receipts);

class Executor {
 public:
  Executor(std::string chain_id, crypto::CryptoSuite suite);
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Whether this node already verified the signature of a transaction (its serialised
  // SignedTransaction bytes): admitted to the pool, or checked in a proposal. Execute
  // verifies every other transaction itself against the key the state holds at that point
  // of the block (a proposal check cannot verify a transaction whose key its state did not
  // hold yet, and must not refuse the block for it). Unset: every signature is verified.
  // Must be safe to call from the executing thread; set before the first Execute.
  using VerifiedLookup = std::function<bool(std::string_view signed_tx)>;
  void SetVerifiedLookup(VerifiedLookup lookup) { verified_ = std::move(lookup); }

  // Loads committed state (genesis write set, or the store's state at start). Before any
  // Execute. `height` is the height the state is after.
  void Load(const contracts::WriteSet& writes, std::uint64_t height);

  // Runs `block` (at height() + 1, header already parsed by consensus) through the
  // contracts. A transaction whose bytes do not decode (a certified block can only carry
  // one if a quorum was faulty) gets a MALFORMED receipt, like any other rejection.
  // Fails only if the state is damaged (the node must stop) or the height is wrong.
  Result<ExecutedBlock> Execute(const proto::Block& block, const proto::BlockHeader& header) const;

  // Makes `executed` the current state (under mutex(), exclusively) and sets
  // executed.state_root. REQUIRES: `executed` came from Execute at height() + 1.
  void Apply(ExecutedBlock& executed);

  std::uint64_t height() const { return height_; }
  crypto::Digest state_root() const { return root_; }
  const crypto::CryptoSuite& suite() const { return suite_; }

  // The committed state; read it holding mutex() shared.
  const contracts::MemoryState& state() const { return state_; }
  std::shared_mutex& mutex() const { return mutex_; }

 private:
  // The signature check of a transaction this node has not verified yet.
  contracts::Authentication Authenticate(const contracts::DecodedTransaction& tx,
                                         const contracts::StateView& view) const;

  std::string chain_id_;
  crypto::CryptoSuite suite_;
  VerifiedLookup verified_;
  mutable std::shared_mutex mutex_;
  contracts::MemoryState state_;
  std::uint64_t height_ = 0;
  crypto::Digest root_{};
};

}  // namespace colend::node

#endif  // COLEND_NODE_EXECUTOR_H_
