// Node::Impl: where the node's components are made and wired together (docs/architecture.md,
// "The node's components"). node.cc opens and runs it; driver.cc is the replica driver: the
// action loop's host (consensus I/O, and what follows a commit) and the router of peers'
// frames; epochs.cc follows the validator epochs. The work is the components': the commit
// pipeline (commit_pipeline.h), block sync (block_sync.h), transaction gossip
// (tx_gossip.h), the node queries the JSON-RPC server asks (node_queries.h), the proposal
// check (proposal_check.h), the pool's backpressure (pool_backpressure.h), peer conduct
// (peer_conduct.h) and the pool's key directory (state_key_directory.h).
#ifndef COLEND_NODE_CORE_NODE_IMPL_H_
#define COLEND_NODE_CORE_NODE_IMPL_H_

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "colend/common/log_throttle.h"
#include "colend/consensus/action_loop.h"
#include "colend/consensus/actions.h"
#include "colend/consensus/replica.h"
#include "colend/consensus/signer.h"
#include "colend/consensus/validator_set.h"
#include "colend/contracts/genesis.h"
#include "colend/node/block_store.h"
#include "colend/node/commit_pipeline.h"
#include "colend/node/config.h"
#include "colend/node/executor.h"
#include "colend/node/metrics.h"
#include "colend/node/node.h"
#include "colend/node/node_api.h"
#include "colend/node/p2p_network.h"
#include "colend/node/rpc_server.h"
#include "colend/node/txpool.h"
#include "colend/node/limit_metrics.h"
#include "colend/proto/state.pb.h"
#include "block_sync.h"
#include "node_queries.h"
#include "peer_conduct.h"
#include "pool_backpressure.h"
#include "proposal_check.h"
#include "state_key_directory.h"
#include "tx_gossip.h"

namespace colend::node {

class Node::Impl final : public P2pHandler, public consensus::ActionHost {
 public:
  Impl(NodeConfig config, contracts::Genesis genesis);
  ~Impl() override;

  // node.cc
  Status Open();
  Status Run(bool handle_signals);
  void Shutdown();
  std::uint16_t rpc_port() const { return rpc_ ? rpc_->port() : 0; }
  std::uint16_t p2p_port() const { return p2p_ ? p2p_->listen_port() : 0; }

  // P2pHandler (driver.cc): called on the network thread ("colend-net").
  void OnPeerUp(const std::string& node_id, const proto::Hello& hello) override;
  void OnPeerDown(const std::string& node_id) override;
  void OnFrame(const std::string& node_id, proto::Frame frame) override;


  // consensus::ActionHost (driver.cc): the action loop's I/O on the event loop.
  std::uint64_t NowMs() override;
  void Send(const std::string& to, proto::ConsensusEnvelope envelope) override;
  void Broadcast(proto::ConsensusEnvelope envelope) override;
  Status Persist(const consensus::PersistAction& record) override;
  void CompactWal(const consensus::CompactWalAction& compact) override;
  Status Commit(consensus::CommitAction& commit) override;
  void ArmTimer(consensus::TimerId timer, std::uint64_t delay_ms, std::uint64_t token) override;
  void RequestSync(const consensus::RequestSyncAction& request) override;
  void CheckProposal(const consensus::CheckProposalAction& check) override;
  std::vector<std::string> Batch(const consensus::RequestProposalAction& request) override;
  consensus::PoolStatus Pool() override;
  void BeforeAction(const consensus::Action& action, bool more) override;
  void Idle() override;
  void Halted(const Status& why) override;
  Result<Epoch> NextEpoch(std::uint64_t ended_epoch, std::uint64_t end_height) override;

 private:
  // driver.cc
  // A frame from a peer: gossip to the gossip worker (on the calling thread), the rest on
  // the event loop.
  void HandleFrame(const std::string& node_id, proto::Frame frame);
  // Sends on the network thread; `to` empty: to every connected peer.
  void NetSend(std::string to, proto::Frame frame);
  // Inbound backpressure for the network thread (P2pOptions::inbound_paused).
  bool InboundPaused() const;
  // The components' hosts, wired to this node in Open.
  BlockSync::Host SyncHost();
  TxGossip::Host GossipHost();
  NodeQueries::Host QueriesHost();
  ProposalCheck::Host ProposalCheckHost();
  void PublishStatus();
  void ExportCertificateExpiries();

