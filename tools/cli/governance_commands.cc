#include "governance_commands.h"

#include <algorithm>
#include <cctype>
#include <sstream>
#include <vector>

#include <boost/json.hpp>

#include "colend/common/files.h"

namespace colend::cli {
namespace {

namespace json = boost::json;

// Transaction ids are 1-64 characters (docs/api.md).
constexpr std::size_t kMaxTxId = 64;

std::string Upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

Result<std::string> DefaultId(const std::string& given, const std::string& prefix,
                              const std::string& proposal_id) {
  if (!given.empty()) return given;
  std::string id = prefix + proposal_id;
  if (id.size() > kMaxTxId) {
    return Status::InvalidArgument("the default transaction id \"" + id +
                                   "\" is longer than 64 characters: give one with --id");
  }
  return id;
}

// The action JSON: inline when it starts with '{', else a file, or "-" for stdin.
Result<std::string> ReadAction(const std::string& action, std::istream& stdin_stream) {
  const std::size_t first = action.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && action[first] == '{') return action;
  if (action == "-") {
    std::ostringstream buf;
    buf << stdin_stream.rdbuf();
    return buf.str();
  }
  return ReadWholeFile(action, 1 << 20);
}

std::string ActionSummary(const json::value& action) {
  if (!action.is_object()) return Cell(action);
  const json::object& a = action.as_object();
  std::string out = a.contains("type") ? Cell(a.at("type")) : "?";
  // The one field that says what the action is about, where there is one.
  for (const char* key : {"member_id", "name", "fingerprint"}) {
    if (const json::value* v = a.if_contains(key)) {
      std::string text = Cell(*v);
      if (std::string_view(key) == "fingerprint") text = text.substr(0, 12) + "...";
      out += " " + text;
      if (std::string_view(key) == "name" && a.contains("value")) out += "=" + Cell(a.at("value"));
      break;
    }
  }
  if (const json::value* v = a.if_contains("validators"); v != nullptr && v->is_array()) {
    out += " (" + std::to_string(v->as_array().size()) + " validators)";
  }
  return out;
}

std::string Joined(const json::value& list) {
  if (!list.is_array() || list.as_array().empty()) return "-";
  std::string out;
  for (const json::value& v : list.as_array()) out += (out.empty() ? "" : ",") + Cell(v);
  return out;
}

}  // namespace

Result<std::string> ProposalTransactionJson(const ProposeOptions& options,
                                            const std::string& action_json) {
  boost::system::error_code ec;
  json::value action = json::parse(action_json, ec);
  if (ec || !action.is_object() || !action.as_object().contains("type")) {
    return Status::InvalidArgument(
        "the action must be a JSON object with a \"type\", e.g. "
        "{\"type\":\"SuspendMember\",\"member_id\":\"PARTNER_D\",\"reason\":\"...\"} "
        "(docs/api.md, \"Governance transactions\")");
  }
  COLEND_ASSIGN_OR_RETURN(const std::string id,
                          DefaultId(options.id, "propose:", options.proposal_id));
  json::object tx;
  tx["type"] = "GovernanceProposal";
  tx["signer"] = options.signer;
  tx["id"] = id;
  tx["proposal_id"] = options.proposal_id;
  tx["description"] = options.description;
  tx["action"] = std::move(action);
  return json::serialize(tx);
}

Result<std::string> VoteTransactionJson(const VoteOptions& options) {
  const std::string choice = Upper(options.choice);
  if (choice != "APPROVE" && choice != "REJECT") {
    return Status::InvalidArgument("the vote must be approve or reject, not \"" + options.choice +
                                   "\"");
  }
  COLEND_ASSIGN_OR_RETURN(const std::string id,
                          DefaultId(options.id, "vote:", options.proposal_id));
  json::object tx;
  tx["type"] = "GovernanceVote";
  tx["signer"] = options.signer;
  tx["id"] = id;
  tx["proposal_id"] = options.proposal_id;
  tx["choice"] = choice;
  return json::serialize(tx);
}

