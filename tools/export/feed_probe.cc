// colend-feed-probe: measures how late a node's `blocks` subscription reaches a subscriber
// (docs/export.md, "Figures"). It subscribes from the next block and, for every notification,
// prints one line
//
//   <height> <timestamp_ms> <received_ms> <tx_count>
//
// where timestamp_ms is the block's header time (the proposer's wall clock as it proposed)
// and received_ms this process's wall clock when the notification was read. On one machine
// the two clocks are one, so received_ms - timestamp_ms is the whole path from proposal
// through consensus, execution, storage and the feed to the subscriber; the node's own
// histograms split it (colend_block_latency_seconds: header time to stored;
// colend_ws_delivery_seconds: stored to written to the subscriber). At the end a summary
// line goes to stderr. Exit codes: 0 done, 1 the feed failed, 2 bad options.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "rpc_client.h"
#include "ws_client.h"

namespace {

namespace json = boost::json;

std::int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t Percentile(std::vector<std::int64_t> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(rank, v.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "colend-feed-probe: subscribes to a node's blocks and prints, per block, its height, "
      "header time, the time the notification arrived (Unix ms) and its transaction count."};
  std::string rpc;
  std::string token_file;
  int duration_s = 60;
  app.add_option("--rpc", rpc, "the node's JSON-RPC URL (http://host:port)")->required();
  app.add_option("--token-file", token_file, "file holding the node's bearer token, if any");
  app.add_option("--duration", duration_s, "seconds to listen")->check(CLI::Range(1, 86400));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  std::string token;
  if (!token_file.empty()) {
    colend::Result<std::string> t = colend::tools::ReadBearerTokenFile(token_file);
    if (!t.ok()) {
      std::cerr << "colend-feed-probe: " << t.status().message() << "\n";
      return 2;
    }
    token = std::move(t).value();
  }
  auto client = colend::tools::SubscriptionClient::Connect(rpc, token);
  if (!client.ok()) {
    std::cerr << "colend-feed-probe: " << client.status().message() << "\n";
    return 1;
  }
  colend::Result<std::string> sub = (*client)->Subscribe(json::object{{"topic", "blocks"}});
  if (!sub.ok()) {
    std::cerr << "colend-feed-probe: " << sub.status().message() << "\n";
    return 1;
  }
  std::vector<std::int64_t> late;
  const std::int64_t end = WallMs() + 1000LL * duration_s;
  for (std::int64_t now = WallMs(); now < end; now = WallMs()) {
    colend::Result<json::object> note = (*client)->Next(static_cast<int>(end - now));
    const std::int64_t received = WallMs();
    if (!note.ok()) {
      if (received >= end) break;  // the time is up while waiting
      std::cerr << "colend-feed-probe: " << note.status().message() << "\n";
      return 1;
    }
    const json::value* result = note->if_contains("result");
    const json::value* height = note->if_contains("height");
    if (result == nullptr || !result->is_object() || height == nullptr) continue;
    const json::object& r = result->as_object();
    const json::value* ts = r.if_contains("timestamp_ms");
    const json::value* count = r.if_contains("tx_count");
    if (ts == nullptr || !ts->is_number() || count == nullptr || !count->is_number()) continue;
    const auto header_ms = ts->to_number<std::int64_t>();
    std::cout << height->to_number<std::uint64_t>() << " " << header_ms << " " << received << " "
              << count->to_number<std::uint64_t>() << "\n";
    late.push_back(received - header_ms);
  }
  std::cout.flush();
  std::cerr << "colend-feed-probe: " << late.size() << " blocks; header time to received, ms: p50 "
            << Percentile(late, 0.5) << ", p99 " << Percentile(late, 0.99) << ", max "
            << Percentile(late, 1.0) << "\n";
  return 0;
}
