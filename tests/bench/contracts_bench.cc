// Benchmarks of the settlement contract: Apply() for OriginateLoan and RecordRepayment on
// an in-memory state that already holds COLEND_BENCH_LOANS loans (default 1,000,000), and
// the cost of committing a block's write set and computing the state root, at 1,000,000
// loans and (BM_CommitAndRootByStateSize) at 10k to 3M loans, to show how it grows with the
// state. Signature checks are excluded (the node verifies signatures before execution, on
// its verifier pool). Memory per loan is reported once, after the state is built.
//
//   build/release/tests/bench/colend_contracts_bench --benchmark_min_time=2
//   build/release/tests/bench/colend_contracts_bench --benchmark_filter=ByStateSize
#include <benchmark/benchmark.h>
#include <dlfcn.h>

#include "bench_util.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "colend/contracts/apply.h"
#include "colend/contracts/memory_state.h"
#include "colend/contracts/replay.h"
#include "colend/contracts/tx_json.h"
#include "colend/crypto/hash.h"

namespace colend::contracts {
namespace {

constexpr char kChain[] = "bench-chain";
constexpr char kRef[] = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

using bench::OrDie;

std::size_t ResidentBytes() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<std::size_t>(resident) * 4096;
}

proto::TransactionBody Originate(const std::string& id, std::int64_t principal) {
  proto::TransactionBody body;
  body.set_chain_id(kChain);
  body.set_signer("LEAD");
  body.set_id(id);
  auto* o = body.mutable_originate_loan();
  o->set_agreement_id("AG-1");
  o->set_loan_id(id);
  o->set_borrower_ref(kRef);
  o->set_principal(principal);
  o->set_annual_rate_bp(1800);
  o->set_term_months(12);
  o->set_value_date("2026-11-21");
  return body;
}

proto::TransactionBody Repay(const std::string& id, const std::string& loan) {
  proto::TransactionBody body;
  body.set_chain_id(kChain);
  body.set_signer("LEAD");
  body.set_id(id);
  auto* r = body.mutable_record_repayment();
  r->set_loan_id(loan);
  r->set_principal(1);
  r->set_interest(12000);
  r->set_value_date("2026-12-21");
  return body;
}

// A chain with LEAD and three partners, one 20/40/20/20 FRONTED agreement, and `loans`
// loans of about 8,000.00 each, built through Apply like any other chain.
struct World {
  MemoryState state{crypto::HashAlgorithm::kSha256};
  std::uint64_t height = 0;
  std::uint64_t loans = 0;
  double bytes_per_loan = 0;
  double payload_per_loan = 0;

  explicit World(std::uint64_t n) {
    InitialState initial;
    for (const char* bank : {"LEAD", "PARTNER_A", "PARTNER_B", "PARTNER_C"}) {
      initial.members.push_back({bank, bank, {}, 0});
    }
    state.Commit(OrDie(BuildInitialState(initial)));
    ApplyBlock({Json(R"({"type":"ProposeAgreement","signer":"LEAD","id":"ag","agreement_id":"AG-1",
        "currency":"CNY","shares":{"LEAD":2000,"PARTNER_A":4000,"PARTNER_B":2000,"PARTNER_C":2000},
        "service_fee_bp":1500})"),
                Json(R"({"type":"AcceptAgreement","signer":"PARTNER_A","id":"a","agreement_id":"AG-1"})"),
                Json(R"({"type":"AcceptAgreement","signer":"PARTNER_B","id":"a","agreement_id":"AG-1"})"),
                Json(R"({"type":"AcceptAgreement","signer":"PARTNER_C","id":"a","agreement_id":"AG-1"})")});
    state.Root();
    const std::size_t rss_before = ResidentBytes();
    const std::size_t payload_before = state.payload_bytes();
    std::mt19937_64 rng(1);
    std::vector<proto::TransactionBody> block;
    for (std::uint64_t i = 0; i < n; ++i) {
      block.push_back(Originate("L-" + std::to_string(i), 500'000 + static_cast<std::int64_t>(rng() % 600'000)));
      if (block.size() == 10'000 || i + 1 == n) {
        ApplyBlock(block);
        block.clear();
      }
    }
    state.Root();
    loans = n;
    if (n > 0) {
      bytes_per_loan = static_cast<double>(ResidentBytes() - rss_before) / static_cast<double>(n);
      payload_per_loan = static_cast<double>(state.payload_bytes() - payload_before) / static_cast<double>(n);
    }
  }

  static proto::TransactionBody Json(const char* text) {
    proto::TransactionBody body = OrDie(TransactionBodyFromJson(text));
    body.set_chain_id(kChain);
    return body;
  }

  void ApplyBlock(const std::vector<proto::TransactionBody>& bodies) {
    StateView block(&state);
    BlockContext ctx{kChain, crypto::CryptoSuite::Standard(), ++height, 0};
    for (std::size_t i = 0; i < bodies.size(); ++i) {
      const crypto::Digest hash = crypto::Hash(crypto::HashAlgorithm::kSha256, AsBytes(ReplayBodyBytes(bodies[i])));
      ExecutableTx tx{&bodies[i], hash, Authentication::kUnsignedReplay, {}, static_cast<std::uint32_t>(i)};
      proto::Receipt receipt = OrDie(Apply(tx, block, ctx));
      if (receipt.status() != proto::RECEIPT_STATUS_OK) {
        std::cerr << "setup tx rejected: " << receipt.code() << " " << receipt.message() << "\n";
        std::abort();
      }
    }
    state.Commit(block.TakeWrites());
  }
};

