// PeerConduct: the byzantine bound on what an authenticated peer may send that fails.
// Consensus envelopes from a peer that fail their signature, do not parse or name another
// chain are counted per peer; past `threshold` of them within `window` the peer is to be
// barred (disconnected and refused), for longer each time: first_bar, doubling up to
// max_bar. The node counts, from the replica's counters, what each envelope a peer sent
// added to them, and bars the peer through P2pNetwork::Penalize.
//
// Ownership: plain value; one record per peer that ever sent a bad envelope (the peers are
// bounded by the validators and observers admitted).
// Thread safety: one thread (the node's event loop).
#ifndef COLEND_NODE_CORE_PEER_CONDUCT_H_
#define COLEND_NODE_CORE_PEER_CONDUCT_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

namespace colend::node {

struct PeerConductOptions {
  std::uint32_t threshold = 20;  // bad envelopes within `window` before barring
  std::chrono::milliseconds window = std::chrono::minutes(1);
  std::chrono::milliseconds first_bar = std::chrono::seconds(5);
  std::chrono::milliseconds max_bar = std::chrono::minutes(10);
};

class PeerConduct {
 public:
  explicit PeerConduct(PeerConductOptions options = {}) : options_(options) {}

  // `peer` sent `bad` more failing envelopes at `now`: how long to bar it, if it must be.
  std::optional<std::chrono::milliseconds> OnBadMessages(const std::string& peer, std::uint64_t bad,
                                                         std::chrono::steady_clock::time_point now);

  // Why a peer is barred, for the log and the peer's disconnect.
  std::string Reason() const;

 private:
  struct Record {
    std::chrono::steady_clock::time_point window_start{};
    std::uint32_t bad_in_window = 0;
    std::uint32_t penalties = 0;
  };
  const PeerConductOptions options_;
  std::unordered_map<std::string, Record> peers_;
};

}  // namespace colend::node

#endif  // COLEND_NODE_CORE_PEER_CONDUCT_H_
