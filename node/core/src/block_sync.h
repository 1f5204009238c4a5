// BlockSync: block sync between validators, both sides (docs/architecture.md, "Block sync").
//
// Client: a node that learns of committed blocks above its store (consensus evidence, a
// peer's Hello with its commit certificate, a re-proposed block it holds by header only)
// asks one connected validator at a time for the next certified blocks, at most kBatch per
// request, from its stored height + 1. The peers it was pointed at go first, then every
// other connected validator in turn. No answer within the timeout, a peer that goes down,
// or a block that does not verify: the next peer. The peer asked, answering with blocks and
// a higher height of its own, raises the target: consensus asks only for what it has
// evidence of, and the peers may be further on (no other peer's answer raises it); one that
// has nothing more ends the round. Every block is handed to the consensus core, which
// verifies it against the validator set of its height before the node executes it
// (ActionLoop::OnSyncedBlock).
//
// Server: Serve answers a request from the store, at most kBatch blocks and about half a
// frame, and always at least one block when there is one.
//
// Ownership: borrows the io_context its timer runs on; the Host callbacks must outlive it.
// Thread safety: the event loop only (the io_context's thread); status() from any thread.
#ifndef COLEND_NODE_CORE_BLOCK_SYNC_H_
#define COLEND_NODE_CORE_BLOCK_SYNC_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "colend/common/log_throttle.h"
#include "colend/common/status.h"
#include "colend/node/block_store.h"
#include "colend/proto/p2p.pb.h"

namespace colend::node {

class BlockSync {
 public:
  static constexpr std::uint32_t kBatch = 64;
  static constexpr std::chrono::milliseconds kDefaultTimeout{3000};

  // What the consensus core said of a synced block (ActionLoop::OnSyncedBlock).
  enum class Delivery {
    kAccepted,        // verified and queued for execution
    kNotNext,         // not the next height; skipped
    kEpochUnknown,    // its validator epoch is not executed yet: ask again later
    kInvalid,         // does not verify: the peer is not asked first again
    kHalted,          // the node halted meanwhile: stop
  };

  struct Host {
    std::function<std::uint64_t()> stored_height;
    // Connected validators (not observers: p2p drops what observers send but requests).
    std::function<std::vector<std::string>()> validators;
    std::function<void(const std::string& peer, proto::Frame frame)> send;
    std::function<Delivery(const proto::CertifiedBlock& block, std::string* why)> deliver;
  };

  BlockSync(boost::asio::io_context& io, Host host,
            std::chrono::milliseconds timeout = kDefaultTimeout);

  // Committed blocks up to `target` exist; `preferred` peers are asked first.
  void Request(std::uint64_t target, const std::vector<std::string>& preferred);
  void OnPeerDown(const std::string& peer);
  void OnResponse(const std::string& peer, const proto::SyncResponse& response);
  // A block was stored (from sync or consensus): caught up once at the target.
  // Returns true when that ends a sync round.
  bool OnStored(std::uint64_t height);

  // The server side: `request` answered from `store`, within `max_frame_bytes` / 2.
  static proto::SyncResponse Serve(const BlockStore& store, const proto::SyncRequest& request,
                                   std::size_t max_frame_bytes);

  bool syncing() const { return syncing_.load(); }
  // The highest height a round aimed at so far (0 before any).
  std::uint64_t target_published() const { return target_published_.load(); }

 private:
  void SendRequest();
  void OnTimeout();

  Host host_;
  std::chrono::milliseconds timeout_;
  boost::asio::steady_timer timer_;
  std::uint64_t target_ = 0;
  std::string peer_;
  bool in_flight_ = false;
  std::size_t rotation_ = 0;
  std::vector<std::string> preferred_;
  OccurrenceLog warnings_;
  std::atomic<std::uint64_t> target_published_{0};
  std::atomic<bool> syncing_{false};
};

}  // namespace colend::node

#endif  // COLEND_NODE_CORE_BLOCK_SYNC_H_