World& SharedWorld() {
  static World* world = [] {
    const char* env = std::getenv("COLEND_BENCH_LOANS");
    const std::uint64_t n = env != nullptr ? std::strtoull(env, nullptr, 10) : 1'000'000;
    auto* w = new World(n);
    // jemalloc, when it replaced malloc (linked or LD_PRELOADed), exports its own API.
    const bool jemalloc = dlsym(RTLD_DEFAULT, "malloc_stats_print") != nullptr;
    std::cerr << "allocator: " << (jemalloc ? "jemalloc" : "libc malloc") << "\n";
    std::cerr << "state: " << w->loans << " loans, " << w->state.size() << " keys; resident "
              << static_cast<long>(w->bytes_per_loan) << " B/loan (payload "
              << static_cast<long>(w->payload_per_loan) << " B/loan)\n";
    return w;
  }();
  return *world;
}

// Applies `block_size` transactions per block into one overlay on the shared state and
// takes its write set (not committed, so every iteration sees the same 1,000,000-loan
// state). Hashing the body (the
// transaction hash) is outside the timed region: the node computes it at admission.
template <typename MakeTx>
void RunApply(benchmark::State& bench, MakeTx make_tx) {
  World& world = SharedWorld();
  const std::size_t block_size = static_cast<std::size_t>(bench.range(0));
  std::vector<proto::TransactionBody> bodies;
  std::vector<crypto::Digest> hashes;
  std::uint64_t serial = 0;
  std::int64_t applied = 0;
  for (auto _ : bench) {
    bench.PauseTiming();
    bodies.clear();
    hashes.clear();
    for (std::size_t i = 0; i < block_size; ++i) {
      bodies.push_back(make_tx(serial++, world));
      hashes.push_back(crypto::Hash(crypto::HashAlgorithm::kSha256, AsBytes(ReplayBodyBytes(bodies.back()))));
    }
    StateView block(&world.state);
    BlockContext ctx{kChain, crypto::CryptoSuite::Standard(), world.height + 1, 0};
    bench.ResumeTiming();
    for (std::size_t i = 0; i < block_size; ++i) {
      ExecutableTx tx{&bodies[i], hashes[i], Authentication::kUnsignedReplay, {}, static_cast<std::uint32_t>(i)};
      proto::Receipt receipt = OrDie(Apply(tx, block, ctx));
      if (receipt.status() != proto::RECEIPT_STATUS_OK) {
        bench.SkipWithError(("rejected: " + receipt.code() + " " + receipt.message()).c_str());
        return;
      }
    }
    applied += static_cast<std::int64_t>(block_size);
    // Taking the block's write set (as the executor does) is timed: it is where records
    // kept decoded for the block are serialised. Freeing it is not.
    WriteSet writes = block.TakeWrites();
    bench.PauseTiming();
    writes.clear();
    bench.ResumeTiming();
  }
  bench.SetItemsProcessed(applied);
  bench.counters["tx_per_s"] = benchmark::Counter(static_cast<double>(applied), benchmark::Counter::kIsRate);
  bench.counters["loans_in_state"] = static_cast<double>(world.loans);
  bench.counters["bytes_per_loan"] = world.bytes_per_loan;
  bench.counters["payload_per_loan"] = world.payload_per_loan;
}

