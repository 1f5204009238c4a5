#include "frame_codec.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <optional>
#include <utility>

#include "colend/node/p2p_network.h"

namespace colend::node::internal {
namespace {

using google::protobuf::internal::WireFormatLite;

// The number of field-1 entries in the message at top-level field `kind` of a serialised
// Frame (TxGossip.transactions, SyncResponse.blocks), read from the wire without building
// anything; nullopt if the bytes do not scan (the parse then refuses them).
std::optional<std::uint64_t> CountEntries(const std::string& body, std::uint32_t kind) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const std::uint8_t*>(body.data()),
                                            static_cast<int>(body.size()));
  std::uint64_t entries = 0;
  for (std::uint32_t tag = in.ReadTag(); tag != 0; tag = in.ReadTag()) {
    if (WireFormatLite::GetTagFieldNumber(tag) != static_cast<int>(kind) ||
        WireFormatLite::GetTagWireType(tag) != WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      if (!WireFormatLite::SkipField(&in, tag)) return std::nullopt;
      continue;
    }
    std::uint32_t length = 0;
    if (!in.ReadVarint32(&length)) return std::nullopt;
    const auto limit = in.PushLimit(static_cast<int>(length));
    for (std::uint32_t inner = in.ReadTag(); inner != 0; inner = in.ReadTag()) {
      if (WireFormatLite::GetTagFieldNumber(inner) == 1) ++entries;
      if (!WireFormatLite::SkipField(&in, inner)) return std::nullopt;
    }
    if (!in.ConsumedEntireMessage()) return std::nullopt;
    in.PopLimit(limit);
  }
  return entries;
}

}  // namespace

Result<EncodedFrame> EncodeFrame(const proto::Frame& frame, std::uint32_t max_frame_bytes) {
  if (frame.kind_case() == proto::Frame::KIND_NOT_SET) {
    return Status::InvalidArgument("frame has no kind");
  }
  if (frame.version() != 0 && frame.version() != kFrameVersion) {
    return Status::InvalidArgument("frame version " + std::to_string(frame.version()) + " is not " +
                                   std::to_string(kFrameVersion));
  }
  const proto::Frame* to_encode = &frame;
  proto::Frame versioned;
  if (frame.version() == 0) {
    versioned = frame;
    versioned.set_version(kFrameVersion);
    to_encode = &versioned;
  }
  const std::size_t size = to_encode->ByteSizeLong();
  if (size > max_frame_bytes) {
    return Status::InvalidArgument("frame of " + std::to_string(size) +
                                   " bytes exceeds the maximum of " +
                                   std::to_string(max_frame_bytes));
  }
  auto out = std::make_shared<std::string>(kLengthPrefixSize + size, '\0');
  (*out)[0] = static_cast<char>((size >> 24) & 0xff);
  (*out)[1] = static_cast<char>((size >> 16) & 0xff);
  (*out)[2] = static_cast<char>((size >> 8) & 0xff);
  (*out)[3] = static_cast<char>(size & 0xff);
  if (!to_encode->SerializeToArray(out->data() + kLengthPrefixSize, static_cast<int>(size))) {
    return Status::Internal("frame serialisation failed");
  }
  return EncodedFrame(std::move(out));
}

Result<std::uint32_t> DecodeLength(const std::array<std::uint8_t, kLengthPrefixSize>& prefix,
                                   std::uint32_t max_frame_bytes) {
  const std::uint32_t length = (std::uint32_t{prefix[0]} << 24) | (std::uint32_t{prefix[1]} << 16) |
                               (std::uint32_t{prefix[2]} << 8) | std::uint32_t{prefix[3]};
  if (length == 0) return Status::InvalidArgument("empty frame (length 0)");
  if (length > max_frame_bytes) {
    return Status::InvalidArgument("frame length " + std::to_string(length) +
                                   " exceeds the maximum of " + std::to_string(max_frame_bytes));
  }
  return length;
}

Result<proto::Frame> DecodeFrame(const std::string& body) {
  // Parsing builds an object per entry of a repeated field, so a frame of millions of
  // empty entries would take some fifty times its size in memory before anything could
  // refuse it. Entries are counted on the wire first.
  if (body.size() > kMinBytesPerEntry * kEntriesParsedUnchecked) {
    for (const std::uint32_t kind :
         {proto::Frame::kTxGossipFieldNumber, proto::Frame::kSyncResponseFieldNumber}) {
      const std::optional<std::uint64_t> entries = CountEntries(body, kind);
      if (entries.has_value() && *entries > body.size() / kMinBytesPerEntry) {
        return Status::InvalidArgument(
            "frame of " + std::to_string(body.size()) + " bytes holds " + std::to_string(*entries) +
            " transactions or blocks, fewer than " + std::to_string(kMinBytesPerEntry) +
            " bytes each, which no real one is");
      }
    }
  }
  proto::Frame frame;
  if (!frame.ParseFromString(body)) return Status::InvalidArgument("frame does not parse");
  if (frame.version() != kFrameVersion) {
    return Status::InvalidArgument("frame version " + std::to_string(frame.version()) + " is not " +
                                   std::to_string(kFrameVersion));
  }
  if (frame.kind_case() == proto::Frame::KIND_NOT_SET) {
    return Status::InvalidArgument("frame has no kind this version knows");
  }
  return frame;
}

}  // namespace colend::node::internal
