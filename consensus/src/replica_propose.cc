// Proposing, as the primary: when to ask the node for a batch (full, or after the batch
// timeout; never an empty block) and how the block is built (parent, execution-lag roots,
// timestamp). The proposal then goes through the same log as everyone else's.
#include <algorithm>
#include <utility>

#include "replica_impl.h"

namespace colend::consensus {

std::optional<std::uint64_t> Replica::Impl::NextProposalHeight() const {
  const std::uint64_t top = std::max(chain_top_, committed_height_);
  const std::uint64_t height = top + 1;
  if (height > high()) return std::nullopt;  // window full: wait for a stable checkpoint
  if (BeyondEpoch(height)) return std::nullopt;  // the next epoch's set orders it
  const std::optional<Link> parent = LinkAt(top, view_);
  if (!parent.has_value() || !parent->timestamp_ms.has_value()) return std::nullopt;
  if (!RootsFor(height).has_value()) return std::nullopt;  // h - L not executed yet
  // Every uncommitted ancestor's transactions must be known, so none is proposed twice: a
  // re-proposed block known by header alone is fetched once final (safety.cc, "Block
  // bodies").
  for (std::uint64_t s = committed_height_ + 1; s <= top; ++s) {
    const Slot* slot = FindSlot(s);
    if (slot == nullptr) continue;
    const auto it = slot->accepted.find(view_);
    if (it != slot->accepted.end() && !it->second.block->has_body) return std::nullopt;
  }
  return height;
}

// Batching: ask the node for a block when a full batch is waiting, or when the batch timer
// (started by the first waiting transaction) has fired. Nothing waiting, no block.
void Replica::Impl::MaybePropose() {
  if (!active_ || !IsPrimary(view_) || proposal_requested_ != 0) return;
  const std::optional<std::uint64_t> height = NextProposalHeight();
  if (!height.has_value()) return;
  std::vector<crypto::Digest> exclude;
  for (std::uint64_t s = committed_height_ + 1; s < *height; ++s) {
    const Slot* slot = FindSlot(s);
    if (slot == nullptr) continue;
    const auto it = slot->accepted.find(view_);
    if (it == slot->accepted.end()) continue;
    exclude.insert(exclude.end(), it->second.block->tx_hashes.begin(),
                   it->second.block->tx_hashes.end());
  }
  // Before a known epoch end, an empty block ("filler") is proposed once the batch timer
  // fires with nothing waiting, so an idle chain still reaches the next validator set.
  const bool filler = FillerAllowed(*height);
  if (pool_.pending_txs <= exclude.size() && !filler) {
    pacemaker_.CancelBatch(out_);
    batch_due_ = false;
    return;
  }
  const std::uint64_t waiting =
      pool_.pending_txs > exclude.size() ? pool_.pending_txs - exclude.size() : 0;
  const bool full = !empty_answer_ && (waiting >= params().max_block_txs ||
                                       pool_.pending_bytes >= params().max_block_bytes);
  if (full || batch_due_) {
    batch_due_ = false;
    empty_answer_ = false;
    pacemaker_.CancelBatch(out_);
    proposal_requested_ = *height;
    Emit(RequestProposalAction{*height, params().max_block_txs, params().max_block_bytes,
                               std::move(exclude)});
  } else if (!pacemaker_.batch_armed()) {
    pacemaker_.ArmBatch(now_, out_);
  }
}

void Replica::Impl::SetHeader(std::uint64_t height, const Link& parent,
                              const safety::ExpectedRoots& roots,
                              const std::vector<crypto::Digest>& tx_hashes,
                              proto::Block* block) const {
  proto::BlockHeader header;
  header.set_chain_id(options_.chain_id);
  header.set_height(height);
  header.set_parent_hash(DigestBytes(parent.hash));
  header.set_tx_root(DigestBytes(TxRoot(options_.hash, tx_hashes)));
  header.set_receipts_root(DigestBytes(roots.receipts_root));
  header.set_state_root(DigestBytes(roots.state_root));
  // Strictly after the parent, as close to the clock as that allows.
  header.set_timestamp_ms(std::max(now_, parent.timestamp_ms.value_or(0) + 1));
  header.set_proposer(self());
  header.set_view(view_);
  header.set_tx_count(static_cast<std::uint32_t>(tx_hashes.size()));
  header.SerializeToString(block->mutable_header());
}

Actions Replica::Impl::OnProposal(std::uint64_t now, std::uint64_t height,
                                  std::vector<std::string> txs) {
  Begin(now);
  if (!recovered_ || height == 0 || height != proposal_requested_) {
    ++counters_.bad_inputs;
    return Finish();
  }
  proposal_requested_ = 0;
  const std::optional<std::uint64_t> expected = NextProposalHeight();
  if (!active_ || !IsPrimary(view_) || expected != height) {
    ++counters_.bad_inputs;  // the view or the chain moved on while the node was asked
    return Finish();
  }
  const Link parent = *LinkAt(height - 1, view_);
  const safety::ExpectedRoots roots = *RootsFor(height);
  bool conflict = false;
  const std::set<crypto::Digest> in_flight =
      AncestorTransactions(height, view_, parent.hash, &conflict)
          .value_or(std::set<crypto::Digest>());
  proto::Block block;
  std::vector<crypto::Digest> tx_hashes;
  std::set<crypto::Digest> chosen;
  std::uint64_t bytes = 0;
  for (std::string& tx : txs) {
    if (tx_hashes.size() >= params().max_block_txs) break;
    if (bytes + tx.size() > params().max_block_bytes) break;
    const crypto::Digest leaf = TxLeafHash(options_.hash, tx);
    if (in_flight.count(leaf) != 0 || !chosen.insert(leaf).second) continue;
    bytes += tx.size();
    tx_hashes.push_back(leaf);
    block.add_transactions(std::move(tx));
  }
  if (tx_hashes.empty() && FillerAllowed(height)) {
    ++counters_.fillers;
  } else if (tx_hashes.empty()) {
    empty_answer_ = true;  // nothing new after all: try again when the batch timer fires
    if (pool_.pending_txs > 0 && !pacemaker_.batch_armed()) pacemaker_.ArmBatch(now_, out_);
    return Finish();
  }
  SetHeader(height, parent, roots, tx_hashes, &block);

  Result<ParsedBlock> parsed = ParseBlock(block, options_.chain_id, options_.hash);
  if (!parsed.ok()) {
    ++counters_.bad_inputs;
    return Finish();
  }
  proto::ConsensusMessage message = NewMessage();
  proto::PrePrepare* pp = message.mutable_pre_prepare();
  pp->set_view(view_);
  pp->set_sequence(height);
  pp->set_header(block.header());
  std::optional<proto::ConsensusEnvelope> envelope = Seal(message);
  if (!envelope.has_value()) return Finish();
  const proto::ConsensusEnvelope evidence = *envelope;  // kept without the transactions
  *envelope->mutable_transactions() = std::move(*block.mutable_transactions());
  proto::ConsensusWalRecord record;
  *record.mutable_sent() = *envelope;
  Persist(std::move(record), WalKey{WalKind::kSent, view_, height});
  Broadcast(std::move(*envelope));
  AcceptProposal(
      view_, height,
      AcceptedProposal{evidence, std::make_shared<const ParsedBlock>(std::move(parsed).value()),
                       false});
  chain_top_ = height;
  ++counters_.proposals;
  return Finish();
}

}  // namespace colend::consensus