  // epochs.cc: validator epochs (event loop). The set that orders each height comes from
  // the validator schedule in the executed state (contracts/validators.h).
  struct EpochInfo {
    proto::ValidatorEpochRecord record;
    std::shared_ptr<const consensus::ValidatorSet> validators;
    // The validators' keys, behind a verify-once cache (consensus::CachingVerifier).
    std::shared_ptr<const consensus::SignatureVerifier> keyring;
    std::uint64_t end = 0;  // last height, once the next epoch is decided (else 0)
  };
  // Epoch `epoch` as the executed state records it, with the end if the next is decided.
  Result<EpochInfo> LoadEpoch(std::uint64_t epoch) const;
  // The epoch that orders the height after the executed one.
  Result<EpochInfo> CurrentEpoch() const;
  // Whether the set of `epoch` lists this node with the key it runs with. A node listed
  // with another key (a rotation voted in, the node not restarted with the new key yet, or
  // restarted before the epoch starts) must not sign: it follows as an observer.
  bool SignsIn(const EpochInfo& epoch) const;
  // A replica for `epoch`, based on its start - 1 (which this node has executed).
  Result<std::unique_ptr<consensus::Replica>> MakeReplica(const EpochInfo& epoch) const;
  // The committed chain and WAL as a replica recovers them.
  Result<consensus::RecoveryState> RecoveryFromStore() const;
  // After executing block `height`: did it decide a validator set? Returns the current
  // epoch's end if so (ExecutedRoots::epoch_end), else 0.
  std::uint64_t NoteDecidedEpochs(std::uint64_t height);
  // Who p2p admits: this epoch's validators and those of every decided later epoch; the
  // validators that left are refused with the reason.
  void UpdatePeerAdmission();
  // The keys p2p admits as validators: those of `epochs` from `from_epoch` on, the
  // earliest epoch's key winning for a node id (a rotated key is admitted from the switch).
  static std::map<std::string, Bytes> AdmittedKeys(
      const std::vector<proto::ValidatorEpochRecord>& epochs, std::uint64_t from_epoch);
  // The revocation list in the executed state, as p2p takes it (fingerprint -> reason), and
  // handing it to p2p after block `height` changed it.
  Result<std::map<std::string, std::string>> RevokedCertificates() const;
  void UpdateRevocations(std::uint64_t height);

  // Set once in Open.
  const NodeConfig config_;
  const contracts::Genesis genesis_;
  const crypto::CryptoSuite suite_;
  std::string member_id_;
  crypto::Digest genesis_state_root_{};
  crypto::Digest empty_receipts_root_{};
  // The current epoch's validators and keys (event loop only): replaced when an epoch
  // starts, and the validators handed to queries_ then.
  std::shared_ptr<const consensus::ValidatorSet> validators_;
  std::shared_ptr<const consensus::SignatureVerifier> verifier_;
  consensus::ConsensusParams params_;
  std::shared_ptr<const consensus::MessageSigner> signer_;  // this node's consensus key
  Bytes node_public_key_;                                   // its DER, to match the schedule
  // Event loop only.
  EpochInfo epoch_;
  std::uint64_t decided_epoch_ = 0;                  // the latest epoch the state has decided
  std::map<std::string, std::string> removed_peers_;  // node id -> why p2p refuses it
  Gauge* m_epoch_ = nullptr;

