// Benchmark of the commit path alone, beside the contract it runs: what a node spends on one
// committed transaction outside consensus and the network.
//
//   BM_CommitPath        node::CommitPipeline (the class colend-node commits with): check
//                        the header's roots, execute (decode, contracts, receipts, receipts
//                        root), apply (state and state root), store (block, receipts, write
//                        set, indexes: one synced LevelDB batch on disk in $TMPDIR)
//   BM_ContractApplyOnly contracts::Apply of the same transactions on the same state, and
//                        nothing else: the contract's own cost
//
// Blocks of 1,000 transactions in colend-bench's default mix: 60 % originations, 35 %
// repayments, 5 % reversals of a repayment; LEAD signs, with real keys, before the clock
// starts. Signatures are not checked in either benchmark: the node verifies each one once, at
// admission or in the proposal check (Executor::SetVerifiedLookup), and the crypto
// benchmark measures that. The state holds COLEND_BENCH_LOANS loans (default 100,000) before
// the first timed block; BM_CommitPath's blocks stay committed, so its state grows.
// Reported per transaction: us_per_tx, and for the commit path each stage's share and
// cpu_us_per_tx, the CPU it takes on all cores (LevelDB compacts on a thread of its own).
//
//   build/release/tests/bench/colend_commit_path_bench
//   COLEND_BENCH_LOANS=1000000 build/release/tests/bench/colend_commit_path_bench
#include <benchmark/benchmark.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "colend/contracts/apply.h"
#include "colend/contracts/tx_decode.h"
#include "colend/contracts/tx_json.h"
#include "colend/crypto/keys.h"
#include "colend/node/block_store.h"
#include "colend/node/commit_pipeline.h"
#include "colend/node/executor.h"
#include "colend/node/kv_store.h"

