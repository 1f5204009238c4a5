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
  std::vector<std::string> ids;       // the genesis validators
  std::vector<std::string> all_ids;   // and the spares
  std::map<std::string, std::string, std::less<>>& secrets = secrets_;
  const int total = config_.n + std::max(0, config_.spares);
  for (int i = 0; i < total; ++i) {
    // Zero-padded so that the id order (which ValidatorSet requires) is the index order.
    std::string id = "v" + std::string(i < 10 ? "0" : "") + std::to_string(i);
    if (i < config_.n) ids.push_back(id);
    all_ids.push_back(id);
    secrets[id] = FakeSecret(id, config_.seed);
  }
  consensus::ValidatorSet set = consensus::ValidatorSet::Create(ids).value();
  if (config_.broken_quorum_for_testing.has_value()) {
    consensus::ValidatorSetTestPeer::SetQuorum(set, *config_.broken_quorum_for_testing);
  }
  validators_ = std::make_shared<const consensus::ValidatorSet>(std::move(set));
  epochs_.push_back(SimEpoch{0, 1, 0, validators_});
  verifier_ = std::make_shared<const FakeVerifier>(secrets);
  genesis_.hash = Sha256("genesis/" + std::to_string(config_.seed));
  genesis_.state_root = Sha256("genesis-state");
  genesis_.receipts_root = Sha256("no-receipts");
  genesis_.timestamp_ms = 0;
  group_.assign(all_ids.size(), 0);

  std::vector<std::size_t> order(static_cast<std::size_t>(config_.n));
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng_);
  const std::set<std::size_t> byzantine(order.begin(), order.begin() + config_.byzantine);
  for (std::size_t i = 0; i < all_ids.size(); ++i) {
    auto node = std::make_unique<SimNode>();
    node->index = i;
    node->id = all_ids[i];
    node->honest = byzantine.count(i) == 0;
    node->proposal_check = std::make_unique<SimProposalCheck>(node.get(), config_.seed);
    node->host = std::make_unique<SimHost>(*this, *node);
    if (!node->honest) {
      node->adversary = std::make_unique<Adversary>(ids[i], config_.behaviors,
                                                    std::make_shared<FakeSigner>(secrets[ids[i]]),
                                                    ids, kSimChainId);
    }
    index_of_[all_ids[i]] = i;
    nodes_.push_back(std::move(node));
  }
  for (auto& node : nodes_) Start(*node, /*restart=*/false);

  check_padding_ = std::find(config_.behaviors.begin(), config_.behaviors.end(),
                             ByzantineBehavior::kPadded) != config_.behaviors.end();
  if (config_.suspend_at_ms != 0) {
    events_.At(config_.suspend_at_ms, [this] {
      // The vote passed: it takes effect at the next height no honest replica has.
      std::uint64_t height = 0;
      for (const auto& node : nodes_) {
        if (node->honest) height = std::max<std::uint64_t>(height, node->chain.size());
      }
      suspend_height_ = height + 1;
      result_.stats.suspended_height = suspend_height_;
    });
  }
  for (std::size_t step = 0; step < config_.reconfigure_at_ms.size(); ++step) {
    events_.At(config_.reconfigure_at_ms[step], [this, step] { Reconfigure(step); });
  }
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
        if (node->up && node->honest) view = std::max(view, node->replica().status().view);
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
  std::pair<std::uint64_t, std::uint64_t> latest{0, 0};  // (epoch, view)
  for (const auto& node : nodes_) {
    if (!node->up || !node->honest) continue;
    const consensus::ReplicaStatus status = node->replica().status();
    if (status.observer) continue;
    latest = std::max(latest, std::make_pair(status.epoch, status.view));
  }
  return index_of_.at(epochs_[latest.first].validators->Primary(latest.second));
}

const SimEpoch& World::EpochAt(std::uint64_t height) const {
  const SimEpoch* found = &epochs_.front();
  for (const SimEpoch& e : epochs_) {
    if (e.start <= height) found = &e;
  }
  return *found;
}

const SimEpoch* World::DecidedBy(std::uint64_t height) const {
  for (const SimEpoch& e : epochs_) {
    if (e.epoch > 0 && e.decided_at == height) return &e;
  }
  return nullptr;
}

std::uint64_t World::EpochToRun(const SimNode& node) const {
  const std::uint64_t executed = node.executed.size();
  std::uint64_t epoch = 0;
  for (const SimEpoch& e : epochs_) {
    if (e.decided_at <= executed && e.start - 1 <= executed) epoch = e.epoch;
  }
  return epoch;
}

