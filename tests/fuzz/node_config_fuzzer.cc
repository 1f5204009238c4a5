// Fuzz target: node.toml through node::ParseNodeConfig (toml++ underneath). The files a config
// names are made once in a scratch directory, so a config can get past the existence checks.
// A config it accepts must survive NodeConfigToToml and back unchanged (config.h promises it).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include "colend/node/config.h"
#include "fuzz_util.h"

using namespace colend;
namespace fs = std::filesystem;

namespace {

// The scratch directory: genesis.json, node.key.pem, node.cert.pem, ca.cert.pem, rpc.token,
// node.log's directory (itself) and data/, under $TMPDIR (tools/fuzz.sh points it into its
// output directory: libFuzzer may end a run without running atexit handlers).
const fs::path& BaseDir() {
  static const fs::path dir = [] {
    std::string tmpl = (fs::temp_directory_path() / "colend-fuzz-config-XXXXXX").string();
    const char* made = mkdtemp(tmpl.data());
    if (made == nullptr) fuzz::Fail("mkdtemp failed");
    fs::path d(made);
    for (const char* name : {"genesis.json", "node.key.pem", "node.cert.pem", "ca.cert.pem"}) {
      std::ofstream(d / name) << "x\n";
    }
    std::ofstream(d / "rpc.token") << "0123456789abcdef0123456789abcdef\n";
    // The parser refuses secrets others can read (docs/operations.md, "Secrets and logs"):
    // owner-only, so the fuzzer reaches the configurations that are valid.
    for (const char* secret : {"node.key.pem", "rpc.token"}) {
      fs::permissions(d / secret, fs::perms::owner_read | fs::perms::owner_write,
                      fs::perm_options::replace);
    }
    fs::create_directory(d / "data");
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(BaseDir(), ec);
    });
    return d;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)BaseDir();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Result<node::NodeConfig> config = node::ParseNodeConfig(fuzz::AsView(data, size), BaseDir());
  if (!config.ok()) return 0;
  const std::string toml = node::NodeConfigToToml(*config);
  Result<node::NodeConfig> again = node::ParseNodeConfig(toml, BaseDir());
  if (!again.ok()) fuzz::Fail("NodeConfigToToml output does not parse", again.status().ToString() + "\n" + toml);
  if (!(*again == *config)) fuzz::Fail("config round trip changed it", toml);
  return 0;
}
