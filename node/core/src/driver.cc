// The replica driver: the action loop's host (consensus I/O, timers, and what follows a
// commit the CommitPipeline ran: pool, subscribers, metrics, sync, replica), the router of
// peers' frames to the components, and the components' hosts. Everything here runs on the
// node's event loop (io_), except the P2pHandler callbacks, which the "colend-net" thread
// calls: they hand consensus and sync frames to the event loop (bounded by inbound
// backpressure) and gossip to TxGossip. Sends go the other way, posted to the network
// thread (NetSend).
#include <algorithm>
#include <chrono>
#include <limits>
#include <utility>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "colend/common/overloaded.h"
#include "colend/consensus/certificates.h"
#include "colend/consensus/messages.h"
#include "colend/contracts/records.h"
#include "colend/contracts/tx_decode.h"
#include "node_impl.h"

namespace colend::node {
namespace {

std::size_t TimerIndex(consensus::TimerId timer) {
  return timer == consensus::TimerId::kViewChange ? 0 : 1;
}

}  // namespace

std::uint64_t Node::Impl::NowMs() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

// --- consensus::ActionHost: what the action loop asks of this node --------------------------

void Node::Impl::Send(const std::string& to, proto::ConsensusEnvelope envelope) {
  proto::Frame frame;
  *frame.mutable_consensus() = std::move(envelope);
  NetSend(to, std::move(frame));
}

void Node::Impl::Broadcast(proto::ConsensusEnvelope envelope) {
  proto::Frame frame;
  *frame.mutable_consensus() = std::move(envelope);
  NetSend("", std::move(frame));
}

// P2pNetwork is single-threaded on the network thread: sends from the event loop are posted
// there (best effort, as before: a peer that is down or whose queue is full drops it, and
// PBFT's timers and sync recover).
void Node::Impl::NetSend(std::string to, proto::Frame frame) {
  boost::asio::post(net_io_, [this, to = std::move(to), frame = std::move(frame)] {
    if (to.empty()) {
      p2p_->Broadcast(frame);
    } else {
      p2p_->Send(to, frame);
    }
  });
}

Status Node::Impl::Persist(const consensus::PersistAction& record) {
  return store_->PutWal(record.key, record.record);
}

void Node::Impl::CompactWal(const consensus::CompactWalAction& compact) {
  const Status s = store_->CompactWal(compact.stable_sequence, compact.view);
  if (!s.ok()) spdlog::warn("compacting the consensus log: {}", s.ToString());
}

void Node::Impl::ArmTimer(consensus::TimerId timer, std::uint64_t delay_ms, std::uint64_t token) {
  boost::asio::steady_timer& t = *timers_[TimerIndex(timer)];
  t.expires_after(std::chrono::milliseconds(delay_ms));  // cancels the earlier arming
  t.async_wait([this, timer, token](const boost::system::error_code& ec) {
    if (!ec) loop_->OnTimeout(timer, token);  // a stale token is ignored by the loop
  });
}

void Node::Impl::RequestSync(const consensus::RequestSyncAction& request) {
  sync_->Request(request.target_height, request.peers);
}

// On the "colend-check" worker (proposal_check.h); the verdict comes back on the event loop.
void Node::Impl::CheckProposal(const consensus::CheckProposalAction& check) {
  proposal_check_->Check(check);
}

std::vector<std::string> Node::Impl::Batch(const consensus::RequestProposalAction& request) {
  std::vector<std::string> txs =
      pool_->Batch(request.max_txs, request.max_bytes,
                   std::span<const crypto::Digest>(request.exclude.data(), request.exclude.size()));
  spdlog::debug("proposing block {} with {} of {} pending transactions", request.height,
                txs.size(), pool_->size());
  return txs;
}

consensus::PoolStatus Node::Impl::Pool() {
  consensus::PoolStatus pool;
  pool.pending_txs = pool_->size();
  pool.pending_bytes = pool_->bytes();
  m_pool_->Set(static_cast<double>(pool.pending_txs));
  return pool;
}

void Node::Impl::BeforeAction(const consensus::Action& /*action*/, bool /*more*/) {
  if (stopping_.load()) loop_->Stop();  // shutting down: perform nothing more
}

void Node::Impl::Idle() { PublishStatus(); }


// A block is final: execute it, check the roots its header carries against this node's own
// execution, store it with its certificate in one synced batch, then tell the pool and the
// replica.
Status Node::Impl::Commit(consensus::CommitAction& commit) {
  Result<CommittedBlock> committed = commit_->Commit(commit.height, std::move(commit.block),
                                                     std::move(commit.certificate));
  if (!committed.ok()) return committed.status();
  const StoredBlock& stored = committed->stored;
  const CommittedBlock::Timing& took = committed->took;
  for (const auto& [stage, ns] : {std::pair{0, took.check}, std::pair{1, took.execute},
                                  std::pair{2, took.apply}, std::pair{3, took.store}}) {
    m_commit_stage_[stage]->Observe(std::chrono::duration<double>(ns).count());
  }
  // Subscribers hear of the block once it is durable; the hub only queues the shared event
  // and wakes the sessions, never waits for one (rpc_server.h, "Subscriptions").
  if (rpc_) rpc_->Publish(MakeBlockEvent(stored, committed->txs));

  // Durable: the pool forgets the block's transactions (by what execution decoded of them),
  // metrics and the replica learn.
  std::vector<TxPool::CommittedTx> committed_txs;
  committed_txs.reserve(stored.tx_hashes.size());
  for (std::size_t i = 0; i < stored.tx_hashes.size(); ++i) {
    const TxSummary& tx = committed->txs[i];
    committed_txs.push_back(TxPool::CommittedTx{stored.block.transactions(static_cast<int>(i)),
                                                ByteView(stored.tx_hashes[i]), tx.signer, tx.id});
  }
  pool_->RemoveCommitted(committed_txs);
  // Governance changed who may sign: drop what can now only be rejected, so no primary keeps
  // proposing it (execution would reject it; nothing refuses a block for it).
  const std::string_view members = contracts::keys::kMemberPrefix;
  const auto touched = stored.state_writes.lower_bound(members);
  if (touched != stored.state_writes.end() &&
      std::string_view(touched->first).starts_with(members)) {
    for (const auto& [code, n] : pool_->PurgeInvalid()) {
      spdlog::warn("block {} changed members or keys: dropped {} pending transactions ({})",
                   stored.height, n, code);
      m_evicted_->Increment(n);
    }
  }
  // Governance revoked a certificate: p2p refuses it from now on and drops it if connected.
  const std::string_view revoked = contracts::keys::kRevokedPrefix;
  if (const auto it = stored.state_writes.lower_bound(revoked);
      it != stored.state_writes.end() && std::string_view(it->first).starts_with(revoked)) {
    UpdateRevocations(stored.height);
  }
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(latency_mu_);
    for (const Bytes& hash : stored.tx_hashes) {
      auto it = submitted_at_.find(std::string(hash.begin(), hash.end()));
      if (it == submitted_at_.end()) continue;
      m_latency_->Observe(std::chrono::duration<double>(now - it->second).count());
      submitted_at_.erase(it);
    }
  }
  const std::uint64_t wall = NowMs();
  if (wall >= stored.timestamp_ms) {
    m_block_latency_->Observe(static_cast<double>(wall - stored.timestamp_ms) / 1000.0);
  }
  const PoolBackpressure::Capacity capacity =
      backpressure_->OnCommitted(stored.tx_hashes.size(), std::chrono::steady_clock::now());
  pool_->SetCapacity(capacity.txs, capacity.retry_after_ms);
  m_pool_capacity_->Set(static_cast<double>(capacity.txs));
  m_txs_->Increment(stored.tx_hashes.size());
  m_rejected_->Increment(stored.tx_hashes.size() - committed->accepted);
  m_blocks_->Increment();
  limit_metrics_->ObserveWrites(stored.state_writes);
  m_height_->Set(static_cast<double>(stored.height));
  // colend_pool_size follows when the loop next asks for the pool's size (Pool()).
  spdlog::debug(
      "committed block {} ({} txs, {} accepted): check {} us, execute {} us, apply {} us, "
      "store {} us",
      stored.height, stored.tx_hashes.size(), committed->accepted,
      std::chrono::duration_cast<std::chrono::microseconds>(took.check).count(),
      std::chrono::duration_cast<std::chrono::microseconds>(took.execute).count(),
      std::chrono::duration_cast<std::chrono::microseconds>(took.apply).count(),
      std::chrono::duration_cast<std::chrono::microseconds>(took.store).count());
  if (sync_->OnStored(stored.height)) spdlog::info("caught up at height {}", stored.height);
  // The replica hears of it once no other commit is waiting (the action loop).
  consensus::ExecutedRoots roots{stored.height, stored.state_root, stored.receipts_root};
  // A validator-set change decided by this block ends the epoch (safety.cc, "Epochs").
  roots.epoch_end = NoteDecidedEpochs(stored.height);
  loop_->OnExecuted(roots);
  return Status::Ok();
}

