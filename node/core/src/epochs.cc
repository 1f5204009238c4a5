// Validator epochs on the node: which validator set orders which height, read from the
// validator schedule the contracts keep in state (contracts/validators.h), and the switch
// from one epoch's replica to the next (consensus::ActionHost::NextEpoch). The consensus
// rule itself, and why the switch is safe, is in consensus/src/safety.cc ("Epochs").
//
// Everything here runs on the event loop, where the executor's state is the executed state.
#include <algorithm>
#include <limits>
#include <set>
#include <utility>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "colend/contracts/validators.h"
#include "node_impl.h"

namespace colend::node {

Result<Node::Impl::EpochInfo> Node::Impl::LoadEpoch(std::uint64_t epoch) const {
  COLEND_ASSIGN_OR_RETURN(std::vector<proto::ValidatorEpochRecord> records,
                          contracts::ReadValidatorEpochs(executor_.state(), epoch));
  if (records.empty() || records.front().epoch() != epoch) {
    return Status::NotFound("validator epoch " + std::to_string(epoch) + " is not decided");
  }
  EpochInfo info;
  info.record = std::move(records.front());
  if (records.size() > 1) info.end = records[1].start_height() - 1;
  std::vector<std::string> ids;
  std::vector<std::pair<std::string, crypto::PublicKey>> keys;
  for (const proto::Validator& v : info.record.validators()) {
    ids.push_back(v.node_id());
    COLEND_ASSIGN_OR_RETURN(crypto::PublicKey key,
                            crypto::PublicKey::FromDer(suite_, AsBytes(v.public_key())));
    keys.emplace_back(v.node_id(), std::move(key));
  }
  COLEND_ASSIGN_OR_RETURN(consensus::ValidatorSet set, consensus::ValidatorSet::Create(ids));
  info.validators = std::make_shared<const consensus::ValidatorSet>(std::move(set));
  COLEND_ASSIGN_OR_RETURN(std::unique_ptr<consensus::ValidatorKeyring> keyring,
                          consensus::ValidatorKeyring::Create(std::move(keys)));
  // Each message checked once per node (a quoted one is not checked again): the replica of
  // this epoch and sync share the cache.
  info.keyring = std::make_shared<const consensus::CachingVerifier>(
      std::shared_ptr<const consensus::ValidatorKeyring>(std::move(keyring)));
  return info;
}

Result<Node::Impl::EpochInfo> Node::Impl::CurrentEpoch() const {
  const std::uint64_t next = executor_.height() + 1;
  COLEND_ASSIGN_OR_RETURN(proto::ValidatorEpochRecord record,
                          contracts::ValidatorEpochAt(executor_.state(), next));
  return LoadEpoch(record.epoch());
}

bool Node::Impl::SignsIn(const EpochInfo& epoch) const {
  for (const proto::Validator& v : epoch.record.validators()) {
    if (v.node_id() == config_.node_id) {
      return Bytes(v.public_key().begin(), v.public_key().end()) == node_public_key_;
    }
  }
  return false;
}

Result<std::unique_ptr<consensus::Replica>> Node::Impl::MakeReplica(const EpochInfo& epoch) const {
  consensus::ReplicaOptions options;
  options.chain_id = genesis_.chain_id;
  options.hash = suite_.hash();
  options.self = config_.node_id;
  options.validators = epoch.validators;
  options.params = params_;
  std::copy(genesis_.genesis_hash.begin(), genesis_.genesis_hash.end(),
            options.genesis.hash.begin());
  options.genesis.state_root = genesis_state_root_;
  options.genesis.receipts_root = empty_receipts_root_;
  options.genesis.timestamp_ms = 0;
  options.genesis.epoch = epoch.record.epoch();
  if (epoch.record.start_height() > 1) {
    // The base: the previous epoch's last block, committed and executed here.
    const std::uint64_t base = epoch.record.start_height() - 1;
    COLEND_ASSIGN_OR_RETURN(BlockMeta meta, store_->GetMeta(base));
    options.genesis.height = base;
    if (meta.block_hash.size() != options.genesis.hash.size()) {
      return Status::Corruption("block " + std::to_string(base) + " has a malformed hash");
    }
    std::copy(meta.block_hash.begin(), meta.block_hash.end(), options.genesis.hash.begin());
    options.genesis.timestamp_ms = meta.timestamp_ms;
    options.genesis.base_state_root = meta.state_root;
  }
  options.epoch_end = epoch.end;
  options.observer = !SignsIn(epoch);
  if (options.observer && epoch.validators->Contains(config_.node_id)) {
    spdlog::error("{} {} is not the key validator epoch {} lists for {}: following as an "
                  "observer; restart the node with the key (and certificate) the members "
                  "voted for",
                  config_keys::kP2pNodeKeyFile, config_.node_key_file.string(),
                  epoch.record.epoch(), config_.node_id);
  }
  options.signer = signer_;
  options.verifier = epoch.keyring;
  return consensus::Replica::Create(std::move(options));
}

Result<consensus::RecoveryState> Node::Impl::RecoveryFromStore() const {
  consensus::RecoveryState recovery;
  COLEND_ASSIGN_OR_RETURN(recovery.records, store_->LoadWal());
  const std::uint64_t height = store_->height();
  recovery.committed_height = height;
  const std::uint64_t keep = params_.window + 2 * params_.checkpoint_period;
  for (std::uint64_t h = height > keep ? height - keep + 1 : 1; h <= height; ++h) {
    COLEND_ASSIGN_OR_RETURN(proto::CertifiedBlock block, store_->GetBlock(h));
    recovery.committed_headers.push_back(block.block().header());
    if (h == height) recovery.committed_certificate = block.certificate();
  }
  for (std::uint64_t h = height > params_.execution_lag ? height - params_.execution_lag : 1;
       h <= height; ++h) {
    COLEND_ASSIGN_OR_RETURN(BlockMeta meta, store_->GetMeta(h));
    recovery.executed.push_back(consensus::ExecutedRoots{h, meta.state_root, meta.receipts_root});
  }
  return recovery;
}

std::uint64_t Node::Impl::NoteDecidedEpochs(std::uint64_t height) {
  Result<proto::ValidatorSchedule> schedule = contracts::ReadValidatorSchedule(executor_.state());
  if (!schedule.ok() || schedule->latest_epoch() <= decided_epoch_) return 0;
  decided_epoch_ = schedule->latest_epoch();
  Result<EpochInfo> decided = LoadEpoch(decided_epoch_);
  if (!decided.ok()) {
    spdlog::error("block {} decided validator epoch {}, which does not read back: {}", height,
                  decided_epoch_, decided.status().ToString());
    return 0;
  }
  const bool member = decided->validators->Contains(config_.node_id);
  spdlog::info("block {} decided validator epoch {}: {} validators (quorum {}) from height {}{}",
               height, decided_epoch_, decided->validators->size(), decided->validators->quorum(),
               decided->record.start_height(),
               member ? "; this node is one of them" : "; this node is not one of them");
  UpdatePeerAdmission();
  // The current epoch ends before the first epoch decided after it (later ones follow).
  if (epoch_.end == 0 && decided->record.decided_at_height() == height) {
    epoch_.end = decided->record.start_height() - 1;
  }
  return decided->record.decided_at_height() == height ? decided->record.start_height() - 1 : 0;
}

std::map<std::string, Bytes> Node::Impl::AdmittedKeys(
    const std::vector<proto::ValidatorEpochRecord>& epochs, std::uint64_t from_epoch) {
  // The earliest epoch's key wins: a validator whose key rotation is decided keeps its
  // connection, with the certificate of its old key, until the epoch with the new key
  // starts (it must reach the old epoch's end to switch), and only then must present the
  // new one (UpdatePeerAdmission runs again at the switch).
  std::map<std::string, Bytes> keys;
  for (const proto::ValidatorEpochRecord& e : epochs) {
    if (e.epoch() < from_epoch) continue;
    for (const proto::Validator& v : e.validators()) {
      keys.try_emplace(v.node_id(), v.public_key().begin(), v.public_key().end());
    }
  }
  return keys;
}

void Node::Impl::UpdatePeerAdmission() {
  Result<std::vector<proto::ValidatorEpochRecord>> all =
      contracts::ReadValidatorEpochs(executor_.state(), 0);
  if (!all.ok()) {
    spdlog::error("reading the validator schedule: {}", all.status().ToString());
    return;
  }
  std::map<std::string, Bytes> keys = AdmittedKeys(*all, epoch_.record.epoch());
  // Whoever ordered an earlier epoch and is in none from this one on has left.
  for (const proto::ValidatorEpochRecord& e : *all) {
    if (e.epoch() >= epoch_.record.epoch()) break;
    for (const proto::Validator& v : e.validators()) {
      if (keys.count(v.node_id()) != 0 || removed_peers_.count(v.node_id()) != 0) continue;
      removed_peers_[v.node_id()] =
          "removed from the validator set from height " +
          std::to_string(epoch_.record.start_height()) + " (validator epoch " +
          std::to_string(epoch_.record.epoch()) + ")";
    }
  }
  for (const auto& [id, key] : keys) removed_peers_.erase(id);  // voted back in
  std::vector<PeerEndpoint> peers;
  for (const PeerAddress& peer : config_.peers) {
    peers.push_back(PeerEndpoint{peer.node_id, peer.host, peer.port});
  }
  boost::asio::post(net_io_, [this, keys = std::move(keys), peers = std::move(peers),
                              removed = removed_peers_]() mutable {
    p2p_->SetValidators(std::move(keys), std::move(peers), std::move(removed));
  });
}

Result<std::map<std::string, std::string>> Node::Impl::RevokedCertificates() const {
  COLEND_ASSIGN_OR_RETURN(std::vector<proto::RevokedCertificate> revoked,
                          contracts::ReadRevokedCertificates(executor_.state()));
  std::map<std::string, std::string> out;
  for (const proto::RevokedCertificate& r : revoked) {
    out[r.fingerprint()] = "revoked by governance at height " +
                           std::to_string(r.revoked_at_height()) +
                           (r.reason().empty() ? std::string() : ": " + r.reason());
  }
  return out;
}

void Node::Impl::UpdateRevocations(std::uint64_t height) {
  Result<std::map<std::string, std::string>> revoked = RevokedCertificates();
  if (!revoked.ok()) {
    spdlog::error("reading the certificate revocation list: {}", revoked.status().ToString());
    return;
  }
  spdlog::info("block {} changed the certificate revocation list: {} certificates revoked",
               height, revoked->size());
  boost::asio::post(net_io_, [this, revoked = std::move(revoked).value()]() mutable {
    p2p_->SetRevoked(std::move(revoked));
  });
}

Result<consensus::ActionHost::Epoch> Node::Impl::NextEpoch(std::uint64_t ended_epoch,
                                                           std::uint64_t end_height) {
  if (executor_.height() != end_height || store_->height() != end_height) {
    return Status::Internal("epoch " + std::to_string(ended_epoch) + " ended at " +
                            std::to_string(end_height) + " but this node executed " +
                            std::to_string(executor_.height()));
  }
  COLEND_ASSIGN_OR_RETURN(EpochInfo next, LoadEpoch(ended_epoch + 1));
  if (next.record.start_height() != end_height + 1) {
    return Status::Internal("validator epoch " + std::to_string(ended_epoch + 1) +
                            " starts at height " + std::to_string(next.record.start_height()) +
                            ", not after the end of epoch " + std::to_string(ended_epoch) +
                            " at " + std::to_string(end_height));
  }
  // The old epoch's WAL entries bind nothing any more (the replica would ignore them).
  if (const Status s = store_->CompactWal(std::numeric_limits<std::uint64_t>::max(),
                                          std::numeric_limits<std::uint64_t>::max());
      !s.ok()) {
    return s.WithContext("clearing the consensus log of validator epoch " +
                         std::to_string(ended_epoch));
  }
  COLEND_ASSIGN_OR_RETURN(std::unique_ptr<consensus::Replica> replica, MakeReplica(next));
  COLEND_ASSIGN_OR_RETURN(consensus::RecoveryState recovery, RecoveryFromStore());
  const bool member = SignsIn(next);
  spdlog::info("validator epoch {} starts at height {}: {} validators (quorum {}), this node {}",
               next.record.epoch(), next.record.start_height(), next.validators->size(),
               next.validators->quorum(), member ? "votes" : "follows as an observer");
  validators_ = next.validators;
  verifier_ = next.keyring;
  queries_->SetValidators(validators_);
  epoch_ = std::move(next);
  m_epoch_->Set(static_cast<double>(epoch_.record.epoch()));
  UpdatePeerAdmission();
  return consensus::ActionHost::Epoch{std::move(replica), std::move(recovery)};
}

}  // namespace colend::node
