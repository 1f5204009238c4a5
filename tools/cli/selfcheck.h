// colend-cli selfcheck: exercises this build's cryptography and money arithmetic against
// published vectors and the worked example of docs/api.md, and prints each check.
//
// Run it on a new machine or after an OpenSSL upgrade: a node whose self-check fails must
// not join a chain. It reads no files and talks to no network.
#ifndef COLEND_TOOLS_CLI_SELFCHECK_H_
#define COLEND_TOOLS_CLI_SELFCHECK_H_

#include <ostream>

namespace colend::cli {

struct SelfCheckResult {
  int passed = 0;
  int failed = 0;
};

SelfCheckResult RunSelfCheck(std::ostream& out);

}  // namespace colend::cli

#endif  // COLEND_TOOLS_CLI_SELFCHECK_H_