void World::Reconfigure(std::size_t step) {
  // Decided by a block no node has committed yet, so every node executes the decision.
  std::uint64_t height = 0;
  for (const auto& node : nodes_) height = std::max<std::uint64_t>(height, node->chain.size());
  height = std::max<std::uint64_t>(height + 1, epochs_.back().decided_at);
  std::vector<std::string> ids = epochs_.back().validators->node_ids();
  std::vector<std::string> spares;
  for (const auto& node : nodes_) {
    if (node->index >= static_cast<std::size_t>(config_.n) && removed_.count(node->id) == 0 &&
        std::find(ids.begin(), ids.end(), node->id) == ids.end()) {
      spares.push_back(node->id);
    }
  }
  const auto byzantine_in = [this](const std::vector<std::string>& set) {
    std::size_t count = 0;
    for (const std::string& id : set) count += nodes_[index_of_.at(id)]->honest ? 0 : 1;
    return count;
  };
  // Remove a byzantine validator first, else the lowest id (the primary of view 0); only if
  // the smaller set still tolerates the byzantine validators left in it.
  std::optional<std::string> removal;
  for (const std::string& id : ids) {
    if (!nodes_[index_of_.at(id)]->honest) {
      removal = id;
      break;
    }
  }
  if (!removal.has_value()) removal = ids.front();
  std::vector<std::string> smaller = ids;
  std::erase(smaller, *removal);
  const bool may_remove =
      !smaller.empty() && byzantine_in(smaller) <= (smaller.size() - 1) / 3 && smaller.size() >= 3;
  const bool remove = step % 3 == 2 ? may_remove : spares.empty() && may_remove;
  if (remove) {
    ids = std::move(smaller);
    removed_.insert(*removal);
  } else {
    const std::size_t add = std::min<std::size_t>(step % 3 == 1 ? 2 : 1, spares.size());
    if (add == 0) return;  // nothing to add and nothing may go: the plan skips this step
    ids.insert(ids.end(), spares.begin(), spares.begin() + static_cast<std::ptrdiff_t>(add));
    std::sort(ids.begin(), ids.end());
  }
  auto set = std::make_shared<const consensus::ValidatorSet>(
      consensus::ValidatorSet::Create(ids).value());
  const std::uint64_t start = height + config_.params.EpochDelay();
  if (epochs_.size() > 1 && epochs_.back().decided_at == height) {
    epochs_.back().validators = std::move(set);  // a second change in the same block
  } else {
    epochs_.push_back(SimEpoch{epochs_.size(), start, height, std::move(set)});
  }
  result_.stats.epochs = epochs_.size() - 1;
  result_.stats.final_validators = epochs_.back().validators->size();
  // The deciding vote is a transaction: the block at `height` comes even on an idle chain.
  const std::string vote = MakeTransaction(next_tx_id_);
  submitted_.emplace(vote, next_tx_id_++);
  ClientSubmit(vote);
  if (config_.crash_primary_at_reconfigure) {
    SimNode& victim = *nodes_[CurrentPrimaryIndex()];
    if (victim.up) {
      Crash(victim);
      const std::uint64_t duration = 500 + rng_() % 2'000;
      events_.At(now_ + duration, [this, &victim] {
        if (!victim.up) Start(victim, true);
      });
    }
  }
}

void World::ZombieVote(SimNode& node, const proto::ConsensusEnvelope& envelope) {
  if (!node.up || removed_.count(envelope.sender()) != 0) return;
  proto::ConsensusRoute message;  // no string fields: garbage from a byzantine peer logs nothing
  if (!message.ParseFromString(envelope.body())) return;
  if (!message.has_prepare() && !message.has_commit()) return;
  const std::uint64_t sequence =
      message.has_prepare() ? message.prepare().sequence() : message.commit().sequence();
  if (EpochAt(sequence).validators->Contains(node.id)) return;
  FakeSigner signer(secrets_.at(node.id));
  Result<Bytes> signature = signer.Sign(AsBytes(envelope.body()));
  if (!signature.ok()) return;
  proto::ConsensusEnvelope vote;
  vote.set_body(envelope.body());
  vote.set_sender(node.id);
  vote.set_signature(std::string(signature->begin(), signature->end()));
  ++result_.stats.zombie_votes;
  for (const auto& other : nodes_) {
    if (other->index != node.index) Transmit(node.index, other->index, vote);
  }
}

consensus::RecoveryState World::RecoveryFor(const SimNode& node) const {
  consensus::RecoveryState state;
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
  return state;
}

