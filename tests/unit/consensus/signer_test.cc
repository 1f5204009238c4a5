// The production signer and verifier (real ECDSA P-256 and SM2 keys), and envelopes built
// and opened with them.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "colend/consensus/messages.h"
#include "colend/consensus/signer.h"
#include "colend/crypto/signature.h"

namespace colend::consensus {
namespace {

class SignerTest : public ::testing::TestWithParam<crypto::CryptoSuite> {};

TEST_P(SignerTest, SignsTheDomainSeparatedBody) {
  const crypto::CryptoSuite suite = GetParam();
  crypto::PrivateKey a = crypto::PrivateKey::Generate(suite).value();
  crypto::PrivateKey b = crypto::PrivateKey::Generate(suite).value();
  const crypto::PublicKey a_public = a.public_key();
  const crypto::PublicKey b_public = b.public_key();
  auto keyring = ValidatorKeyring::Create({{"a", a_public}, {"b", b_public}}).value();
  NodeKeySigner signer(std::move(a));
  const Bytes body = ToBytes("a consensus message");
  const Bytes signature = signer.Sign(body).value();

  EXPECT_TRUE(keyring->Verify("a", body, signature).ok());
  // Exactly crypto::Sign's domain-separated form with "colend/consensus/v1".
  EXPECT_TRUE(crypto::Verify(a_public, kConsensusDomain, body, signature).ok());
  EXPECT_FALSE(crypto::Verify(a_public, "colend/tx/v1", body, signature).ok());
  EXPECT_FALSE(keyring->Verify("b", body, signature).ok());
  EXPECT_FALSE(keyring->Verify("a", ToBytes("another message"), signature).ok());
  EXPECT_EQ(keyring->Verify("c", body, signature).code(), StatusCode::kNotFound);
}

TEST_P(SignerTest, EnvelopesOpenOnlyWithTheRightKeyAndChain) {
  const crypto::CryptoSuite suite = GetParam();
  crypto::PrivateKey key = crypto::PrivateKey::Generate(suite).value();
  std::shared_ptr<const SignatureVerifier> keyring =
      ValidatorKeyring::Create({{"a", key.public_key()}}).value();
  const NodeKeySigner signer(std::move(key));
  const ValidatorSet validators = ValidatorSet::Create({"a"}).value();
  const ChainContext context{"chain-1", suite.hash(), &validators, keyring.get()};

  proto::ConsensusMessage message;
  message.set_chain_id("chain-1");
  message.mutable_prepare()->set_view(1);
  message.mutable_prepare()->set_sequence(2);
  message.mutable_prepare()->set_block_hash(std::string(32, 'h'));
  const proto::ConsensusEnvelope envelope = SealMessage(message, "a", signer).value();
  Result<OpenedMessage> opened = OpenEnvelope(envelope, context);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->message.prepare().sequence(), 2u);

