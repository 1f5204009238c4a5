#include "rpc_render.h"

#include <string>

#include "colend/contracts/books.h"
#include "colend/contracts/tx_json.h"
#include "colend/proto/tx.pb.h"

namespace colend::node::rpc {
namespace {

std::string Str(std::int64_t minor) {
  return std::to_string(minor);
}

// "LOAN_STATUS_ACTIVE" -> "ACTIVE"; an unnamed number -> its digits.
std::string EnumName(const std::string& full, std::string_view prefix, int number) {
  if (full.empty()) return std::to_string(number);
  std::string_view name = full;
  if (name.substr(0, prefix.size()) == prefix) name.remove_prefix(prefix.size());
  return std::string(name);
}

std::string Hex(const std::string& s) {
  return ToHex(AsBytes(s));
}

Result<json::object> HeaderJson(const std::string& header_bytes) {
  proto::BlockHeader h;
  if (!h.ParseFromString(header_bytes)) {
    return Status::Corruption("stored block header does not parse");
  }
  json::object out;
  out["chain_id"] = h.chain_id();
  out["height"] = h.height();
  out["parent_hash"] = Hex(h.parent_hash());
  out["tx_root"] = Hex(h.tx_root());
  out["receipts_root"] = Hex(h.receipts_root());
  out["state_root"] = Hex(h.state_root());
  out["timestamp_ms"] = h.timestamp_ms();
  out["proposer"] = h.proposer();
  out["view"] = h.view();
  out["tx_count"] = h.tx_count();
  return out;
}

void Base64Append(ByteView in, std::string& out) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const std::uint32_t n =
        (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8) | in[i + 2];
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i + 1 == in.size()) {
    const std::uint32_t n = std::uint32_t{in[i]} << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    const std::uint32_t n = (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += '=';
  }
}

}  // namespace

std::string PublicKeyPem(ByteView der) {
  std::string b64;
  Base64Append(der, b64);
  std::string out = "-----BEGIN PUBLIC KEY-----\n";
  for (std::size_t i = 0; i < b64.size(); i += 64) out += b64.substr(i, 64) + "\n";
  return out + "-----END PUBLIC KEY-----\n";
}

Result<json::object> TransactionJson(std::string_view signed_tx, ByteView tx_hash) {
  proto::SignedTransaction envelope;
  if (!envelope.ParseFromArray(signed_tx.data(), static_cast<int>(signed_tx.size()))) {
    return Status::Corruption("stored transaction " + ToHex(tx_hash) + " does not parse");
  }
  proto::TransactionBody body;
  if (!body.ParseFromString(envelope.body())) {
    return Status::Corruption("stored transaction body " + ToHex(tx_hash) + " does not parse");
  }
  json::object out;
  out["tx_hash"] = ToHex(tx_hash);
  out["key_id"] = Hex(envelope.key_id());
  out["signature"] = Hex(envelope.signature());
  // The contracts' codec (docs/api.md) gives the object itself: nothing is parsed back.
  out["tx"] = contracts::TransactionBodyJson(body);
  return out;
}

Result<json::object> TransactionLookupJson(const TransactionLookup& lookup, ByteView tx_hash) {
  COLEND_ASSIGN_OR_RETURN(json::object out, TransactionJson(lookup.signed_tx, tx_hash));
  out["pending"] = lookup.pending;
  if (!lookup.pending) {
    out["height"] = lookup.height;
    out["index"] = lookup.index;
    out["block_hash"] = ToHex(lookup.block_hash);
  }
  return out;
}

json::object ReceiptJson(const TransactionLookup& lookup, ByteView tx_hash) {
  const proto::Receipt& r = *lookup.receipt;
  json::object out;
  out["tx_hash"] = ToHex(tx_hash);
  out["height"] = lookup.height;
  out["index"] = lookup.index;
  out["block_hash"] = ToHex(lookup.block_hash);
  const bool ok = r.status() == proto::RECEIPT_STATUS_OK;
  out["status"] = ok ? "ok" : "rejected";
  if (!ok) {
    out["code"] = r.code();
    out["message"] = r.message();
  }
  return out;
}

