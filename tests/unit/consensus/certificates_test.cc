// VerifyCommitCertificate: what any client can check with the validator set alone.
#include <gtest/gtest.h>

#include "colend/consensus/certificates.h"
#include "colend/consensus/messages.h"
#include "harness.h"

namespace colend::consensus::testing {
namespace {

class CommitCertificateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h_.StartAll();
    h_.Submit("tx-a");
    h_.Submit("tx-b");
    h_.Run(100);
    ASSERT_GE(h_.Committed(1), 1u);
    commit_ = h_.node(1).commits[0];
    ASSERT_EQ(commit_.certificate.commits_size(), 3);  // exactly a quorum, sorted by id
  }

  Status Verify(const proto::CommitCertificate& certificate) const {
    return VerifyCommitCertificate(certificate, commit_.block, h_.validators(), kChainId,
                                   crypto::HashAlgorithm::kSha256, h_.verifier());
  }

  // A properly signed COMMIT from validator i, for other values.
  // A validator whose COMMIT is not in the certificate.
  std::size_t Missing() const {
    for (std::size_t i = 0; i < h_.size(); ++i) {
      bool present = false;
      for (const auto& e : commit_.certificate.commits()) present |= e.validator() == h_.id(i);
      if (!present) return i;
    }
    ADD_FAILURE() << "certificate names every validator";
    return 0;
  }

  proto::CommitSignature Entry(std::size_t i, std::uint64_t view, std::uint64_t height,
                               const std::string& hash) const {
    const proto::ConsensusEnvelope envelope = h_.Sign(i, CommitMessage(view, height, hash));
    proto::CommitSignature entry;
    entry.set_validator(envelope.sender());
    entry.set_commit(envelope.body());
    entry.set_signature(envelope.signature());
    return entry;
  }

  Harness h_{4};
  CommitAction commit_;
};

TEST_F(CommitCertificateTest, ValidCertificateVerifies) {
  EXPECT_TRUE(Verify(commit_.certificate).ok());
  for (int i = 1; i < commit_.certificate.commits_size(); ++i) {
    EXPECT_LT(commit_.certificate.commits(i - 1).validator(),
              commit_.certificate.commits(i).validator());
  }
}

TEST_F(CommitCertificateTest, TooFewEntries) {
  proto::CommitCertificate cert = commit_.certificate;
  cert.mutable_commits()->RemoveLast();
  EXPECT_EQ(Verify(cert).code(), StatusCode::kPermissionDenied);
}

TEST_F(CommitCertificateTest, DuplicateValidatorCountsForNeither) {
  proto::CommitCertificate cert = commit_.certificate;
  *cert.add_commits() = cert.commits(0);  // 4 entries, 3 distinct
  EXPECT_EQ(Verify(cert).code(), StatusCode::kPermissionDenied);
  proto::CommitCertificate padded = commit_.certificate;
  *padded.mutable_commits(2) = padded.commits(1);
  EXPECT_FALSE(Verify(padded).ok());
}

TEST_F(CommitCertificateTest, ForgedSignature) {
  proto::CommitCertificate cert = commit_.certificate;
  std::string signature = cert.commits(0).signature();
  signature[0] ^= 1;
  cert.mutable_commits(0)->set_signature(signature);
  EXPECT_FALSE(Verify(cert).ok());
  // Another validator's name on a valid entry: the signature does not verify for it.
  proto::CommitCertificate renamed = commit_.certificate;
  renamed.mutable_commits(0)->set_validator(h_.id(Missing()));
  EXPECT_FALSE(Verify(renamed).ok());
  proto::CommitCertificate stranger = commit_.certificate;
  stranger.mutable_commits(0)->set_validator("mallory");
  EXPECT_FALSE(Verify(stranger).ok());
}

TEST_F(CommitCertificateTest, EntriesForAnotherViewHeightOrBlock) {
  const std::size_t missing = Missing();
  const std::string hash = commit_.certificate.block_hash();
  for (const proto::CommitSignature& wrong :
       {Entry(missing, 1, commit_.height, hash),                   // wrong view
        Entry(missing, 0, commit_.height + 1, hash),               // wrong height
        Entry(missing, 0, commit_.height, std::string(32, 'x'))})  // wrong block hash
  {
    proto::CommitCertificate cert = commit_.certificate;
    *cert.mutable_commits(0) = wrong;
    EXPECT_FALSE(Verify(cert).ok());
  }
  // The same valid entries claimed for another view: each entry now mismatches.
  proto::CommitCertificate relabelled = commit_.certificate;
  relabelled.set_view(7);
  EXPECT_FALSE(Verify(relabelled).ok());
}

TEST_F(CommitCertificateTest, CertificateForAnotherBlock) {
  proto::CommitCertificate cert = commit_.certificate;
  cert.set_block_hash(std::string(32, 'x'));
  EXPECT_EQ(Verify(cert).code(), StatusCode::kInvalidArgument);
  proto::CommitCertificate higher = commit_.certificate;
  higher.set_height(commit_.height + 1);
  EXPECT_EQ(Verify(higher).code(), StatusCode::kInvalidArgument);
  // The right header with a transaction swapped: tx_root no longer matches.
  proto::Block block = commit_.block;
  block.set_transactions(0, "forged");
  EXPECT_FALSE(VerifyCommitCertificate(commit_.certificate, block, h_.validators(), kChainId,
                                       crypto::HashAlgorithm::kSha256, h_.verifier())
                   .ok());
  // Another chain.
  EXPECT_FALSE(VerifyCommitCertificate(commit_.certificate, commit_.block, h_.validators(),
                                       "other-chain", crypto::HashAlgorithm::kSha256, h_.verifier())
                   .ok());
}

TEST_F(CommitCertificateTest, NonCommitEntriesDoNotCount) {
  proto::CommitCertificate cert = commit_.certificate;
  const proto::ConsensusEnvelope prepare =
      h_.Sign(h_.IndexOf(cert.commits(0).validator()),
              PrepareMessage(0, commit_.height, cert.block_hash()));
  cert.mutable_commits(0)->set_commit(prepare.body());
  cert.mutable_commits(0)->set_signature(prepare.signature());
  EXPECT_FALSE(Verify(cert).ok());
}

TEST_F(CommitCertificateTest, ExtraValidEntryStillVerifies) {
  proto::CommitCertificate cert = commit_.certificate;
  const std::size_t missing = Missing();
  *cert.add_commits() = Entry(missing, cert.view(), cert.height(), cert.block_hash());
  EXPECT_TRUE(Verify(cert).ok());
  // And one bad entry among a quorum of good ones does not spoil it.
  std::string signature = cert.commits(3).signature();
  signature[0] ^= 1;
  cert.mutable_commits(3)->set_signature(signature);
  EXPECT_TRUE(Verify(cert).ok());
}

}  // namespace
}  // namespace colend::consensus::testing
