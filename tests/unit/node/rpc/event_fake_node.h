// EventFakeNode: a NodeApi that serves chain events (chain_events.h) from blocks the test
// adds: listEvents from their party lists, LoadBlockEvent from the same shared events the
// test publishes, positions that change with the height. Written independently of the node's
// event index, so the server's paging and subscriptions are checked against plain vectors.
//
// Thread safety: every method takes one mutex.
#ifndef COLEND_TESTS_UNIT_NODE_RPC_EVENT_FAKE_NODE_H_
#define COLEND_TESTS_UNIT_NODE_RPC_EVENT_FAKE_NODE_H_

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "colend/contracts/records.h"
#include "colend/contracts/tx_json.h"
#include "colend/crypto/hash.h"
#include "colend/node/node_api.h"
#include "colend/proto/state.pb.h"

namespace colend::node::testing {

// A StateReader over a map.
class MapStateReader final : public contracts::StateReader {
 public:
  explicit MapStateReader(std::map<std::string, std::string, std::less<>> values)
      : values_(std::move(values)) {}
  bool Get(std::string_view key, std::string* value) const override {
    auto it = values_.find(key);
    if (it == values_.end()) return false;
    *value = it->second;
    return true;
  }

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

// One transaction of a test block: who signs it and who it concerns.
struct FakeTx {
  std::string signer;
  std::vector<std::string> parties;  // sorted
  bool accepted = true;
  std::string message;  // rejection message (sizes notifications in the slow-consumer test)
};

class EventFakeNode final : public NodeApi {
 public:
  EventFakeNode() : members_{"LEAD", "PARTNER_A", "PARTNER_B"} {}

  // Adds block height()+1 and returns its event (for RpcServer::Publish).
  std::shared_ptr<const BlockEvent> AddBlock(const std::vector<FakeTx>& txs) {
    std::lock_guard lock(mu_);
    auto event = std::make_shared<BlockEvent>();
    event->height = blocks_.size() + 1;
    const crypto::Digest hash = crypto::Hash(crypto::HashAlgorithm::kSha256,
                                             AsBytes("block " + std::to_string(event->height)));
    event->block_hash.assign(hash.begin(), hash.end());
    event->timestamp_ms = 1'764'000'000'000 + event->height;
    for (std::size_t i = 0; i < txs.size(); ++i) {
      TxEvent tx;
      tx.index = static_cast<std::uint32_t>(i);
      tx.signer = txs[i].signer;
      tx.id = "R-" + std::to_string(event->height) + "-" + std::to_string(i);
      tx.type = "RecordRepayment";
      const crypto::Digest tx_hash =
          crypto::Hash(crypto::HashAlgorithm::kSha256, AsBytes(tx.signer + "/" + tx.id));
      tx.tx_hash.assign(tx_hash.begin(), tx_hash.end());
      tx.receipt.set_tx_hash(ToString(tx.tx_hash));
      tx.receipt.set_status(txs[i].accepted ? proto::RECEIPT_STATUS_OK
                                            : proto::RECEIPT_STATUS_REJECTED);
      if (!txs[i].accepted) {
        tx.receipt.set_code("OVERPAYMENT");
        tx.receipt.set_message(txs[i].message);
      }
      tx.parties = txs[i].parties;
      event->txs.push_back(std::move(tx));
    }
    blocks_.push_back(event);
    return event;
  }

  void set_indexed_from(std::uint64_t height) {
    std::lock_guard lock(mu_);
    indexed_from_ = height;
  }

  // How many times a subscriber read a block from "storage".
  std::uint64_t loads() const { return loads_.load(); }

  SubmitResult SubmitTransaction(std::string) override { return {}; }
  std::optional<TransactionLookup> FindTransaction(ByteView) const override { return std::nullopt; }
  std::uint64_t BlockNumber() const override {
    std::lock_guard lock(mu_);
    return blocks_.size();
  }
  std::optional<BlockLookup> BlockByNumber(std::uint64_t) const override { return std::nullopt; }
  std::optional<BlockLookup> BlockByHash(ByteView) const override { return std::nullopt; }
  Status ReadState(const StateFn&) const override {
    return Status::Unavailable("no state in this fake");
  }

