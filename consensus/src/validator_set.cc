#include "colend/consensus/validator_set.h"

#include <algorithm>
#include <utility>

namespace colend::consensus {

ValidatorSet::ValidatorSet(std::vector<std::string> node_ids) : node_ids_(std::move(node_ids)) {
  const std::size_t n = node_ids_.size();
  const std::size_t f = (n - 1) / 3;
  quorum_ = (n + f + 2) / 2;  // ceil((n + f + 1) / 2)
}

Result<ValidatorSet> ValidatorSet::Create(std::vector<std::string> node_ids) {
  if (node_ids.empty()) return Status::InvalidArgument("validator set is empty");
  for (std::size_t i = 0; i < node_ids.size(); ++i) {
    if (node_ids[i].empty()) return Status::InvalidArgument("validator node id is empty");
    if (i > 0 && !(node_ids[i - 1] < node_ids[i])) {
      return Status::InvalidArgument("validator node ids must be strictly ascending; '" +
                                     node_ids[i] + "' follows '" + node_ids[i - 1] + "'");
    }
  }
  return ValidatorSet(std::move(node_ids));
}

std::optional<std::size_t> ValidatorSet::IndexOf(std::string_view node_id) const {
  const auto it = std::lower_bound(node_ids_.begin(), node_ids_.end(), node_id);
  if (it == node_ids_.end() || *it != node_id) return std::nullopt;
  return static_cast<std::size_t>(it - node_ids_.begin());
}

}  // namespace colend::consensus
