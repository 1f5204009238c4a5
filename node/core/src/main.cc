// colend-node --config node.toml: one bank's validator (node.h). Exit codes: 0 after a
// clean shutdown (SIGINT/SIGTERM), 1 when the node halted on an error, 2 when it could not
// start (bad configuration, unreadable files, data directory of another chain, port taken).
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <google/protobuf/stubs/logging.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "colend/node/config.h"
#include "colend/node/node.h"

namespace {

// Log the 1st, 2nd, 4th, 8th, ... occurrence of an event anyone can cause as often as they
// like (as node/p2p does for refused connections): the log still shows that it happens and
// how often, but a stranger cannot turn it into a disk-filling, synchronously written flood.
bool ShouldLogOccurrence(std::uint64_t count) {
  return (count & (count - 1)) == 0;
}

// Protobuf logs (for example invalid UTF-8 in a string field) go through spdlog at warning
// level instead of straight to stderr. They come from parsing input: a client's
// sendTransaction bytes or a stranger's Hello frame can cause one per request, so they are
// rate-limited.
void ProtobufLog(google::protobuf::LogLevel level, const char* filename, int line,
                 const std::string& message) {
  if (level >= google::protobuf::LOGLEVEL_FATAL) {
    spdlog::critical("protobuf {}:{}: {}", filename, line, message);
    return;
  }
  static std::atomic<std::uint64_t> warnings{0};
  const std::uint64_t count = warnings.fetch_add(1, std::memory_order_relaxed) + 1;
  if (ShouldLogOccurrence(count)) {
    spdlog::warn(
        "protobuf {}:{}: {} ({} protobuf warnings so far; logged at the 1st, 2nd, "
        "4th, 8th, ...)",
        filename, line, message, count);
  }
}

colend::Status SetUpLogging(const colend::node::NodeConfig& config) {
  try {
    std::shared_ptr<spdlog::logger> logger;
    if (config.log_file.empty()) {
      logger = spdlog::stderr_color_mt("colend");
    } else {
      // Rotated by size, a bounded number kept: a log that grows without bound eventually
      // takes the disk the chain's store needs, and the node halts on a failed write.
      // Rotation renames node.log to node.1.log (and so on) when the next line would pass
      // log.max_file_bytes; the oldest beyond log.max_files is deleted.
      logger = spdlog::rotating_logger_mt("colend", config.log_file.string(),
                                          static_cast<std::size_t>(config.log_max_file_bytes),
                                          static_cast<std::size_t>(config.log_max_files));
    }
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ [" + config.node_id + "] %v",
                        spdlog::pattern_time_type::utc);
    logger->set_level(spdlog::level::from_str(config.log_level));
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(logger);
  } catch (const spdlog::spdlog_ex& e) {
    return colend::Status::IoError(std::string(colend::node::config_keys::kLogFile) + " " +
                                   config.log_file.string() + ": " + e.what());
  }
  google::protobuf::SetLogHandler(&ProtobufLog);
  return colend::Status::Ok();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"colend-node: a co-lending clearing validator (PBFT + settlement contract)"};
  std::string config_path;
  app.add_option("--config", config_path, "the node's TOML configuration file")
      ->required()
      ->check(CLI::ExistingFile);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  colend::Result<colend::node::NodeConfig> config = colend::node::LoadNodeConfig(config_path);
  if (!config.ok()) {
    std::cerr << "colend-node: " << config_path << ":\n" << config.status().message() << "\n";
    return 2;
  }
  if (const colend::Status s = SetUpLogging(*config); !s.ok()) {
    std::cerr << "colend-node: " << s.message() << "\n";
    return 2;
  }
  colend::Result<std::unique_ptr<colend::node::Node>> node = colend::node::Node::Open(*config);
  if (!node.ok()) {
    spdlog::critical("cannot start: {}", node.status().ToString());
    std::cerr << "colend-node: cannot start: " << node.status().ToString() << "\n";
    return 2;
  }
  const colend::Status result = (*node)->Run(/*handle_signals=*/true);
  node->reset();  // flushes and closes the store before the exit code is reported
  if (!result.ok()) {
    spdlog::critical("halted: {}", result.ToString());
    return 1;
  }
  spdlog::info("clean shutdown");
  return 0;
}
