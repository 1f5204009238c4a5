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
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <google/protobuf/message.h>

#include "colend/common/result.h"
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

class StateView;

// Typed record load/store over a StateReader or StateView (records.h defines them).
template <typename M>
Result<std::optional<M>> ReadRecord(const StateReader& state, std::string_view key);
template <typename M>
Result<const M*> PeekRecord(const StateView& state, std::string_view key);
template <typename M>
Result<M*> MutableRecord(StateView& state, std::string_view key);
template <typename M>
M* NewRecord(StateView& state, std::string_view key);

// An overlay on a StateReader that records writes. Reads see the overlay's own writes
// first. A StateView may sit on another StateView (a transaction on its block), and
// MergeInto() moves its writes into the parent.
//
// Decoded records: besides bytes, a view can hold records in decoded form, so that a
// record read and changed by many transactions of a block (an agreement, a position, a
// member) is parsed once and serialised once per block instead of once per transaction.
// PeekRecord() reads a record (decoding it at most once per block: the outermost view
// keeps what it decoded from its base), MutableRecord() stages a record as a write of this
// view and returns it for changing in place (a transaction's view gets its own copy, so a
// rejected transaction leaves no trace), NewRecord() stages a fresh one. A staged record
// is serialised only when someone needs its bytes: Get(), writes(), TakeWrites(). Bytes
// and decoded records are two forms of the same value: Get() and the write set are exactly
// what Put(key, record.SerializeAsString()) would have given.
//
// The base must not change while the view lives (the outermost view remembers what it
// decoded from it), except between TakeWrites() and the next read.
//
// Its public face is reads (Get), writes (Put, Delete), the typed record load/store of
// records.h (ReadRecord, PeekRecord, MutableRecord, NewRecord, WriteRecord) and the write set
// (writes, TakeWrites, MergeInto). The decoded records and the cache behind them are private.
//
// Thread safety: not thread-safe; one executing thread owns it, and its child views (reads
// through a child may update the parent's decoding cache). The base must outlive it.
class StateView final : public StateReader {
 public:
  explicit StateView(const StateReader* base);
  ~StateView() override;

  StateView(const StateView&) = delete;
  StateView& operator=(const StateView&) = delete;

  bool Get(std::string_view key, std::string* value) const override;
  void Put(std::string_view key, std::string value);
  void Delete(std::string_view key);

  // The writes ordered by key (a copy; call once per block, not per read). Staged records
  // are serialised here.
  WriteSet writes() const;
  WriteSet TakeWrites();
  std::size_t write_count() const { return writes_.size(); }

  // Moves every write into `parent` (which must be this view's base) and clears this view.
  void MergeInto(StateView& parent);

 private:
  // Typed record load/store (records.h) is the only way to records in decoded form: these
  // templates cast between a record type and the Message-based primitives below, so that no
  // caller ever sees a Message of the wrong type or the decoding cache.
  template <typename M>
  friend Result<std::optional<M>> ReadRecord(const StateReader& state, std::string_view key);
  template <typename M>
  friend Result<const M*> PeekRecord(const StateView& state, std::string_view key);
  template <typename M>
  friend Result<M*> MutableRecord(StateView& state, std::string_view key);
  template <typename M>
  friend M* NewRecord(StateView& state, std::string_view key);

  // The record at `key` decoded as a message of `prototype`'s type, or nullptr if the key
  // is absent. kCorruption if its bytes do not parse as that type. The pointer is valid
  // until the next change to this view or any view in its chain (Put, Delete,
  // StageMutable, StageNew, MergeInto, TakeWrites).
  Result<const google::protobuf::Message*> FindDecoded(
      std::string_view key, const google::protobuf::Message& prototype) const;

  // Copies the record at `key` into *out (from its decoded form when a view of the chain
  // holds one, else by parsing its bytes; nothing is cached) and returns true, or returns
  // false if the key is absent. kCorruption as FindDecoded. REQUIRES: out != nullptr.
  Result<bool> CopyDecoded(std::string_view key, google::protobuf::Message* out) const;

  // Stages the record at `key` as a write of this view and returns it for changing in
  // place (its serialised form is the value of `key` from now on), or returns nullptr if
  // the key is absent (nothing is staged). kCorruption as FindDecoded. The pointer is valid
  // until the next Put, Delete, MergeInto or TakeWrites of this view.
  Result<google::protobuf::Message*> StageMutable(std::string_view key,
                                                  const google::protobuf::Message& prototype);

  // Stages an empty record of `prototype`'s type at `key` (replacing any value) and
  // returns it for filling in. Pointer validity as StageMutable.
  google::protobuf::Message* StageNew(std::string_view key,
                                      const google::protobuf::Message& prototype);

  // One written key. Either `value` is the value (bytes, or std::nullopt for a deletion)
  // and `record`, if set, is a decoding of it kept for reads; or `record_is_value` and the
  // serialised `record` is the value. `spare` is a retired record of this key kept as the
  // target of the next copy (a copy into a message of the same shape allocates nothing).
  struct Slot {
    std::optional<std::string> value;
    std::unique_ptr<google::protobuf::Message> record;
    std::unique_ptr<google::protobuf::Message> spare;
    bool record_is_value = false;
  };
  // Where a key was found in the chain of views (without asking the outermost base).
  struct Found;

  Found Locate(std::string_view key) const;
  // Decodes (or re-types) the value of `slot` into slot.record for reading.
  Status DecodeSlot(std::string_view key, Slot& slot,
                    const google::protobuf::Message& prototype) const;
  // The value of `slot` (which must not be a deletion) as bytes.
  static std::string SlotBytes(const Slot& slot);

  const StateReader* base_;
  // base_ when it is a StateView (this view is a transaction's or a nested overlay).
  const StateView* parent_ = nullptr;
  // Unordered for O(1) reads while executing; writes() sorts them for anyone who iterates.
  // Mutable: reads decode into it (a cache of the same value, never a change of it).
  mutable std::unordered_map<std::string, Slot, StringKeyHash, std::equal_to<>> writes_;
  // Records decoded from base_ (outermost view only): read-mostly records such as members
  // and rules are parsed once per block.
  mutable std::unordered_map<std::string, std::unique_ptr<google::protobuf::Message>,
                             StringKeyHash, std::equal_to<>>
      decoded_;
};

}  // namespace colend::contracts

#endif  // COLEND_CONTRACTS_STATE_H_
