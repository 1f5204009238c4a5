// What a node's answer to sendTransaction means to colend-bench, and how long to wait
// before retrying a transaction the node answered BUSY.
//
// The node's answers (node/rpc/src/rpc_dispatcher.cc, node/txpool):
//   result {"tx_hash"}   admitted, or the identical transaction was already pending (the
//                        pool's idempotent kAlreadyPending): admitted either way;
//   -32004 "busy"        the pool is full or the node is shutting down; data may carry
//                        {"retry_after_ms": <int>, "reason": "<string>"} (older nodes send
//                        no data); also the RPC server's 503 beyond max_connections;
//   -32001 "rejected"    data {"code", "tx_hash"}. For a resubmission of the same signed
//                        bytes, DUPLICATE means the first attempt got in (pending under
//                        this very hash, or already on chain; the node cannot tell the
//                        bench which): admitted. colend-bench never signs two bodies with
//                        one (signer, id), so DUPLICATE on a resubmission cannot be another
//                        transaction's. On a first attempt it is a real refusal;
//   no answer            connection refused or reset, timeout, not JSON-RPC: the node is
//                        unreachable and the transaction goes to another node.
//
// Thread safety: pure functions.
#ifndef COLEND_TOOLS_BENCH_SEND_ANSWER_H_
#define COLEND_TOOLS_BENCH_SEND_ANSWER_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <boost/json/value.hpp>

#include "rpc_client.h"

namespace colend::bench {

inline constexpr std::int64_t kRpcBusy = -32004;
inline constexpr std::int64_t kRpcRejected = -32001;

enum class SendAnswer : std::uint8_t {
  kAdmitted,
  kAdmittedDuplicate,  // DUPLICATE of its own hash on a resubmission
  kBusy,
  kRefused,
  kUnreachable,
};

struct ClassifiedAnswer {
  SendAnswer kind = SendAnswer::kRefused;
  // kBusy: data.reason, else the message. kRefused: "<code> <message>". kUnreachable: the
  // transport failure.
  std::string reason;
  // kBusy: data.retry_after_ms when the node sent a usable one.
  std::optional<std::chrono::milliseconds> retry_after;
};

// `tx_hash`: the transaction's hash in hex; `resubmission`: an earlier attempt was sent.
ClassifiedAnswer ClassifySendAnswer(const tools::RpcResponse& response, const std::string& tx_hash,
                                    bool resubmission);

// The delay before the next attempt of a transaction that has now had `busy_answers`
// (>= 1) BUSY answers: the node's hint when there is one (capped at kMaxRetryHint, so a
// wild hint cannot park a transaction past the run), else 100 ms doubling with each BUSY
// answer of this transaction, at most 2 s.
inline constexpr std::chrono::milliseconds kMaxRetryHint{10'000};
std::chrono::milliseconds BusyRetryDelay(std::optional<std::chrono::milliseconds> hint,
                                         std::uint32_t busy_answers);

}  // namespace colend::bench

#endif  // COLEND_TOOLS_BENCH_SEND_ANSWER_H_
