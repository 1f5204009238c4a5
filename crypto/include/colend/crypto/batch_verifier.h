// BatchVerifier: checks many signatures at once on a fixed pool of worker threads.
//
// The transaction pool and block validation verify every signature of a batch before
// anything else looks at it; at tens of microseconds per signature, a block of a thousand
// transactions is worth spreading over cores. Each item is verified exactly as Verify()
// in signature.h does (domain-separated form), so the result for one item never depends
// on the rest of the batch, on the pool size, or on timing.
#ifndef COLEND_CRYPTO_BATCH_VERIFIER_H_
#define COLEND_CRYPTO_BATCH_VERIFIER_H_

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "colend/common/bytes.h"
#include "colend/common/result.h"
#include "colend/common/status.h"
#include "colend/crypto/keys.h"

namespace colend::crypto {

// One signature to check: Verify(*key, domain, message, signature).
// Borrows everything it points to; the caller keeps it alive until VerifyBatch returns.
struct SignedMessage {
  const PublicKey* key = nullptr;  // not owned; a null key makes the item fail
  std::string_view domain;         // the protocol's fixed domain, e.g. "colend/tx/v1"
  ByteView message;
  ByteView signature;
};

struct BatchFailure {
  std::size_t index = 0;  // position in the batch
  Status status;          // what Verify returned (never OK)
};

struct BatchVerifyReport {
  std::size_t checked = 0;             // the batch size
  std::vector<BatchFailure> failures;  // ascending by index; empty when all are valid

  bool all_valid() const { return failures.empty(); }
  // valid[i] is true when item i verified.
  std::vector<bool> ValidMask() const;
};

// Ownership: owns its worker threads; they are started by Create and joined by the
// destructor. Not copyable or movable.
// Thread safety: VerifyBatch may be called from any number of threads at once. Batches
// are served by the workers in arrival order, and each caller also verifies items of its
// own batch while it waits, so a batch always makes progress even when the workers are
// busy with another caller's.
// Threads: worker i is named "colend-verify-<i>" (see WorkerThreadName).
class BatchVerifier {
 public:
  struct Options {
    // Threads in addition to the calling thread. 0 is allowed: the caller then verifies
    // every item itself. At most kMaxWorkerThreads.
    std::size_t worker_threads = 1;
  };
  static constexpr std::size_t kMaxWorkerThreads = 256;

  // Starts the workers. Fails with kInvalidArgument for too many threads and with
  // kResourceExhausted if the operating system refuses to start one.
  static Result<std::unique_ptr<BatchVerifier>> Create(const Options& options);

  // Stops and joins the workers.
  // REQUIRES: no VerifyBatch call is in progress.
  ~BatchVerifier();
  BatchVerifier(const BatchVerifier&) = delete;
  BatchVerifier& operator=(const BatchVerifier&) = delete;

  // Verifies every item; blocks until all are done. An empty batch returns at once.
  BatchVerifyReport VerifyBatch(std::span<const SignedMessage> items);

  std::size_t worker_threads() const;

  // The name worker `index` gives its thread: "colend-verify-<index>". Linux allows 15
  // characters, so from index 10 the dash is dropped, and from 100 the prefix loses
  // letters from its end ("colend-verif123"); the index is always kept whole.
  static std::string WorkerThreadName(std::size_t index);

 private:
  struct Pool;
  explicit BatchVerifier(std::unique_ptr<Pool> pool);

  std::unique_ptr<Pool> pool_;
};

}  // namespace colend::crypto

#endif  // COLEND_CRYPTO_BATCH_VERIFIER_H_
