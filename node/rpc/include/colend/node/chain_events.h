// The node's events as the JSON-RPC server serves them: one bank's indexed events
// (listEvents) and the per-block event the subscription hub fans out (docs/api.md,
// "Subscriptions"; docs/architecture.md, "Events and subscriptions").
//
// A BlockEvent is built once per committed block, after the block's batch is durable, and
// shared read-only (std::shared_ptr<const BlockEvent>) by every subscriber: nothing in it is
// ever changed, so no subscriber can slow or alter another. The same event is rebuilt from
// storage for a subscriber that resumes from an earlier height (NodeApi::LoadBlockEvent),
// so a live notification and a replayed one are the same bytes.
#ifndef COLEND_NODE_CHAIN_EVENTS_H_
#define COLEND_NODE_CHAIN_EVENTS_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "colend/common/bytes.h"
#include "colend/crypto/hash.h"
#include "colend/proto/block.pb.h"
#include "colend/proto/state.pb.h"

namespace colend::node {

// One transaction of a committed block.
struct TxEvent {
  std::uint32_t index = 0;  // position in the block
  Bytes tx_hash;
  std::string signer;  // empty for bytes that did not decode (MALFORMED)
  std::string id;
  std::string type;  // docs/api.md transaction type, e.g. "RecordRepayment"
  proto::Receipt receipt;
  // Member ids the transaction concerns (its event index entries), sorted.
  std::vector<std::string> parties;
};

// One committed and executed block.
struct BlockEvent {
  std::uint64_t height = 0;
  Bytes block_hash;
  std::uint64_t timestamp_ms = 0;
  crypto::Digest state_root{};     // this node's state root after the block
  crypto::Digest receipts_root{};  // of the block's receipts
  std::vector<TxEvent> txs;        // block order
  // When the block became durable on this node (unset for an event rebuilt from storage):
  // colend_ws_delivery_seconds measures from here to a live notification's write.
  std::chrono::steady_clock::time_point committed_at{};
};

// What listEvents asks: `bank`'s events from (from_height, from_index) up to to_height.
struct EventQuery {
  std::string bank;
  std::uint64_t from_height = 1;
  std::uint32_t from_index = 0;
  std::uint64_t to_height = UINT64_MAX;
  std::size_t limit = 100;  // >= 1
};

// One indexed event of a bank: the transaction, its receipt, and its journal (the postings
// it made) when it was accepted.
struct BankEvent {
  std::uint64_t height = 0;
  std::uint32_t index = 0;
  Bytes tx_hash;
  std::string signed_tx;  // the SignedTransaction bytes verbatim
  proto::Receipt receipt;
  std::optional<proto::TxRecord> record;  // accepted: its journal, currency, value date
};

struct BankEventPage {
  std::vector<BankEvent> events;
  std::uint64_t head = 0;          // the committed height the page was read at
  std::uint64_t indexed_from = 1;  // the first height the index covers
  // Where the next page starts; nullopt when this page reached min(to_height, head).
  std::optional<std::uint64_t> next_height;
  std::uint32_t next_index = 0;
};

}  // namespace colend::node

#endif  // COLEND_NODE_CHAIN_EVENTS_H_
