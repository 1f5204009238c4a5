// Blocks and genesis for the storage tests: small, deterministic, and built independently of
// the BlockStore they exercise.
#ifndef COLEND_TESTS_UNIT_NODE_STORAGE_STORAGE_TEST_UTIL_H_
#define COLEND_TESTS_UNIT_NODE_STORAGE_STORAGE_TEST_UTIL_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "colend/common/bytes.h"
#include "colend/crypto/hash.h"
#include "colend/node/block_store.h"
#include "colend/node/kv_store.h"
#include "colend/proto/block.pb.h"

namespace colend::node::testing {

inline constexpr crypto::HashAlgorithm kHash = crypto::HashAlgorithm::kSha256;

inline Bytes GenesisHash(std::string_view chain = "chain-a") {
  const crypto::Digest d =
      crypto::Hash(kHash, AsBytes(std::string("genesis of ") + std::string(chain)));
  return Bytes(d.begin(), d.end());
}

inline crypto::Digest Filled(std::uint8_t byte) {
  crypto::Digest d;
  d.fill(byte);
  return d;
}

// The body hash of transaction `index` of block `height` (distinct for every pair).
inline Bytes TxHashOf(std::uint64_t height, std::uint32_t index) {
  const crypto::Digest d =
      crypto::Hash(kHash, AsBytes("body " + std::to_string(height) + "/" + std::to_string(index)));
  return Bytes(d.begin(), d.end());
}

// Block `height` with `tx_count` transactions and the given state writes.
inline StoredBlock MakeBlock(std::uint64_t height, std::uint32_t tx_count,
                             contracts::WriteSet writes = {}) {
  StoredBlock b;
  b.height = height;
  proto::BlockHeader header;
  header.set_chain_id("chain-a");
  header.set_height(height);
  header.set_timestamp_ms(1'700'000'000'000 + height * 1000);
  header.set_proposer("LEAD");
  header.set_tx_count(tx_count);
  b.block.set_header(header.SerializeAsString());
  const crypto::Digest block_hash = crypto::Hash(kHash, AsBytes(b.block.header()));
  b.block_hash = Bytes(block_hash.begin(), block_hash.end());
  for (std::uint32_t i = 0; i < tx_count; ++i) {
    b.block.add_transactions("signed tx " + std::to_string(height) + "/" + std::to_string(i));
    b.tx_hashes.push_back(TxHashOf(height, i));
    proto::Receipt receipt;
    receipt.set_tx_hash(ToString(b.tx_hashes.back()));
    receipt.set_status(i % 2 == 0 ? proto::RECEIPT_STATUS_OK : proto::RECEIPT_STATUS_REJECTED);
    if (i % 2 == 1) receipt.set_code("DUPLICATE");
    b.receipts.push_back(receipt);
  }
  b.certificate.set_height(height);
  b.certificate.set_view(0);
  b.certificate.set_block_hash(ToString(b.block_hash));
  proto::CommitSignature* sig = b.certificate.add_commits();
  sig->set_validator("LEAD");
  sig->set_commit("commit " + std::to_string(height));
  sig->set_signature("sig");
  b.state_writes = std::move(writes);
  b.state_root = Filled(static_cast<std::uint8_t>(height));
  b.receipts_root = Filled(static_cast<std::uint8_t>(0x80 + height));
  b.timestamp_ms = header.timestamp_ms();
  return b;
}

inline BlockStoreOptions Options(std::vector<std::string> history = {"hist/"}) {
  BlockStoreOptions options;
  options.hash = kHash;
  options.history_prefixes = std::move(history);
  return options;
}

inline std::unique_ptr<BlockStore> OpenOrDie(std::unique_ptr<KvStore> kv,
                                             BlockStoreOptions options = Options()) {
  Result<std::unique_ptr<BlockStore>> store = BlockStore::Open(std::move(kv), std::move(options));
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? std::move(store).value() : nullptr;
}

inline Status InitGenesis(BlockStore& store, std::string_view chain = "chain-a",
                          const contracts::WriteSet& state = {{"hist/a", "1"}, {"plain", "p0"}}) {
  return store.InitGenesis(GenesisHash(chain), state, Filled(0xAA), Filled(0xBB),
                           1'700'000'000'000);
}

// Current state as a map (for comparisons).
inline std::map<std::string, std::string> StateOf(const BlockStore& store) {
  std::map<std::string, std::string> out;
  EXPECT_TRUE(store
                  .ScanState("",
                             [&](std::string_view k, std::string_view v) {
                               out.emplace(std::string(k), std::string(v));
                               return true;
                             })
                  .ok());
  return out;
}

}  // namespace colend::node::testing

#endif  // COLEND_TESTS_UNIT_NODE_STORAGE_STORAGE_TEST_UTIL_H_
