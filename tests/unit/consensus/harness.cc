#include "harness.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "colend/common/overloaded.h"
#include "colend/consensus/messages.h"
#include "colend/crypto/hash.h"

namespace colend::consensus::testing {

namespace {

crypto::Digest HashOf(std::string_view text) {
  return crypto::Hash(crypto::HashAlgorithm::kSha256, AsBytes(text));
}

}  // namespace

ConsensusParams TestParams() {
  ConsensusParams params;
  params.checkpoint_period = 4;
  params.window = 8;
  params.execution_lag = 1;
  params.max_block_txs = 4;
  params.max_block_bytes = 1 << 16;
  params.max_clock_drift_ms = 5'000;
  params.batch_timeout_ms = 10;
  params.view_change_timeout_ms = 1'000;
  params.max_view_change_backoff = 3;
  return params;
}

Harness::Harness(std::size_t n, ConsensusParams params) : params_(params) {
  std::vector<std::string> ids;
  std::map<std::string, std::string, std::less<>> secrets;
  for (std::size_t i = 0; i < n; ++i) {
    ids.push_back("node-" + std::to_string(i));
    secrets[ids.back()] = sim::FakeSecret(ids.back(), 1);
  }
  validators_ = std::make_shared<const ValidatorSet>(ValidatorSet::Create(ids).value());
  verifier_ = std::make_shared<const sim::FakeVerifier>(secrets);
  genesis_.hash = HashOf("genesis");
  genesis_.state_root = HashOf("genesis-state");
  genesis_.receipts_root = HashOf("no-receipts");
  genesis_.timestamp_ms = 1'000;
  nodes_.resize(n);
  for (std::size_t i = 0; i < n; ++i) nodes_[i].id = ids[i];
}

std::size_t Harness::IndexOf(const std::string& id) const {
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i].id == id) return i;
  }
  ADD_FAILURE() << "no node " << id;
  return 0;
}

std::unique_ptr<Replica> Harness::MakeReplica(std::size_t i) {
  ReplicaOptions options;
  options.chain_id = kChainId;
  options.self = nodes_[i].id;
  options.validators = validators_;
  options.params = params_;
  options.genesis = genesis_;
  options.signer = std::make_shared<sim::FakeSigner>(sim::FakeSecret(nodes_[i].id, 1));
  options.verifier = verifier_;
  Result<std::unique_ptr<Replica>> replica = Replica::Create(std::move(options));
  EXPECT_TRUE(replica.ok()) << replica.status();
  return std::move(replica).value();
}

void Harness::StartAll() {
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    nodes_[i].replica = MakeReplica(i);
    Result<Actions> actions = nodes_[i].replica->Recover(now_, RecoveryState{});
    ASSERT_TRUE(actions.ok()) << actions.status();
    Apply(i, std::move(actions).value());
  }
}

void Harness::SubmitTo(std::size_t i, const std::string& tx) {
  Node& node = nodes_[i];
  if (!node.up) return;
  node.pool.push_back(tx);
  std::uint64_t bytes = 0;
  for (const std::string& t : node.pool) bytes += t.size();
  Apply(i, node.replica->OnPoolChanged(now_, PoolStatus{node.pool.size(), bytes}));
}

void Harness::Submit(const std::string& tx) {
  for (std::size_t i = 0; i < nodes_.size(); ++i) SubmitTo(i, tx);
}

void Harness::Execute(std::size_t i, const CommitAction& commit) {
  Node& node = nodes_[i];
  const crypto::Digest block_hash =
      BlockHash(crypto::HashAlgorithm::kSha256, commit.block.header());
  const crypto::Digest previous =
      node.executed.empty() ? genesis_.state_root : node.executed.back().state_root;
  ExecutedRoots roots;
  roots.height = commit.height;
  roots.state_root = HashOf(ToString(previous) + ToString(block_hash));
  roots.receipts_root = HashOf("receipts" + ToString(block_hash));
  if (epoch_end_after) roots.epoch_end = epoch_end_after(roots.height);
  node.executed.push_back(roots);
  Apply(i, node.replica->OnBlockExecuted(now_, roots.height, roots.state_root,
                                         roots.receipts_root, roots.epoch_end));
}

