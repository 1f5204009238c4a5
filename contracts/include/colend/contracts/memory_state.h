// MemoryState: committed contract state held in memory, with its state root. The node's
// executor keeps the whole state in one (loaded from its store at start; the store holds
// it durably), and so do colend-replay, the tests and the benchmarks.
//
// Thread safety: not thread-safe; one thread owns it.
#ifndef COLEND_CONTRACTS_MEMORY_STATE_H_
#define COLEND_CONTRACTS_MEMORY_STATE_H_

#include <cstddef>
#include <string>
#include <string_view>

#include <boost/unordered/unordered_flat_map.hpp>

#include "colend/contracts/state.h"
#include "colend/contracts/state_commitment.h"
#include "colend/crypto/hash.h"

namespace colend::contracts {

class MemoryState final : public StateReader, public StateScanner {
 public:
  explicit MemoryState(crypto::HashAlgorithm algorithm) : commitment_(algorithm) {}

  bool Get(std::string_view key, std::string* value) const override;

  // Sorts the matching keys on every call: for reports and tests, not for hot paths.
  void Scan(std::string_view prefix,
            const std::function<bool(std::string_view key, std::string_view value)>& fn)
      const override;

  // Applies a block's (or genesis') write set.
  void Commit(const WriteSet& writes);

  // The state root after everything committed so far.
  crypto::Digest Root() { return commitment_.Root(); }

  std::size_t size() const { return values_.size(); }

  // Bytes held in keys and values (not counting the hash table or commitment overhead).
  std::size_t payload_bytes() const { return payload_bytes_; }

  // Bytes held by the state root's tree (state_commitment.h).
  std::size_t commitment_bytes() const { return commitment_.memory_bytes(); }

 private:
  // Point lookups only: execution never iterates it, so its order never reaches state.
  // Open addressing (Boost.Unordered's flat map) rather than std::unordered_map: a lookup
  // in a state of a million keys is one cache miss fewer without the node of a chained
  // table, which made the contract's Apply about 20 % faster (docs/performance.md).
  boost::unordered_flat_map<std::string, std::string, StringKeyHash, std::equal_to<>> values_;
  StateCommitment commitment_;
  std::size_t payload_bytes_ = 0;
};

}  // namespace colend::contracts

#endif  // COLEND_CONTRACTS_MEMORY_STATE_H_
