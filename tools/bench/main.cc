// colend-bench: load and latency of a running colend network (bench.h).
// Exit 0 done (the report counts what did not commit), 2 could not run.
#include <iostream>
#include <sstream>
#include <string>

#include <CLI/CLI.hpp>

#include "bench.h"
#include "rpc_client.h"

int main(int argc, char** argv) {
  CLI::App app{"colend-bench: drive a colend network over JSON-RPC and measure committed tx/s "
               "and submit-to-commit latency"};
  colend::bench::BenchOptions o;
  std::string mix = "60,35,5";
  bool quiet = false;
  app.add_option("--network", o.network, "network.json written by colend-netgen")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--rate", o.rate, "transactions per second to offer");
  app.add_option("--duration", o.duration_s, "seconds to offer them for");
  app.add_option("--mix", mix, "percent originations,repayments,reversals (sum 100)");
  app.add_option("--connections", o.connections,
                 "sender threads (each keeps one JSON-RPC connection per node)");
  app.add_option("--batch", o.batch,
                 "transactions per call: 1 (default) sends each with sendTransaction; more "
                 "sends what is due in sendTransactions calls of at most this many (1-1000)");
  app.add_option("--preload", o.preload, "loans originated before measuring");
  app.add_option("--via", o.via,
                 "banks whose nodes take the load and are watched (comma-separated ids of "
                 "network.json; default every node)")
      ->delimiter(',');
  // A file, never the token itself: a command line is visible to every user (ps).
  std::string token_file;
  app.add_option("--token-file", token_file,
                 "file holding the bearer token the nodes require (mode 0600), if any; sent to "
                 "every node whose bank in network.json names no rpc_token_file of its own");
  app.add_option("--rpc-timeout-ms", o.rpc_timeout_ms,
                 "per-call timeout in the measured phase; a node that does not answer in time "
                 "is marked down (default 2000)");
  app.add_option(
      "--retry-grace", o.retry_grace_s,
      "seconds after --duration during which BUSY retries may still be sent (default 30)");
  app.add_option("--commit-wait", o.commit_wait_s,
                 "seconds to wait for admitted transactions to commit after sending (default 60)");
  app.add_flag("--json", o.json, "one JSON object instead of the text report");
  app.add_flag("--quiet", quiet, "no progress line");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  o.progress = !quiet;
  if (!token_file.empty()) {
    colend::Result<std::string> token = colend::tools::ReadBearerTokenFile(token_file);
    if (!token.ok()) {
      std::cerr << "colend-bench: " << token.status().message() << "\n";
      return 2;
    }
    o.rpc_token = std::move(token).value();
  }
  std::istringstream in(mix);
  char c1 = 0, c2 = 0;
  if (!(in >> o.originate_pct >> c1 >> o.repay_pct >> c2 >> o.reverse_pct) || c1 != ',' ||
      c2 != ',') {
    std::cerr << "colend-bench: --mix: expected three comma-separated percentages\n";
    return 2;
  }
  const colend::Status s = colend::bench::RunBench(o, std::cout, std::cerr);
  if (!s.ok()) {
    std::cerr << "colend-bench: " << s.ToString() << "\n";
    return 2;
  }
  return 0;
}
