// Fuzz target: a signed transaction as it arrives from a client or a peer (sendTransaction,
// TxGossip, a block's transactions): contracts::DecodeTransaction under both suites, then the
// signature check against a fixed key, and the body's JSON rendering (getTransaction).
// The same bytes are also read as a bare TransactionBody (strict encoding, shape, enums), so
// one corpus exercises the envelope and the body.
#include <cstddef>
#include <cstdint>
#include <string>

#include "colend/contracts/tx_decode.h"
#include "colend/contracts/tx_json.h"
#include "colend/crypto/signature.h"
#include "fuzz_chain.h"

using namespace colend;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView bytes(data, size);
  for (const crypto::CryptoSuite suite :
       {crypto::CryptoSuite::Standard(), crypto::CryptoSuite::Sm()}) {
    Result<contracts::DecodedTransaction> tx = contracts::DecodeTransaction(bytes, suite);
    if (!tx.ok()) continue;
    if (tx->tx_hash.size() != 32) fuzz::Fail("tx_hash is not 32 bytes");
    if (tx->raw != Bytes(data, data + size)) fuzz::Fail("raw bytes not kept verbatim");
    if (suite == crypto::CryptoSuite::Standard()) {
      // Whatever the signature bytes are, the answer is a Status, never a crash.
      (void)contracts::VerifyTransactionSignature(*tx, fuzz::ClientKey().public_key());
      (void)crypto::Verify(fuzz::ClientKey().public_key(), contracts::kTransactionSignatureDomain,
                           AsBytes(tx->envelope.body()), AsBytes(tx->envelope.signature()));
    }
    // A decoded body always prints (tx_json.h: "Never fails").
    const std::string json = contracts::TransactionBodyToJson(tx->body);
    (void)contracts::TransactionBodyFromJson(json);
  }

  // The same bytes as a body alone.
  const Status strict =
      contracts::CheckStrictEncoding(bytes, *proto::TransactionBody::descriptor());
  proto::TransactionBody body;
  if (body.ParseFromArray(data, static_cast<int>(size))) {
    (void)contracts::CheckNoUnknownFields(body);
    (void)contracts::CheckEnumValues(body);
    const Status shape = contracts::ValidateBodyShape(body);
    // Any parsed body prints, even one the decoder refuses.
    const std::string json = contracts::TransactionBodyToJson(body);
    (void)contracts::TransactionBodyFromJson(json);
    (void)strict;
    (void)shape;
  }
  return 0;
}
