#include "colend/node/state_snapshot.h"

#include <utility>

#include "colend/node/block_store.h"
#include "storage_keys.h"

namespace colend::node {

namespace keys = storage_keys;

Result<std::unique_ptr<StateSnapshot>> StateSnapshot::Take(const KvStore& kv) {
  COLEND_ASSIGN_OR_RETURN(std::unique_ptr<KvStore> snapshot, kv.Snapshot());
  // The head and the state are read from the same snapshot: the head key is written in the
  // same batch as each block's state writes, so they agree.
  COLEND_ASSIGN_OR_RETURN(std::optional<std::string> head, snapshot->Get(keys::HeadKey()));
  if (!head || head->size() != 8) {
    return Status::Corruption("stored head height is missing or malformed");
  }
  const std::uint64_t height = *keys::ReadU64(*head, 0);
  COLEND_ASSIGN_OR_RETURN(std::optional<std::string> meta, snapshot->Get(keys::MetaKey(height)));
  if (!meta) return Status::Corruption("meta of height " + std::to_string(height) + " is missing");
  COLEND_ASSIGN_OR_RETURN(BlockMeta decoded, keys::DecodeMeta(height, *meta));
  return std::unique_ptr<StateSnapshot>(
      new StateSnapshot(std::move(snapshot), height, decoded.state_root));
}

bool StateSnapshot::Get(std::string_view key, std::string* value) const {
  Result<std::optional<std::string>> v = snapshot_->Get(keys::StateKey(key));
  if (!v.ok()) {
    if (status_.ok()) status_ = v.status();
    return false;
  }
  if (!v->has_value()) return false;
  *value = std::move(**v);
  return true;
}

void StateSnapshot::Scan(
    std::string_view prefix,
    const std::function<bool(std::string_view key, std::string_view value)>& fn) const {
  const Status s =
      snapshot_->Scan(keys::StatePrefix(prefix), [&](std::string_view key, std::string_view value) {
        return fn(key.substr(1), value);  // without the space byte
      });
  if (!s.ok() && status_.ok()) status_ = s;
}

// BlockStore's side, defined here beside the class it makes.
Result<std::unique_ptr<StateSnapshot>> BlockStore::SnapshotState() const {
  if (!initialized()) return Status::FailedPrecondition("the store holds no chain yet");
  return StateSnapshot::Take(*kv_);
}

}  // namespace colend::node
