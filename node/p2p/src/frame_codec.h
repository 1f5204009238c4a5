// The wire form of a Frame: 4-byte big-endian length || serialised Frame (p2p.proto).
// Internal to colend_node_p2p.
#ifndef COLEND_NODE_P2P_SRC_FRAME_CODEC_H_
#define COLEND_NODE_P2P_SRC_FRAME_CODEC_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "colend/common/result.h"
#include "colend/common/status.h"
#include "colend/proto/p2p.pb.h"

namespace colend::node::internal {

inline constexpr std::size_t kLengthPrefixSize = 4;

// The largest frame a connection reads before its Hello (and so the largest Hello sent): a
// Hello is a few names and at most one commit certificate (a quorum of signed COMMITs, some
// 200 bytes each), so 256 KiB holds it for sets of a thousand validators.
inline constexpr std::uint32_t kMaxHelloFrameBytes = 256u << 10;

// Immutable encoded bytes, shared between the send queues of every peer of a Broadcast.
using EncodedFrame = std::shared_ptr<const std::string>;

// Prefix || serialised frame. A frame with version 0 is encoded as version kFrameVersion.
// Fails with InvalidArgument if the frame has another version, no kind, or its
// serialisation exceeds `max_frame_bytes`.
Result<EncodedFrame> EncodeFrame(const proto::Frame& frame, std::uint32_t max_frame_bytes);

// The length in a prefix; InvalidArgument when it is 0 or above `max_frame_bytes`.
Result<std::uint32_t> DecodeLength(const std::array<std::uint8_t, kLengthPrefixSize>& prefix,
                                   std::uint32_t max_frame_bytes);

// A serialised SignedTransaction or CertifiedBlock is never this small (a signature alone is
// about 70 bytes); a gossip or sync frame whose entries average less is refused unparsed.
inline constexpr std::size_t kMinBytesPerEntry = 64;
// Frames up to kMinBytesPerEntry times this many bytes are parsed without counting.
inline constexpr std::size_t kEntriesParsedUnchecked = 1024;

// Parses a frame body and checks its version and that it has a kind. A tx_gossip or
// sync_response frame over 64 KiB whose entries average under kMinBytesPerEntry bytes is
// refused (InvalidArgument) before it is parsed.
Result<proto::Frame> DecodeFrame(const std::string& body);

}  // namespace colend::node::internal

#endif  // COLEND_NODE_P2P_SRC_FRAME_CODEC_H_
