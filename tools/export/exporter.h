// colend-export's loop: follows a node's `blocks` subscription from the database's exported
// height + 1 and writes each block, with everything it changed, in one SQL transaction
// (docs/export.md). The node and the database may go away at any moment: the loop reconnects
// to both and resumes from the exported height, so no row is missing or written twice.
#ifndef COLEND_TOOLS_EXPORT_EXPORTER_H_
#define COLEND_TOOLS_EXPORT_EXPORTER_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

namespace colend::exporter {

struct ExportOptions {
  std::string rpc_url;  // http://host:port
  std::string token;    // bearer token ("" = none)
  std::string pg;       // libpq connection string
  // Where an empty database starts (must be 1: loans are kept from their events); on a
  // database that holds blocks, a check that it resumes there.
  std::optional<std::uint64_t> from_height;
  bool once = false;                // export up to the head seen at start, then exit
  int timeout_ms = 30000;           // per JSON-RPC call
  int idle_timeout_ms = 60000;      // no block for this long: reconnect the subscription
  int retry_ms = 1000;              // wait before reconnecting after a node or database failure
  std::uint64_t chunk_blocks = 64;  // heights whose events are read in one pass when behind
  bool quiet = false;
};

// Exit codes: 0 done (--once), 1 a failure that retrying cannot fix (wrong chain, an answer
// that contradicts the books, a second exporter), 2 bad options. Follow mode never ends
// otherwise.
int RunExport(const ExportOptions& options, std::ostream& log);

}  // namespace colend::exporter

#endif  // COLEND_TOOLS_EXPORT_EXPORTER_H_
