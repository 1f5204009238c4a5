// Fuzz target: genesis.json (docs/api.md, "Genesis") through contracts::ParseGenesis. A genesis
// it accepts must survive GenesisToJson and back unchanged, and print the same bytes again
// (genesis.h promises both), and give an initial state.
#include <cstddef>
#include <cstdint>
#include <string>

#include "colend/contracts/genesis.h"
#include "fuzz_util.h"

using namespace colend;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Result<contracts::Genesis> genesis = contracts::ParseGenesis(fuzz::AsView(data, size));
  if (!genesis.ok()) return 0;
  if (genesis->genesis_hash.size() != 32) fuzz::Fail("genesis_hash is not 32 bytes");
  const std::string json = contracts::GenesisToJson(*genesis);
  Result<contracts::Genesis> again = contracts::ParseGenesis(json);
  if (!again.ok()) fuzz::Fail("GenesisToJson output does not parse", again.status().ToString());
  if (!(*again == *genesis)) fuzz::Fail("genesis round trip changed the content", json);
  if (contracts::GenesisToJson(*again) != json) fuzz::Fail("GenesisToJson is not stable", json);
  (void)contracts::InitialStateFromGenesis(*genesis);
  return 0;
}
