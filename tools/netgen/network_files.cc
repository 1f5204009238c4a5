#include "network_files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <system_error>

#include "colend/common/files.h"
#include "colend/crypto/secret.h"

namespace colend::netgen {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kNodeLinePrefix = "NODE=${COLEND_NODE:-";

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

Status WritePublic(const fs::path& path, std::string_view text) {
  return WriteNewFile(path.string(), text, 0644);
}

Status WriteSecret(const fs::path& path, const crypto::PrivateKey& key) {
  COLEND_ASSIGN_OR_RETURN(std::string pem, key.ToPem());
  const crypto::WipeOnExit wipe(pem);
  return WriteNewFile(path.string(), pem, 0600);
}

Status WriteToken(const fs::path& path) {
  COLEND_ASSIGN_OR_RETURN(std::string token, crypto::RandomToken(32));
  // Appending the newline in place could reallocate and leave an unwiped copy behind.
  std::string line;
  line.reserve(token.size() + 1);
  line.append(token).push_back('\n');
  crypto::Wipe(token);
  const crypto::WipeOnExit wipe(line);
  return WriteNewFile(path.string(), line, 0600);
}

Status WriteScript(const fs::path& path, std::string_view text) {
  return WriteNewFile(path.string(), text, 0755);
}

Status MakePrivateDirectory(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!ec) fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  if (ec) return Status::IoError("cannot create " + dir.string() + " (mode 0700): " + ec.message());
  return Status::Ok();
}

Status ReplaceFile(const fs::path& path, std::string_view text) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Status::NotFound(path.string() + " does not exist");
  const fs::path next = path.string() + ".next";
  std::error_code ec;
  fs::remove(next, ec);  // a leftover of an interrupted run
  COLEND_RETURN_IF_ERROR(WriteNewFile(next.string(), text, st.st_mode & 07777));
  fs::rename(next, path, ec);
  if (ec) {
    fs::remove(next, ec);
    return Status::IoError("cannot replace " + path.string() + ": " + ec.message());
  }
  return Status::Ok();
}

std::string StartScript(const std::vector<ScriptedNode>& nodes, const fs::path& node_binary) {
  std::string s =
      "#!/usr/bin/env bash\n"
      "# Starts every node of this local network in the background (written by colend-netgen).\n"
      "# Logs: <BANK>/node.log. Stop them with ./stop.sh.\n"
      "set -euo pipefail\n"
      "cd \"$(dirname \"$0\")\"\n" +
      std::string(kNodeLinePrefix) + ShellQuote(node_binary.string()) + "}\n" +
      "[ -x \"$NODE\" ] || { echo \"start.sh: $NODE is not an executable colend-node (set COLEND_NODE)\" >&2; exit 2; }\n";
  for (const ScriptedNode& n : nodes) {
    const std::string& b = n.bank_id;
    s += "if [ -f " + b + "/node.pid ] && kill -0 \"$(cat " + b + "/node.pid)\" 2>/dev/null; then\n"
         "  echo \"" + b + ": already running (pid $(cat " + b + "/node.pid))\"\n"
         "else\n"
         "  nohup \"$NODE\" --config " + b + "/node.toml >>" + b + "/node.log 2>&1 &\n"
         "  echo $! >" + b + "/node.pid\n"
         "  echo \"" + b + ": started " + n.node_id + " (pid $!), rpc http://" + n.rpc_host + ":" +
         std::to_string(n.rpc_port) + "\"\n"
         "fi\n";
  }
  return s;
}

std::string StopScript(const std::vector<ScriptedNode>& nodes) {
  std::string s =
      "#!/usr/bin/env bash\n"
      "# Stops every node started by ./start.sh (SIGTERM: each flushes and closes its store).\n"
      "cd \"$(dirname \"$0\")\"\n"
      "pids=()\n";
  for (const ScriptedNode& n : nodes) {
    const std::string& b = n.bank_id;
    s += "if [ -f " + b + "/node.pid ]; then pid=$(cat " + b + "/node.pid); "
         "kill \"$pid\" 2>/dev/null && pids+=(\"$pid\"); rm -f " + b + "/node.pid; fi\n";
  }
  s += "for pid in \"${pids[@]}\"; do\n"
       "  for _ in $(seq 100); do kill -0 \"$pid\" 2>/dev/null || break; sleep 0.1; done\n"
       "  kill -0 \"$pid\" 2>/dev/null && { echo \"stop.sh: $pid did not stop; killing it\" >&2; kill -9 \"$pid\"; }\n"
       "done\n"
       "echo \"stopped ${#pids[@]} node(s)\"\n";
  return s;
}

fs::path NodeBinaryOfStartScript(std::string_view script) {
  const std::size_t at = script.find(kNodeLinePrefix);
  if (at == std::string_view::npos) return {};
  // The single-quoted word ShellQuote wrote, with its '\'' escapes undone.
  std::string path;
  std::size_t i = at + kNodeLinePrefix.size();
  if (i >= script.size() || script[i] != '\'') return {};
  ++i;
  while (i < script.size()) {
    if (script[i] != '\'') {
      path += script[i++];
    } else if (script.substr(i, 4) == "'\\''") {
      path += '\'';
      i += 4;
    } else {
      return script.substr(i, 2) == "'}" ? fs::path(path) : fs::path();
    }
  }
  return {};
}

fs::path DefaultNodeBinary() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "colend-node";
  return self.parent_path() / "colend-node";
}

}  // namespace colend::netgen