// --- p2p --------------------------------------------------------------------------------

namespace {

// The validator epoch a commit certificate's COMMITs claim (unverified: a routing hint).
std::uint64_t CertificateEpoch(const proto::CommitCertificate& certificate) {
  if (certificate.commits().empty()) return 0;
  proto::ConsensusEnvelope envelope;
  envelope.set_body(certificate.commits(0).commit());
  const std::optional<consensus::MessageRoute> route = consensus::PeekRoute(envelope);
  return route.has_value() ? route->epoch : 0;
}

}  // namespace

// Network thread.
void Node::Impl::OnPeerUp(const std::string& node_id, const proto::Hello& hello) {
  // Gossip is sent once, to the peers connected at the time: a peer that (re)joins gets
  // what is pending here (TxGossip::HandOver).
  if (std::optional<proto::Frame> pending = gossip_->HandOver()) p2p_->Send(node_id, *pending);
  boost::asio::post(io_, [this, node_id, hello] {
    const std::uint64_t best = hello.best_height();
    spdlog::info("peer {} up (best height {})", node_id, best);
    m_peers_->Add(1);
    ExportCertificateExpiries();
    if (!halted_.ok() || best <= store_->height()) return;
    // A claimed height is believed only with its commit certificate.
    const proto::CommitCertificate& certificate = hello.best_certificate();
    Status proof = Status::Ok();
    if (certificate.height() != best) {
      proof = Status::InvalidArgument("no commit certificate for that height");
    } else if ((epoch_.end != 0 && best > epoch_.end) || CertificateEpoch(certificate) >
                                                              epoch_.record.epoch()) {
      // Signed by the set of a later epoch, which this node learns only by executing up to
      // it: fetch, and let every block fetched be verified against the set of its height.
      spdlog::info("peer {} announces height {}, beyond validator epoch {} (ends at {}): "
                   "syncing, each block checked against its epoch's set",
                   node_id, best, epoch_.record.epoch(), epoch_.end);
    } else {
      proof = consensus::VerifyCommitSignatures(certificate, *validators_, genesis_.chain_id,
                                                suite_.hash(), *verifier_, epoch_.record.epoch());
    }
    if (!proof.ok()) {
      // Once per connection, and a validator can reconnect at will: 1st, 2nd, 4th, ...
      if (const std::uint64_t n = peer_warnings_.Count(node_id + " unproven height")) {
        spdlog::warn("peer {} announces height {} (this node is at {}) without a valid commit "
                     "certificate ({}): not syncing on its word ({} so far)",
                     node_id, best, store_->height(), proof.message(), n);
      }
      return;
    }
    sync_->Request(best, {node_id});
  });
}

