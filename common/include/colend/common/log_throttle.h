// Logging what a peer or a client can repeat at will. A line per occurrence would let a
// sender that repeats itself fill the disk and drown every other line, so such events are
// logged at their 1st, 2nd, 4th, 8th, ... occurrence (as node/p2p logs refusals and drops),
// each line carrying the count so far: a flood costs a few dozen lines in all, and the
// count still says how big it was.
//
// Thread safety: LogThisOccurrence is a pure function; an OccurrenceLog is not thread-safe
// (one owner thread, e.g. the node's event loop).
#ifndef COLEND_COMMON_LOG_THROTTLE_H_
#define COLEND_COMMON_LOG_THROTTLE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace colend {

// Whether the n-th occurrence (counting from 1) is logged: n is a power of two.
constexpr bool LogThisOccurrence(std::uint64_t n) {
  return n != 0 && (n & (n - 1)) == 0;
}

// Counts occurrences per key (a peer and what it did). Keys are whatever the owner bounds
// (authenticated peers): the map is never pruned.
class OccurrenceLog {
 public:
  // Counts one more occurrence of `key`; returns the count so far if this one is to be
  // logged, 0 if not.
  std::uint64_t Count(std::string_view key) {
    auto it = counts_.find(key);
    if (it == counts_.end()) it = counts_.emplace(std::string(key), 0).first;
    const std::uint64_t n = ++it->second;
    return LogThisOccurrence(n) ? n : 0;
  }

  // Occurrences of `key` so far.
  std::uint64_t count(std::string_view key) const {
    auto it = counts_.find(key);
    return it == counts_.end() ? 0 : it->second;
  }

 private:
  std::map<std::string, std::uint64_t, std::less<>> counts_;
};

}  // namespace colend

#endif  // COLEND_COMMON_LOG_THROTTLE_H_