void Harness::Apply(std::size_t i, Actions actions) {
  Node& node = nodes_[i];
  ++depth_;
  for (Action& action : actions) {
    node.all_actions.push_back(action);
    std::visit(
        Overloaded{
            [&](SendAction& a) {
              network_.push_back(InFlight{node.id, a.to, a.envelope});
            },
            [&](BroadcastAction& a) {
              for (const Node& other : nodes_) {
                if (other.id != node.id) {
                  network_.push_back(InFlight{node.id, other.id, a.envelope});
                }
              }
            },
            [&](PersistAction& a) { node.wal.push_back(a); },
            [&](CompactWalAction& a) {
              std::erase_if(node.wal, [&](const PersistAction& p) {
                return WalRecordObsolete(p.key, a.stable_sequence, a.view);
              });
            },
            [&](CommitAction& a) {
              EXPECT_EQ(a.height, node.commits.size() + 1) << node.id << " commits out of order";
              node.commits.push_back(a);
              std::set<std::string> included(a.block.transactions().begin(),
                                             a.block.transactions().end());
              std::erase_if(node.pool, [&](const std::string& tx) { return included.count(tx); });
              Later([this, i] {
                Node& n = nodes_[i];
                if (!n.up) return;
                std::uint64_t bytes = 0;
                for (const std::string& t : n.pool) bytes += t.size();
                Apply(i, n.replica->OnPoolChanged(now_, PoolStatus{n.pool.size(), bytes}));
              });
              if (auto_execute) {
                Later([this, i, a] {
                  if (nodes_[i].up) Execute(i, a);
                });
              }
            },
            [&](SetTimerAction& a) { node.timers[a.timer] = now_ + a.delay_ms; },
            [&](CancelTimerAction& a) { node.timers.erase(a.timer); },
            [&](RequestSyncAction& a) { node.sync_requests.push_back(a); },
            [&](RequestProposalAction& a) {
              node.proposal_requests.push_back(a);
              if (!auto_propose) return;
              Later([this, i, a] {
                Node& n = nodes_[i];
                if (!n.up) return;
                std::set<crypto::Digest> exclude(a.exclude.begin(), a.exclude.end());
                std::vector<std::string> txs;
                for (const std::string& tx : n.pool) {
                  if (txs.size() >= a.max_txs) break;
                  if (exclude.count(TxLeafHash(crypto::HashAlgorithm::kSha256, tx))) continue;
                  txs.push_back(tx);
                }
                Apply(i, n.replica->OnProposal(now_, a.height, std::move(txs)));
              });
            },
            [&](CheckProposalAction& a) {
              // The node's check of a fresh proposal, answered right after this step.
              Later([this, i, a] {
                Node& n = nodes_[i];
                if (!n.up) return;
                const Status verdict = validate ? validate(*a.block) : Status::Ok();
                Apply(i, n.replica->OnProposalChecked(now_, a.view, a.sequence, a.block_hash,
                                                      verdict));
              });
            },
        },
        action);
  }
  if (--depth_ == 0) {
    while (!followups_.empty()) {
      std::function<void()> next = std::move(followups_.front());
      followups_.pop_front();
      ++depth_;
      next();
      --depth_;
    }
  }
}

Actions Harness::DeliverRaw(std::size_t to, const proto::ConsensusEnvelope& envelope) {
  return nodes_[to].replica->OnMessage(now_, envelope);
}

void Harness::Deliver(std::size_t to, const proto::ConsensusEnvelope& envelope) {
  if (!nodes_[to].up) return;
  Apply(to, DeliverRaw(to, envelope));
}

