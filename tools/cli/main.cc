// colend-cli: the command-line client of a colend node: key management and the self-check
// (key_commands.h, selfcheck.h), and the JSON-RPC commands that sign and send transactions
// and query a node (rpc_commands.h).
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "governance_commands.h"
#include "key_commands.h"
#include "rpc_client.h"
#include "rpc_commands.h"
#include "selfcheck.h"
#include "watch_command.h"

namespace {

int Report(const colend::Status& status) {
  if (status.ok()) return 0;
  std::cerr << "colend-cli: " << status.ToString() << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"colend-cli — the command-line client of a colend co-lending clearing node"};
  app.require_subcommand(1);

  colend::cli::KeygenOptions keygen;
  CLI::App* keygen_cmd = app.add_subcommand("keygen", "Generate a bank signing key");
  keygen_cmd->add_option("--suite", keygen.suite, "Crypto suite of the chain: standard or sm")
      ->required()
      ->check(CLI::IsMember({"standard", "sm"}));
  keygen_cmd->add_option("--out", keygen.private_key_out, "Private key file to create (mode 0600)")
      ->required();
  keygen_cmd->add_option("--public-out", keygen.public_key_out, "Also write the public key PEM");

  colend::cli::KeyIdOptions keyid;
  CLI::App* keyid_cmd = app.add_subcommand("keyid", "Print the key id and raw public key of a key");
  keyid_cmd->add_option("--suite", keyid.suite, "Crypto suite of the chain: standard or sm")
      ->required()
      ->check(CLI::IsMember({"standard", "sm"}));
  keyid_cmd->add_option("--key", keyid.key_file, "Private or public key PEM")->required();

  CLI::App* selfcheck_cmd =
      app.add_subcommand("selfcheck", "Check this build's crypto and money arithmetic");

  colend::cli::RpcTarget target;
  std::string token_file;
  auto add_target = [&](CLI::App* cmd) {
    cmd->add_option("--rpc", target.url, "the node's JSON-RPC URL (http://host:port)");
    // A file, never the token itself: a command line is visible to every user (ps).
    cmd->add_option("--token-file", token_file,
                    "file holding the node's bearer token (mode 0600), if it requires one");
    cmd->add_flag("--json", target.json, "JSON output for machines");
  };

  colend::cli::SendOptions send;
  CLI::App* send_cmd = app.add_subcommand(
      "send", "Sign transaction JSON of docs/api.md (one object, or JSON lines) and send it");
  add_target(send_cmd);
  send_cmd->add_option("--key", send.key_file, "the bank's client key (PKCS#8 PEM)")->required();
  send_cmd->add_option("file", send.input, "transaction file, or - for stdin")->required();
  send_cmd->add_flag("--wait", send.wait, "wait for each receipt and print it");
  send_cmd->add_option("--timeout", send.wait_timeout_s, "seconds to wait for receipts");
  send_cmd->add_option("--chain-id", send.chain_id, "chain id (default: ask the node)");
  send_cmd->add_option("--suite", send.suite, "crypto suite (default: ask the node)");

  std::string method, params;
  CLI::App* call_cmd = app.add_subcommand("call", "Call any JSON-RPC method; prints the result");
  add_target(call_cmd);
  call_cmd->add_option("method", method, "method name, e.g. getNodeInfo")->required();
  call_cmd->add_option("params", params, "params as a JSON object");

  std::string query_arg, bank, counterparty;
  std::vector<std::pair<std::string, CLI::App*>> queries;
  for (const auto& [name, help] : std::vector<std::pair<std::string, std::string>>{
           {"positions", "unsettled positions between banks (a table, or --json)"},
           {"settlements", "settlement batches"},
           {"status", "consensus status: view, primary, heights"},
           {"peers", "the node's peers"},
           {"block", "a block by height"},
           {"tx", "a transaction by hash"},
           {"receipt", "a receipt by transaction hash"},
           {"loan", "a loan by id"}}) {
    CLI::App* q = app.add_subcommand(name, help);
    add_target(q);
    if (name == "positions" || name == "settlements") {
      q->add_option("--bank", bank, "only this bank's positions");
      q->add_option("--counterparty", counterparty, "only against this bank");
    }
    if (name == "block" || name == "tx" || name == "receipt") {
      q->add_option("arg", query_arg, "height or hash")->required();
    }
    if (name == "loan") q->add_option("loan_id", query_arg, "the loan to show");
    queries.emplace_back(name, q);
  }