  // Each refusal says why as a value (what the replica counts), not as a status code.
  auto refusal = [](const std::variant<OpenedMessage, RefusedEnvelope>& checked) {
    const auto* refused = std::get_if<RefusedEnvelope>(&checked);
    return refused == nullptr ? std::optional<EnvelopeRefusal>() : refused->reason;
  };
  EXPECT_EQ(refusal(CheckEnvelope(envelope, context)), std::nullopt);
  proto::ConsensusEnvelope tampered = envelope;
  tampered.mutable_body()->back() ^= 1;
  EXPECT_EQ(refusal(CheckEnvelope(tampered, context)), EnvelopeRefusal::kBadSignature);
  EXPECT_EQ(OpenEnvelope(tampered, context).status().code(), StatusCode::kPermissionDenied);
  proto::ConsensusEnvelope stranger = envelope;
  stranger.set_sender("z");
  EXPECT_EQ(refusal(CheckEnvelope(stranger, context)), EnvelopeRefusal::kUnknownSender);
  EXPECT_EQ(OpenEnvelope(stranger, context).status().code(), StatusCode::kNotFound);
  const ChainContext other_chain{"chain-2", suite.hash(), &validators, keyring.get()};
  EXPECT_EQ(refusal(CheckEnvelope(envelope, other_chain)), EnvelopeRefusal::kWrongChain);
  EXPECT_EQ(OpenEnvelope(envelope, other_chain).status().code(), StatusCode::kFailedPrecondition);
  const ChainContext other_epoch{"chain-1", suite.hash(), &validators, keyring.get(), 1};
  EXPECT_EQ(refusal(CheckEnvelope(envelope, other_epoch)), EnvelopeRefusal::kWrongEpoch);
  proto::ConsensusEnvelope padded = envelope;
  padded.add_transactions("tx");
  EXPECT_EQ(refusal(CheckEnvelope(padded, context)), EnvelopeRefusal::kMalformed);
}

INSTANTIATE_TEST_SUITE_P(Suites, SignerTest,
                         ::testing::Values(crypto::CryptoSuite::Standard(),
                                           crypto::CryptoSuite::Sm()),
                         [](const auto& param_info) {
                           return std::string(param_info.param.name());
                         });

TEST(ValidatorKeyringTest, RefusesSharedKeysAndRepeatedIds) {
  crypto::PrivateKey key = crypto::PrivateKey::Generate(crypto::CryptoSuite::Standard()).value();
  EXPECT_FALSE(ValidatorKeyring::Create({{"a", key.public_key()}, {"b", key.public_key()}}).ok());
  crypto::PrivateKey other = crypto::PrivateKey::Generate(crypto::CryptoSuite::Standard()).value();
  EXPECT_FALSE(ValidatorKeyring::Create({{"a", key.public_key()}, {"a", other.public_key()}}).ok());
  crypto::PrivateKey sm = crypto::PrivateKey::Generate(crypto::CryptoSuite::Sm()).value();
  EXPECT_FALSE(ValidatorKeyring::Create({{"a", key.public_key()}, {"b", sm.public_key()}}).ok());
}

// Counts the checks that reach the real keyring.
class CountingVerifier final : public SignatureVerifier {
 public:
  explicit CountingVerifier(std::shared_ptr<const SignatureVerifier> inner)
      : inner_(std::move(inner)) {}
  Status Verify(std::string_view validator, ByteView body, ByteView signature) const override {
    ++checks;
    return inner_->Verify(validator, body, signature);
  }
  mutable int checks = 0;

