#include "exporter.h"

#include <chrono>
#include <deque>
#include <memory>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "chain_reader.h"
#include "export_db.h"
#include "loan_book.h"
#include "rpc_client.h"
#include "ws_client.h"

namespace colend::exporter {

namespace json = boost::json;

namespace {

constexpr int kFatal = 1;
// While behind the head, up to this many blocks (or transactions) are built before they are
// written: one round trip to the database for all of them, each still its own transaction.
constexpr std::size_t kGroupBlocks = 16;
constexpr std::size_t kGroupTransactions = 8000;

// Failures worth waiting out: the node or the database is away or busy. Anything else is a
// fact a retry would only repeat.
bool Transient(const Status& s) {
  return s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kResourceExhausted;
}

// Where the time went, for the --once summary (docs/export.md, "Figures").
struct ExportStats {
  std::uint64_t blocks = 0;
  std::uint64_t transactions = 0;
  double events_s = 0;  // reading transactions, receipts and postings (listEvents)
  double state_s = 0;   // loans, batches and positions: node reads and the loans' rows
  double write_s = 0;   // the SQL transactions
};

// One connection to the node (JSON-RPC and the subscription) and to the database, and the
// events read ahead for the heights being exported.
class Session {
 public:
  Session(const ExportOptions& options, std::ostream& log) : options_(options), log_(log) {}

  // Exports until --once is done (Ok), or a failure (transient: reconnect and call again).
  Status Run();
  const ExportStats& stats() const { return stats_; }

 private:
  Status Connect();
  // Takes the next `blocks` notification (waiting for it) into queued_.
  Status ReceiveBlock();
  // Builds the block's rows into pending_ (the blocks built and not yet written).
  Status ExportBlock(const BlockRow& block);
  // Writes pending_, each block its own transaction, in one round trip.
  Status Flush();
  Result<std::vector<EventRow>> BlockEvents(const BlockRow& block);
  Status BuildLoans(const BlockRow& block, std::vector<EventRow>& events, BlockExport* out);
  Status BuildBatches(const BlockRow& block, const std::vector<EventRow>& events, BlockExport* out);