  // Shortcuts: `colend-cli loan originate|approve|repay|chargeoff|recover ...` with decimal
  // amounts, signed with --key and sent like `send`.
  CLI::App* loan_cmd = queries.back().second;
  colend::cli::LoanShortcut loan;
  colend::cli::SendOptions loan_send;
  std::vector<CLI::App*> loan_actions;
  for (const auto& [action, help] : std::vector<std::pair<std::string, std::string>>{
           {"originate", "originate a co-funded loan"},
           {"approve", "a partner approves a loan (PER_LOAN agreements)"},
           {"repay", "record a repayment"},
           {"chargeoff", "charge a loan off"},
           {"recover", "record a recovery on a charged-off loan"}}) {
    CLI::App* a = loan_cmd->add_subcommand(action, help);
    add_target(a);
    a->add_option("--key", loan_send.key_file, "the signing bank's client key")->required();
    a->add_option("--signer", loan.signer, "the bank that signs (member id)")->required();
    a->add_option("--id", loan.id, "the transaction's id (default: derived from the loan)");
    a->add_option("--loan-id", loan.loan_id, "the loan")->required();
    a->add_flag("--wait", loan_send.wait, "wait for the receipt");
    a->add_option("--decimals", loan.decimals, "fraction digits of the currency (CNY: 2)");
    if (action == "originate") {
      a->add_option("--agreement", loan.agreement, "the co-lending agreement")->required();
      a->add_option("--principal", loan.principal, "principal, e.g. 8000.00")->required();
      a->add_option("--rate-bp", loan.annual_rate_bp, "annual rate in basis points")->required();
      a->add_option("--term-months", loan.term_months, "term in months")->required();
      a->add_option("--borrower-ref", loan.borrower_ref, "64-hex keyed hash of the borrower")
          ->required();
    }
    if (action == "repay") {
      a->add_option("--principal", loan.principal, "principal repaid, e.g. 666.67")->required();
      a->add_option("--interest", loan.interest, "interest, e.g. 120.00");
      a->add_option("--penalty", loan.penalty, "penalty interest, e.g. 0");
    }
    if (action == "recover") {
      a->add_option("--amount", loan.amount, "amount recovered, e.g. 1000.00")->required();
    }
    if (action != "approve") {
      a->add_option("--value-date", loan.value_date, "YYYY-MM-DD")->required();
    }
    loan_actions.push_back(a);
  }

  // Governance: propose and vote (signed like `send`), list the proposals; the validators.
  CLI::App* gov_cmd = app.add_subcommand("governance", "Propose, vote on and list governance proposals");
  gov_cmd->require_subcommand(1);
  colend::cli::SendOptions gov_send;
  colend::cli::ProposeOptions propose;
  CLI::App* propose_cmd = gov_cmd->add_subcommand(
      "propose", "Propose a governance action (docs/api.md, \"Governance transactions\")");
  colend::cli::VoteOptions vote;
  CLI::App* vote_cmd = gov_cmd->add_subcommand("vote", "Approve or reject an open proposal");
  for (CLI::App* c : {propose_cmd, vote_cmd}) {
    add_target(c);
    c->add_option("--key", gov_send.key_file, "the member's client key (PKCS#8 PEM)")->required();
    c->add_flag("--wait", gov_send.wait, "wait for the receipt and print it");
    c->add_option("--timeout", gov_send.wait_timeout_s, "seconds to wait for the receipt");
  }
  propose_cmd->add_option("--signer", propose.signer, "the proposing member (member id)")
      ->required();
  propose_cmd->add_option("--proposal-id", propose.proposal_id, "the new proposal's id")
      ->required();
  propose_cmd->add_option("--description", propose.description,
                          "what and why, for the other members");
  propose_cmd->add_option("--id", propose.id, "the transaction id (default propose:<proposal-id>)");
  propose_cmd->add_option("action", propose.action,
                          "the action: inline JSON, a file holding it, or - for stdin")
      ->required();
  vote_cmd->add_option("--signer", vote.signer, "the voting member (member id)")->required();
  vote_cmd->add_option("--id", vote.id, "the transaction id (default vote:<proposal-id>)");
  vote_cmd->add_option("proposal_id", vote.proposal_id, "the proposal voted on")->required();
  vote_cmd->add_option("choice", vote.choice, "approve or reject")
      ->required()
      ->check(CLI::IsMember({"approve", "reject"}, CLI::ignore_case));
  std::string proposal_status;
  CLI::App* list_cmd = gov_cmd->add_subcommand("list", "The proposals as a table (or --json)");
  add_target(list_cmd);
  list_cmd->add_option("--status", proposal_status, "only open, passed, rejected or failed ones")
      ->check(CLI::IsMember({"open", "passed", "rejected", "failed"}, CLI::ignore_case));

