// FaultInjectingKvStore: a KvStore wrapper that fails on command, for the storage fault
// tests: a Write that fails before it reaches the disk, one that reaches the disk but still
// reports failure (a lost acknowledgement), failing reads, and a disk that fills up.
#ifndef COLEND_NODE_FAULT_INJECTING_KV_STORE_H_
#define COLEND_NODE_FAULT_INJECTING_KV_STORE_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "colend/node/kv_store.h"

namespace colend::node {

// Ownership: shares ownership of the wrapped store.
// Thread safety: every method may be called from any thread.
class FaultInjectingKvStore final : public KvStore {
 public:
  enum class WriteFault : std::uint8_t {
    kBeforeApply,  // the batch is dropped and kIoError returned
    // The batch is applied to the wrapped store, then kIoError returned: a batch that reached
    // the disk before the failure was reported. (LevelDB would show it only after a reopen;
    // this wrapper shows it at once, the harder case for the code above it.)
    kAfterApply,
  };

  // REQUIRES: base != nullptr.
  explicit FaultInjectingKvStore(std::shared_ptr<KvStore> base);

  Result<std::optional<std::string>> Get(std::string_view key) const override;
  Status Write(std::span<const KvWrite> writes, bool sync) override;
  Status Scan(std::string_view prefix, const KvScanFn& fn) const override;
  Status ScanFrom(std::string_view prefix, std::string_view start,
                  const KvScanFn& fn) const override;
  // The base's snapshot (reads from it are not faulted).
  Result<std::unique_ptr<KvStore>> Snapshot() const override;
  Result<std::optional<KvEntry>> FindLastAtOrBefore(std::string_view prefix,
                                                    std::string_view upper) const override;

  // The n-th Write from now (1 = the next one) fails with `fault`; one failure only.
  // REQUIRES: n >= 1.
  void FailNthWrite(std::uint64_t n, WriteFault fault = WriteFault::kBeforeApply);

  // While set, Get, Scan and FindLastAtOrBefore fail with kIoError.
  void FailReads(bool fail);

  // Writes succeed while the bytes of keys and values written from now on stay within
  // `bytes`; the Write that would exceed it fails before it is applied, as does every
  // later one ("no space left on device"). nullopt removes the limit.
  void SetWriteByteBudget(std::optional<std::uint64_t> bytes);

  // Removes every fault.
  void Heal();

  // Writes attempted so far, including failed ones.
  std::uint64_t write_attempts() const;

 private:
  std::shared_ptr<KvStore> base_;
  mutable std::mutex mu_;
  std::uint64_t write_attempts_ = 0;              // guarded by mu_
  std::optional<std::uint64_t> fail_at_attempt_;  // guarded by mu_
  WriteFault fault_ = WriteFault::kBeforeApply;   // guarded by mu_
  bool fail_reads_ = false;                       // guarded by mu_
  std::optional<std::uint64_t> budget_left_;      // guarded by mu_
};

}  // namespace colend::node

#endif  // COLEND_NODE_FAULT_INJECTING_KV_STORE_H_
