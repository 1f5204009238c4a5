#include "colend/consensus/signer.h"

#include <cstring>
#include <set>

#include "colend/crypto/signature.h"

namespace colend::consensus {

Result<Bytes> NodeKeySigner::Sign(ByteView body) const {
  return crypto::Sign(key_, kConsensusDomain, body);
}

Result<std::unique_ptr<ValidatorKeyring>> ValidatorKeyring::Create(
    std::vector<std::pair<std::string, crypto::PublicKey>> keys) {
  std::map<std::string, crypto::PublicKey, std::less<>> by_id;
  std::set<Bytes> raw_keys;
  for (auto& [id, key] : keys) {
    if (id.empty()) return Status::InvalidArgument("validator node id is empty");
    if (!by_id.empty() && !(by_id.begin()->second.suite() == key.suite())) {
      return Status::InvalidArgument("validator keys of different crypto suites");
    }
    if (!raw_keys.insert(key.raw()).second) {
      return Status::InvalidArgument("validator '" + id + "' reuses another validator's key");
    }
    if (!by_id.emplace(id, key).second) {
      return Status::InvalidArgument("validator '" + id + "' is listed twice");
    }
  }
  return std::unique_ptr<ValidatorKeyring>(new ValidatorKeyring(std::move(by_id)));
}

Status ValidatorKeyring::Verify(std::string_view validator, ByteView body,
                                ByteView signature) const {
  const auto it = keys_.find(validator);
  if (it == keys_.end()) {
    return Status::NotFound("no key for validator '" + std::string(validator) + "'");
  }
  return crypto::Verify(it->second, kConsensusDomain, body, signature);
}

CachingVerifier::CachingVerifier(std::shared_ptr<const SignatureVerifier> inner,
                                 std::size_t capacity)
    : inner_(std::move(inner)), capacity_(capacity == 0 ? 1 : capacity) {}

std::size_t CachingVerifier::DigestHash::operator()(const crypto::Digest& d) const {
  std::size_t h = 0;
  std::memcpy(&h, d.data(), sizeof h);  // a SHA-256 digest is already uniform
  return h;
}

namespace {

crypto::Digest MessageDigest(std::string_view validator, ByteView body, ByteView signature) {
  crypto::Hasher hasher(crypto::HashAlgorithm::kSha256);
  for (const ByteView part : {AsBytes(validator), body, signature}) {
    std::uint8_t length[8];
    std::uint64_t size = part.size();
    for (std::uint8_t& byte : length) {
      byte = static_cast<std::uint8_t>(size);
      size >>= 8;
    }
    hasher.Update(ByteView(length, sizeof length)).Update(part);
  }
  return hasher.Finish();
}

}  // namespace

Status CachingVerifier::Verify(std::string_view validator, ByteView body,
                               ByteView signature) const {
  const crypto::Digest digest = MessageDigest(validator, body, signature);
  {
    std::lock_guard lock(mu_);
    if (verified_.count(digest) != 0) {
      ++stats_.hits;
      return Status::Ok();
    }
    ++stats_.checks;
  }
  COLEND_RETURN_IF_ERROR(inner_->Verify(validator, body, signature));
  std::lock_guard lock(mu_);
  if (verified_.insert(digest).second) {
    order_.push_back(digest);
    if (order_.size() > capacity_) {
      verified_.erase(order_.front());
      order_.pop_front();
    }
  }
  return Status::Ok();
}

CachingVerifier::Stats CachingVerifier::stats() const {
  std::lock_guard lock(mu_);
  Stats s = stats_;
  s.entries = verified_.size();
  return s;
}

}  // namespace colend::consensus
