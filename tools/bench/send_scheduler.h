// SendScheduler: which planned transaction a colend-bench sender sends next, and when.
//
// The rate budget covers every sendTransaction call. Each call, a transaction's first
// attempt or a retry (after BUSY, or after a node did not answer), takes one send slot, and
// slots come at `rate` per second. So the network never gets more calls per second than
// offered, even while it is refusing with BUSY, and retries push the fresh transactions
// behind them later (the report counts those still unsent at the deadline). When a slot
// comes, a retry whose time has come goes first (it is older), else the next fresh
// transaction in plan order.
//
// Slot accounting: slots missed because every sender was busy in a call are caught up, but
// only the last `max_catch_up` of them (250 ms by default): after a stall (a hung node
// holding every sender until its timeout) the senders resume at the rate with a short
// burst, not with the whole stall's worth at once into a network that is just recovering.
// The run then takes longer, and the achieved send rate in the report shows it. Slots that
// came while nothing was due (waiting for a retry's time, or for the last answers) are
// dropped, so a wave of retries after a quiet spell is paced too.
//
// Life of a transaction: Take hands it to one sender; the sender either Finishes it or
// hands it back with Retry(index, due). The scheduler is done when every fresh transaction
// was taken, no retry waits and none is in flight, or at the deadline: then fresh ones
// never taken stay unsent and retries still waiting (or handed back later) are abandoned.
//
// TryTake reads no clock (tests drive it); Take blocks on the real clock.
// Thread safety: every method may be called from any thread (one mutex, one condition
// variable).
#ifndef COLEND_TOOLS_BENCH_SEND_SCHEDULER_H_
#define COLEND_TOOLS_BENCH_SEND_SCHEDULER_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <queue>
#include <vector>

namespace colend::bench {

class SendScheduler {
 public:
  using Clock = std::chrono::steady_clock;

  struct Work {
    std::size_t index = 0;
    bool retry = false;
  };
  // What TryTake found: work to do now, or the time to ask again, or that all is done.
  struct Poll {
    std::optional<Work> work;
    Clock::time_point wake{};
    bool done = false;
  };

  static constexpr std::chrono::milliseconds kDefaultMaxCatchUp{250};

  // Transactions 0 .. fresh-1, `rate` > 0 slots per second from `start`, nothing taken at
  // or after `deadline`.
  SendScheduler(std::size_t fresh, double rate, Clock::time_point start, Clock::time_point deadline,
                std::chrono::milliseconds max_catch_up = kDefaultMaxCatchUp);

  Poll TryTake(Clock::time_point now);

  // Blocks until work is due; nullopt when done.
  std::optional<Work> Take();

  // The taken transaction `index` needs no more sends.
  void Finish(std::size_t index);
  // The taken transaction `index` is to be sent again at `due` (or abandoned, past the
  // deadline).
  void Retry(std::size_t index, Clock::time_point due);

  std::size_t fresh_taken() const;  // fresh transactions taken so far
  std::uint64_t slots_used() const;
  // Slots given up because the senders were more than max_catch_up behind.
  std::uint64_t slots_dropped_behind() const;
  std::size_t waiting_retries() const;
  // Transactions whose retry was abandoned at or after the deadline.
  std::vector<std::size_t> abandoned() const;

 private:
  struct Due {
    Clock::time_point at;
    std::size_t index;
    bool operator>(const Due& o) const { return at > o.at || (at == o.at && index > o.index); }
  };
  Clock::time_point SlotTime() const;  // the next slot; REQUIRES mu_ held
  Poll TryTakeLocked(Clock::time_point now);

  const std::size_t fresh_;
  const double rate_;
  const Clock::time_point deadline_;
  const std::chrono::milliseconds max_catch_up_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  // Guarded by mu_. Slot k after slot_base_ is at slot_base_ + k / rate_; the base moves
  // when idle slots are dropped.
  Clock::time_point slot_base_;
  std::uint64_t slots_since_base_ = 0;
  std::uint64_t slots_used_ = 0;
  std::uint64_t slots_dropped_behind_ = 0;
  std::size_t next_fresh_ = 0;
  std::size_t in_flight_ = 0;
  std::priority_queue<Due, std::vector<Due>, std::greater<>> retries_;
  std::vector<std::size_t> abandoned_;
};

}  // namespace colend::bench

#endif  // COLEND_TOOLS_BENCH_SEND_SCHEDULER_H_
