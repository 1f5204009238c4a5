// colend-netgen --banks LEAD,PARTNER_A,... --out net/ [--crypto standard|sm]
//               [--localnet --base-port 30300] (netgen.h): a new network.
// colend-netgen join --network net/ --bank PARTNER_D [--node-id PARTNER_D-1]
//               [--legal-name ...] [--proposer LEAD] [--validators-json FILE]
//               [--localnet] [--base-port N] (join.h): a bank joins a running network.
// colend-netgen rekey --network net/ --node-id PARTNER_B-1 [--proposer LEAD]
//               [--validators-json FILE] (rekey.h): a validator's node key is rotated.
// Exit 0 done, 2 could not run.
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "join.h"
#include "netgen.h"
#include "rekey.h"

int main(int argc, char** argv) {
  CLI::App app{"colend-netgen: make a co-lending consortium (CA, keys, certificates, genesis, "
               "node configs), or add a bank to one (join)"};
  colend::netgen::NetgenOptions options;
  std::string out;
  // Required unless `join` is given (checked below: CLI11 would demand them of join too).
  app.add_option("--banks", options.banks, "member ids, comma-separated, the lead bank first")
      ->delimiter(',');
  app.add_option("--out", out, "output directory (must not exist or be empty)");
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

  colend::netgen::JoinOptions join;
  std::string network;
  std::string validators_json;
  std::string node_binary;
  std::uint16_t join_base_port = 0;
  CLI::App* join_cmd = app.add_subcommand(
      "join",
      "Add a bank to a network colend-netgen made, while its chain runs: its keys, a "
      "certificate from the consortium CA, node.toml, and the AddMember and "
      "ChangeValidatorSet proposals the members vote on (genesis.json is not changed)");
  join_cmd->add_option("--network", network, "the network's directory (holding network.json)")
      ->required();
  join_cmd->add_option("--bank", join.bank, "the new member id, e.g. PARTNER_D")->required();
  join_cmd->add_option("--node-id", join.node_id, "its node's id (default <BANK>-1)");
  join_cmd->add_option("--legal-name", join.legal_name,
                       "its legal name for the AddMember proposal");
  join_cmd->add_option("--proposer", join.proposer,
                       "the member that sends the proposals (default: the first bank of "
                       "network.json)");
  join_cmd->add_option("--validators-json", validators_json,
                       "a getValidators result (colend-cli call getValidators > FILE) when the "
                       "validator set has changed since genesis");
  join_cmd->add_flag("--localnet", join.localnet,
                     "the node listens on 127.0.0.1 (implied when the network has start.sh)");
  CLI::Option* base_port_opt = join_cmd->add_option(
      "--base-port", join_base_port,
      "p2p port (RPC: the next one); default on a local network: after the highest in use");
  join_cmd->add_flag("--rpc-tokens", join.rpc_tokens,
                     "give the node an RPC token even if the other nodes have none");
  join_cmd->add_option("--node-binary", node_binary,
                       "colend-node for start.sh (default: the one start.sh runs)");

  colend::netgen::RekeyOptions rekey;
  std::string rekey_network;
  std::string rekey_validators_json;
  CLI::App* rekey_cmd = app.add_subcommand(
      "rekey",
      "Rotate a validator's node key while its chain runs: a new key and a certificate from "
      "the consortium CA in <BANK>/next/, and the ChangeValidatorSet proposal the members "
      "vote on (the running node's key is not touched)");
  rekey_cmd->add_option("--network", rekey_network, "the network's directory (holding network.json)")
      ->required();
  rekey_cmd->add_option("--node-id", rekey.node_id, "the validator whose key is rotated")
      ->required();
  rekey_cmd->add_option("--proposer", rekey.proposer,
                        "the member that sends the proposal (default: the node's bank)");
  rekey_cmd->add_option("--validators-json", rekey_validators_json,
                        "a getValidators result (colend-cli call getValidators > FILE) when the "
                        "validator set has changed since genesis");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  colend::Status status;
  if (rekey_cmd->parsed()) {
    rekey.network = rekey_network;
    rekey.validators_json = rekey_validators_json;
    status = colend::netgen::Rekey(rekey, std::cout);
  } else if (join_cmd->parsed()) {
    join.network = network;
    join.validators_json = validators_json;
    join.node_binary = node_binary;
    if (base_port_opt->count() > 0) join.base_port = join_base_port;
    status = colend::netgen::Join(join, std::cout);
  } else {
    if (options.banks.empty() || out.empty()) {
      std::cerr << "colend-netgen: name the banks (--banks) and the output directory (--out), "
                   "or use colend-netgen join to add a bank to a network (rekey: rotate a node key)\n"
                << app.help();
      return 2;
    }
    options.out = out;
    status = colend::netgen::Generate(options, std::cout);
  }
  if (!status.ok()) {
    std::cerr << "colend-netgen: " << status.message() << "\n";
    return 2;
  }
  return 0;
}
