#include "message_log.h"

namespace colend::consensus {

VoteBook::AddResult VoteBook::Add(std::uint64_t view, const crypto::Digest& hash,
                                  const std::string& sender,
                                  const proto::ConsensusEnvelope& envelope) {
  std::map<std::uint64_t, crypto::Digest>& views = by_sender_[sender];
  if (const auto it = views.find(view); it != views.end()) {
    return it->second == hash ? AddResult::kDuplicate : AddResult::kConflicting;
  }
  if (views.size() >= kMaxViewsPerSender) {
    const auto lowest = views.begin();
    if (lowest->first > view) return AddResult::kDropped;
    const auto key = std::make_pair(lowest->first, lowest->second);
    if (auto votes = votes_.find(key); votes != votes_.end()) {
      votes->second.erase(sender);
      if (votes->second.empty()) votes_.erase(votes);
    }
    views.erase(lowest);
  }
  views.emplace(view, hash);
  votes_[{view, hash}].emplace(sender, envelope);
  return AddResult::kAdded;
}

const VoteBook::Votes* VoteBook::Find(std::uint64_t view, const crypto::Digest& hash) const {
  const auto it = votes_.find({view, hash});
  return it == votes_.end() ? nullptr : &it->second;
}

std::size_t VoteBook::Count(std::uint64_t view, const crypto::Digest& hash) const {
  const Votes* votes = Find(view, hash);
  return votes == nullptr ? 0 : votes->size();
}

void VoteBook::DropViewsBelow(std::uint64_t view) {
  for (auto it = votes_.begin(); it != votes_.end() && it->first.first < view;) {
    it = votes_.erase(it);
  }
  for (auto& [sender, views] : by_sender_) {
    views.erase(views.begin(), views.lower_bound(view));
  }
}

BlockRef Slot::FindBlock(const crypto::Digest& hash) const {
  BlockRef header_only;
  const auto consider = [&](const BlockRef& block) {
    if (!block || block->hash != hash) return false;
    if (block->has_body) return true;
    if (!header_only) header_only = block;
    return false;
  };
  if (consider(committed_block)) return committed_block;
  for (const auto& [view, proposal] : accepted) {
    if (consider(proposal.block)) return proposal.block;
  }
  if (best_prepared && consider(best_prepared->block)) return best_prepared->block;
  return header_only;
}

}  // namespace colend::consensus
