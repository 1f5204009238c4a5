// A byzantine validator with real credentials: three honest colend-node processes and, in
// the fourth validator's place, a test peer that holds that validator's real key and CA
// certificate (so it passes TLS and Hello) and sends what an honest node never would:
//   - consensus messages padded with megabytes of unknown fields, outside the signature
//     (the envelope) and inside it (a validly signed body);
//   - envelopes with an oversized signature or sender;
//   - a frame larger than the honest nodes' p2p.max_frame_bytes;
//   - transaction gossip that is garbage;
//   - a Hello claiming a height nobody committed, without its commit certificate.
// The honest nodes must keep committing every transaction they admitted, refuse and count
// the junk, bar the peer, and keep their memory bounded.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "colend/consensus/messages.h"
#include "colend/consensus/signer.h"
#include "colend/contracts/genesis.h"
#include "colend/crypto/keys.h"
#include "colend/node/config.h"
#include "colend/node/p2p_network.h"
#include "colend/testutil/process_util.h"
#include "colend/testutil/unknown_field.h"
#include "local_network.h"

namespace colend::e2e {
namespace {

const std::vector<std::string> kBanks = {"LEAD", "PARTNER_A", "PARTNER_B", "PARTNER_C"};
constexpr std::size_t kFake = 3;  // PARTNER_C's validator is played by the test
// What its Hello claims to have committed, with no commit certificate to show for it.
constexpr std::uint64_t kClaimedHeight = 1'000'000;
constexpr std::uint64_t kSyncWindow = 24;  // blocks per bad sync response beyond LEAD's height

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Resident set of a process in bytes (0 if it cannot be read).
std::uint64_t RssBytes(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

std::string Padding(std::size_t bytes) { return testutil::UnknownField(std::string(bytes, 'p')); }

class FakeValidator final : public node::P2pHandler {
 public:
  void OnPeerUp(const std::string& node_id, const proto::Hello&) override {
    peers_up.fetch_add(1);
    connected[node_id] = true;
    ++connections[node_id];
  }
  void OnPeerDown(const std::string& node_id) override {
    peers_down.fetch_add(1);
    connected[node_id] = false;
  }
  void OnFrame(const std::string&, proto::Frame) override { frames_in.fetch_add(1); }

  std::map<std::string, bool> connected;           // io thread only
  std::map<std::string, std::uint64_t> connections;  // completed Hellos per peer
  std::map<std::string, std::uint64_t> oversized_on;  // connection that got the big frame
  std::atomic<std::uint64_t> peers_up{0};
  std::atomic<std::uint64_t> peers_down{0};
  std::atomic<std::uint64_t> frames_in{0};
};

class ByzantinePeerE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    net_ = LocalNetwork::Create(scratch_.Path("net"), kBanks, "", &error);
    ASSERT_NE(net_, nullptr) << error;
    for (std::size_t i = 0; i < net_->size(); ++i) {
      if (i == kFake) continue;
      ASSERT_TRUE(net_->Start(i)) << net_->bank(i).id;
    }
  }

