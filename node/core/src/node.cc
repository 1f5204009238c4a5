#include "colend/node/node.h"

#include <pthread.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <utility>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "colend/common/bytes.h"
#include "colend/common/files.h"
#include "colend/contracts/apply.h"
#include "colend/contracts/records.h"
#include "colend/contracts/validators.h"
#include "colend/crypto/hash.h"
#include "colend/crypto/keys.h"
#include "colend/crypto/secret.h"
#include "colend/node/kv_store.h"
#include "node_impl.h"

namespace colend::node {
namespace {

// A file the config names, with the setting in the message.
Result<std::string> ReadTextFile(const std::filesystem::path& path, std::string_view setting) {
  Result<std::string> text = ReadWholeFile(path.string(), 64 << 20);
  if (!text.ok()) return text.status().WithContext(setting);
  return text;
}

// The data directory holds the chain, the consensus log and every bank's books: only the
// node's own user may enter it. Missing components are created 0700 (mkdir's mode, which
// the umask can only narrow); an existing directory is left as the operator made it, with a
// warning if group or others may enter it (changing it under a running deployment could
// break a backup job that relies on group access).
Status PrepareDataDir(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  const std::string key(config_keys::kNodeDataDir);
  std::error_code ec;
  if (fs::is_directory(dir, ec)) {
    const fs::perms perms = fs::status(dir, ec).permissions();
    if (!ec && (perms & (fs::perms::group_all | fs::perms::others_all)) != fs::perms::none) {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(perms & fs::perms::mask));
      spdlog::warn(
          "{} {} has mode {}: group or others can enter it and read the chain and "
          "every bank's books; run chmod 700 {}",
          key, dir.string(), mode, dir.string());
    }
    return Status::Ok();
  }
  std::vector<fs::path> missing;  // innermost first
  for (fs::path p = dir; !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), 0700) != 0 && errno != EEXIST) {
      return Status::IoError(key + " " + dir.string() + ": cannot create " + it->string() + ": " +
                             std::strerror(errno));
    }
  }
  if (!fs::is_directory(dir, ec)) {
    return Status::IoError(key + " " + dir.string() + ": cannot be created");
  }
  return Status::Ok();
}

consensus::ConsensusParams ToConsensusParams(const contracts::ConsensusParams& p) {
  consensus::ConsensusParams out;
  out.checkpoint_period = p.checkpoint_period;
  out.window = p.watermark_window;
  out.execution_lag = p.execution_lag;
  out.max_block_txs = p.max_block_txs;
  out.max_block_bytes = p.max_block_bytes;
  out.max_clock_drift_ms = p.max_clock_drift_ms;
  out.batch_timeout_ms = p.batch_timeout_ms;
  out.view_change_timeout_ms = p.view_change_timeout_ms;
  return out;
}

}  // namespace

Node::Impl::Impl(NodeConfig config, contracts::Genesis genesis)
    : config_(std::move(config)),
      genesis_(std::move(genesis)),
      suite_(genesis_.suite),
      executor_(genesis_.chain_id, genesis_.suite) {}

Node::Impl::~Impl() {
  if (rpc_) rpc_->Stop();
  if (net_thread_.joinable()) {
    net_io_.stop();
    net_thread_.join();
  }
  if (p2p_) p2p_->Stop();
  if (gossip_) gossip_->Stop();
  if (proposal_check_) proposal_check_->Stop();
}

