#include "exporter.h"

#include <chrono>
#include <deque>
#include <memory>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "block_writer.h"
#include "chain_reader.h"
#include "export_db.h"
#include "loan_book.h"
#include "rpc_client.h"
#include "ws_client.h"

namespace colend::exporter {

namespace json = boost::json;

namespace {

constexpr int kFatal = 1;

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
  double write_s = 0;   // the SQL transactions (on the writer thread, beside the reads)
  double wait_s = 0;    // the reads waiting for room in the writer's queue
};

// What a block built but not yet written changed, by key, with the block's height: the
// blocks built after it read it from here, as the database does not have it yet.
template <typename Row>
struct Unwritten {
  std::uint64_t height = 0;
  Row row;
};

// One connection to the node (JSON-RPC and the subscription), two to the database (the
// reads here, the writes on the writer's thread), and the events read ahead for the heights
// being exported. This thread reads and builds block h + 1 while the writer writes h.
class Session {
 public:
  // `standby` is the caller's: a writing connection that did not get the writer's lock,
  // kept from one session to the next.
  Session(const ExportOptions& options, std::ostream& log,
          std::unique_ptr<ExportDatabase>* standby)
      : options_(options), log_(log), standby_(standby) {}

  // Exports until --once is done (Ok), or a failure (transient: reconnect and call again).
  Status Run();
  const ExportStats& stats() const { return stats_; }

 private:
  Status Connect();
  // Takes the next `blocks` notification (waiting for it) into queued_.
  Status ReceiveBlock();
  // Builds the block's rows and queues them for the writer.
  Status ExportBlock(const BlockRow& block);
  // Drops from the unwritten_* maps what the writer has committed since.
  void ForgetWritten();
  Result<std::vector<EventRow>> BlockEvents(const BlockRow& block);
  // With `positions`, also reads out->positions in the same round trip as the loans (if it
  // reads any).
  Status BuildLoans(const BlockRow& block, std::vector<EventRow>& events, bool positions,
                    BlockExport* out);
  Status BuildBatches(const BlockRow& block, const std::vector<EventRow>& events, BlockExport* out);

  // Opens the writing connection and takes the writer's lock with it (Connect).
  Result<std::unique_ptr<ExportDatabase>> LockWriter();

  const ExportOptions& options_;
  std::ostream& log_;
  std::unique_ptr<ExportDatabase>* standby_;
  std::unique_ptr<tools::JsonRpcClient> rpc_;
  std::unique_ptr<ChainReader> reader_;
  std::unique_ptr<ExportDatabase> db_;  // the reads (loans, batches, reversals' targets)
  std::string chain_id_;
  std::unique_ptr<tools::SubscriptionClient> ws_;
  std::uint64_t next_due_ = 1;   // the height the subscription sends next
  std::deque<BlockRow> queued_;  // received, not yet exported, in height order
  std::uint64_t known_head_ = 0;
  // Events read ahead: heights [ahead_from_, ahead_to_] (empty when ahead_to_ < ahead_from_).
  std::map<std::uint64_t, std::vector<EventRow>> ahead_;
  std::uint64_t ahead_from_ = 1, ahead_to_ = 0;
  std::unique_ptr<BlockWriter> writer_;
  // What the blocks built and not yet written changed; per block, in height order, the keys
  // it set, to forget once the writer has committed it.
  std::map<std::string, Unwritten<LoanRow>> unwritten_loans_;
  std::map<std::string, Unwritten<SettlementRow>> unwritten_batches_;
  std::map<ExportDatabase::EventKey, Unwritten<EventRow>> unwritten_events_;
  struct BlockKeys {
    std::uint64_t height = 0;
    std::vector<std::string> loans, batches;
    std::vector<ExportDatabase::EventKey> events;
  };
  std::deque<BlockKeys> unwritten_keys_;
  ExportStats stats_;
};

// One writer per database (docs/export.md, "Running it"): a second follower waits, as a
// standby, until the first one's connection closes; a --once run does not wait. The lock is
// tried first, on a connection kept across the standby's tries, so waiting costs one
// query per --retry-ms rather than a reconnect to the node and two to PostgreSQL.
Result<std::unique_ptr<ExportDatabase>> Session::LockWriter() {
  std::unique_ptr<ExportDatabase> writes = std::move(*standby_);
  if (writes == nullptr) {
    COLEND_ASSIGN_OR_RETURN(writes, ExportDatabase::Open(options_.pg));
  }
  // A failure drops the connection (the next try opens another): it may be the one that broke.
  COLEND_ASSIGN_OR_RETURN(const bool locked, writes->TryLockWriter());
  if (!locked) {
    const std::string what = "another colend-export is writing to this database";
    if (options_.once) return Status::FailedPrecondition(what);
    *standby_ = std::move(writes);
    return Status::Unavailable(what + "; this one takes over when it stops");
  }
  return writes;
}

Status Session::Connect() {
  COLEND_ASSIGN_OR_RETURN(std::unique_ptr<ExportDatabase> writes, LockWriter());
  COLEND_ASSIGN_OR_RETURN(
      rpc_, tools::JsonRpcClient::Create(options_.rpc_url, options_.token, options_.timeout_ms));
  reader_ = std::make_unique<ChainReader>(rpc_.get());
  COLEND_ASSIGN_OR_RETURN(chain_id_, reader_->ChainId());
  if (db_ == nullptr) {
    COLEND_ASSIGN_OR_RETURN(db_, ExportDatabase::Open(options_.pg));
  }
  COLEND_ASSIGN_OR_RETURN(writer_, BlockWriter::Start(std::move(writes), chain_id_, {}));
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
    // Waiting here for the next block, the writer goes on writing what is built.
    if (queued_.empty()) COLEND_RETURN_IF_ERROR(ReceiveBlock());
    const BlockRow block = std::move(queued_.front());
    queued_.pop_front();
    COLEND_RETURN_IF_ERROR(ExportBlock(block));
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
    if (options_.once && block.height >= stop_at) {
      const Status done = writer_->Finish();
      stats_.blocks = writer_->blocks();
      stats_.transactions = writer_->transactions();
      stats_.write_s = writer_->write_seconds();
      return done;
    }
  }
}

