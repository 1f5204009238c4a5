#include "load_run.h"

#include <algorithm>
#include <atomic>
#include <iomanip>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include <boost/json.hpp>

#include "node_health.h"
#include "rpc_client.h"
#include "send_answer.h"
#include "send_scheduler.h"
#include "rpc_client.h"

namespace colend::bench {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::uint8_t kAdmittedBit = 1;
constexpr std::uint8_t kCommittedBit = 2;

// Why a transaction is back in the scheduler, so its next call is counted by cause.
enum class RetryCause : std::uint8_t { kNone, kBusy, kUnreachable };

// One planned transaction while the run is on. The watchers touch only the atomics; the
// rest belongs to the one sender holding the transaction, and the scheduler's mutex orders
// one holder's writes before the next holder's reads.
struct Track {
  std::atomic<std::int64_t> committed_ns{kNever};
  std::atomic<std::uint8_t> flags{0};
  TxRecord record;
  std::optional<std::size_t> avoid;  // the node that last answered BUSY
  RetryCause cause = RetryCause::kNone;
};

class LoadRun {
 public:
  LoadRun(const std::vector<PlannedTx>& plan, const LoadOptions& o, std::ostream& err)
      : plan_(plan), o_(o), err_(err), tracks_(plan.size()) {
    for (std::size_t i = 0; i < plan.size(); ++i) index_of_.emplace(plan[i].hash, i);
  }

  Status Connect(const std::vector<std::string>& urls);
  LoadResult Run();

 private:
  std::int64_t Ns(Clock::time_point t) const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t - start_).count();
  }
  void SenderLoop(std::size_t c);
  // One attempt of transaction i: counted and stamped; whether an earlier one was sent.
  bool BeginAttempt(std::size_t i, Clock::time_point sent);
  void SendOnce(std::size_t node, std::size_t c, std::size_t i);
  // One sendTransactions call (LoadOptions::batch > 1), each entry settled on its own.
  void SendBatch(std::size_t node, std::size_t c, const std::vector<std::size_t>& batch);
  // What an answer for transaction i means (load_run.h, "Senders").
  void Settle(std::size_t node, std::size_t i, Clock::time_point sent, Clock::time_point now,
              const ClassifiedAnswer& a);
  void MarkAdmitted(Track& t);
  void WatchLoop(std::size_t node, std::uint64_t from_height);
  void Probe(std::size_t node);
  void StampBlock(const boost::json::value& block, Clock::time_point seen);
  void ProgressLoop();
  void Count(std::map<std::string, std::uint64_t>& counts, const std::string& key) {
    std::lock_guard lock(counts_mu_);
    ++counts[key];
  }
  LoadResult Finish();

  const std::vector<PlannedTx>& plan_;
  const LoadOptions& o_;
  std::ostream& err_;
  std::unordered_map<std::string, std::size_t> index_of_;  // read-only once running
  std::vector<Track> tracks_;
  std::size_t n_nodes_ = 0;
  std::vector<std::string> urls_;
  // send_clients_[c][node]: sender c's connection to node; watch_clients_[node].
  std::vector<std::vector<std::unique_ptr<tools::JsonRpcClient>>> send_clients_;
  std::vector<std::unique_ptr<tools::JsonRpcClient>> watch_clients_;
  Clock::time_point start_;
  std::unique_ptr<NodeHealth> health_;
  std::unique_ptr<SendScheduler> scheduler_;
  std::atomic<std::uint64_t> batch_calls_{0};  // sendTransactions calls (batch > 1)
  std::atomic<std::uint64_t> send_calls_{0}, busy_answers_{0}, busy_retries_{0},
      connection_resends_{0}, admitted_{0}, refused_{0}, admitted_committed_{0};
  std::atomic<std::int64_t> last_send_ns_{0};
  std::atomic<bool> stop_watch_{false}, stop_progress_{false};
  std::mutex counts_mu_;
  std::map<std::string, std::uint64_t> refusals_, busy_reasons_;  // guarded by counts_mu_
};

