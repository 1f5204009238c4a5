// colend-cli governance and validator commands (docs/api.md, "Governance transactions",
// getProposals, getValidators):
//
//   governance propose   a member proposes an action: the action JSON (inline, a file, or
//                        "-" for stdin) wrapped in a GovernanceProposal, signed and sent as
//                        `send` does
//   governance vote      a member approves or rejects an open proposal
//   governance list      the proposals (optionally of one status) as a table
//   validators           the validator set in force (or at --height) and the next one
//
// Exit codes as rpc_commands.h: 0 done, 1 refused/rejected or an error answer, 2 could not
// run.
#ifndef COLEND_TOOLS_CLI_GOVERNANCE_COMMANDS_H_
#define COLEND_TOOLS_CLI_GOVERNANCE_COMMANDS_H_

#include <boost/json/value.hpp>
#include <cstdint>
#include <istream>
#include <optional>
#include <ostream>
#include <string>

#include "colend/common/result.h"
#include "rpc_commands.h"

namespace colend::cli {

struct ProposeOptions {
  std::string signer;       // the proposing member
  std::string proposal_id;  // unique on the chain; votes name it
  std::string description;  // a sentence for the other members
  std::string id;           // the transaction id; default "propose:<proposal_id>"
  std::string action;       // inline JSON ("{...}"), a file path, or "-" for stdin
};

struct VoteOptions {
  std::string signer;
  std::string proposal_id;
  std::string choice;  // "approve" or "reject" (any case)
  std::string id;      // the transaction id; default "vote:<proposal_id>"
};

// The GovernanceProposal / GovernanceVote transaction JSON (docs/api.md) the commands sign.
// kInvalidArgument with a sentence on a bad choice, an action that is not a JSON object
// with a "type", or a default id that would be longer than 64 characters.
Result<std::string> ProposalTransactionJson(const ProposeOptions& options,
                                            const std::string& action_json);
Result<std::string> VoteTransactionJson(const VoteOptions& options);

int RunPropose(const RpcTarget& target, SendOptions send, const ProposeOptions& options,
               std::istream& stdin_stream, std::ostream& out, std::ostream& err);
int RunVote(const RpcTarget& target, SendOptions send, const VoteOptions& options,
            std::ostream& out, std::ostream& err);
// `status`: empty, or open | passed | rejected | failed (any case).
int RunListProposals(const RpcTarget& target, const std::string& status, std::ostream& out,
                     std::ostream& err);
int RunValidators(const RpcTarget& target, std::optional<std::uint64_t> height, std::ostream& out,
                  std::ostream& err);

// The tables the commands print for people, from getProposals / getValidators results.
void PrintProposals(const boost::json::value& result, std::ostream& out);
void PrintValidators(const boost::json::value& result, std::ostream& out);

}  // namespace colend::cli

#endif  // COLEND_TOOLS_CLI_GOVERNANCE_COMMANDS_H_
