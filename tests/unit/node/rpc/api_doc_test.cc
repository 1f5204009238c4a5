// docs/api.md stays true to the dispatcher: every JSON-RPC method the RpcDispatcher serves
// has a "### <method>" heading in the document's "## Methods" section, every such heading
// names a method the dispatcher serves, and every JSON-RPC error code the server can send
// appears in the document. The document is read from the source tree (COLEND_SOURCE_DIR).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "colend/node/metrics.h"
#include "colend/node/node_api.h"
#include "colend/node/rpc_server.h"
#include "json_rpc.h"
#include "rpc_dispatcher.h"

#ifndef COLEND_SOURCE_DIR
#error "COLEND_SOURCE_DIR must name the source tree (set by tests/unit/node/rpc/CMakeLists.txt)"
#endif

namespace colend::node {
namespace {

constexpr char kDocPath[] = COLEND_SOURCE_DIR "/docs/api.md";
constexpr char kMethodsSection[] = "## Methods";

// The dispatcher never calls its NodeApi while being constructed or listing its methods;
// this one answers with empty values if it ever were.
class NullNode final : public NodeApi {
 public:
  SubmitResult SubmitTransaction(std::string) override { return {}; }
  std::optional<TransactionLookup> FindTransaction(ByteView) const override {
    return std::nullopt;
  }
  std::uint64_t BlockNumber() const override { return 0; }
  std::optional<BlockLookup> BlockByNumber(std::uint64_t) const override { return std::nullopt; }
  std::optional<BlockLookup> BlockByHash(ByteView) const override { return std::nullopt; }
  Status ReadState(const StateFn&) const override { return Status::Ok(); }
  Result<HistoryRead> ReadPositionsAt(std::uint64_t, const PositionsFn&) const override {
    return HistoryRead::kRead;
  }
  NodeInfo GetNodeInfo() const override { return {}; }
  std::vector<RpcPeerInfo> GetPeers() const override { return {}; }
  ConsensusStatus GetConsensusStatus() const override { return {}; }
  SyncStatus GetSyncStatus() const override { return {}; }
};

std::string ReadDoc() {
  std::ifstream in(kDocPath, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << kDocPath;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string::npos) return "";
  const auto last = s.find_last_not_of(" \t\r");
  return s.substr(first, last - first + 1);
}

struct DocMethods {
  bool section_found = false;
  std::vector<std::string> headings;  // in document order, duplicates kept
};

// The "### name" headings between "## Methods" and the next level-2 heading, outside
// fenced code blocks.
DocMethods MethodHeadings(const std::string& doc) {
  DocMethods out;
  std::istringstream lines(doc);
  std::string line;
  bool in_section = false;
  bool in_fence = false;
  while (std::getline(lines, line)) {
    const std::string trimmed = Trim(line);
    if (trimmed.rfind("```", 0) == 0) {
      in_fence = !in_fence;
      continue;
    }
    if (in_fence) continue;
    if (line.rfind("## ", 0) == 0) {
      in_section = Trim(line) == kMethodsSection;
      out.section_found = out.section_found || in_section;
      continue;
    }
    if (in_section && line.rfind("### ", 0) == 0) out.headings.push_back(Trim(line.substr(4)));
  }
  return out;
}

std::vector<std::string> RegisteredMethods() {
  NullNode node;
  MetricsRegistry metrics;
  rpc::RpcDispatcher dispatcher(node, metrics, RpcOptions{});
  return dispatcher.MethodNames();
}

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

TEST(ApiDocTest, EveryRegisteredMethodIsDocumentedAndEveryDocumentedMethodExists) {
  const std::vector<std::string> registered = RegisteredMethods();
  ASSERT_FALSE(registered.empty());
  const DocMethods doc = MethodHeadings(ReadDoc());
  ASSERT_TRUE(doc.section_found) << kDocPath << " has no \"" << kMethodsSection
                                 << "\" heading; method headings (### name) go under it";

  std::map<std::string, int> seen;
  for (const std::string& h : doc.headings) ++seen[h];
  std::vector<std::string> duplicated;
  for (const auto& [name, count] : seen) {
    if (count > 1) duplicated.push_back(name);
  }

  const std::set<std::string> served(registered.begin(), registered.end());
  std::vector<std::string> undocumented;
  for (const std::string& m : registered) {
    if (seen.count(m) == 0) undocumented.push_back(m);
  }
  std::vector<std::string> unknown;
  for (const auto& [name, count] : seen) {
    if (served.count(name) == 0) unknown.push_back(name);
  }

  EXPECT_TRUE(undocumented.empty())
      << "methods registered in RpcDispatcher::RegisterMethods() without a \"### <name>\" "
         "heading under \""
      << kMethodsSection << "\" in docs/api.md: " << Join(undocumented);
  EXPECT_TRUE(unknown.empty())
      << "\"### <name>\" headings under \"" << kMethodsSection
      << "\" in docs/api.md that name no method the dispatcher serves (the heading must be "
         "the method name alone): "
      << Join(unknown);
  EXPECT_TRUE(duplicated.empty()) << "methods documented twice in docs/api.md: "
                                  << Join(duplicated);
}

TEST(ApiDocTest, EveryErrorCodeIsDocumented) {
  const std::string doc = ReadDoc();
  std::vector<std::string> missing;
  for (int code : rpc::kAllErrorCodes) {
    const std::string text = "`" + std::to_string(code) + "`";
    if (doc.find(text) == std::string::npos) missing.push_back(std::to_string(code));
  }
  EXPECT_TRUE(missing.empty()) << "JSON-RPC error codes (json_rpc.h kAllErrorCodes) not "
                                  "written as `<code>` anywhere in docs/api.md: "
                               << Join(missing);
}

}  // namespace
}  // namespace colend::node
