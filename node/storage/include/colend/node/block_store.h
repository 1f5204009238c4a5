// BlockStore: the node's durable chain over a KvStore (LevelDB in the node): committed blocks
// with their commit certificates, receipts, the tx-hash and block-hash indexes, per-height
// roots, the current contract state, the versions of the state keys whose history queries
// need (getPositions at an earlier height), and the consensus write-ahead log.
//
// Each committed block is ONE atomic, synced batch, so after a crash (kill -9, power loss)
// the store holds exactly the blocks whose Commit returned OK (and possibly the one whose
// Commit was under way), each whole or not at all. The key layout is documented in
// src/storage_keys.h; the store carries a format version and refuses any other.
#ifndef COLEND_NODE_BLOCK_STORE_H_
#define COLEND_NODE_BLOCK_STORE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "colend/common/bytes.h"
#include "colend/common/result.h"
#include "colend/common/status.h"
#include "colend/consensus/actions.h"
#include "colend/contracts/state.h"
#include "colend/crypto/hash.h"
#include "colend/node/kv_store.h"
#include "colend/node/state_snapshot.h"
#include "colend/proto/block.pb.h"
#include "colend/proto/consensus.pb.h"

namespace colend::node {

// What the executor commits for one height.
struct StoredBlock {
  std::uint64_t height = 0;
  proto::Block block;  // header bytes + SignedTransactions, verbatim
  proto::CommitCertificate certificate;
  Bytes block_hash;                      // suite hash of block.header() bytes
  std::vector<Bytes> tx_hashes;          // suite hash of each transaction's body, block order
  std::vector<proto::Receipt> receipts;  // one per transaction, block order
  // `receipts` already serialised (the executor's, from the receipts root), which the store
  // then keeps instead of serialising them again; empty = the store serialises `receipts`.
  std::vector<std::string> encoded_receipts;
  contracts::WriteSet state_writes;      // the block's state changes (nullopt = delete)
  crypto::Digest state_root{};           // state root after this block
  crypto::Digest receipts_root{};        // Merkle root of `receipts`
  std::uint64_t timestamp_ms = 0;        // the header's timestamp
  // The event index: for each transaction (block order) the member ids of the banks it
  // concerns (its signer and the parties of what it changed). Empty = index nothing.
  std::vector<std::vector<std::string>> tx_parties;
  // For each transaction (block order): true when it is a replay of bytes committed before
  // (a DUPLICATE whose first copy already holds the tx-hash index), so the index keeps
  // pointing at the first copy. Empty = none is.
  std::vector<bool> replays;
};

// The per-height summary; height 0 describes genesis (block_hash = genesis hash).
struct BlockMeta {
  std::uint64_t height = 0;
  Bytes block_hash;
  crypto::Digest state_root{};
  crypto::Digest receipts_root{};
  std::uint64_t timestamp_ms = 0;
  std::uint32_t tx_count = 0;

  friend bool operator==(const BlockMeta&, const BlockMeta&) = default;
};

// Where a transaction sits: block height and index within the block.
struct TxLocation {
  std::uint64_t height = 0;
  std::uint32_t index = 0;

  friend bool operator==(const TxLocation&, const TxLocation&) = default;
};

// One page of a bank's event index (BlockStore::ListEvents).
struct EventPage {
  std::vector<TxLocation> events;  // ascending
  // Where the next page starts (the entry after the last one returned), when the scan
  // stopped at `limit` with more entries left; nullopt when the page reached the end.
  std::optional<TxLocation> next;
};

struct BlockStoreOptions {
  // The chain's suite hash: checks block hashes and names WAL records.
  crypto::HashAlgorithm hash = crypto::HashAlgorithm::kSha256;
  // State keys starting with any of these keep every version (ReadStateAt). Fixed for the
  // life of a data directory: InitGenesis records them and later starts must pass the same.
  std::vector<std::string> history_prefixes;
};

// Ownership: owns its KvStore.
// Thread safety: InitGenesis and Commit from one thread at a time (the executor); PutWal and
// CompactWal from one thread at a time (the consensus driver), which may be another thread
// running at the same time (the WAL has its own keys); every const method from any number of
// threads at once (JSON-RPC, sync). Readers never see a height whose block is not fully
// stored: height() moves only after the block's batch is durable.
class BlockStore {
 public:
  // Reads the store's format version and head. An empty store is fine (InitGenesis makes
  // it); a store of format version 1 is rewritten into this version first (receipts, tx
  // hashes and event entries per block instead of per transaction; about 5 s per million
  // transactions, resumed at the next open if cut short); a store written by another
  // format version fails with kFailedPrecondition.
  static Result<std::unique_ptr<BlockStore>> Open(std::unique_ptr<KvStore> kv,
                                                  BlockStoreOptions options);

  BlockStore(const BlockStore&) = delete;
  BlockStore& operator=(const BlockStore&) = delete;
  ~BlockStore();

  // First start: writes the genesis state (height 0) in one synced batch. Later starts:
  // checks that `genesis_hash` and the history prefixes equal the stored ones
  // (kFailedPrecondition "data directory belongs to another chain ..." otherwise) and writes
  // nothing.
  Status InitGenesis(ByteView genesis_hash, const contracts::WriteSet& state,
                     const crypto::Digest& state_root, const crypto::Digest& receipts_root,
                     std::uint64_t timestamp_ms);

  // Whether genesis is stored (InitGenesis has succeeded on this data directory).
  bool initialized() const { return initialized_.load(std::memory_order_acquire); }