namespace colend::node {
namespace {

using bench::OrDie;

constexpr char kChain[] = "bench-commit-path";
constexpr char kRef[] = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
constexpr std::size_t kBlockTxs = 1000;
constexpr std::uint64_t kLag = 1;  // the genesis default execution_lag

const crypto::CryptoSuite& Suite() {
  static const crypto::CryptoSuite suite = crypto::CryptoSuite::Standard();
  return suite;
}

// A chain of four banks with a 20/40/20/20 agreement on LevelDB on disk, its executor and
// commit pipeline, grown through the pipeline to the preloaded loans.
class Chain {
 public:
  Chain() : executor_(kChain, Suite()) {
    dir_ = std::filesystem::temp_directory_path() /
           ("colend-commit-path-bench-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    contracts::InitialState initial;
    for (const char* bank : {"LEAD", "PARTNER_A", "PARTNER_B", "PARTNER_C"}) {
      crypto::PrivateKey key = OrDie(crypto::PrivateKey::Generate(Suite()));
      proto::ClientKey client;
      client.set_key_id(ToString(key.public_key().key_id()));
      client.set_public_key(ToString(OrDie(key.public_key().ToDer())));
      initial.members.push_back({bank, bank, {client}, 0});
      keys_.push_back(std::move(key));
    }
    const contracts::WriteSet genesis = OrDie(contracts::BuildInitialState(initial));
    executor_.Load(genesis, 0);
    // As in the node: every signature was verified once, before execution.
    executor_.SetVerifiedLookup([](std::string_view) { return true; });
    store_ = OrDie(BlockStore::Open(OrDie(OpenLevelDb(dir_ / "chain", LevelDbOptions{})),
                                    BlockStoreOptions{Suite().hash(), StoreHistoryPrefixes()}));
    const crypto::Digest genesis_hash = crypto::Hash(Suite().hash(), AsBytes(std::string(kChain)));
    const crypto::Digest no_receipts = ReceiptsRoot(Suite().hash(), {});
    if (!store_->InitGenesis(ByteView(genesis_hash.data(), genesis_hash.size()), genesis,
                             executor_.state_root(), no_receipts, 0)
             .ok()) {
      std::abort();
    }
    pipeline_ = std::make_unique<CommitPipeline>(executor_, *store_, kLag);

    Commit({Signed(0, R"({"type":"ProposeAgreement","signer":"LEAD","id":"ag","agreement_id":"AG-1",
        "currency":"CNY","shares":{"LEAD":2000,"PARTNER_A":4000,"PARTNER_B":2000,"PARTNER_C":2000},
        "service_fee_bp":1500})"),
            Signed(1, R"({"type":"AcceptAgreement","signer":"PARTNER_A","id":"a","agreement_id":"AG-1"})"),
            Signed(2, R"({"type":"AcceptAgreement","signer":"PARTNER_B","id":"a","agreement_id":"AG-1"})"),
            Signed(3, R"({"type":"AcceptAgreement","signer":"PARTNER_C","id":"a","agreement_id":"AG-1"})")});
    const char* env = std::getenv("COLEND_BENCH_LOANS");
    const std::uint64_t loans = env != nullptr ? std::strtoull(env, nullptr, 10) : 100'000;
    while (loans_ < loans) Commit(NextBlock(/*originations_only=*/true));
    std::cerr << "commit-path bench: " << loans_ << " loans in state, height " << height_
              << ", data in " << dir_ << "\n";
  }
  ~Chain() {
    pipeline_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string Signed(std::size_t bank, const std::string& json) {
    proto::TransactionBody body = OrDie(contracts::TransactionBodyFromJson(json));
    body.set_chain_id(kChain);
    return ToString(OrDie(contracts::SignTransaction(body, keys_[bank])));
  }

  // The next block's transactions in the mix (file comment), signed by LEAD.
  std::vector<std::string> NextBlock(bool originations_only = false) {
    std::vector<std::string> txs;
    txs.reserve(kBlockTxs);
    for (std::size_t i = 0; i < kBlockTxs; ++i) {
      const std::uint64_t n = serial_++;
      const int r = static_cast<int>((n * 7919) % 100);
      if (originations_only || loans_ == 0 || r >= 40) {
        const std::string loan = "L-" + std::to_string(loans_++);
        txs.push_back(Signed(0, R"({"type":"OriginateLoan","signer":"LEAD","id":")" + loan +
                                    R"(","agreement_id":"AG-1","loan_id":")" + loan +
                                    R"(","borrower_ref":")" + kRef +
                                    R"(","principal":"80000000","annual_rate_bp":1800,)"
                                    R"("term_months":12,"value_date":"2026-11-21"})"));
      } else if (r >= 5 || repayments_.empty()) {
        const std::string id = "R-" + std::to_string(n);
        txs.push_back(Signed(0, R"({"type":"RecordRepayment","signer":"LEAD","id":")" + id +
                                    R"(","loan_id":"L-)" + std::to_string(n % loans_) +
                                    R"(","principal":"100","interest":"12","penalty":"0",)"
                                    R"("value_date":"2026-12-21"})"));
        repayments_.push_back(id);
      } else {
        txs.push_back(Signed(0, R"({"type":"Reverse","signer":"LEAD","id":"V-)" +
                                    std::to_string(n) + R"(","target_id":")" +
                                    repayments_.back() + R"(","reason":"bench reversal"})"));
        repayments_.pop_back();
      }
    }
    return txs;
  }

  // The block at the next height carrying `txs`, with the roots the check expects.
  std::pair<proto::Block, proto::CommitCertificate> MakeBlock(const std::vector<std::string>& txs) {
    const std::uint64_t h = height_ + 1;
    const BlockMeta roots = OrDie(store_->GetMeta(h > kLag ? h - kLag : 0));
    proto::BlockHeader header;
    header.set_chain_id(kChain);
    header.set_height(h);
    header.set_timestamp_ms(1'800'000'000'000 + h);
    header.set_tx_count(static_cast<std::uint32_t>(txs.size()));
    header.set_state_root(ToString(ByteView(roots.state_root.data(), roots.state_root.size())));
    header.set_receipts_root(
        ToString(ByteView(roots.receipts_root.data(), roots.receipts_root.size())));
    proto::Block block;
    header.SerializeToString(block.mutable_header());
    for (const std::string& tx : txs) block.add_transactions(tx);
    proto::CommitCertificate certificate;
    certificate.set_height(h);
    const crypto::Digest hash = crypto::Hash(Suite().hash(), AsBytes(block.header()));
    certificate.set_block_hash(ToString(ByteView(hash.data(), hash.size())));
    return {std::move(block), std::move(certificate)};
  }

  CommittedBlock Commit(const std::vector<std::string>& txs) {
    auto [block, certificate] = MakeBlock(txs);
    return Commit(std::move(block), std::move(certificate));
  }

  CommittedBlock Commit(proto::Block block, proto::CommitCertificate certificate) {
    CommittedBlock done =
        OrDie(pipeline_->Commit(height_ + 1, std::move(block), std::move(certificate)));
    for (const proto::Receipt& receipt : done.stored.receipts) {
      if (receipt.status() != proto::RECEIPT_STATUS_OK) {
        std::cerr << "bench transaction rejected: " << receipt.code() << " " << receipt.message()
                  << "\n";
        std::abort();
      }
    }
    ++height_;
    return done;
  }

  // What NextBlock draws from: saved and restored around a block that is not committed.
  struct Generator {
    std::uint64_t loans = 0;
    std::uint64_t serial = 0;
    std::vector<std::string> repayments;
  };
  Generator generator() const { return {loans_, serial_, repayments_}; }
  void set_generator(Generator g) {
    loans_ = g.loans;
    serial_ = g.serial;
    repayments_ = std::move(g.repayments);
  }

  Executor& executor() { return executor_; }
  std::uint64_t height() const { return height_; }
  std::uint64_t loans() const { return loans_; }

 private:
  std::filesystem::path dir_;
  std::vector<crypto::PrivateKey> keys_;
  Executor executor_;
  std::unique_ptr<BlockStore> store_;
  std::unique_ptr<CommitPipeline> pipeline_;
  std::uint64_t height_ = 0;
  std::uint64_t loans_ = 0;
  std::uint64_t serial_ = 0;
  std::vector<std::string> repayments_;
};

