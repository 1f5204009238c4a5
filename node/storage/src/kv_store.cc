// The LevelDB KvStore, and the forwarding store that shares one KvStore.
#include "colend/node/kv_store.h"

#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/options.h>
#include <leveldb/write_batch.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <system_error>
#include <utility>

#include "colend/common/check.h"

namespace colend::node {
namespace {

leveldb::Slice ToSlice(std::string_view s) {
  return {s.data(), s.size()};
}
std::string_view ToView(const leveldb::Slice& s) {
  return {s.data(), s.size()};
}

Status FromLevelDb(const leveldb::Status& s, std::string_view what) {
  if (s.ok()) return Status::Ok();
  std::string message = std::string(what) + ": " + s.ToString();
  if (s.IsNotFound()) return Status::NotFound(std::move(message));
  if (s.IsCorruption()) return Status::Corruption(std::move(message));
  if (s.IsIOError()) return Status::IoError(std::move(message));
  if (s.IsInvalidArgument()) return Status::InvalidArgument(std::move(message));
  return Status::Internal(std::move(message));
}

// Ownership: owns the DB, its block cache and filter policy (the DB is closed first); a
// snapshot (made by Snapshot()) shares its leveldb::Snapshot with the snapshots made of it
// and reads the DB of the store that made it, which must outlive them all.
// Thread safety: leveldb::DB is safe for concurrent use.
class LevelDbKvStore final : public KvStore {
 public:
  LevelDbKvStore(std::unique_ptr<leveldb::Cache> cache,
                 std::unique_ptr<const leveldb::FilterPolicy> filter,
                 std::unique_ptr<leveldb::DB> db)
      : cache_(std::move(cache)), filter_(std::move(filter)), db_(std::move(db)) {
    reads_ = db_.get();
  }

  // A snapshot of `db`: every read sees the DB as it was when `snapshot` was taken.
  LevelDbKvStore(leveldb::DB* db, std::shared_ptr<const leveldb::Snapshot> snapshot)
      : reads_(db), snapshot_(std::move(snapshot)) {}

  ~LevelDbKvStore() override {
    snapshot_.reset();
    db_.reset();  // before the cache and filter policy it uses
  }

  // Of the live store: the DB as it is now. Of a snapshot: the same frozen view (it shares
  // the leveldb::Snapshot, released with the last store that reads it).
  Result<std::unique_ptr<KvStore>> Snapshot() const override {
    if (snapshot_ != nullptr) {
      return std::unique_ptr<KvStore>(new LevelDbKvStore(reads_, snapshot_));
    }
    leveldb::DB* db = reads_;
    std::shared_ptr<const leveldb::Snapshot> snapshot(
        db->GetSnapshot(), [db](const leveldb::Snapshot* s) { db->ReleaseSnapshot(s); });
    return std::unique_ptr<KvStore>(new LevelDbKvStore(db, std::move(snapshot)));
  }

  Result<std::optional<std::string>> Get(std::string_view key) const override {
    std::string value;
    const leveldb::Status s = reads_->Get(ReadOptions(), ToSlice(key), &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (!s.ok()) return FromLevelDb(s, "leveldb get");
    return std::optional<std::string>(std::move(value));
  }

  Status Write(std::span<const KvWrite> writes, bool sync) override {
    if (snapshot_ != nullptr) return Status::FailedPrecondition("a store snapshot is read-only");
    leveldb::WriteBatch batch;
    for (const KvWrite& w : writes) {
      if (w.value) {
        batch.Put(ToSlice(w.key), ToSlice(*w.value));
      } else {
        batch.Delete(ToSlice(w.key));
      }
    }
    leveldb::WriteOptions options;
    options.sync = sync;
    return FromLevelDb(db_->Write(options, &batch), "leveldb write");
  }

  Status Scan(std::string_view prefix, const KvScanFn& fn) const override {
    std::unique_ptr<leveldb::Iterator> it(reads_->NewIterator(ReadOptions()));
    for (it->Seek(ToSlice(prefix)); it->Valid(); it->Next()) {
      const std::string_view key = ToView(it->key());
      if (!key.starts_with(prefix)) break;
      if (!fn(key, ToView(it->value()))) break;
    }
    return FromLevelDb(it->status(), "leveldb scan");
  }

  Status ScanFrom(std::string_view prefix, std::string_view start,
                  const KvScanFn& fn) const override {
    std::unique_ptr<leveldb::Iterator> it(reads_->NewIterator(ReadOptions()));
    for (it->Seek(ToSlice(std::max(prefix, start))); it->Valid(); it->Next()) {
      const std::string_view key = ToView(it->key());
      if (!key.starts_with(prefix)) break;
      if (!fn(key, ToView(it->value()))) break;
    }
    return FromLevelDb(it->status(), "leveldb scan");
  }

  Result<std::optional<KvEntry>> FindLastAtOrBefore(std::string_view prefix,
                                                    std::string_view upper) const override {
    std::unique_ptr<leveldb::Iterator> it(reads_->NewIterator(ReadOptions()));
    it->Seek(ToSlice(upper));
    if (!it->Valid()) {
      COLEND_RETURN_IF_ERROR(FromLevelDb(it->status(), "leveldb seek"));
      it->SeekToLast();
    } else if (ToView(it->key()) != upper) {
      it->Prev();
    }
    COLEND_RETURN_IF_ERROR(FromLevelDb(it->status(), "leveldb seek"));
    if (!it->Valid() || !ToView(it->key()).starts_with(prefix)) {
      return std::optional<KvEntry>();
    }
    return std::optional<KvEntry>(
        KvEntry{std::string(ToView(it->key())), std::string(ToView(it->value()))});
  }

 private:
  leveldb::ReadOptions ReadOptions() const {
    leveldb::ReadOptions options;
    options.verify_checksums = true;
    options.snapshot = snapshot_.get();  // nullptr: the current state
    return options;
  }

  std::unique_ptr<leveldb::Cache> cache_;
  std::unique_ptr<const leveldb::FilterPolicy> filter_;
  std::unique_ptr<leveldb::DB> db_;  // null in a snapshot
  leveldb::DB* reads_ = nullptr;     // db_, or the DB of the store a snapshot was made from
  std::shared_ptr<const leveldb::Snapshot> snapshot_;
};

// Thread safety: as the shared store.
class SharedKvStore final : public KvStore {
 public:
  explicit SharedKvStore(std::shared_ptr<KvStore> shared) : shared_(std::move(shared)) {
    COLEND_CHECK(shared_ != nullptr);
  }
  Result<std::optional<std::string>> Get(std::string_view key) const override {
    return shared_->Get(key);
  }
  Status Write(std::span<const KvWrite> writes, bool sync) override {
    return shared_->Write(writes, sync);
  }
  Status Scan(std::string_view prefix, const KvScanFn& fn) const override {
    return shared_->Scan(prefix, fn);
  }
  Status ScanFrom(std::string_view prefix, std::string_view start,
                  const KvScanFn& fn) const override {
    return shared_->ScanFrom(prefix, start, fn);
  }
  Result<std::unique_ptr<KvStore>> Snapshot() const override { return shared_->Snapshot(); }
  Result<std::optional<KvEntry>> FindLastAtOrBefore(std::string_view prefix,
                                                    std::string_view upper) const override {
    return shared_->FindLastAtOrBefore(prefix, upper);
  }