Status LoadRun::Connect(const std::vector<std::string>& urls) {
  n_nodes_ = urls.size();
  urls_ = urls;
  send_clients_.resize(static_cast<std::size_t>(o_.connections));
  auto token = [&](std::size_t i) {
    return i < o_.rpc_tokens.size() ? o_.rpc_tokens[i] : std::string();
  };
  for (auto& per_node : send_clients_) {
    for (std::size_t i = 0; i < urls.size(); ++i) {
      COLEND_ASSIGN_OR_RETURN(std::unique_ptr<tools::JsonRpcClient> c,
                              tools::JsonRpcClient::Create(urls[i], token(i), o_.rpc_timeout_ms));
      per_node.push_back(std::move(c));
    }
  }
  for (std::size_t i = 0; i < urls.size(); ++i) {
    COLEND_ASSIGN_OR_RETURN(std::unique_ptr<tools::JsonRpcClient> c,
                            tools::JsonRpcClient::Create(urls[i], token(i), o_.rpc_timeout_ms));
    watch_clients_.push_back(std::move(c));
  }
  return Status::Ok();
}

void LoadRun::SenderLoop(std::size_t c) {
  std::vector<std::size_t> batch;
  while (std::optional<SendScheduler::Work> w = scheduler_->Take()) {
    const std::optional<std::size_t> node = health_->Pick(tracks_[w->index].avoid);
    if (!node.has_value()) {
      // Every node is down: the transaction waits for a probe to bring one back. No call
      // was made, so nothing is counted against it.
      scheduler_->Retry(w->index, Clock::now() + 100ms);
      continue;
    }
    if (o_.batch <= 1) {
      SendOnce(*node, c, w->index);
      continue;
    }
    // sendTransactions: this one and whatever else is due now, up to the batch size.
    batch.assign(1, w->index);
    while (batch.size() < static_cast<std::size_t>(o_.batch)) {
      const SendScheduler::Poll more = scheduler_->TryTake(Clock::now());
      if (!more.work.has_value()) break;
      batch.push_back(more.work->index);
    }
    SendBatch(*node, c, batch);
  }
}

void LoadRun::MarkAdmitted(Track& t) {
  admitted_.fetch_add(1);
  const std::uint8_t before = t.flags.fetch_or(kAdmittedBit);
  // A watcher may have seen the block before this answer came back.
  if ((before & kCommittedBit) != 0 && (before & kAdmittedBit) == 0) {
    admitted_committed_.fetch_add(1);
  }
}

bool LoadRun::BeginAttempt(std::size_t i, Clock::time_point sent) {
  Track& t = tracks_[i];
  const bool resubmission = t.record.attempts > 0;
  if (!resubmission) t.record.first_sent_ns = Ns(sent);
  ++t.record.attempts;
  send_calls_.fetch_add(1);
  if (t.cause == RetryCause::kBusy) busy_retries_.fetch_add(1);
  if (t.cause == RetryCause::kUnreachable) connection_resends_.fetch_add(1);
  std::int64_t last = last_send_ns_.load();
  while (Ns(sent) > last && !last_send_ns_.compare_exchange_weak(last, Ns(sent))) {
  }
  return resubmission;
}

void LoadRun::SendOnce(std::size_t node, std::size_t c, std::size_t i) {
  const Clock::time_point sent = Clock::now();
  const bool resubmission = BeginAttempt(i, sent);
  const tools::RpcResponse r =
      send_clients_[c][node]->Call("sendTransaction", boost::json::object{{"tx", plan_[i].hex}});
  Settle(node, i, sent, Clock::now(), ClassifySendAnswer(r, plan_[i].hash, resubmission));
}

void LoadRun::SendBatch(std::size_t node, std::size_t c, const std::vector<std::size_t>& batch) {
  const Clock::time_point sent = Clock::now();
  std::vector<bool> resubmission;
  boost::json::array txs;
  for (std::size_t i : batch) {
    resubmission.push_back(BeginAttempt(i, sent));
    txs.emplace_back(plan_[i].hex);
  }
  batch_calls_.fetch_add(1);
  const tools::RpcResponse r =
      send_clients_[c][node]->Call("sendTransactions",
                                   boost::json::object{{"txs", std::move(txs)}});
  const Clock::time_point now = Clock::now();
  for (std::size_t k = 0; k < batch.size(); ++k) {
    const std::size_t i = batch[k];
    const tools::RpcResponse entry = tools::SendTransactionsEntry(r, k, batch.size());
    Settle(node, i, sent, now, ClassifySendAnswer(entry, plan_[i].hash, resubmission[k]));
  }
}

