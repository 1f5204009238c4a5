// Fuzz target: what a peer sends on a p2p connection (p2p.proto): the 4-byte length prefix
// (DecodeLength), the frame (DecodeFrame), and then what the node does with each kind before
// trusting it: a Hello's commit certificate (VerifyCommitSignatures, as Node::Impl::OnPeerUp),
// a consensus envelope (OpenEnvelope), gossiped transactions (DecodeTransaction), synced
// blocks (ParseBlock, VerifyCommitCertificate, Replica::OnSyncedBlock).
// Input: prefix (4 bytes) || frame body.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "colend/consensus/certificates.h"
#include "colend/contracts/tx_decode.h"
#include "frame_codec.h"
#include "fuzz_chain.h"

using namespace colend;
namespace p2p = colend::node::internal;

namespace {

constexpr std::uint32_t kMaxFrameBytes = 64u << 20;  // node.toml's default
constexpr int kMaxItems = 32;                        // per frame, to keep one input cheap

void CheckFrame(const proto::Frame& frame) {
  const consensus::ChainContext context = fuzz::Context();
  switch (frame.kind_case()) {
    case proto::Frame::kHello: {
      const proto::Hello& hello = frame.hello();
      if (hello.has_best_certificate() && hello.best_certificate().height() == hello.best_height()) {
        (void)consensus::VerifyCommitSignatures(hello.best_certificate(), *fuzz::Validators(),
                                                fuzz::kChainId, crypto::HashAlgorithm::kSha256,
                                                *fuzz::Verifier());
      }
      break;
    }
    case proto::Frame::kConsensus:
      (void)consensus::OpenEnvelope(frame.consensus(), context);
      break;
    case proto::Frame::kTxGossip: {
      int n = 0;
      for (const std::string& tx : frame.tx_gossip().transactions()) {
        if (++n > kMaxItems) break;
        (void)contracts::DecodeTransaction(AsBytes(tx), crypto::CryptoSuite::Standard());
      }
      break;
    }
    case proto::Frame::kSyncResponse: {
      std::unique_ptr<consensus::Replica> replica;
      int n = 0;
      for (const proto::CertifiedBlock& block : frame.sync_response().blocks()) {
        if (++n > kMaxItems) break;
        (void)consensus::ParseBlock(block.block(), fuzz::kChainId, crypto::HashAlgorithm::kSha256);
        (void)consensus::VerifyCommitCertificate(block.certificate(), block.block(),
                                                 *fuzz::Validators(), fuzz::kChainId,
                                                 crypto::HashAlgorithm::kSha256, *fuzz::Verifier());
        if (!replica) replica = fuzz::NewReplica("V1");
        (void)replica->OnSyncedBlock(fuzz::kNowMs, block);
      }
      break;
    }
    default:
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < p2p::kLengthPrefixSize) return 0;
  std::array<std::uint8_t, p2p::kLengthPrefixSize> prefix{};
  for (std::size_t i = 0; i < prefix.size(); ++i) prefix[i] = data[i];
  Result<std::uint32_t> hello_length = p2p::DecodeLength(prefix, p2p::kMaxHelloFrameBytes);
  Result<std::uint32_t> length = p2p::DecodeLength(prefix, kMaxFrameBytes);
  if (hello_length.ok() && (*hello_length == 0 || *hello_length > p2p::kMaxHelloFrameBytes)) {
    fuzz::Fail("DecodeLength accepted a length outside its bound");
  }
  if (length.ok() && (*length == 0 || *length > kMaxFrameBytes)) {
    fuzz::Fail("DecodeLength accepted a length outside its bound");
  }

  const std::string body(reinterpret_cast<const char*>(data) + p2p::kLengthPrefixSize,
                         size - p2p::kLengthPrefixSize);
  Result<proto::Frame> frame = p2p::DecodeFrame(body);
  if (!frame.ok()) return 0;

  // A frame that decoded encodes again and decodes back (what a relaying node would send).
  Result<p2p::EncodedFrame> encoded = p2p::EncodeFrame(*frame, kMaxFrameBytes);
  if (!encoded.ok()) fuzz::Fail("EncodeFrame refused a decoded frame", encoded.status().ToString());
  const std::string& wire = **encoded;
  std::array<std::uint8_t, p2p::kLengthPrefixSize> prefix2{};
  for (std::size_t i = 0; i < prefix2.size(); ++i) prefix2[i] = static_cast<std::uint8_t>(wire[i]);
  Result<std::uint32_t> length2 = p2p::DecodeLength(prefix2, kMaxFrameBytes);
  if (!length2.ok() || *length2 != wire.size() - p2p::kLengthPrefixSize) {
    fuzz::Fail("encoded prefix does not match the frame");
  }
  Result<proto::Frame> frame2 = p2p::DecodeFrame(wire.substr(p2p::kLengthPrefixSize));
  if (!frame2.ok() || frame2->kind_case() != frame->kind_case()) {
    fuzz::Fail("re-encoded frame does not decode");
  }

  CheckFrame(*frame);
  return 0;
}
