#include "colend/crypto/batch_verifier.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "colend/common/bytes.h"
#include "colend/crypto/keys.h"
#include "colend/crypto/signature.h"

namespace colend::crypto {
namespace {

constexpr std::string_view kDomain = "colend/tx/v1";

std::unique_ptr<BatchVerifier> NewVerifier(std::size_t workers) {
  Result<std::unique_ptr<BatchVerifier>> verifier =
      BatchVerifier::Create({.worker_threads = workers});
  EXPECT_TRUE(verifier.ok()) << verifier.status();
  return verifier.ok() ? std::move(verifier).value() : nullptr;
}

// Signed messages from keys of both suites, with chosen items made invalid in several ways.
class Corpus {
 public:
  explicit Corpus(std::size_t size) {
    for (CryptoSuite suite : {CryptoSuite::Standard(), CryptoSuite::Sm()}) {
      for (int i = 0; i < 3; ++i) {
        Result<PrivateKey> key = PrivateKey::Generate(suite);
        EXPECT_TRUE(key.ok()) << key.status();
        keys_.push_back(std::move(key).value());
      }
    }
    messages_.reserve(size);
    signatures_.reserve(size);
    for (std::size_t i = 0; i < size; ++i) {
      messages_.push_back(ToBytes("transfer #" + std::to_string(i)));
      const Result<Bytes> signature = Sign(KeyFor(i), kDomain, messages_.back());
      EXPECT_TRUE(signature.ok()) << signature.status();
      signatures_.push_back(signature.value_or(Bytes()));
    }
    for (std::size_t i = 0; i < size; ++i) {
      items_.push_back({&KeyFor(i).public_key(), kDomain, messages_[i], signatures_[i]});
    }
  }

  // Keys 0-2 are P-256, keys 3-5 SM2; item i is signed by key i % 6.
  const PrivateKey& KeyFor(std::size_t i) const { return keys_[i % keys_.size()]; }
  const PrivateKey& OtherKeyOfSameSuite(std::size_t i) const {
    const std::size_t k = i % keys_.size();
    return keys_[k / 3 * 3 + (k % 3 + 1) % 3];
  }
  std::vector<SignedMessage>& items() { return items_; }

  // Breaks item i in one of four ways; returns the status code Verify gives for it.
  StatusCode Break(std::size_t i) {
    switch (i % 4) {
      case 0:  // altered message
        messages_[i].push_back('!');
        items_[i].message = messages_[i];
        return StatusCode::kPermissionDenied;
      case 1:  // signed by another key of the same suite
        items_[i].key = &OtherKeyOfSameSuite(i).public_key();
        return StatusCode::kPermissionDenied;
      case 2:  // trailing byte: not strict DER
        signatures_[i].push_back(0x00);
        items_[i].signature = signatures_[i];
        return StatusCode::kInvalidArgument;
      default:  // no key at all
        items_[i].key = nullptr;
        return StatusCode::kInvalidArgument;
    }
  }