// Network thread.
void Node::Impl::OnPeerDown(const std::string& node_id) {
  boost::asio::post(io_, [this, node_id] {
    spdlog::info("peer {} down", node_id);
    m_peers_->Add(-1);
    if (halted_.ok()) sync_->OnPeerDown(node_id);
  });
}

// Network thread: gossip goes to the gossip worker, the rest to the event loop. What waits
// for the event loop is counted; above the bound the network stops reading from peers
// until it drains (P2pOptions::inbound_paused), so a commit that takes a while never
// makes the node queue without limit, and pings are still answered meanwhile.
void Node::Impl::OnFrame(const std::string& node_id, proto::Frame frame) {
  if (frame.kind_case() == proto::Frame::kSyncRequest && !TakeSyncSlot(node_id)) {
    m_sync_requests_dropped_->Increment();
    return;  // a syncing peer asks again when its request times out
  }
  if (frame.kind_case() != proto::Frame::kTxGossip) {
    const std::size_t bytes = frame.ByteSizeLong();
    inbound_bytes_.fetch_add(bytes);
    boost::asio::post(io_, [this, node_id, bytes, frame = std::move(frame)]() mutable {
      inbound_bytes_.fetch_sub(bytes);
      HandleFrame(node_id, std::move(frame));
    });
    return;
  }
  HandleFrame(node_id, std::move(frame));
}

// Network thread.
bool Node::Impl::TakeSyncSlot(const std::string& node_id) {
  std::lock_guard lock(sync_serving_mutex_);
  return sync_serving_.insert(node_id).second;
}