  // One pair, LEAD/PARTNER_A in EUR, whose principal is 100 x the height.
  Result<HistoryRead> ReadPositionsAt(std::uint64_t height, const PositionsFn& fn) const override {
    if (height > BlockNumber()) return HistoryRead::kAboveHead;
    proto::PairList pairs;
    proto::PairKey* pair = pairs.add_pairs();
    pair->set_a("LEAD");
    pair->set_b("PARTNER_A");
    pair->set_currency("EUR");
    proto::PositionRecord position;
    position.set_a("LEAD");
    position.set_b("PARTNER_A");
    position.set_currency("EUR");
    position.mutable_total()->set_principal(static_cast<std::int64_t>(height) * 100);
    position.set_posting_count(height);
    COLEND_RETURN_IF_ERROR(fn(MapStateReader(
        {{std::string(contracts::keys::kPairs), pairs.SerializeAsString()},
         {contracts::keys::Position("LEAD", "PARTNER_A", "EUR"), position.SerializeAsString()}})));
    return HistoryRead::kRead;
  }

  NodeInfo GetNodeInfo() const override {
    NodeInfo info;
    info.node_id = "LEAD-1";
    info.member_id = "LEAD";
    info.chain_id = "fake";
    info.height = BlockNumber();
    info.executed_height = info.height;
    return info;
  }
  std::vector<RpcPeerInfo> GetPeers() const override { return {}; }
  ConsensusStatus GetConsensusStatus() const override { return {}; }
  SyncStatus GetSyncStatus() const override { return {}; }

  Result<EventsListed> ListEvents(const EventQuery& query, BankEventPage* out) const override {
    std::lock_guard lock(mu_);
    out->indexed_from = indexed_from_;
    out->head = blocks_.size();
    if (members_.count(query.bank) == 0) return EventsListed::kNotMember;
    if (query.from_height < indexed_from_) return EventsListed::kBelowIndex;
    for (const auto& block : blocks_) {
      if (block->height < query.from_height || block->height > query.to_height) continue;
      for (const TxEvent& tx : block->txs) {
        if (block->height == query.from_height && tx.index < query.from_index) continue;
        if (std::find(tx.parties.begin(), tx.parties.end(), query.bank) == tx.parties.end()) {
          continue;
        }
        if (out->events.size() == query.limit) {
          out->next_height = block->height;
          out->next_index = tx.index;
          return EventsListed::kListed;
        }
        out->events.push_back(EventOf(*block, tx));
      }
    }
    return EventsListed::kListed;
  }

  Result<std::shared_ptr<const BlockEvent>> LoadBlockEvent(std::uint64_t height) const override {
    std::lock_guard lock(mu_);
    if (height == 0 || height > blocks_.size()) return Status::NotFound("no such block");
    ++loads_;
    return std::shared_ptr<const BlockEvent>(blocks_[height - 1]);
  }

 private:
  static BankEvent EventOf(const BlockEvent& block, const TxEvent& tx) {
    BankEvent event;
    event.height = block.height;
    event.index = tx.index;
    event.tx_hash = tx.tx_hash;
    event.receipt = tx.receipt;
    proto::TransactionBody body;
    body.set_chain_id("fake");
    body.set_signer(tx.signer);
    body.set_id(tx.id);
    body.mutable_record_repayment()->set_loan_id("L-1");
    body.mutable_record_repayment()->set_principal(500);
    body.mutable_record_repayment()->set_value_date("2026-01-02");
    proto::SignedTransaction envelope;
    envelope.set_body(body.SerializeAsString());
    envelope.set_key_id(std::string(16, '\x01'));
    envelope.set_signature("sig");
    event.signed_tx = envelope.SerializeAsString();
    if (tx.receipt.status() == proto::RECEIPT_STATUS_OK) {
      proto::TxRecord record;
      record.set_currency("EUR");
      record.set_value_date("2026-01-02");
      proto::JournalLine* line = record.add_journal();
      line->set_debtor("LEAD");
      line->set_creditor("PARTNER_A");
      line->set_component(proto::POSTING_COMPONENT_PRINCIPAL);
      line->set_amount(400);
      record.set_loan_id("L-1");
      for (const auto& [bank, principal] : {std::pair{"LEAD", 100}, {"PARTNER_A", 400}}) {
        proto::LegDelta* delta = record.add_deltas();
        delta->set_bank(bank);
        delta->set_principal(principal);
      }
      event.record = record;
    }
    return event;
  }

  mutable std::mutex mu_;
  std::vector<std::shared_ptr<BlockEvent>> blocks_;  // guarded by mu_
  std::set<std::string> members_;
  std::uint64_t indexed_from_ = 1;  // guarded by mu_
  mutable std::atomic<std::uint64_t> loads_{0};
};

}  // namespace colend::node::testing

#endif  // COLEND_TESTS_UNIT_NODE_RPC_EVENT_FAKE_NODE_H_
