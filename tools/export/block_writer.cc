#include "block_writer.h"

#include <pthread.h>

#include <chrono>
#include <exception>
#include <utility>
#include <vector>

namespace colend::exporter {

BlockWriter::BlockWriter(std::unique_ptr<ExportDatabase> db, std::string chain_id,
                         const BlockWriterOptions& options)
    : db_(std::move(db)), chain_id_(std::move(chain_id)), options_(options) {}

Result<std::unique_ptr<BlockWriter>> BlockWriter::Start(std::unique_ptr<ExportDatabase> db,
                                                        std::string chain_id,
                                                        const BlockWriterOptions& options) {
  std::unique_ptr<BlockWriter> writer(new BlockWriter(std::move(db), std::move(chain_id), options));
  try {
    writer->thread_ = std::thread([w = writer.get()] { w->Loop(); });
  } catch (const std::exception& e) {  // std::system_error: no thread to be had
    return Status::ResourceExhausted(std::string("starting the SQL writer thread: ") + e.what());
  }
  return writer;
}

BlockWriter::~BlockWriter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status BlockWriter::Push(BlockExport block) {
  std::unique_lock lock(mu_);
  // One block always fits, however large: the bound is on what waits, not on a block.
  changed_.wait(lock, [&] {
    return !failure_.ok() || queue_.empty() ||
           (queue_.size() < options_.queue_blocks && queued_txs_ < options_.queue_transactions);
  });
  if (!failure_.ok()) return failure_;
  queued_txs_ += block.events.size();
  queue_.push_back(std::move(block));
  lock.unlock();
  changed_.notify_all();
  return Status::Ok();
}

Status BlockWriter::Finish() {
  {
    std::lock_guard lock(mu_);
    draining_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  return failure_;
}

double BlockWriter::write_seconds() const {
  std::lock_guard lock(mu_);
  return write_s_;
}

void BlockWriter::Loop() {
  pthread_setname_np(pthread_self(), "colend-export-w");
  std::vector<BlockExport> group;
  for (;;) {
    std::size_t group_txs = 0;
    {
      std::unique_lock lock(mu_);
      changed_.wait(lock, [&] { return stopping_ || draining_ || !queue_.empty(); });
      if (stopping_ || queue_.empty()) return;  // stopped, or drained
      group.clear();
      while (!queue_.empty() && group.size() < options_.group_blocks &&
             group_txs < options_.group_transactions) {
        group_txs += queue_.front().events.size();
        queued_txs_ -= queue_.front().events.size();
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    changed_.notify_all();  // room in the queue
    const auto start = std::chrono::steady_clock::now();
    Status s;
    try {
      s = db_->WriteBlocks(group, chain_id_);
    } catch (const std::exception& e) {  // std::bad_alloc building the SQL: nothing escapes
      s = Status::Internal(std::string("writing blocks: ") + e.what());
    }
    const bool ok = s.ok();
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    {
      std::lock_guard lock(mu_);
      write_s_ += took;
      if (ok) {
        blocks_.fetch_add(group.size());
        transactions_.fetch_add(group_txs);
        written_.store(group.back().block.height, std::memory_order_release);
      } else {
        failure_ = std::move(s);
        queue_.clear();
        queued_txs_ = 0;
      }
    }
    changed_.notify_all();
    if (!ok) return;
  }
}

}  // namespace colend::exporter
