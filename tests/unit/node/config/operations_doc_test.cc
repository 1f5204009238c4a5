// docs/operations.md stays true to the config parser: every key the parser knows
// (NodeConfigKeys, the same tables it checks a file against) has a row of its own in the
// document's node.toml key table, and every row of that table names a key the parser
// knows. The document is read from the source tree (COLEND_SOURCE_DIR).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "colend/node/config.h"

#ifndef COLEND_SOURCE_DIR
#error "COLEND_SOURCE_DIR must name the source tree (set by tests/unit/node/config/CMakeLists.txt)"
#endif

namespace colend::node {
namespace {

constexpr char kDocPath[] = COLEND_SOURCE_DIR "/docs/operations.md";
constexpr char kKeySection[] = "## Configuration: every node.toml key";

// The first cell of each table row in the key section, without its backquotes.
std::vector<std::string> DocumentedKeys() {
  std::ifstream in(kDocPath, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << kDocPath;
  std::vector<std::string> keys;
  bool in_section = false;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) in_section = line == kKeySection;
    if (!in_section || line.rfind("| `", 0) != 0) continue;
    const std::size_t end = line.find('`', 3);
    if (end != std::string::npos) keys.push_back(line.substr(3, end - 3));
  }
  return keys;
}

TEST(OperationsDocTest, EveryConfigKeyHasARow) {
  const std::vector<std::string> documented = DocumentedKeys();
  ASSERT_FALSE(documented.empty()) << kDocPath << " has no \"" << kKeySection << "\" table";
  for (const std::string& key : NodeConfigKeys()) {
    EXPECT_EQ(std::count(documented.begin(), documented.end(), key), 1)
        << key << " needs exactly one row in " << kDocPath << ", \"" << kKeySection << "\"";
  }
}

TEST(OperationsDocTest, EveryRowNamesAKeyTheParserKnows) {
  const std::vector<std::string> known = NodeConfigKeys();
  const std::set<std::string> parser(known.begin(), known.end());
  for (const std::string& key : DocumentedKeys()) {
    EXPECT_TRUE(parser.contains(key))
        << kDocPath << " documents \"" << key << "\", which the parser does not know";
  }
}

}  // namespace
}  // namespace colend::node
