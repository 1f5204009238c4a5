// TxPool admission throughput: one transaction at a time (JSON-RPC path, signature verified
// on the caller), gossip batches on the parallel verifier, the idempotent already-pending
// path, and a bare signature verification as the floor to compare against; and the pool's
// side of a commit (RemoveCommitted), with and without what execution decoded.
// Built from tests/unit/node/txpool/CMakeLists.txt (target colend_txpool_bench).
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bench_util.h"
#include "colend/common/bytes.h"
#include "colend/contracts/tx_decode.h"
#include "colend/crypto/keys.h"
#include "colend/crypto/signature.h"
#include "colend/node/txpool.h"
#include "colend/proto/tx.pb.h"

namespace colend::bench {
namespace {

constexpr char kChain[] = "colend-bench-1";
constexpr std::size_t kPrepared = 4096;

class OneMemberDirectory final : public node::KeyDirectory {
 public:
  explicit OneMemberDirectory(crypto::PublicKey key) : key_(std::move(key)) {}
  Result<crypto::PublicKey> ActiveKey(std::string_view signer, ByteView) const override {
    if (signer != "LEAD") return Status::NotFound("no such member");
    return key_;
  }
  bool IsActiveMember(std::string_view signer) const override { return signer == "LEAD"; }
  bool IdCommitted(std::string_view, std::string_view) const override { return false; }

 private:
  crypto::PublicKey key_;
};

// Signed RecordRepayment transactions with distinct ids, made once for all benchmarks.
struct Fixture {
  crypto::PrivateKey key = OrDie(crypto::PrivateKey::Generate(crypto::CryptoSuite::Standard()));
  std::vector<std::string> txs;

  Fixture() {
    txs.reserve(kPrepared);
    for (std::size_t i = 0; i < kPrepared; ++i) {
      proto::TransactionBody body;
      body.set_chain_id(kChain);
      body.set_signer("LEAD");
      body.set_id("R-" + std::to_string(i));
      proto::RecordRepayment* repayment = body.mutable_record_repayment();
      repayment->set_loan_id("L-1");
      repayment->set_principal(100000);
      repayment->set_interest(1500);
      repayment->set_value_date("2026-12-01");
      txs.push_back(ToString(OrDie(contracts::SignTransaction(body, key))));
    }
  }
};

const Fixture& Shared() {
  static const Fixture* fixture = new Fixture();
  return *fixture;
}

std::unique_ptr<node::TxPool> NewPool(std::size_t verifier_threads) {
  node::PoolOptions options;
  options.chain_id = kChain;
  options.max_txs = kPrepared * 2;
  options.max_bytes = 64 << 20;
  options.verifier_threads = verifier_threads;
  return OrDie(node::TxPool::Create(
      options, std::make_shared<OneMemberDirectory>(Shared().key.public_key())));
}

// Admit: decode, checks, one signature verification and insertion per transaction.
void BM_Admit(benchmark::State& state) {
  const Fixture& fixture = Shared();
  std::unique_ptr<node::TxPool> pool = NewPool(0);
  std::size_t i = 0;
  for (auto _ : state) {
    if (i == kPrepared) {
      state.PauseTiming();
      pool = NewPool(0);
      i = 0;
      state.ResumeTiming();
    }
    node::AdmitResult result = pool->Admit(fixture.txs[i++]);
    if (result.status != node::AdmitStatus::kAdmitted) state.SkipWithError(result.message.c_str());
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Admit);

// AdmitBatch of 256 on a verifier with `range(0)` worker threads besides the caller.
void BM_AdmitBatch(benchmark::State& state) {
  const Fixture& fixture = Shared();
  constexpr std::size_t kBatch = 256;
  const auto threads = static_cast<std::size_t>(state.range(0));
  std::unique_ptr<node::TxPool> pool = NewPool(threads);
  std::size_t next = 0;
  for (auto _ : state) {
    state.PauseTiming();
    if (next + kBatch > kPrepared) {
      pool = NewPool(threads);
      next = 0;
    }
    std::vector<std::string> batch(
        fixture.txs.begin() + static_cast<std::ptrdiff_t>(next),
        fixture.txs.begin() + static_cast<std::ptrdiff_t>(next + kBatch));
    next += kBatch;
    state.ResumeTiming();
    std::vector<node::AdmitResult> results = pool->AdmitBatch(std::move(batch));
    benchmark::DoNotOptimize(results);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kBatch));
}
BENCHMARK(BM_AdmitBatch)->Arg(0)->Arg(1)->UseRealTime();

// A transaction already pending: decode and a look-up, no signature verification.
void BM_AdmitAlreadyPending(benchmark::State& state) {
  const Fixture& fixture = Shared();
  std::unique_ptr<node::TxPool> pool = NewPool(0);
  (void)pool->Admit(fixture.txs[0]);
  for (auto _ : state) {
    node::AdmitResult result = pool->Admit(fixture.txs[0]);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AdmitAlreadyPending);

// RemoveCommitted of a 1,000-transaction block: range(0) = 0 hands over the bytes alone
// (the pool hashes and parses each again), 1 what execution decoded (tx hash, signer, id).
// Against a pool that holds none of them, so only the matching is timed: the erasures of
// transactions that were pending cost the same either way.
void BM_RemoveCommitted(benchmark::State& state) {
  const Fixture& fixture = Shared();
  constexpr std::size_t kBlock = 1000;
  const bool decoded = state.range(0) == 1;
  std::vector<contracts::DecodedTransaction> decodings;
  std::vector<node::TxPool::CommittedTx> block;
  decodings.reserve(kBlock);
  for (std::size_t i = 0; i < kBlock; ++i) {
    const std::string& tx = fixture.txs[i];
    if (!decoded) {
      block.push_back({tx, {}, "", ""});
      continue;
    }
    decodings.push_back(
        OrDie(contracts::DecodeTransaction(AsBytes(tx), crypto::CryptoSuite::Standard())));
    const contracts::DecodedTransaction& d = decodings.back();
    block.push_back({tx, d.tx_hash, d.body.signer(), d.body.id()});
  }
  std::unique_ptr<node::TxPool> pool = NewPool(0);
  for (auto _ : state) pool->RemoveCommitted(block);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kBlock));
}
BENCHMARK(BM_RemoveCommitted)->Arg(0)->Arg(1);

// The floor: one bare crypto::Verify of the same signed bytes.
void BM_VerifyOnly(benchmark::State& state) {
  const Fixture& fixture = Shared();
  proto::SignedTransaction envelope;
  envelope.ParseFromString(fixture.txs[0]);
  for (auto _ : state) {
    Status status = crypto::Verify(fixture.key.public_key(), contracts::kTransactionSignatureDomain,
                                   AsBytes(envelope.body()), AsBytes(envelope.signature()));
    benchmark::DoNotOptimize(status);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VerifyOnly);

}  // namespace
}  // namespace colend::bench
