// The JSON shapes of the RPC results (docs/api.md): chain objects (transactions, receipts,
// blocks), contract records (loans, agreements, members, settlements) and the operations
// views. Amounts are strings of minor units, hashes lower-case hex, enums by the names of
// docs/api.md. Loans keep the books' shape ("status", "principal", "banks": {bank: {"share",
// "outstanding"}}) and add their other fields; settlements are the books' shape exactly.
//
// Thread safety: stateless functions.
#ifndef COLEND_NODE_RPC_SRC_RPC_RENDER_H_
#define COLEND_NODE_RPC_SRC_RPC_RENDER_H_

#include <boost/json.hpp>
#include <string_view>
#include <vector>

#include "colend/common/bytes.h"
#include "colend/common/result.h"
#include "colend/node/node_api.h"
#include "colend/proto/block.pb.h"
#include "colend/proto/state.pb.h"

namespace colend::node::rpc {

namespace json = boost::json;

// {"tx_hash", "key_id", "signature", "tx": <docs/api.md transaction object>} from the verbatim
// SignedTransaction bytes. kCorruption if they do not parse (the node stored them).
Result<json::object> TransactionJson(std::string_view signed_tx, ByteView tx_hash);

// getTransaction: TransactionJson plus "pending" and, once committed, "height", "index",
// "block_hash".
Result<json::object> TransactionLookupJson(const TransactionLookup& lookup, ByteView tx_hash);

// getTransactionReceipt: {"tx_hash", "height", "index", "block_hash", "status": "ok" |
// "rejected", "code"?, "message"?}. REQUIRES: lookup.receipt.has_value().
json::object ReceiptJson(const TransactionLookup& lookup, ByteView tx_hash);

// {"hash", "header": {...}, "transactions": [hashes] or [TransactionJson...],
// "certificate": {"height", "view", "block_hash", "commits": [{"validator", "commit",
// "signature"}]}}. kCorruption if the stored header or a transaction does not parse.
Result<json::object> BlockJson(const BlockLookup& block, bool full);

// Loans, agreements and settlement batches are rendered by the contracts
// (colend/contracts/records_json.h), like the books.
json::object MemberJson(const proto::MemberRecord& member);

json::object NodeInfoJson(const NodeInfo& info);
json::object PeerJson(const RpcPeerInfo& peer);
json::object ConsensusStatusJson(const ConsensusStatus& status);
json::object SyncStatusJson(const SyncStatus& status);

// A DER SubjectPublicKeyInfo as PEM text ("-----BEGIN PUBLIC KEY-----\n...").
std::string PublicKeyPem(ByteView der);

}  // namespace colend::node::rpc

#endif  // COLEND_NODE_RPC_SRC_RPC_RENDER_H_
