// colend-recon: one bank's reconciliation report against the chain (recon.h, README).
// Exit codes: 0 no breaks, 1 breaks found, 2 could not run.
#include <cstdint>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "recon.h"
#include "rpc_client.h"

int main(int argc, char** argv) {
  CLI::App app{
      "colend-recon: one bank's reconciliation report at one height: loans, outstanding "
      "principal, unsettled positions and settlement batches per counterparty, and with "
      "--ledger every break between the bank's own books (CSV) and the chain.\n"
      "Exit codes: 0 no breaks, 1 breaks found, 2 could not run."};
  colend::recon::ReconOptions o;
  std::uint64_t height = 0;
  app.add_option("--rpc", o.rpc_url, "the node's JSON-RPC URL (http://host:port)")->required();
  // A file, never the token itself: a command line is visible to every user (ps).
  std::string token_file;
  app.add_option("--token-file", token_file,
                 "file holding the node's bearer token (mode 0600), if it requires one");
  app.add_option("--bank", o.bank, "the bank the report is for, e.g. PARTNER_A")->required();
  app.add_option("--counterparty", o.counterparty, "only loans and positions against this bank");
  CLI::Option* height_opt = app.add_option(
      "--height", height,
      "report height (default: the head); below the head only positions and settlement "
      "batches are shown, and --ledger is refused");
  app.add_option("--ledger", o.ledger,
                 "the bank's own export to reconcile (CSV; columns in the README)");
  app.add_option("--format", o.format, "text, csv, json or html")
      ->check(CLI::IsMember({"text", "csv", "json", "html"}));
  app.add_option("--out", o.out, "write the report to FILE instead of stdout");
  app.add_option("--timeout-ms", o.timeout_ms, "per-call JSON-RPC timeout")
      ->check(CLI::Range(100, 600000));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (height_opt->count() > 0) o.height = height;
  if (!token_file.empty()) {
    colend::Result<std::string> token = colend::tools::ReadBearerTokenFile(token_file);
    if (!token.ok()) {
      std::cerr << "colend-recon: " << token.status().message() << "\n";
      return 2;
    }
    o.token = std::move(token).value();
  }
  return colend::recon::RunRecon(o, std::cout, std::cerr);
}
