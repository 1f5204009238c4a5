// How consensus alone scales with the number of validators (docs/scaling.md).
//
// n real Replicas, each behind the production ActionLoop, run in one process over an
// in-memory FIFO network that delivers every message (no loss, no delay). Consensus messages
// are signed and verified with the validators' real node keys (NodeKeySigner and
// ValidatorKeyring: ECDSA P-256 of the "standard" suite), unless the benchmark's `fake_sig`
// argument swaps in the simulator's keyed-hash stand-ins, which shows what the protocol costs
// apart from its signatures. What is left out is what a node adds around consensus: TLS and
// sockets, the synced WAL and block writes (Persist and Commit succeed at once and are only
// counted), checking the transactions of a proposal (the host answers Ok at once) and
// executing blocks (the roots are a hash chain over the block hashes). Time is a virtual
// clock: when no message is in flight the earliest batch timer fires (a primary that found
// its pool empty right after a commit waits for it, as on a node); view-change timers fire
// only when BM_ViewChange fires them.
//
//   BM_Block/n/txs/fake_sig  one block of `txs` transactions of 300 bytes per iteration: the
//                            clients offer them, every replica commits them. Everything runs
//                            on one thread, so the time is the CPU of all n replicas together;
//                            cpu_ms_replica (the total / n) is what one bank's node pays.
//   BM_ViewChange/n          the primary stops with work pending; the time (manual, CPU) runs
//                            from the view-change timeouts firing at every other replica to
//                            the first block every one of them commits in the new view. The
//                            timeout itself (view_change_timeout_ms) is not in it.
//
// Counters are per committed block (BM_Block) or per view change (BM_ViewChange), summed
// over all replicas unless named `_replica`: `msgs` and `bytes` per destination, as the
// serialised ConsensusEnvelope a peer receives (`vote_bytes`: of which PREPARE, COMMIT and
// CHECKPOINT); `verifies` and `signs` signature operations; `wal_writes` Persist actions
// (each a synced write on a node); `cert_bytes` the serialised commit certificate stored with
// the block; `vc_bytes`, `nv_msgs` and `nv_bytes` the VIEW-CHANGEs and NEW-VIEWs. Messages to
// a stopped replica count (its peers send them all the same). Run: colend_consensus_scale_bench --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>
#include <google/protobuf/stubs/logging.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "bench_util.h"
#include "colend/common/bytes.h"
#include "colend/consensus/action_loop.h"
#include "colend/consensus/messages.h"
#include "colend/consensus/replica.h"
#include "colend/consensus/signer.h"
#include "colend/consensus/validator_set.h"
#include "colend/crypto/hash.h"
#include "colend/crypto/keys.h"
#include "colend/crypto/suite.h"
#include "colend/sim/fake_crypto.h"

namespace colend::bench {
namespace {

constexpr char kChainId[] = "colend-scale-bench";
constexpr std::size_t kTxBytes = 300;
constexpr crypto::HashAlgorithm kHash = crypto::HashAlgorithm::kSha256;

// Process CPU time in seconds (the benchmark is single-threaded).
double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// What the whole network did, summed over the replicas.
struct Tally {
  std::uint64_t signs = 0;
  std::uint64_t verifies = 0;
  std::uint64_t messages = 0;    // per destination
  std::uint64_t bytes = 0;       // serialised envelopes, per destination
  std::uint64_t vote_bytes = 0;  // of which PREPARE, COMMIT and CHECKPOINT
  std::uint64_t view_change_bytes = 0;  // of which VIEW-CHANGE
  std::uint64_t new_view_messages = 0;  // NEW-VIEWs, per destination
  std::uint64_t new_view_bytes = 0;
  std::uint64_t persists = 0;    // WAL records (each a synced write on a node)
};

class CountingSigner final : public consensus::MessageSigner {
 public:
  CountingSigner(std::unique_ptr<consensus::MessageSigner> inner, Tally* tally)
      : inner_(std::move(inner)), tally_(tally) {}
  Result<Bytes> Sign(ByteView body) const override {
    ++tally_->signs;
    return inner_->Sign(body);
  }