Chain& SharedChain() {
  // Destroyed at exit, which removes its data directory.
  static Chain chain;
  return chain;
}

double Us(std::chrono::nanoseconds ns) {
  return std::chrono::duration<double, std::micro>(ns).count();
}

// CPU time of `clock` (CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID) in microseconds.
double CpuUs(clockid_t clock) {
  timespec ts{};
  ::clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

void BM_CommitPath(benchmark::State& bench) {
  Chain& chain = SharedChain();
  double check = 0, execute = 0, apply = 0, store = 0;
  std::int64_t txs = 0, state_writes = 0, event_entries = 0;
  // The process's CPU time less this thread's while it signs and builds the next block: what
  // committing costs on every core, LevelDB's background compaction included.
  const double cpu_start = CpuUs(CLOCK_PROCESS_CPUTIME_ID);
  double cpu_outside = 0;
  for (auto _ : bench) {
    bench.PauseTiming();
    const double paused_at = CpuUs(CLOCK_THREAD_CPUTIME_ID);
    auto [block, certificate] = chain.MakeBlock(chain.NextBlock());
    const auto size = block.transactions_size();
    cpu_outside += CpuUs(CLOCK_THREAD_CPUTIME_ID) - paused_at;
    bench.ResumeTiming();
    const CommittedBlock done = chain.Commit(std::move(block), std::move(certificate));
    check += Us(done.took.check);
    execute += Us(done.took.execute);
    apply += Us(done.took.apply);
    store += Us(done.took.store);
    txs += size;
    state_writes += static_cast<std::int64_t>(done.stored.state_writes.size());
    for (const auto& parties : done.stored.tx_parties) {
      event_entries += static_cast<std::int64_t>(parties.size());
    }
  }
  const double n = static_cast<double>(txs);
  bench.counters["cpu_us_per_tx"] =
      (CpuUs(CLOCK_PROCESS_CPUTIME_ID) - cpu_start - cpu_outside) / n;
  bench.SetItemsProcessed(txs);
  bench.counters["us_per_tx"] =
      benchmark::Counter(n, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  bench.counters["check_us_per_tx"] = check / n;
  bench.counters["execute_us_per_tx"] = execute / n;
  bench.counters["apply_us_per_tx"] = apply / n;
  bench.counters["store_us_per_tx"] = store / n;
  bench.counters["loans_in_state"] = static_cast<double>(chain.loans());
  // What the store writes besides the block: state keys (each with a history entry when
  // under a history prefix) and event-index entries, per transaction.
  bench.counters["state_writes_per_tx"] = static_cast<double>(state_writes) / n;
  bench.counters["event_entries_per_tx"] = static_cast<double>(event_entries) / n;
}
BENCHMARK(BM_CommitPath)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3);

// The same mix through contracts::Apply alone on the same state (decoded outside the
// clock, nothing stored, the block's writes dropped): the cost BM_CommitPath is held to.
void BM_ContractApplyOnly(benchmark::State& bench) {
  Chain& chain = SharedChain();
  std::int64_t txs = 0;
  for (auto _ : bench) {
    bench.PauseTiming();
    Chain::Generator before = chain.generator();
    const std::vector<std::string> block = chain.NextBlock();
    chain.set_generator(std::move(before));  // nothing of this block is committed
    std::vector<contracts::DecodedTransaction> decoded;
    decoded.reserve(block.size());
    for (const std::string& tx : block) {
      decoded.push_back(OrDie(contracts::DecodeTransaction(AsBytes(tx), Suite())));
    }
    contracts::StateView view(&chain.executor().state());
    contracts::BlockContext ctx{kChain, Suite(), chain.height() + 1, 1'800'000'000'000};
    bench.ResumeTiming();
    for (std::size_t i = 0; i < decoded.size(); ++i) {
      contracts::ExecutableTx tx{&decoded[i].body, decoded[i].tx_hash,
                                 contracts::Authentication::kVerifiedKey,
                                 AsBytes(decoded[i].envelope.key_id()),
                                 static_cast<std::uint32_t>(i)};
      const proto::Receipt receipt = OrDie(contracts::Apply(tx, view, ctx));
      if (receipt.status() != proto::RECEIPT_STATUS_OK) {
        bench.SkipWithError(("rejected: " + receipt.code() + " " + receipt.message()).c_str());
        return;
      }
    }
    contracts::WriteSet writes = view.TakeWrites();
    bench.PauseTiming();
    writes.clear();
    bench.ResumeTiming();
    txs += static_cast<std::int64_t>(block.size());
  }
  bench.SetItemsProcessed(txs);
  bench.counters["us_per_tx"] = benchmark::Counter(
      static_cast<double>(txs), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_ContractApplyOnly)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3);

}  // namespace
}  // namespace colend::node
