// The validators that order blocks, and the quorum arithmetic over them.
//
// With n validators the chain tolerates f = floor((n - 1) / 3) faulty ones and a quorum is
// ceil((n + f + 1) / 2) validators, which is 2f + 1 when n = 3f + 1: any two quorums then
// share at least one honest validator (the whole safety argument rests on that).
// The set is the ordered list of node ids (ascending, as ChangeValidatorSet requires); the
// primary of view v is the validator at position v mod n.
//
// Thread safety: immutable after construction; copies are independent.
#ifndef COLEND_CONSENSUS_VALIDATOR_SET_H_
#define COLEND_CONSENSUS_VALIDATOR_SET_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "colend/common/result.h"

namespace colend::consensus {

class ValidatorSet {
 public:
  // Fails with kInvalidArgument unless `node_ids` is non-empty, strictly ascending (hence
  // without duplicates) and every id is non-empty.
  static Result<ValidatorSet> Create(std::vector<std::string> node_ids);

  std::size_t size() const { return node_ids_.size(); }
  // f = floor((n - 1) / 3).
  std::size_t max_faulty() const { return (size() - 1) / 3; }
  // ceil((n + f + 1) / 2): 2f + 1 when n = 3f + 1.
  std::size_t quorum() const { return quorum_; }

  const std::vector<std::string>& node_ids() const { return node_ids_; }
  bool Contains(std::string_view node_id) const { return IndexOf(node_id).has_value(); }
  std::optional<std::size_t> IndexOf(std::string_view node_id) const;

  // The primary of `view`: node_ids()[view mod n].
  const std::string& Primary(std::uint64_t view) const { return node_ids_[view % size()]; }

 private:
  // Lets the deterministic simulator install a deliberately wrong quorum to prove that it
  // notices (tests/sim). Defined only in test code; production code has no way to do it.
  friend class ValidatorSetTestPeer;

  explicit ValidatorSet(std::vector<std::string> node_ids);

  std::vector<std::string> node_ids_;
  std::size_t quorum_ = 1;
};

}  // namespace colend::consensus

#endif  // COLEND_CONSENSUS_VALIDATOR_SET_H_