int RunPropose(const RpcTarget& target, SendOptions send, const ProposeOptions& options,
               std::istream& stdin_stream, std::ostream& out, std::ostream& err) {
  Result<std::string> action = ReadAction(options.action, stdin_stream);
  if (!action.ok()) {
    err << "colend-cli: governance propose: " << action.status().message() << "\n";
    return kCannotRun;
  }
  Result<std::string> tx = ProposalTransactionJson(options, *action);
  if (!tx.ok()) {
    err << "colend-cli: governance propose: " << tx.status().message() << "\n";
    return kCannotRun;
  }
  send.text = std::move(tx).value();
  std::istringstream no_stdin;
  return RunSend(target, send, no_stdin, out, err);
}

int RunVote(const RpcTarget& target, SendOptions send, const VoteOptions& options,
            std::ostream& out, std::ostream& err) {
  Result<std::string> tx = VoteTransactionJson(options);
  if (!tx.ok()) {
    err << "colend-cli: governance vote: " << tx.status().message() << "\n";
    return kCannotRun;
  }
  send.text = std::move(tx).value();
  std::istringstream no_stdin;
  return RunSend(target, send, no_stdin, out, err);
}

void PrintProposals(const json::value& result, std::ostream& out) {
  std::vector<std::vector<std::string>> rows;
  for (const json::value& p : result.at("proposals").as_array()) {
    const json::object& o = p.as_object();
    rows.push_back({Cell(o.at("proposal_id")), ActionSummary(o.at("action")),
                    Cell(o.at("proposer")), Cell(o.at("status")),
                    std::to_string(o.at("approvals").as_array().size()) + "/" +
                        std::to_string(o.at("rejections").as_array().size()),
                    Joined(o.at("approvals")), Joined(o.at("rejections"))});
  }
  PrintTable({"id", "action", "proposer", "status", "for/against", "approved by", "rejected by"},
             rows, out);
}

void PrintValidators(const json::value& result, std::ostream& out) {
  const json::object& o = result.as_object();
  std::vector<std::vector<std::string>> rows;
  auto add_epoch = [&](const json::object& epoch, const std::string& primary) {
    for (const json::value& v : epoch.at("validators").as_array()) {
      const std::string node = Cell(v.at("node_id"));
      rows.push_back({Cell(epoch.at("epoch")), Cell(epoch.at("start_height")), node,
                      Cell(v.at("member_id")), node == primary ? "primary" : ""});
    }
  };
  const std::string primary = o.contains("primary") ? Cell(o.at("primary")) : "";
  out << "epoch " << Cell(o.at("epoch")) << ": ordering from height " << Cell(o.at("start_height"))
      << ", decided at height " << Cell(o.at("decided_at_height"));
  if (o.contains("view")) out << "; view " << Cell(o.at("view")) << ", primary " << primary;
  out << "\n";
  add_epoch(o, primary);
  if (const json::value* next = o.if_contains("next"); next != nullptr && next->is_object()) {
    add_epoch(next->as_object(), "");
  }
  PrintTable({"epoch", "from height", "node", "member", "role"}, rows, out);
  if (const json::value* next = o.if_contains("next"); next != nullptr && next->is_object()) {
    out << "epoch " << Cell(next->at("epoch")) << " is decided and orders from height "
        << Cell(next->at("start_height")) << "\n";
  }
}

int RunListProposals(const RpcTarget& target, const std::string& status, std::ostream& out,
                     std::ostream& err) {
  std::unique_ptr<tools::JsonRpcClient> client = Connect(target, err);
  if (!client) return kCannotRun;
  json::value params = nullptr;
  if (!status.empty()) params = json::object{{"status", Upper(status)}};
  tools::RpcResponse r = client->Call("getProposals", params);
  if (!r.status.ok() || r.error.has_value()) return ReportRpcError(r, err);
  if (target.json) {
    out << json::serialize(r.result) << "\n";
  } else {
    PrintProposals(r.result, out);
  }
  return kDone;
}

int RunValidators(const RpcTarget& target, std::optional<std::uint64_t> height, std::ostream& out,
                  std::ostream& err) {
  std::unique_ptr<tools::JsonRpcClient> client = Connect(target, err);
  if (!client) return kCannotRun;
  json::value params = nullptr;
  if (height.has_value()) params = json::object{{"height", *height}};
  tools::RpcResponse r = client->Call("getValidators", params);
  if (!r.status.ok() || r.error.has_value()) return ReportRpcError(r, err);
  if (target.json) {
    out << json::serialize(r.result) << "\n";
  } else {
    PrintValidators(r.result, out);
  }
  return kDone;
}

}  // namespace colend::cli