 private:
  std::unique_ptr<consensus::MessageSigner> inner_;
  Tally* tally_;
};

class CountingVerifier final : public consensus::SignatureVerifier {
 public:
  CountingVerifier(std::unique_ptr<consensus::SignatureVerifier> inner, Tally* tally)
      : inner_(std::move(inner)), tally_(tally) {}
  Status Verify(std::string_view validator, ByteView body, ByteView signature) const override {
    ++tally_->verifies;
    return inner_->Verify(validator, body, signature);
  }

 private:
  std::unique_ptr<consensus::SignatureVerifier> inner_;
  Tally* tally_;
};

// The validators' node keys, made once per benchmark and shared by its clusters.
struct Keys {
  std::vector<std::string> ids;  // "v00", "v01", ...: ascending, as the set requires
  std::vector<crypto::PrivateKey> keys;
};

Keys MakeKeys(int n) {
  Keys keys;
  for (int i = 0; i < n; ++i) {
    keys.ids.push_back((i < 10 ? "v0" : "v") + std::to_string(i));
    keys.keys.push_back(OrDie(crypto::PrivateKey::Generate(crypto::CryptoSuite::Standard())));
  }
  return keys;
}

class Cluster;

// One validator's host: the in-memory network, an always-Ok proposal check, an instant
// executor and a pool that is the clients' load minus what this replica committed.
class BenchHost final : public consensus::ActionHost {
 public:
  BenchHost(Cluster& cluster, std::size_t index) : cluster_(cluster), index_(index) {}
  void Attach(consensus::ActionLoop* loop) { loop_ = loop; }

  std::uint64_t NowMs() override;
  void Send(const std::string& to, proto::ConsensusEnvelope envelope) override;
  void Broadcast(proto::ConsensusEnvelope envelope) override;
  Status Persist(const consensus::PersistAction& record) override;
  void CompactWal(const consensus::CompactWalAction& /*compact*/) override {}
  Status Commit(consensus::CommitAction& commit) override;
  void ArmTimer(consensus::TimerId timer, std::uint64_t delay_ms, std::uint64_t token) override {
    Timer& t = timers_[static_cast<std::size_t>(timer)];
    t = Timer{true, NowMs() + delay_ms, token};
  }
  // Nobody falls behind here: every message is delivered.
  void RequestSync(const consensus::RequestSyncAction& /*request*/) override {}
  void CheckProposal(const consensus::CheckProposalAction& check) override {
    loop_->OnProposalChecked(check.view, check.sequence, check.block_hash, Status::Ok());
  }
  std::vector<std::string> Batch(const consensus::RequestProposalAction& request) override;
  consensus::PoolStatus Pool() override;
  // The validator set never changes here.
  Result<Epoch> NextEpoch(std::uint64_t /*ended_epoch*/, std::uint64_t /*end_height*/) override {
    return Status::FailedPrecondition("the benchmark's validator set never changes");
  }
  void Halted(const Status& why) override {
    std::fprintf(stderr, "replica %zu halted: %s\n", index_, why.ToString().c_str());
    std::abort();
  }

  std::uint64_t committed_height() const { return committed_height_; }
  // The last arming of `timer` (it may have been cancelled since: the loop then ignores it).
  struct Timer {
    bool armed = false;
    std::uint64_t deadline_ms = 0;
    std::uint64_t token = 0;
  };
  Timer& timer(consensus::TimerId timer) { return timers_[static_cast<std::size_t>(timer)]; }
  std::uint64_t certificate_bytes() const { return certificate_bytes_; }