void LoadRun::Settle(std::size_t node, std::size_t i, Clock::time_point sent,
                     Clock::time_point now, const ClassifiedAnswer& a) {
  Track& t = tracks_[i];
  switch (a.kind) {
    case SendAnswer::kAdmitted:
    case SendAnswer::kAdmittedDuplicate:
      t.record.fate = TxRecord::Fate::kAdmitted;
      t.record.admitted_sent_ns = Ns(sent);
      t.record.admitted_as_duplicate = a.kind == SendAnswer::kAdmittedDuplicate;
      MarkAdmitted(t);
      scheduler_->Finish(i);
      return;
    case SendAnswer::kBusy:
      busy_answers_.fetch_add(1);
      ++t.record.busy_answers;
      Count(busy_reasons_, a.reason);
      t.avoid = node;
      t.cause = RetryCause::kBusy;
      scheduler_->Retry(i, now + BusyRetryDelay(a.retry_after, t.record.busy_answers));
      return;
    case SendAnswer::kRefused:
      t.record.fate = TxRecord::Fate::kRefused;
      refused_.fetch_add(1);
      Count(refusals_, a.reason);
      scheduler_->Finish(i);
      return;
    case SendAnswer::kUnreachable:
      health_->MarkDown(node, now, a.reason);
      t.avoid.reset();
      t.cause = RetryCause::kUnreachable;
      scheduler_->Retry(i, now);
      return;
  }
}

void LoadRun::StampBlock(const boost::json::value& block, Clock::time_point seen) {
  if (!block.is_object()) return;
  const boost::json::value* txs = block.as_object().if_contains("transactions");
  if (txs == nullptr || !txs->is_array()) return;
  const std::int64_t ns = Ns(seen);
  for (const boost::json::value& tx : txs->as_array()) {
    const boost::json::value* hash = &tx;
    if (tx.is_object()) hash = tx.as_object().if_contains("tx_hash");
    if (hash == nullptr || !hash->is_string()) continue;
    auto it = index_of_.find(std::string(hash->as_string()));
    if (it == index_of_.end()) continue;
    Track& t = tracks_[it->second];
    // The earliest node to show the block wins.
    std::int64_t current = t.committed_ns.load();
    while ((current == kNever || ns < current) &&
           !t.committed_ns.compare_exchange_weak(current, ns)) {
    }
    const std::uint8_t before = t.flags.fetch_or(kCommittedBit);
    if ((before & kAdmittedBit) != 0 && (before & kCommittedBit) == 0) {
      admitted_committed_.fetch_add(1);
    }
  }
}

void LoadRun::Probe(std::size_t node) {
  while (!stop_watch_.load() && Clock::now() < health_->NextProbe(node)) {
    std::this_thread::sleep_for(50ms);  // short steps, so the end of the run is not held up
  }
  if (stop_watch_.load()) return;
  const tools::RpcResponse r = watch_clients_[node]->Call("getBlockNumber");
  if (r.status.ok()) {
    health_->ProbeSucceeded(node, Clock::now());
  } else {
    health_->ProbeFailed(node, Clock::now());
  }
}

void LoadRun::WatchLoop(std::size_t node, std::uint64_t from_height) {
  tools::JsonRpcClient& client = *watch_clients_[node];
  std::uint64_t height = from_height;
  while (!stop_watch_.load()) {
    if (!health_->IsUp(node)) {
      Probe(node);
      continue;
    }
    const tools::RpcResponse r = client.Call("getBlockNumber");
    if (!r.status.ok()) {
      health_->MarkDown(node, Clock::now(), r.status.ToString());
      continue;
    }
    const std::uint64_t top =
        !r.error.has_value() && r.result.is_number() ? r.result.to_number<std::uint64_t>() : 0;
    while (height < top && !stop_watch_.load()) {
      const tools::RpcResponse b = client.Call(
          "getBlockByNumber", boost::json::object{{"height", height + 1}, {"full", false}});
      if (!b.status.ok()) {
        health_->MarkDown(node, Clock::now(), b.status.ToString());
        break;
      }
      if (b.error.has_value()) break;  // not stored yet after all: ask again next round
      StampBlock(b.result, Clock::now());
      ++height;
    }
    std::this_thread::sleep_for(5ms);
  }
}

