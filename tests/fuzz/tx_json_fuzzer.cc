// Fuzz target: a transaction as JSON (docs/api.md, "Transactions as JSON"), as colend-cli and
// colend-replay read it from banks' systems: contracts::TransactionBodyFromJson. A body it
// accepts must print and read back to the same body (tx_json.h promises the round trip).
#include <cstddef>
#include <cstdint>
#include <string>

#include <google/protobuf/util/message_differencer.h>

#include "colend/contracts/tx_decode.h"
#include "colend/contracts/tx_json.h"
#include "fuzz_chain.h"

using namespace colend;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Result<proto::TransactionBody> body = contracts::TransactionBodyFromJson(fuzz::AsView(data, size));
  if (!body.ok()) return 0;
  const std::string json = contracts::TransactionBodyToJson(*body);
  Result<proto::TransactionBody> again = contracts::TransactionBodyFromJson(json);
  if (!again.ok()) fuzz::Fail("printed JSON does not read back", again.status().ToString() + " in " + json);
  if (!google::protobuf::util::MessageDifferencer::Equals(*body, *again)) {
    fuzz::Fail("JSON round trip changed the body", json);
  }
  if (contracts::TransactionBodyToJson(*again) != json) fuzz::Fail("JSON printing is not stable", json);
  // What the CLI does next: check the shape, then sign.
  if (contracts::ValidateBodyShape(*body).ok()) {
    Result<Bytes> signed_tx = contracts::SignTransaction(*body, fuzz::ClientKey());
    if (!signed_tx.ok()) fuzz::Fail("SignTransaction", signed_tx.status().ToString());
    // tx_decode.h: ValidateBodyShape refuses what DecodeTransaction would, so what the CLI
    // signs after it must decode and verify at the node.
    Result<contracts::DecodedTransaction> decoded =
        contracts::DecodeTransaction(*signed_tx, crypto::CryptoSuite::Standard());
    if (!decoded.ok()) fuzz::Fail("signed body does not decode", decoded.status().ToString() + " for " + json);
    const Status verified =
        contracts::VerifyTransactionSignature(*decoded, fuzz::ClientKey().public_key());
    if (!verified.ok()) fuzz::Fail("own signature does not verify", verified.ToString());
  }
  return 0;
}