std::unique_ptr<consensus::Replica> World::MakeReplica(SimNode& node, std::uint64_t epoch) {
  const SimEpoch& e = epochs_[epoch];
  consensus::ReplicaOptions options;
  options.chain_id = kSimChainId;
  options.self = node.id;
  options.validators = e.validators;
  options.params = config_.params;
  options.genesis = genesis_;
  options.genesis.epoch = epoch;
  if (e.start > 1) {
    // The base: the previous epoch's last block, which this node committed and executed.
    const std::uint64_t base = e.start - 1;
    proto::BlockHeader header;
    header.ParseFromString(node.chain[base - 1].block().header());
    options.genesis.height = base;
    options.genesis.hash = node.chain_hashes[base - 1];
    options.genesis.timestamp_ms = header.timestamp_ms();
    options.genesis.base_state_root = node.executed[base - 1].state_root;
  }
  options.observer = !e.validators->Contains(node.id);
  if (epoch + 1 < epochs_.size() && epochs_[epoch + 1].decided_at <= node.executed.size()) {
    options.epoch_end = epochs_[epoch + 1].start - 1;
  }
  options.signer = std::make_shared<FakeSigner>(FakeSecret(node.id, config_.seed));
  options.verifier = verifier_;
  Result<std::unique_ptr<consensus::Replica>> replica =
      consensus::Replica::Create(std::move(options));
  if (!replica.ok()) {
    Fail("setup", replica.status().ToString());
    return nullptr;
  }
  return std::move(replica).value();
}

void World::Start(SimNode& node, bool restart) {
  std::unique_ptr<consensus::Replica> replica = MakeReplica(node, restart ? EpochToRun(node) : 0);
  if (!replica) return;
  node.graveyard.clear();  // no loop of an earlier life is running now (events run one by one)
  node.loop = std::make_unique<consensus::ActionLoop>(std::move(replica), *node.host);
  node.up = true;
  consensus::RecoveryState state;
  if (restart) state = RecoveryFor(node);
  if (const Status recovered = node.loop->Recover(state); !recovered.ok()) {
    Fail("recovery", node.id + ": " + recovered.ToString());
    return;
  }
  node.loop->Start();
  if (restart && node.up && node.executed.size() < node.chain.size()) {
    const std::uint64_t incarnation = node.incarnation;
    const std::size_t index = node.index;
    events_.At(now_, [this, index, incarnation] { ExecuteCommitted(index, incarnation); });
  }
}

void World::Crash(SimNode& node) {
  ++result_.stats.crashes;
  const consensus::ReplicaCounters& counters = node.loop->replica().counters();
  result_.stats.view_changes += counters.view_changes;
  result_.stats.new_views += counters.new_views_entered;
  result_.stats.sync_requests += counters.sync_requests;
  result_.stats.synced_blocks += counters.synced_blocks;
  node.up = false;
  ++node.incarnation;
  // The crash may come from inside the loop (MaybeCrashMidStep): stop it, keep it until the
  // restart.
  node.loop->Stop();
  node.graveyard.push_back(std::move(node.loop));
  node.pool.clear();
  node.pool_index.clear();
  node.pool_bytes = 0;
  node.execution_scheduled = false;
  node.executing = false;  // its finishing event belongs to the old incarnation
}

// --- SimHost: the action loop's I/O in the simulated world --------------------------------

std::uint64_t SimHost::NowMs() { return world_.now_; }

void SimHost::Send(const std::string& to, proto::ConsensusEnvelope envelope) {
  world_.Send(node_, to, envelope);
}

void SimHost::Broadcast(proto::ConsensusEnvelope envelope) {
  world_.Send(node_, std::string(), envelope);
}

Status SimHost::Persist(const consensus::PersistAction& record) {
  world_.CheckStored(node_, "a WAL record", record.record);
  node_.wal.push_back(record);
  if (node_.honest) {
    world_.result_.stats.max_wal_records =
        std::max<std::uint64_t>(world_.result_.stats.max_wal_records, node_.wal.size());
  }
  return Status::Ok();
}

void SimHost::CompactWal(const consensus::CompactWalAction& compact) {
  std::erase_if(node_.wal, [&](const consensus::PersistAction& p) {
    return consensus::WalRecordObsolete(p.key, compact.stable_sequence, compact.view);
  });
}

Status SimHost::Commit(consensus::CommitAction& commit) {
  world_.PerformCommit(node_, commit);
  return Status::Ok();  // an invariant broken is reported by Fail and ends the run
}

void SimHost::ArmTimer(consensus::TimerId timer, std::uint64_t delay_ms, std::uint64_t token) {
  world_.SetTimer(node_, timer, delay_ms, token);
}

void SimHost::RequestSync(const consensus::RequestSyncAction& request) {
  const std::size_t index = node_.index;
  const std::uint64_t incarnation = node_.incarnation;
  const std::uint64_t target = request.target_height;
  world_.events_.At(world_.now_ + world_.Delay(), [w = &world_, index, target, incarnation] {
    w->Sync(index, target, incarnation, 0);
  });
}

