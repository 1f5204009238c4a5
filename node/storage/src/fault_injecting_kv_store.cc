#include "colend/node/fault_injecting_kv_store.h"

#include <utility>

#include "colend/common/check.h"

namespace colend::node {

FaultInjectingKvStore::FaultInjectingKvStore(std::shared_ptr<KvStore> base)
    : base_(std::move(base)) {
  COLEND_CHECK(base_ != nullptr);
}

Result<std::optional<std::string>> FaultInjectingKvStore::Get(std::string_view key) const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (fail_reads_) return Status::IoError("injected read failure");
  }
  return base_->Get(key);
}

Status FaultInjectingKvStore::Write(std::span<const KvWrite> writes, bool sync) {
  bool fail_after = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++write_attempts_;
    if (fail_at_attempt_ && *fail_at_attempt_ == write_attempts_) {
      fail_at_attempt_.reset();
      if (fault_ == WriteFault::kBeforeApply) return Status::IoError("injected write failure");
      fail_after = true;
    }
    if (budget_left_) {
      std::uint64_t bytes = 0;
      for (const KvWrite& w : writes) bytes += w.key.size() + (w.value ? w.value->size() : 0);
      if (bytes > *budget_left_) {
        budget_left_ = 0;
        return Status::IoError("injected write failure: no space left on device");
      }
      *budget_left_ -= bytes;
    }
  }
  COLEND_RETURN_IF_ERROR(base_->Write(writes, sync));
  if (fail_after) return Status::IoError("injected write failure after the batch was applied");
  return Status::Ok();
}

Status FaultInjectingKvStore::Scan(std::string_view prefix, const KvScanFn& fn) const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (fail_reads_) return Status::IoError("injected read failure");
  }
  return base_->Scan(prefix, fn);
}

Result<std::unique_ptr<KvStore>> FaultInjectingKvStore::Snapshot() const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (fail_reads_) return Status::IoError("injected read failure");
  }
  return base_->Snapshot();
}

Status FaultInjectingKvStore::ScanFrom(std::string_view prefix, std::string_view start,
                                       const KvScanFn& fn) const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (fail_reads_) return Status::IoError("injected read failure");
  }
  return base_->ScanFrom(prefix, start, fn);
}

Result<std::optional<KvEntry>> FaultInjectingKvStore::FindLastAtOrBefore(
    std::string_view prefix, std::string_view upper) const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (fail_reads_) return Status::IoError("injected read failure");
  }
  return base_->FindLastAtOrBefore(prefix, upper);
}

void FaultInjectingKvStore::FailNthWrite(std::uint64_t n, WriteFault fault) {
  COLEND_CHECK(n >= 1);
  std::lock_guard<std::mutex> lock(mu_);
  fail_at_attempt_ = write_attempts_ + n;
  fault_ = fault;
}

void FaultInjectingKvStore::FailReads(bool fail) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_reads_ = fail;
}

void FaultInjectingKvStore::SetWriteByteBudget(std::optional<std::uint64_t> bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  budget_left_ = bytes;
}

void FaultInjectingKvStore::Heal() {
  std::lock_guard<std::mutex> lock(mu_);
  fail_at_attempt_.reset();
  fail_reads_ = false;
  budget_left_.reset();
}

std::uint64_t FaultInjectingKvStore::write_attempts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return write_attempts_;
}

}  // namespace colend::node
