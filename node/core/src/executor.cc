#include "colend/node/executor.h"

#include <mutex>
#include <optional>
#include <utility>

#include "colend/contracts/apply.h"
#include "colend/contracts/error_code.h"
#include "colend/contracts/records.h"
#include "colend/contracts/tx_decode.h"
#include "colend/crypto/merkle.h"
#include "event_parties.h"

namespace colend::node {

crypto::Digest ReceiptsRoot(crypto::HashAlgorithm hash,
                            const std::vector<proto::Receipt>& receipts) {
  std::vector<std::string> encoded;
  encoded.reserve(receipts.size());
  for (const proto::Receipt& receipt : receipts) encoded.push_back(receipt.SerializeAsString());
  return EncodedReceiptsRoot(hash, encoded);
}

crypto::Digest EncodedReceiptsRoot(crypto::HashAlgorithm hash,
                                   const std::vector<std::string>& encoded_receipts) {
  std::vector<Bytes> leaves;
  leaves.reserve(encoded_receipts.size());
  for (const std::string& encoded : encoded_receipts) {
    const crypto::Digest leaf = crypto::Hash(hash, AsBytes(encoded));
    leaves.emplace_back(leaf.begin(), leaf.end());
  }
  return crypto::MerkleRoot(hash, std::span<const Bytes>(leaves));
}

namespace {

// The decode of bytes this node already decoded strictly (admitted to its pool, or checked
// in a proposal: Executor::SetVerifiedLookup): Protobuf's parse and the hash, without the
// strict checks and the copy of the bytes that DecodeTransaction makes. For bytes that pass
// those checks both give the same envelope, body and hash, so every node executes the block
// the same whichever way it decoded it. nullopt if the bytes do not even parse (they cannot
// have passed the strict decode then; the caller decodes strictly for the receipt).
std::optional<contracts::DecodedTransaction> DecodeChecked(const std::string& signed_tx,
                                                           const crypto::CryptoSuite& suite) {
  std::optional<contracts::DecodedTransaction> out(std::in_place);
  if (!out->envelope.ParseFromString(signed_tx) ||
      !out->body.ParseFromString(out->envelope.body())) {
    return std::nullopt;
  }
  out->tx_hash = contracts::TransactionHash(AsBytes(out->envelope.body()), suite);
  return out;
}

}  // namespace

Executor::Executor(std::string chain_id, crypto::CryptoSuite suite)
    : chain_id_(std::move(chain_id)), suite_(suite), state_(suite.hash()) {
  root_ = state_.Root();
}

void Executor::Load(const contracts::WriteSet& writes, std::uint64_t height) {
  std::unique_lock lock(mutex_);
  state_.Commit(writes);
  height_ = height;
  root_ = state_.Root();
}

Result<ExecutedBlock> Executor::Execute(const proto::Block& block,
                                        const proto::BlockHeader& header) const {
  if (header.height() != height_ + 1) {
    return Status::FailedPrecondition("executor is at height " + std::to_string(height_) +
                                      " and cannot execute block " +
                                      std::to_string(header.height()));
  }
  ExecutedBlock out;
  out.height = header.height();
  out.timestamp_ms = header.timestamp_ms();
  const crypto::Digest block_hash = crypto::Hash(suite_.hash(), AsBytes(block.header()));
  out.block_hash.assign(block_hash.begin(), block_hash.end());

  contracts::BlockContext ctx;
  ctx.chain_id = chain_id_;
  ctx.suite = suite_;
  ctx.height = header.height();
  ctx.block_time_ms = header.timestamp_ms();

  // The executor is the only writer of state_, and it is not writing now: reading without
  // the lock is safe (readers on other threads only read too).
  contracts::StateView view(&state_);
  out.receipts.reserve(static_cast<std::size_t>(block.transactions_size()));
  out.txs.reserve(static_cast<std::size_t>(block.transactions_size()));
  out.tx_hashes.reserve(static_cast<std::size_t>(block.transactions_size()));
  out.replays.reserve(static_cast<std::size_t>(block.transactions_size()));
  std::vector<std::string> banks;  // per transaction, from contracts::Apply (ExecutableTx::banks)
  for (int i = 0; i < block.transactions_size(); ++i) {
    // Each transaction's bytes are decoded strictly once per node: at admission or in the
    // proposal check, or here for what this node has not seen (a block it synced).
    const bool verified = verified_ && verified_(block.transactions(i));
    std::optional<contracts::DecodedTransaction> checked;
    if (verified) checked = DecodeChecked(block.transactions(i), suite_);
    Result<contracts::DecodedTransaction> decoded =
        checked ? Result<contracts::DecodedTransaction>(std::move(*checked))
                : contracts::DecodeTransaction(AsBytes(block.transactions(i)), suite_);
    if (!decoded.ok()) {
      proto::Receipt receipt;
      receipt.set_status(proto::RECEIPT_STATUS_REJECTED);
      receipt.set_code(std::string(contracts::ErrorCodeName(contracts::ErrorCode::kMalformed)));
      receipt.set_message(decoded.status().message());
      out.receipts.push_back(std::move(receipt));
      out.tx_hashes.emplace_back();
      out.txs.emplace_back();
      out.replays.push_back(false);
      continue;
    }
    contracts::ExecutableTx tx;
    tx.body = &decoded->body;
    tx.tx_hash = decoded->tx_hash;
    tx.authentication =
        verified ? contracts::Authentication::kVerifiedKey : Authenticate(*decoded, view);
    tx.key_id = AsBytes(decoded->envelope.key_id());
    tx.index = static_cast<std::uint32_t>(i);
    banks.clear();
    tx.banks = &banks;
    Result<proto::Receipt> receipt = contracts::Apply(tx, view, ctx);
    if (!receipt.ok()) return receipt.status();
    if (receipt->status() == proto::RECEIPT_STATUS_OK) ++out.accepted;
    // Read right after the transaction, from the view that holds its writes.
    TxSummary summary{
        decoded->body.signer(), decoded->body.id(), TransactionTypeName(decoded->body), {}};
    COLEND_ASSIGN_OR_RETURN(summary.parties,
                            TransactionParties(decoded->body, *receipt, view, &banks));
    // A replay of bytes committed before: the DUPLICATE of a (signer, id) whose record holds
    // this very hash (a different body with a used id is a DUPLICATE too, and not a replay).
    bool replay = false;
    if (receipt->status() == proto::RECEIPT_STATUS_REJECTED &&
        receipt->code() == contracts::ErrorCodeName(contracts::ErrorCode::kDuplicate)) {
      COLEND_ASSIGN_OR_RETURN(std::optional<proto::TxRecord> first,
                              contracts::ReadRecord<proto::TxRecord>(
                                  view, contracts::keys::Tx(decoded->body.signer(),
                                                            decoded->body.id())));
      replay = first.has_value() && first->tx_hash() == ToString(decoded->tx_hash);
    }
    out.replays.push_back(replay);
    out.txs.push_back(std::move(summary));
    out.receipts.push_back(std::move(receipt).value());
    out.tx_hashes.push_back(std::move(decoded->tx_hash));
  }
  out.writes = view.TakeWrites();
  out.encoded_receipts.reserve(out.receipts.size());
  for (const proto::Receipt& receipt : out.receipts) {
    out.encoded_receipts.push_back(receipt.SerializeAsString());
  }
  out.receipts_root = EncodedReceiptsRoot(suite_.hash(), out.encoded_receipts);
  return out;
}

contracts::Authentication Executor::Authenticate(const contracts::DecodedTransaction& tx,
                                                const contracts::StateView& view) const {
  // A key the signer does not hold (or a member that cannot sign) is refused by the
  // contract's own key check; only a key it holds needs the signature verified here.
  Result<std::optional<proto::MemberRecord>> member = contracts::ReadRecord<proto::MemberRecord>(
      view, contracts::keys::Member(tx.body.signer()));
  if (!member.ok() || !member->has_value()) return contracts::Authentication::kVerifiedKey;
  for (const proto::ClientKey& key : (*member)->client_keys()) {
    if (key.key_id() != tx.envelope.key_id()) continue;
    Result<crypto::PublicKey> parsed = crypto::PublicKey::FromDer(suite_, AsBytes(key.public_key()));
    if (!parsed.ok() || !contracts::VerifyTransactionSignature(tx, *parsed).ok()) {
      return contracts::Authentication::kSignatureInvalid;
    }
    return contracts::Authentication::kVerifiedKey;
  }
  return contracts::Authentication::kVerifiedKey;
}

void Executor::Apply(ExecutedBlock& executed) {
  std::unique_lock lock(mutex_);
  state_.Commit(executed.writes);
  height_ = executed.height;
  root_ = state_.Root();
  executed.state_root = root_;
}

}  // namespace colend::node
