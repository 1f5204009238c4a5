#include "tx_gossip.h"

#include <pthread.h>

#include <iterator>
#include <utility>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

namespace colend::node {

TxGossip::TxGossip(boost::asio::io_context& io, TxGossipOptions options, Host host,
                   MetricsRegistry& metrics)
    : io_(io),
      options_(options),
      host_(std::move(host)),
      dropped_(&metrics.RegisterCounter(
          "colend_gossip_dropped_total",
          "Transaction gossip frames dropped because too much was already waiting to be "
          "admitted.")),
      timer_(io),
      worker_(std::make_unique<boost::asio::thread_pool>(1)) {
  boost::asio::post(*worker_, [] { pthread_setname_np(pthread_self(), "colend-gossip"); });
}

TxGossip::~TxGossip() {
  Stop();
}

void TxGossip::Stop() {
  worker_->join();
}

// --- out ------------------------------------------------------------------------------

void TxGossip::Relay(std::string signed_tx) {
  queued_bytes_ += signed_tx.size();
  queued_.push_back(std::move(signed_tx));
  if (queued_bytes_ >= options_.flush_bytes) {
    Flush();
    return;
  }
  if (!flush_scheduled_) {
    flush_scheduled_ = true;
    timer_.expires_after(options_.flush_delay);
    timer_.async_wait([this](const boost::system::error_code& ec) {
      flush_scheduled_ = false;
      if (!ec) Flush();
    });
  }
}

void TxGossip::Flush() {
  if (queued_.empty()) return;
  proto::Frame frame;
  for (std::string& tx : queued_) frame.mutable_tx_gossip()->add_transactions(std::move(tx));
  queued_.clear();
  queued_bytes_ = 0;
  host_.broadcast(std::move(frame));
}

std::optional<proto::Frame> TxGossip::HandOver() const {
  std::vector<std::string> pending = host_.pending(options_.max_handover_bytes);
  if (pending.empty()) return std::nullopt;
  proto::Frame frame;
  for (std::string& tx : pending) frame.mutable_tx_gossip()->add_transactions(std::move(tx));
  return frame;
}

// --- in -------------------------------------------------------------------------------

bool TxGossip::OnGossip(const std::string& peer, proto::TxGossip gossip) {
  std::vector<std::string> txs(std::make_move_iterator(gossip.mutable_transactions()->begin()),
                               std::make_move_iterator(gossip.mutable_transactions()->end()));
  std::size_t bytes = 0;
  for (const std::string& tx : txs) bytes += tx.size() + kQueuedEntryOverhead;
  if (admitting_bytes_.load() + bytes > options_.max_queued_bytes) {
    dropped_->Increment();
    spdlog::debug("peer {}: dropped a gossip frame of {} transactions (admission backlog)", peer,
                  txs.size());
    return false;
  }
  admitting_bytes_ += bytes;
  boost::asio::post(*worker_, [this, bytes, txs = std::move(txs)]() mutable {
    const std::size_t admitted = host_.admit(std::move(txs));
    admitting_bytes_ -= bytes;
    if (admitted > 0) boost::asio::post(io_, [this] { host_.pool_changed(); });
  });
  return true;
}

}  // namespace colend::node
