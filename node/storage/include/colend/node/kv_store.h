// KvStore: the ordered key-value store under the node's durable chain (BlockStore), and
// OpenLevelDb, which opens the production one.
//
// Keys and values are arbitrary byte strings ordered bytewise. A Write applies a whole
// batch atomically: after a crash either all of it or none of it is there. With sync the
// batch is on stable storage (fsync) before Write returns; without it the batch is visible
// at once but a crash may lose it (and every later unsynced batch, never an earlier one).
//
// Implementations here: OpenLevelDb (the node), MemoryKvStore (memory_kv_store.h, tests,
// with simulated crashes) and FaultInjectingKvStore (fault_injecting_kv_store.h).
#ifndef COLEND_NODE_KV_STORE_H_
#define COLEND_NODE_KV_STORE_H_

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "colend/common/result.h"
#include "colend/common/status.h"

namespace colend::node {

// One change of a batch: put `value`, or delete `key` when value is nullopt.
struct KvWrite {
  std::string key;
  std::optional<std::string> value;
};

// A key and its value, as returned by FindLastAtOrBefore.
using KvEntry = std::pair<std::string, std::string>;

// Called for each entry of a scan; return false to stop.
using KvScanFn = std::function<bool(std::string_view key, std::string_view value)>;

// Thread safety: every implementation is safe for concurrent calls from any threads (one
// writer and many readers is the node's pattern). A Scan callback must not call back into
// the same store's Write.
class KvStore {
 public:
  virtual ~KvStore() = default;

  // The value of `key`, or nullopt if it is absent.
  virtual Result<std::optional<std::string>> Get(std::string_view key) const = 0;

  // Applies `writes` in order as one atomic batch (a later write to the same key wins).
  // With `sync`, durable before returning. On failure the batch is not visible through this
  // store; whether it survives a crash is unknown (the disk may have taken it whole).
  virtual Status Write(std::span<const KvWrite> writes, bool sync) = 0;

  // Calls fn(key, value) for every key starting with `prefix`, in ascending order, until fn
  // returns false. The scan sees one consistent snapshot.
  virtual Status Scan(std::string_view prefix, const KvScanFn& fn) const = 0;

  // As Scan, but starting at the first key >= `start` (a key under `prefix`), so a scan of
  // one bank's events from a height seeks instead of walking the earlier ones. The default
  // walks the prefix and skips; the stores here seek.
  virtual Status ScanFrom(std::string_view prefix, std::string_view start,
                          const KvScanFn& fn) const;

  // A read-only view of the store as it is now, which later writes do not change (a
  // LevelDB snapshot): a long scan reads one consistent state without holding anything a
  // writer waits for. Writing to it is not allowed (LevelDB's fails). The default fails
  // with kFailedPrecondition; the stores here take snapshots. REQUIRES: the store outlives it.
  virtual Result<std::unique_ptr<KvStore>> Snapshot() const;

  // The entry with the greatest key that starts with `prefix` and is <= `upper`, or nullopt.
  // (History lookups: "the last version of this key at or before height h".)
  virtual Result<std::optional<KvEntry>> FindLastAtOrBefore(std::string_view prefix,
                                                            std::string_view upper) const = 0;
};

struct LevelDbOptions {
  // Create the database if the directory holds none (the directory itself is created too).
  bool create_if_missing = true;
  // LRU cache of uncompressed blocks.
  std::size_t block_cache_bytes = 64u << 20;
  // Memtable size before it is written out as a sorted table.
  std::size_t write_buffer_bytes = 16u << 20;
  int max_open_files = 1000;
};

// Opens (or creates) the LevelDB database in `dir`: snappy compression, a block cache of
// options.block_cache_bytes, paranoid checks. LevelDB holds the directory's lock for as long
// as the store lives, so a second opener (another process, or this one) fails with
// kFailedPrecondition naming the directory. Other failures: kIoError, kCorruption.
Result<std::unique_ptr<KvStore>> OpenLevelDb(const std::filesystem::path& dir,
                                             const LevelDbOptions& options);

// A KvStore that forwards to `shared`, for handing one store to an owner that wants a
// unique_ptr (BlockStore::Open) while a test keeps its own handle to crash or fault it.
// REQUIRES: shared != nullptr.
std::unique_ptr<KvStore> ShareKvStore(std::shared_ptr<KvStore> shared);

}  // namespace colend::node

#endif  // COLEND_NODE_KV_STORE_H_