 private:
  std::vector<PrivateKey> keys_;
  std::vector<Bytes> messages_;
  std::vector<Bytes> signatures_;
  std::vector<SignedMessage> items_;
};

TEST(BatchVerifierTest, AllValid) {
  Corpus corpus(40);
  const auto verifier = NewVerifier(2);
  ASSERT_NE(verifier, nullptr);
  EXPECT_EQ(verifier->worker_threads(), 2u);
  const BatchVerifyReport report = verifier->VerifyBatch(corpus.items());
  EXPECT_EQ(report.checked, 40u);
  EXPECT_TRUE(report.all_valid());
  EXPECT_EQ(report.ValidMask(), std::vector<bool>(40, true));
}

TEST(BatchVerifierTest, MixedBatchReportsExactlyTheBadItems) {
  Corpus corpus(64);
  const std::set<std::size_t> bad = {0, 5, 6, 7, 13, 31, 32, 63};
  std::vector<StatusCode> expected_codes;
  for (std::size_t i : bad) expected_codes.push_back(corpus.Break(i));
  const auto verifier = NewVerifier(2);
  ASSERT_NE(verifier, nullptr);
  const BatchVerifyReport report = verifier->VerifyBatch(corpus.items());
  ASSERT_EQ(report.failures.size(), bad.size());
  std::size_t k = 0;
  for (std::size_t i : bad) {
    EXPECT_EQ(report.failures[k].index, i);
    EXPECT_EQ(report.failures[k].status.code(), expected_codes[k]) << report.failures[k].status;
    ++k;
  }
  const std::vector<bool> mask = report.ValidMask();
  ASSERT_EQ(mask.size(), 64u);
  for (std::size_t i = 0; i < mask.size(); ++i) EXPECT_EQ(mask[i], bad.count(i) == 0) << i;
  // The batch says exactly what one-by-one verification says.
  for (std::size_t i = 0; i < corpus.items().size(); ++i) {
    const SignedMessage& item = corpus.items()[i];
    const bool alone =
        item.key != nullptr && Verify(*item.key, item.domain, item.message, item.signature).ok();
    EXPECT_EQ(alone, mask[i]) << i;
  }
}

TEST(BatchVerifierTest, EmptyBatch) {
  const auto verifier = NewVerifier(2);
  ASSERT_NE(verifier, nullptr);
  const BatchVerifyReport report = verifier->VerifyBatch({});
  EXPECT_EQ(report.checked, 0u);
  EXPECT_TRUE(report.all_valid());
  EXPECT_TRUE(report.ValidMask().empty());
}

TEST(BatchVerifierTest, SingleItemBatches) {
  Corpus corpus(2);
  corpus.Break(1);
  const auto verifier = NewVerifier(3);
  ASSERT_NE(verifier, nullptr);
  EXPECT_TRUE(verifier->VerifyBatch(std::span(corpus.items()).first(1)).all_valid());
  const BatchVerifyReport report = verifier->VerifyBatch(std::span(corpus.items()).subspan(1));
  ASSERT_EQ(report.failures.size(), 1u);
  EXPECT_EQ(report.failures[0].index, 0u);  // indices are positions in the span given
}

TEST(BatchVerifierTest, BatchMuchLargerThanPoolAndNoWorkers) {
  Corpus corpus(300);
  for (std::size_t i = 3; i < 300; i += 37) corpus.Break(i);
  std::vector<bool> expected;
  for (std::size_t workers : {0u, 1u, 4u}) {
    const auto verifier = NewVerifier(workers);
    ASSERT_NE(verifier, nullptr);
    const BatchVerifyReport report = verifier->VerifyBatch(corpus.items());
    EXPECT_EQ(report.checked, 300u);
    if (expected.empty()) expected = report.ValidMask();
    EXPECT_EQ(report.ValidMask(), expected) << workers << " workers";
    EXPECT_EQ(report.failures.size(), 9u);
  }
}

TEST(BatchVerifierTest, ConcurrentCallers) {
  constexpr std::size_t kCallers = 4;
  std::vector<std::unique_ptr<Corpus>> corpora;
  std::vector<std::vector<std::size_t>> bad(kCallers);
  for (std::size_t c = 0; c < kCallers; ++c) {
    corpora.push_back(std::make_unique<Corpus>(48));
    for (std::size_t i = c; i < 48; i += 5 + c) {
      corpora[c]->Break(i);
      bad[c].push_back(i);
    }
  }
  const auto verifier = NewVerifier(2);
  ASSERT_NE(verifier, nullptr);
  std::vector<std::vector<std::vector<std::size_t>>> seen(kCallers);
  std::vector<std::thread> callers;
  for (std::size_t c = 0; c < kCallers; ++c) {
    callers.emplace_back([&, c] {
      for (int round = 0; round < 3; ++round) {
        const BatchVerifyReport report = verifier->VerifyBatch(corpora[c]->items());
        std::vector<std::size_t> failed;
        for (const BatchFailure& failure : report.failures) failed.push_back(failure.index);
        seen[c].push_back(failed);
      }
    });
  }
  for (auto& caller : callers) caller.join();
  for (std::size_t c = 0; c < kCallers; ++c) {
    ASSERT_EQ(seen[c].size(), 3u);
    for (const auto& failed : seen[c]) EXPECT_EQ(failed, bad[c]) << "caller " << c;
  }
}

TEST(BatchVerifierTest, TooManyThreadsIsInvalid) {
  const Result<std::unique_ptr<BatchVerifier>> verifier =
      BatchVerifier::Create({.worker_threads = BatchVerifier::kMaxWorkerThreads + 1});
  ASSERT_FALSE(verifier.ok());
  EXPECT_EQ(verifier.status().code(), StatusCode::kInvalidArgument);
}

TEST(BatchVerifierTest, RepeatedStartAndShutdown) {
  Corpus corpus(8);
  for (int round = 0; round < 20; ++round) {
    const auto verifier = NewVerifier(static_cast<std::size_t>(round % 4));
    ASSERT_NE(verifier, nullptr);
    if (round % 2 == 0) {
      EXPECT_TRUE(verifier->VerifyBatch(corpus.items()).all_valid());
    }
  }
}

TEST(BatchVerifierTest, WorkerThreadNamesFitLinuxLimit) {
  EXPECT_EQ(BatchVerifier::WorkerThreadName(0), "colend-verify-0");
  EXPECT_EQ(BatchVerifier::WorkerThreadName(9), "colend-verify-9");
  EXPECT_EQ(BatchVerifier::WorkerThreadName(10), "colend-verify10");
  EXPECT_EQ(BatchVerifier::WorkerThreadName(99), "colend-verify99");
  EXPECT_EQ(BatchVerifier::WorkerThreadName(123), "colend-verif123");
  std::set<std::string> names;
  for (std::size_t i = 0; i < BatchVerifier::kMaxWorkerThreads; ++i) {
    const std::string name = BatchVerifier::WorkerThreadName(i);
    EXPECT_LE(name.size(), 15u) << name;
    names.insert(name);
  }
  EXPECT_EQ(names.size(), BatchVerifier::kMaxWorkerThreads);  // all distinct
}

std::set<std::string> ThreadNamesOfThisProcess() {
  std::set<std::string> names;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    if (std::getline(comm, name)) names.insert(name);
  }
  return names;
}

TEST(BatchVerifierTest, WorkerThreadsAreNamed) {
  const auto verifier = NewVerifier(3);
  ASSERT_NE(verifier, nullptr);
  // Workers name themselves as they start; give them a moment on a loaded machine.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::set<std::string> names;
  do {
    names = ThreadNamesOfThisProcess();
    if (names.count("colend-verify-0") + names.count("colend-verify-1") +
            names.count("colend-verify-2") ==
        3) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  } while (std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(names.count("colend-verify-0"), 1u);
  EXPECT_EQ(names.count("colend-verify-1"), 1u);
  EXPECT_EQ(names.count("colend-verify-2"), 1u);
}

}  // namespace
}  // namespace colend::crypto
