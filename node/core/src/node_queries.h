// NodeQueries: the node as the JSON-RPC server sees it (NodeApi, docs/api.md): client
// transactions offered to the pool, transactions, blocks and receipts, the contract state,
// positions as of a height, the event index, and the node's status.
//
// It answers from what it is given, never from the event loop: the block store (its own
// locking; state queries read a snapshot of it, so however long a scan runs it holds
// nothing block execution waits for), the pool, the executor's height and root (under its
// shared lock), the consensus status the event loop publishes here (PublishConsensus,
// SetValidators), and the Host's answers for peers and sync. Events are in
// event_queries.cc.
//
// Ownership: borrows the store, the executor and the pool (they must outlive it).
// Thread safety: the NodeApi methods from any thread, several at a time (the RPC workers);
// PublishConsensus and SetValidators from one thread at a time (the event loop).
#ifndef COLEND_NODE_CORE_NODE_QUERIES_H_
#define COLEND_NODE_CORE_NODE_QUERIES_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "colend/common/bytes.h"
#include "colend/consensus/replica.h"
#include "colend/consensus/validator_set.h"
#include "colend/crypto/suite.h"
#include "colend/node/block_store.h"
#include "colend/node/executor.h"
#include "colend/node/node_api.h"
#include "colend/node/p2p_network.h"
#include "colend/node/txpool.h"

namespace colend::node {

// Who this node is, as getNodeInfo reports it.
struct NodeIdentity {
  std::string node_id;
  std::string member_id;  // the bank running this node ("" if it is no validator)
  std::string chain_id;
  crypto::CryptoSuite suite = crypto::CryptoSuite::Standard();
  Bytes genesis_hash;
};

// The event a committed block hands the subscription hub: `txs` from the executor, one per
// transaction (or empty: no parties); committed_at is now (event_queries.cc).
std::shared_ptr<const BlockEvent> MakeBlockEvent(const StoredBlock& stored,
                                                 const std::vector<TxSummary>& txs);

class NodeQueries final : public NodeApi {
 public:
  struct Host {
    // Whether client transactions are taken: false once the node shuts down or halts.
    std::function<bool()> accepting;
    // Client transactions the pool admitted (new to it), with their hashes, once per
    // submit call on the RPC thread: relay them and wake consensus.
    std::function<void(std::vector<std::string> signed_txs, std::vector<Bytes> tx_hashes)> admitted;
    // The p2p layer's peers (P2pNetwork::Peers, thread-safe).
    std::function<std::vector<PeerInfo>()> peers;
    // Block sync: whether a round runs, and the highest height one aimed at (BlockSync).
    struct SyncProgress {
      bool syncing = false;
      std::uint64_t target = 0;
    };
    std::function<SyncProgress()> sync;
  };

  NodeQueries(NodeIdentity identity, const BlockStore& store, const Executor& executor,
              TxPool& pool, Host host);

  // The event loop's snapshots, for getConsensusStatus.
  void PublishConsensus(const consensus::ReplicaStatus& status,
                        const consensus::ReplicaCounters& counters);
  // The current epoch's validators (the primary of a view).
  void SetValidators(std::shared_ptr<const consensus::ValidatorSet> validators);

  // NodeApi.
  SubmitResult SubmitTransaction(std::string signed_tx_bytes) override;
  std::vector<SubmitResult> SubmitTransactions(std::vector<std::string> signed_txs) override;
  std::optional<TransactionLookup> FindTransaction(ByteView tx_hash) const override;
  std::uint64_t BlockNumber() const override;
  std::optional<BlockLookup> BlockByNumber(std::uint64_t height) const override;
  std::optional<BlockLookup> BlockByHash(ByteView hash) const override;
  Status ReadState(const StateFn& fn) const override;
  Result<HistoryRead> ReadPositionsAt(std::uint64_t height, const PositionsFn& fn) const override;
  NodeInfo GetNodeInfo() const override;
  std::vector<RpcPeerInfo> GetPeers() const override;
  ConsensusStatus GetConsensusStatus() const override;
  SyncStatus GetSyncStatus() const override;
  // event_queries.cc
  Result<EventsListed> ListEvents(const EventQuery& query, BankEventPage* out) const override;
  Result<std::shared_ptr<const BlockEvent>> LoadBlockEvent(std::uint64_t height) const override;

 private:
  const NodeIdentity identity_;
  const BlockStore& store_;
  const Executor& executor_;
  TxPool& pool_;
  Host host_;

  mutable std::mutex status_mu_;
  consensus::ReplicaStatus status_;                            // guarded by status_mu_
  consensus::ReplicaCounters counters_;                        // guarded by status_mu_
  std::shared_ptr<const consensus::ValidatorSet> validators_;  // guarded by status_mu_
};

}  // namespace colend::node

#endif  // COLEND_NODE_CORE_NODE_QUERIES_H_
