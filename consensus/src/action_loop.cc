// The action loop (action_loop.h): one implementation of the replica's ordering contract
// for the node and the simulator.
#include "colend/consensus/action_loop.h"

#include <algorithm>
#include <utility>
#include <variant>

#include "colend/common/overloaded.h"
#include "colend/consensus/messages.h"

namespace colend::consensus {
namespace {

std::size_t TimerIndex(TimerId timer) { return timer == TimerId::kViewChange ? 0 : 1; }

}  // namespace

ActionLoop::ActionLoop(std::unique_ptr<Replica> replica, ActionHost& host)
    : replica_(std::move(replica)), host_(host) {}

Status ActionLoop::Recover(const RecoveryState& state) {
  Result<Actions> actions = replica_->Recover(host_.NowMs(), state);
  if (!actions.ok()) return actions.status();
  recovered_ = std::move(actions).value();
  return Status::Ok();
}

void ActionLoop::Start() {
  Actions recovered;
  recovered.swap(recovered_);
  Perform(std::move(recovered));
  OnPoolChanged();
}

void ActionLoop::OnMessage(const proto::ConsensusEnvelope& envelope) {
  if (!Running()) return;
  const std::optional<MessageRoute> route = PeekRoute(envelope);
  const std::uint64_t epoch = replica_->status().epoch;
  if (route.has_value() && route->epoch > epoch) {
    SyncToLaterEpoch(*route, envelope.sender());
    if (route->epoch > epoch + 1) return;
    // Early: this node has not executed the end of its epoch yet. Its replica for the next
    // epoch checks the message in full once it starts.
    HoldEarly(envelope);
    return;
  }
  Perform(replica_->OnMessage(host_.NowMs(), envelope));
}

void ActionLoop::HoldEarly(const proto::ConsensusEnvelope& envelope) {
  const std::size_t bytes = envelope.ByteSizeLong();
  if (bytes > kMaxEarlyBytes) {
    ++early_dropped_;
    return;
  }
  while (!early_.empty() &&
         (early_.size() >= kMaxEarlyMessages || early_bytes_ + bytes > kMaxEarlyBytes)) {
    early_bytes_ -= early_.front().ByteSizeLong();
    early_.pop_front();
    ++early_dropped_;
  }
  early_.push_back(envelope);
  early_bytes_ += bytes;
}

void ActionLoop::SyncToLaterEpoch(const MessageRoute& route, const std::string& sender) {
  const std::uint64_t now = host_.NowMs();
  const ReplicaStatus status = replica_->status();
  if (route.sequence <= status.committed_height + 1) return;
  if (last_epoch_hint_ms_ != 0 && now < last_epoch_hint_ms_ + kEpochSyncHintMs) return;
  last_epoch_hint_ms_ = now;
  // Blocks below the message's sequence are committed where it came from.
  Actions sync;
  sync.emplace_back(RequestSyncAction{route.sequence - 1, {sender}});
  Perform(std::move(sync));
}

void ActionLoop::OnTimeout(TimerId timer, std::uint64_t token) {
  if (!Running() || token != timer_tokens_[TimerIndex(timer)]) return;
  Perform(replica_->OnTimeout(host_.NowMs(), timer));
}

void ActionLoop::OnPoolChanged() {
  if (!Running()) return;
  if (performing_) {  // given by the loop once the queue holds no commit
    pool_changed_ = true;
    return;
  }
  Perform(replica_->OnPoolChanged(host_.NowMs(), host_.Pool()));
}

SyncedBlockVerdict ActionLoop::OnSyncedBlock(const proto::CertifiedBlock& block) {
  using Kind = SyncedBlockVerdict::Kind;
  if (!Running()) {
    return {Kind::kStopped, halted_.ok() ? Status::Unavailable("stopped") : halted_};
  }
  Result<Actions> actions = replica_->OnSyncedBlock(host_.NowMs(), block);
  if (!actions.ok()) {
    // The replica's codes (replica.h, Replica::OnSyncedBlock), read here and nowhere else.
    switch (actions.status().code()) {
      case StatusCode::kOutOfRange:
        return {Kind::kNotNext, actions.status()};
      case StatusCode::kUnavailable:
        return {Kind::kEpochUnknown, actions.status()};
      default:
        return {Kind::kInvalid, actions.status()};
    }
  }
  Perform(std::move(actions).value());
  if (!halted_.ok()) return {Kind::kStopped, halted_};
  return {Kind::kAccepted, Status::Ok()};
}

void ActionLoop::OnExecuted(const ExecutedRoots& roots) {
  if (!Running()) return;
  executed_.push_back(roots);
  if (!performing_) Perform({});
}

void ActionLoop::OnProposalChecked(std::uint64_t view, std::uint64_t sequence,
                                   const crypto::Digest& block_hash, Status verdict) {
  if (!Running()) return;
  verdicts_.push_back(Verdict{view, sequence, block_hash, std::move(verdict)});
  if (!performing_) Perform({});
}

void ActionLoop::Perform(Actions actions) {
  for (Action& a : actions) queue_.push_back(std::move(a));
  if (performing_) return;
  performing_ = true;
  while (Running()) {
    if (!queue_.empty()) {
      Action action = std::move(queue_.front());
      queue_.pop_front();
      host_.BeforeAction(action, !queue_.empty());
      if (!Running()) break;
      PerformOne(action);
      continue;
    }
    if (!executed_.empty()) {
      std::vector<ExecutedRoots> executed;
      executed.swap(executed_);
      for (const ExecutedRoots& e : executed) {
        Perform(replica_->OnBlockExecuted(host_.NowMs(), e.height, e.state_root,
                                          e.receipts_root, e.epoch_end));
      }
      pool_changed_ = true;  // the commits took their transactions out of the pool
      continue;
    }
    if (!checks_.empty()) {
      std::vector<CheckProposalAction> checks;
      checks.swap(checks_);
      for (const CheckProposalAction& check : checks) {
        if (Running()) host_.CheckProposal(check);
      }
      continue;
    }
    if (!verdicts_.empty()) {
      std::vector<Verdict> verdicts;
      verdicts.swap(verdicts_);
      for (const Verdict& v : verdicts) {
        Perform(replica_->OnProposalChecked(host_.NowMs(), v.view, v.sequence, v.block_hash,
                                            v.verdict));
      }
      continue;
    }
    if (pool_changed_) {
      pool_changed_ = false;
      Perform(replica_->OnPoolChanged(host_.NowMs(), host_.Pool()));
      continue;
    }
    if (proposal_.has_value()) {
      const RequestProposalAction request = std::move(*proposal_);
      proposal_.reset();
      Perform(replica_->OnProposal(host_.NowMs(), request.height, host_.Batch(request)));
      continue;
    }
    if (MaybeStartNextEpoch()) continue;
    break;
  }
  performing_ = false;
  if (!stopped_) host_.Idle();
}

bool ActionLoop::CommitQueued() const {
  return std::any_of(queue_.begin(), queue_.end(),
                     [](const Action& a) { return std::holds_alternative<CommitAction>(a); });
}

void ActionLoop::PerformOne(Action& action) {
  std::visit(Overloaded{
                 [&](SendAction& a) { host_.Send(a.to, std::move(a.envelope)); },
                 [&](BroadcastAction& a) { host_.Broadcast(std::move(a.envelope)); },
                 [&](PersistAction& a) {
                   if (Status s = host_.Persist(a); !s.ok()) {
                     Halt(s.WithContext("writing the consensus log"));
                   }
                 },
                 [&](CompactWalAction& a) { host_.CompactWal(a); },
                 [&](CommitAction& a) {
                   const std::uint64_t height = a.height;
                   if (Status s = host_.Commit(a); !s.ok()) {
                     Halt(s.WithContext("committing block " + std::to_string(height)));
                   }
                 },
                 [&](SetTimerAction& a) {
                   const std::uint64_t token = ++timer_tokens_[TimerIndex(a.timer)];
                   host_.ArmTimer(a.timer, a.delay_ms, token);
                 },
                 [&](CancelTimerAction& a) { ++timer_tokens_[TimerIndex(a.timer)]; },
                 [&](RequestSyncAction& a) { host_.RequestSync(a); },
                 [&](RequestProposalAction& a) { Propose(a); },
                 // Issued by the loop once the queue holds no commit (Perform).
                 [&](CheckProposalAction& a) { checks_.push_back(std::move(a)); },
             },
             action);
}

void ActionLoop::Propose(const RequestProposalAction& request) {
  // While a commit is queued the pool still holds the transactions of its block: the
  // request waits for the loop (a newer request replaces an older one).
  if (CommitQueued()) {
    proposal_ = request;
    return;
  }
  proposal_.reset();
  Perform(replica_->OnProposal(host_.NowMs(), request.height, host_.Batch(request)));
}

bool ActionLoop::MaybeStartNextEpoch() {
  const ReplicaStatus status = replica_->status();
  if (status.epoch_end == 0 || status.executed_height < status.epoch_end ||
      status.committed_height < status.epoch_end) {
    return false;
  }
  Result<ActionHost::Epoch> next = host_.NextEpoch(status.epoch, status.epoch_end);
  if (!next.ok()) {
    Halt(next.status().WithContext("starting validator epoch " + std::to_string(status.epoch + 1)));
    return false;
  }
  std::unique_ptr<Replica> replica = std::move(next->replica);
  Result<Actions> recovered = replica->Recover(host_.NowMs(), next->recovery);
  if (!recovered.ok()) {
    Halt(recovered.status().WithContext("recovering the replica of validator epoch " +
                                        std::to_string(status.epoch + 1)));
    return false;
  }
  // The old replica's timers, proposal request, checks and verdicts mean nothing now.
  replica_ = std::move(replica);
  ++epochs_started_;
  for (std::uint64_t& token : timer_tokens_) ++token;
  proposal_.reset();
  checks_.clear();
  verdicts_.clear();
  executed_.clear();
  Perform(std::move(recovered).value());
  pool_changed_ = true;
  std::deque<proto::ConsensusEnvelope> early;
  early.swap(early_);
  early_bytes_ = 0;
  for (const proto::ConsensusEnvelope& envelope : early) {
    if (!Running()) break;
    const std::optional<MessageRoute> route = PeekRoute(envelope);
    if (route.has_value() && route->epoch == replica_->status().epoch + 1) {
      HoldEarly(envelope);  // two switches in a row: still early
      continue;
    }
    Perform(replica_->OnMessage(host_.NowMs(), envelope));
  }
  return Running();
}

void ActionLoop::Halt(Status why) {
  if (!halted_.ok()) return;
  halted_ = std::move(why);
  queue_.clear();
  host_.Halted(halted_);
}

}  // namespace colend::consensus