  testutil::ScratchDir scratch_{"colend-byzantine-peer-e2e"};
  std::unique_ptr<LocalNetwork> net_;
};

TEST_F(ByzantinePeerE2eTest, PaddedAndOversizedMessagesAreRefusedAndTheChainGoesOn) {
  // The fake validator: PARTNER_C's own node.toml, key and certificate.
  Result<node::NodeConfig> config = node::LoadNodeConfig(net_->bank(kFake).config_file);
  ASSERT_TRUE(config.ok()) << config.status();
  Result<contracts::Genesis> genesis =
      contracts::ParseGenesis(ReadFile(config->genesis_file));
  ASSERT_TRUE(genesis.ok()) << genesis.status();
  const crypto::CryptoSuite suite = crypto::CryptoSuite::Standard();
  node::P2pOptions options;
  options.chain_id = genesis->chain_id;
  options.self_id = config->node_id;
  options.listen_host = "127.0.0.1";
  options.listen_port = config->p2p_port;
  for (const node::PeerAddress& peer : config->peers) {
    options.peers.push_back(node::PeerEndpoint{peer.node_id, peer.host, peer.port});
  }
  options.ca_cert_pem = ReadFile(config->ca_cert_file);
  options.cert_pem = ReadFile(config->node_cert_file);
  options.key_pem = ReadFile(config->node_key_file);
  options.suite = suite;
  for (const proto::Validator& v : genesis->validators) {
    options.validator_keys[v.node_id()] = Bytes(v.public_key().begin(), v.public_key().end());
  }
  const std::uint32_t honest_max_frame = config->max_frame_bytes;
  options.max_frame_bytes = honest_max_frame + (4u << 20);  // so it can send one too large
  options.max_send_queue_bytes = 4ull * options.max_frame_bytes;
  Result<crypto::PrivateKey> key = crypto::PrivateKey::FromPem(suite, options.key_pem);
  ASSERT_TRUE(key.ok()) << key.status();
  const consensus::NodeKeySigner signer(std::move(key).value());

  spdlog::set_level(spdlog::level::warn);  // the fake's own p2p log: only what goes wrong
  boost::asio::io_context io;
  FakeValidator handler;
  Result<std::unique_ptr<node::P2pNetwork>> p2p =
      node::P2pNetwork::Create(io, options, &handler, [] { return kClaimedHeight; });
  ASSERT_TRUE(p2p.ok()) << p2p.status();
  ASSERT_TRUE((*p2p)->Start().ok());
  auto work = boost::asio::make_work_guard(io);
  std::thread io_thread([&io] { io.run(); });

  // The honest three connect to it (it is a validator as far as TLS and Hello can tell).
  ASSERT_TRUE(LocalNetwork::WaitUntil([&] { return handler.peers_up.load() >= 3; }, 20'000));

  std::vector<std::uint64_t> rss_start;
  for (std::size_t i = 0; i < 3; ++i) rss_start.push_back(RssBytes(net_->pid(i)));

  // The attack: every 50 ms, to every honest peer it is connected to, about 5 MiB of junk.
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> sent{0};
  std::atomic<int> oversized_sent{0};  // honest peers that got an oversized frame
  std::thread attacker([&] {
    std::mt19937_64 rng(7);
    std::uint64_t round = 0;
    while (!stop) {
      const std::uint64_t height = net_->Height(0);
      proto::ConsensusMessage prepare;
      prepare.set_chain_id(genesis->chain_id);
      prepare.mutable_prepare()->set_view(0);
      prepare.mutable_prepare()->set_sequence(height + 1 + rng() % 4);
      prepare.mutable_prepare()->set_block_hash(std::string(32, static_cast<char>(rng())));
      std::vector<proto::Frame> frames;
      // Unasked-for sync responses whose blocks do not verify, around each honest node's
      // next height: each is a warning on the honest node's event loop, which it must log at
      // the 1st, 2nd, 4th, ... only. The window is wide because on a loaded machine a frame
      // reaches its peer a second or more after LEAD's height was read (blocks at or below
      // the peer's committed height are skipped, so one of these is always the next).
      for (int k = 0; k < 8; ++k) {
        proto::Frame sync;
        for (std::uint64_t h = height; h <= height + kSyncWindow; ++h) {
          proto::CertifiedBlock* block = sync.mutable_sync_response()->add_blocks();
          block->mutable_block()->set_header("not a header " + std::to_string(rng()));
          block->mutable_certificate()->set_height(h);
          block->mutable_certificate()->set_block_hash(std::string(32, 'h'));
        }
        sync.mutable_sync_response()->set_responder_height(height + kSyncWindow);
        frames.push_back(std::move(sync));
      }
      // Inside the signature: a validly signed body with 1 MiB of unknown field.
      proto::ConsensusMessage padded;
      if (padded.ParseFromString(prepare.SerializeAsString() + Padding(1u << 20))) {
        Result<proto::ConsensusEnvelope> sealed =
            consensus::SealMessage(padded, options.self_id, signer);
        if (sealed.ok()) *frames.emplace_back().mutable_consensus() = *sealed;
      }
      Result<proto::ConsensusEnvelope> honest =
          consensus::SealMessage(prepare, options.self_id, signer);
      if (honest.ok()) {
        // Outside the signature: the envelope padded.
        proto::ConsensusEnvelope outside;
        if (outside.ParseFromString(honest->SerializeAsString() + Padding(2u << 20))) {
          *frames.emplace_back().mutable_consensus() = outside;
        }
        proto::ConsensusEnvelope big_signature = *honest;
        big_signature.set_signature(honest->signature() + std::string(1u << 20, 's'));
        *frames.emplace_back().mutable_consensus() = big_signature;
        proto::ConsensusEnvelope big_sender = *honest;
        big_sender.set_sender(options.self_id + std::string(1u << 20, 'n'));
        *frames.emplace_back().mutable_consensus() = big_sender;
      }
      proto::Frame gossip;
      for (int k = 0; k < 256; ++k) {
        gossip.mutable_tx_gossip()->add_transactions(std::string(4096, static_cast<char>(rng())));
      }
      frames.push_back(std::move(gossip));
      // Every second connection to a peer starts with a frame over the honest nodes'
      // limit (they close it before allocating); the others carry the padded junk until the
      // peer bars this validator.
      boost::asio::post(io, [&, frames = std::move(frames)] {
        for (const auto& [peer, up] : handler.connected) {
          if (!up) continue;
          const std::uint64_t connection = handler.connections[peer];
          if (connection % 2 == 0) {
            if (handler.oversized_on[peer] == connection) continue;
            handler.oversized_on[peer] = connection;
            proto::Frame oversized;
            oversized.mutable_tx_gossip()->add_transactions(
                std::string(honest_max_frame + 1024, 'x'));
            (*p2p)->Send(peer, oversized);
            sent.fetch_add(1);
            oversized_sent.fetch_add(1);
            continue;
          }
          for (const proto::Frame& frame : frames) (*p2p)->Send(peer, frame);
          sent.fetch_add(frames.size());
        }
      });
      ++round;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });

  // Meanwhile LEAD's systems keep sending through the honest nodes.
  std::vector<std::string> hashes;
  std::uint64_t peak_rss[3] = {0, 0, 0};
  const std::uint64_t height_before = net_->Height(0);
  // At least 60 transactions, and on until every honest peer has seen a second connection
  // (the one that opens with an oversized frame): on a loaded machine the bar on the first
  // one can outlast 60 rounds.
  for (int i = 0; i < 60 || (oversized_sent.load() < 3 && i < 240); ++i) {
    const std::string tx = net_->Sign(
        0, R"({"type":"ProposeAgreement","signer":"LEAD","id":"byz-)" + std::to_string(i) +
               R"(","agreement_id":"AG-BYZ-)" + std::to_string(i) +
               R"(","currency":"CNY","shares":{"LEAD":2000,"PARTNER_A":8000}})");
    const boost::json::value r = net_->Send(static_cast<std::size_t>(i) % 3, tx);
    ASSERT_TRUE(r.is_object() && r.as_object().contains("result")) << r;
    hashes.emplace_back(r.at("result").at("tx_hash").as_string());
    for (std::size_t n = 0; n < 3; ++n) {
      peak_rss[n] = std::max(peak_rss[n], RssBytes(net_->pid(n)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  stop = true;
  attacker.join();

  // Every admitted transaction committed, on every honest node.
  for (std::size_t n = 0; n < 3; ++n) {
    for (const std::string& hash : hashes) {
      EXPECT_TRUE(LocalNetwork::WaitUntil(
          [&] {
            const boost::json::value r =
                net_->Result(n, "getTransactionReceipt", {{"tx_hash", hash}});
            return r.is_object() && r.as_object().contains("status");
          },
          30'000))
          << net_->bank(n).id << " " << hash;
    }
  }
  EXPECT_GT(net_->Height(0), height_before);
  EXPECT_GT(sent.load(), 20u);

  // The junk was refused and the peer barred (logged with the reason), and each honest node
  // closed the connection that carried an oversized frame.
  std::size_t barred = 0;
  for (std::size_t n = 0; n < 3; ++n) {
    const std::string log = net_->Log(n);
    barred += log.find("barring " + options.self_id) != std::string::npos;
    EXPECT_NE(log.find("exceeds"), std::string::npos) << net_->bank(n).id;
  }
  EXPECT_GE(barred, 1u);
  // The bad sync responses: one line at the 1st, 2nd, 4th, ... of them, each with the count.
  std::uint64_t bad_syncs = 0;
  for (std::size_t n = 0; n < 3; ++n) {
    const std::string log = net_->Log(n);
    const std::regex line("sync: peer " + options.self_id +
                          " sent a block that does not verify: [^\n]* \\((\\d+) so far\\)");
    std::vector<std::uint64_t> counts;
    for (auto it = std::sregex_iterator(log.begin(), log.end(), line); it != std::sregex_iterator();
         ++it) {
      counts.push_back(std::stoull((*it)[1].str()));
    }
    std::vector<std::uint64_t> powers;
    for (std::uint64_t p = 1; !counts.empty() && p <= counts.back(); p *= 2) powers.push_back(p);
    EXPECT_EQ(counts, powers) << net_->bank(n).id;
    if (!counts.empty()) bad_syncs += counts.back();
  }
  EXPECT_GE(bad_syncs, 8u);  // at least one round's worth arrived somewhere
  // The claimed height was not believed: no honest node syncs toward it.
  for (std::size_t n = 0; n < 3; ++n) {
    EXPECT_NE(net_->Log(n).find("announces height " + std::to_string(kClaimedHeight)),
              std::string::npos)
        << net_->bank(n).id;
    const boost::json::value sync = net_->Result(n, "getSyncStatus");
    ASSERT_TRUE(sync.is_object()) << net_->bank(n).id;
    EXPECT_LT(sync.at("target_height").to_number<std::uint64_t>(), kClaimedHeight) << sync;
  }
  EXPECT_GT(handler.peers_down.load(), 0u);

  // Memory stayed bounded: each connection delivered megabytes of junk (and tried to
  // deliver a frame of more than p2p.max_frame_bytes) before it was cut.
  for (std::size_t n = 0; n < 3; ++n) {
    RecordProperty("peak_rss_mb_" + net_->bank(n).id, std::to_string(peak_rss[n] >> 20));
    EXPECT_LT(peak_rss[n], rss_start[n] + (256ull << 20))
        << net_->bank(n).id << ": " << (rss_start[n] >> 20) << " MiB at the start, peak "
        << (peak_rss[n] >> 20) << " MiB";
  }

  (*p2p)->Stop();
  work.reset();
  io.stop();
  io_thread.join();
}

}  // namespace
}  // namespace colend::e2e