 private:
  std::shared_ptr<KvStore> shared_;
};

}  // namespace

Result<std::unique_ptr<KvStore>> KvStore::Snapshot() const {
  return Status::FailedPrecondition("this store takes no snapshots");
}

Status KvStore::ScanFrom(std::string_view prefix, std::string_view start,
                         const KvScanFn& fn) const {
  return Scan(prefix, [&](std::string_view key, std::string_view value) {
    return key < start || fn(key, value);
  });
}

namespace {

// Whether `dir` holds a LevelDB database's data (its log, tables or manifest) but not the
// CURRENT file that names the manifest. LevelDB asked to create a database there would
// start an empty one and delete the tables it does not know: the chain would be gone
// before any error. A directory with only LOCK and LOG (a first open that stopped before
// CURRENT was written) holds no data.
bool HasDataButNoCurrent(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec) || fs::exists(dir / "CURRENT", ec)) return false;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    const std::string ext = entry.path().extension().string();
    if (name.starts_with("MANIFEST-") || ext == ".ldb" || ext == ".sst" || ext == ".log") {
      return true;
    }
  }
  return false;
}

}  // namespace

Result<std::unique_ptr<KvStore>> OpenLevelDb(const std::filesystem::path& dir,
                                             const LevelDbOptions& options) {
  const std::string where = "store at " + dir.string();
  if (HasDataButNoCurrent(dir)) {
    return Status::Corruption(
        "cannot open " + where +
        ": it holds LevelDB data files but no CURRENT file (a damaged or partly restored "
        "directory); nothing was changed. Restore the directory from a backup, or move it "
        "away to start this node from genesis and sync the chain from its peers");
  }
  if (options.create_if_missing) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return Status::IoError("cannot create " + where + ": " + ec.message());
  }
  auto cache = std::unique_ptr<leveldb::Cache>(leveldb::NewLRUCache(options.block_cache_bytes));
  leveldb::Options db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.paranoid_checks = true;
  db_options.compression = leveldb::kSnappyCompression;
  db_options.block_cache = cache.get();
  // Point lookups of absent keys (is this tx hash known?) skip most table reads.
  auto filter = std::unique_ptr<const leveldb::FilterPolicy>(leveldb::NewBloomFilterPolicy(10));
  db_options.filter_policy = filter.get();
  db_options.write_buffer_size = options.write_buffer_bytes;
  db_options.max_open_files = options.max_open_files;
  leveldb::DB* raw = nullptr;
  const leveldb::Status s = leveldb::DB::Open(db_options, dir.string(), &raw);
  std::unique_ptr<leveldb::DB> db(raw);
  if (!s.ok()) {
    const std::string text = s.ToString();
    if (s.IsIOError() && text.find("lock") != std::string::npos) {
      return Status::FailedPrecondition("cannot open " + where +
                                        ": it is already in use (another colend-node, or this "
                                        "process, holds its lock): " +
                                        text);
    }
    return FromLevelDb(s, "cannot open " + where);
  }
  return std::unique_ptr<KvStore>(
      std::make_unique<LevelDbKvStore>(std::move(cache), std::move(filter), std::move(db)));
}

std::unique_ptr<KvStore> ShareKvStore(std::shared_ptr<KvStore> shared) {
  return std::make_unique<SharedKvStore>(std::move(shared));
}

}  // namespace colend::node
