// StateSnapshot: the contract state as of one committed height, read from a snapshot of the
// block store (BlockStore::SnapshotState). State queries that scan (listLoans,
// listAgreements, getBooks, getSettlements) read it instead of the executor's in-memory
// state: a snapshot takes no lock, so however long a scan runs, block execution and commits
// go on, and every answer comes from one height, which the snapshot names (the height of the
// store's head in the same snapshot, and that block's state root).
//
// Read errors (a damaged store) cannot travel through StateReader::Get or
// StateScanner::Scan: the first one is kept in status(), Get then answers "absent" and Scan
// stops. A caller checks status() after reading.
//
// Ownership: owns its store snapshot. Thread safety: one thread at a time (status() is not
// synchronised). REQUIRES: the BlockStore it came from outlives it.
#ifndef COLEND_NODE_STATE_SNAPSHOT_H_
#define COLEND_NODE_STATE_SNAPSHOT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "colend/common/result.h"
#include "colend/common/status.h"
#include "colend/contracts/state.h"
#include "colend/crypto/hash.h"
#include "colend/node/kv_store.h"

namespace colend::node {

class StateSnapshot final : public contracts::StateReader, public contracts::StateScanner {
 public:
  // Takes a snapshot of `kv` (a BlockStore's) and reads the head and its state root from
  // it. kFailedPrecondition if `kv` takes no snapshots; kCorruption if the head or its
  // meta is missing or malformed.
  static Result<std::unique_ptr<StateSnapshot>> Take(const KvStore& kv);

  StateSnapshot(const StateSnapshot&) = delete;
  StateSnapshot& operator=(const StateSnapshot&) = delete;

  // The height the snapshot is after (0 = genesis), and the state root after it.
  std::uint64_t height() const { return height_; }
  const crypto::Digest& state_root() const { return state_root_; }

  bool Get(std::string_view key, std::string* value) const override;
  void Scan(
      std::string_view prefix,
      const std::function<bool(std::string_view key, std::string_view value)>& fn) const override;

  // The first read error, OK if none.
  const Status& status() const { return status_; }

 private:
  StateSnapshot(std::unique_ptr<KvStore> snapshot, std::uint64_t height, crypto::Digest root)
      : snapshot_(std::move(snapshot)), height_(height), state_root_(root) {}

  std::unique_ptr<KvStore> snapshot_;
  std::uint64_t height_;
  crypto::Digest state_root_;
  mutable Status status_;
};

}  // namespace colend::node

#endif  // COLEND_NODE_STATE_SNAPSHOT_H_
