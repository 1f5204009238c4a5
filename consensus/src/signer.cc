#include "colend/consensus/signer.h"

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

}  // namespace colend::consensus
