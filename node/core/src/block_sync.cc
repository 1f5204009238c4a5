#include "block_sync.h"

#include <algorithm>
#include <atomic>
#include <utility>

#include <spdlog/spdlog.h>

#include "colend/common/log_throttle.h"

namespace colend::node {

BlockSync::BlockSync(boost::asio::io_context& io, Host host, std::chrono::milliseconds timeout)
    : host_(std::move(host)), timeout_(timeout), timer_(io) {}

void BlockSync::Request(std::uint64_t target, const std::vector<std::string>& preferred) {
  if (target <= host_.stored_height()) return;
  if (target > target_) {
    target_ = target;
    target_published_.store(target);
  }
  if (!preferred.empty()) preferred_ = preferred;
  syncing_.store(true);
  if (!in_flight_) SendRequest();
}

void BlockSync::OnPeerDown(const std::string& peer) {
  if (in_flight_ && peer_ == peer) {
    in_flight_ = false;
    SendRequest();
  }
}

bool BlockSync::OnStored(std::uint64_t height) {
  if (target_ == 0 || height < target_) return false;
  target_ = 0;
  syncing_.store(false);
  return true;
}

void BlockSync::SendRequest() {
  const std::uint64_t stored = host_.stored_height();
  if (target_ <= stored) {
    target_ = 0;
    syncing_.store(false);
    return;
  }
  // The preferred peers first, then the other connected validators in turn.
  const std::vector<std::string> connected = host_.validators();
  std::vector<std::string> candidates;
  for (const std::string& p : preferred_) {
    if (std::find(connected.begin(), connected.end(), p) != connected.end()) {
      candidates.push_back(p);
    }
  }
  for (const std::string& p : connected) {
    if (std::find(candidates.begin(), candidates.end(), p) == candidates.end()) {
      candidates.push_back(p);
    }
  }
  if (candidates.empty()) return;  // asked again when a peer comes up (its Hello)
  peer_ = candidates[rotation_++ % candidates.size()];
  proto::Frame frame;
  frame.mutable_sync_request()->set_from_height(stored + 1);
  frame.mutable_sync_request()->set_max_blocks(kBatch);
  host_.send(peer_, std::move(frame));  // lost or not: the timeout asks another peer
  in_flight_ = true;
  timer_.expires_after(timeout_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) OnTimeout();
  });
}

void BlockSync::OnTimeout() {
  if (!in_flight_) return;
  spdlog::warn("sync: no answer from {}; asking another peer", peer_);
  in_flight_ = false;
  preferred_.clear();
  SendRequest();
}

void BlockSync::OnResponse(const std::string& peer, const proto::SyncResponse& response) {
  if (peer == peer_) {
    in_flight_ = false;
    timer_.cancel();
  }
  const std::uint64_t stored = host_.stored_height();
  // Still behind the peer asked, which gave blocks: keep going up to its height. Another
  // peer's answer (a late one, or one nobody asked for) may still carry blocks, each
  // verified below, but its claimed height moves nothing.
  if (peer == peer_ && response.blocks_size() > 0 && response.responder_height() > target_) {
    target_ = response.responder_height();
    target_published_.store(target_);
    syncing_.store(true);
  } else if (response.blocks_size() == 0 && response.responder_height() <= stored &&
             peer == peer_) {
    // Nothing more there: stop asking rather than loop (consensus asks again, rate-limited,
    // when it sees evidence of more).
    target_ = stored;
  }
  for (const proto::CertifiedBlock& block : response.blocks()) {
    std::string why;
    const Delivery delivery = host_.deliver(block, &why);
    if (delivery == Delivery::kAccepted) continue;
    if (delivery == Delivery::kHalted) return;
    if (delivery == Delivery::kNotNext) continue;
    if (delivery == Delivery::kEpochUnknown) break;
    // An authenticated peer could send these in a loop: logged at the 1st, 2nd, 4th, ...
    if (const std::uint64_t n = warnings_.Count(peer + " bad sync block")) {
      spdlog::warn("sync: peer {} sent a block that does not verify: {} ({} so far)", peer, why,
                   n);
    }
    preferred_.clear();
    break;
  }
  if (target_ > host_.stored_height()) {
    if (!in_flight_) SendRequest();
  } else {
    target_ = 0;
    syncing_.store(false);
  }
}

proto::SyncResponse BlockSync::Serve(const BlockStore& store, const proto::SyncRequest& request,
                                     std::size_t max_frame_bytes) {
  proto::SyncResponse response;
  const std::uint64_t height = store.height();
  const std::uint32_t max =
      std::min<std::uint32_t>(std::max<std::uint32_t>(request.max_blocks(), 1), kBatch);
  // Leave room under the frame limit; always send at least one block if there is one.
  const std::size_t budget = max_frame_bytes / 2;
  std::size_t bytes = 0;
  for (std::uint64_t h = request.from_height();
       h >= 1 && h <= height && response.blocks_size() < static_cast<int>(max); ++h) {
    Result<proto::CertifiedBlock> block = store.GetBlock(h);
    if (!block.ok()) {
      // A block at or below the stored height that cannot be read is this node's own
      // damage, not the peer's: say so (at the 1st, 2nd, 4th, ... time), and answer with
      // the blocks before it.
      static std::atomic<std::uint64_t> failures{0};
      const std::uint64_t n = ++failures;
      if (LogThisOccurrence(n)) {
        spdlog::error("sync: cannot read stored block {} to serve a peer: {} ({} times so far)", h,
                      block.status().ToString(), n);
      }
      break;
    }
    const std::size_t size = block->ByteSizeLong();
    if (response.blocks_size() > 0 && bytes + size > budget) break;
    bytes += size;
    *response.add_blocks() = std::move(block).value();
  }
  response.set_responder_height(height);
  return response;
}

}  // namespace colend::node
