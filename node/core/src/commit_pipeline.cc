#include "colend/node/commit_pipeline.h"

#include <algorithm>
#include <string>
#include <utility>

#include "colend/common/bytes.h"
#include "colend/contracts/records.h"

namespace colend::node {

namespace {

using Clock = std::chrono::steady_clock;

bool SameDigest(const std::string& carried, const crypto::Digest& computed) {
  return carried.size() == computed.size() &&
         std::equal(carried.begin(), carried.end(),
                    reinterpret_cast<const char*>(computed.data()));
}

}  // namespace

std::vector<std::string> StoreHistoryPrefixes() {
  return {std::string(contracts::keys::kPositionPrefix), std::string(contracts::keys::kPairs)};
}

Result<CommittedBlock> CommitPipeline::Commit(std::uint64_t height, proto::Block block,
                                              proto::CommitCertificate certificate) {
  CommittedBlock out;
  const Clock::time_point started = Clock::now();
  proto::BlockHeader header;
  if (!header.ParseFromString(block.header())) {
    return Status::Corruption("committed block " + std::to_string(height) +
                              " has a header that does not parse");
  }
  // The header carries the roots after block h - L; this node executed that block itself.
  const std::uint64_t checked = height > execution_lag_ ? height - execution_lag_ : 0;
  Result<BlockMeta> expected = store_.GetMeta(checked);
  if (!expected.ok()) {
    return expected.status().WithContext("reading the roots of height " +
                                         std::to_string(checked));
  }
  if (!SameDigest(header.state_root(), expected->state_root) ||
      !SameDigest(header.receipts_root(), expected->receipts_root)) {
    return Status::Corruption(
        "block " + std::to_string(height) + " carries the roots of height " +
        std::to_string(checked) + " as " + ToHex(AsBytes(header.state_root())) +
        " but this node computed " + ToHex(expected->state_root) +
        ": this node's state diverges from the quorum's; stopping instead of forking");
  }
  const Clock::time_point checked_at = Clock::now();

  Result<ExecutedBlock> executed = executor_.Execute(block, header);
  if (!executed.ok()) {
    return executed.status().WithContext("executing block " + std::to_string(height));
  }
  const Clock::time_point executed_at = Clock::now();
  executor_.Apply(*executed);
  const Clock::time_point applied_at = Clock::now();

  StoredBlock& stored = out.stored;
  stored.height = height;
  stored.block = std::move(block);
  stored.certificate = std::move(certificate);
  stored.block_hash = std::move(executed->block_hash);
  stored.tx_hashes = std::move(executed->tx_hashes);
  stored.receipts = std::move(executed->receipts);
  stored.encoded_receipts = std::move(executed->encoded_receipts);
  stored.state_writes = std::move(executed->writes);
  stored.state_root = executed->state_root;
  stored.receipts_root = executed->receipts_root;
  stored.timestamp_ms = executed->timestamp_ms;
  stored.tx_parties.reserve(executed->txs.size());
  for (const TxSummary& tx : executed->txs) stored.tx_parties.push_back(tx.parties);
  stored.replays = std::move(executed->replays);
  out.txs = std::move(executed->txs);
  out.accepted = executed->accepted;
  if (const Status s = store_.Commit(stored); !s.ok()) {
    return s.WithContext("storing block " + std::to_string(height));
  }
  const Clock::time_point stored_at = Clock::now();
  out.took.check = checked_at - started;
  out.took.execute = executed_at - checked_at;
  out.took.apply = applied_at - executed_at;
  out.took.store = stored_at - applied_at;
  return out;
}

}  // namespace colend::node
