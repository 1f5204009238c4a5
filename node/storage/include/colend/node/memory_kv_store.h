// MemoryKvStore: a KvStore in memory that can simulate a crash, for tests (the storage
// tests, and the node and simulation tests that restart a node from its store).
//
// It keeps what a real disk would: the "durable" image (every synced batch, and the
// unsynced ones before it) and the batches written without sync since the last synced
// one, in order. Reads see everything written. Crash(keep) drops the unsynced batches
// except the first `keep` of them, as a log-structured store loses a suffix of its
// unsynced log, never a piece from the middle and never part of a batch.
#ifndef COLEND_NODE_MEMORY_KV_STORE_H_
#define COLEND_NODE_MEMORY_KV_STORE_H_

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "colend/node/kv_store.h"

namespace colend::node {

// Thread safety: every method may be called from any thread. Scan copies the matching
// entries under the lock and calls fn without it, so fn may do anything.
class MemoryKvStore final : public KvStore {
 public:
  MemoryKvStore() = default;
  MemoryKvStore(const MemoryKvStore&) = delete;
  MemoryKvStore& operator=(const MemoryKvStore&) = delete;

  Result<std::optional<std::string>> Get(std::string_view key) const override;
  Status Write(std::span<const KvWrite> writes, bool sync) override;
  Status Scan(std::string_view prefix, const KvScanFn& fn) const override;
  Status ScanFrom(std::string_view prefix, std::string_view start,
                  const KvScanFn& fn) const override;
  Result<std::optional<KvEntry>> FindLastAtOrBefore(std::string_view prefix,
                                                    std::string_view upper) const override;
  // A copy of the visible entries (tests only: a real snapshot copies nothing).
  Result<std::unique_ptr<KvStore>> Snapshot() const override;

  // Simulates power loss: of the batches written without sync since the last synced one,
  // the first `keep_unsynced` survive and the rest are lost. Reads then see the result.
  void Crash(std::size_t keep_unsynced = 0);

  // Unsynced batches that a Crash() now would lose.
  std::size_t unsynced_batches() const;

  // Number of keys visible now.
  std::size_t size() const;

 private:
  using Map = std::map<std::string, std::string, std::less<>>;
  static void Apply(std::span<const KvWrite> writes, Map& map);

  mutable std::mutex mu_;
  Map visible_;                                 // guarded by mu_
  Map durable_;                                 // guarded by mu_
  std::vector<std::vector<KvWrite>> unsynced_;  // guarded by mu_
};

}  // namespace colend::node

#endif  // COLEND_NODE_MEMORY_KV_STORE_H_
