// colend-replay: applies JSON-lines transactions (docs/api.md) to a genesis (or an ad-hoc member
// list) through the settlement and governance contracts, offline, and prints the books.
// Signatures are not checked: the lines are unsigned objects of docs/api.md.
#include <iostream>

#include <CLI/CLI.hpp>

#include "replay_command.h"

int main(int argc, char** argv) {
  CLI::App app{
      "colend-replay — replay co-lending transactions (JSON lines, docs/api.md) offline and print "
      "the books JSON (loans, positions, settlements, receipts).\n"
      "Exit codes: 0 done, 1 some lines were malformed (reported, skipped as rejected), "
      "2 could not run."};
  colend::replay::ReplayOptions options;
  auto* genesis = app.add_option("--genesis", options.genesis_file, "genesis.json of the chain");
  auto* banks = app.add_option("--banks", options.banks,
                               "Ad-hoc member list instead of a genesis: LEAD,PARTNER_A,...");
  genesis->excludes(banks);
  app.add_option("--min-funder-bp", options.min_funder_bp,
                 "With --banks: the network rule min_funder_bp (default 0, off)")
      ->check(CLI::Range(0, 10000));
  app.add_option("transactions", options.transactions_file,
                 "JSON-lines transaction file, or - for standard input")
      ->required();
  app.add_flag("--pretty", options.pretty, "Indent the books JSON");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : colend::replay::kExitCannotRun;
  }
  return colend::replay::RunReplay(options, std::cin, std::cout, std::cerr);
}