std::size_t Harness::DeliverAll(const Filter& keep) {
  std::size_t delivered = 0;
  while (!network_.empty()) {
    InFlight message = std::move(network_.front());
    network_.pop_front();
    if (keep && !keep(message)) continue;
    const std::size_t to = IndexOf(message.to);
    if (!nodes_[to].up) continue;
    Deliver(to, message.envelope);
    ++delivered;
  }
  return delivered;
}

std::size_t Harness::DeliverWhere(const Filter& match) {
  std::size_t delivered = 0;
  bool progress = true;
  while (progress) {
    progress = false;
    for (auto it = network_.begin(); it != network_.end(); ++it) {
      if (!match(*it)) continue;
      InFlight message = std::move(*it);
      network_.erase(it);
      const std::size_t to = IndexOf(message.to);
      if (nodes_[to].up) {
        Deliver(to, message.envelope);
        ++delivered;
      }
      progress = true;
      break;
    }
  }
  return delivered;
}

void Harness::DropWhere(const Filter& match) {
  std::erase_if(network_, match);
}

void Harness::AdvanceTime(std::uint64_t ms) {
  const std::uint64_t end = now_ + ms;
  while (true) {
    std::uint64_t next = end;
    std::size_t who = 0;
    TimerId which = TimerId::kViewChange;
    bool found = false;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (!nodes_[i].up) continue;
      for (const auto& [timer, deadline] : nodes_[i].timers) {
        if (deadline <= next && (!found || deadline < next)) {
          next = deadline;
          who = i;
          which = timer;
          found = true;
        }
      }
    }
    if (!found) break;
    now_ = std::max(now_, next);
    nodes_[who].timers.erase(which);
    Apply(who, nodes_[who].replica->OnTimeout(now_, which));
  }
  now_ = end;
}

void Harness::Run(std::uint64_t ms, std::uint64_t step_ms, const Filter& keep) {
  for (std::uint64_t t = 0; t < ms; t += step_ms) {
    DeliverAll(keep);
    AdvanceTime(step_ms);
  }
  DeliverAll(keep);
}

std::size_t Harness::ServeSync(std::size_t i, std::size_t from) {
  std::size_t accepted = 0;
  while (nodes_[i].up && nodes_[i].commits.size() < nodes_[from].commits.size()) {
    const CommitAction& c = nodes_[from].commits[nodes_[i].commits.size()];
    proto::CertifiedBlock certified;
    *certified.mutable_block() = c.block;
    *certified.mutable_certificate() = c.certificate;
    Result<Actions> actions = nodes_[i].replica->OnSyncedBlock(now_, certified);
    EXPECT_TRUE(actions.ok()) << actions.status();
    if (!actions.ok()) break;
    Apply(i, std::move(actions).value());
    ++accepted;
  }
  return accepted;
}

void Harness::Crash(std::size_t i) {
  Node& node = nodes_[i];
  node.up = false;
  node.replica.reset();
  node.pool.clear();
  node.timers.clear();
  std::erase_if(network_, [&](const InFlight& m) { return m.to == node.id; });
}

void Harness::Restart(std::size_t i) {
  Node& node = nodes_[i];
  node.up = true;
  node.replica = MakeReplica(i);
  RecoveryState state;
  for (const PersistAction& p : node.wal) state.records.push_back(p.record);
  state.committed_height = node.commits.size();
  for (const CommitAction& c : node.commits) state.committed_headers.push_back(c.block.header());
  state.executed = node.executed;
  Result<Actions> actions = node.replica->Recover(now_, state);
  ASSERT_TRUE(actions.ok()) << actions.status();
  Apply(i, std::move(actions).value());
}

proto::ConsensusEnvelope Harness::Sign(std::size_t signer,
                                       const proto::ConsensusMessage& message) const {
  sim::FakeSigner key(sim::FakeSecret(nodes_[signer].id, 1));
  Result<proto::ConsensusEnvelope> envelope = SealMessage(message, nodes_[signer].id, key);
  EXPECT_TRUE(envelope.ok());
  return envelope.value();
}

