#include "colend/contracts/state.h"

#include <utility>

#include "colend/common/check.h"

namespace colend::contracts {

bool StateView::Get(std::string_view key, std::string* value) const {
  auto it = writes_.find(key);
  if (it != writes_.end()) {
    if (!it->second.has_value()) return false;
    *value = *it->second;
    return true;
  }
  return base_ != nullptr && base_->Get(key, value);
}

void StateView::Put(std::string_view key, std::string value) {
  auto it = writes_.find(key);
  if (it == writes_.end()) {
    writes_.emplace(std::string(key), std::move(value));
  } else {
    it->second = std::move(value);
  }
}

void StateView::Delete(std::string_view key) {
  auto it = writes_.find(key);
  if (it == writes_.end()) {
    writes_.emplace(std::string(key), std::nullopt);
  } else {
    it->second = std::nullopt;
  }
}

WriteSet StateView::writes() const {
  WriteSet sorted;
  for (const auto& [key, value] : writes_) sorted.emplace(key, value);
  return sorted;
}

WriteSet StateView::TakeWrites() {
  WriteSet sorted;
  for (auto& [key, value] : writes_) sorted.emplace(key, std::move(value));
  writes_.clear();
  return sorted;
}

void StateView::MergeInto(StateView& parent) {
  COLEND_CHECK(base_ == &parent);
  if (parent.writes_.empty()) {
    parent.writes_ = std::move(writes_);
  } else {
    for (auto& [key, value] : writes_) parent.writes_.insert_or_assign(key, std::move(value));
  }
  writes_.clear();
}

}  // namespace colend::contracts
