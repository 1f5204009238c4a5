// Transaction gossip on its own (node/core/src/tx_gossip.h): how relayed transactions are
// batched into frames, what a (re)joining peer is handed, and how peers' gossip is admitted
// off the event loop, with the backlog bound, against a fake pool and network.
#include "tx_gossip.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <chrono>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "colend/node/metrics.h"

namespace colend::node {
namespace {

using std::chrono_literals::operator""ms;

class TxGossipTest : public ::testing::Test {
 protected:
  TxGossip::Host FakeHost() {
    TxGossip::Host host;
    host.admit = [this](std::vector<std::string> txs) {
      char name[16] = {};
      pthread_getname_np(pthread_self(), name, sizeof name);
      if (hold_admission_) admission_released_.wait();
      std::lock_guard lock(mu_);
      admit_thread_ = name;
      admitted_.push_back(txs);
      return new_in_pool_;
    };
    host.pending = [this](std::size_t max_bytes) {
      handover_max_bytes_ = max_bytes;
      return pool_;
    };
    host.broadcast = [this](proto::Frame frame) {
      ASSERT_TRUE(frame.has_tx_gossip());
      const auto& txs = frame.tx_gossip().transactions();
      broadcast_.emplace_back(txs.begin(), txs.end());
    };
    host.pool_changed = [this] {
      pool_changed_on_loop_ = std::this_thread::get_id() == loop_thread_;
      ++pool_changed_;
    };
    return host;
  }

  static proto::TxGossip Gossip(std::vector<std::string> txs) {
    proto::TxGossip gossip;
    for (std::string& tx : txs) gossip.add_transactions(std::move(tx));
    return gossip;
  }

  // Runs the event loop until `done` or a second has passed.
  template <typename Done>
  void RunUntil(Done done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io_.restart();
      io_.run_for(5ms);
    }
  }

