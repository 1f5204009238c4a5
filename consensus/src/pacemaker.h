// Liveness, kept apart from safety: the view-change timer with exponential back-off and
// the primary's batch timer. Nothing here decides what is committed; a bug here can stall
// the chain, never fork it (docs/style.md rule 2).
//
// The timers live in the node (SetTimer/CancelTimer actions); the pacemaker remembers
// which ones it has set and until when, so a late or duplicated OnTimeout is ignored.
//
// Thread safety: none; owned by one Replica.
#ifndef COLEND_CONSENSUS_SRC_PACEMAKER_H_
#define COLEND_CONSENSUS_SRC_PACEMAKER_H_

#include <cstdint>

#include "colend/consensus/actions.h"
#include "colend/consensus/params.h"

namespace colend::consensus {

class Pacemaker {
 public:
  explicit Pacemaker(const ConsensusParams& params) : params_(params) {}

  // The current view-change timeout: view_change_timeout_ms << min(back-off, max).
  std::uint64_t ViewChangeTimeout() const;

  // A commit happened: the network works, so the next timeout starts from the base again.
  void ResetBackoff() { backoff_ = 0; }
  // A view change failed to produce a view in time: wait longer for the next one.
  void IncreaseBackoff();
  std::uint32_t backoff() const { return backoff_; }

  // (Re)starts the view-change timer from `now` with the current timeout.
  void ArmViewChange(std::uint64_t now, Actions& out);
  // Starts it only if it is not running.
  void EnsureViewChange(std::uint64_t now, Actions& out);
  void CancelViewChange(Actions& out);
  bool view_change_armed() const { return vc_armed_; }
  // True if a timeout the node reports at `now` is the one currently set (and then
  // forgets it); false for a cancelled or replaced one, and for an early one: the timer
  // fired before its deadline by the clock `now` comes from (the wall clock stepped back),
  // so it is set again on `out` for the rest, at most one whole timeout. A timer that went
  // off is never left unset while the pacemaker counts it armed.
  bool TakeViewChangeTimeout(std::uint64_t now, Actions& out);

  void ArmBatch(std::uint64_t now, Actions& out);
  void CancelBatch(Actions& out);
  bool batch_armed() const { return batch_armed_; }
  bool TakeBatchTimeout(std::uint64_t now, Actions& out);  // as TakeViewChangeTimeout

 private:
  const ConsensusParams& params_;
  std::uint32_t backoff_ = 0;
  bool vc_armed_ = false;
  std::uint64_t vc_deadline_ = 0;
  bool batch_armed_ = false;
  std::uint64_t batch_deadline_ = 0;
};

}  // namespace colend::consensus

#endif  // COLEND_CONSENSUS_SRC_PACEMAKER_H_
