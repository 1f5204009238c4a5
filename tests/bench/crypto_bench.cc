// Micro-benchmarks for colend::crypto. Compare sign/verify figures with
// `openssl speed -seconds 3 ecdsap256 sm2` on the same machine: verification here includes
// hashing the message, the strict-DER and low-S checks and (for SM2) the Z-value pre-hash.
#include <benchmark/benchmark.h>

#include "bench_util.h"

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "colend/common/bytes.h"
#include "colend/crypto/batch_verifier.h"
#include "colend/crypto/hash.h"
#include "colend/crypto/keys.h"
#include "colend/crypto/merkle.h"
#include "colend/crypto/signature.h"
#include "colend/crypto/suite.h"

namespace colend::crypto {
namespace {

constexpr std::string_view kDomain = "colend/tx/v1";

using bench::OrDie;

CryptoSuite SuiteArg(const benchmark::State& state) {
  return state.range(0) == 0 ? CryptoSuite::Standard() : CryptoSuite::Sm();
}

// A transaction-sized message (a repayment with its allocation fits in about 200 bytes).
Bytes Message() {
  return Bytes(200, 0x5a);
}

void BM_Hash(benchmark::State& state) {
  const HashAlgorithm algorithm =
      state.range(0) == 0 ? HashAlgorithm::kSha256 : HashAlgorithm::kSm3;
  const Bytes data(static_cast<std::size_t>(state.range(1)), 0xa5);
  for (auto _ : state) benchmark::DoNotOptimize(Hash(algorithm, data));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(1));
  state.SetLabel(std::string(HashAlgorithmName(algorithm)));
}
BENCHMARK(BM_Hash)->ArgsProduct({{0, 1}, {64, 1024, 64 * 1024}});

void BM_Sign(benchmark::State& state) {
  const CryptoSuite suite = SuiteArg(state);
  const PrivateKey key = OrDie(PrivateKey::Generate(suite));
  const Bytes message = Message();
  for (auto _ : state) benchmark::DoNotOptimize(OrDie(Sign(key, kDomain, message)));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetLabel(std::string(suite.name()));
}
BENCHMARK(BM_Sign)->Arg(0)->Arg(1);

void BM_Verify(benchmark::State& state) {
  const CryptoSuite suite = SuiteArg(state);
  const PrivateKey key = OrDie(PrivateKey::Generate(suite));
  const Bytes message = Message();
  const Bytes signature = OrDie(Sign(key, kDomain, message));
  for (auto _ : state) {
    const Status status = Verify(key.public_key(), kDomain, message, signature);
    if (!status.ok()) state.SkipWithError(status.ToString().c_str());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetLabel(std::string(suite.name()));
}
BENCHMARK(BM_Verify)->Arg(0)->Arg(1);

// Args: suite, worker threads (the calling thread verifies too).
void BM_BatchVerify1024(benchmark::State& state) {
  constexpr std::size_t kBatchSize = 1024;
  constexpr std::size_t kSigners = 16;
  const CryptoSuite suite = SuiteArg(state);
  std::vector<PrivateKey> keys;
  for (std::size_t i = 0; i < kSigners; ++i) keys.push_back(OrDie(PrivateKey::Generate(suite)));
  std::vector<Bytes> messages;
  std::vector<Bytes> signatures;
  for (std::size_t i = 0; i < kBatchSize; ++i) {
    Bytes message = Message();
    message[0] = static_cast<std::uint8_t>(i);
    message[1] = static_cast<std::uint8_t>(i >> 8);
    signatures.push_back(OrDie(Sign(keys[i % kSigners], kDomain, message)));
    messages.push_back(std::move(message));
  }
  std::vector<SignedMessage> items;
  for (std::size_t i = 0; i < kBatchSize; ++i) {
    items.push_back({&keys[i % kSigners].public_key(), kDomain, messages[i], signatures[i]});
  }
  const auto verifier =
      OrDie(BatchVerifier::Create({.worker_threads = static_cast<std::size_t>(state.range(1))}));
  for (auto _ : state) {
    const BatchVerifyReport report = verifier->VerifyBatch(items);
    if (!report.all_valid()) state.SkipWithError("a valid signature failed in the batch");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatchSize));
  state.SetLabel(std::string(suite.name()) + ", caller + " + std::to_string(state.range(1)) +
                 " worker(s)");
}
// Worker threads 0 and 1: one and two verifying threads (the caller always works too).
BENCHMARK(BM_BatchVerify1024)
    ->ArgsProduct({{0, 1}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_MerkleRoot(benchmark::State& state) {
  const HashAlgorithm algorithm =
      state.range(0) == 0 ? HashAlgorithm::kSha256 : HashAlgorithm::kSm3;
  std::vector<Bytes> leaves;
  for (std::int64_t i = 0; i < state.range(1); ++i) {
    const Digest leaf = Hash(HashAlgorithm::kSha256, AsBytes(std::to_string(i)));
    leaves.emplace_back(leaf.begin(), leaf.end());
  }
  for (auto _ : state) benchmark::DoNotOptimize(MerkleRoot(algorithm, leaves));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(1));
  state.SetLabel(std::string(HashAlgorithmName(algorithm)) + ", leaves/s");
}
BENCHMARK(BM_MerkleRoot)->ArgsProduct({{0, 1}, {1000, 10000}})->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace colend::crypto
