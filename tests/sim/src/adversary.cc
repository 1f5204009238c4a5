#include "adversary.h"

#include <algorithm>

#include "colend/consensus/messages.h"
#include "colend/testutil/unknown_field.h"

namespace colend::sim::internal {

Adversary::Adversary(std::string self, std::vector<ByzantineBehavior> behaviors,
                     std::shared_ptr<const consensus::MessageSigner> signer,
                     std::vector<std::string> validators, std::string chain_id)
    : self_(std::move(self)),
      behaviors_(std::move(behaviors)),
      signer_(std::move(signer)),
      validators_(std::move(validators)),
      chain_id_(std::move(chain_id)) {}

bool Adversary::Has(ByzantineBehavior behavior) const {
  return std::find(behaviors_.begin(), behaviors_.end(), behavior) != behaviors_.end();
}

proto::ConsensusEnvelope Adversary::Sign(const proto::ConsensusMessage& message) const {
  return consensus::SealMessage(message, self_, *signer_).value();
}

std::string Adversary::RandomHash(std::mt19937_64& rng) const {
  std::string hash(32, '\0');
  for (char& c : hash) c = static_cast<char>(rng());
  return hash;
}

void Adversary::Observe(const proto::ConsensusEnvelope& incoming) {
  if (!Has(ByzantineBehavior::kReplay)) return;
  observed_.push_back(incoming);
  if (observed_.size() > 256) observed_.pop_front();
}

std::vector<std::pair<std::string, proto::ConsensusEnvelope>> Adversary::Outgoing(
    const std::vector<std::string>& destinations, const proto::ConsensusEnvelope& envelope,
    std::mt19937_64& rng) {
  std::vector<std::pair<std::string, proto::ConsensusEnvelope>> out;
  if (Has(ByzantineBehavior::kSilent) || destinations.empty()) return out;
  for (const std::string& to : destinations) out.emplace_back(to, envelope);
  proto::ConsensusMessage message;
  if (!message.ParseFromString(envelope.body())) return out;
  const auto half = [&](const proto::ConsensusEnvelope& other) {
    for (std::size_t i = 0; i < out.size(); ++i) {
      if ((i + rng()) % 2 == 0) out[i].second = other;
    }
  };

  if (message.has_pre_prepare() && Has(ByzantineBehavior::kEquivocate)) {
    // Same height and view, a different block (one millisecond later): to half of them.
    proto::ConsensusMessage variant = message;
    proto::BlockHeader header;
    if (header.ParseFromString(variant.pre_prepare().header()) &&
        header.view() == variant.pre_prepare().view()) {
      header.set_timestamp_ms(header.timestamp_ms() + 1);
      header.SerializeToString(variant.mutable_pre_prepare()->mutable_header());
      proto::ConsensusEnvelope equivocation = Sign(variant);
      *equivocation.mutable_transactions() = envelope.transactions();
      half(equivocation);
    }
  }
  if ((message.has_prepare() || message.has_commit()) &&
      Has(ByzantineBehavior::kConflictingVotes)) {
    proto::ConsensusMessage conflicting = message;
    std::uint64_t view = 0;
    std::uint64_t sequence = 0;
    if (conflicting.has_prepare()) {
      conflicting.mutable_prepare()->set_block_hash(RandomHash(rng));
      view = message.prepare().view();
      sequence = message.prepare().sequence();
    } else {
      conflicting.mutable_commit()->set_block_hash(RandomHash(rng));
      view = message.commit().view();
      sequence = message.commit().sequence();
    }
    half(Sign(conflicting));
    // And a vote for a block nobody proposed at the next height, to everyone.
    proto::ConsensusMessage ahead;
    ahead.set_chain_id(chain_id_);
    ahead.mutable_commit()->set_view(view);
    ahead.mutable_commit()->set_sequence(sequence + 1);
    ahead.mutable_commit()->set_block_hash(RandomHash(rng));
    const proto::ConsensusEnvelope signed_ahead = Sign(ahead);
    for (const std::string& to : destinations) out.emplace_back(to, signed_ahead);
  }
  if (message.has_view_change() && Has(ByzantineBehavior::kLyingViewChange)) {
    proto::ConsensusMessage lying = message;
    lying.mutable_view_change()->clear_prepared();
    const proto::ConsensusEnvelope signed_lying = Sign(lying);
    for (auto& entry : out) entry.second = signed_lying;
  }
  if (message.has_new_view() && Has(ByzantineBehavior::kBadNewView)) {
    proto::ConsensusMessage bad = message;
    proto::NewView* nv = bad.mutable_new_view();
    if (nv->pre_prepares_size() > 0) {
      nv->mutable_pre_prepares()->RemoveLast();  // leaves a prepared block out
    } else if (nv->view_changes_size() > 0) {
      nv->mutable_view_changes()->RemoveLast();  // one VIEW-CHANGE short of a quorum
    }
    const proto::ConsensusEnvelope signed_bad = Sign(bad);
    for (auto& entry : out) entry.second = signed_bad;
  }
  const std::string& victim = destinations[rng() % destinations.size()];
  if (Has(ByzantineBehavior::kBadSignatures)) {
    proto::ConsensusEnvelope corrupted = envelope;
    std::string signature = corrupted.signature();
    if (!signature.empty()) signature[rng() % signature.size()] ^= 0x5a;
    corrupted.set_signature(signature);
    out.emplace_back(victim, corrupted);
    proto::ConsensusEnvelope impersonation = envelope;  // our signature, another's name
    impersonation.set_sender(validators_[rng() % validators_.size()]);
    if (impersonation.sender() != self_) out.emplace_back(victim, impersonation);
  }
  if (Has(ByzantineBehavior::kPadded)) {
    // Megabytes a validator must not store or relay: the real message padded outside its
    // signature (an unknown envelope field), inside it (an unknown field in the signed
    // body), with an oversized signature or sender, and, as primary, a block far over
    // max_block_bytes. Each replaces the real message for some destinations.
    const std::string padding(kPaddingBytes + rng() % kPaddingBytes, 'p');
    proto::ConsensusEnvelope outside;
    if (outside.ParseFromString(envelope.SerializeAsString() + testutil::UnknownField(padding))) {
      half(outside);
    }
    proto::ConsensusMessage inside;
    if (inside.ParseFromString(envelope.body() + testutil::UnknownField(padding))) {
      out.emplace_back(victim, Sign(inside));
    }
    proto::ConsensusEnvelope big_signature = envelope;
    big_signature.set_signature(envelope.signature() + padding);
    out.emplace_back(victim, big_signature);
    proto::ConsensusEnvelope big_sender = envelope;
    big_sender.set_sender(self_ + padding);
    out.emplace_back(victim, big_sender);
    // Transactions beside the signature: one more than the header commits to (a
    // PRE-PREPARE), or any at all (every other message).
    proto::ConsensusEnvelope carried = envelope;
    carried.add_transactions(std::string(4 * kPaddingBytes, 't'));
    half(carried);
  }
  if (Has(ByzantineBehavior::kReplay) && !observed_.empty() && rng() % 2 == 0) {
    out.emplace_back(victim, observed_[rng() % observed_.size()]);
  }
  if (Has(ByzantineBehavior::kGarbage) && rng() % 3 == 0) {
    proto::ConsensusEnvelope garbage;
    std::string body(1 + rng() % 64, '\0');
    for (char& c : body) c = static_cast<char>(rng());
    garbage.set_body(body);
    garbage.set_sender(self_);
    const Bytes signature = signer_->Sign(AsBytes(body)).value();
    garbage.set_signature(std::string(signature.begin(), signature.end()));
    out.emplace_back(victim, garbage);
    proto::ConsensusMessage other_chain = message;
    other_chain.set_chain_id(chain_id_ + "-fork");
    out.emplace_back(victim, Sign(other_chain));
  }
  return out;
}

}  // namespace colend::sim::internal
