#include "colend/consensus/params.h"

#include <string>

namespace colend::consensus {

Status ConsensusParams::Validate() const {
  if (checkpoint_period == 0) return Status::InvalidArgument("checkpoint_period must be >= 1");
  if (window < checkpoint_period) {
    return Status::InvalidArgument("window (" + std::to_string(window) +
                                   ") must be >= checkpoint_period (" +
                                   std::to_string(checkpoint_period) + ")");
  }
  if (execution_lag == 0 || execution_lag > window) {
    return Status::InvalidArgument("execution_lag must be in [1, window]");
  }
  if (max_block_txs == 0) return Status::InvalidArgument("max_block_txs must be >= 1");
  if (max_block_bytes == 0) return Status::InvalidArgument("max_block_bytes must be >= 1");
  if (batch_timeout_ms == 0) return Status::InvalidArgument("batch_timeout_ms must be >= 1");
  if (view_change_timeout_ms == 0) {
    return Status::InvalidArgument("view_change_timeout_ms must be >= 1");
  }
  if (max_view_change_backoff > 20) {
    return Status::InvalidArgument("max_view_change_backoff must be <= 20");
  }
  return Status::Ok();
}

}  // namespace colend::consensus