  std::optional<std::uint64_t> validators_height;
  CLI::App* validators_cmd = app.add_subcommand(
      "validators", "The validator set in force (or at --height) and the next one decided");
  add_target(validators_cmd);
  validators_cmd->add_option("--height", validators_height,
                             "the set that ordered this height (at most the executed height)");

  colend::cli::WatchOptions watch;
  bool watch_once = false;
  std::uint64_t watch_from = 0;
  CLI::App* watch_cmd = app.add_subcommand(
      "watch", "A live table of one bank's positions by counterparty, per block (WebSocket)");
  add_target(watch_cmd);
  watch_cmd->add_option("--bank", watch.bank, "whose positions")->required();
  watch_cmd->add_option("--from-height", watch_from,
                        "replay from this block (default: the positions now, then live)");
  watch_cmd->add_option("--blocks", watch.blocks, "stop after this many updates");
  watch_cmd->add_flag("--once", watch_once, "stop after one update (--blocks 1)");
  watch_cmd->add_option("--timeout", watch.timeout_s,
                        "give up when no update came for this many seconds (exit 1)");

  CLI11_PARSE(app, argc, argv);
  if (!token_file.empty()) {
    colend::Result<std::string> token = colend::tools::ReadBearerTokenFile(token_file);
    if (!token.ok()) return Report(token.status());
    target.token = std::move(token).value();
  }

  if (watch_cmd->parsed()) {
    if (watch_once) watch.blocks = 1;
    if (watch_from > 0) watch.from_height = watch_from;
    return colend::cli::RunWatch(target, watch, std::cout, std::cerr);
  }
  if (send_cmd->parsed()) return colend::cli::RunSend(target, send, std::cin, std::cout, std::cerr);
  if (propose_cmd->parsed()) {
    return colend::cli::RunPropose(target, gov_send, propose, std::cin, std::cout, std::cerr);
  }
  if (vote_cmd->parsed()) {
    return colend::cli::RunVote(target, gov_send, vote, std::cout, std::cerr);
  }
  if (list_cmd->parsed()) {
    return colend::cli::RunListProposals(target, proposal_status, std::cout, std::cerr);
  }
  if (validators_cmd->parsed()) {
    return colend::cli::RunValidators(target, validators_height, std::cout, std::cerr);
  }
  if (call_cmd->parsed()) return colend::cli::RunCall(target, method, params, std::cout, std::cerr);
  for (CLI::App* a : loan_actions) {
    if (a->parsed()) {
      loan.action = a->get_name();
      return colend::cli::RunLoanShortcut(target, loan_send, loan, std::cout, std::cerr);
    }
  }
  for (const auto& [name, q] : queries) {
    if (q->parsed()) {
      if (name == "loan" && query_arg.empty()) {
        std::cerr << "colend-cli: loan: name a loan id, or an action (originate, approve, "
                     "repay, chargeoff, recover); see --help\n";
        return 2;
      }
      return colend::cli::RunQuery(target, name, query_arg, bank, counterparty, std::cout,
                                   std::cerr);
    }
  }

  if (keygen_cmd->parsed()) return Report(colend::cli::RunKeygen(keygen, std::cout));
  if (keyid_cmd->parsed()) return Report(colend::cli::RunKeyId(keyid, std::cout));
  if (selfcheck_cmd->parsed()) {
    const colend::cli::SelfCheckResult r = colend::cli::RunSelfCheck(std::cout);
    return r.failed == 0 ? 0 : 1;
  }
  return 1;
}
