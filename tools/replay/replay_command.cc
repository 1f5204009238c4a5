#include "replay_command.h"

#include <boost/json.hpp>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

#include "colend/contracts/genesis.h"
#include "colend/contracts/replay.h"

namespace colend::replay {
namespace {

using contracts::Replayer;

Result<std::unique_ptr<Replayer>> MakeReplayer(const ReplayOptions& options) {
  if (!options.genesis_file.empty()) {
    std::ifstream file(options.genesis_file, std::ios::binary);
    if (!file) return Status::NotFound("cannot open genesis file " + options.genesis_file);
    std::ostringstream bytes;
    bytes << file.rdbuf();
    COLEND_ASSIGN_OR_RETURN(contracts::Genesis genesis, contracts::ParseGenesis(bytes.str()));
    return Replayer::FromGenesis(genesis);
  }
  std::vector<std::string> banks;
  std::stringstream list(options.banks);
  for (std::string bank; std::getline(list, bank, ',');) banks.push_back(bank);
  if (banks.empty()) return Status::InvalidArgument("--banks names no bank");
  return Replayer::FromBanks(banks, options.min_funder_bp);
}

// Reads one line of at most kMaxLineBytes. Returns false at end of input; *too_long is set
// when the line was longer (its rest is consumed and dropped).
bool ReadLine(std::istream& in, std::string* line, bool* too_long) {
  line->clear();
  *too_long = false;
  char c;
  bool any = false;
  while (in.get(c)) {
    any = true;
    if (c == '\n') return true;
    if (line->size() < kMaxLineBytes) {
      line->push_back(c);
    } else {
      *too_long = true;
    }
  }
  return any;
}

std::string Pretty(const boost::json::value& v, int indent);

std::string PrettyObject(const boost::json::object& o, int indent) {
  if (o.empty()) return "{}";
  std::string pad(indent + 2, ' ');
  std::string out = "{\n";
  bool first = true;
  for (const auto& [key, value] : o) {
    if (!first) out += ",\n";
    first = false;
    out += pad + boost::json::serialize(boost::json::string(key)) + ": " + Pretty(value, indent + 2);
  }
  return out + "\n" + std::string(indent, ' ') + "}";
}

std::string Pretty(const boost::json::value& v, int indent) {
  if (v.is_object()) return PrettyObject(v.as_object(), indent);
  if (v.is_array()) {
    const auto& a = v.as_array();
    if (a.empty()) return "[]";
    std::string out = "[\n";
    for (std::size_t i = 0; i < a.size(); ++i) {
      out += std::string(indent + 2, ' ') + Pretty(a[i], indent + 2);
      out += i + 1 < a.size() ? ",\n" : "\n";
    }
    return out + std::string(indent, ' ') + "]";
  }
  return boost::json::serialize(v);
}

}  // namespace

int RunReplay(const ReplayOptions& options, std::istream& stdin_stream, std::ostream& out,
              std::ostream& diagnostics) {
  if (options.genesis_file.empty() == options.banks.empty()) {
    diagnostics << "colend-replay: give exactly one of --genesis FILE or --banks LIST\n";
    return kExitCannotRun;
  }
  auto replayer = MakeReplayer(options);
  if (!replayer.ok()) {
    diagnostics << "colend-replay: " << replayer.status().message() << "\n";
    return kExitCannotRun;
  }
  std::ifstream file;
  std::istream* in = &stdin_stream;
  if (options.transactions_file != "-") {
    file.open(options.transactions_file, std::ios::binary);
    if (!file) {
      diagnostics << "colend-replay: cannot open " << options.transactions_file << "\n";
      return kExitCannotRun;
    }
    in = &file;
  }
  std::uint64_t line_number = 0, malformed = 0;
  std::string line;
  bool too_long = false;
  while (ReadLine(*in, &line, &too_long)) {
    ++line_number;
    if (!too_long && line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (too_long) line = "{\"error\":\"line longer than 1 MiB\"}";
    auto receipt = (*replayer)->ApplyLine(line, line_number);
    if (!receipt.ok()) {
      diagnostics << "colend-replay: line " << line_number << ": the state is damaged: "
                  << receipt.status().message() << "\n";
      return kExitCannotRun;
    }
    if (receipt->code == "MALFORMED") {
      ++malformed;
      diagnostics << "colend-replay: " << receipt->message << "\n";
    }
  }
  auto books = (*replayer)->Books();
  if (!books.ok()) {
    diagnostics << "colend-replay: " << books.status().message() << "\n";
    return kExitCannotRun;
  }
  out << (options.pretty ? Pretty(boost::json::parse(*books), 0) : *books) << "\n";
  if (malformed > 0) {
    diagnostics << "colend-replay: " << malformed << " malformed line(s) skipped as rejected\n";
    return kExitFoundProblems;
  }
  return kExitOk;
}

}  // namespace colend::replay
