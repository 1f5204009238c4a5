// Benchmark of BlockStore::Commit on LevelDB as the chain grows: is the cost of storing a
// block (its certified bytes, receipts, tx-hash indexes, the state writes, one synced
// batch) flat in the length of the chain? Blocks of 2,000
// transactions with realistic sizes (350-byte transactions, 2 state writes each) are
// committed to one store in $TMPDIR; each benchmark argument first grows the chain to that
// many transactions (untimed) and then times 20 blocks. lookups_ms is the cost of 2,000
// FindTx of absent hashes (outside the timed Commit, which reads nothing).
//
//   build/release/tests/bench/colend_storage_bench
#include <benchmark/benchmark.h>
#include <unistd.h>

#include "bench_util.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "colend/crypto/hash.h"
#include "colend/node/block_store.h"
#include "colend/node/kv_store.h"

namespace colend::node {
namespace {

using bench::OrDie;

constexpr crypto::HashAlgorithm kHash = crypto::HashAlgorithm::kSha256;
constexpr std::uint32_t kTxPerBlock = 2000;

std::string RandomBytes(std::mt19937_64& rng, std::size_t n) {
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

struct Chain {
  std::filesystem::path dir;
  std::shared_ptr<KvStore> kv;  // shared with the store, for the look-up timing
  std::unique_ptr<BlockStore> store;
  std::uint64_t height = 0;
  std::mt19937_64 rng{7};

  Chain() {
    dir = std::filesystem::temp_directory_path() /
          ("colend-storage-bench-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    BlockStoreOptions options;
    options.hash = kHash;
    options.history_prefixes = {"position/"};
    kv = OrDie(OpenLevelDb(dir, LevelDbOptions{}));
    store = OrDie(BlockStore::Open(ShareKvStore(kv), options));
    const crypto::Digest genesis = crypto::Hash(kHash, AsBytes(std::string("bench genesis")));
    if (!store->InitGenesis(ByteView(genesis.data(), genesis.size()), {}, {}, {}, 0).ok())
      std::abort();
  }
  ~Chain() {
    store.reset();
    kv.reset();
    std::filesystem::remove_all(dir);
  }

  StoredBlock NextBlock() {
    StoredBlock b;
    b.height = ++height;
    proto::BlockHeader header;
    header.set_chain_id("bench");
    header.set_height(b.height);
    header.set_tx_count(kTxPerBlock);
    b.block.set_header(header.SerializeAsString());
    const crypto::Digest block_hash = crypto::Hash(kHash, AsBytes(b.block.header()));
    b.block_hash = Bytes(block_hash.begin(), block_hash.end());
    for (std::uint32_t i = 0; i < kTxPerBlock; ++i) {
      const std::string tx = RandomBytes(rng, 350);
      b.block.add_transactions(tx);
      const crypto::Digest h = crypto::Hash(kHash, AsBytes(tx));
      b.tx_hashes.emplace_back(h.begin(), h.end());
      proto::Receipt receipt;
      receipt.set_tx_hash(std::string(h.begin(), h.end()));
      receipt.set_status(proto::RECEIPT_STATUS_OK);
      b.receipts.push_back(std::move(receipt));
      const std::uint64_t serial = (b.height - 1) * kTxPerBlock + i;
      b.state_writes.emplace("tx/LEAD/T-" + std::to_string(serial), RandomBytes(rng, 150));
      b.state_writes.emplace("loan/L-" + std::to_string(rng() % (serial + 1)),
                             RandomBytes(rng, 400));
    }
    b.state_writes.emplace("position/LEAD/PARTNER_A/CNY", RandomBytes(rng, 200));
    b.certificate.set_height(b.height);
    b.certificate.set_block_hash(std::string(b.block_hash.begin(), b.block_hash.end()));
    return b;
  }
};

void BM_BlockStoreCommitByChainLength(benchmark::State& bench) {
  static Chain chain;
  const auto target = static_cast<std::uint64_t>(bench.range(0));
  while (chain.height * kTxPerBlock < target) {
    if (!chain.store->Commit(chain.NextBlock()).ok()) std::abort();
  }
  double lookup_seconds = 0;
  for (auto _ : bench) {
    StoredBlock block = chain.NextBlock();
    // What a getTransactionReceipt of an unknown hash costs (FindTx: a seek into the
    // tx-hash index, storage_keys.h); Commit itself no longer reads the index.
    const auto lookups = std::chrono::steady_clock::now();
    for (const Bytes& hash : block.tx_hashes) {
      Bytes other = hash;
      other.back() = static_cast<std::uint8_t>(other.back() ^ 0x5a);  // not this block's own
      benchmark::DoNotOptimize(chain.store->FindTx(other));
    }
    const auto start = std::chrono::steady_clock::now();
    lookup_seconds += std::chrono::duration<double>(start - lookups).count();
    const Status s = chain.store->Commit(block);
    bench.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    if (!s.ok()) {
      bench.SkipWithError(s.ToString().c_str());
      return;
    }
  }
  bench.counters["txs_on_chain"] = static_cast<double>(chain.height * kTxPerBlock);
  bench.counters["lookups_ms"] = 1e3 * lookup_seconds / static_cast<double>(bench.iterations());
}
BENCHMARK(BM_BlockStoreCommitByChainLength)
    ->Arg(0)
    ->Arg(300'000)
    ->Arg(1'000'000)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(20);

}  // namespace
}  // namespace colend::node
