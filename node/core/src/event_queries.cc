// The node's events (NodeQueries::ListEvents, NodeQueries::LoadBlockEvent) and the per-block
// event handed to the RPC server's subscription hub after each commit (driver.cc). Served from
// the block store alone, never the executor's lock: the index is written in each block's
// batch (BlockStore::Commit), so whatever a reader sees of it is durable.
#include <algorithm>
#include <map>

#include "colend/contracts/records.h"
#include "colend/contracts/tx_decode.h"
#include "event_parties.h"
#include "node_queries.h"

namespace colend::node {

std::shared_ptr<const BlockEvent> MakeBlockEvent(const StoredBlock& stored,
                                                 const std::vector<TxSummary>& txs) {
  auto event = std::make_shared<BlockEvent>();
  event->committed_at = std::chrono::steady_clock::now();
  event->height = stored.height;
  event->block_hash = stored.block_hash;
  event->timestamp_ms = stored.timestamp_ms;
  event->state_root = stored.state_root;
  event->receipts_root = stored.receipts_root;
  event->txs.reserve(stored.receipts.size());
  for (std::size_t i = 0; i < stored.receipts.size(); ++i) {
    TxEvent tx;
    tx.index = static_cast<std::uint32_t>(i);
    tx.tx_hash = stored.tx_hashes[i];
    tx.receipt = stored.receipts[i];
    if (i < txs.size()) {
      tx.signer = txs[i].signer;
      tx.id = txs[i].id;
      tx.type = txs[i].type;
      tx.parties = txs[i].parties;
    }
    event->txs.push_back(std::move(tx));
  }
  return event;
}

Result<EventsListed> NodeQueries::ListEvents(const EventQuery& query, BankEventPage* out) const {
  out->indexed_from = store_.events_from();
  out->head = store_.height();
  COLEND_ASSIGN_OR_RETURN(std::optional<std::string> member,
                          store_.GetState(contracts::keys::Member(query.bank)));
  if (!member) return EventsListed::kNotMember;
  // Those heights were committed before the index existed (BlockStore::ListEvents).
  if (query.from_height < out->indexed_from) return EventsListed::kBelowIndex;
  COLEND_ASSIGN_OR_RETURN(
      EventPage page, store_.ListEvents(query.bank, TxLocation{query.from_height, query.from_index},
                                        std::min(query.to_height, out->head), query.limit));
  COLEND_ASSIGN_OR_RETURN(std::vector<proto::Receipt> receipts,
                          store_.GetReceiptsAt(page.events));
  std::uint64_t block_height = 0;
  proto::CertifiedBlock block;
  for (std::size_t i = 0; i < page.events.size(); ++i) {
    const TxLocation& at = page.events[i];
    if (at.height != block_height) {
      COLEND_ASSIGN_OR_RETURN(block, store_.GetBlock(at.height));
      block_height = at.height;
    }
    if (static_cast<int>(at.index) >= block.block().transactions_size()) {
      return Status::Corruption("the event index names transaction " + std::to_string(at.index) +
                                " of block " + std::to_string(at.height) + ", which has none");
    }
    BankEvent event;
    event.height = at.height;
    event.index = at.index;
    event.signed_tx = block.block().transactions(static_cast<int>(at.index));
    event.receipt = std::move(receipts[i]);
    event.tx_hash = ToBytes(event.receipt.tx_hash());
    if (event.receipt.status() == proto::RECEIPT_STATUS_OK) {
      // The journal of an accepted transaction is its (signer, id) record, which later
      // blocks never change but for "reversed_by".
      Result<contracts::DecodedTransaction> decoded =
          contracts::DecodeTransaction(AsBytes(event.signed_tx), identity_.suite);
      if (decoded.ok()) {
        COLEND_ASSIGN_OR_RETURN(
            std::optional<std::string> bytes,
            store_.GetState(contracts::keys::Tx(decoded->body.signer(), decoded->body.id())));
        proto::TxRecord record;
        if (bytes && record.ParseFromString(*bytes) && record.height() == at.height &&
            record.index() == at.index) {
          event.record = std::move(record);
        }
      }
    }
    out->events.push_back(std::move(event));
  }
  if (page.next) {
    out->next_height = page.next->height;
    out->next_index = page.next->index;
  }
  return EventsListed::kListed;
}

Result<std::shared_ptr<const BlockEvent>> NodeQueries::LoadBlockEvent(std::uint64_t height) const {
  if (height == 0 || height > store_.height()) {
    return Status::NotFound("no block at height " + std::to_string(height));
  }
  COLEND_ASSIGN_OR_RETURN(proto::CertifiedBlock block, store_.GetBlock(height));
  COLEND_ASSIGN_OR_RETURN(BlockMeta meta, store_.GetMeta(height));
  StoredBlock stored;
  COLEND_RETURN_IF_ERROR(
      store_.GetTxHashesAndReceipts(height, &stored.tx_hashes, &stored.receipts));
  stored.height = height;
  stored.block_hash = meta.block_hash;
  stored.timestamp_ms = meta.timestamp_ms;
  stored.state_root = meta.state_root;
  stored.receipts_root = meta.receipts_root;
  if (stored.receipts.size() != stored.tx_hashes.size() ||
      static_cast<int>(stored.receipts.size()) != block.block().transactions_size()) {
    return Status::Corruption("block " + std::to_string(height) +
                              " has not one receipt and hash per transaction");
  }
  std::vector<TxSummary> txs(stored.receipts.size());
  for (std::size_t i = 0; i < txs.size(); ++i) {
    Result<contracts::DecodedTransaction> decoded = contracts::DecodeTransaction(
        AsBytes(block.block().transactions(static_cast<int>(i))), identity_.suite);
    if (!decoded.ok()) continue;  // MALFORMED: no signer, no parties
    txs[i].signer = decoded->body.signer();
    txs[i].id = decoded->body.id();
    txs[i].type = TransactionTypeName(decoded->body);
  }
  // The parties come from the index, which holds them as the block's execution found them.
  if (height >= store_.events_from()) {
    std::vector<std::string> members;
    COLEND_RETURN_IF_ERROR(store_.ScanState(
        contracts::keys::kMemberPrefix, [&](std::string_view key, std::string_view) {
          members.emplace_back(key.substr(contracts::keys::kMemberPrefix.size()));
          return true;
        }));
    for (const std::string& bank : members) {
      COLEND_ASSIGN_OR_RETURN(
          EventPage page, store_.ListEvents(bank, TxLocation{height, 0}, height, txs.size() + 1));
      for (const TxLocation& at : page.events) {
        if (at.index < txs.size()) txs[at.index].parties.push_back(bank);
      }
    }
  }
  return MakeBlockEvent(stored, txs);
}

}  // namespace colend::node
