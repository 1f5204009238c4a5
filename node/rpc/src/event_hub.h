// EventHub: hands each committed block's event (chain_events.h) to the WebSocket sessions.
//
// The node's commit path calls Publish once per block, after the block is durable. Publish
// keeps the event in a small ring of recent blocks and posts it to every registered
// session's own executor; it never waits for a session, never renders anything and holds
// its mutex only to copy the list of sessions. What a session cannot send at once it does
// not keep: a subscription that falls behind reads the blocks it missed from the ring or
// from storage (NodeApi::LoadBlockEvent) when its queue has room, and a session whose queue
// of live notifications passes its bound is closed (ws_session.h). So the node's memory
// for subscribers is bounded by sessions x queue bound, whatever they do.
//
// The hub also counts subscriptions against the node-wide limit.
//
// Ownership: shares the events (immutable). Holds sessions by weak_ptr.
// Thread safety: every method from any thread.
#ifndef COLEND_NODE_RPC_SRC_EVENT_HUB_H_
#define COLEND_NODE_RPC_SRC_EVENT_HUB_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>

#include "colend/node/chain_events.h"

namespace colend::node::rpc {

// What the hub delivers to: a session posts the event to its own executor and returns.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void OnBlock(std::shared_ptr<const BlockEvent> event) = 0;
};

class EventHub {
 public:
  // `ring` recent events are kept for sessions that are a little behind (>= 1).
  EventHub(std::size_t ring, std::size_t max_subscriptions);

  // The commit path: O(sessions) posts, no waiting. Events come in height order.
  void Publish(std::shared_ptr<const BlockEvent> event);

  // Registers `sink`; every event published after this call reaches it. Returns the
  // highest height published so far, or `committed` if that is higher (a block stored
  // but not yet published: the session reads it from storage, and ignores its event).
  std::uint64_t Register(const std::shared_ptr<EventSink>& sink, std::uint64_t committed);
  void Unregister(const EventSink* sink);

  // A recent event by height, or nullptr if it is not in the ring.
  std::shared_ptr<const BlockEvent> Recent(std::uint64_t height) const;

  // Takes one slot of the node-wide subscription limit; false when none is left.
  bool AcquireSubscription();
  void ReleaseSubscriptions(std::size_t n);
  std::size_t subscriptions() const;

 private:
  const std::size_t ring_size_;
  const std::size_t max_subscriptions_;
  mutable std::mutex mu_;
  std::deque<std::shared_ptr<const BlockEvent>> ring_;          // guarded by mu_
  std::map<const EventSink*, std::weak_ptr<EventSink>> sinks_;  // guarded by mu_
  std::uint64_t head_ = 0;                                      // guarded by mu_
  std::size_t subscriptions_ = 0;                               // guarded by mu_
};

}  // namespace colend::node::rpc

#endif  // COLEND_NODE_RPC_SRC_EVENT_HUB_H_