  boost::asio::io_context io_;  // the event loop: consensus, execution, storage, sync
  // The network thread ("colend-net"): TLS, frames, pings and the P2pNetwork, so that a
  // long commit on the event loop never starves keep-alives. Frames for the event loop
  // wait there, at most 2 x p2p.max_frame_bytes of them (inbound_bytes_), before the
  // network stops reading.
  boost::asio::io_context net_io_;
  std::thread net_thread_;
  std::atomic<std::uint64_t> inbound_bytes_{0};
  // Peers with a sync request waiting for, or being served on, the event loop: one at a
  // time each, so a peer's flood of tiny requests neither queues without limit nor keeps
  // the event loop serving blocks (the network thread adds, the event loop removes).
  std::mutex sync_serving_mutex_;
  std::unordered_set<std::string> sync_serving_;
  bool TakeSyncSlot(const std::string& node_id);
  void ServeSync(const std::string& node_id, const proto::SyncRequest& request);
  MetricsRegistry metrics_;
  std::unique_ptr<BlockStore> store_;
  Executor executor_;
  // Check, execute, apply and store of each committed block (set in Open, event loop only).
  std::unique_ptr<CommitPipeline> commit_;
  std::shared_ptr<StateKeyDirectory> keys_;
  std::unique_ptr<TxPool> pool_;
  // Transaction gossip, with its "colend-gossip" worker. Declared after pool_: stopped and
  // joined before the pool goes.
  std::unique_ptr<TxGossip> gossip_;
  // Proposed blocks' transactions, checked on its "colend-check" worker. After pool_ too.
  std::unique_ptr<ProposalCheck> proposal_check_;
  // The replica and the loop that performs its actions (event loop only).
  std::unique_ptr<consensus::ActionLoop> loop_;
  std::unique_ptr<P2pNetwork> p2p_;
  // What the RPC server asks (NodeApi); declared before rpc_, which borrows it.
  std::unique_ptr<NodeQueries> queries_;
  std::unique_ptr<RpcServer> rpc_;
  std::optional<boost::asio::signal_set> signals_;

  // Event loop only.
  std::array<std::unique_ptr<boost::asio::steady_timer>, 2> timers_;
  std::unique_ptr<BlockSync> sync_;  // set in Open; its status() from any thread
  Status halted_ = Status::Ok();

  // Submit times of transactions this node admitted from clients (commit latency).
  std::mutex latency_mu_;
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> submitted_at_;

  // The replica's status and counters as last published to queries_ (event loop only).
  consensus::ReplicaStatus status_;
  consensus::ReplicaCounters counters_;
  std::atomic<bool> stopping_{false};

  // Metrics.
  Gauge* m_height_ = nullptr;
  Gauge* m_view_ = nullptr;
  Gauge* m_pool_ = nullptr;
  Gauge* m_peers_ = nullptr;
  Counter* m_txs_ = nullptr;
  Counter* m_rejected_ = nullptr;
  Counter* m_blocks_ = nullptr;
  Counter* m_view_changes_ = nullptr;
  Counter* m_evicted_ = nullptr;
  Counter* m_bad_peer_messages_ = nullptr;
  Counter* m_peer_penalties_ = nullptr;
  Counter* m_sync_requests_dropped_ = nullptr;

  // Byzantine bounds (peer_conduct.h): consensus envelopes from a peer that fail their
  // signature or do not parse (event loop only).
  PeerConduct conduct_;
  // Per-frame warnings about authenticated peers, logged at the 1st, 2nd, 4th, ... of each
  // peer and kind (the keys are bounded by the validators and observers admitted).
  OccurrenceLog peer_warnings_;
  void CountBadMessages(const std::string& peer, std::uint64_t bad);
  Histogram* m_latency_ = nullptr;
  Histogram* m_block_latency_ = nullptr;
  // colend_commit_stage_seconds{stage}: check, execute, apply, store (CommitPipeline).
  std::array<Histogram*, 4> m_commit_stage_{};
  std::unique_ptr<LimitExposureMetrics> limit_metrics_;
  Gauge* m_pool_capacity_ = nullptr;

  // Backpressure (pool_backpressure.h): the pool's capacity after each commit (event loop).
  std::unique_ptr<PoolBackpressure> backpressure_;
};

}  // namespace colend::node

#endif  // COLEND_NODE_CORE_NODE_IMPL_H_
