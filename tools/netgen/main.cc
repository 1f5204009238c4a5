// colend-netgen --banks LEAD,PARTNER_A,... --out net/ [--crypto standard|sm]
//               [--localnet --base-port 30300] (netgen.h). Exit 0 done, 2 could not run.
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "netgen.h"

int main(int argc, char** argv) {
  CLI::App app{"colend-netgen: make a co-lending consortium (CA, keys, certificates, genesis, "
               "node configs)"};
  colend::netgen::NetgenOptions options;
  std::string out;
  app.add_option("--banks", options.banks, "member ids, comma-separated, the lead bank first")
      ->required()
      ->delimiter(',');
  app.add_option("--out", out, "output directory (must not exist or be empty)")->required();
  app.add_option("--crypto", options.crypto, "crypto suite: standard (ECDSA P-256) or sm (SM2/SM3)")
      ->check(CLI::IsMember({"standard", "sm"}));
  app.add_option("--chain-id", options.chain_id, "chain id written into genesis.json");
  app.add_flag("--localnet", options.localnet,
               "lay the nodes out on 127.0.0.1 and write start.sh / stop.sh");
  app.add_option("--base-port", options.base_port,
                 "first port: bank i gets p2p base+2i and rpc base+2i+1");
  app.add_option("--node-binary", options.node_binary,
                 "colend-node for start.sh (default: the one next to colend-netgen)");
  app.add_option("--batch-timeout-ms", options.batch_timeout_ms,
                 "how long a primary fills a block (genesis consensus.batch_timeout_ms)");
  app.add_option("--view-change-timeout-ms", options.view_change_timeout_ms,
                 "before a primary is suspected (genesis consensus.view_change_timeout_ms)");
  // No option takes a token's value: a command line is visible to every user of the
  // machine (ps, /proc) and kept in shell history. netgen makes the tokens itself.
  app.add_flag("--rpc-tokens", options.rpc_tokens,
               "with --localnet: give every node its own random JSON-RPC bearer token in "
               "<BANK>/rpc.token (mode 0600); networks without --localnet always get them");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  options.out = out;
  const colend::Status status = colend::netgen::Generate(options, std::cout);
  if (!status.ok()) {
    std::cerr << "colend-netgen: " << status.message() << "\n";
    return 2;
  }
  return 0;
}
