#include "storage_keys.h"

#include <algorithm>

namespace colend::node::storage_keys {
namespace {

std::string Spaced(char space, std::string_view rest) {
  std::string out;
  out.reserve(1 + rest.size());
  out.push_back(space);
  out.append(rest);
  return out;
}

std::string HeightKey(char space, std::uint64_t height) {
  std::string out(1, space);
  AppendU64(out, height);
  return out;
}

}  // namespace

void AppendU32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}

void AppendU64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}

std::optional<std::uint32_t> ReadU32(std::string_view in, std::size_t at) {
  if (in.size() < at + 4) return std::nullopt;
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<std::uint8_t>(in[at + i]);
  return v;
}

std::optional<std::uint64_t> ReadU64(std::string_view in, std::size_t at) {
  if (in.size() < at + 8) return std::nullopt;
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<std::uint8_t>(in[at + i]);
  return v;
}

std::string FormatVersionKey() {
  return Spaced(kMetaSpace, "f");
}
std::string GenesisHashKey() {
  return Spaced(kMetaSpace, "g");
}
std::string HistoryPrefixesKey() {
  return Spaced(kMetaSpace, "p");
}
std::string HeadKey() {
  return Spaced(kMetaSpace, "h");
}

std::string EventsFromKey() {
  return Spaced(kMetaSpace, "e");
}

std::string BlockKey(std::uint64_t height) {
  return HeightKey(kBlockSpace, height);
}
std::string MetaKey(std::uint64_t height) {
  return HeightKey(kHeightMetaSpace, height);
}
std::string TxRecordsKey(std::uint64_t height) {
  return HeightKey(kTxRecordsSpace, height);
}
std::string TxIndexKey(ByteView tx_hash) {
  return Spaced(kTxIndexSpace, ToString(tx_hash));
}
std::string BlockIndexKey(ByteView block_hash) {
  return Spaced(kBlockIndexSpace, ToString(block_hash));
}
std::string StateKey(std::string_view key) {
  return Spaced(kStateSpace, key);
}
std::string StatePrefix(std::string_view prefix) {
  return Spaced(kStateSpace, prefix);
}

std::string HistoryPrefix(std::string_view key) {
  std::string out(1, kHistorySpace);
  AppendU32(out, static_cast<std::uint32_t>(key.size()));
  out.append(key);
  return out;
}

std::string HistoryKey(std::string_view key, std::uint64_t height) {
  std::string out = HistoryPrefix(key);
  AppendU64(out, height);
  return out;
}

std::string EventPrefix(std::string_view bank) {
  std::string out(1, kBlockEventSpace);
  out.push_back(static_cast<char>(std::min<std::size_t>(bank.size(), 0xff)));
  out.append(bank);
  return out;
}

std::string EventKey(std::string_view bank, std::uint64_t height) {
  std::string out = EventPrefix(bank);
  AppendU64(out, height);
  return out;
}

std::optional<std::uint64_t> ParseEventKey(std::string_view bank, std::string_view stored_key) {
  const std::size_t at = 2 + bank.size();
  if (stored_key.size() != at + 8) return std::nullopt;
  return *ReadU64(stored_key, at);
}

std::string EncodeIndexes(const std::vector<std::uint32_t>& indexes) {
  std::string out;
  out.reserve(4 * indexes.size());
  for (const std::uint32_t index : indexes) AppendU32(out, index);
  return out;
}

std::optional<std::vector<std::uint32_t>> DecodeIndexes(std::string_view value) {
  if (value.empty() || value.size() % 4 != 0) return std::nullopt;
  std::vector<std::uint32_t> out;
  out.reserve(value.size() / 4);
  for (std::size_t at = 0; at < value.size(); at += 4) {
    const std::uint32_t index = *ReadU32(value, at);
    if (!out.empty() && index <= out.back()) return std::nullopt;  // ascending, no repeats
    out.push_back(index);
  }
  return out;
}

std::string EncodeTxRecords(const std::vector<Bytes>& tx_hashes,
                            const std::vector<std::string>& receipts) {
  std::size_t size = 4;
  for (std::size_t i = 0; i < tx_hashes.size(); ++i) {
    size += 8 + tx_hashes[i].size() + receipts[i].size();
  }
  std::string out;
  out.reserve(size);
  AppendU32(out, static_cast<std::uint32_t>(tx_hashes.size()));
  for (std::size_t i = 0; i < tx_hashes.size(); ++i) {
    AppendU32(out, static_cast<std::uint32_t>(tx_hashes[i].size()));
    out.append(tx_hashes[i].begin(), tx_hashes[i].end());
    AppendU32(out, static_cast<std::uint32_t>(receipts[i].size()));
    out.append(receipts[i]);
  }
  return out;
}

std::optional<std::vector<TxRecordView>> DecodeTxRecords(std::string_view value) {
  const std::optional<std::uint32_t> count = ReadU32(value, 0);
  // Each record takes at least 8 bytes: a count the value cannot hold is malformed.
  if (!count || *count > (value.size() - 4) / 8) return std::nullopt;
  std::vector<TxRecordView> out;
  out.reserve(*count);
  std::size_t at = 4;
  const auto part = [&](std::string_view* into) {
    const std::optional<std::uint32_t> size = ReadU32(value, at);
    if (!size || value.size() - at - 4 < *size) return false;
    *into = value.substr(at + 4, *size);
    at += 4 + *size;
    return true;
  };
  for (std::uint32_t i = 0; i < *count; ++i) {
    TxRecordView& record = out.emplace_back();
    if (!part(&record.tx_hash) || !part(&record.receipt)) return std::nullopt;
  }
  if (at != value.size()) return std::nullopt;
  return out;
}