Status Node::Impl::Open() {
  // Who we are: the node id and consensus key of node.toml. Whether that makes this node a
  // validator, and of which epoch, the validator schedule in the state says (below).
  // The key's PEM text is wiped on every way out of Open (OPENSSL_cleanse): parsed, it
  // lives in OpenSSL's key object, which wipes itself when freed. ReadSecretFile checks the
  // mode again on the descriptor it reads (the config checked the path earlier), so a file
  // swapped or chmod-ed since is still refused.
  std::string key_pem;
  const crypto::WipeOnExit wipe_key_pem(key_pem);
  {
    Result<std::string> read =
        crypto::ReadSecretFile(config_.node_key_file, config_keys::kP2pNodeKeyFile);
    if (!read.ok()) return read.status();
    key_pem = std::move(read).value();
  }
  Result<crypto::PrivateKey> node_key = crypto::PrivateKey::FromPem(suite_, key_pem);
  if (!node_key.ok()) {
    return Status::InvalidArgument(std::string(config_keys::kP2pNodeKeyFile) + " " +
                                   config_.node_key_file.string() + ": " +
                                   node_key.status().message());
  }
  COLEND_ASSIGN_OR_RETURN(node_public_key_, node_key->public_key().ToDer());
  signer_ = std::make_shared<consensus::NodeKeySigner>(std::move(node_key).value());
  // TLS: on a standard chain the node key and its certificate; on an sm chain a P-256
  // transport key and certificate, bound to the SM2 node key by a signature in every Hello
  // (docs/sm.md), since OpenSSL 3.0's TLS 1.3 cannot sign with SM2.
  const bool sm_transport = suite_ == crypto::CryptoSuite::Sm();
  if (sm_transport && config_.transport_key_file.empty()) {
    return Status::InvalidArgument(
        std::string(config_keys::kP2pTransportKeyFile) + " and " +
        config_keys::kP2pTransportCertFile +
        ": required on an \"sm\" chain (the TLS certificate holds a P-256 transport key, "
        "bound to the SM2 node key; docs/sm.md)");
  }
  if (!sm_transport && !config_.transport_key_file.empty()) {
    return Status::InvalidArgument(
        std::string(config_keys::kP2pTransportKeyFile) +
        ": only for \"sm\" chains; on a \"standard\" chain the certificate holds the node key (" +
        config_keys::kP2pNodeCertFile + ")");
  }
  std::shared_ptr<const crypto::PrivateKey> binding_key;
  std::string transport_key_pem;
  const crypto::WipeOnExit wipe_transport_key_pem(transport_key_pem);
  if (sm_transport) {
    // A second parse of the node key, owned by the p2p layer, which signs each connection's
    // binding with it (the first is the consensus signer's).
    Result<crypto::PrivateKey> bind = crypto::PrivateKey::FromPem(suite_, key_pem);
    if (!bind.ok()) return bind.status();
    binding_key = std::make_shared<const crypto::PrivateKey>(std::move(bind).value());
    Result<std::string> read =
        crypto::ReadSecretFile(config_.transport_key_file, config_keys::kP2pTransportKeyFile);
    if (!read.ok()) return read.status();
    transport_key_pem = std::move(read).value();
    if (Result<crypto::PrivateKey> transport =
            crypto::PrivateKey::FromPem(crypto::CryptoSuite::Standard(), transport_key_pem);
        !transport.ok()) {
      return Status::InvalidArgument(std::string(config_keys::kP2pTransportKeyFile) + " " +
                                     config_.transport_key_file.string() +
                                     ": not a P-256 key: " + transport.status().message());
    }
  }
  COLEND_ASSIGN_OR_RETURN(
      std::string cert_pem,
      sm_transport ? ReadTextFile(config_.transport_cert_file, config_keys::kP2pTransportCertFile)
                   : ReadTextFile(config_.node_cert_file, config_keys::kP2pNodeCertFile));
  COLEND_ASSIGN_OR_RETURN(std::string ca_pem,
                          ReadTextFile(config_.ca_cert_file, config_keys::kP2pCaCertFile));

  // The store, and genesis in it.
  COLEND_RETURN_IF_ERROR(PrepareDataDir(config_.data_dir));
  LevelDbOptions db_options;
  Result<std::unique_ptr<KvStore>> kv = OpenLevelDb(config_.data_dir / "chain", db_options);
  if (!kv.ok()) {
    return Status(kv.status().code(),
                  std::string(config_keys::kNodeDataDir) + " " + config_.data_dir.string() +
                      ": " + kv.status().message());
  }
  const auto opening = std::chrono::steady_clock::now();
  COLEND_ASSIGN_OR_RETURN(store_, BlockStore::Open(std::move(kv).value(),
                                                    BlockStoreOptions{suite_.hash(), StoreHistoryPrefixes()}));
  if (store_->migrated_from() != 0) {
    spdlog::info("rewrote the store from format version {} to the current one at height {} in {} ms",
                 store_->migrated_from(), store_->height(),
                 std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - opening)
                     .count());
  }
  COLEND_ASSIGN_OR_RETURN(contracts::WriteSet genesis_state,
                          contracts::BuildInitialState(contracts::InitialStateFromGenesis(genesis_)));
  {
    contracts::MemoryState scratch(suite_.hash());
    scratch.Commit(genesis_state);
    genesis_state_root_ = scratch.Root();
  }
  empty_receipts_root_ = ReceiptsRoot(suite_.hash(), {});
  COLEND_RETURN_IF_ERROR(store_->InitGenesis(genesis_.genesis_hash, genesis_state,
                                             genesis_state_root_, empty_receipts_root_, 0));

  // The state: genesis, or everything the store holds.
  const std::uint64_t height = store_->height();
  if (height == 0) {
    executor_.Load(genesis_state, 0);
  } else {
    contracts::WriteSet current;
    COLEND_RETURN_IF_ERROR(store_->ScanState("", [&](std::string_view k, std::string_view v) {
      current.emplace(std::string(k), std::string(v));
      return true;
    }));
    executor_.Load(current, height);
    COLEND_ASSIGN_OR_RETURN(BlockMeta meta, store_->GetMeta(height));
    if (meta.state_root != executor_.state_root()) {
      return Status::Corruption("the state loaded from " + config_.data_dir.string() +
                                " does not match the state root stored for height " +
                                std::to_string(height));
    }
  }
  spdlog::info("opened chain {} at height {} (state root {})", genesis_.chain_id, height,
               ToHex(executor_.state_root()));

  // Metrics.
  m_height_ = &metrics_.RegisterGauge("colend_height", "Height of the last committed block.");
  m_view_ = &metrics_.RegisterGauge("colend_view", "Current PBFT view.");
  m_pool_ = &metrics_.RegisterGauge("colend_pool_size", "Transactions pending in the pool.");
  m_peers_ = &metrics_.RegisterGauge("colend_peers_connected", "Validators connected.");
  m_txs_ = &metrics_.RegisterCounter("colend_txs_committed_total",
                                     "Transactions committed (accepted or rejected).");
  m_rejected_ = &metrics_.RegisterCounter("colend_txs_rejected_total",
                                          "Committed transactions the contracts rejected.");
  m_blocks_ = &metrics_.RegisterCounter("colend_blocks_committed_total", "Blocks committed.");
  m_view_changes_ =
      &metrics_.RegisterCounter("colend_view_changes_total", "VIEW-CHANGEs this node started.");
  m_latency_ = &metrics_.RegisterHistogram(
      "colend_commit_latency_seconds",
      "From admission of a client transaction at this node to its block being stored.",
      LatencyBucketsSeconds());
  m_block_latency_ = &metrics_.RegisterHistogram(
      "colend_block_latency_seconds", "From a block's timestamp to its storage at this node.",
      LatencyBucketsSeconds());
  for (const auto& [i, stage] : {std::pair{0, "check"}, std::pair{1, "execute"},
                                std::pair{2, "apply"}, std::pair{3, "store"}}) {
    m_commit_stage_[i] = &metrics_.RegisterHistogram(
        "colend_commit_stage_seconds",
        "Time per committed block in each stage of the commit pipeline: check (the roots the "
        "header carries), execute (decode, contracts, receipts), apply (state and state root), "
        "store (one synced batch).",
        {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5},
        {{"stage", stage}});
  }
  m_height_->Set(static_cast<double>(height));
  limit_metrics_ = std::make_unique<LimitExposureMetrics>(metrics_);
  limit_metrics_->ObserveAll(executor_.state());

  // The pool.
  keys_ = std::make_shared<StateKeyDirectory>(executor_);
  PoolOptions pool_options;
  pool_options.chain_id = genesis_.chain_id;
  pool_options.suite = suite_;
  pool_options.max_txs = config_.pool_max_txs;
  pool_options.max_bytes = config_.pool_max_bytes;
  pool_options.signer_share_pct = config_.pool_signer_share_pct;
  pool_options.verifier_threads = config_.verifier_threads;
  COLEND_ASSIGN_OR_RETURN(pool_, TxPool::Create(pool_options, keys_));
  // Execution verifies only the signatures this node has not (a proposal's transaction whose
  // key this node's state did not hold yet when it checked the proposal).
  pool_->SetCapacity(std::min<std::size_t>(config_.pool_min_txs, config_.pool_max_txs), 200);
  executor_.SetVerifiedLookup(
      [pool = pool_.get()](std::string_view signed_tx) { return pool->Verified(signed_tx); });
  proposal_check_ = std::make_unique<ProposalCheck>(io_, ProposalCheckHost());
  TxGossipOptions gossip;
  gossip.max_handover_bytes = config_.max_frame_bytes / 2;
  gossip_ = std::make_unique<TxGossip>(io_, gossip, GossipHost(), metrics_);
  m_pool_capacity_ = &metrics_.RegisterGauge(
      "colend_pool_capacity",
      "Pending transactions admitted from clients: what the network commits in "
      "txpool.target_drain_ms at the recent rate (txpool.min_txs .. txpool.max_txs).");
  m_pool_capacity_->Set(static_cast<double>(pool_->capacity()));
  m_bad_peer_messages_ = &metrics_.RegisterCounter(
      "colend_bad_peer_messages_total",
      "Consensus messages from peers whose signature failed or that did not parse.");
  m_peer_penalties_ = &metrics_.RegisterCounter(
      "colend_peer_penalties_total",
      "Times a peer was disconnected and barred for sending bad signatures or garbage.");
  m_sync_requests_dropped_ = &metrics_.RegisterCounter(
      "colend_sync_requests_dropped_total",
      "Peers' sync requests not served: one of theirs was still waiting or being served, or "
      "the answer to an earlier one still waited in their send queue.");
  m_evicted_ = &metrics_.RegisterCounter(
      "colend_pool_evicted_total",
      "Pending transactions dropped because governance suspended their signer or retired "
      "their key.");

  // Consensus: the epoch that orders the next height, from the schedule in the state.
  params_ = ToConsensusParams(genesis_.consensus);
  backpressure_ = std::make_unique<PoolBackpressure>(
      PoolBackpressureOptions{config_.pool_target_drain_ms, config_.pool_min_txs,
                              config_.pool_max_txs, params_.max_block_txs});
  commit_ = std::make_unique<CommitPipeline>(executor_, *store_, params_.execution_lag);
  COLEND_ASSIGN_OR_RETURN(epoch_, CurrentEpoch());
  {
    Result<proto::ValidatorSchedule> schedule = contracts::ReadValidatorSchedule(executor_.state());
    if (!schedule.ok()) return schedule.status().WithContext("reading the validator schedule");
    decided_epoch_ = schedule->latest_epoch();
  }
  validators_ = epoch_.validators;
  verifier_ = epoch_.keyring;
  for (const proto::Validator& v : epoch_.record.validators()) {
    if (v.node_id() == config_.node_id) member_id_ = v.member_id();
  }
  if (!epoch_.validators->Contains(config_.node_id)) {
    spdlog::warn("node {} is not a validator of epoch {} (from height {}): it follows the chain "
                 "as an observer until the members vote it in",
                 config_.node_id, epoch_.record.epoch(), epoch_.record.start_height());
  }
  m_epoch_ = &metrics_.RegisterGauge("colend_validator_epoch",
                                     "The validator epoch whose set orders the next height.");
  m_epoch_->Set(static_cast<double>(epoch_.record.epoch()));
  // Every consensus message must fit in a frame, or the chain stops at the first one that
  // does not (refused by the p2p layer): refuse to start instead.
  const std::size_t validator_count = epoch_.validators->size();
  if (const std::uint64_t largest = params_.MaxMessageBytes(validator_count);
      largest > config_.max_frame_bytes) {
    return Status::InvalidArgument(
        std::string(config_keys::kP2pMaxFrameBytes) + " (" +
        std::to_string(config_.max_frame_bytes) +
        ") is below the largest consensus message the chain's parameters allow (" +
        std::to_string(largest) + " bytes for " + std::to_string(validator_count) +
        " validators: a PRE-PREPARE with a block of consensus.max_block_bytes and "
        "consensus.max_block_txs, or a NEW-VIEW quoting a quorum of VIEW-CHANGEs); raise " +
        std::string(config_keys::kP2pMaxFrameBytes) +
        " in node.toml or lower consensus.max_block_bytes in genesis.json");
  }
  COLEND_ASSIGN_OR_RETURN(std::unique_ptr<consensus::Replica> replica, MakeReplica(epoch_));
  loop_ = std::make_unique<consensus::ActionLoop>(std::move(replica), *this);
  COLEND_ASSIGN_OR_RETURN(consensus::RecoveryState recovery, RecoveryFromStore());
  COLEND_RETURN_IF_ERROR(loop_->Recover(recovery));
  spdlog::info("consensus recovered: validator epoch {} ({} validators), {} WAL records, view {}",
               epoch_.record.epoch(), validator_count, recovery.records.size(),
               loop_->replica().status().view);

  // The network.
  P2pOptions p2p;
  p2p.chain_id = genesis_.chain_id;
  p2p.self_id = config_.node_id;
  p2p.listen_host = config_.p2p_host;
  p2p.listen_port = config_.p2p_port;
  for (const PeerAddress& peer : config_.peers) {
    p2p.peers.push_back(PeerEndpoint{peer.node_id, peer.host, peer.port});
  }
  p2p.ca_cert_pem = ca_pem;
  p2p.cert_pem = cert_pem;
  // Moved, not copied: one copy fewer to leave behind. (P2pNetwork keeps its options,
  // this PEM included, for its lifetime; wiping it there is node/p2p's to do.)
  p2p.key_pem = sm_transport ? std::move(transport_key_pem) : std::move(key_pem);
  p2p.suite = suite_;
  p2p.binding_key = std::move(binding_key);
  // This epoch's validators and those of every later epoch already decided: a joining
  // validator connects before its epoch starts. Anyone else with a certificate of the
  // consortium CA may follow the chain as an observer (it takes part in nothing).
  {
    Result<std::vector<proto::ValidatorEpochRecord>> epochs =
        contracts::ReadValidatorEpochs(executor_.state(), epoch_.record.epoch());
    if (!epochs.ok()) return epochs.status().WithContext("reading the validator schedule");
    p2p.validator_keys = AdmittedKeys(*epochs, epoch_.record.epoch());
  }
  p2p.allow_observers = true;
  {
    Result<std::map<std::string, std::string>> revoked = RevokedCertificates();
    if (!revoked.ok()) return revoked.status().WithContext("reading the revocation list");
    p2p.revoked = std::move(revoked).value();
  }
  p2p.max_frame_bytes = config_.max_frame_bytes;
  p2p.max_send_queue_bytes = config_.peer_send_queue_bytes;
  p2p.inbound_paused = [this] { return InboundPaused(); };
  p2p.best_certificate = [this](std::uint64_t h) -> std::optional<proto::CommitCertificate> {
    Result<proto::CertifiedBlock> block = store_->GetBlock(h);
    if (!block.ok()) return std::nullopt;
    return block->certificate();
  };
  COLEND_ASSIGN_OR_RETURN(p2p_, P2pNetwork::Create(net_io_, std::move(p2p), this,
                                                    [this] { return store_->height(); }));
  UpdatePeerAdmission();  // the validators that left in earlier epochs stay refused
  ExportCertificateExpiries();
  // Bind now, so a taken port is a start-up failure (exit 2) rather than a halt; accepting
  // and dialling begin when Run runs the event loop.
  if (const Status s = p2p_->Start(); !s.ok()) return s.WithContext(config_keys::kP2pListen);

  RpcOptions rpc;
  rpc.host = config_.rpc_host;
  rpc.port = config_.rpc_port;
  rpc.threads = config_.rpc_threads;
  rpc.max_body_bytes = config_.rpc_max_body_bytes;
  rpc.max_response_bytes = config_.rpc_max_response_bytes;
  rpc.max_connections = config_.rpc_max_connections;
  rpc.max_connections_per_address = config_.rpc_max_connections_per_address;
  rpc.header_timeout_ms = config_.rpc_header_timeout_ms;
  rpc.body_timeout_ms = config_.rpc_body_timeout_ms;
  rpc.ws_max_subscriptions = config_.rpc_ws_max_subscriptions;
  rpc.ws_max_subscriptions_per_connection = config_.rpc_ws_max_subscriptions_per_connection;
  rpc.ws_max_queue_messages = config_.rpc_ws_max_queue_messages;
  rpc.ws_max_queue_bytes = config_.rpc_ws_max_queue_bytes;
  rpc.bearer_token = config_.rpc_token;
  rpc.metrics_require_token = config_.rpc_metrics_require_token;
  queries_ = std::make_unique<NodeQueries>(
      NodeIdentity{config_.node_id, member_id_, genesis_.chain_id, suite_, genesis_.genesis_hash},
      *store_, executor_, *pool_, QueriesHost());
  queries_->SetValidators(validators_);
  COLEND_ASSIGN_OR_RETURN(rpc_, RpcServer::Create(rpc, *queries_, metrics_));

  for (std::size_t i = 0; i < timers_.size(); ++i) {
    timers_[i] = std::make_unique<boost::asio::steady_timer>(io_);
  }
  sync_ = std::make_unique<BlockSync>(io_, SyncHost());
  PublishStatus();
  return Status::Ok();
}