// Event loop. The slot TakeSyncSlot took is given back here, whatever happens: the peer's
// next request is accepted once this one is answered (or dropped).
void Node::Impl::ServeSync(const std::string& node_id, const proto::SyncRequest& request) {
  bool send_queue_free = true;
  for (const PeerInfo& peer : p2p_->Peers()) {
    if (peer.node_id == node_id) {
      // An earlier answer still waits unread: a new one would only be dropped at the queue
      // after the blocks were read and serialised for nothing.
      send_queue_free = peer.send_queue_bytes <= config_.max_frame_bytes;
      break;
    }
  }
  if (send_queue_free) {
    proto::Frame answer;
    *answer.mutable_sync_response() = BlockSync::Serve(*store_, request, config_.max_frame_bytes);
    NetSend(node_id, std::move(answer));
  } else {
    m_sync_requests_dropped_->Increment();
  }
  std::lock_guard lock(sync_serving_mutex_);
  sync_serving_.erase(node_id);
}

bool Node::Impl::InboundPaused() const {
  return inbound_bytes_.load() > 2 * static_cast<std::uint64_t>(config_.max_frame_bytes);
}

void Node::Impl::HandleFrame(const std::string& node_id, proto::Frame frame) {
  if (stopping_.load()) return;
  switch (frame.kind_case()) {
    case proto::Frame::kConsensus: {
      const consensus::ReplicaCounters& c = loop_->replica().counters();
      const std::uint64_t bad_before = c.bad_signature + c.malformed + c.wrong_chain;
      loop_->OnMessage(frame.consensus());
      const consensus::ReplicaCounters& after = loop_->replica().counters();
      const std::uint64_t bad = after.bad_signature + after.malformed + after.wrong_chain;
      if (bad > bad_before) CountBadMessages(node_id, bad - bad_before);
      return;
    }
    case proto::Frame::kTxGossip:
      gossip_->OnGossip(node_id, std::move(*frame.mutable_tx_gossip()));
      return;
    case proto::Frame::kSyncRequest:
      ServeSync(node_id, frame.sync_request());
      return;
    case proto::Frame::kSyncResponse:
      sync_->OnResponse(node_id, frame.sync_response());
      return;
    default:
      // An authenticated peer can send these as fast as it likes: logged at the 1st, 2nd,
      // 4th, ... (common/log_throttle.h), so a garbage sender cannot flood the log.
      if (const std::uint64_t n = peer_warnings_.Count(node_id + " unexpected frame")) {
        spdlog::warn("peer {}: unexpected frame kind {} ({} such frames so far)", node_id,
                     static_cast<int>(frame.kind_case()), n);
      }
      return;
  }
}

void Node::Impl::CountBadMessages(const std::string& peer, std::uint64_t bad) {
  m_bad_peer_messages_->Increment(bad);
  const std::optional<std::chrono::milliseconds> bar =
      conduct_.OnBadMessages(peer, bad, std::chrono::steady_clock::now());
  if (!bar.has_value()) return;
  m_peer_penalties_->Increment();
  boost::asio::post(net_io_, [this, peer, bar = *bar, why = conduct_.Reason()] {
    p2p_->Penalize(peer, bar, why);
  });
}

// --- the components' hosts ---------------------------------------------------------------

BlockSync::Host Node::Impl::SyncHost() {
  BlockSync::Host host;
  host.stored_height = [this] { return store_->height(); };
  host.validators = [this] {
    std::vector<std::string> out;
    for (const PeerInfo& info : p2p_->Peers()) {
      if (info.connected && !info.observer) out.push_back(info.node_id);
    }
    return out;
  };
  host.send = [this](const std::string& peer, proto::Frame frame) {
    NetSend(peer, std::move(frame));
  };
  // The consensus core's verdict on a synced block, as the sync client reads it.
  host.deliver = [this](const proto::CertifiedBlock& block, std::string* why) {
    using Kind = consensus::SyncedBlockVerdict::Kind;
    const consensus::SyncedBlockVerdict verdict = loop_->OnSyncedBlock(block);
    switch (verdict.kind) {
      case Kind::kAccepted:
        return BlockSync::Delivery::kAccepted;
      case Kind::kNotNext:
        return BlockSync::Delivery::kNotNext;
      case Kind::kEpochUnknown:
        return BlockSync::Delivery::kEpochUnknown;
      case Kind::kStopped:
        return BlockSync::Delivery::kHalted;
      case Kind::kInvalid:
        break;
    }
    *why = verdict.reason.ToString();
    return BlockSync::Delivery::kInvalid;
  };
  return host;
}

