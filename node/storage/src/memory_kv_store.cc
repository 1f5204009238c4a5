#include "colend/node/memory_kv_store.h"

#include <algorithm>
#include <memory>
#include <utility>

namespace colend::node {

void MemoryKvStore::Apply(std::span<const KvWrite> writes, Map& map) {
  for (const KvWrite& w : writes) {
    if (w.value) {
      map.insert_or_assign(w.key, *w.value);
    } else {
      auto it = map.find(w.key);
      if (it != map.end()) map.erase(it);
    }
  }
}

Result<std::optional<std::string>> MemoryKvStore::Get(std::string_view key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = visible_.find(key);
  if (it == visible_.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

Status MemoryKvStore::Write(std::span<const KvWrite> writes, bool sync) {
  std::lock_guard<std::mutex> lock(mu_);
  Apply(writes, visible_);
  if (sync) {
    // A synced batch makes everything logged before it durable too.
    for (const std::vector<KvWrite>& batch : unsynced_) Apply(batch, durable_);
    unsynced_.clear();
    Apply(writes, durable_);
  } else {
    unsynced_.emplace_back(writes.begin(), writes.end());
  }
  return Status::Ok();
}

Status MemoryKvStore::Scan(std::string_view prefix, const KvScanFn& fn) const {
  std::vector<KvEntry> entries;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = visible_.lower_bound(prefix); it != visible_.end(); ++it) {
      if (!it->first.starts_with(prefix)) break;
      entries.emplace_back(it->first, it->second);
    }
  }
  for (const KvEntry& entry : entries) {
    if (!fn(entry.first, entry.second)) break;
  }
  return Status::Ok();
}

Result<std::unique_ptr<KvStore>> MemoryKvStore::Snapshot() const {
  auto copy = std::make_unique<MemoryKvStore>();
  std::lock_guard<std::mutex> lock(mu_);
  copy->visible_ = visible_;
  copy->durable_ = visible_;
  return std::unique_ptr<KvStore>(std::move(copy));
}

Status MemoryKvStore::ScanFrom(std::string_view prefix, std::string_view start,
                               const KvScanFn& fn) const {
  std::vector<KvEntry> entries;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = visible_.lower_bound(std::max(prefix, start)); it != visible_.end(); ++it) {
      if (!it->first.starts_with(prefix)) break;
      entries.emplace_back(it->first, it->second);
    }
  }
  for (const KvEntry& entry : entries) {
    if (!fn(entry.first, entry.second)) break;
  }
  return Status::Ok();
}

Result<std::optional<KvEntry>> MemoryKvStore::FindLastAtOrBefore(std::string_view prefix,
                                                                 std::string_view upper) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = visible_.upper_bound(upper);  // first key > upper
  if (it == visible_.begin()) return std::optional<KvEntry>();
  --it;
  if (!it->first.starts_with(prefix)) return std::optional<KvEntry>();
  return std::optional<KvEntry>(KvEntry{it->first, it->second});
}

void MemoryKvStore::Crash(std::size_t keep_unsynced) {
  std::lock_guard<std::mutex> lock(mu_);
  for (std::size_t i = 0; i < keep_unsynced && i < unsynced_.size(); ++i) {
    Apply(unsynced_[i], durable_);
  }
  unsynced_.clear();
  visible_ = durable_;
}

std::size_t MemoryKvStore::unsynced_batches() const {
  std::lock_guard<std::mutex> lock(mu_);
  return unsynced_.size();
}

std::size_t MemoryKvStore::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return visible_.size();
}

}  // namespace colend::node
