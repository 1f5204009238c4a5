// The contract state as the contracts see it: a key-value map of serialised records
// (proto/colend/proto/state.proto), read through StateReader and changed only through a
// StateView, which collects the changes as a WriteSet.
//
// No I/O here: the node backs StateReader with its store (LevelDB), tests and
// colend-replay with MemoryState (memory_state.h). Nothing that reaches state depends on
// the order of an unordered container: a WriteSet is ordered by key.
#ifndef COLEND_CONTRACTS_STATE_H_
#define COLEND_CONTRACTS_STATE_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "colend/common/status.h"

namespace colend::contracts {

// Point reads of committed state. Implementations must be safe to call from the thread
// that executes blocks; whether other threads may call them is the implementation's
// business.
class StateReader {
 public:
  virtual ~StateReader() = default;

  // Copies the value of `key` into *value and returns true, or returns false if the key
  // is absent. REQUIRES: value != nullptr.
  virtual bool Get(std::string_view key, std::string* value) const = 0;
};

// Ordered reads for queries and reports (books, listLoans); never used while executing a
// transaction, so execution cost never depends on the size of the state.
class StateScanner {
 public:
  virtual ~StateScanner() = default;

  // Calls fn(key, value) for every key starting with `prefix`, in ascending byte order,
  // until fn returns false.
  virtual void Scan(std::string_view prefix,
                    const std::function<bool(std::string_view key, std::string_view value)>& fn)
      const = 0;
};

// A set of changes: key -> new value, or std::nullopt for a deletion. Ordered by key, so
// iterating it (to persist it, to hash it) is the same on every node.
using WriteSet = std::map<std::string, std::optional<std::string>, std::less<>>;

// Hashing for string-keyed hash maps that can be probed with a string_view (no temporary
// std::string per lookup).
struct StringKeyHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
};

// An overlay on a StateReader that records writes. Reads see the overlay's own writes
// first. A StateView may sit on another StateView (a transaction on its block), and
// MergeInto() moves its writes into the parent.
//
// Thread safety: not thread-safe; one executing thread owns it. The base must outlive it.
class StateView final : public StateReader {
 public:
  explicit StateView(const StateReader* base) : base_(base) {}

  StateView(const StateView&) = delete;
  StateView& operator=(const StateView&) = delete;

  bool Get(std::string_view key, std::string* value) const override;
  void Put(std::string_view key, std::string value);
  void Delete(std::string_view key);

  // The writes ordered by key (a copy; call once per block, not per read).
  WriteSet writes() const;
  WriteSet TakeWrites();
  std::size_t write_count() const { return writes_.size(); }

  // Moves every write into `parent` (which must be this view's base) and clears this view.
  void MergeInto(StateView& parent);

  // Forgets every write.
  void Clear() { writes_.clear(); }

 private:
  const StateReader* base_;
  // Unordered for O(1) reads while executing; writes() sorts them for anyone who iterates.
  std::unordered_map<std::string, std::optional<std::string>, StringKeyHash, std::equal_to<>>
      writes_;
};

}  // namespace colend::contracts

#endif  // COLEND_CONTRACTS_STATE_H_