Status Node::Impl::Run(bool handle_signals) {
  if (handle_signals) {
    signals_.emplace(io_, SIGINT, SIGTERM);
    signals_->async_wait([this](const boost::system::error_code& ec, int signal) {
      if (ec) return;
      spdlog::info("signal {}: shutting down", signal);
      Shutdown();
    });
  }
  rpc_->Start();
  spdlog::info("node {} ({}) running: p2p port {}, rpc port {}", config_.node_id, member_id_,
               p2p_->listen_port(), rpc_->port());
  boost::asio::post(io_, [this] {
    loop_->Start();  // what recovery asked for, then the pool's size
  });
  auto net_work = boost::asio::make_work_guard(net_io_);
  net_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "colend-net");
    net_io_.run();
  });
  io_.run();
  // Stopped: no more callbacks; close the doors, then the store closes with the Node.
  rpc_->Stop();
  net_io_.stop();
  net_thread_.join();
  p2p_->Stop();  // the network thread has stopped: safe from here
  gossip_->Stop();          // what it still admits is only posted to the stopped loop
  proposal_check_->Stop();  // likewise its verdicts
  spdlog::info("node {} stopped at height {}", config_.node_id, store_->height());
  return halted_;
}

void Node::Impl::Shutdown() {
  if (stopping_.exchange(true)) return;
  io_.stop();
}

// ---------------------------------------------------------------------------------------

Result<std::unique_ptr<Node>> Node::Open(const NodeConfig& config) {
  Result<std::string> genesis_json =
      ReadTextFile(config.genesis_file, config_keys::kNodeGenesisFile);
  if (!genesis_json.ok()) return genesis_json.status();
  Result<contracts::Genesis> genesis = contracts::ParseGenesis(*genesis_json);
  if (!genesis.ok()) {
    return Status(genesis.status().code(),
                  std::string(config_keys::kNodeGenesisFile) + " " + config.genesis_file.string() +
                      ": " + genesis.status().message());
  }
  auto impl = std::make_unique<Impl>(config, std::move(genesis).value());
  COLEND_RETURN_IF_ERROR(impl->Open());
  return std::unique_ptr<Node>(new Node(std::move(impl)));
}

Node::Node(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Node::~Node() = default;
Status Node::Run(bool handle_signals) { return impl_->Run(handle_signals); }
void Node::Shutdown() { impl_->Shutdown(); }
std::uint16_t Node::rpc_port() const { return impl_->rpc_port(); }
std::uint16_t Node::p2p_port() const { return impl_->p2p_port(); }

}  // namespace colend::node