 private:
  Cluster& cluster_;
  std::size_t index_;
  consensus::ActionLoop* loop_ = nullptr;
  std::uint64_t committed_height_ = 0;
  crypto::Digest state_root_{};
  // Transactions are numbered by the order the clients offered them; this replica has
  // committed every one below committed_prefix_ and those in committed_ahead_.
  std::uint64_t committed_prefix_ = 0;
  std::set<std::uint64_t> committed_ahead_;
  std::uint64_t committed_txs_ = 0;
  std::array<Timer, 2> timers_{};
  std::uint64_t certificate_bytes_ = 0;  // the last commit certificate, serialised
};

class Cluster {
 public:
  // `verify_cache`: each replica checks signatures through its own
  // consensus::CachingVerifier (as the node does), so a quoted message is checked once.
  Cluster(const Keys& keys, std::size_t txs_per_block, bool fake_signatures,
          bool verify_cache = false);
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  std::size_t size() const { return nodes_.size(); }
  Tally& tally() { return tally_; }
  std::uint64_t now_ms() const { return now_ms_; }
  const std::string& tx(std::uint64_t id) const { return supply_[id]; }
  const crypto::Digest& tx_hash(std::uint64_t id) const { return supply_hashes_[id]; }
  std::uint64_t offered() const { return supply_.size(); }
  BenchHost& host(std::size_t i) { return *nodes_[i].host; }
  const consensus::Replica& replica(std::size_t i) const { return nodes_[i].loop->replica(); }

  // The clients hand `count` new transactions to every pool; the clock moves on 1 ms.
  void Offer(std::size_t count);
  // Delivers every message in flight, and those they cause, in FIFO order.
  void Drain();
  // The replica stops for good: it performs nothing more and its messages are dropped.
  void Stop(std::size_t i);
  // The clock passes every view-change deadline and each running replica's timer fires.
  void FireViewChangeTimeouts();
  // The lowest committed height over the running replicas.
  std::uint64_t MinCommitted() const;
  // Called after each delivery with the receiving replica's index (nullptr: none).
  void Watch(std::function<void(std::size_t)> watch) { watch_ = std::move(watch); }

  void Post(std::size_t from, const std::string& to, proto::ConsensusEnvelope envelope);
  void PostAll(std::size_t from, proto::ConsensusEnvelope envelope);

 private:
  struct Node {
    std::unique_ptr<BenchHost> host;
    std::unique_ptr<consensus::ActionLoop> loop;  // declared after host: destroyed first
    bool up = true;
  };
  struct Packet {
    std::size_t to;
    std::shared_ptr<const proto::ConsensusEnvelope> envelope;
  };
  void Count(const proto::ConsensusEnvelope& envelope, std::size_t destinations);

