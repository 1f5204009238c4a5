// listEvents (docs/api.md): one bank's indexed events, a page at a time, and the JSON of
// one event. The index itself is the node's (BlockStore::ListEvents); this renders it.
//
// Thread safety: stateless functions.
#ifndef COLEND_NODE_RPC_SRC_EVENT_QUERIES_H_
#define COLEND_NODE_RPC_SRC_EVENT_QUERIES_H_

#include <boost/json.hpp>
#include <cstddef>

#include "colend/node/node_api.h"
#include "json_rpc.h"

namespace colend::node::rpc {

namespace json = boost::json;

// The method: params {bank, from_height?, from_index?, to_height?, limit?}; `max_limit` is
// the largest limit accepted (RpcOptions::max_list_limit).
MethodResult ListEventsMethod(NodeApi& node, const ParamReader& p, std::size_t max_limit);

// {"height", "index", "tx_hash", "status", "code"?, "message"?, "tx", "currency"?,
// "value_date"?, "postings": [...]}. kCorruption if the stored transaction does not parse.
Result<json::object> BankEventJson(const BankEvent& event);

// A journal component's docs/api.md name: "funding", "principal", "interest", ...
std::string PostingComponentName(int component);

}  // namespace colend::node::rpc

#endif  // COLEND_NODE_RPC_SRC_EVENT_QUERIES_H_
