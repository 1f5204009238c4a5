// The BlockStore's key layout and value encodings (format version 2).
//
// Every key starts with a one-byte namespace. Integers are big-endian so that bytewise key
// order is numeric order and a prefix scan walks heights in order. hN = N-byte big-endian.
//
//   0x00 'f'                                  -> h4 format version (kFormatVersion)
//   0x00 'g'                                  -> genesis hash (raw bytes)
//   0x00 'p'                                  -> history prefixes: (h4 length, bytes)*
//   0x00 'h'                                  -> h8 head height (last committed)
//   0x00 'e'                                  -> h8 first height the event index covers
//   0x01 h8 height                            -> CertifiedBlock (block + certificate)
//   0x02 h8 height                            -> BlockMeta (EncodeMeta); height 0 = genesis
//   0x05 tx hash                              -> h8 height h4 index   (tx-hash index)
//   0x06 block hash                           -> h8 height            (block-hash index)
//   0x07 state key                            -> value                (current state)
//   0x08 h4 len(key) key h8 height            -> 0x00 (deleted) | 0x01 value   (history)
//   0x09 kind(1) h8 view h8 sequence hash(32) -> ConsensusWalRecord
//   0x0b h8 height                            -> the block's transactions (EncodeTxRecords)
//   0x0c h1 len(bank) bank h8 height          -> (h4 index)* ascending  (per-bank event index)
//
// Per block, not per transaction: a block's receipts and tx hashes are one value (0x0b),
// and a bank's events in one block are one entry (0x0c), so storing a block writes a few
// keys per transaction (its tx-hash index, its state and history) and the rest per block.
// Format version 1 kept them per transaction (0x03 h8 height h4 index -> Receipt, 0x04 h8
// height h4 index -> tx hash, 0x0a h1 len(bank) bank h8 height h4 index -> empty);
// BlockStore::Open rewrites such a store into this layout (MigrateFromVersion1).
//
// History: a key under a history prefix gets one 0x08 entry per height at which it was
// written (genesis included); its value as of height h is the entry with the greatest
// height <= h. The key's length comes first so that no other key's entries sort between
// one key's versions. Event index: one entry per (bank concerned, block), written in the
// block's batch, so that one bank's events from a height are a seek and a short scan; a
// store written before the index existed gets 0x00 'e' = its head + 1 on open. WAL:
// several records can share one consensus::WalKey, so the suite hash of the serialised
// record ends the key; the same record put twice is one entry.
#ifndef COLEND_NODE_STORAGE_KEYS_H_
#define COLEND_NODE_STORAGE_KEYS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "colend/common/bytes.h"
#include "colend/common/result.h"
#include "colend/consensus/actions.h"
#include "colend/crypto/hash.h"
#include "colend/node/block_store.h"

namespace colend::node::storage_keys {

inline constexpr std::uint32_t kFormatVersion = 2;

inline constexpr char kMetaSpace = '\x00';
inline constexpr char kBlockSpace = '\x01';
inline constexpr char kHeightMetaSpace = '\x02';
inline constexpr char kReceiptSpace = '\x03';  // format version 1 only
inline constexpr char kTxHashSpace = '\x04';   // format version 1 only
inline constexpr char kTxIndexSpace = '\x05';
inline constexpr char kBlockIndexSpace = '\x06';
inline constexpr char kStateSpace = '\x07';
inline constexpr char kHistorySpace = '\x08';
inline constexpr char kWalSpace = '\x09';
inline constexpr char kTxRecordsSpace = '\x0b';
inline constexpr char kBlockEventSpace = '\x0c';
// Format version 1 only (read by the migration).
inline constexpr char kV1EventSpace = '\x0a';

void AppendU32(std::string& out, std::uint32_t v);
void AppendU64(std::string& out, std::uint64_t v);
// Reads a big-endian integer at `at`; nullopt if too short.
std::optional<std::uint32_t> ReadU32(std::string_view in, std::size_t at);
std::optional<std::uint64_t> ReadU64(std::string_view in, std::size_t at);

std::string FormatVersionKey();
std::string GenesisHashKey();
std::string HistoryPrefixesKey();
std::string HeadKey();
std::string EventsFromKey();

std::string BlockKey(std::uint64_t height);
std::string MetaKey(std::uint64_t height);
std::string TxRecordsKey(std::uint64_t height);
std::string TxIndexKey(ByteView tx_hash);
std::string BlockIndexKey(ByteView block_hash);
std::string StateKey(std::string_view key);
std::string StatePrefix(std::string_view prefix);
// All versions of `key`, and its version at `height`.
std::string HistoryPrefix(std::string_view key);
std::string HistoryKey(std::string_view key, std::uint64_t height);
// The event index of `bank` (bank ids are at most 32 bytes: member ids), and its entry
// for one block.
std::string EventPrefix(std::string_view bank);
std::string EventKey(std::string_view bank, std::uint64_t height);
// The height an event key of `bank` names; nullopt if malformed.
std::optional<std::uint64_t> ParseEventKey(std::string_view bank, std::string_view stored_key);
// An event entry's value: the indexes of the bank's transactions in the block, ascending.
std::string EncodeIndexes(const std::vector<std::uint32_t>& indexes);
std::optional<std::vector<std::uint32_t>> DecodeIndexes(std::string_view value);

// A block's transactions: h4 count, then per transaction in block order (h4 len, tx hash)
// (h4 len, serialised Receipt). `receipts` are serialised already.
std::string EncodeTxRecords(const std::vector<Bytes>& tx_hashes,
                            const std::vector<std::string>& receipts);
// One transaction's parts, viewing the encoded value.
struct TxRecordView {
  std::string_view tx_hash;
  std::string_view receipt;  // serialised
};
// Every transaction's parts in block order; nullopt if the value is malformed.
std::optional<std::vector<TxRecordView>> DecodeTxRecords(std::string_view value);

// Format version 1's per-transaction keys, read (and deleted) by the migration only.
std::string V1ReceiptPrefix(std::uint64_t height);
std::string V1TxHashPrefix(std::uint64_t height);
std::string V1EventSpacePrefix();
// (bank, height, index) of a version-1 event key; nullopt if malformed.
struct V1Event {
  std::string bank;
  TxLocation at;
};
std::optional<V1Event> ParseV1EventKey(std::string_view stored_key);
std::string WalPrefix();
std::string WalKeyOf(const consensus::WalKey& key, const crypto::Digest& record_hash);
std::optional<consensus::WalKey> ParseWalKey(std::string_view stored_key);

std::string EncodeLocation(const TxLocation& at);
std::optional<TxLocation> DecodeLocation(std::string_view value);

std::string EncodeMeta(const BlockMeta& meta);
Result<BlockMeta> DecodeMeta(std::uint64_t height, std::string_view value);

std::string EncodeHistoryValue(const std::optional<std::string>& value);
Result<std::optional<std::string>> DecodeHistoryValue(std::string_view value);

std::string EncodePrefixes(const std::vector<std::string>& prefixes);

}  // namespace colend::node::storage_keys

#endif  // COLEND_NODE_STORAGE_KEYS_H_
