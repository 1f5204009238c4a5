// The chain the consensus-facing fuzz targets pretend to be on: four validators, a verifier
// that accepts every validator's signature (so the fuzzer gets past signatures to the checks
// behind them), fresh replicas on a fixed genesis, and a fixed P-256 client key so signed
// seeds verify. Everything here is deterministic: the same input takes the same path.
#ifndef COLEND_TESTS_FUZZ_FUZZ_CHAIN_H_
#define COLEND_TESTS_FUZZ_FUZZ_CHAIN_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <google/protobuf/stubs/logging.h>

#include "colend/common/bytes.h"
#include "colend/common/result.h"
#include "colend/consensus/messages.h"
#include "colend/consensus/replica.h"
#include "colend/consensus/signer.h"
#include "colend/consensus/validator_set.h"
#include "colend/crypto/hash.h"
#include "colend/crypto/keys.h"
#include "fuzz_util.h"

namespace colend::fuzz {

// Protobuf logs every string field that is not UTF-8 while parsing; millions of inputs make
// that noise (and slow). Silenced for every target from start-up.
inline const bool kProtobufQuiet = (google::protobuf::SetLogHandler(nullptr), true);

// The four validators V0..V3 (n = 4, f = 1, quorum 3); V0 is the primary of view 0.
inline const std::vector<std::string>& ValidatorIds() {
  static const std::vector<std::string> ids = {"V0", "V1", "V2", "V3"};
  return ids;
}

inline const std::shared_ptr<const consensus::ValidatorSet>& Validators() {
  static const auto set = std::make_shared<const consensus::ValidatorSet>(
      consensus::ValidatorSet::Create(ValidatorIds()).value());
  return set;
}

// Accepts any signature of a known validator; kNotFound for anyone else (as the real
// keyring answers for a validator without a key).
class AcceptingVerifier final : public consensus::SignatureVerifier {
 public:
  Status Verify(std::string_view validator, ByteView, ByteView) const override {
    if (!Validators()->Contains(validator)) return Status::NotFound("no key for validator");
    return Status::Ok();
  }
};

// Signs nothing: the replica's own votes carry a fixed "signature" (nobody checks them here).
class NullSigner final : public consensus::MessageSigner {
 public:
  Result<Bytes> Sign(ByteView) const override { return Bytes{'s', 'i', 'g'}; }
};

inline const std::shared_ptr<const AcceptingVerifier>& Verifier() {
  static const auto verifier = std::make_shared<const AcceptingVerifier>();
  return verifier;
}

inline consensus::ChainContext Context() {
  consensus::ChainContext context;
  context.chain_id = kChainId;
  context.hash = crypto::HashAlgorithm::kSha256;
  context.validators = Validators().get();
  context.verifier = Verifier().get();
  return context;
}

inline crypto::Digest FixedDigest(std::uint8_t byte) {
  crypto::Digest d{};
  d.fill(byte);
  return d;
}

// Genesis of the fuzz chain: hash 0x11.., state root 0x22.., receipts root 0x33...
inline consensus::GenesisInfo Genesis() {
  consensus::GenesisInfo g;
  g.hash = FixedDigest(0x11);
  g.state_root = FixedDigest(0x22);
  g.receipts_root = FixedDigest(0x33);
  g.timestamp_ms = kGenesisTimeMs;
  return g;
}

// K = 4, W = 8, L = 1: small, so checkpoints and watermarks are within the fuzzer's reach.
inline consensus::ConsensusParams Params() {
  consensus::ConsensusParams p;
  p.checkpoint_period = 4;
  p.window = 8;
  p.execution_lag = 1;
  p.max_block_txs = 16;
  p.max_block_bytes = 1 << 16;
  p.max_clock_drift_ms = 5'000;
  p.batch_timeout_ms = 10;
  p.view_change_timeout_ms = 1'000;
  p.max_view_change_backoff = 3;
  return p;
}

// A replica of validator `self` on a new chain (recovered from an empty state).
inline std::unique_ptr<consensus::Replica> NewReplica(const std::string& self) {
  consensus::ReplicaOptions options;
  options.chain_id = kChainId;
  options.hash = crypto::HashAlgorithm::kSha256;
  options.self = self;
  options.validators = Validators();
  options.params = Params();
  options.genesis = Genesis();
  options.signer = std::make_shared<NullSigner>();
  options.verifier = Verifier();
  auto replica = consensus::Replica::Create(std::move(options));
  if (!replica.ok()) Fail("Replica::Create", replica.status().message());
  auto recovered = (*replica)->Recover(kNowMs, consensus::RecoveryState{});
  if (!recovered.ok()) Fail("Replica::Recover", recovered.status().message());
  return std::move(replica).value();
}

// A fixed P-256 client key (test only, never used anywhere else), so signed seeds verify.
inline constexpr char kClientKeyPem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgl23i9dH9A55aZLo0\n"
    "XltLKJ/9L5iMc7zGtAQwTn+1RTyhRANCAARjTXOfP+zXrT5MIKN1MZU2rXS82req\n"
    "ZpfNwsK7ybzEcGeF3EC8C2UBlJORnVXkXNXTKxtL0LTObWogimjVWRtn\n"
    "-----END PRIVATE KEY-----\n";

inline const crypto::PrivateKey& ClientKey() {
  static const crypto::PrivateKey key = [] {
    auto k = crypto::PrivateKey::FromPem(crypto::CryptoSuite::Standard(), kClientKeyPem);
    if (!k.ok()) Fail("client key", k.status().message());
    return std::move(k).value();
  }();
  return key;
}

}  // namespace colend::fuzz

#endif  // COLEND_TESTS_FUZZ_FUZZ_CHAIN_H_