  boost::asio::io_context io_;
  const std::thread::id loop_thread_ = std::this_thread::get_id();
  MetricsRegistry metrics_;
  std::vector<std::vector<std::string>> broadcast_;
  std::vector<std::string> pool_;
  std::size_t handover_max_bytes_ = 0;
  std::size_t new_in_pool_ = 0;
  int pool_changed_ = 0;
  bool pool_changed_on_loop_ = false;
  bool hold_admission_ = false;
  std::promise<void> release_admission_;
  std::shared_future<void> admission_released_ = release_admission_.get_future().share();
  std::mutex mu_;
  std::vector<std::vector<std::string>> admitted_;  // guarded by mu_
  std::string admit_thread_;                        // guarded by mu_
};

TEST_F(TxGossipTest, RelayedTransactionsGoOutAsOneFrameAfterTheDelay) {
  TxGossipOptions options;
  options.flush_delay = 20ms;
  TxGossip gossip(io_, options, FakeHost(), metrics_);
  gossip.Relay("tx-1");
  gossip.Relay("tx-2");
  gossip.Relay("tx-3");
  EXPECT_TRUE(broadcast_.empty());  // waits for the timer
  RunUntil([&] { return !broadcast_.empty(); });
  ASSERT_EQ(broadcast_.size(), 1u);
  EXPECT_EQ(broadcast_[0], (std::vector<std::string>{"tx-1", "tx-2", "tx-3"}));

  gossip.Relay("tx-4");  // a new batch, a new timer
  RunUntil([&] { return broadcast_.size() == 2; });
  ASSERT_EQ(broadcast_.size(), 2u);
  EXPECT_EQ(broadcast_[1], (std::vector<std::string>{"tx-4"}));
}

TEST_F(TxGossipTest, AFullBatchGoesOutAtOnce) {
  TxGossipOptions options;
  options.flush_bytes = 100;
  options.flush_delay = std::chrono::hours(1);
  TxGossip gossip(io_, options, FakeHost(), metrics_);
  gossip.Relay(std::string(60, 'a'));
  EXPECT_TRUE(broadcast_.empty());
  gossip.Relay(std::string(40, 'b'));  // 100 bytes wait: sent without the event loop running
  ASSERT_EQ(broadcast_.size(), 1u);
  EXPECT_EQ(broadcast_[0].size(), 2u);
  // The timer the first armed finds nothing left to send.
  io_.run_for(10ms);
  EXPECT_EQ(broadcast_.size(), 1u);
}

TEST_F(TxGossipTest, ARejoiningPeerIsHandedThePoolUpToTheLimit) {
  TxGossipOptions options;
  options.max_handover_bytes = 12345;
  TxGossip gossip(io_, options, FakeHost(), metrics_);
  EXPECT_FALSE(gossip.HandOver().has_value());  // an empty pool: nothing to send
  EXPECT_EQ(handover_max_bytes_, 12345u);

  pool_ = {"pending-1", "pending-2"};
  const std::optional<proto::Frame> frame = gossip.HandOver();
  ASSERT_TRUE(frame.has_value());
  ASSERT_TRUE(frame->has_tx_gossip());
  ASSERT_EQ(frame->tx_gossip().transactions_size(), 2);
  EXPECT_EQ(frame->tx_gossip().transactions(0), "pending-1");
  EXPECT_EQ(frame->tx_gossip().transactions(1), "pending-2");
}

TEST_F(TxGossipTest, PeersGossipIsAdmittedOnTheWorkerAndWakesTheEventLoop) {
  new_in_pool_ = 2;
  TxGossip gossip(io_, {}, FakeHost(), metrics_);
  EXPECT_TRUE(gossip.OnGossip("B", Gossip({"tx-1", "tx-2"})));
  RunUntil([&] { return pool_changed_ > 0; });
  EXPECT_EQ(pool_changed_, 1);
  EXPECT_TRUE(pool_changed_on_loop_);
  std::lock_guard lock(mu_);
  ASSERT_EQ(admitted_.size(), 1u);
  EXPECT_EQ(admitted_[0], (std::vector<std::string>{"tx-1", "tx-2"}));
  EXPECT_EQ(admit_thread_, "colend-gossip");
}

TEST_F(TxGossipTest, GossipThePoolAlreadyHeldWakesNobody) {
  new_in_pool_ = 0;  // duplicates, or all rejected
  TxGossip gossip(io_, {}, FakeHost(), metrics_);
  EXPECT_TRUE(gossip.OnGossip("B", Gossip({"tx-1"})));
  gossip.Stop();  // the worker is done
  io_.run_for(10ms);
  EXPECT_EQ(pool_changed_, 0);
  std::lock_guard lock(mu_);
  EXPECT_EQ(admitted_.size(), 1u);
}

TEST_F(TxGossipTest, AFrameBeyondTheBacklogIsDroppedAndCounted) {
  constexpr std::size_t kEntry = TxGossip::kQueuedEntryOverhead;
  TxGossipOptions options;
  options.max_queued_bytes = 100 + 2 * kEntry;
  hold_admission_ = true;  // the first frame stays queued until released
  TxGossip gossip(io_, options, FakeHost(), metrics_);
  EXPECT_TRUE(gossip.OnGossip("B", Gossip({std::string(80, 'a')})));
  EXPECT_FALSE(gossip.OnGossip("C", Gossip({std::string(40, 'b')})));
  EXPECT_EQ(gossip.dropped_frames(), 1u);
  EXPECT_TRUE(gossip.OnGossip("C", Gossip({std::string(20, 'c')})));  // 100 bytes: fits
  release_admission_.set_value();
  gossip.Stop();
  {
    std::lock_guard lock(mu_);
    EXPECT_EQ(admitted_.size(), 2u);
  }
  EXPECT_FALSE(gossip.OnGossip("C", Gossip({std::string(101 + kEntry, 'd')})));  // never fits
  EXPECT_EQ(gossip.dropped_frames(), 2u);
  EXPECT_NE(metrics_.Render().find("colend_gossip_dropped_total 2"), std::string::npos)
      << metrics_.Render();
}

// A frame of many empty entries is no cheaper to hold than its entries: each counts its
// overhead, so a peer cannot queue millions of them as "0 bytes".
TEST_F(TxGossipTest, EmptyEntriesCountAgainstTheBacklog) {
  TxGossipOptions options;
  options.max_queued_bytes = 1000 * TxGossip::kQueuedEntryOverhead;
  hold_admission_ = true;
  TxGossip gossip(io_, options, FakeHost(), metrics_);
  EXPECT_TRUE(gossip.OnGossip("B", Gossip(std::vector<std::string>(1000, ""))));
  EXPECT_FALSE(gossip.OnGossip("B", Gossip(std::vector<std::string>(1, ""))));
  EXPECT_FALSE(gossip.OnGossip("C", Gossip(std::vector<std::string>(100000, ""))));
  EXPECT_EQ(gossip.dropped_frames(), 2u);
  release_admission_.set_value();
  gossip.Stop();
}

}  // namespace
}  // namespace colend::node
