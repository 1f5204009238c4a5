// colend-cli: the command-line client of a colend node. Today: key management and the
// self-check; the JSON-RPC commands (sign and send transactions, queries) come with the node.
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "key_commands.h"
#include "selfcheck.h"

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

  CLI11_PARSE(app, argc, argv);

  if (keygen_cmd->parsed()) return Report(colend::cli::RunKeygen(keygen, std::cout));
  if (keyid_cmd->parsed()) return Report(colend::cli::RunKeyId(keyid, std::cout));
  if (selfcheck_cmd->parsed()) {
    const colend::cli::SelfCheckResult r = colend::cli::RunSelfCheck(std::cout);
    return r.failed == 0 ? 0 : 1;
  }
  return 1;
}
