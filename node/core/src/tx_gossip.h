// TxGossip: transactions between the validators' pools (docs/architecture.md, "The path of
// one transaction", step 3), both directions.
//
// Out: Relay queues a transaction this node admitted from a client; what is queued goes to
// every connected peer as one TxGossip frame once flush_bytes wait, or flush_delay after
// the first, whichever comes first. Gossip is sent once, to the peers connected at the
// time, so HandOver builds for a peer that (re)joins one frame of what the pool holds: the
// primary then sees every transaction some node admitted.
//
// In: OnGossip takes a peer's frame and hands its transactions to the "colend-gossip"
// worker, which admits them as one batch (signatures on the pool's verifier threads), off
// the event loop, so a peer's burst never delays consensus messages, timers or
// keep-alives; the event loop hears only that the pool changed. What waits for the worker
// is bounded (max_queued_bytes, each transaction counted as its bytes plus
// kQueuedEntryOverhead, so a frame of many tiny or empty entries counts what it costs):
// a frame beyond it is dropped and counted
// (colend_gossip_dropped_total); the sender still holds those transactions, proposes them
// as primary and hands its pool to peers that reconnect. Gossip costs a peer no penalty:
// the pool rejects what does not verify, one transaction at a time.
//
// Ownership: borrows the io_context its timer runs on and what the Host's callbacks reach
// (they must outlive it); owns the worker thread, joined by Stop or the destructor.
// Thread safety: Relay on the io_context's thread (the event loop); OnGossip, HandOver and
// dropped_frames from any thread (the node calls the first two on the network thread).
#ifndef COLEND_NODE_CORE_TX_GOSSIP_H_
#define COLEND_NODE_CORE_TX_GOSSIP_H_

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "colend/node/metrics.h"
#include "colend/proto/p2p.pb.h"

namespace colend::node {

struct TxGossipOptions {
  // Relayed transactions go out when this many bytes wait, or this long after the first.
  std::size_t flush_bytes = 256 << 10;
  std::chrono::milliseconds flush_delay{2};
  // Peers' gossip bytes waiting for admission on the worker, at most.
  std::size_t max_queued_bytes = 256u << 20;
  // A HandOver frame holds at most this many transaction bytes (the node: half a p2p frame).
  std::size_t max_handover_bytes = 8 << 20;
};

class TxGossip {
 public:
  struct Host {
    // Offers a peer's transactions to the pool (on the worker); returns how many it admitted
    // (new to it).
    std::function<std::size_t(std::vector<std::string> signed_txs)> admit;
    // The pool's pending transactions, at most `max_bytes` of them (any thread).
    std::function<std::vector<std::string>(std::size_t max_bytes)> pending;
    // Sends `frame` to every connected peer (on the event loop).
    std::function<void(proto::Frame frame)> broadcast;
    // The pool admitted a peer's transactions (posted to the event loop).
    std::function<void()> pool_changed;
  };

  // What one queued transaction costs besides its bytes: its string, and the pool's
  // per-entry result and candidate while the batch is admitted.
  static constexpr std::size_t kQueuedEntryOverhead = 256;

  TxGossip(boost::asio::io_context& io, TxGossipOptions options, Host host,
           MetricsRegistry& metrics);
  ~TxGossip();
  TxGossip(const TxGossip&) = delete;
  TxGossip& operator=(const TxGossip&) = delete;

  // A transaction this node admitted, for every peer (event loop).
  void Relay(std::string signed_tx);
  // A peer's gossip frame: its transactions queued for admission, or dropped if too much
  // waits already. Returns false when dropped.
  bool OnGossip(const std::string& peer, proto::TxGossip gossip);
  // What the pool holds, as one frame for a peer that (re)joins; nullopt if nothing.
  std::optional<proto::Frame> HandOver() const;
  // Joins the worker: what it admits from here on is only posted to the (stopped) event
  // loop. Idempotent.
  void Stop();

  std::uint64_t dropped_frames() const { return dropped_->value(); }

 private:
  void Flush();

  boost::asio::io_context& io_;
  const TxGossipOptions options_;
  Host host_;
  Counter* dropped_;
  // Event loop only.
  boost::asio::steady_timer timer_;
  std::vector<std::string> queued_;
  std::size_t queued_bytes_ = 0;
  bool flush_scheduled_ = false;
  // Inbound.
  std::atomic<std::size_t> admitting_bytes_{0};
  std::unique_ptr<boost::asio::thread_pool> worker_;  // "colend-gossip"
};

}  // namespace colend::node

#endif  // COLEND_NODE_CORE_TX_GOSSIP_H_