std::string V1ReceiptPrefix(std::uint64_t height) {
  return HeightKey(kReceiptSpace, height);
}

std::string V1TxHashPrefix(std::uint64_t height) {
  return HeightKey(kTxHashSpace, height);
}

std::string V1EventSpacePrefix() {
  return std::string(1, kV1EventSpace);
}

std::optional<V1Event> ParseV1EventKey(std::string_view stored_key) {
  if (stored_key.size() < 2 || stored_key[0] != kV1EventSpace) return std::nullopt;
  const std::size_t bank_size = static_cast<std::uint8_t>(stored_key[1]);
  if (stored_key.size() != 2 + bank_size + 12) return std::nullopt;
  return V1Event{std::string(stored_key.substr(2, bank_size)),
                 TxLocation{*ReadU64(stored_key, 2 + bank_size),
                            *ReadU32(stored_key, 2 + bank_size + 8)}};
}

std::string WalPrefix() {
  return std::string(1, kWalSpace);
}

std::string WalKeyOf(const consensus::WalKey& key, const crypto::Digest& record_hash) {
  std::string out(1, kWalSpace);
  out.push_back(static_cast<char>(key.kind));
  AppendU64(out, key.view);
  AppendU64(out, key.sequence);
  out.append(record_hash.begin(), record_hash.end());
  return out;
}

std::optional<consensus::WalKey> ParseWalKey(std::string_view stored_key) {
  constexpr std::size_t kSize = 1 + 1 + 8 + 8 + crypto::kDigestSize;
  if (stored_key.size() != kSize || stored_key[0] != kWalSpace) return std::nullopt;
  const auto kind = static_cast<std::uint8_t>(stored_key[1]);
  if (kind > static_cast<std::uint8_t>(consensus::WalKind::kStableCheckpoint)) return std::nullopt;
  consensus::WalKey key;
  key.kind = static_cast<consensus::WalKind>(kind);
  key.view = *ReadU64(stored_key, 2);
  key.sequence = *ReadU64(stored_key, 10);
  return key;
}

std::string EncodeLocation(const TxLocation& at) {
  std::string out;
  AppendU64(out, at.height);
  AppendU32(out, at.index);
  return out;
}

std::optional<TxLocation> DecodeLocation(std::string_view value) {
  if (value.size() != 12) return std::nullopt;
  return TxLocation{*ReadU64(value, 0), *ReadU32(value, 8)};
}

// h4 len(block_hash) block_hash, state_root(32), receipts_root(32), h8 timestamp, h4 tx_count.
std::string EncodeMeta(const BlockMeta& meta) {
  std::string out;
  AppendU32(out, static_cast<std::uint32_t>(meta.block_hash.size()));
  out.append(meta.block_hash.begin(), meta.block_hash.end());
  out.append(meta.state_root.begin(), meta.state_root.end());
  out.append(meta.receipts_root.begin(), meta.receipts_root.end());
  AppendU64(out, meta.timestamp_ms);
  AppendU32(out, meta.tx_count);
  return out;
}

Result<BlockMeta> DecodeMeta(std::uint64_t height, std::string_view value) {
  const Status corrupt =
      Status::Corruption("stored meta of height " + std::to_string(height) + " is malformed");
  const std::optional<std::uint32_t> hash_size = ReadU32(value, 0);
  if (!hash_size || value.size() != 4 + *hash_size + 2 * crypto::kDigestSize + 8 + 4) {
    return corrupt;
  }
  BlockMeta meta;
  meta.height = height;
  std::size_t at = 4;
  meta.block_hash = ToBytes(value.substr(at, *hash_size));
  at += *hash_size;
  std::copy_n(value.begin() + static_cast<std::ptrdiff_t>(at), crypto::kDigestSize,
              meta.state_root.begin());
  at += crypto::kDigestSize;
  std::copy_n(value.begin() + static_cast<std::ptrdiff_t>(at), crypto::kDigestSize,
              meta.receipts_root.begin());
  at += crypto::kDigestSize;
  meta.timestamp_ms = *ReadU64(value, at);
  meta.tx_count = *ReadU32(value, at + 8);
  return meta;
}

std::string EncodeHistoryValue(const std::optional<std::string>& value) {
  if (!value) return std::string(1, '\x00');
  std::string out(1, '\x01');
  out.append(*value);
  return out;
}

Result<std::optional<std::string>> DecodeHistoryValue(std::string_view value) {
  if (value.empty() || static_cast<std::uint8_t>(value[0]) > 1) {
    return Status::Corruption("stored state version is malformed");
  }
  if (value[0] == '\x00') return std::optional<std::string>();
  return std::optional<std::string>(std::string(value.substr(1)));
}

std::string EncodePrefixes(const std::vector<std::string>& prefixes) {
  std::string out;
  for (const std::string& prefix : prefixes) {
    AppendU32(out, static_cast<std::uint32_t>(prefix.size()));
    out.append(prefix);
  }
  return out;
}

}  // namespace colend::node::storage_keys
