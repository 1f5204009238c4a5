// Fuzz target: a block with its commit certificate (block.proto CertifiedBlock), as sync and
// the block store hand it over: ParseBlock, VerifyCommitCertificate, VerifyCommitSignatures
// and Replica::OnSyncedBlock.
//
// Input: one flag byte || serialised CertifiedBlock. A fuzzer cannot find SHA-256 preimages,
// so the flags let the harness repair what only a hash can make consistent, and reach the
// checks behind it:
//   bit 0  header: chain id, tx_count and tx_root made to match the transactions
//   bit 1  certificate: block_hash and height made to match the (repaired) header
//   bit 2  each COMMIT entry: chain id, view, sequence and block hash made to match the
//          certificate
//   bit 3  header: height 1, parent = the genesis hash, a timestamp after genesis
//   bit 4  verify with real P-256 keys (ValidatorKeyring) instead of the accepting verifier:
//          the signature bytes then reach crypto::Verify's DER checks
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "colend/consensus/certificates.h"
#include "colend/consensus/messages.h"
#include "colend/consensus/signer.h"
#include "fuzz_chain.h"

using namespace colend;
using namespace colend::consensus;

namespace {

const SignatureVerifier& RealKeyring() {
  static const std::unique_ptr<ValidatorKeyring> keyring = [] {
    std::vector<std::pair<std::string, crypto::PublicKey>> keys;
    for (const std::string& id : fuzz::ValidatorIds()) {
      auto key = crypto::PrivateKey::Generate(crypto::CryptoSuite::Standard());
      if (!key.ok()) fuzz::Fail("key generation", key.status().message());
      keys.emplace_back(id, key->public_key());
    }
    auto made = ValidatorKeyring::Create(std::move(keys));
    if (!made.ok()) fuzz::Fail("keyring", made.status().message());
    return std::move(made).value();
  }();
  return *keyring;
}

void Repair(std::uint8_t flags, proto::CertifiedBlock& certified) {
  const crypto::HashAlgorithm hash = crypto::HashAlgorithm::kSha256;
  proto::Block& block = *certified.mutable_block();
  if (flags & 0x09) {
    proto::BlockHeader header;
    if (header.ParseFromString(block.header())) {
      if (flags & 0x01) {
        header.set_chain_id(fuzz::kChainId);
        header.set_tx_count(static_cast<std::uint32_t>(block.transactions_size()));
        std::vector<crypto::Digest> leaves;
        for (const std::string& tx : block.transactions()) leaves.push_back(TxLeafHash(hash, tx));
        header.set_tx_root(DigestBytes(TxRoot(hash, leaves)));
      }
      if (flags & 0x08) {
        const GenesisInfo g = fuzz::Genesis();
        header.set_height(1);
        header.set_parent_hash(DigestBytes(g.hash));
        if (header.timestamp_ms() <= g.timestamp_ms) header.set_timestamp_ms(g.timestamp_ms + 1);
      }
      block.set_header(header.SerializeAsString());
    }
  }
  proto::CommitCertificate& cert = *certified.mutable_certificate();
  if (flags & 0x02) {
    cert.set_block_hash(DigestBytes(BlockHash(hash, block.header())));
    proto::BlockHeader header;
    if (header.ParseFromString(block.header())) cert.set_height(header.height());
  }
  if (flags & 0x04) {
    for (proto::CommitSignature& entry : *cert.mutable_commits()) {
      proto::ConsensusMessage message;
      if (!message.ParseFromString(entry.commit())) continue;
      message.set_chain_id(fuzz::kChainId);
      proto::Commit& commit = *message.mutable_commit();
      commit.set_view(cert.view());
      commit.set_sequence(cert.height());
      commit.set_block_hash(cert.block_hash());
      entry.set_commit(message.SerializeAsString());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)RealKeyring();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t flags = data[0];
  proto::CertifiedBlock certified;
  if (!certified.ParseFromArray(data + 1, static_cast<int>(size - 1))) return 0;
  Repair(flags, certified);

  const SignatureVerifier& verifier =
      (flags & 0x10) ? RealKeyring() : static_cast<const SignatureVerifier&>(*fuzz::Verifier());
  const crypto::HashAlgorithm hash = crypto::HashAlgorithm::kSha256;
  Result<ParsedBlock> parsed = ParseBlock(certified.block(), fuzz::kChainId, hash);
  const Status full = VerifyCommitCertificate(certified.certificate(), certified.block(),
                                              *fuzz::Validators(), fuzz::kChainId, hash, verifier);
  const Status signatures = VerifyCommitSignatures(certified.certificate(), *fuzz::Validators(),
                                                   fuzz::kChainId, hash, verifier);
  // A certificate valid for its block is valid on its own signatures too.
  if (full.ok() && (!parsed.ok() || !signatures.ok())) {
    fuzz::Fail("VerifyCommitCertificate accepted what its parts refuse");
  }
  if (parsed.ok() && parsed->hash != BlockHash(hash, certified.block().header())) {
    fuzz::Fail("ParseBlock hash is not the hash of the header bytes");
  }

  std::unique_ptr<Replica> replica = fuzz::NewReplica("V1");
  Result<Actions> synced = replica->OnSyncedBlock(fuzz::kNowMs, certified);
  if (synced.ok() && (flags & 0x10) == 0 && !full.ok() && certified.certificate().height() == 1) {
    // The replica must not accept a height-1 block whose certificate does not verify.
    fuzz::Fail("OnSyncedBlock accepted a block with an invalid certificate", full.ToString());
  }
  return 0;
}