void BM_ApplyOriginateLoan(benchmark::State& bench) {
  RunApply(bench, [](std::uint64_t serial, World&) {
    return Originate("N-" + std::to_string(serial), 800'000);
  });
}
BENCHMARK(BM_ApplyOriginateLoan)->Arg(1000)->Unit(benchmark::kMillisecond);

void BM_ApplyRecordRepayment(benchmark::State& bench) {
  std::mt19937_64 rng(2);
  RunApply(bench, [&rng](std::uint64_t serial, World& world) {
    return Repay("R-" + std::to_string(serial), "L-" + std::to_string(rng() % world.loans));
  });
}
BENCHMARK(BM_ApplyRecordRepayment)->Arg(1000)->Unit(benchmark::kMillisecond);

// Committing one block's write set of 1,000 repayments to the 1,000,000-loan state and
// computing the new state root.
void BM_CommitBlockAndStateRoot(benchmark::State& bench) {
  World& world = SharedWorld();
  std::mt19937_64 rng(3);
  std::uint64_t serial = 0;
  for (auto _ : bench) {
    bench.PauseTiming();
    std::vector<proto::TransactionBody> bodies;
    for (int i = 0; i < 1000; ++i) {
      bodies.push_back(Repay("C-" + std::to_string(serial++), "L-" + std::to_string(rng() % world.loans)));
    }
    StateView block(&world.state);
    BlockContext ctx{kChain, crypto::CryptoSuite::Standard(), ++world.height, 0};
    for (std::size_t i = 0; i < bodies.size(); ++i) {
      const crypto::Digest hash = crypto::Hash(crypto::HashAlgorithm::kSha256, AsBytes(ReplayBodyBytes(bodies[i])));
      ExecutableTx tx{&bodies[i], hash, Authentication::kUnsignedReplay, {}, static_cast<std::uint32_t>(i)};
      (void)OrDie(Apply(tx, block, ctx));
    }
    bench.ResumeTiming();
    world.state.Commit(block.TakeWrites());
    benchmark::DoNotOptimize(world.state.Root());
  }
}
BENCHMARK(BM_CommitBlockAndStateRoot)->Unit(benchmark::kMillisecond)->Iterations(20);

// How the per-block cost of committing a write set and computing the state root grows with
// the state: one block of 1,000 mixed transactions (300 originations, 700 repayments of
// random existing loans; each also records its (signer, id), so every transaction adds a
// key for good, as on a real chain) on states of 10k to 3M loans. Executing the block is
// not timed; MemoryState::Commit and Root() are, and are also reported apart (commit_ms,
// root_ms). Each size builds its own state (the previous one is freed first), so the
// larger ones take a while: --benchmark_filter=ByStateSize/10000 picks one.
World* SizedWorld(std::uint64_t loans) {
  static std::unique_ptr<World> world;
  if (world == nullptr || world->loans != loans) {
    world.reset();
    world = std::make_unique<World>(loans);
    std::cerr << "state: " << world->loans << " loans, " << world->state.size()
              << " keys; resident " << static_cast<long>(world->bytes_per_loan)
              << " B/loan (payload " << static_cast<long>(world->payload_per_loan)
              << " B/loan); state root tree "
              << world->state.commitment_bytes() / world->state.size() << " B/key\n";
  }
  return world.get();
}

void BM_CommitAndRootByStateSize(benchmark::State& bench) {
  World& world = *SizedWorld(static_cast<std::uint64_t>(bench.range(0)));
  std::mt19937_64 rng(4);
  std::uint64_t serial = 0;
  std::uint64_t originated = world.loans;
  double commit_seconds = 0;
  double root_seconds = 0;
  std::size_t writes_per_block = 0;
  for (auto _ : bench) {
    std::vector<proto::TransactionBody> bodies;
    for (int i = 0; i < 1000; ++i) {
      if (i % 10 < 3) {
        bodies.push_back(Originate("L-" + std::to_string(originated++), 800'000));
      } else {
        bodies.push_back(
            Repay("S-" + std::to_string(serial++), "L-" + std::to_string(rng() % world.loans)));
      }
    }
    StateView block(&world.state);
    BlockContext ctx{kChain, crypto::CryptoSuite::Standard(), ++world.height, 0};
    for (std::size_t i = 0; i < bodies.size(); ++i) {
      const crypto::Digest hash =
          crypto::Hash(crypto::HashAlgorithm::kSha256, AsBytes(ReplayBodyBytes(bodies[i])));
      ExecutableTx tx{
          &bodies[i], hash, Authentication::kUnsignedReplay, {}, static_cast<std::uint32_t>(i)};
      (void)OrDie(Apply(tx, block, ctx));
    }
    WriteSet writes = block.TakeWrites();
    writes_per_block = writes.size();
    const auto start = std::chrono::steady_clock::now();
    world.state.Commit(writes);
    const auto committed = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(world.state.Root());
    const auto rooted = std::chrono::steady_clock::now();
    commit_seconds += std::chrono::duration<double>(committed - start).count();
    root_seconds += std::chrono::duration<double>(rooted - committed).count();
    bench.SetIterationTime(std::chrono::duration<double>(rooted - start).count());
  }
  const double n = static_cast<double>(bench.iterations());
  bench.counters["commit_ms"] = 1e3 * commit_seconds / n;
  bench.counters["root_ms"] = 1e3 * root_seconds / n;
  bench.counters["writes"] = static_cast<double>(writes_per_block);
  bench.counters["keys"] = static_cast<double>(world.state.size());
  bench.counters["bytes_per_loan"] = world.bytes_per_loan;
  bench.counters["root_tree_bytes_per_key"] =
      static_cast<double>(world.state.commitment_bytes()) / static_cast<double>(world.state.size());
}
BENCHMARK(BM_CommitAndRootByStateSize)
    ->Arg(10'000)
    ->Arg(300'000)
    ->Arg(1'000'000)
    ->Arg(3'000'000)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(30);

}  // namespace
}  // namespace colend::contracts
