// BlockWriter: colend-export's SQL side on a thread of its own (docs/export.md, "How it
// follows the chain"). The session reads and builds block h + 1, h + 2, … from the node while
// the writer writes block h: the reads and the SQL, about equal halves of an export, overlap
// instead of adding up. The writer writes the blocks in the order they are queued, each one
// SQL transaction with the exported height (ExportDatabase::WriteBlocks), so the resume
// guarantee is the same as with one thread: whenever the process dies, the database holds
// blocks 1..export_state.height and nothing of a later block.
//
// Whatever is queued when the writer is free goes in one round trip (at most `group_blocks`
// blocks or `group_transactions` transactions): while behind the head the writer batches,
// live it writes each block as soon as it is built. The queue holds at most `queue_blocks`
// blocks (and `queue_transactions` transactions, or one block), so a slow database holds
// the reader back instead of filling memory.
//
// Ownership: owns its database connection and its thread. Thread safety: Push, Finish and
// the accessors from one thread (the session's); the writer thread is private.
#ifndef COLEND_TOOLS_EXPORT_BLOCK_WRITER_H_
#define COLEND_TOOLS_EXPORT_BLOCK_WRITER_H_

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "colend/common/result.h"
#include "colend/common/status.h"
#include "export_db.h"
#include "export_rows.h"

namespace colend::exporter {

struct BlockWriterOptions {
  std::size_t group_blocks = 16;          // blocks written in one round trip at most
  std::size_t group_transactions = 8000;  // … or this many of their transactions
  std::size_t queue_blocks = 64;          // built and waiting to be written, at most
  std::size_t queue_transactions = 32000;
};

class BlockWriter {
 public:
  // Starts the thread (named colend-export-w). `chain_id` is checked by every block's guard.
  static Result<std::unique_ptr<BlockWriter>> Start(std::unique_ptr<ExportDatabase> db,
                                                    std::string chain_id,
                                                    const BlockWriterOptions& options);
  // Stops after the round trip in flight (the blocks still queued are not written: the next
  // session exports them again) and joins.
  ~BlockWriter();
  BlockWriter(const BlockWriter&) = delete;
  BlockWriter& operator=(const BlockWriter&) = delete;

  // Queues the next block (REQUIRES: height = the previous block's + 1), waiting while the
  // queue is full. Returns the writer's failure instead once it failed; nothing is queued
  // after a failure.
  Status Push(BlockExport block);
  // Writes everything queued, stops the thread and returns how it ended.
  Status Finish();

  // The highest height this writer committed (0 before its first commit). A block at or
  // below it is in the database, visible to any transaction that starts after this returns.
  std::uint64_t written() const { return written_.load(std::memory_order_acquire); }
  std::uint64_t blocks() const { return blocks_.load(); }
  std::uint64_t transactions() const { return transactions_.load(); }
  double write_seconds() const;

 private:
  BlockWriter(std::unique_ptr<ExportDatabase> db, std::string chain_id,
              const BlockWriterOptions& options);
  void Loop();

  const std::unique_ptr<ExportDatabase> db_;  // the writer thread's alone
  const std::string chain_id_;
  const BlockWriterOptions options_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::deque<BlockExport> queue_;  // guarded by mu_
  std::size_t queued_txs_ = 0;     // guarded by mu_
  bool stopping_ = false;          // guarded by mu_: write nothing more
  bool draining_ = false;          // guarded by mu_: write what is queued, then end
  Status failure_;                 // guarded by mu_
  double write_s_ = 0;             // guarded by mu_
  std::atomic<std::uint64_t> written_{0};
  std::atomic<std::uint64_t> blocks_{0};
  std::atomic<std::uint64_t> transactions_{0};
  std::thread thread_;
};

}  // namespace colend::exporter

#endif  // COLEND_TOOLS_EXPORT_BLOCK_WRITER_H_
