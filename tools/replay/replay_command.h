// colend-replay's work, as a library so tests can drive it without a process: read a
// genesis or a member list, replay JSON lines, print the books.
#ifndef COLEND_TOOLS_REPLAY_REPLAY_COMMAND_H_
#define COLEND_TOOLS_REPLAY_REPLAY_COMMAND_H_

#include <cstdint>
#include <istream>
#include <ostream>
#include <string>

namespace colend::replay {

struct ReplayOptions {
  std::string genesis_file;   // a genesis.json, or
  std::string banks;          // "LEAD,PARTNER_A,..." (ad-hoc members, no keys)
  std::uint32_t min_funder_bp = 0;  // only with --banks
  std::string transactions_file;  // "-" for stdin
  bool pretty = false;
};

// Exit codes, as every colend tool: 0 done, 1 done but some lines were malformed (they
// are reported on `diagnostics` and appear as MALFORMED receipts), 2 could not run.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFoundProblems = 1;
inline constexpr int kExitCannotRun = 2;

// Lines longer than this are malformed (and skipped without being held in memory).
inline constexpr std::size_t kMaxLineBytes = 1 << 20;

int RunReplay(const ReplayOptions& options, std::istream& stdin_stream, std::ostream& out,
              std::ostream& diagnostics);

}  // namespace colend::replay

#endif  // COLEND_TOOLS_REPLAY_REPLAY_COMMAND_H_