void LoadRun::ProgressLoop() {
  if (!o_.progress) return;
  while (!stop_progress_.load()) {
    for (int k = 0; k < 20 && !stop_progress_.load(); ++k) std::this_thread::sleep_for(50ms);
    if (stop_progress_.load()) break;
    std::string down;
    for (std::size_t n = 0; n < n_nodes_; ++n) {
      if (!health_->IsUp(n)) down += (down.empty() ? " down " : ",") + urls_[n];
    }
    const double t = std::chrono::duration<double>(Clock::now() - start_).count();
    err_ << "\r  t=" << std::fixed << std::setprecision(0) << t << "s sent "
         << scheduler_->fresh_taken() << " admitted " << admitted_.load() << " committed "
         << admitted_committed_.load() << " busy " << busy_answers_.load() << " retrying "
         << scheduler_->waiting_retries() << " refused " << refused_.load() << down << "   "
         << std::flush;
  }
}

LoadResult LoadRun::Run() {
  // Every node's watcher starts at the lowest height any node reports now: no planned
  // transaction can be in an earlier block, and an unreachable node has no height to give.
  std::optional<std::uint64_t> from;
  for (auto& c : watch_clients_) {
    const tools::RpcResponse r = c->Call("getBlockNumber");
    if (r.status.ok() && !r.error.has_value() && r.result.is_number()) {
      const std::uint64_t h = r.result.to_number<std::uint64_t>();
      from = from.has_value() ? std::min(*from, h) : h;
    }
  }
  start_ = Clock::now();
  health_ = std::make_unique<NodeHealth>(n_nodes_, start_);
  const auto planned_end = start_ + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(o_.duration_s));
  scheduler_ =
      std::make_unique<SendScheduler>(plan_.size(), o_.rate, start_, planned_end + o_.retry_grace);
  std::vector<std::thread> watchers, senders;
  for (std::size_t n = 0; n < n_nodes_; ++n) {
    watchers.emplace_back([this, n, h = from.value_or(0)] { WatchLoop(n, h); });
  }
  for (std::size_t c = 0; c < send_clients_.size(); ++c) {
    senders.emplace_back([this, c] { SenderLoop(c); });
  }
  std::thread progress([this] { ProgressLoop(); });
  for (std::thread& t : senders) t.join();
  const auto wait_deadline = Clock::now() + o_.commit_wait;
  while (admitted_committed_.load() < admitted_.load() && Clock::now() < wait_deadline) {
    std::this_thread::sleep_for(20ms);
  }
  stop_watch_.store(true);
  for (std::thread& t : watchers) t.join();
  stop_progress_.store(true);
  progress.join();
  if (o_.progress) err_ << "\n";
  return Finish();
}

LoadResult LoadRun::Finish() {
  const Clock::time_point end = Clock::now();
  LoadResult out;
  out.txs.reserve(tracks_.size());
  constexpr std::size_t kSample = 10;
  for (std::size_t i = 0; i < tracks_.size(); ++i) {
    TxRecord r = tracks_[i].record;
    r.committed_ns = tracks_[i].committed_ns.load();
    if (r.attempts > 0 && r.fate == TxRecord::Fate::kUnsent) r.fate = TxRecord::Fate::kGaveUp;
    if (r.fate == TxRecord::Fate::kAdmitted && r.committed_ns == kNever &&
        out.not_committed_sample.size() < kSample) {
      out.not_committed_sample.push_back(plan_[i].hash);
    }
    out.txs.push_back(r);
  }
  out.elapsed_s = std::chrono::duration<double>(end - start_).count();
  out.send_span_s = static_cast<double>(last_send_ns_.load()) / 1e9;
  out.send_calls = send_calls_.load();
  out.batch_calls = batch_calls_.load();
  out.busy_answers = busy_answers_.load();
  out.busy_retries = busy_retries_.load();
  out.connection_resends = connection_resends_.load();
  out.slots_dropped_behind = scheduler_->slots_dropped_behind();
  out.refusals = refusals_;
  out.busy_reasons = busy_reasons_;
  out.nodes = health_->Report(end);
  return out;
}

}  // namespace

Result<LoadResult> RunLoad(const std::vector<PlannedTx>& plan, const std::vector<std::string>& urls,
                           const LoadOptions& options, std::ostream& err) {
  if (urls.empty()) return Status::InvalidArgument("no nodes to send to");
  LoadRun run(plan, options, err);
  COLEND_RETURN_IF_ERROR(run.Connect(urls));
  return run.Run();
}

}  // namespace colend::bench
