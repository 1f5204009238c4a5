#include "colend/contracts/memory_state.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace colend::contracts {

bool MemoryState::Get(std::string_view key, std::string* value) const {
  auto it = values_.find(key);
  if (it == values_.end()) return false;
  *value = it->second;
  return true;
}

void MemoryState::Scan(
    std::string_view prefix,
    const std::function<bool(std::string_view key, std::string_view value)>& fn) const {
  std::vector<const std::pair<const std::string, std::string>*> matches;
  for (const auto& entry : values_) {
    if (std::string_view(entry.first).starts_with(prefix)) matches.push_back(&entry);
  }
  std::sort(matches.begin(), matches.end(),
            [](const auto* x, const auto* y) { return x->first < y->first; });
  for (const auto* entry : matches) {
    if (!fn(entry->first, entry->second)) return;
  }
}

void MemoryState::Commit(const WriteSet& writes) {
  for (const auto& [key, value] : writes) {
    auto it = values_.find(key);
    if (it != values_.end()) payload_bytes_ -= it->first.size() + it->second.size();
    if (value.has_value()) {
      payload_bytes_ += key.size() + value->size();
      if (it != values_.end()) {
        it->second = *value;
      } else {
        values_.emplace(key, *value);
      }
    } else if (it != values_.end()) {
      values_.erase(it);
    }
  }
  commitment_.Apply(writes);
}

}  // namespace colend::contracts
