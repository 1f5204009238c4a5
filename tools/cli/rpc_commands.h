// colend-cli commands that talk to a node over JSON-RPC (API.md):
//
//   send   signs API.md transaction JSON with a bank's client key and sends it
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

#include <cstdint>
#include <ostream>
#include <string>

namespace colend::cli {

struct RpcTarget {
  std::string url = "http://127.0.0.1:30301";
  std::string token;
  bool json = false;  // machine output
};

struct SendOptions {
  std::string key_file;
  std::string input;     // file path or "-"
  std::string chain_id;  // empty: ask the node
  std::string suite;     // empty: ask the node
  bool wait = false;
  int wait_timeout_s = 60;
};

// Each returns the process exit code (0, 1 or 2 as above).
int RunSend(const RpcTarget& target, const SendOptions& options, std::istream& stdin_stream,
            std::ostream& out, std::ostream& err);
int RunCall(const RpcTarget& target, const std::string& method, const std::string& params_json,
            std::ostream& out, std::ostream& err);
// `query`: positions | status | peers | block | tx | receipt | loan | settlements; `arg` is
// the height, hash or loan id where one is needed; bank/counterparty filter positions and
// settlements.
int RunQuery(const RpcTarget& target, const std::string& query, const std::string& arg,
             const std::string& bank, const std::string& counterparty, std::ostream& out,
             std::ostream& err);

}  // namespace colend::cli

#endif  // COLEND_TOOLS_CLI_RPC_COMMANDS_H_
