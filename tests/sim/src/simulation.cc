// The simulation engine: nodes, network, faults, clients. Invariants live in checks.cc.
#include <algorithm>
#include <cmath>
#include <utility>

#include "colend/common/overloaded.h"
#include "colend/consensus/certificates.h"
#include "colend/consensus/messages.h"
#include "colend/crypto/hash.h"
#include "world.h"

namespace colend::consensus {

// Test-only access to the quorum (declared a friend by ValidatorSet).
class ValidatorSetTestPeer {
 public:
  static void SetQuorum(ValidatorSet& set, std::size_t quorum) { set.quorum_ = quorum; }
};

}  // namespace colend::consensus

namespace colend::sim {

SimResult RunSimulation(const SimConfig& config) {
  internal::World world(config);
  return world.Run();
}

namespace internal {

namespace {

std::size_t TimerIndex(consensus::TimerId timer) {
  return timer == consensus::TimerId::kViewChange ? 0 : 1;
}

}  // namespace

void EventQueue::At(std::uint64_t time, std::function<void()> action) {
  events_.push(Event{time, order_++, std::move(action)});
}

bool EventQueue::RunNext(std::uint64_t end, std::uint64_t* now) {
  if (events_.empty() || events_.top().time > end) return false;
  Event event = events_.top();
  events_.pop();
  *now = std::max(*now, event.time);
  event.action();
  return true;
}

World::World(const SimConfig& config) : config_(config), rng_(config.seed) {}

SimResult World::Run() {
  Setup();
  while (result_.ok && events_.RunNext(end_, &now_)) ++result_.stats.events;
  if (result_.ok) {
    now_ = end_;
    CheckEnd();
  }
  CollectStats();
  return result_;
}

void World::Setup() {
  std::vector<std::string> ids;
  std::map<std::string, std::string, std::less<>> secrets;
  for (int i = 0; i < config_.n; ++i) {
    ids.push_back("v" + std::to_string(i));
    secrets[ids.back()] = FakeSecret(ids.back(), config_.seed);
  }
  consensus::ValidatorSet set = consensus::ValidatorSet::Create(ids).value();
  if (config_.broken_quorum_for_testing.has_value()) {
    consensus::ValidatorSetTestPeer::SetQuorum(set, *config_.broken_quorum_for_testing);
  }
  validators_ = std::make_shared<const consensus::ValidatorSet>(std::move(set));
  verifier_ = std::make_shared<const FakeVerifier>(secrets);
  genesis_.hash = Sha256("genesis/" + std::to_string(config_.seed));
  genesis_.state_root = Sha256("genesis-state");
  genesis_.receipts_root = Sha256("no-receipts");
  genesis_.timestamp_ms = 0;
  group_.assign(static_cast<std::size_t>(config_.n), 0);

  std::vector<std::size_t> order(static_cast<std::size_t>(config_.n));
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng_);
  const std::set<std::size_t> byzantine(order.begin(), order.begin() + config_.byzantine);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto node = std::make_unique<SimNode>();
    node->index = i;
    node->id = ids[i];
    node->honest = byzantine.count(i) == 0;
    node->validator = std::make_shared<SimProposalValidator>(node.get(), config_.seed);
    if (!node->honest) {
      node->adversary = std::make_unique<Adversary>(ids[i], config_.behaviors,
                                                    std::make_shared<FakeSigner>(secrets[ids[i]]),
                                                    ids, kSimChainId);
    }
    index_of_[ids[i]] = i;
    nodes_.push_back(std::move(node));
  }
  for (auto& node : nodes_) Start(*node, /*restart=*/false);

  end_ = config_.fault_phase_ms + config_.client_tail_ms + config_.drain_ms;
  events_.At(rng_() % 50, [this] { SubmitNext(); });
  ScheduleFaults();
  events_.At(config_.fault_phase_ms, [this] { Heal(); });
  events_.At(config_.fault_phase_ms + config_.liveness_bound_ms,
             [this] { CheckLivenessAfterHeal(); });
}