Result<json::object> BlockJson(const BlockLookup& lookup, bool full) {
  const proto::Block& block = lookup.block.block();
  json::object out;
  out["hash"] = ToHex(lookup.block_hash);
  COLEND_ASSIGN_OR_RETURN(json::object header, HeaderJson(block.header()));
  out["header"] = std::move(header);
  json::array txs;
  for (int i = 0; i < block.transactions_size(); ++i) {
    const std::size_t n = static_cast<std::size_t>(i);
    const Bytes hash = n < lookup.tx_hashes.size() ? lookup.tx_hashes[n] : Bytes();
    if (full) {
      COLEND_ASSIGN_OR_RETURN(json::object tx, TransactionJson(block.transactions(i), hash));
      txs.push_back(std::move(tx));
    } else {
      txs.push_back(json::string(ToHex(hash)));
    }
  }
  out["transactions"] = std::move(txs);
  const proto::CommitCertificate& cert = lookup.block.certificate();
  json::object c;
  c["height"] = cert.height();
  c["view"] = cert.view();
  c["block_hash"] = Hex(cert.block_hash());
  json::array commits;
  for (const proto::CommitSignature& s : cert.commits()) {
    json::object o;
    o["validator"] = s.validator();
    o["commit"] = Hex(s.commit());
    o["signature"] = Hex(s.signature());
    commits.push_back(std::move(o));
  }
  c["commits"] = std::move(commits);
  out["certificate"] = std::move(c);
  return out;
}

json::object MemberJson(const proto::MemberRecord& m) {
  json::array keys;
  for (const proto::ClientKey& k : m.client_keys()) {
    json::object o;
    o["key_id"] = Hex(k.key_id());
    o["public_key"] = PublicKeyPem(AsBytes(k.public_key()));
    keys.push_back(std::move(o));
  }
  json::object out;
  out["id"] = m.id();
  out["legal_name"] = m.legal_name();
  out["status"] = EnumName(proto::MemberStatus_Name(m.status()), "MEMBER_STATUS_", m.status());
  out["tier1_capital"] = Str(m.tier1_capital());
  out["client_keys"] = std::move(keys);
  return out;
}

json::object NodeInfoJson(const NodeInfo& info) {
  json::object out;
  out["node_id"] = info.node_id;
  out["member_id"] = info.member_id;
  out["chain_id"] = info.chain_id;
  out["crypto_suite"] = info.suite.name();
  out["version"] = info.version;
  out["genesis_hash"] = ToHex(info.genesis_hash);
  out["height"] = info.height;
  out["executed_height"] = info.executed_height;
  out["state_root"] = ToHex(info.state_root);
  out["pool_size"] = info.pool_size;
  out["pool_capacity"] = info.pool_capacity;
  return out;
}

json::object PeerJson(const RpcPeerInfo& p) {
  json::object out;
  out["node_id"] = p.node_id;
  out["address"] = p.address;
  out["connected"] = p.connected;
  out["best_height"] = p.best_height;
  out["messages_sent"] = p.messages_sent;
  out["messages_received"] = p.messages_received;
  out["bytes_sent"] = p.bytes_sent;
  out["bytes_received"] = p.bytes_received;
  out["reconnects"] = p.reconnects;
  return out;
}

json::object ConsensusStatusJson(const ConsensusStatus& s) {
  json::object counters;
  for (const auto& [name, value] : s.counters) counters[name] = value;
  json::object out;
  out["view"] = s.view;
  out["primary"] = s.primary;
  out["view_change_in_progress"] = s.view_change_in_progress;
  out["low_watermark"] = s.low_watermark;
  out["high_watermark"] = s.high_watermark;
  out["stable_checkpoint"] = s.stable_checkpoint;
  out["committed_height"] = s.committed_height;
  out["executed_height"] = s.executed_height;
  out["epoch"] = s.epoch;
  out["epoch_start"] = s.epoch_start;
  out["epoch_end"] = s.epoch_end;
  out["observer"] = s.observer;
  out["counters"] = std::move(counters);
  return out;
}

json::object SyncStatusJson(const SyncStatus& s) {
  json::object out;
  out["syncing"] = s.syncing;
  out["current_height"] = s.current_height;
  out["target_height"] = s.target_height;
  return out;
}

}  // namespace colend::node::rpc
