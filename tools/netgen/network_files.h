// The files of a colend-netgen network directory, shared by `colend-netgen` (a new network)
// and `colend-netgen join` (a bank joining one): secret and public files with their modes,
// the private directories, and the start/stop scripts of a local network.
//
// Modes (docs/operations.md, "Secrets and logs"): keys and tokens 0600, created once and
// never replaced; directories that hold them 0700; public files 0644; scripts 0755. Only
// the files that list the whole network (network.json, start.sh, stop.sh, a node.toml that
// gains a peer) are ever replaced, each atomically, keeping its mode.
//
// Thread safety: stateless functions.
#ifndef COLEND_TOOLS_NETGEN_NETWORK_FILES_H_
#define COLEND_TOOLS_NETGEN_NETWORK_FILES_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "colend/common/status.h"
#include "colend/crypto/keys.h"

namespace colend::netgen {

// How long the node (or transport) certificates that netgen, join and rekey issue are valid,
// in days (about 27 months): one figure for all three.
inline constexpr std::uint32_t kNodeValidityDays = 825;

// One node of a local network, as start.sh and stop.sh name it.
struct ScriptedNode {
  std::string bank_id;  // the directory <out>/<bank_id> holds node.toml, node.pid, node.log
  std::string node_id;
  std::string rpc_host;
  std::uint16_t rpc_port = 0;
};

// "lead" for "LEAD".
std::string Lower(std::string s);

Status WritePublic(const std::filesystem::path& path, std::string_view text);
Status WriteSecret(const std::filesystem::path& path, const crypto::PrivateKey& key);
// A node's own random bearer token (32 bytes as hex and a newline), mode 0600.
Status WriteToken(const std::filesystem::path& path);
Status WriteScript(const std::filesystem::path& path, std::string_view text);
// Creates `dir` (and parents) and makes it 0700: it holds keys, tokens or the chain's data.
// Parents outside the network are left alone.
Status MakePrivateDirectory(const std::filesystem::path& dir);
// Replaces the existing file `path` by `text` atomically (a new file beside it, then a
// rename), keeping its permission bits: a reader sees the old or the new file, never half.
Status ReplaceFile(const std::filesystem::path& path, std::string_view text);

std::string StartScript(const std::vector<ScriptedNode>& nodes,
                        const std::filesystem::path& node_binary);
std::string StopScript(const std::vector<ScriptedNode>& nodes);
// The colend-node a start.sh written by StartScript runs by default, or empty if `script`
// is not one.
std::filesystem::path NodeBinaryOfStartScript(std::string_view script);
// The colend-node beside this program.
std::filesystem::path DefaultNodeBinary();

}  // namespace colend::netgen

#endif  // COLEND_TOOLS_NETGEN_NETWORK_FILES_H_