// Network thread (HandOver, OnGossip) and the gossip worker (admit).
TxGossip::Host Node::Impl::GossipHost() {
  TxGossip::Host host;
  host.admit = [this](std::vector<std::string> txs) {
    std::size_t admitted = 0;
    for (const AdmitResult& r : pool_->AdmitBatch(std::move(txs))) {
      admitted += r.status == AdmitStatus::kAdmitted;
    }
    return admitted;
  };
  host.pending = [this](std::size_t max_bytes) {
    return pool_->Batch(std::numeric_limits<std::uint32_t>::max(), max_bytes, {});
  };
  host.broadcast = [this](proto::Frame frame) { NetSend("", std::move(frame)); };
  host.pool_changed = [this] { loop_->OnPoolChanged(); };
  return host;
}

// The check worker (check) and the event loop (verdict).
ProposalCheck::Host Node::Impl::ProposalCheckHost() {
  ProposalCheck::Host host;
  host.check = [this](const std::vector<std::string>& txs) { return pool_->CheckProposal(txs); };
  host.verdict = [this](const consensus::CheckProposalAction& check, Status verdict) {
    loop_->OnProposalChecked(check.view, check.sequence, check.block_hash, std::move(verdict));
  };
  return host;
}

// RPC worker threads.
NodeQueries::Host Node::Impl::QueriesHost() {
  NodeQueries::Host host;
  host.accepting = [this] { return !stopping_.load(); };  // set by shutdown and by a halt
  // Relay what is new to the other validators and wake consensus: one post to the event
  // loop per call. The submit time is kept for colend_commit_latency_seconds (Commit).
  host.admitted = [this](std::vector<std::string> txs, std::vector<Bytes> hashes) {
    const auto now = std::chrono::steady_clock::now();
    {
      std::lock_guard lock(latency_mu_);
      for (const Bytes& hash : hashes) {
        submitted_at_.emplace(std::string(hash.begin(), hash.end()), now);
      }
    }
    boost::asio::post(io_, [this, txs = std::move(txs)]() mutable {
      for (std::string& tx : txs) gossip_->Relay(std::move(tx));
      loop_->OnPoolChanged();
    });
  };
  host.peers = [this] { return p2p_->Peers(); };
  host.sync = [this] {
    return NodeQueries::Host::SyncProgress{sync_->syncing(), sync_->target_published()};
  };
  return host;
}

// --- status -----------------------------------------------------------------------------

// The action loop stopped on a failed store write, execution or root check (once).
void Node::Impl::Halted(const Status& why) {
  if (!halted_.ok()) return;
  halted_ = why;
  spdlog::critical("HALT: {}", why.ToString());
  Shutdown();
}

// colend_certificate_expiry_seconds{node}: when this node's and each peer's TLS certificate
// expires (Unix seconds), so an alert fires well before the 30-day warnings in the log;
// colend_ca_certificate_expiry_seconds: the same for the consortium CA's certificate.
void Node::Impl::ExportCertificateExpiries() {
  for (const CertificateExpiry& e : p2p_->CertificateExpiries()) {
    if (e.authority) {
      metrics_
          .RegisterGauge("colend_ca_certificate_expiry_seconds",
                         "When the consortium CA's certificate expires (notAfter, Unix seconds); "
                         "no node certificate it issued verifies after that.")
          .Set(static_cast<double>(e.not_after_unix));
      continue;
    }
    metrics_
        .RegisterGauge("colend_certificate_expiry_seconds",
                       "When the TLS certificate of this node or a peer expires (notAfter, "
                       "Unix seconds).",
                       {{"node", e.node_id}})
        .Set(static_cast<double>(e.not_after_unix));
  }
}

void Node::Impl::PublishStatus() {
  const consensus::Replica& replica = loop_->replica();
  const consensus::ReplicaStatus status = replica.status();
  if (status.view != status_.view || status.view_active != status_.view_active) {
    spdlog::info("consensus: view {}{} (primary {})", status.view,
                 status.view_active ? "" : " (changing)", validators_->Primary(status.view));
  }
  status_ = status;
  const consensus::ReplicaCounters& counters = replica.counters();
  // The metric follows the replica's own count of VIEW-CHANGEs it started (a timer that
  // fires while a view change is already under way starts none).
  m_view_changes_->Increment(counters.view_changes - counters_.view_changes);
  counters_ = counters;
  queries_->PublishConsensus(status_, counters_);
  m_view_->Set(static_cast<double>(status.view));
}

}  // namespace colend::node
