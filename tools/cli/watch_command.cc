#include "watch_command.h"

#include <exception>
#include <memory>
#include <vector>

#include <boost/json.hpp>

#include "ws_client.h"

namespace colend::cli {
namespace {

namespace json = boost::json;

// "-123" from "123" and back: the bank's side of a pair's "a owes b" amount.
std::string Negated(const std::string& minor) {
  if (minor.empty() || minor == "0") return minor;
  return minor.front() == '-' ? minor.substr(1) : "-" + minor;
}

}  // namespace

void PrintBankPositions(const std::string& bank, std::uint64_t height, const json::array& positions,
                        std::ostream& out) {
  std::vector<std::vector<std::string>> rows;
  for (const json::value& p : positions) {
    const json::object& o = p.as_object();
    const std::string a(o.at("a").as_string());
    const std::string b(o.at("b").as_string());
    if (a != bank && b != bank) continue;
    const bool bank_is_a = a == bank;
    const std::string net(Cell(o.at("net_a_owes_b")));
    std::string components;
    if (const json::value* c = o.if_contains("components"); c != nullptr && c->is_object()) {
      for (const auto& [name, value] : c->as_object()) {
        if (!components.empty()) components += " ";
        components += std::string(name) + "=" + (bank_is_a ? Cell(value) : Negated(Cell(value)));
      }
    }
    rows.push_back({bank_is_a ? b : a, std::string(o.at("currency").as_string()),
                    bank_is_a ? net : Negated(net), components});
  }
  out << "height " << height << ": " << bank
      << "'s unsettled positions (minor units; positive = " << bank << " owes)\n";
  PrintTable({"counterparty", "currency", "net", "components"}, rows, out);
  out.flush();
}

int RunWatch(const RpcTarget& target, const WatchOptions& options, std::ostream& out,
             std::ostream& err) {
  if (options.bank.empty()) {
    err << "colend-cli: watch: --bank is required\n";
    return kCannotRun;
  }
  try {
    std::uint64_t from = 0;
    if (options.from_height.has_value()) {
      from = *options.from_height;
    } else {
      // The table now, then every change from the next block on.
      std::unique_ptr<tools::JsonRpcClient> client = Connect(target, err);
      if (!client) return kCannotRun;
      tools::RpcResponse r = client->Call("getPositions", json::object{{"bank", options.bank}});
      if (!r.status.ok() || r.error.has_value()) return ReportRpcError(r, err);
      const std::uint64_t height = r.result.at("height").to_number<std::uint64_t>();
      if (!target.json) {
        PrintBankPositions(options.bank, height, r.result.at("positions").as_array(), out);
      }
      from = height + 1;
    }
    Result<std::unique_ptr<tools::SubscriptionClient>> ws =
        tools::SubscriptionClient::Connect(target.url, target.token);
    if (!ws.ok()) {
      err << "colend-cli: watch: " << ws.status().ToString() << "\n";
      return kCannotRun;
    }
    Result<std::string> id = (*ws)->Subscribe(
        json::object{{"topic", "positions"}, {"bank", options.bank}, {"from_height", from}});
    if (!id.ok()) {
      err << "colend-cli: watch: " << id.status().ToString() << "\n";
      return id.status().code() == StatusCode::kInvalidArgument ? kCannotRun : kProblems;
    }
    const int timeout_ms = options.timeout_s > 0 ? options.timeout_s * 1000 : 24 * 3600 * 1000;
    for (std::uint64_t shown = 0; options.blocks == 0 || shown < options.blocks;) {
      Result<json::object> note = (*ws)->Next(timeout_ms);
      if (!note.ok()) {
        if (options.timeout_s == 0 && note.status().message().starts_with("no notification")) {
          continue;  // waiting for ever: a quiet day
        }
        err << "colend-cli: watch: " << note.status().message() << "\n";
        return kProblems;
      }
      if (note->at("subscription").as_string() != *id) continue;
      ++shown;
      if (target.json) {  // one notification per line, as the node sent it
        out << json::serialize(*note) << "\n" << std::flush;
        continue;
      }
      PrintBankPositions(options.bank, note->at("height").to_number<std::uint64_t>(),
                         note->at("result").at("positions").as_array(), out);
    }
    return kDone;
  } catch (const std::exception& e) {
    err << "colend-cli: watch: unexpected answer from the node: " << e.what() << "\n";
    return kProblems;
  }
}

}  // namespace colend::cli