  Tally tally_;
  std::vector<Node> nodes_;
  std::map<std::string, std::size_t, std::less<>> index_of_;
  std::deque<Packet> in_flight_;
  std::vector<std::string> supply_;
  std::vector<crypto::Digest> supply_hashes_;
  std::uint64_t now_ms_ = 1'000'000;
  std::uint64_t view_change_timeout_ms_ = 0;
  std::function<void(std::size_t)> watch_;
};

std::uint64_t BenchHost::NowMs() { return cluster_.now_ms(); }

void BenchHost::Send(const std::string& to, proto::ConsensusEnvelope envelope) {
  cluster_.Post(index_, to, std::move(envelope));
}

void BenchHost::Broadcast(proto::ConsensusEnvelope envelope) {
  cluster_.PostAll(index_, std::move(envelope));
}

Status BenchHost::Persist(const consensus::PersistAction& /*record*/) {
  ++cluster_.tally().persists;
  return Status::Ok();
}

Status BenchHost::Commit(consensus::CommitAction& commit) {
  committed_height_ = commit.height;
  certificate_bytes_ = commit.certificate.ByteSizeLong();
  for (const std::string& tx : commit.block.transactions()) {
    const std::uint64_t id = std::strtoull(tx.substr(0, 16).c_str(), nullptr, 16);
    if (id == committed_prefix_) {
      ++committed_prefix_;
      while (committed_ahead_.erase(committed_prefix_) != 0) ++committed_prefix_;
    } else {
      committed_ahead_.insert(id);
    }
    ++committed_txs_;
  }
  // The executor: a hash chain over the block hashes, the same at every replica.
  const crypto::Digest block_hash = consensus::BlockHash(kHash, commit.block.header());
  state_root_ = crypto::Hash(kHash, AsBytes(ToString(state_root_) + ToString(block_hash)));
  consensus::ExecutedRoots roots;
  roots.height = commit.height;
  roots.state_root = state_root_;
  roots.receipts_root = block_hash;
  loop_->OnExecuted(roots);
  return Status::Ok();
}

std::vector<std::string> BenchHost::Batch(const consensus::RequestProposalAction& request) {
  const std::set<crypto::Digest> exclude(request.exclude.begin(), request.exclude.end());
  std::vector<std::string> txs;
  std::uint64_t bytes = 0;
  for (std::uint64_t id = committed_prefix_; id < cluster_.offered(); ++id) {
    if (txs.size() >= request.max_txs) break;
    if (committed_ahead_.count(id) != 0 || exclude.count(cluster_.tx_hash(id)) != 0) continue;
    if (bytes + cluster_.tx(id).size() > request.max_bytes) break;
    bytes += cluster_.tx(id).size();
    txs.push_back(cluster_.tx(id));
  }
  return txs;
}

consensus::PoolStatus BenchHost::Pool() {
  const std::uint64_t pending = cluster_.offered() - committed_txs_;
  return consensus::PoolStatus{pending, pending * kTxBytes};
}

Cluster::Cluster(const Keys& keys, std::size_t txs_per_block, bool fake_signatures,
                 bool verify_cache) {
  const std::size_t n = keys.ids.size();
  auto validators = std::make_shared<const consensus::ValidatorSet>(
      OrDie(consensus::ValidatorSet::Create(keys.ids)));
  std::vector<std::pair<std::string, crypto::PublicKey>> public_keys;
  std::map<std::string, std::string, std::less<>> secrets;
  for (std::size_t i = 0; i < n; ++i) {
    public_keys.emplace_back(keys.ids[i], keys.keys[i].public_key());
    secrets[keys.ids[i]] = sim::FakeSecret(keys.ids[i], 1);
  }
  std::unique_ptr<consensus::SignatureVerifier> inner_verifier;
  if (fake_signatures) {
    inner_verifier = std::make_unique<sim::FakeVerifier>(secrets);
  } else {
    inner_verifier = OrDie(consensus::ValidatorKeyring::Create(std::move(public_keys)));
  }
  auto verifier = std::make_shared<const CountingVerifier>(std::move(inner_verifier), &tally_);

  consensus::ConsensusParams params;  // genesis defaults: K = 100, W = 200, L = 2
  params.max_block_txs = static_cast<std::uint32_t>(txs_per_block);
  view_change_timeout_ms_ = params.view_change_timeout_ms;
  consensus::GenesisInfo genesis;
  genesis.hash = crypto::Hash(kHash, AsBytes("scale-bench/genesis"));
  genesis.state_root = crypto::Hash(kHash, AsBytes("scale-bench/state"));
  genesis.receipts_root = crypto::Hash(kHash, AsBytes("scale-bench/receipts"));

  nodes_.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    index_of_[keys.ids[i]] = i;
    // A key is move-only and the keys outlive the cluster: sign with a copy made via PEM.
    std::unique_ptr<consensus::MessageSigner> inner_signer;
    if (fake_signatures) {
      inner_signer = std::make_unique<sim::FakeSigner>(secrets[keys.ids[i]]);
    } else {
      inner_signer = std::make_unique<consensus::NodeKeySigner>(OrDie(crypto::PrivateKey::FromPem(
          crypto::CryptoSuite::Standard(), OrDie(keys.keys[i].ToPem()))));
    }
    consensus::ReplicaOptions options;
    options.chain_id = kChainId;
    options.hash = kHash;
    options.self = keys.ids[i];
    options.validators = validators;
    options.params = params;
    options.genesis = genesis;
    options.signer = std::make_shared<const CountingSigner>(std::move(inner_signer), &tally_);
    if (verify_cache) {
      options.verifier = std::make_shared<const consensus::CachingVerifier>(verifier);
    } else {
      options.verifier = verifier;
    }
    nodes_[i].host = std::make_unique<BenchHost>(*this, i);
    nodes_[i].loop = std::make_unique<consensus::ActionLoop>(
        OrDie(consensus::Replica::Create(std::move(options))), *nodes_[i].host);
    nodes_[i].host->Attach(nodes_[i].loop.get());
  }
  for (Node& node : nodes_) {
    const Status recovered = node.loop->Recover(consensus::RecoveryState{});
    if (!recovered.ok()) {
      std::fprintf(stderr, "recover failed: %s\n", recovered.ToString().c_str());
      std::abort();
    }
    node.loop->Start();
  }
  Drain();
}

void Cluster::Offer(std::size_t count) {
  for (std::size_t k = 0; k < count; ++k) {
    char id[17];
    std::snprintf(id, sizeof(id), "%016llx", static_cast<unsigned long long>(supply_.size()));
    std::string tx(id);
    tx.resize(kTxBytes, static_cast<char>('a' + supply_.size() % 26));
    supply_hashes_.push_back(consensus::TxLeafHash(kHash, tx));
    supply_.push_back(std::move(tx));
  }
  ++now_ms_;
  for (Node& node : nodes_) {
    if (node.up) node.loop->OnPoolChanged();
  }
}

void Cluster::Count(const proto::ConsensusEnvelope& envelope, std::size_t destinations) {
  const std::uint64_t size = envelope.ByteSizeLong();
  tally_.messages += destinations;
  tally_.bytes += size * destinations;
  proto::ConsensusMessage message;
  if (!message.ParseFromString(envelope.body())) return;
  if (message.has_prepare() || message.has_commit() || message.has_checkpoint()) {
    tally_.vote_bytes += size * destinations;
  } else if (message.has_view_change()) {
    tally_.view_change_bytes += size * destinations;
  } else if (message.has_new_view()) {
    tally_.new_view_messages += destinations;
    tally_.new_view_bytes += size * destinations;
  }
}

void Cluster::Post(std::size_t from, const std::string& to, proto::ConsensusEnvelope envelope) {
  const auto it = index_of_.find(to);
  if (!nodes_[from].up || it == index_of_.end()) return;
  Count(envelope, 1);
  in_flight_.push_back(
      Packet{it->second, std::make_shared<const proto::ConsensusEnvelope>(std::move(envelope))});
}

void Cluster::PostAll(std::size_t from, proto::ConsensusEnvelope envelope) {
  if (!nodes_[from].up) return;
  Count(envelope, nodes_.size() - 1);
  // Serialised once, sent to every peer (as the node's network does).
  auto shared = std::make_shared<const proto::ConsensusEnvelope>(std::move(envelope));
  for (std::size_t to = 0; to < nodes_.size(); ++to) {
    if (to != from) in_flight_.push_back(Packet{to, shared});
  }
}

void Cluster::Drain() {
  for (;;) {
    while (!in_flight_.empty()) {
      const Packet packet = std::move(in_flight_.front());
      in_flight_.pop_front();
      if (!nodes_[packet.to].up) continue;
      nodes_[packet.to].loop->OnMessage(*packet.envelope);
      if (watch_) watch_(packet.to);
    }
    // Nothing in flight: the earliest batch timer fires (a primary that found the pool empty
    // right after a commit waits for it, as on a node). View-change timers never fire here.
    BenchHost::Timer* next = nullptr;
    std::size_t owner = 0;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      BenchHost::Timer& t = nodes_[i].host->timer(consensus::TimerId::kBatch);
      if (nodes_[i].up && t.armed && (next == nullptr || t.deadline_ms < next->deadline_ms)) {
        next = &t;
        owner = i;
      }
    }
    if (next == nullptr) return;
    next->armed = false;
    now_ms_ = std::max(now_ms_, next->deadline_ms);
    nodes_[owner].loop->OnTimeout(consensus::TimerId::kBatch, next->token);
  }
}