 private:
  std::shared_ptr<const SignatureVerifier> inner_;
};

TEST(CachingVerifierTest, ChecksEachSignedMessageOnceAndNeverRemembersAFailure) {
  crypto::PrivateKey a = crypto::PrivateKey::Generate(crypto::CryptoSuite::Standard()).value();
  crypto::PrivateKey b = crypto::PrivateKey::Generate(crypto::CryptoSuite::Standard()).value();
  std::shared_ptr<const SignatureVerifier> keyring =
      ValidatorKeyring::Create({{"a", a.public_key()}, {"b", b.public_key()}}).value();
  auto counting = std::make_shared<const CountingVerifier>(keyring);
  CachingVerifier cache(counting);
  const NodeKeySigner signer_a(std::move(a));
  const Bytes body = ToBytes("PREPARE v=1 s=7");
  const Bytes signature = signer_a.Sign(body).value();

  EXPECT_TRUE(cache.Verify("a", body, signature).ok());
  EXPECT_TRUE(cache.Verify("a", body, signature).ok());  // quoted again: no second check
  EXPECT_EQ(counting->checks, 1);
  EXPECT_EQ(cache.stats().hits, 1u);

  // The same signature claimed by another validator, over another body, or changed by a
  // byte, is not a hit: it is checked, fails, and fails again the next time.
  ASSERT_FALSE(signature.empty());
  Bytes tampered = signature;
  tampered[tampered.size() / 2] ^= 1;
  for (int round = 0; round < 2; ++round) {
    EXPECT_FALSE(cache.Verify("b", body, signature).ok());
    EXPECT_FALSE(cache.Verify("a", ToBytes("PREPARE v=1 s=8"), signature).ok());
    EXPECT_FALSE(cache.Verify("a", body, tampered).ok());
    EXPECT_EQ(cache.Verify("c", body, signature).code(), StatusCode::kNotFound);
  }
  EXPECT_EQ(counting->checks, 1 + 8);
  EXPECT_EQ(cache.stats().entries, 1u);
}

TEST(CachingVerifierTest, ForgetsTheOldestBeyondItsCapacity) {
  crypto::PrivateKey a = crypto::PrivateKey::Generate(crypto::CryptoSuite::Standard()).value();
  std::shared_ptr<const SignatureVerifier> keyring =
      ValidatorKeyring::Create({{"a", a.public_key()}}).value();
  auto counting = std::make_shared<const CountingVerifier>(keyring);
  CachingVerifier cache(counting, /*capacity=*/2);
  const NodeKeySigner signer(std::move(a));
  std::vector<std::pair<Bytes, Bytes>> messages;
  for (int i = 0; i < 3; ++i) {
    Bytes body = ToBytes("COMMIT s=" + std::to_string(i));
    Bytes signature = signer.Sign(body).value();
    messages.emplace_back(std::move(body), std::move(signature));
  }
  for (const auto& [body, signature] : messages) ASSERT_TRUE(cache.Verify("a", body, signature).ok());
  EXPECT_EQ(counting->checks, 3);
  EXPECT_EQ(cache.stats().entries, 2u);
  // The two newest are remembered; the first was forgotten and is checked again.
  EXPECT_TRUE(cache.Verify("a", messages[2].first, messages[2].second).ok());
  EXPECT_TRUE(cache.Verify("a", messages[1].first, messages[1].second).ok());
  EXPECT_EQ(counting->checks, 3);
  EXPECT_TRUE(cache.Verify("a", messages[0].first, messages[0].second).ok());
  EXPECT_EQ(counting->checks, 4);
}

TEST(MessagesTest, RefusesUnknownFieldsAndBadBlocks) {
  proto::ConsensusMessage message;
  message.set_chain_id("c");
  message.mutable_prepare()->set_view(1);
  std::string body = message.SerializeAsString();
  body += std::string("\xf8\x07\x01", 3);  // field 127, varint 1: unknown to this schema
  proto::ConsensusMessage parsed;
  ASSERT_TRUE(parsed.ParseFromString(body));
  EXPECT_TRUE(HasUnknownFields(parsed));
  EXPECT_FALSE(HasUnknownFields(message));

  proto::Block block;
  proto::BlockHeader header;
  header.set_chain_id("c");
  header.set_height(1);
  header.set_tx_count(1);
  block.add_transactions("tx");
  const crypto::Digest leaf = TxLeafHash(crypto::HashAlgorithm::kSha256, "tx");
  header.set_tx_root(DigestBytes(TxRoot(crypto::HashAlgorithm::kSha256, {&leaf, 1})));
  header.SerializeToString(block.mutable_header());
  EXPECT_TRUE(ParseBlock(block, "c", crypto::HashAlgorithm::kSha256).ok());
  EXPECT_FALSE(ParseBlock(block, "other", crypto::HashAlgorithm::kSha256).ok());
  proto::Block extra = block;
  extra.add_transactions("smuggled");
  EXPECT_FALSE(ParseBlock(extra, "c", crypto::HashAlgorithm::kSha256).ok());
  proto::Block swapped = block;
  swapped.set_transactions(0, "other tx");
  EXPECT_FALSE(ParseBlock(swapped, "c", crypto::HashAlgorithm::kSha256).ok());
}

}  // namespace
}  // namespace colend::consensus
