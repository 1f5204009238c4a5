#include "state_key_directory.h"

#include <algorithm>
#include <mutex>
#include <shared_mutex>

#include "colend/contracts/records.h"

namespace colend::node {

Result<crypto::PublicKey> StateKeyDirectory::ActiveKey(std::string_view signer,
                                                       ByteView key_id) const {
  std::shared_lock lock(executor_.mutex());
  COLEND_ASSIGN_OR_RETURN(std::optional<proto::MemberRecord> member,
                          contracts::ReadRecord<proto::MemberRecord>(
                              executor_.state(), contracts::keys::Member(signer)));
  if (!member.has_value()) {
    return Status::NotFound("\"" + std::string(signer) + "\" is not a member of this chain");
  }
  if (member->status() != proto::MEMBER_STATUS_ACTIVE) {
    return Status::PermissionDenied("member \"" + std::string(signer) + "\" is suspended");
  }
  for (const proto::ClientKey& key : member->client_keys()) {
    const ByteView id = AsBytes(key.key_id());
    if (std::equal(id.begin(), id.end(), key_id.begin(), key_id.end())) {
      return Parse(key.public_key());
    }
  }
  return Status::NotFound("member \"" + std::string(signer) + "\" has no active key " +
                          ToHex(key_id));
}

Result<crypto::PublicKey> StateKeyDirectory::Parse(const std::string& der) const {
  {
    std::lock_guard lock(cache_mu_);
    if (auto it = cache_.find(der); it != cache_.end()) return it->second;
  }
  COLEND_ASSIGN_OR_RETURN(crypto::PublicKey key,
                          crypto::PublicKey::FromDer(executor_.suite(), AsBytes(der)));
  std::lock_guard lock(cache_mu_);
  if (cache_.size() >= kMaxCachedKeys) cache_.clear();
  cache_.emplace(der, key);
  return key;
}

bool StateKeyDirectory::IsActiveMember(std::string_view signer) const {
  std::shared_lock lock(executor_.mutex());
  Result<std::optional<proto::MemberRecord>> member = contracts::ReadRecord<proto::MemberRecord>(
      executor_.state(), contracts::keys::Member(signer));
  return member.ok() && member->has_value() && (*member)->status() == proto::MEMBER_STATUS_ACTIVE;
}

bool StateKeyDirectory::IdCommitted(std::string_view signer, std::string_view id) const {
  std::shared_lock lock(executor_.mutex());
  std::string ignored;
  return executor_.state().Get(contracts::keys::Tx(signer, id), &ignored);
}

}  // namespace colend::node
