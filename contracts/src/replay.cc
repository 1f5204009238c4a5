#include "colend/contracts/replay.h"

#include <utility>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "colend/contracts/tx_json.h"
#include "colend/crypto/hash.h"

namespace colend::contracts {
namespace {

constexpr std::string_view kAdHocChainId = "colend-replay";

// The "id" of a line that did not parse, if one can be read: the receipt keeps it so a
// reader can find the transaction. Best effort; never fails.
std::string IdOf(std::string_view line) {
  const std::size_t key = line.find("\"id\"");
  if (key == std::string_view::npos) return "";
  std::size_t open = line.find('"', line.find(':', key + 4));
  if (open == std::string_view::npos) return "";
  const std::size_t close = line.find('"', open + 1);
  if (close == std::string_view::npos || close - open > 65) return "";
  return std::string(line.substr(open + 1, close - open - 1));
}

}  // namespace

// The body's bytes with map entries in key order. A replayed line was never signed, so
// these bytes stand in for the signer's; deterministic serialisation makes the transaction
// hash (and so the state root) the same on every run and every machine. (Protobuf's default
// serialisation writes map entries in an order that varies between map instances.)
std::string ReplayBodyBytes(const proto::TransactionBody& body) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    body.SerializeToCodedStream(&coded);
  }
  return out;
}

Replayer::Replayer(std::string chain_id, crypto::CryptoSuite suite)
    : chain_id_(std::move(chain_id)), suite_(suite), state_(suite.hash()) {}

Status Replayer::Init(const InitialState& initial) {
  COLEND_ASSIGN_OR_RETURN(WriteSet writes, BuildInitialState(initial));
  state_.Commit(writes);
  return Status::Ok();
}

Result<std::unique_ptr<Replayer>> Replayer::FromGenesis(const Genesis& genesis) {
  std::unique_ptr<Replayer> r(new Replayer(genesis.chain_id, genesis.suite));
  const InitialState initial = InitialStateFromGenesis(genesis);
  COLEND_RETURN_IF_ERROR(r->Init(initial));
  return r;
}

Result<std::unique_ptr<Replayer>> Replayer::FromBanks(const std::vector<std::string>& banks,
                                                      std::uint32_t min_funder_bp) {
  std::unique_ptr<Replayer> r(
      new Replayer(std::string(kAdHocChainId), crypto::CryptoSuite::Standard()));
  InitialState initial;
  for (const std::string& bank : banks) initial.members.push_back({bank, bank, {}, 0});
  initial.min_funder_bp = min_funder_bp;
  COLEND_RETURN_IF_ERROR(r->Init(initial));
  return r;
}

Result<proto::Receipt> Replayer::ApplyBody(proto::TransactionBody body) {
  if (body.chain_id().empty()) body.set_chain_id(chain_id_);
  const std::string bytes = ReplayBodyBytes(body);
  const crypto::Digest hash = crypto::Hash(suite_.hash(), AsBytes(bytes));
  BlockContext ctx;
  ctx.chain_id = chain_id_;
  ctx.suite = suite_;
  ctx.height = height_ + 1;
  ctx.block_time_ms = 0;
  ExecutableTx tx;
  tx.body = &body;
  tx.tx_hash = hash;
  tx.authentication = Authentication::kUnsignedReplay;
  StateView block(&state_);
  COLEND_ASSIGN_OR_RETURN(proto::Receipt receipt, Apply(tx, block, ctx));
  state_.Commit(block.TakeWrites());
  ++height_;
  ReceiptLine line;
  line.id = body.id();
  line.ok = receipt.status() == proto::RECEIPT_STATUS_OK;
  line.code = receipt.code();
  line.message = receipt.message();
  receipts_.push_back(std::move(line));
  return receipt;
}

Result<ReceiptLine> Replayer::ApplyLine(std::string_view line, std::uint64_t line_number) {
  auto body = TransactionBodyFromJson(line);
  if (!body.ok()) {
    ReceiptLine rejected;
    rejected.id = IdOf(line);
    rejected.code = "MALFORMED";
    rejected.message = "line " + std::to_string(line_number) + ": " + body.status().message();
    receipts_.push_back(rejected);
    return rejected;
  }
  COLEND_RETURN_IF_ERROR(ApplyBody(std::move(*body)).status());
  return receipts_.back();
}

Result<std::string> Replayer::Books() {
  BooksHeader header;
  header.height = height_;
  const crypto::Digest root = state_.Root();
  header.state_root.assign(root.begin(), root.end());
  return BooksJson(state_, state_, header, receipts_);
}

}  // namespace colend::contracts
