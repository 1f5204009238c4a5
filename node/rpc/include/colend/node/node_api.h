// NodeApi: what the JSON-RPC server asks of the node. The node implements it; the server
// renders every answer as the JSON of docs/api.md (the node never builds JSON).
//
// Everything here is typed: Protobuf messages as the chain keeps them, raw bytes for
// hashes (32 bytes, never hex), integers for heights. Contract state is read through the
// contracts' own StateReader/StateScanner on a consistent snapshot, so loan, agreement,
// position, settlement and governance queries (members, validator epochs, revoked
// certificates, proposals) use exactly the contracts' record layout.
//
// Thread safety: the server calls every method from its own worker threads, several at a
// time; implementations must be thread-safe. The callbacks given to ReadState and
// ReadPositionsAt run on the calling thread before the method returns and must not be kept.
#ifndef COLEND_NODE_NODE_API_H_
#define COLEND_NODE_NODE_API_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "colend/common/bytes.h"
#include "colend/common/result.h"
#include "colend/common/status.h"
#include "colend/node/chain_events.h"
#include "colend/contracts/state.h"
#include "colend/crypto/hash.h"
#include "colend/crypto/suite.h"
#include "colend/proto/block.pb.h"
#include "colend/proto/tx.pb.h"

namespace colend::node {

// What ReadPositionsAt found at the height asked for (a fact about the chain, not a
// failure: a failure is the Result's Status).
enum class HistoryRead {
  kRead,       // fn ran on the state after that height; it returned Ok
  kAboveHead,  // the height is above the last committed block: fn did not run
};

// What ListEvents found for the bank asked for (likewise).
enum class EventsListed {
  kListed,      // the page is in *out (possibly empty)
  kNotMember,   // the bank is not a member of this chain
  kBelowIndex,  // from_height is below the first indexed height (out->indexed_from)
};

// The outcome of offering a transaction to the pool.
struct SubmitResult {
  enum class Kind {
    kAdmitted,  // in the pool, or already there (an identical pending transaction)
    kRejected,  // refused for good: `code` and `message` say why
    kBusy,      // the pool is full or the node is not accepting: retry later
  };
  Kind kind = Kind::kRejected;
  Bytes tx_hash;        // kAdmitted: the transaction hash (suite hash of the body bytes)
  std::string code;     // kRejected: the pool's or contract's stable upper-case code
  std::string message;  // kRejected / kBusy: a sentence for the caller
  // kBusy: why ("pool_full", "signer_share", "shutting_down") and when to try again.
  std::string busy_reason;
  std::uint32_t retry_after_ms = 0;
};

// A transaction the node knows, pending in the pool or committed in a block.
struct TransactionLookup {
  std::string signed_tx;  // the SignedTransaction bytes verbatim
  bool pending = false;   // true: in the pool; the fields below are unset
  std::uint64_t height = 0;
  std::uint32_t index = 0;  // position in its block, from 0
  Bytes block_hash;
  // Once the block has been executed (execution may lag commitment).
  std::optional<proto::Receipt> receipt;
};

// A committed block with its certificate.
struct BlockLookup {
  proto::CertifiedBlock block;
  Bytes block_hash;              // suite hash of block.block().header()
  std::vector<Bytes> tx_hashes;  // transaction (body) hashes, in block order
};

// The committed state a ReadState callback sees.
struct StateHead {
  std::uint64_t height = 0;  // the block the state is after
  crypto::Digest state_root{};
};

struct NodeInfo {
  std::string node_id;
  std::string member_id;  // the bank running this node
  std::string chain_id;
  crypto::CryptoSuite suite = crypto::CryptoSuite::Standard();
  std::string version;  // software version, e.g. "0.1.0"
  Bytes genesis_hash;
  std::uint64_t height = 0;           // last committed block
  std::uint64_t executed_height = 0;  // last executed block
  crypto::Digest state_root{};        // this node's state root after executed_height
  std::uint64_t pool_size = 0;        // transactions pending in this node's pool
  std::uint64_t pool_capacity = 0;    // what it admits from clients now (backpressure)
};

struct RpcPeerInfo {
  std::string node_id;
  std::string address;  // "host:port" as dialled or accepted
  bool connected = false;
  std::uint64_t best_height = 0;  // highest committed height the peer announced
  std::uint64_t messages_sent = 0;
  std::uint64_t messages_received = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t reconnects = 0;
};

struct ConsensusStatus {
  std::uint64_t view = 0;
  std::string primary;  // node id of the primary of `view`
  bool view_change_in_progress = false;
  std::uint64_t low_watermark = 0;
  std::uint64_t high_watermark = 0;
  std::uint64_t stable_checkpoint = 0;
  std::uint64_t committed_height = 0;
  std::uint64_t executed_height = 0;
  // The validator epoch this node's replica orders: its number, first height, last height
  // (0 until the next epoch is decided), and whether this node only observes it.
  std::uint64_t epoch = 0;
  std::uint64_t epoch_start = 1;
  std::uint64_t epoch_end = 0;
  bool observer = false;
  // Named event counts (e.g. "view_changes", "proposals", "invalid_messages"); rendered as
  // one JSON object in key order, so the consensus module can add counters freely.
  std::map<std::string, std::uint64_t> counters;
};

struct SyncStatus {
  bool syncing = false;
  std::uint64_t current_height = 0;
  std::uint64_t target_height = 0;  // the best height known from peers
};

class NodeApi {
 public:
  virtual ~NodeApi() = default;