  // The last committed height; 0 = genesis only.
  std::uint64_t height() const { return height_.load(std::memory_order_acquire); }

  // The format version Open found and rewrote (1), or 0 if it rewrote nothing.
  std::uint32_t migrated_from() const { return migrated_from_; }

  // Stores `block` as ONE atomic synced batch: block and certificate, receipts, tx hashes and
  // the tx-hash index, block-hash index, meta, state writes, history versions, the event
  // index entries of block.tx_parties, new head.
  // REQUIRES: initialized() and block.height == height() + 1 (kFailedPrecondition
  // otherwise); block_hash is the suite hash of the header; tx_hashes and receipts have one
  // entry per transaction, tx_parties one or none (kInvalidArgument otherwise). On failure
  // height() is unchanged, no block, receipt or index of this height is served, and the
  // same block may be committed again. (Whether the failed batch reached the disk is
  // unknown, so ScanState may already show its writes and a restart may find it committed:
  // a node should retry the same block or stop, never commit a different one at this
  // height.)
  Status Commit(const StoredBlock& block);

  // The block at `height` (1..height()) with its certificate; kNotFound otherwise.
  Result<proto::CertifiedBlock> GetBlock(std::uint64_t height) const;

  // The summary of `height` (0 = genesis); kNotFound above height().
  Result<BlockMeta> GetMeta(std::uint64_t height) const;

  // The height of the block whose hash is `block_hash` (the genesis hash gives 0).
  Result<std::uint64_t> FindBlockByHash(ByteView block_hash) const;

  // Where the transaction with body hash `tx_hash` was committed; kNotFound if nowhere.
  Result<TxLocation> FindTx(ByteView tx_hash) const;

  Result<proto::Receipt> GetReceipt(const TxLocation& at) const;
  Result<Bytes> GetTxHash(const TxLocation& at) const;
  // The receipts at `at`, in that order: each block's stored receipts are read once for a
  // run of locations in it (an event page).
  Result<std::vector<proto::Receipt>> GetReceiptsAt(std::span<const TxLocation> at) const;

  // Every receipt / tx hash of the block at `height`, in block order (empty for genesis).
  Result<std::vector<proto::Receipt>> GetReceipts(std::uint64_t height) const;
  Result<std::vector<Bytes>> GetTxHashes(std::uint64_t height) const;
  // Both at once, from one read of the block's stored value; a null output is skipped.
  Status GetTxHashesAndReceipts(std::uint64_t height, std::vector<Bytes>* hashes,
                                std::vector<proto::Receipt>* receipts) const;

  // The first height the per-bank event index covers: 1 for a store that had it from
  // genesis, the head + 1 at the first open of a store written before it existed.
  std::uint64_t events_from() const { return events_from_.load(std::memory_order_acquire); }

  // The events of `bank` at or after `from` (height, index) and at or below `to_height`
  // (capped at height()), ascending, at most `limit` (>= 1). kOutOfRange if from.height is
  // below events_from(): those heights were committed before the index existed.
  Result<EventPage> ListEvents(std::string_view bank, TxLocation from, std::uint64_t to_height,
                               std::size_t limit) const;

  // Calls fn(key, value) for every current state key starting with `prefix`, ascending,
  // until fn returns false. One consistent snapshot (between two blocks).
  Status ScanState(std::string_view prefix, const KvScanFn& fn) const;

  // The current state and the height it is after, frozen: later commits do not change it,
  // and reading it holds nothing Commit waits for (state_snapshot.h). kFailedPrecondition
  // before InitGenesis or if the KvStore takes no snapshots.
  Result<std::unique_ptr<StateSnapshot>> SnapshotState() const;

  // The current value of a state key, nullopt if absent.
  Result<std::optional<std::string>> GetState(std::string_view key) const;

  // The value `key` had after block `height` (0 = genesis). Only for keys under a history
  // prefix (kInvalidArgument for others); kOutOfRange above height().
  Result<std::optional<std::string>> ReadStateAt(std::string_view key, std::uint64_t height) const;

  // --- Consensus write-ahead log (its own key space) ---

  // Stores `record` under `key`, synced before returning. Several records may share one
  // key (a PREPARE and a COMMIT sent at one view and sequence): each is kept; putting the
  // same record twice keeps one copy.
  Status PutWal(const consensus::WalKey& key, const proto::ConsensusWalRecord& record);

  // Deletes every record whose key is obsolete under consensus::WalRecordObsolete.
  Status CompactWal(std::uint64_t stable_sequence, std::uint64_t view);

  // Every record, ordered by (kind, view, sequence).
  Result<std::vector<proto::ConsensusWalRecord>> LoadWal() const;

 private:
  BlockStore(std::unique_ptr<KvStore> kv, BlockStoreOptions options);

  bool IsHistoryKey(std::string_view key) const;
  Status CheckCommittable(const StoredBlock& block) const;
  // Rewrites a format-version-1 store into this version (block_store.cc).
  Status MigrateFromVersion1();
  // The stored value holding the receipts and tx hashes of block `height` (1..height()).
  Result<std::string> GetTxRecords(std::uint64_t height) const;

  std::unique_ptr<KvStore> kv_;
  const BlockStoreOptions options_;
  std::atomic<bool> initialized_{false};
  std::atomic<std::uint64_t> height_{0};
  std::atomic<std::uint64_t> events_from_{1};
  std::uint32_t migrated_from_ = 0;  // set by Open only
};

}  // namespace colend::node

#endif  // COLEND_NODE_BLOCK_STORE_H_
