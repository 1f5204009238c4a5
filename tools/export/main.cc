// colend-export: follows a node and keeps a bank's books in PostgreSQL (docs/export.md).
// Exit codes: 0 done (--once), 1 a failure retrying cannot fix, 2 could not start.
#include <cstdint>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "exporter.h"
#include "rpc_client.h"

int main(int argc, char** argv) {
  CLI::App app{
      "colend-export: follows a colend node and writes the books into PostgreSQL: blocks, "
      "events, postings, loans and their legs, positions and settlement batches, one SQL "
      "transaction per block with the exported height, resuming from it after any stop.\n"
      "Exit codes: 0 done (--once), 1 a failure retrying cannot fix, 2 could not start."};
  colend::exporter::ExportOptions o;
  app.add_option("--rpc", o.rpc_url, "the node's JSON-RPC URL (http://host:port)")->required();
  // A file, never the token itself: a command line is visible to every user (ps).
  std::string token_file;
  app.add_option("--token-file", token_file,
                 "file holding the node's bearer token (mode 0600), if it requires one");
  app.add_option("--pg", o.pg,
                 "libpq connection string of the database, e.g. \"host=/run/postgresql "
                 "dbname=colend\" (a password belongs in ~/.pgpass or PGPASSFILE, not here)")
      ->required();
  std::uint64_t from_height = 0;
  CLI::Option* from_opt = app.add_option(
      "--from-height", from_height,
      "check that the export resumes at this height (1 for an empty database) and stop "
      "otherwise");
  app.add_flag("--once", o.once,
               "export up to the node's head at start, then exit (default: follow)");
  app.add_option("--timeout-ms", o.timeout_ms, "per-call JSON-RPC timeout")
      ->check(CLI::Range(100, 600000));
  app.add_option("--retry-ms", o.retry_ms, "wait before reconnecting to the node or database")
      ->check(CLI::Range(10, 600000));
  app.add_option("--chunk-blocks", o.chunk_blocks,
                 "heights whose events are read in one pass while behind the head")
      ->check(CLI::Range(1, 100000));
  app.add_flag("--quiet", o.quiet, "no progress line (failures and the --once summary are logged)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (from_opt->count() > 0) o.from_height = from_height;
  if (!token_file.empty()) {
    colend::Result<std::string> token = colend::tools::ReadBearerTokenFile(token_file);
    if (!token.ok()) {
      std::cerr << "colend-export: " << token.status().message() << "\n";
      return 2;
    }
    o.token = std::move(token).value();
  }
  return colend::exporter::RunExport(o, std::cerr);
}