std::vector<std::string> SimHost::Batch(const consensus::RequestProposalAction& request) {
  return world_.Batch(node_, request);
}

// Answered at once: the loop issues the check only when every block committed before it
// is in the node's committed index. (colend-node answers from another thread, later; the
// replica does not care when.)
void SimHost::CheckProposal(const consensus::CheckProposalAction& check) {
  const Status verdict = node_.proposal_check->Check(*check.block);
  node_.loop->OnProposalChecked(check.view, check.sequence, check.block_hash, verdict);
}

consensus::PoolStatus SimHost::Pool() {
  return consensus::PoolStatus{node_.pool.size(), node_.pool_bytes};
}

void SimHost::BeforeAction(const consensus::Action& /*action*/, bool more) {
  if (more) world_.MaybeCrashMidStep(node_);
}

void SimHost::Halted(const Status& why) { world_.Fail("host", node_.id + ": " + why.ToString()); }

Result<consensus::ActionHost::Epoch> SimHost::NextEpoch(std::uint64_t ended_epoch,
                                                        std::uint64_t end_height) {
  const std::uint64_t next = ended_epoch + 1;
  if (next >= world_.epochs_.size() || world_.epochs_[next].start != end_height + 1) {
    return Status::Internal("epoch " + std::to_string(ended_epoch) + " ended at " +
                            std::to_string(end_height) + " but governance decided no such end");
  }
  node_.wal.clear();  // the old epoch's entries bind nothing any more
  Epoch epoch;
  epoch.replica = world_.MakeReplica(node_, next);
  if (!epoch.replica) return Status::Internal("no replica for epoch " + std::to_string(next));
  epoch.recovery = world_.RecoveryFor(node_);
  ++world_.result_.stats.epoch_switches;
  return epoch;
}

// The process dies between two actions of one step: what was persisted stays.
void World::MaybeCrashMidStep(SimNode& node) {
  if (config_.mid_step_crash_rate <= 0 || !InFaultPhase() || !node.up) return;
  if (std::uniform_real_distribution<double>(0, 1)(rng_) >= config_.mid_step_crash_rate / 2) {
    return;
  }
  Crash(node);
  const std::uint64_t back = now_ + 100 + rng_() % 2'000;
  events_.At(back, [this, &node] {
    if (!node.up && !healed_) Start(node, true);
  });
}

void World::PerformCommit(SimNode& node, consensus::CommitAction& commit) {
  proto::CertifiedBlock certified;
  *certified.mutable_block() = std::move(commit.block);
  *certified.mutable_certificate() = std::move(commit.certificate);
  // Checked against the validator set in force at the block's height, in its epoch.
  const SimEpoch& epoch = EpochAt(commit.height);
  const Status certificate = consensus::VerifyCommitCertificate(
      certified.certificate(), certified.block(), *epoch.validators, kSimChainId,
      crypto::HashAlgorithm::kSha256, *verifier_, epoch.epoch);
  if (!certificate.ok()) {
    Fail("chain", node.id + " committed height " + std::to_string(commit.height) +
                      " with an invalid certificate: " + certificate.ToString());
    return;
  }
  for (const proto::CommitSignature& c : certified.certificate().commits()) {
    if (!epoch.validators->Contains(c.validator())) {
      Fail("epochs", node.id + " committed height " + std::to_string(commit.height) +
                         " with a COMMIT of " + c.validator() + ", not a validator of epoch " +
                         std::to_string(epoch.epoch));
      return;
    }
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
    CheckStored(node, "block " + std::to_string(commit.height), certified);
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

void World::SetTimer(SimNode& node, consensus::TimerId timer, std::uint64_t delay,
                     std::uint64_t token) {
  const std::uint64_t incarnation = node.incarnation;
  const std::size_t index = node.index;
  events_.At(now_ + delay, [this, index, incarnation, token, timer] {
    FireTimer(index, incarnation, token, timer);
  });
}

void World::FireTimer(std::size_t index, std::uint64_t incarnation, std::uint64_t token,
                      consensus::TimerId timer) {
  SimNode& n = *nodes_[index];
  if (!n.up || n.incarnation != incarnation) return;
  if (DeferIfStalled(n, [this, index, incarnation, token, timer] {
        FireTimer(index, incarnation, token, timer);
      })) {
    return;
  }
  n.loop->OnTimeout(timer, token);  // a stale token (re-armed or cancelled) is ignored
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
  CheckSent(from, envelope);
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
  node.loop->OnMessage(envelope);
  if (config_.removed_keep_voting && removed_.count(node.id) != 0) ZombieVote(node, envelope);
}

}  // namespace internal
}  // namespace colend::sim
