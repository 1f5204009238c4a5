#include "colend/node/block_store.h"

#include <algorithm>
#include <map>
#include <utility>

#include "storage_keys.h"

namespace colend::node {
namespace keys = storage_keys;

namespace {

std::string HeightText(std::uint64_t height) {
  return std::to_string(height);
}

std::string DescribeHash(std::string_view raw) {
  return ToHex(AsBytes(raw));
}

KvWrite Put(std::string key, std::string value) {
  return KvWrite{std::move(key), std::optional<std::string>(std::move(value))};
}

std::string U64Value(std::uint64_t v) {
  std::string out;
  keys::AppendU64(out, v);
  return out;
}

std::string U32Value(std::uint32_t v) {
  std::string out;
  keys::AppendU32(out, v);
  return out;
}

template <typename Message>
Result<Message> ParseStored(const std::optional<std::string>& bytes, std::string_view what) {
  Message message;
  if (!bytes || !message.ParseFromString(*bytes)) {
    return Status::Corruption("stored " + std::string(what) + " is missing or does not parse");
  }
  return message;
}

}  // namespace

BlockStore::BlockStore(std::unique_ptr<KvStore> kv, BlockStoreOptions options)
    : kv_(std::move(kv)), options_(std::move(options)) {}

BlockStore::~BlockStore() = default;

Result<std::unique_ptr<BlockStore>> BlockStore::Open(std::unique_ptr<KvStore> kv,
                                                     BlockStoreOptions options) {
  if (!kv) return Status::InvalidArgument("BlockStore needs a key-value store");
  std::sort(options.history_prefixes.begin(), options.history_prefixes.end());
  options.history_prefixes.erase(
      std::unique(options.history_prefixes.begin(), options.history_prefixes.end()),
      options.history_prefixes.end());
  std::unique_ptr<BlockStore> store(new BlockStore(std::move(kv), std::move(options)));

  COLEND_ASSIGN_OR_RETURN(std::optional<std::string> version,
                          store->kv_->Get(keys::FormatVersionKey()));
  if (!version) {
    bool empty = true;
    COLEND_RETURN_IF_ERROR(store->kv_->Scan("", [&](std::string_view, std::string_view) {
      empty = false;
      return false;
    }));
    if (!empty) {
      return Status::FailedPrecondition(
          "the store holds data but no colend format version: not a colend data directory");
    }
    return store;
  }
  const std::optional<std::uint32_t> number = keys::ReadU32(*version, 0);
  if (!number || version->size() != 4)
    return Status::Corruption("stored format version is malformed");
  if (*number != 1 && *number != keys::kFormatVersion) {
    return Status::FailedPrecondition("the store has format version " + std::to_string(*number) +
                                      "; this build reads format version " +
                                      std::to_string(keys::kFormatVersion) + " only");
  }
  COLEND_ASSIGN_OR_RETURN(std::optional<std::string> head, store->kv_->Get(keys::HeadKey()));
  if (!head || head->size() != 8)
    return Status::Corruption("stored head height is missing or malformed");
  store->height_.store(*keys::ReadU64(*head, 0), std::memory_order_release);
  if (*number == 1) {
    COLEND_RETURN_IF_ERROR(store->MigrateFromVersion1().WithContext(
        "rewriting the store from format version 1 to " + std::to_string(keys::kFormatVersion)));
    store->migrated_from_ = 1;
  }
  COLEND_ASSIGN_OR_RETURN(std::optional<std::string> events_from,
                          store->kv_->Get(keys::EventsFromKey()));
  if (!events_from) {
    // Written before the event index existed: it covers what is committed from now on
    // (listEvents refuses the heights below, docs/api.md).
    const std::uint64_t first = store->height() + 1;
    const KvWrite write = Put(keys::EventsFromKey(), U64Value(first));
    COLEND_RETURN_IF_ERROR(store->kv_->Write(std::span<const KvWrite>(&write, 1), /*sync=*/true)
                               .WithContext("starting the event index"));
    events_from = U64Value(first);
  }
  if (events_from->size() != 8) return Status::Corruption("stored event index start is malformed");
  store->events_from_.store(*keys::ReadU64(*events_from, 0), std::memory_order_release);
  store->initialized_.store(true, std::memory_order_release);
  return store;
}

// Format version 1 kept receipts, tx hashes and event entries per transaction; version 2
// keeps them per block (storage_keys.h). Each batch rewrites whole blocks (or whole
// (bank, block) event entries) and deletes the keys it replaces, so what is left of the
// old layout is exactly what is still to do: a migration cut short (a crash, a full disk)
// goes on from there at the next open. The version moves to 2 in the last, synced batch.
Status BlockStore::MigrateFromVersion1() {
  constexpr std::size_t kChunk = 20'000;  // keys read per batch
  const auto write = [&](std::vector<KvWrite>& batch, bool sync) {
    Status status = kv_->Write(batch, sync);
    batch.clear();
    return status;
  };
  std::vector<KvWrite> batch;

  // Blocks without transactions had no keys: they get an empty record.
  std::vector<std::uint64_t> empty_blocks;
  Status bad;
  COLEND_RETURN_IF_ERROR(kv_->Scan(std::string(1, keys::kHeightMetaSpace),
                                   [&](std::string_view key, std::string_view value) {
                                     const std::uint64_t h = keys::ReadU64(key, 1).value_or(0);
                                     if (h == 0 || h > height()) return true;
                                     Result<BlockMeta> meta = keys::DecodeMeta(h, value);
                                     if (!meta.ok()) {
                                       bad = meta.status();
                                       return false;
                                     }
                                     if (meta->tx_count == 0) empty_blocks.push_back(h);
                                     return true;
                                   }));
  COLEND_RETURN_IF_ERROR(bad);
  for (const std::uint64_t h : empty_blocks) {
    batch.push_back(Put(keys::TxRecordsKey(h), keys::EncodeTxRecords({}, {})));
  }
  COLEND_RETURN_IF_ERROR(write(batch, /*sync=*/false));

  // Receipts and tx hashes: whole blocks per batch.
  // Each scan starts where the last one stopped, not at the start of what is left: the
  // keys deleted before are tombstones there until LevelDB compacts them, and skipping
  // them at every batch would make the rewrite quadratic.
  const std::string receipt_space(1, keys::kReceiptSpace);
  std::string resume = receipt_space;
  for (;;) {
    std::vector<std::pair<std::string, std::string>> receipts;  // (key, value), key order
    std::uint64_t chunk_end = 0;                                 // first height not taken
    COLEND_RETURN_IF_ERROR(kv_->ScanFrom(receipt_space, resume, [&](std::string_view key,
                                                                   std::string_view value) {
      const std::uint64_t h = keys::ReadU64(key, 1).value_or(0);
      if (receipts.size() >= kChunk && h != keys::ReadU64(receipts.back().first, 1)) {
        chunk_end = h;
        return false;
      }
      receipts.emplace_back(std::string(key), std::string(value));
      return true;
    }));
    if (receipts.empty()) break;
    std::size_t at = 0;
    while (at < receipts.size()) {
      const std::uint64_t h = keys::ReadU64(receipts[at].first, 1).value_or(0);
      std::vector<std::string> block_receipts;
      for (; at < receipts.size() && keys::ReadU64(receipts[at].first, 1) == h; ++at) {
        if (receipts[at].first.size() != 13 ||
            keys::ReadU32(receipts[at].first, 9) != block_receipts.size()) {
          return Status::Corruption("the receipt keys of height " + HeightText(h) +
                                    " are malformed or not contiguous");
        }
        batch.push_back(KvWrite{receipts[at].first, std::nullopt});
        block_receipts.push_back(std::move(receipts[at].second));
      }
      std::vector<Bytes> hashes;
      COLEND_RETURN_IF_ERROR(kv_->Scan(keys::V1TxHashPrefix(h), [&](std::string_view key,
                                                                    std::string_view value) {
        batch.push_back(KvWrite{std::string(key), std::nullopt});
        hashes.push_back(ToBytes(value));
        return true;
      }));
      if (h == 0 || h > height() || hashes.size() != block_receipts.size()) {
        return Status::Corruption("height " + HeightText(h) + " has " +
                                  std::to_string(block_receipts.size()) + " receipts and " +
                                  std::to_string(hashes.size()) + " tx hashes");
      }
      batch.push_back(Put(keys::TxRecordsKey(h), keys::EncodeTxRecords(hashes, block_receipts)));
    }
    COLEND_RETURN_IF_ERROR(write(batch, /*sync=*/false));
    if (chunk_end == 0) break;
    resume = keys::V1ReceiptPrefix(chunk_end);
  }
  bool stray = false;
  COLEND_RETURN_IF_ERROR(
      kv_->Scan(std::string(1, keys::kTxHashSpace), [&](std::string_view, std::string_view) {
        stray = true;
        return false;
      }));
  if (stray) return Status::Corruption("tx hashes are stored for blocks without receipts");

  // The event index: whole (bank, block) entries per batch.
  resume = keys::V1EventSpacePrefix();
  for (;;) {
    std::vector<keys::V1Event> events;
    bool more = false;
    COLEND_RETURN_IF_ERROR(kv_->ScanFrom(keys::V1EventSpacePrefix(), resume,
                                         [&](std::string_view key, std::string_view) {
      std::optional<keys::V1Event> event = keys::ParseV1EventKey(key);
      if (!event) {
        bad = Status::Corruption("a stored event index key is malformed");
        return false;
      }
      if (events.size() >= kChunk && (event->bank != events.back().bank ||
                                      event->at.height != events.back().at.height)) {
        resume = std::string(key);
        more = true;
        return false;
      }
      batch.push_back(KvWrite{std::string(key), std::nullopt});
      events.push_back(std::move(*event));
      return true;
    }));
    COLEND_RETURN_IF_ERROR(bad);
    if (events.empty()) break;
    std::vector<std::uint32_t> indexes;
    for (std::size_t i = 0; i < events.size(); ++i) {
      indexes.push_back(events[i].at.index);
      const bool last = i + 1 == events.size() || events[i + 1].bank != events[i].bank ||
                        events[i + 1].at.height != events[i].at.height;
      if (!last) continue;
      batch.push_back(Put(keys::EventKey(events[i].bank, events[i].at.height),
                          keys::EncodeIndexes(indexes)));
      indexes.clear();
    }
    COLEND_RETURN_IF_ERROR(write(batch, /*sync=*/false));
    if (!more) break;
  }

  batch.push_back(Put(keys::FormatVersionKey(), U32Value(keys::kFormatVersion)));
  return write(batch, /*sync=*/true);
}

bool BlockStore::IsHistoryKey(std::string_view key) const {
  return std::any_of(options_.history_prefixes.begin(), options_.history_prefixes.end(),
                     [&](const std::string& prefix) { return key.starts_with(prefix); });
}

Status BlockStore::InitGenesis(ByteView genesis_hash, const contracts::WriteSet& state,
                               const crypto::Digest& state_root,
                               const crypto::Digest& receipts_root, std::uint64_t timestamp_ms) {
  if (genesis_hash.empty()) return Status::InvalidArgument("genesis hash is empty");
  const std::string prefixes = keys::EncodePrefixes(options_.history_prefixes);
  if (initialized()) {
    COLEND_ASSIGN_OR_RETURN(std::optional<std::string> stored, kv_->Get(keys::GenesisHashKey()));
    if (!stored) return Status::Corruption("stored genesis hash is missing");
    if (*stored != ToString(genesis_hash)) {
      return Status::FailedPrecondition(
          "data directory belongs to another chain: it holds genesis hash " +
          DescribeHash(*stored) + ", this node's genesis hash is " + ToHex(genesis_hash));
    }
    COLEND_ASSIGN_OR_RETURN(std::optional<std::string> stored_prefixes,
                            kv_->Get(keys::HistoryPrefixesKey()));
    if (stored_prefixes.value_or("") != prefixes) {
      return Status::FailedPrecondition(
          "data directory was created with other history prefixes than this build keeps; "
          "its history would be incomplete");
    }
    return Status::Ok();
  }

  BlockMeta meta;
  meta.height = 0;
  meta.block_hash = Bytes(genesis_hash.begin(), genesis_hash.end());
  meta.state_root = state_root;
  meta.receipts_root = receipts_root;
  meta.timestamp_ms = timestamp_ms;

  std::vector<KvWrite> batch;
  batch.reserve(6 + 2 * state.size());
  batch.push_back(Put(keys::FormatVersionKey(), U32Value(keys::kFormatVersion)));
  batch.push_back(Put(keys::GenesisHashKey(), ToString(genesis_hash)));
  batch.push_back(Put(keys::HistoryPrefixesKey(), prefixes));
  batch.push_back(Put(keys::HeadKey(), U64Value(0)));
  batch.push_back(Put(keys::EventsFromKey(), U64Value(1)));
  batch.push_back(Put(keys::MetaKey(0), keys::EncodeMeta(meta)));
  batch.push_back(Put(keys::BlockIndexKey(genesis_hash), U64Value(0)));
  for (const auto& [key, value] : state) {
    if (!value) continue;  // nothing to delete in an empty store
    batch.push_back(Put(keys::StateKey(key), *value));
    if (IsHistoryKey(key)) {
      batch.push_back(Put(keys::HistoryKey(key, 0), keys::EncodeHistoryValue(value)));
    }
  }
  COLEND_RETURN_IF_ERROR(kv_->Write(batch, /*sync=*/true).WithContext("storing genesis"));
  height_.store(0, std::memory_order_release);
  events_from_.store(1, std::memory_order_release);
  initialized_.store(true, std::memory_order_release);
  return Status::Ok();
}

Status BlockStore::CheckCommittable(const StoredBlock& block) const {
  if (!initialized()) return Status::FailedPrecondition("the store has no genesis yet");
  if (block.height != height() + 1) {
    return Status::FailedPrecondition("cannot commit height " + HeightText(block.height) +
                                      ": the store is at height " + HeightText(height()) +
                                      " and commits the next height only");
  }
  const crypto::Digest header_hash = crypto::Hash(options_.hash, AsBytes(block.block.header()));
  if (!std::equal(block.block_hash.begin(), block.block_hash.end(), header_hash.begin(),
                  header_hash.end())) {
    return Status::InvalidArgument("block_hash of height " + HeightText(block.height) +
                                   " is not the suite hash of its header");
  }
  const auto tx_count = static_cast<std::size_t>(block.block.transactions_size());
  if (block.tx_hashes.size() != tx_count || block.receipts.size() != tx_count) {
    return Status::InvalidArgument("block " + HeightText(block.height) + " has " +
                                   std::to_string(tx_count) + " transactions but " +
                                   std::to_string(block.tx_hashes.size()) + " tx hashes and " +
                                   std::to_string(block.receipts.size()) + " receipts");
  }
  if (!block.encoded_receipts.empty() && block.encoded_receipts.size() != tx_count) {
    return Status::InvalidArgument("block " + HeightText(block.height) + " has " +
                                   std::to_string(tx_count) + " transactions but " +
                                   std::to_string(block.encoded_receipts.size()) +
                                   " encoded receipts");
  }
  if (!block.tx_parties.empty() && block.tx_parties.size() != tx_count) {
    return Status::InvalidArgument("block " + HeightText(block.height) + " has " +
                                   std::to_string(tx_count) + " transactions but " +
                                   std::to_string(block.tx_parties.size()) + " party lists");
  }
  if (block.certificate.height() != block.height ||
      block.certificate.block_hash() != ToString(block.block_hash)) {
    return Status::InvalidArgument("the commit certificate of height " + HeightText(block.height) +
                                   " is for another block");
  }
  return Status::Ok();
}

Status BlockStore::Commit(const StoredBlock& block) {
  COLEND_RETURN_IF_ERROR(CheckCommittable(block));
  const std::uint64_t h = block.height;

  proto::CertifiedBlock certified;
  *certified.mutable_block() = block.block;
  *certified.mutable_certificate() = block.certificate;

  BlockMeta meta;
  meta.height = h;
  meta.block_hash = block.block_hash;
  meta.state_root = block.state_root;
  meta.receipts_root = block.receipts_root;
  meta.timestamp_ms = block.timestamp_ms;
  meta.tx_count = static_cast<std::uint32_t>(block.tx_hashes.size());

  std::vector<KvWrite> batch;
  batch.reserve(4 + 3 * block.tx_hashes.size() + 2 * block.state_writes.size());
  batch.push_back(Put(keys::BlockKey(h), certified.SerializeAsString()));
  batch.push_back(Put(keys::MetaKey(h), keys::EncodeMeta(meta)));
  batch.push_back(Put(keys::BlockIndexKey(block.block_hash), U64Value(h)));
  // The receipts and tx hashes: one value for the block. The executor's bytes when it handed
  // them over (the bytes its receipts root hashed), else serialised here.
  std::vector<std::string> serialised;
  if (block.encoded_receipts.empty()) {
    serialised.reserve(meta.tx_count);
    for (const proto::Receipt& r : block.receipts) serialised.push_back(r.SerializeAsString());
  }
  const std::vector<std::string>& receipts =
      block.encoded_receipts.empty() ? serialised : block.encoded_receipts;
  batch.push_back(Put(keys::TxRecordsKey(h), keys::EncodeTxRecords(block.tx_hashes, receipts)));
  // A transaction hash is indexed where it first committed: a replay of the same body
  // later (rejected by the contract as a duplicate; the executor flags it in `replays`)
  // keeps its receipt but not the index. Written blindly: storing a block reads nothing, so
  // its cost does not grow with the chain. Bytes that did not decode have no hash.
  for (std::uint32_t i = 0; i < meta.tx_count; ++i) {
    const Bytes& tx_hash = block.tx_hashes[i];
    const bool replay = i < block.replays.size() && block.replays[i];
    if (!tx_hash.empty() && !replay) {
      batch.push_back(Put(keys::TxIndexKey(tx_hash), keys::EncodeLocation(TxLocation{h, i})));
    }
  }
  for (const auto& [key, value] : block.state_writes) {
    batch.push_back(KvWrite{keys::StateKey(key), value});
    if (IsHistoryKey(key)) {
      batch.push_back(Put(keys::HistoryKey(key, h), keys::EncodeHistoryValue(value)));
    }
  }
  // The event index: one entry per bank concerned, listing its transactions in the block.
  std::map<std::string_view, std::vector<std::uint32_t>> events;
  for (std::uint32_t i = 0; i < block.tx_parties.size(); ++i) {
    for (const std::string& bank : block.tx_parties[i]) {
      std::vector<std::uint32_t>& indexes = events[bank];
      if (indexes.empty() || indexes.back() != i) indexes.push_back(i);
    }
  }
  for (const auto& [bank, indexes] : events) {
    batch.push_back(Put(keys::EventKey(bank, h), keys::EncodeIndexes(indexes)));
  }
  batch.push_back(Put(keys::HeadKey(), U64Value(h)));

  COLEND_RETURN_IF_ERROR(
      kv_->Write(batch, /*sync=*/true).WithContext("storing block " + HeightText(h)));
  height_.store(h, std::memory_order_release);
  return Status::Ok();
}

Result<proto::CertifiedBlock> BlockStore::GetBlock(std::uint64_t h) const {
  if (h == 0 || h > height()) {
    return Status::NotFound("no block at height " + HeightText(h) + " (the chain is at " +
                            HeightText(height()) + ")");
  }
  COLEND_ASSIGN_OR_RETURN(std::optional<std::string> bytes, kv_->Get(keys::BlockKey(h)));
  return ParseStored<proto::CertifiedBlock>(bytes, "block " + HeightText(h));
}

Result<BlockMeta> BlockStore::GetMeta(std::uint64_t h) const {
  if (!initialized() || h > height()) {
    return Status::NotFound("no block at height " + HeightText(h));
  }
  COLEND_ASSIGN_OR_RETURN(std::optional<std::string> bytes, kv_->Get(keys::MetaKey(h)));
  if (!bytes) return Status::Corruption("meta of height " + HeightText(h) + " is missing");
  return keys::DecodeMeta(h, *bytes);
}

Result<std::uint64_t> BlockStore::FindBlockByHash(ByteView block_hash) const {
  COLEND_ASSIGN_OR_RETURN(std::optional<std::string> value,
                          kv_->Get(keys::BlockIndexKey(block_hash)));
  // A block above height() belongs to a Commit that reported failure: not visible.
  if (!value || value->size() != 8 || *keys::ReadU64(*value, 0) > height()) {
    return Status::NotFound("no block with hash " + ToHex(block_hash));
  }
  return *keys::ReadU64(*value, 0);
}

Result<TxLocation> BlockStore::FindTx(ByteView tx_hash) const {
  COLEND_ASSIGN_OR_RETURN(std::optional<std::string> value, kv_->Get(keys::TxIndexKey(tx_hash)));
  std::optional<TxLocation> at;
  if (value) at = keys::DecodeLocation(*value);
  if (!at || at->height > height()) {
    return Status::NotFound("no committed transaction with hash " + ToHex(tx_hash));
  }
  return *at;
}

Result<std::string> BlockStore::GetTxRecords(std::uint64_t h) const {
  if (h == 0 || h > height()) {
    return Status::NotFound("no block at height " + HeightText(h) + " (the chain is at " +
                            HeightText(height()) + ")");
  }
  COLEND_ASSIGN_OR_RETURN(std::optional<std::string> value, kv_->Get(keys::TxRecordsKey(h)));
  if (!value) return Status::Corruption("the receipts of height " + HeightText(h) + " are missing");
  return std::move(*value);
}

namespace {

// The transactions of block `h`'s stored value (GetTxRecords), viewing it.
Result<std::vector<keys::TxRecordView>> DecodeTxRecords(const std::string& value,
                                                        std::uint64_t h) {
  std::optional<std::vector<keys::TxRecordView>> records = keys::DecodeTxRecords(value);
  if (!records) {
    return Status::Corruption("the stored receipts of height " + HeightText(h) +
                              " are malformed");
  }
  return std::move(*records);
}

// The transaction at `at` among its block's records; kNotFound past the block's end.
Result<keys::TxRecordView> PickTxRecord(const std::vector<keys::TxRecordView>& records,
                                        const TxLocation& at) {
  if (at.index >= records.size()) {
    return Status::NotFound("block " + HeightText(at.height) + " has no transaction " +
                            std::to_string(at.index));
  }
  return records[at.index];
}

}  // namespace

Result<proto::Receipt> BlockStore::GetReceipt(const TxLocation& at) const {
  COLEND_ASSIGN_OR_RETURN(std::vector<proto::Receipt> receipts,
                          GetReceiptsAt(std::span<const TxLocation>(&at, 1)));
  return std::move(receipts.front());
}

Result<std::vector<proto::Receipt>> BlockStore::GetReceiptsAt(
    std::span<const TxLocation> at) const {
  std::vector<proto::Receipt> receipts(at.size());
  std::uint64_t loaded = 0;  // the height whose value `value` holds (0: none yet)
  std::string value;
  std::vector<keys::TxRecordView> records;
  for (std::size_t i = 0; i < at.size(); ++i) {
    if (at[i].height != loaded || loaded == 0) {
      COLEND_ASSIGN_OR_RETURN(value, GetTxRecords(at[i].height));
      COLEND_ASSIGN_OR_RETURN(records, DecodeTxRecords(value, at[i].height));
      loaded = at[i].height;
    }
    COLEND_ASSIGN_OR_RETURN(keys::TxRecordView record, PickTxRecord(records, at[i]));
    if (!receipts[i].ParseFromArray(record.receipt.data(),
                                    static_cast<int>(record.receipt.size()))) {
      return Status::Corruption("stored receipt does not parse");
    }
  }
  return receipts;
}

Result<Bytes> BlockStore::GetTxHash(const TxLocation& at) const {
  COLEND_ASSIGN_OR_RETURN(std::string value, GetTxRecords(at.height));
  COLEND_ASSIGN_OR_RETURN(std::vector<keys::TxRecordView> records,
                          DecodeTxRecords(value, at.height));
  COLEND_ASSIGN_OR_RETURN(keys::TxRecordView record, PickTxRecord(records, at));
  return ToBytes(record.tx_hash);
}

Status BlockStore::GetTxHashesAndReceipts(std::uint64_t h, std::vector<Bytes>* hashes,
                                          std::vector<proto::Receipt>* receipts) const {
  if (!initialized() || h > height())
    return Status::NotFound("no block at height " + HeightText(h));
  if (hashes != nullptr) hashes->clear();
  if (receipts != nullptr) receipts->clear();
  if (h == 0) return Status::Ok();
  COLEND_ASSIGN_OR_RETURN(std::string value, GetTxRecords(h));
  COLEND_ASSIGN_OR_RETURN(std::vector<keys::TxRecordView> records, DecodeTxRecords(value, h));
  if (hashes != nullptr) {
    hashes->reserve(records.size());
    for (const keys::TxRecordView& record : records) hashes->push_back(ToBytes(record.tx_hash));
  }
  if (receipts != nullptr) {
    receipts->resize(records.size());
    for (std::size_t i = 0; i < records.size(); ++i) {
      const std::string_view bytes = records[i].receipt;
      if (!(*receipts)[i].ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
        return Status::Corruption("a stored receipt of height " + HeightText(h) +
                                  " does not parse");
      }
    }
  }
  return Status::Ok();
}

Result<std::vector<proto::Receipt>> BlockStore::GetReceipts(std::uint64_t h) const {
  std::vector<proto::Receipt> receipts;
  COLEND_RETURN_IF_ERROR(GetTxHashesAndReceipts(h, nullptr, &receipts));
  return receipts;
}

Result<std::vector<Bytes>> BlockStore::GetTxHashes(std::uint64_t h) const {
  std::vector<Bytes> hashes;
  COLEND_RETURN_IF_ERROR(GetTxHashesAndReceipts(h, &hashes, nullptr));
  return hashes;
}

Result<EventPage> BlockStore::ListEvents(std::string_view bank, TxLocation from,
                                         std::uint64_t to_height, std::size_t limit) const {
  if (from.height < events_from()) {
    return Status::OutOfRange("the event index starts at height " + HeightText(events_from()) +
                              " (blocks below were stored before it existed)");
  }
  const std::uint64_t last = std::min(to_height, height());
  EventPage page;
  const std::string prefix = keys::EventPrefix(bank);
  bool malformed = false;
  COLEND_RETURN_IF_ERROR(kv_->ScanFrom(
      prefix, keys::EventKey(bank, from.height),
      [&](std::string_view key, std::string_view value) {
        const std::optional<std::uint64_t> h = keys::ParseEventKey(bank, key);
        const std::optional<std::vector<std::uint32_t>> indexes = keys::DecodeIndexes(value);
        if (!h || !indexes) {
          malformed = true;
          return false;
        }
        // Above `last`: beyond the page's range, or a batch whose Commit reported failure.
        if (*h > last) return false;
        for (const std::uint32_t index : *indexes) {
          if (*h == from.height && index < from.index) continue;
          if (page.events.size() == limit) {
            page.next = TxLocation{*h, index};
            return false;
          }
          page.events.push_back(TxLocation{*h, index});
        }
        return true;
      }));
  if (malformed) return Status::Corruption("a stored event index entry is malformed");
  return page;
}

Status BlockStore::ScanState(std::string_view prefix, const KvScanFn& fn) const {
  return kv_->Scan(keys::StatePrefix(prefix), [&](std::string_view key, std::string_view value) {
    return fn(key.substr(1), value);
  });
}

Result<std::optional<std::string>> BlockStore::GetState(std::string_view key) const {
  return kv_->Get(keys::StateKey(key));
}

Result<std::optional<std::string>> BlockStore::ReadStateAt(std::string_view key,
                                                           std::uint64_t h) const {
  if (!IsHistoryKey(key)) {
    return Status::InvalidArgument("state key '" + std::string(key) +
                                   "' keeps no history (it is under no history prefix)");
  }
  if (!initialized() || h > height()) {
    return Status::OutOfRange("height " + HeightText(h) + " is above the committed height " +
                              HeightText(height()));
  }
  COLEND_ASSIGN_OR_RETURN(
      std::optional<KvEntry> entry,
      kv_->FindLastAtOrBefore(keys::HistoryPrefix(key), keys::HistoryKey(key, h)));
  if (!entry) return std::optional<std::string>();
  return keys::DecodeHistoryValue(entry->second);
}

Status BlockStore::PutWal(const consensus::WalKey& key, const proto::ConsensusWalRecord& record) {
  std::string bytes = record.SerializeAsString();
  const crypto::Digest record_hash = crypto::Hash(options_.hash, AsBytes(bytes));
  const KvWrite write = Put(keys::WalKeyOf(key, record_hash), std::move(bytes));
  return kv_->Write(std::span<const KvWrite>(&write, 1), /*sync=*/true)
      .WithContext("persisting a consensus WAL record");
}

Status BlockStore::CompactWal(std::uint64_t stable_sequence, std::uint64_t view) {
  std::vector<KvWrite> deletes;
  Status bad_key;
  COLEND_RETURN_IF_ERROR(
      kv_->Scan(keys::WalPrefix(), [&](std::string_view stored_key, std::string_view) {
        const std::optional<consensus::WalKey> key = keys::ParseWalKey(stored_key);
        if (!key) {
          bad_key = Status::Corruption("a stored WAL key is malformed");
          return false;
        }
        if (consensus::WalRecordObsolete(*key, stable_sequence, view)) {
          deletes.push_back(KvWrite{std::string(stored_key), std::nullopt});
        }
        return true;
      }));
  COLEND_RETURN_IF_ERROR(bad_key);
  if (deletes.empty()) return Status::Ok();
  // Not synced: a deletion lost in a crash leaves an obsolete record, which is harmless.
  return kv_->Write(deletes, /*sync=*/false).WithContext("compacting the consensus WAL");
}

Result<std::vector<proto::ConsensusWalRecord>> BlockStore::LoadWal() const {
  std::vector<proto::ConsensusWalRecord> records;
  bool parsed = true;
  COLEND_RETURN_IF_ERROR(
      kv_->Scan(keys::WalPrefix(), [&](std::string_view, std::string_view value) {
        records.emplace_back();
        parsed = records.back().ParseFromArray(value.data(), static_cast<int>(value.size()));
        return parsed;
      }));
  if (!parsed) return Status::Corruption("a stored consensus WAL record does not parse");
  return records;
}

}  // namespace colend::node