  // Offers a SignedTransaction (bytes as received from the client) to the pool.
  virtual SubmitResult SubmitTransaction(std::string signed_tx_bytes) = 0;

  // Offers many (sendTransactions): one result per input, in input order, each what
  // SubmitTransaction would answer for it. The node verifies the signatures as one batch
  // on its verifier threads and wakes consensus once; this default submits one by one.
  virtual std::vector<SubmitResult> SubmitTransactions(std::vector<std::string> signed_txs) {
    std::vector<SubmitResult> out;
    out.reserve(signed_txs.size());
    for (std::string& tx : signed_txs) out.push_back(SubmitTransaction(std::move(tx)));
    return out;
  }

  // By transaction hash; std::nullopt if neither pending nor committed.
  virtual std::optional<TransactionLookup> FindTransaction(ByteView tx_hash) const = 0;

  // Height of the last committed block (0 before block 1).
  virtual std::uint64_t BlockNumber() const = 0;

  // std::nullopt if there is no committed block with that height / hash.
  virtual std::optional<BlockLookup> BlockByNumber(std::uint64_t height) const = 0;
  virtual std::optional<BlockLookup> BlockByHash(ByteView hash) const = 0;

  // Runs fn on a consistent snapshot of the current contract state and returns its
  // Status (or a node error, e.g. kUnavailable while the store is closing). Every read fn
  // makes is of the one height `head` names, and fn may take as long as it needs: the
  // snapshot holds nothing block execution or commits wait for.
  using StateFn = std::function<Status(const contracts::StateReader&,
                                       const contracts::StateScanner&, const StateHead&)>;
  virtual Status ReadState(const StateFn& fn) const = 0;

  // Runs fn on the state as of the end of block `height`, for position queries (the pair
  // list and position records are kept per version). kAboveHead, fn not run, if `height`
  // is above the last committed block; otherwise kRead, or fn's error (or the store's).
  using PositionsFn = std::function<Status(const contracts::StateReader&)>;
  virtual Result<HistoryRead> ReadPositionsAt(std::uint64_t height,
                                              const PositionsFn& fn) const = 0;

  // Operations.
  virtual NodeInfo GetNodeInfo() const = 0;
  virtual std::vector<RpcPeerInfo> GetPeers() const = 0;
  virtual ConsensusStatus GetConsensusStatus() const = 0;
  virtual SyncStatus GetSyncStatus() const = 0;

  // Events (chain_events.h). Defaults for a NodeApi without an event index: kUnavailable.
  // One page of `query.bank`'s indexed events in *out (kListed); kNotMember for a bank that
  // is no member, kBelowIndex if query.from_height is below the first indexed height (both
  // with out->indexed_from and out->head set, and no events); a Status for a node error.
  virtual Result<EventsListed> ListEvents(const EventQuery& query, BankEventPage* out) const {
    (void)query;
    (void)out;
    return Status::Unavailable("this node keeps no event index");
  }
  // The event of committed block `height` (1..BlockNumber()), rebuilt from storage exactly
  // as it was published; kNotFound otherwise.
  virtual Result<std::shared_ptr<const BlockEvent>> LoadBlockEvent(std::uint64_t height) const {
    (void)height;
    return Status::Unavailable("this node keeps no event index");
  }

  // (No validator query: getValidators reads the validator schedule from the contract
  // state through ReadState, and the view from GetConsensusStatus.)
};

}  // namespace colend::node

#endif  // COLEND_NODE_NODE_API_H_