void Session::ForgetWritten() {
  const std::uint64_t written = writer_->written();
  auto forget = [](auto& map, const auto& keys, std::uint64_t height) {
    for (const auto& key : keys) {
      // A later block that changed it again keeps it.
      if (auto it = map.find(key); it != map.end() && it->second.height == height) map.erase(it);
    }
  };
  while (!unwritten_keys_.empty() && unwritten_keys_.front().height <= written) {
    const BlockKeys& keys = unwritten_keys_.front();
    forget(unwritten_loans_, keys.loans, keys.height);
    forget(unwritten_batches_, keys.batches, keys.height);
    forget(unwritten_events_, keys.events, keys.height);
    unwritten_keys_.pop_front();
  }
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
    COLEND_ASSIGN_OR_RETURN(auto head_and_banks, reader_->HeadAndMembers());
    auto& [head, banks] = head_and_banks;
    known_head_ = std::max(known_head_, head);  // fallen behind live: read ahead again
    const std::uint64_t to = std::max(h, std::min(known_head_, h + options_.chunk_blocks - 1));
    while (next_due_ <= to) COLEND_RETURN_IF_ERROR(ReceiveBlock());
    std::map<std::uint64_t, std::uint32_t> counts{{h, block.tx_count}};
    for (const BlockRow& b : queued_) {
      if (b.height <= to) counts[b.height] = b.tx_count;
    }
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

Status Session::BuildLoans(const BlockRow& block, std::vector<EventRow>& events, bool positions,
                           BlockExport* out) {
  std::vector<std::string> originated;
  std::set<std::string> existing;
  // A Reverse's loan is its target's; the target may be earlier in this block.
  std::map<std::pair<std::string, std::string>, const EventRow*> in_block;
  std::map<std::size_t, EventRow> targets;
  // The targets neither earlier in this block nor in a block not yet written come from the
  // database, all in one query.
  std::vector<ExportDatabase::EventKey> to_find;
  {
    std::set<ExportDatabase::EventKey> seen;
    for (const EventRow& e : events) {
      if (!e.accepted || !IsLoanEventType(e.type)) continue;
      if (e.type == "Reverse") {
        const json::value tx = json::parse(e.tx_json);
        const json::value* target_id = tx.as_object().if_contains("target_id");
        if (target_id != nullptr && target_id->is_string()) {
          ExportDatabase::EventKey key(e.signer, std::string(target_id->as_string()));
          if (!seen.contains(key) && !unwritten_events_.contains(key)) to_find.push_back(key);
        }
      }
      seen.emplace(e.signer, e.tx_id);
    }
  }
  COLEND_ASSIGN_OR_RETURN(auto found, db_->FindAcceptedEvents(to_find));
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
      } else if (auto p = unwritten_events_.find({e.signer, id}); p != unwritten_events_.end()) {
        targets.emplace(i, p->second.row);
      } else if (auto f = found.find({e.signer, id}); f != found.end()) {
        targets.emplace(i, f->second);
      } else {
        return Status::Corruption("Reverse " + e.signer + "/" + e.tx_id + " of " + id +
                                  ", which is no exported accepted event");
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
  COLEND_ASSIGN_OR_RETURN(
      std::vector<LoanRow> fresh,
      reader_->OriginatedLoans(originated, block.height, positions ? &out->positions : nullptr));
  for (LoanRow& l : fresh) {
    if (!loans.emplace(l.loan_id, std::move(l)).second) {
      return Status::Corruption("loan originated twice in block " + std::to_string(block.height));
    }
  }
  std::vector<std::string> to_load;
  for (const std::string& id : existing) {
    if (loans.contains(id)) continue;
    if (auto p = unwritten_loans_.find(id); p != unwritten_loans_.end()) {
      loans.emplace(id, p->second.row);
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
        if (auto p = unwritten_batches_.find(batch_id);
            !changed.contains(batch_id) && p != unwritten_batches_.end()) {
          changed.emplace(batch_id, p->second.row);
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
  ForgetWritten();
  BlockExport rows;
  rows.block = block;
  COLEND_ASSIGN_OR_RETURN(rows.events, BlockEvents(block));
  const auto t1 = Clock::now();
  bool positions_moved = false;
  for (const EventRow& e : rows.events) {
    positions_moved =
        positions_moved || !e.postings.empty() || (e.accepted && e.type == "CloseSettlement");
  }
  COLEND_RETURN_IF_ERROR(BuildLoans(block, rows.events, positions_moved, &rows));
  COLEND_RETURN_IF_ERROR(BuildBatches(block, rows.events, &rows));
  if (positions_moved && !rows.positions.has_value()) {
    COLEND_ASSIGN_OR_RETURN(rows.positions, reader_->Positions(block.height));
  }
  const auto t2 = Clock::now();
  stats_.events_s += std::chrono::duration<double>(t1 - t0).count();
  stats_.state_s += std::chrono::duration<double>(t2 - t1).count();
  // What the blocks built next read before the writer has written it.
  const std::uint64_t h = block.height;
  BlockKeys keys{h, {}, {}, {}};
  for (const auto* loans : {&rows.new_loans, &rows.changed_loans}) {
    for (const LoanRow& l : *loans) {
      unwritten_loans_[l.loan_id] = {h, l};
      keys.loans.push_back(l.loan_id);
    }
  }
  for (const auto* batches : {&rows.new_batches, &rows.changed_batches}) {
    for (const SettlementRow& b : *batches) {
      unwritten_batches_[b.batch_id] = {h, b};
      keys.batches.push_back(b.batch_id);
    }
  }
  for (const EventRow& e : rows.events) {
    if (!e.accepted || e.deltas.empty()) continue;
    unwritten_events_[{e.signer, e.tx_id}] = {h, e};
    keys.events.emplace_back(e.signer, e.tx_id);
  }
  unwritten_keys_.push_back(std::move(keys));
  const auto t3 = Clock::now();
  COLEND_RETURN_IF_ERROR(writer_->Push(std::move(rows)));
  stats_.wait_s += std::chrono::duration<double>(Clock::now() - t3).count();
  return Status::Ok();
}

}  // namespace

int RunExport(const ExportOptions& options, std::ostream& log) {
  std::string last_failure;
  // When the exported height moved under a session (HeightMoved), the next one resumes from
  // the database's height; at most kMaxMoved times a minute, more is a second exporter.
  constexpr std::size_t kMaxMoved = 3;
  std::deque<std::chrono::steady_clock::time_point> moved;
  std::unique_ptr<ExportDatabase> standby;  // waiting for the writer's lock (Session::LockWriter)
  for (;;) {
    Session session(options, log, &standby);
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
            << "positions " << st.state_s << ", waiting for the writer " << st.wait_s
            << "; writing SQL (beside the reads) " << st.write_s << "\n";
      }
      return 0;
    }
    if (HeightMoved(s)) {
      const auto now = std::chrono::steady_clock::now();
      while (!moved.empty() && now - moved.front() > std::chrono::minutes(1)) moved.pop_front();
      if (moved.size() < kMaxMoved) {
        moved.push_back(now);
        log << "colend-export: " << s.message() << "; resuming from the database's height\n";
        std::this_thread::sleep_for(std::chrono::milliseconds(options.retry_ms));
        continue;
      }
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
