// Replaying JSON-lines transactions (docs/api.md) through the contracts, without consensus or
// signatures: what colend-replay does, and what the golden and property tests drive.
//
// Each transaction is executed as a block of its own (height = number of transactions
// executed so far), so a line's receipt never depends on the lines after it. A line that
// is not a valid transaction object becomes a MALFORMED receipt (with its line number in
// the message) and is not executed; nothing a line contains can crash the replay.
//
// Thread safety: not thread-safe; one thread owns a Replayer.
#ifndef COLEND_CONTRACTS_REPLAY_H_
#define COLEND_CONTRACTS_REPLAY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "colend/common/result.h"
#include "colend/contracts/apply.h"
#include "colend/contracts/books.h"
#include "colend/contracts/genesis.h"
#include "colend/contracts/memory_state.h"
#include "colend/proto/tx.pb.h"

namespace colend::contracts {

// The bytes that stand for an unsigned body in a replay: its serialisation with map entries
// in key order, so that its hash (and the state root) is the same on every run and machine.
// (Protobuf's default serialisation orders map entries differently per map instance.)
std::string ReplayBodyBytes(const proto::TransactionBody& body);

class Replayer {
 public:
  // The chain of a genesis file: its members, keys, validators and rules.
  static Result<std::unique_ptr<Replayer>> FromGenesis(const Genesis& genesis);

  // An ad-hoc chain whose members are `banks` (member ids; no keys).
  static Result<std::unique_ptr<Replayer>> FromBanks(const std::vector<std::string>& banks,
                                                     std::uint32_t min_funder_bp = 0);

  // Parses and executes one JSON line. A line without a chain_id is for this chain.
  // Fails only if the state is damaged (never for a bad line).
  Result<ReceiptLine> ApplyLine(std::string_view line, std::uint64_t line_number);

  // Executes one transaction body (chain_id filled in when empty).
  Result<proto::Receipt> ApplyBody(proto::TransactionBody body);

  // The books JSON of everything applied so far, with every receipt in order.
  Result<std::string> Books();

  crypto::Digest StateRoot() { return state_.Root(); }
  const MemoryState& state() const { return state_; }
  const std::vector<ReceiptLine>& receipts() const { return receipts_; }
  std::uint64_t height() const { return height_; }
  const std::string& chain_id() const { return chain_id_; }

 private:
  Replayer(std::string chain_id, crypto::CryptoSuite suite);
  Status Init(const InitialState& initial);

  std::string chain_id_;
  crypto::CryptoSuite suite_;
  MemoryState state_;
  std::uint64_t height_ = 0;
  std::vector<ReceiptLine> receipts_;
};

}  // namespace colend::contracts

#endif  // COLEND_CONTRACTS_REPLAY_H_
