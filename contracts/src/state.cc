#include "colend/contracts/state.h"

#include <utility>

#include "colend/common/check.h"

namespace colend::contracts {
namespace {

using google::protobuf::Message;

// *to = from. Not Message::CopyFrom: in this protobuf that first checks, by reflection, that
// `from` is not inside `to`, which costs more than the copy. Same type, distinct objects.
void CopyInto(Message& to, const Message& from) {
  to.Clear();
  to.MergeFrom(from);
}

bool SameType(const Message* m, const Message& prototype) {
  return m != nullptr && m->GetDescriptor() == prototype.GetDescriptor();
}

Status NotParsing(std::string_view key, const Message& prototype) {
  return Status::Corruption("state record at \"" + std::string(key) + "\" does not parse as " +
                            std::string(prototype.GetDescriptor()->name()));
}

// `candidate` if it has prototype's type, else a new message of that type.
std::unique_ptr<Message> Reuse(std::unique_ptr<Message>& candidate, const Message& prototype) {
  if (SameType(candidate.get(), prototype)) return std::move(candidate);
  return std::unique_ptr<Message>(prototype.New());
}

// Reads `key` from a base that is not a view and parses it into *out (reusing *out when it
// has the right type); leaves *out null when the key is absent.
Status DecodeFromBase(const StateReader* base, std::string_view key, const Message& prototype,
                      std::unique_ptr<Message>* out) {
  // One buffer per thread: most records are small, so this saves an allocation per read.
  thread_local std::string bytes;
  if (base == nullptr || !base->Get(key, &bytes)) {
    out->reset();
    return Status::Ok();
  }
  std::unique_ptr<Message> record = Reuse(*out, prototype);
  if (!record->ParseFromString(bytes)) return NotParsing(key, prototype);
  *out = std::move(record);
  return Status::Ok();
}

}  // namespace

struct StateView::Found {
  enum Kind { kNone, kDeleted, kSlot, kDecoded };
  Kind kind = kNone;
  Slot* slot = nullptr;                        // kSlot: the nearest view's write of the key
  std::unique_ptr<Message>* decoded = nullptr;  // kDecoded: the outermost view's decoding
  const StateView* root = nullptr;             // kNone, kDecoded: the outermost view
};

StateView::StateView(const StateReader* base)
    : base_(base), parent_(dynamic_cast<const StateView*>(base)) {}

StateView::~StateView() = default;

StateView::Found StateView::Locate(std::string_view key) const {
  const StateView* view = this;
  while (true) {
    auto it = view->writes_.find(key);
    if (it != view->writes_.end()) {
      Slot& slot = it->second;
      if (!slot.record_is_value && !slot.value.has_value()) return {Found::kDeleted};
      return {Found::kSlot, &slot};
    }
    if (view->parent_ == nullptr) break;
    view = view->parent_;
  }
  auto it = view->decoded_.find(key);
  if (it != view->decoded_.end()) return {Found::kDecoded, nullptr, &it->second, view};
  return {Found::kNone, nullptr, nullptr, view};
}

std::string StateView::SlotBytes(const Slot& slot) {
  return slot.record_is_value ? slot.record->SerializeAsString() : *slot.value;
}

Status StateView::DecodeSlot(std::string_view key, Slot& slot, const Message& prototype) const {
  if (SameType(slot.record.get(), prototype)) return Status::Ok();
  if (slot.record_is_value) {
    // Read as another type (never done by the contracts): back to bytes first.
    slot.value = slot.record->SerializeAsString();
    slot.record_is_value = false;
    slot.spare = std::move(slot.record);
  }
  std::unique_ptr<Message> record = Reuse(slot.spare, prototype);
  if (!record->ParseFromString(*slot.value)) return NotParsing(key, prototype);
  slot.record = std::move(record);
  return Status::Ok();
}

bool StateView::Get(std::string_view key, std::string* value) const {
  auto it = writes_.find(key);
  if (it != writes_.end()) {
    const Slot& slot = it->second;
    if (slot.record_is_value) {
      slot.record->SerializeToString(value);
      return true;
    }
    if (!slot.value.has_value()) return false;
    *value = *slot.value;
    return true;
  }
  return base_ != nullptr && base_->Get(key, value);
}

namespace {

// A slot's decoded record no longer matches its new bytes: keep it as the spare.
template <typename Slot>
void Retire(Slot& slot) {
  if (slot.record != nullptr) {
    if (slot.spare == nullptr) slot.spare = std::move(slot.record);
    slot.record.reset();
  }
  slot.record_is_value = false;
}

}  // namespace

void StateView::Put(std::string_view key, std::string value) {
  auto it = writes_.find(key);
  if (it == writes_.end()) it = writes_.emplace(std::string(key), Slot()).first;
  Retire(it->second);
  it->second.value = std::move(value);
}

void StateView::Delete(std::string_view key) {
  auto it = writes_.find(key);
  if (it == writes_.end()) it = writes_.emplace(std::string(key), Slot()).first;
  Retire(it->second);
  it->second.value = std::nullopt;
}

Result<const Message*> StateView::FindDecoded(std::string_view key,
                                             const Message& prototype) const {
  Found found = Locate(key);
  switch (found.kind) {
    case Found::kDeleted:
      return static_cast<const Message*>(nullptr);
    case Found::kSlot:
      COLEND_RETURN_IF_ERROR(DecodeSlot(key, *found.slot, prototype));
      return static_cast<const Message*>(found.slot->record.get());
    case Found::kDecoded:
      if (SameType(found.decoded->get(), prototype)) {
        return static_cast<const Message*>(found.decoded->get());
      }
      break;
    case Found::kNone:
      break;
  }
  std::unique_ptr<Message> record;
  if (found.kind == Found::kDecoded) record = std::move(*found.decoded);
  COLEND_RETURN_IF_ERROR(DecodeFromBase(found.root->base_, key, prototype, &record));
  if (record == nullptr) {
    if (found.kind == Found::kDecoded) found.root->decoded_.erase(found.root->decoded_.find(key));
    return static_cast<const Message*>(nullptr);
  }
  const Message* out = record.get();
  if (found.kind == Found::kDecoded) {
    *found.decoded = std::move(record);
  } else {
    found.root->decoded_.emplace(std::string(key), std::move(record));
  }
  return out;
}

Result<bool> StateView::CopyDecoded(std::string_view key, Message* out) const {
  Found found = Locate(key);
  thread_local std::string bytes;
  switch (found.kind) {
    case Found::kDeleted:
      return false;
    case Found::kSlot:
      if (SameType(found.slot->record.get(), *out)) {
        CopyInto(*out, *found.slot->record);
        return true;
      }
      bytes = SlotBytes(*found.slot);
      break;
    case Found::kDecoded:
      if (SameType(found.decoded->get(), *out)) {
        CopyInto(*out, **found.decoded);
        return true;
      }
      [[fallthrough]];
    case Found::kNone:
      if (found.root->base_ == nullptr || !found.root->base_->Get(key, &bytes)) return false;
      break;
  }
  if (!out->ParseFromString(bytes)) return NotParsing(key, *out);
  return true;
}

Result<Message*> StateView::StageMutable(std::string_view key, const Message& prototype) {
  auto it = writes_.find(key);
  if (it != writes_.end()) {
    Slot& slot = it->second;
    if (!slot.record_is_value && !slot.value.has_value()) return static_cast<Message*>(nullptr);
    if (!slot.record_is_value || !SameType(slot.record.get(), prototype)) {
      COLEND_RETURN_IF_ERROR(DecodeSlot(key, slot, prototype));
      slot.value.reset();
      slot.record_is_value = true;
    }
    return slot.record.get();
  }
  // Not written by this view yet: copy the current value into a record of its own, so
  // that the parent's value is untouched until MergeInto.
  std::unique_ptr<Message> mine;
  if (parent_ != nullptr) {
    Found found = parent_->Locate(key);
    switch (found.kind) {
      case Found::kDeleted:
        return static_cast<Message*>(nullptr);
      case Found::kSlot: {
        Slot& source = *found.slot;
        if (SameType(source.record.get(), prototype)) {
          // The parent's retired copy has the same shape: copying into it allocates nothing.
          mine = Reuse(source.spare, prototype);
          CopyInto(*mine, *source.record);
        } else {
          mine.reset(prototype.New());
          if (!mine->ParseFromString(SlotBytes(source))) return NotParsing(key, prototype);
        }
        break;
      }
      case Found::kDecoded:
        if (SameType(found.decoded->get(), prototype)) {
          mine.reset(prototype.New());
          CopyInto(*mine, **found.decoded);
          break;
        }
        [[fallthrough]];
      case Found::kNone:
        COLEND_RETURN_IF_ERROR(DecodeFromBase(found.root->base_, key, prototype, &mine));
        break;
    }
  } else {
    // The outermost view: take over what it decoded from the base, or decode now.
    auto decoded = decoded_.find(key);
    if (decoded != decoded_.end()) {
      mine = std::move(decoded->second);
      decoded_.erase(decoded);
    }
    if (!SameType(mine.get(), prototype)) {
      COLEND_RETURN_IF_ERROR(DecodeFromBase(base_, key, prototype, &mine));
    }
  }
  if (mine == nullptr) return static_cast<Message*>(nullptr);
  Slot& slot = writes_.emplace(std::string(key), Slot()).first->second;
  slot.record = std::move(mine);
  slot.record_is_value = true;
  return slot.record.get();
}

Message* StateView::StageNew(std::string_view key, const Message& prototype) {
  auto it = writes_.find(key);
  if (it == writes_.end()) it = writes_.emplace(std::string(key), Slot()).first;
  Slot& slot = it->second;
  std::unique_ptr<Message> record;
  if (SameType(slot.record.get(), prototype)) {
    record = std::move(slot.record);
  } else {
    record = Reuse(slot.spare, prototype);
  }
  record->Clear();
  Retire(slot);
  slot.value.reset();
  slot.record = std::move(record);
  slot.record_is_value = true;
  return slot.record.get();
}

WriteSet StateView::writes() const {
  WriteSet sorted;
  for (const auto& [key, slot] : writes_) {
    if (slot.record_is_value) {
      sorted.emplace(key, slot.record->SerializeAsString());
    } else {
      sorted.emplace(key, slot.value);
    }
  }
  return sorted;
}

WriteSet StateView::TakeWrites() {
  WriteSet sorted;
  for (auto it = writes_.begin(); it != writes_.end();) {
    auto node = writes_.extract(it++);
    Slot& slot = node.mapped();
    if (slot.record_is_value) {
      sorted.emplace(std::move(node.key()), slot.record->SerializeAsString());
    } else {
      sorted.emplace(std::move(node.key()), std::move(slot.value));
    }
  }
  writes_.clear();
  decoded_.clear();
  return sorted;
}

void StateView::MergeInto(StateView& parent) {
  COLEND_CHECK(base_ == &parent);
  const bool parent_is_outermost = parent.parent_ == nullptr;
  for (auto it = writes_.begin(); it != writes_.end();) {
    auto node = writes_.extract(it++);
    Slot& mine = node.mapped();
    auto existing = parent.writes_.find(node.key());
    if (existing == parent.writes_.end()) {
      if (mine.record_is_value && mine.spare == nullptr && parent_is_outermost &&
          !parent.decoded_.empty()) {
        // The parent's decoding of the old value is shadowed from now on: keep it as the
        // copy target of the next transaction that changes this record.
        auto decoded = parent.decoded_.find(node.key());
        if (decoded != parent.decoded_.end()) {
          mine.spare = std::move(decoded->second);
          parent.decoded_.erase(decoded);
        }
      }
      parent.writes_.insert(std::move(node));
    } else {
      Slot& theirs = existing->second;
      std::unique_ptr<Message> retired =
          theirs.record != nullptr ? std::move(theirs.record) : std::move(theirs.spare);
      theirs.value = std::move(mine.value);
      theirs.record = std::move(mine.record);
      theirs.record_is_value = mine.record_is_value;
      theirs.spare = retired != nullptr ? std::move(retired) : std::move(mine.spare);
    }
  }
  writes_.clear();
}

}  // namespace colend::contracts
