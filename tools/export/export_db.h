// ExportDatabase: colend-export's PostgreSQL side (libpqxx). Opening it creates or migrates
// the schema (docs/export.md) under a version table; WriteBlocks writes each block's rows and
// the exported height in one SQL transaction, so the database always holds exactly the
// blocks 1..height, whatever moment the exporter or the server was killed at.
//
// Ownership: owns its connection. Thread safety: one thread at a time (colend-export opens
// one for the session's reads and one for its writer thread).
#ifndef COLEND_TOOLS_EXPORT_EXPORT_DB_H_
#define COLEND_TOOLS_EXPORT_EXPORT_DB_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "colend/common/result.h"
#include "colend/common/status.h"
#include "export_rows.h"

namespace colend::exporter {

// The schema version this build writes; Open migrates an older database up to it and
// refuses a newer one.
inline constexpr int kSchemaVersion = 2;

// A write found the database's exported height moved under it: another process wrote the
// blocks (kAlreadyExists from WriteBlocks: the block's guard, SQLSTATE CX001, schema.cc).
// Either a killed exporter's last group, which its server was still committing when this one
// started, or a second exporter on the same database that did not take the writer's lock
// (an older colend-export).
inline bool HeightMoved(const Status& s) { return s.code() == StatusCode::kAlreadyExists; }

// The advisory lock key of the writer's lock: "colend" in ASCII.
inline constexpr std::int64_t kWriterLockKey = 0x636f6c656e64;

struct ExportCursor {
  std::uint64_t height = 0;  // last exported block; 0 = nothing exported yet
  std::string chain_id;      // the chain the database holds (empty when nothing exported)
  std::string block_hash;    // of `height`
};

class ExportDatabase {
 public:
  // Connects with a libpq connection string ("host=... port=... dbname=... user=...", or a
  // postgresql:// URI) and brings the schema to kSchemaVersion. kUnavailable if the server
  // cannot be reached; kFailedPrecondition for a schema newer than this build.
  static Result<std::unique_ptr<ExportDatabase>> Open(const std::string& conninfo);
  ~ExportDatabase();
  ExportDatabase(const ExportDatabase&) = delete;
  ExportDatabase& operator=(const ExportDatabase&) = delete;

  Result<int> SchemaVersion();

  // The writer's lock (a PostgreSQL session advisory lock of this database, kWriterLockKey):
  // one colend-export writes to a database at a time. True if this connection now holds it,
  // false if another session does. The server releases it when this connection closes,
  // however the process ended.
  Result<bool> TryLockWriter();
  Result<ExportCursor> Cursor();

  // The exported state of these loans / batches (those that exist), by id.
  Result<std::map<std::string, LoanRow>> LoadLoans(const std::vector<std::string>& ids);
  Result<std::map<std::string, SettlementRow>> LoadBatches(const std::vector<std::string>& ids);
  // The accepted events (signer, tx_id) with their deltas, those exported, by key: one query
  // for all of them (a block's reversals' targets).
  using EventKey = std::pair<std::string, std::string>;  // (signer, tx_id)
  Result<std::map<EventKey, EventRow>> FindAcceptedEvents(const std::vector<EventKey>& keys);

  // Writes each block's rows and moves the exported height to it, one SQL transaction per
  // block, all of them sent in one round trip (in height order). On a failure the blocks
  // before the failing one are committed (Cursor says how far). When a block's guard fails:
  // kAlreadyExists (HeightMoved) if the exported height is not its height - 1 (another
  // writer moved it), kFailedPrecondition for a database of another chain or a changed row
  // that is missing.
  Status WriteBlocks(const std::vector<BlockExport>& blocks, const std::string& chain_id);

 private:
  struct Impl;
  explicit ExportDatabase(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace colend::exporter

#endif  // COLEND_TOOLS_EXPORT_EXPORT_DB_H_
