// colend-cli commands that talk to a node over JSON-RPC (docs/api.md):
//
//   send   signs transaction JSON (docs/api.md) with a bank's client key and sends it
//          (a file holding one JSON object, or JSON lines, or "-" for stdin); with --wait,
//          waits for each receipt. The chain id and suite come from the node (getNodeInfo)
//          unless given.
//   call   any JSON-RPC method with a JSON params object; prints the result.
//   positions, status, peers, block, tx, receipt, loan, settlements: the common queries,
//          as tables for people or --json for machines.
//
// Exit codes: 0 done (every transaction admitted and, with --wait, accepted); 1 a
// transaction was refused or rejected, or the node answered with an error; 2 could not run
// (bad arguments, unreadable key or file, node unreachable).
#ifndef COLEND_TOOLS_CLI_RPC_COMMANDS_H_
#define COLEND_TOOLS_CLI_RPC_COMMANDS_H_

#include <boost/json/value.hpp>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "colend/common/result.h"
#include "rpc_client.h"

namespace colend::cli {

struct RpcTarget {
  std::string url = "http://127.0.0.1:30301";
  std::string token;
  bool json = false;  // machine output
};

struct SendOptions {
  std::string key_file;
  std::string input;     // file path or "-"; ignored when `text` is set
  std::string text;      // the transactions themselves (the shortcuts build them)
  std::string chain_id;  // empty: ask the node
  std::string suite;     // empty: ask the node
  bool wait = false;
  int wait_timeout_s = 60;
};

// Each returns the process exit code (0, 1 or 2 as above).
int RunSend(const RpcTarget& target, const SendOptions& options, std::istream& stdin_stream,
            std::ostream& out, std::ostream& err);
// A shortcut: `loan originate|approve|repay|chargeoff|recover` from named options, amounts
// as decimals ("8000.00") converted exactly to minor units with `decimals` fraction digits
// (2 for CNY); then sent as RunSend does. `fields` maps option names (agreement, loan-id,
// principal, ...) to their values as given.
struct LoanShortcut {
  std::string action;  // originate | approve | repay | chargeoff | recover
  std::string signer;
  std::string id;      // the transaction id; defaults per action where one is natural
  std::string agreement, loan_id, borrower_ref, value_date;
  std::string principal, interest = "0", penalty = "0", amount;  // decimals
  int annual_rate_bp = 0;
  int term_months = 0;
  int decimals = 2;
};
int RunLoanShortcut(const RpcTarget& target, SendOptions options, const LoanShortcut& loan,
                    std::ostream& out, std::ostream& err);

// "8000.00" -> 800000 with decimals = 2. Refuses signs, more fraction digits than
// `decimals`, anything but digits and one '.', and values that overflow int64 minor units.
Result<std::int64_t> DecimalToMinor(std::string_view text, int decimals);

int RunCall(const RpcTarget& target, const std::string& method, const std::string& params_json,
            std::ostream& out, std::ostream& err);
// `query`: positions | status | peers | block | tx | receipt | loan | settlements; `arg` is
// the height, hash or loan id where one is needed; bank/counterparty filter positions and
// settlements.
int RunQuery(const RpcTarget& target, const std::string& query, const std::string& arg,
             const std::string& bank, const std::string& counterparty, std::ostream& out,
             std::ostream& err);

// The exit codes above, shared by the command files.
inline constexpr int kDone = 0;
inline constexpr int kProblems = 1;
inline constexpr int kCannotRun = 2;

// Shared by the command files: a client for `target` (nullptr after printing why), an error
// answer printed with its exit code, a JSON scalar as a table cell ("-" for null), and
// columns padded to their widest cell ("(none)" under a header without rows).
std::unique_ptr<tools::JsonRpcClient> Connect(const RpcTarget& target, std::ostream& err);
int ReportRpcError(const tools::RpcResponse& r, std::ostream& err);
std::string Cell(const boost::json::value& v);
void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows, std::ostream& out);

}  // namespace colend::cli

#endif  // COLEND_TOOLS_CLI_RPC_COMMANDS_H_