  const ExportOptions& options_;
  std::ostream& log_;
  std::unique_ptr<tools::JsonRpcClient> rpc_;
  std::unique_ptr<ChainReader> reader_;
  std::unique_ptr<ExportDatabase> db_;
  std::string chain_id_;
  std::unique_ptr<tools::SubscriptionClient> ws_;
  std::uint64_t next_due_ = 1;   // the height the subscription sends next
  std::deque<BlockRow> queued_;  // received, not yet exported, in height order
  std::uint64_t known_head_ = 0;
  // Events read ahead: heights [ahead_from_, ahead_to_] (empty when ahead_to_ < ahead_from_).
  std::map<std::uint64_t, std::vector<EventRow>> ahead_;
  std::uint64_t ahead_from_ = 1, ahead_to_ = 0;
  // Built, not yet written (at most kGroupBlocks), and what they changed, which the blocks
  // after them read before the database has it.
  std::vector<BlockExport> pending_;
  std::size_t pending_txs_ = 0;
  std::map<std::string, LoanRow> pending_loans_;
  std::map<std::string, SettlementRow> pending_batches_;
  std::map<std::pair<std::string, std::string>, EventRow> pending_events_;
  ExportStats stats_;
};

Status Session::Connect() {
  COLEND_ASSIGN_OR_RETURN(
      rpc_, tools::JsonRpcClient::Create(options_.rpc_url, options_.token, options_.timeout_ms));
  reader_ = std::make_unique<ChainReader>(rpc_.get());
  COLEND_ASSIGN_OR_RETURN(chain_id_, reader_->ChainId());
  if (db_ == nullptr) {
    COLEND_ASSIGN_OR_RETURN(db_, ExportDatabase::Open(options_.pg));
  }
  return Status::Ok();
}

Status Session::Run() {
  COLEND_RETURN_IF_ERROR(Connect());
  COLEND_ASSIGN_OR_RETURN(ExportCursor cursor, db_->Cursor());
  if (cursor.height > 0 && cursor.chain_id != chain_id_) {
    return Status::FailedPrecondition("the database holds chain \"" + cursor.chain_id +
                                      "\", the node at " + options_.rpc_url + " serves \"" +
                                      chain_id_ + "\"");
  }
  const std::uint64_t next = cursor.height + 1;
  if (options_.from_height.has_value() && *options_.from_height != next) {
    return Status::FailedPrecondition(
        "--from-height " + std::to_string(*options_.from_height) + ": the database resumes at " +
        std::to_string(next) +
        (cursor.height == 0 ? " (an export starts at 1: loans are kept from their events)" : ""));
  }
  COLEND_ASSIGN_OR_RETURN(ws_, tools::SubscriptionClient::Connect(options_.rpc_url, options_.token,
                                                                  options_.timeout_ms));
  COLEND_ASSIGN_OR_RETURN(std::uint64_t head, reader_->Head());
  if (next > head + 1) {
    return Status::FailedPrecondition("the database has exported height " +
                                      std::to_string(cursor.height) + ", above the node's head " +
                                      std::to_string(head) + ": is this the same chain?");
  }
  const std::uint64_t stop_at = head;  // --once
  if (options_.once && next > stop_at) return Status::Ok();
  Result<std::string> sub =
      ws_->Subscribe(json::object{{"topic", "blocks"}, {"from_height", next}});
  if (!sub.ok()) {
    return sub.status().code() == StatusCode::kResourceExhausted
               ? Status::Unavailable(sub.status().message())
               : sub.status();
  }
  known_head_ = head;
  ahead_.clear();
  ahead_from_ = next;
  ahead_to_ = next - 1;
  next_due_ = next;
  queued_.clear();
  auto last_report = std::chrono::steady_clock::now();
  for (;;) {
    if (queued_.empty()) {
      // Nothing more at hand: what is built goes to the database before waiting.
      COLEND_RETURN_IF_ERROR(Flush());
      COLEND_RETURN_IF_ERROR(ReceiveBlock());
    }
    const BlockRow block = std::move(queued_.front());
    queued_.pop_front();
    COLEND_RETURN_IF_ERROR(ExportBlock(block));
    if (pending_.size() >= kGroupBlocks || pending_txs_ >= kGroupTransactions) {
      COLEND_RETURN_IF_ERROR(Flush());
    }
    // Heights up to the known head are committed, so their notifications are there to take:
    // taking one per block exported keeps reading the connection (and answering the node's
    // pings) however long a catch-up runs.
    if (next_due_ <= known_head_) COLEND_RETURN_IF_ERROR(ReceiveBlock());
    const auto now = std::chrono::steady_clock::now();
    if (!options_.quiet && now - last_report > std::chrono::seconds(10)) {
      log_ << "colend-export: exported height " << block.height << " (head seen " << known_head_
           << ")\n";
      last_report = now;
    }
    if (options_.once && block.height >= stop_at) return Flush();
  }
}

Status Session::Flush() {
  if (pending_.empty()) return Status::Ok();
  const auto start = std::chrono::steady_clock::now();
  COLEND_RETURN_IF_ERROR(db_->WriteBlocks(pending_, chain_id_));
  stats_.write_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  stats_.blocks += pending_.size();
  stats_.transactions += pending_txs_;
  pending_.clear();
  pending_txs_ = 0;
  pending_loans_.clear();
  pending_batches_.clear();
  pending_events_.clear();
  return Status::Ok();
}

Status Session::ReceiveBlock() {
  COLEND_ASSIGN_OR_RETURN(json::object note, ws_->Next(options_.idle_timeout_ms));
  const json::value* h = note.if_contains("height");
  const json::value* result = note.if_contains("result");
  if (h == nullptr || !h->is_number() || result == nullptr || !result->is_object()) {
    return Status::Corruption("a blocks notification without a height and result: " +
                              json::serialize(note));
  }
  const std::uint64_t height = h->to_number<std::uint64_t>();
  if (height != next_due_) {
    return Status::Corruption("the subscription sent height " + std::to_string(height) + " where " +
                              std::to_string(next_due_) + " was due");
  }
  COLEND_ASSIGN_OR_RETURN(BlockRow block, BlockFromNotification(height, result->as_object()));
  known_head_ = std::max(known_head_, height);
  queued_.push_back(std::move(block));
  ++next_due_;
  return Status::Ok();
}

Result<std::vector<EventRow>> Session::BlockEvents(const BlockRow& block) {
  const std::uint64_t h = block.height;
  if (h < ahead_from_ || h > ahead_to_) {
    // Behind the head: a chunk of heights at once. Their notifications are due at once (the
    // heights are committed), which gives each height's transaction count, so the banks'
    // indexes are read (in pages of 1000) only until they hold every transaction.
    COLEND_ASSIGN_OR_RETURN(std::uint64_t head, reader_->Head());
    known_head_ = std::max(known_head_, head);  // fallen behind live: read ahead again
    const std::uint64_t to = std::max(h, std::min(known_head_, h + options_.chunk_blocks - 1));
    while (next_due_ <= to) COLEND_RETURN_IF_ERROR(ReceiveBlock());
    std::map<std::uint64_t, std::uint32_t> counts{{h, block.tx_count}};
    for (const BlockRow& b : queued_) {
      if (b.height <= to) counts[b.height] = b.tx_count;
    }
    COLEND_ASSIGN_OR_RETURN(std::vector<std::string> banks, reader_->Members());
    COLEND_ASSIGN_OR_RETURN(ahead_, reader_->Events(banks, h, to, counts));
    ahead_from_ = h;
    ahead_to_ = to;
  }
  std::vector<EventRow> events;
  if (auto it = ahead_.find(h); it != ahead_.end()) {
    events = std::move(it->second);
    ahead_.erase(it);
  }
  // Every transaction of the block once, in order; one no bank's index holds did not decode
  // and must be a rejection (UnindexedEvent checks).
  std::vector<EventRow> all;
  std::size_t next = 0;
  for (std::uint32_t index = 0; index < block.tx_count; ++index) {
    if (next < events.size() && events[next].index == index) {
      all.push_back(std::move(events[next++]));
    } else {
      COLEND_ASSIGN_OR_RETURN(EventRow e, reader_->UnindexedEvent(h, index));
      all.push_back(std::move(e));
    }
  }
  if (next != events.size()) {
    return Status::Corruption("block " + std::to_string(h) + " holds " +
                              std::to_string(block.tx_count) +
                              " transactions, the event index more");
  }
  std::uint32_t accepted = 0;
  for (const EventRow& e : all) accepted += e.accepted ? 1 : 0;
  if (accepted != block.accepted) {
    return Status::Corruption("block " + std::to_string(h) + " accepted " +
                              std::to_string(block.accepted) + " transactions, its events say " +
                              std::to_string(accepted));
  }
  return all;
}

Status Session::BuildLoans(const BlockRow& block, std::vector<EventRow>& events, BlockExport* out) {
  std::vector<std::string> originated;
  std::set<std::string> existing;
  // A Reverse's loan is its target's; the target may be earlier in this block.
  std::map<std::pair<std::string, std::string>, const EventRow*> in_block;
  std::map<std::size_t, EventRow> targets;
  for (std::size_t i = 0; i < events.size(); ++i) {
    EventRow& e = events[i];
    if (!e.accepted || !IsLoanEventType(e.type)) continue;
    if (e.type == "Reverse") {
      json::value tx = json::parse(e.tx_json);
      const json::value* target_id = tx.as_object().if_contains("target_id");
      if (target_id == nullptr || !target_id->is_string()) {
        return Status::Corruption("Reverse " + e.tx_id + " names no target");
      }
      const std::string id(target_id->as_string());
      if (auto it = in_block.find({e.signer, id}); it != in_block.end()) {
        targets.emplace(i, *it->second);
      } else if (auto p = pending_events_.find({e.signer, id}); p != pending_events_.end()) {
        targets.emplace(i, p->second);
      } else {
        COLEND_ASSIGN_OR_RETURN(std::optional<EventRow> t, db_->FindAcceptedEvent(e.signer, id));
        if (!t.has_value()) {
          return Status::Corruption("Reverse " + e.signer + "/" + e.tx_id + " of " + id +
                                    ", which is no exported accepted event");
        }
        targets.emplace(i, std::move(*t));
      }
      e.loan_id = targets.at(i).loan_id;
    }
    if (e.loan_id.empty()) return Status::Corruption(e.type + " " + e.tx_id + " names no loan");
    in_block.emplace(std::make_pair(e.signer, e.tx_id), &e);
    if (e.type == "OriginateLoan") {
      originated.push_back(e.loan_id);
    } else {
      existing.insert(e.loan_id);
    }
  }
  if (originated.empty() && existing.empty()) return Status::Ok();
  std::map<std::string, LoanRow> loans;
  COLEND_ASSIGN_OR_RETURN(std::vector<LoanRow> fresh,
                          reader_->OriginatedLoans(originated, block.height));
  for (LoanRow& l : fresh) {
    if (!loans.emplace(l.loan_id, std::move(l)).second) {
      return Status::Corruption("loan originated twice in block " + std::to_string(block.height));
    }
  }
  std::vector<std::string> to_load;
  for (const std::string& id : existing) {
    if (loans.contains(id)) continue;
    if (auto p = pending_loans_.find(id); p != pending_loans_.end()) {
      loans.emplace(id, p->second);
    } else {
      to_load.push_back(id);
    }
  }
  COLEND_ASSIGN_OR_RETURN(auto stored, db_->LoadLoans(to_load));
  if (stored.size() != to_load.size()) {
    return Status::Corruption("block " + std::to_string(block.height) +
                              " has events on loans never exported");
  }
  loans.merge(stored);
  for (std::size_t i = 0; i < events.size(); ++i) {
    const EventRow& e = events[i];
    if (!e.accepted || !IsLoanEventType(e.type)) continue;
    auto t = targets.find(i);
    COLEND_RETURN_IF_ERROR(
        ApplyLoanEvent(e, block.height, t == targets.end() ? nullptr : &t->second, &loans));
  }
  const std::set<std::string> is_new(originated.begin(), originated.end());
  for (auto& [id, loan] : loans) {
    (is_new.contains(id) ? out->new_loans : out->changed_loans).push_back(std::move(loan));
  }
  return Status::Ok();
}

Status Session::BuildBatches(const BlockRow& block, const std::vector<EventRow>& events,
                             BlockExport* out) {
  std::map<std::string, SettlementRow> changed;
  for (const EventRow& e : events) {
    if (!e.accepted) continue;
    if (e.type == "CloseSettlement") {
      const json::value tx = json::parse(e.tx_json);
      const json::value* cp = tx.as_object().if_contains("counterparty");
      if (cp == nullptr || !cp->is_string()) {
        return Status::Corruption("CloseSettlement " + e.tx_id + " names no counterparty");
      }
      COLEND_ASSIGN_OR_RETURN(
          std::vector<SettlementRow> closed,
          reader_->ClosedBatches(e.signer, std::string(cp->as_string()), block.height));
      for (SettlementRow& b : closed) out->new_batches.push_back(std::move(b));
    } else if (e.type == "ConfirmSettlement") {
      const json::value tx = json::parse(e.tx_json);
      const json::object& o = tx.as_object();
      const json::value* id = o.if_contains("batch_id");
      if (id == nullptr || !id->is_string()) {
        return Status::Corruption("ConfirmSettlement " + e.tx_id + " names no batch");
      }
      const std::string batch_id(id->as_string());
      SettlementRow* batch = nullptr;
      for (SettlementRow& b : out->new_batches) {
        if (b.batch_id == batch_id) batch = &b;
      }
      if (batch == nullptr) {
        if (auto p = pending_batches_.find(batch_id);
            !changed.contains(batch_id) && p != pending_batches_.end()) {
          changed.emplace(batch_id, p->second);
        }
        if (!changed.contains(batch_id)) {
          COLEND_ASSIGN_OR_RETURN(auto stored, db_->LoadBatches({batch_id}));
          if (stored.empty()) return Status::Corruption("batch " + batch_id + " is not exported");
          changed.merge(stored);
        }
        batch = &changed.at(batch_id);
      }
      // contracts/src/settlement.cc: the payer's confirmation pays a CLOSED batch, the
      // receiver's confirms a PAID one.
      if (batch->status == "CLOSED") {
        const json::value* ref = o.if_contains("payment_ref");
        if (ref == nullptr || !ref->is_string()) {
          return Status::Corruption("payment of " + batch_id + " without a payment_ref");
        }
        batch->status = "PAID";
        batch->payment_ref = std::string(ref->as_string());
        batch->paid_at_height = block.height;
      } else if (batch->status == "PAID") {
        batch->status = "CONFIRMED";
        batch->confirmed_at_height = block.height;
      } else {
        return Status::Corruption("a confirmation of batch " + batch_id + ", which is " +
                                  batch->status);
      }
    }
  }
  for (auto& [id, b] : changed) out->changed_batches.push_back(std::move(b));
  return Status::Ok();
}

Status Session::ExportBlock(const BlockRow& block) {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  BlockExport rows;
  rows.block = block;
  COLEND_ASSIGN_OR_RETURN(rows.events, BlockEvents(block));
  const auto t1 = Clock::now();
  COLEND_RETURN_IF_ERROR(BuildLoans(block, rows.events, &rows));
  COLEND_RETURN_IF_ERROR(BuildBatches(block, rows.events, &rows));
  bool positions_moved = false;
  for (const EventRow& e : rows.events) {
    positions_moved =
        positions_moved || !e.postings.empty() || (e.accepted && e.type == "CloseSettlement");
  }
  if (positions_moved) {
    COLEND_ASSIGN_OR_RETURN(rows.positions, reader_->Positions(block.height));
  }
  const auto t2 = Clock::now();
  stats_.events_s += std::chrono::duration<double>(t1 - t0).count();
  stats_.state_s += std::chrono::duration<double>(t2 - t1).count();
  // What later blocks of the group read before it is written.
  for (const LoanRow& l : rows.new_loans) pending_loans_[l.loan_id] = l;
  for (const LoanRow& l : rows.changed_loans) pending_loans_[l.loan_id] = l;
  for (const SettlementRow& b : rows.new_batches) pending_batches_[b.batch_id] = b;
  for (const SettlementRow& b : rows.changed_batches) pending_batches_[b.batch_id] = b;
  for (const EventRow& e : rows.events) {
    if (e.accepted && !e.deltas.empty()) pending_events_[{e.signer, e.tx_id}] = e;
  }
  pending_txs_ += rows.events.size();
  pending_.push_back(std::move(rows));
  return Status::Ok();
}

}  // namespace

int RunExport(const ExportOptions& options, std::ostream& log) {
  std::string last_failure;
  for (;;) {
    Session session(options, log);
    Status s;
    try {
      s = session.Run();
    } catch (const std::exception& e) {  // Boost.JSON on a malformed stored tx: a fact
      s = Status::Internal(std::string("unexpected exception: ") + e.what());
    }
    if (s.ok()) {
      const ExportStats& st = session.stats();
      if (!options.quiet || options.once) {
        log << "colend-export: exported " << st.blocks << " blocks, " << st.transactions
            << " transactions; seconds reading events " << st.events_s << ", loans/batches/"
            << "positions " << st.state_s << ", writing SQL " << st.write_s << "\n";
      }
      return 0;
    }
    if (!Transient(s)) {
      log << "colend-export: " << s.message() << "\n";
      return kFatal;
    }
    if (s.message() != last_failure) {
      log << "colend-export: " << s.message() << "; retrying every " << options.retry_ms << " ms\n";
    }
    last_failure = s.message();
    std::this_thread::sleep_for(std::chrono::milliseconds(options.retry_ms));
  }
}

}  // namespace colend::exporter
