#include "frame_codec.h"

#include <utility>

#include "colend/node/p2p_network.h"

namespace colend::node::internal {

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
