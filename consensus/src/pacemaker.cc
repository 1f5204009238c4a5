#include "pacemaker.h"

#include <algorithm>

namespace colend::consensus {

std::uint64_t Pacemaker::ViewChangeTimeout() const {
  const std::uint32_t shift = std::min(backoff_, params_.max_view_change_backoff);
  return params_.view_change_timeout_ms << shift;
}

void Pacemaker::IncreaseBackoff() {
  if (backoff_ < params_.max_view_change_backoff) ++backoff_;
}

void Pacemaker::ArmViewChange(std::uint64_t now, Actions& out) {
  const std::uint64_t delay = ViewChangeTimeout();
  vc_armed_ = true;
  vc_deadline_ = now + delay;
  out.push_back(SetTimerAction{TimerId::kViewChange, delay});
}

void Pacemaker::EnsureViewChange(std::uint64_t now, Actions& out) {
  if (!vc_armed_) ArmViewChange(now, out);
}

void Pacemaker::CancelViewChange(Actions& out) {
  if (!vc_armed_) return;
  vc_armed_ = false;
  out.push_back(CancelTimerAction{TimerId::kViewChange});
}

bool Pacemaker::TakeViewChangeTimeout(std::uint64_t now, Actions& out) {
  if (!vc_armed_) return false;
  if (now < vc_deadline_) {
    // The host's timer is gone though the deadline has not come: the clock it reports
    // stepped back. Set it again for what remains, never more than a whole timeout.
    const std::uint64_t delay = std::min(vc_deadline_ - now, ViewChangeTimeout());
    vc_deadline_ = now + delay;
    out.push_back(SetTimerAction{TimerId::kViewChange, delay});
    return false;
  }
  vc_armed_ = false;
  return true;
}

void Pacemaker::ArmBatch(std::uint64_t now, Actions& out) {
  batch_armed_ = true;
  batch_deadline_ = now + params_.batch_timeout_ms;
  out.push_back(SetTimerAction{TimerId::kBatch, params_.batch_timeout_ms});
}

void Pacemaker::CancelBatch(Actions& out) {
  if (!batch_armed_) return;
  batch_armed_ = false;
  out.push_back(CancelTimerAction{TimerId::kBatch});
}

bool Pacemaker::TakeBatchTimeout(std::uint64_t now, Actions& out) {
  if (!batch_armed_) return false;
  if (now < batch_deadline_) {  // as above
    const std::uint64_t delay = std::min(batch_deadline_ - now, params_.batch_timeout_ms);
    batch_deadline_ = now + delay;
    out.push_back(SetTimerAction{TimerId::kBatch, delay});
    return false;
  }
  batch_armed_ = false;
  return true;
}

}  // namespace colend::consensus