proto::ConsensusEnvelope Harness::Sign(std::size_t signer, const PrePrepareDraft& draft) const {
  proto::ConsensusEnvelope envelope = Sign(signer, draft.message);
  *envelope.mutable_transactions() = draft.block.transactions();
  return envelope;
}

proto::Block Harness::FirstBlock(const std::vector<std::string>& txs, std::uint64_t view) const {
  return MakeBlock(1, genesis_.hash, view, validators_->Primary(view), txs, now_,
                   genesis_.state_root, genesis_.receipts_root);
}

proto::Block MakeBlock(std::uint64_t height, const crypto::Digest& parent, std::uint64_t view,
                       const std::string& proposer, const std::vector<std::string>& txs,
                       std::uint64_t timestamp_ms, const crypto::Digest& state_root,
                       const crypto::Digest& receipts_root, const char* chain) {
  proto::Block block;
  std::vector<crypto::Digest> leaves;
  for (const std::string& tx : txs) {
    block.add_transactions(tx);
    leaves.push_back(TxLeafHash(crypto::HashAlgorithm::kSha256, tx));
  }
  proto::BlockHeader header;
  header.set_chain_id(chain);
  header.set_height(height);
  header.set_parent_hash(DigestBytes(parent));
  header.set_tx_root(DigestBytes(TxRoot(crypto::HashAlgorithm::kSha256, leaves)));
  header.set_receipts_root(DigestBytes(receipts_root));
  header.set_state_root(DigestBytes(state_root));
  header.set_timestamp_ms(timestamp_ms);
  header.set_proposer(proposer);
  header.set_view(view);
  header.set_tx_count(static_cast<std::uint32_t>(txs.size()));
  header.SerializeToString(block.mutable_header());
  return block;
}

PrePrepareDraft PrePrepareMessage(std::uint64_t view, std::uint64_t sequence,
                                  const proto::Block& block, const char* chain) {
  PrePrepareDraft draft;
  draft.message.set_chain_id(chain);
  draft.message.mutable_pre_prepare()->set_view(view);
  draft.message.mutable_pre_prepare()->set_sequence(sequence);
  draft.message.mutable_pre_prepare()->set_header(block.header());
  draft.block = block;
  return draft;
}

std::string HashOf(const proto::Block& block) {
  return DigestBytes(BlockHash(crypto::HashAlgorithm::kSha256, block.header()));
}

proto::ConsensusMessage PrepareMessage(std::uint64_t view, std::uint64_t sequence,
                                       const std::string& hash, const char* chain) {
  proto::ConsensusMessage message;
  message.set_chain_id(chain);
  message.mutable_prepare()->set_view(view);
  message.mutable_prepare()->set_sequence(sequence);
  message.mutable_prepare()->set_block_hash(hash);
  return message;
}

proto::ConsensusMessage CommitMessage(std::uint64_t view, std::uint64_t sequence,
                                      const std::string& hash, const char* chain) {
  proto::ConsensusMessage message;
  message.set_chain_id(chain);
  message.mutable_commit()->set_view(view);
  message.mutable_commit()->set_sequence(sequence);
  message.mutable_commit()->set_block_hash(hash);
  return message;
}

std::string KindOf(const proto::ConsensusEnvelope& envelope) {
  proto::ConsensusMessage message;
  if (!message.ParseFromString(envelope.body())) return "garbage";
  switch (message.payload_case()) {
    case proto::ConsensusMessage::kPrePrepare:
      return "pre_prepare";
    case proto::ConsensusMessage::kPrepare:
      return "prepare";
    case proto::ConsensusMessage::kCommit:
      return "commit";
    case proto::ConsensusMessage::kCheckpoint:
      return "checkpoint";
    case proto::ConsensusMessage::kViewChange:
      return "view_change";
    case proto::ConsensusMessage::kNewView:
      return "new_view";
    case proto::ConsensusMessage::PAYLOAD_NOT_SET:
      break;
  }
  return "none";
}

}  // namespace colend::consensus::testing
