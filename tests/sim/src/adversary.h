// What a byzantine replica does to the messages its (otherwise honest) core sends. It holds
// only its own signing key, so anything it forges in another validator's name carries a
// signature that cannot verify.
//
// Thread safety: none; owned by one simulated node.
#ifndef COLEND_SIM_SRC_ADVERSARY_H_
#define COLEND_SIM_SRC_ADVERSARY_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "colend/consensus/signer.h"
#include "colend/proto/consensus.pb.h"
#include "colend/sim/simulation.h"

namespace colend::sim::internal {

class Adversary {
 public:
  Adversary(std::string self, std::vector<ByzantineBehavior> behaviors,
            std::shared_ptr<const consensus::MessageSigner> signer,
            std::vector<std::string> validators, std::string chain_id);

  // The (destination, envelope) pairs actually sent when the core sends `envelope` to each
  // of `destinations`.
  std::vector<std::pair<std::string, proto::ConsensusEnvelope>> Outgoing(
      const std::vector<std::string>& destinations, const proto::ConsensusEnvelope& envelope,
      std::mt19937_64& rng);

  // Remembers incoming envelopes to replay later.
  void Observe(const proto::ConsensusEnvelope& incoming);

 private:
  bool Has(ByzantineBehavior behavior) const;
  proto::ConsensusEnvelope Sign(const proto::ConsensusMessage& message) const;
  std::string RandomHash(std::mt19937_64& rng) const;
  static constexpr std::size_t kPaddingBytes = 64 << 10;

  std::string self_;
  std::vector<ByzantineBehavior> behaviors_;
  std::shared_ptr<const consensus::MessageSigner> signer_;
  std::vector<std::string> validators_;
  std::string chain_id_;
  std::deque<proto::ConsensusEnvelope> observed_;
};

}  // namespace colend::sim::internal

#endif  // COLEND_SIM_SRC_ADVERSARY_H_
