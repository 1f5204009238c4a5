// colend-cli watch --bank X: a live table of one bank's unsettled positions by
// counterparty, redrawn on every block that concerns the bank, from the node's "positions"
// subscription (docs/api.md, "Subscriptions over WebSocket").
//
//   colend-cli watch --bank PARTNER_A [--from-height H] [--blocks N | --once] [--timeout S]
//
// Without --from-height it first prints the positions now (getPositions) and then follows
// from the next block; with it, it replays from block H (each table is the positions after
// that block) and carries on live. --blocks N stops after N tables from the subscription
// (--once = 1); --timeout S gives up when no table came for S seconds (exit 1). Each table
// starts with "height H", so a caller that stops can resume with --from-height H + 1. With
// --json each update is the node's notification params as one JSON line (no first table).
#ifndef COLEND_TOOLS_CLI_WATCH_COMMAND_H_
#define COLEND_TOOLS_CLI_WATCH_COMMAND_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include <boost/json/array.hpp>

#include "rpc_commands.h"

namespace colend::cli {

struct WatchOptions {
  std::string bank;
  std::optional<std::uint64_t> from_height;
  std::uint64_t blocks = 0;  // 0 = until interrupted
  int timeout_s = 0;         // 0 = wait for ever
};

int RunWatch(const RpcTarget& target, const WatchOptions& options, std::ostream& out,
             std::ostream& err);

// The table of `bank`'s positions (getPositions shape) by counterparty, from the bank's side:
// a positive net means the bank owes the counterparty.
void PrintBankPositions(const std::string& bank, std::uint64_t height,
                        const boost::json::array& positions, std::ostream& out);

}  // namespace colend::cli

#endif  // COLEND_TOOLS_CLI_WATCH_COMMAND_H_