void World::ScheduleFaults() {
  const std::uint64_t phase = config_.fault_phase_ms;
  const auto uniform = [this](std::uint64_t lo, std::uint64_t hi) {
    return lo + (hi > lo ? rng_() % (hi - lo) : 0);
  };
  for (int k = 0; k < config_.crashes; ++k) {
    const std::uint64_t at = uniform(200, phase > 500 ? phase - 300 : phase);
    const std::uint64_t duration = uniform(200, 3'000);
    const std::size_t victim = rng_() % nodes_.size();
    events_.At(at, [this, victim] {
      if (nodes_[victim]->up) Crash(*nodes_[victim]);
    });
    events_.At(at + duration, [this, victim] {
      if (!nodes_[victim]->up && !healed_) Start(*nodes_[victim], true);
    });
  }
  for (int k = 0; k < config_.primary_crashes; ++k) {
    const std::uint64_t at = phase * static_cast<std::uint64_t>(k + 1) /
                             static_cast<std::uint64_t>(config_.primary_crashes + 1);
    const std::uint64_t duration = uniform(500, 3'000);
    events_.At(at, [this, duration] {
      SimNode& victim = *nodes_[CurrentPrimaryIndex()];
      if (!victim.up) return;
      std::uint64_t view = 0;
      for (const auto& node : nodes_) {
        if (node->up && node->honest) view = std::max(view, node->replica->status().view);
      }
      Crash(victim);
      ++result_.stats.primary_crashes;
      primary_crashed_at_ = now_;
      primary_crashed_view_ = view;
      events_.At(now_ + duration, [this, &victim] {
        if (!victim.up && !healed_) Start(victim, true);
      });
    });
  }
  for (int k = 0; k < config_.primary_stalls; ++k) {
    const std::uint64_t at = phase * static_cast<std::uint64_t>(k + 1) /
                             static_cast<std::uint64_t>(config_.primary_stalls + 1);
    // Longer than a view-change timeout: the others move on while it is stalled.
    const std::uint64_t duration = uniform(1'500, 4'000);
    events_.At(at, [this, duration] {
      SimNode& victim = *nodes_[CurrentPrimaryIndex()];
      if (!victim.up || victim.stalled_until > now_) return;
      victim.stalled_until = now_ + duration;
      ++result_.stats.stalls;
    });
  }
  if (config_.partitions > 0) {
    const std::uint64_t slot = phase / static_cast<std::uint64_t>(config_.partitions);
    for (int k = 0; k < config_.partitions; ++k) {
      const std::uint64_t begin = slot * static_cast<std::uint64_t>(k) + uniform(0, slot / 3);
      const std::uint64_t end = begin + uniform(slot / 4, slot / 2 + 1);
      events_.At(begin, [this] {
        bool both = false;
        while (!both) {
          for (int& g : group_) g = static_cast<int>(rng_() % 2);
          both = std::count(group_.begin(), group_.end(), 0) != 0 &&
                 std::count(group_.begin(), group_.end(), 1) != 0;
        }
      });
      events_.At(end, [this] { std::fill(group_.begin(), group_.end(), 0); });
    }
  }
}

void World::Heal() {
  healed_ = true;
  std::fill(group_.begin(), group_.end(), 0);
  for (auto& node : nodes_) {
    if (!node->up) Start(*node, true);
  }
  for (auto& node : nodes_) {
    node->height_at_heal = node->chain.size();
    // Clients retry everything not yet committed where they look.
    for (const auto& [tx, id] : submitted_) AddToPool(*node, tx, /*gossip=*/false);
  }
}

std::size_t World::CurrentPrimaryIndex() const {
  std::uint64_t view = 0;
  for (const auto& node : nodes_) {
    if (node->up && node->honest) view = std::max(view, node->replica->status().view);
  }
  return index_of_.at(validators_->Primary(view));
}

std::unique_ptr<consensus::Replica> World::MakeReplica(SimNode& node) {
  consensus::ReplicaOptions options;
  options.chain_id = kSimChainId;
  options.self = node.id;
  options.validators = validators_;
  options.params = config_.params;
  options.genesis = genesis_;
  options.signer = std::make_shared<FakeSigner>(FakeSecret(node.id, config_.seed));
  options.verifier = verifier_;
  options.proposal_validator = node.validator;
  Result<std::unique_ptr<consensus::Replica>> replica =
      consensus::Replica::Create(std::move(options));
  if (!replica.ok()) {
    Fail("setup", replica.status().ToString());
    return nullptr;
  }
  return std::move(replica).value();
}

void World::Start(SimNode& node, bool restart) {
  node.replica = MakeReplica(node);
  if (!node.replica) return;
  node.up = true;
  consensus::RecoveryState state;
  if (restart) {
    for (const consensus::PersistAction& p : node.wal) state.records.push_back(p.record);
    state.committed_height = node.chain.size();
    const std::size_t keep =
        static_cast<std::size_t>(config_.params.window + 2 * config_.params.checkpoint_period);
    for (std::size_t h = node.chain.size() > keep ? node.chain.size() - keep : 0;
         h < node.chain.size(); ++h) {
      state.committed_headers.push_back(node.chain[h].block().header());
    }
    if (!node.chain.empty()) state.committed_certificate = node.chain.back().certificate();
    const std::size_t lag = static_cast<std::size_t>(config_.params.execution_lag) + 1;
    for (std::size_t h = node.executed.size() > lag ? node.executed.size() - lag : 0;
         h < node.executed.size(); ++h) {
      state.executed.push_back(node.executed[h]);
    }
  }
  Result<consensus::Actions> actions = node.replica->Recover(now_, state);
  if (!actions.ok()) {
    Fail("recovery", node.id + ": " + actions.status().ToString());
    return;
  }
  Perform(node, std::move(actions).value());
  if (restart && node.up && node.executed.size() < node.chain.size()) {
    const std::uint64_t incarnation = node.incarnation;
    const std::size_t index = node.index;
    events_.At(now_, [this, index, incarnation] { ExecuteCommitted(index, incarnation); });
  }
}

void World::Crash(SimNode& node) {
  ++result_.stats.crashes;
  const consensus::ReplicaCounters& counters = node.replica->counters();
  result_.stats.view_changes += counters.view_changes;
  result_.stats.new_views += counters.new_views_entered;
  result_.stats.sync_requests += counters.sync_requests;
  result_.stats.synced_blocks += counters.synced_blocks;
  node.up = false;
  ++node.incarnation;
  node.replica.reset();
  node.pool.clear();
  node.pool_index.clear();
  node.pool_bytes = 0;
  ++node.timer_generation[0];
  ++node.timer_generation[1];
  node.execution_scheduled = false;
}

void World::Perform(SimNode& node, consensus::Actions actions) {
  std::size_t cut = actions.size();
  if (config_.mid_step_crash_rate > 0 && InFaultPhase() && actions.size() > 1 &&
      std::uniform_real_distribution<double>(0, 1)(rng_) < config_.mid_step_crash_rate) {
    cut = rng_() % actions.size();
  }
  for (std::size_t k = 0; k < actions.size() && result_.ok; ++k) {
    if (!node.up) return;
    if (k == cut) {
      // The process dies between two actions of one step: what was persisted stays.
      Crash(node);
      const std::uint64_t back = now_ + 100 + rng_() % 2'000;
      events_.At(back, [this, &node] {
        if (!node.up && !healed_) Start(node, true);
      });
      return;
    }
    std::visit(
        Overloaded{
            [&](consensus::SendAction& a) { Send(node, a.to, a.envelope); },
            [&](consensus::BroadcastAction& a) { Send(node, std::string(), a.envelope); },
            [&](consensus::PersistAction& a) { node.wal.push_back(std::move(a)); },
            [&](consensus::CompactWalAction& a) {
              std::erase_if(node.wal, [&](const consensus::PersistAction& p) {
                return consensus::WalRecordObsolete(p.key, a.stable_sequence, a.view);
              });
            },
            [&](consensus::CommitAction& a) { PerformCommit(node, a); },
            [&](consensus::SetTimerAction& a) { SetTimer(node, a.timer, a.delay_ms); },
            [&](consensus::CancelTimerAction& a) { ++node.timer_generation[TimerIndex(a.timer)]; },
            [&](consensus::RequestSyncAction& a) {
              const std::size_t index = node.index;
              const std::uint64_t incarnation = node.incarnation;
              const std::uint64_t target = a.target_height;
              events_.At(now_ + Delay(), [this, index, target, incarnation] {
                Sync(index, target, incarnation, 0);
              });
            },
            [&](consensus::RequestProposalAction& a) {
              const std::size_t index = node.index;
              const std::uint64_t incarnation = node.incarnation;
              events_.At(now_, [this, index, incarnation, request = a] {
                SimNode& n = *nodes_[index];
                if (n.up && n.incarnation == incarnation) Propose(n, request);
              });
            },
        },
        actions[k]);
  }
}

void World::PerformCommit(SimNode& node, consensus::CommitAction& commit) {
  proto::CertifiedBlock certified;
  *certified.mutable_block() = std::move(commit.block);
  *certified.mutable_certificate() = std::move(commit.certificate);
  const Status certificate =
      consensus::VerifyCommitCertificate(certified.certificate(), certified.block(), *validators_,
                                         kSimChainId, crypto::HashAlgorithm::kSha256, *verifier_);
  if (!certificate.ok()) {
    Fail("chain", node.id + " committed height " + std::to_string(commit.height) +
                      " with an invalid certificate: " + certificate.ToString());
    return;
  }
  const crypto::Digest hash =
      consensus::BlockHash(crypto::HashAlgorithm::kSha256, certified.block().header());
  proto::BlockHeader header;
  header.ParseFromString(certified.block().header());
  const crypto::Digest parent = node.chain.empty() ? genesis_.hash : node.chain_hashes.back();
  if (commit.height != node.chain.size() + 1 ||
      header.parent_hash() != consensus::DigestBytes(parent)) {
    Fail("chain", node.id + " committed height " + std::to_string(commit.height) +
                      " that does not extend its chain of " + std::to_string(node.chain.size()));
    return;
  }
  if (node.honest) {
    CheckCommit(node, certified, hash);
    if (primary_crashed_at_.has_value() && certified.certificate().view() > primary_crashed_view_) {
      result_.stats.primary_crash_to_commit_ms =
          std::max(result_.stats.primary_crash_to_commit_ms, now_ - *primary_crashed_at_);
      primary_crashed_at_.reset();
    }
  }
  for (const std::string& tx : certified.block().transactions()) {
    const crypto::Digest leaf = consensus::TxLeafHash(crypto::HashAlgorithm::kSha256, tx);
    node.committed_txs.insert(leaf);
    if (const auto it = node.pool_index.find(leaf); it != node.pool_index.end()) {
      node.pool_bytes -= node.pool[it->second].size();
      node.pool.erase(it->second);
      node.pool_index.erase(it);
    }
  }
  node.chain.push_back(std::move(certified));
  node.chain_hashes.push_back(hash);
  if (healed_ && !node.progress_after_heal_ms && node.chain.size() > node.height_at_heal) {
    node.progress_after_heal_ms = now_ - config_.fault_phase_ms;
  }
  PoolChanged(node);
  if (!node.execution_scheduled) {
    node.execution_scheduled = true;
    const std::size_t index = node.index;
    const std::uint64_t incarnation = node.incarnation;
    events_.At(now_ + rng_() % 4,
               [this, index, incarnation] { ExecuteCommitted(index, incarnation); });
  }
}

void World::SetTimer(SimNode& node, consensus::TimerId timer, std::uint64_t delay) {
  const std::size_t t = TimerIndex(timer);
  const std::uint64_t generation = ++node.timer_generation[t];
  const std::uint64_t incarnation = node.incarnation;
  const std::size_t index = node.index;
  events_.At(now_ + delay, [this, index, incarnation, generation, t, timer] {
    FireTimer(index, incarnation, generation, t, timer);
  });
}

void World::FireTimer(std::size_t index, std::uint64_t incarnation, std::uint64_t generation,
                      std::size_t t, consensus::TimerId timer) {
  SimNode& n = *nodes_[index];
  if (!n.up || n.incarnation != incarnation || n.timer_generation[t] != generation) return;
  if (DeferIfStalled(n, [this, index, incarnation, generation, t, timer] {
        FireTimer(index, incarnation, generation, t, timer);
      })) {
    return;
  }
  Perform(n, n.replica->OnTimeout(now_, timer));
}

bool World::DeferIfStalled(const SimNode& node, std::function<void()> retry) {
  if (now_ >= node.stalled_until) return false;
  events_.At(node.stalled_until, std::move(retry));
  return true;
}

void World::Send(SimNode& from, const std::string& to, const proto::ConsensusEnvelope& envelope) {
  std::vector<std::string> destinations;
  if (to.empty()) {
    for (const auto& node : nodes_) {
      if (node->index != from.index) destinations.push_back(node->id);
    }
  } else {
    destinations.push_back(to);
  }
  if (from.adversary) {
    for (const auto& [dest, env] : from.adversary->Outgoing(destinations, envelope, rng_)) {
      if (const auto it = index_of_.find(dest); it != index_of_.end()) {
        Transmit(from.index, it->second, env);
      }
    }
    return;
  }
  for (const std::string& dest : destinations) {
    if (const auto it = index_of_.find(dest); it != index_of_.end()) {
      Transmit(from.index, it->second, envelope);
    }
  }
}

std::uint64_t World::Delay() {
  const std::uint64_t hi =
      InFaultPhase() ? config_.max_delay_ms : std::min<std::uint64_t>(config_.max_delay_ms, 20);
  const std::uint64_t lo = std::min(config_.min_delay_ms, hi);
  return lo + (hi > lo ? rng_() % (hi - lo + 1) : 0);
}

void World::Transmit(std::size_t from, std::size_t to, const proto::ConsensusEnvelope& envelope) {
  ++result_.stats.messages_sent;
  if (from == to || Partitioned(from, to)) return;
  std::uniform_real_distribution<double> coin(0, 1);
  if (InFaultPhase()) {
    if (coin(rng_) < config_.drop_rate) return;
    if (coin(rng_) < config_.duplicate_rate) {
      events_.At(now_ + Delay(), [this, to, envelope] { Deliver(to, envelope); });
    }
  }
  events_.At(now_ + Delay(), [this, to, envelope] { Deliver(to, envelope); });
}

void World::Deliver(std::size_t to, const proto::ConsensusEnvelope& envelope) {
  SimNode& node = *nodes_[to];
  if (!node.up) return;
  if (DeferIfStalled(node, [this, to, envelope] { Deliver(to, envelope); })) return;
  ++result_.stats.messages_delivered;
  if (node.adversary) node.adversary->Observe(envelope);
  Perform(node, node.replica->OnMessage(now_, envelope));
}

}  // namespace internal
}  // namespace colend::sim