void Cluster::Stop(std::size_t i) {
  nodes_[i].up = false;
  nodes_[i].loop->Stop();
}

void Cluster::FireViewChangeTimeouts() {
  // Past every deadline, even one armed with the longest back-off.
  now_ms_ += view_change_timeout_ms_ * 64 + 1;
  for (Node& node : nodes_) {
    if (!node.up) continue;
    BenchHost::Timer& t = node.host->timer(consensus::TimerId::kViewChange);
    t.armed = false;
    node.loop->OnTimeout(consensus::TimerId::kViewChange, t.token);
  }
}

std::uint64_t Cluster::MinCommitted() const {
  std::uint64_t low = UINT64_MAX;
  for (const Node& node : nodes_) {
    if (node.up) low = std::min(low, node.host->committed_height());
  }
  return low;
}

// Args: n, transactions per block, fake signatures (1) or ECDSA P-256 (0), verify-once cache
// per replica (1) or every signature checked each time it is read (0).
void BM_Block(benchmark::State& state) {
  google::protobuf::LogSilencer silence;
  const int n = static_cast<int>(state.range(0));
  const auto txs = static_cast<std::size_t>(state.range(1));
  const bool fake = state.range(2) != 0;
  const bool cache = state.range(3) != 0;
  const Keys keys = MakeKeys(n);
  Cluster cluster(keys, txs, fake, cache);
  const Tally before = cluster.tally();
  const double cpu_before = CpuSeconds();
  std::uint64_t blocks = 0;
  for (auto _ : state) {
    cluster.Offer(txs);
    cluster.Drain();
    ++blocks;
    if (cluster.MinCommitted() != blocks) {
      state.SkipWithError("a block was not committed by every replica");
      break;
    }
  }
  const double cpu_ms = (CpuSeconds() - cpu_before) * 1e3;
  const Tally& after = cluster.tally();
  const auto per_block = [&](std::uint64_t a, std::uint64_t b) {
    return static_cast<double>(a - b) / static_cast<double>(blocks);
  };
  const double b = static_cast<double>(blocks);
  state.counters["blocks_per_s"] = benchmark::Counter(b, benchmark::Counter::kIsRate);
  state.counters["tx_per_s"] =
      benchmark::Counter(b * static_cast<double>(txs), benchmark::Counter::kIsRate);
  state.counters["cpu_ms_block"] = cpu_ms / b;
  state.counters["cpu_ms_replica"] = cpu_ms / b / n;
  state.counters["msgs"] = per_block(after.messages, before.messages);
  state.counters["bytes"] = per_block(after.bytes, before.bytes);
  state.counters["vote_bytes"] = per_block(after.vote_bytes, before.vote_bytes);
  state.counters["verifies"] = per_block(after.verifies, before.verifies);
  state.counters["verifies_replica"] = per_block(after.verifies, before.verifies) / n;
  state.counters["signs"] = per_block(after.signs, before.signs);
  state.counters["wal_writes"] = per_block(after.persists, before.persists);
  state.counters["cert_bytes"] = static_cast<double>(cluster.host(0).certificate_bytes());
  state.SetLabel(std::string(fake ? "keyed-hash signatures" : "ECDSA P-256") +
                 (cache ? ", verify-once cache" : ""));
}

void BlockArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"n", "txs", "fake_sig", "cache"});
  for (int n : {4, 7, 10, 16, 31, 49}) b->Args({n, 100, 0, 0});
  for (int n : {4, 7, 10, 16, 31, 49}) b->Args({n, 100, 1, 0});
  for (int n : {4, 7, 16, 49}) b->Args({n, 1000, 0, 0});
  for (int n : {4, 16, 49}) b->Args({n, 100, 0, 1});
}
BENCHMARK(BM_Block)->Apply(BlockArgs)->Unit(benchmark::kMillisecond)->UseRealTime();

// Args: n, verify-once cache (1) or not (0). Each iteration builds a fresh network (not
// timed), commits two blocks, stops the primary of view 0 with a block's worth of
// transactions pending, and times (CPU) the rest.
void BM_ViewChange(benchmark::State& state) {
  google::protobuf::LogSilencer silence;
  const int n = static_cast<int>(state.range(0));
  const bool cache = state.range(1) != 0;
  const std::size_t live = static_cast<std::size_t>(n) - 1;
  const Keys keys = MakeKeys(n);
  double new_view_ms = 0;
  double commit_ms = 0;
  double runs = 0;
  Tally spent;
  for (auto _ : state) {
    Cluster cluster(keys, 100, false, cache);
    cluster.Offer(100);
    cluster.Drain();
    cluster.Offer(100);
    cluster.Drain();
    const std::uint64_t height = cluster.MinCommitted();
    cluster.Stop(0);  // the primary of view 0
    cluster.Offer(100);
    cluster.Drain();
    const Tally before = cluster.tally();
    std::vector<bool> entered(static_cast<std::size_t>(n), false);
    std::size_t entered_count = 0;
    double entered_at = 0;
    cluster.Watch([&](std::size_t i) {
      if (entered[i]) return;
      const consensus::ReplicaStatus status = cluster.replica(i).status();
      if (status.view == 0 || !status.view_active) return;
      entered[i] = true;
      if (++entered_count == live) entered_at = CpuSeconds();
    });
    const double start = CpuSeconds();
    cluster.FireViewChangeTimeouts();
    cluster.Drain();
    const double end = CpuSeconds();
    cluster.Watch(nullptr);
    if (entered_count != live || cluster.MinCommitted() != height + 1) {
      state.SkipWithError("the view change did not commit the next block everywhere");
      break;
    }
    state.SetIterationTime(end - start);
    new_view_ms += (entered_at - start) * 1e3;
    commit_ms += (end - start) * 1e3;
    runs += 1;
    const Tally& after = cluster.tally();
    spent.messages += after.messages - before.messages;
    spent.bytes += after.bytes - before.bytes;
    spent.verifies += after.verifies - before.verifies;
    spent.signs += after.signs - before.signs;
    spent.view_change_bytes += after.view_change_bytes - before.view_change_bytes;
    spent.new_view_messages += after.new_view_messages - before.new_view_messages;
    spent.new_view_bytes += after.new_view_bytes - before.new_view_bytes;
  }
  if (runs == 0) return;
  state.counters["new_view_cpu_ms"] = new_view_ms / runs;
  state.counters["new_view_cpu_ms_replica"] = new_view_ms / runs / static_cast<double>(live);
  state.counters["commit_cpu_ms"] = commit_ms / runs;
  state.counters["msgs"] = static_cast<double>(spent.messages) / runs;
  state.counters["bytes"] = static_cast<double>(spent.bytes) / runs;
  state.counters["verifies"] = static_cast<double>(spent.verifies) / runs;
  state.counters["verifies_replica"] = static_cast<double>(spent.verifies) / runs /
                                       static_cast<double>(live);
  state.counters["signs"] = static_cast<double>(spent.signs) / runs;
  state.counters["vc_bytes"] = static_cast<double>(spent.view_change_bytes) / runs;
  state.counters["nv_msgs"] = static_cast<double>(spent.new_view_messages) / runs;
  state.counters["nv_bytes"] = static_cast<double>(spent.new_view_bytes) / runs;
}
void ViewChangeArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"n", "cache"});
  for (int cache : {0, 1}) {
    for (int n : {4, 7, 10, 16, 31, 49}) b->Args({n, cache});
  }
}
BENCHMARK(BM_ViewChange)
    ->Apply(ViewChangeArgs)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace colend::bench
