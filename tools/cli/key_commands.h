// colend-cli key commands: make a bank's signing key, and show the id of a key.
//
// A bank's client keys sign its transactions; the governance contract registers each by
// its raw public key, and transactions name it by key id (crypto/keys.h).
#ifndef COLEND_TOOLS_CLI_KEY_COMMANDS_H_
#define COLEND_TOOLS_CLI_KEY_COMMANDS_H_

#include <ostream>
#include <string>

#include "colend/common/status.h"

namespace colend::cli {

struct KeygenOptions {
  std::string suite;            // "standard" or "sm"
  std::string private_key_out;  // written with mode 0600; never overwrites an existing file
  std::string public_key_out;   // optional: the public key PEM
};

// Generates a key, writes it, and prints its key id and raw public key to `out`.
Status RunKeygen(const KeygenOptions& options, std::ostream& out);

struct KeyIdOptions {
  std::string suite;
  std::string key_file;  // a PKCS#8 private key or a SubjectPublicKeyInfo public key PEM
};

// Prints the key id and raw public key of the key in `key_file`.
Status RunKeyId(const KeyIdOptions& options, std::ostream& out);

}  // namespace colend::cli

#endif  // COLEND_TOOLS_CLI_KEY_COMMANDS_H_
