// StateKeyDirectory: the pool's view of who may sign, read from the executor's committed
// state. Parsed keys are cached by their DER bytes: parsing validates the point (a scalar
// multiplication, as costly as a signature check), and every admission, gossip copy and
// proposal check asks. The cache is content-addressed, so a rotated or retired key needs no
// invalidation (the member record decides which keys are active); it is bounded and simply
// cleared when full.
//
// Ownership: borrows the executor (it must outlive this).
// Thread safety: any thread (KeyDirectory's contract); state reads under the executor's
// shared lock.
#ifndef COLEND_NODE_CORE_STATE_KEY_DIRECTORY_H_
#define COLEND_NODE_CORE_STATE_KEY_DIRECTORY_H_

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "colend/common/bytes.h"
#include "colend/common/result.h"
#include "colend/crypto/keys.h"
#include "colend/node/executor.h"
#include "colend/node/txpool.h"

namespace colend::node {

class StateKeyDirectory final : public KeyDirectory {
 public:
  explicit StateKeyDirectory(const Executor& executor) : executor_(executor) {}
  Result<crypto::PublicKey> ActiveKey(std::string_view signer, ByteView key_id) const override;
  bool IsActiveMember(std::string_view signer) const override;
  bool IdCommitted(std::string_view signer, std::string_view id) const override;

 private:
  static constexpr std::size_t kMaxCachedKeys = 4096;
  Result<crypto::PublicKey> Parse(const std::string& der) const;

  const Executor& executor_;
  mutable std::mutex cache_mu_;
  mutable std::unordered_map<std::string, crypto::PublicKey> cache_;  // guarded by cache_mu_
};

}  // namespace colend::node

#endif  // COLEND_NODE_CORE_STATE_KEY_DIRECTORY_H_
