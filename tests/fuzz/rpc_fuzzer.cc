// Fuzz target: a JSON-RPC 2.0 request body (docs/api.md), one request or a batch, through
// RpcDispatcher::Handle against the unit tests' FakeNode (tests/unit/node/rpc/fake_node.h): a
// real contract state with agreements, loans, a repayment and a settlement, so queries find
// something. Every answer must be JSON.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <boost/json.hpp>
#include <google/protobuf/stubs/logging.h>

#include "colend/node/metrics.h"
#include "colend/node/rpc_server.h"
#include "fake_node.h"
#include "fuzz_util.h"
#include "rpc_dispatcher.h"

using namespace colend;

namespace {

constexpr char kBorrower[] = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

// The history of rpc_server_test.cc, so the store holds what the queries look for.
void Populate(node::testing::FakeNode& node) {
  const std::string loan_tail = std::string(R"(","borrower_ref":")") + kBorrower +
                                R"(","annual_rate_bp":1800,"term_months":12,"value_date":"2026-11-21"})";
  const char* lines[] = {
      R"({"type":"ProposeAgreement","signer":"LEAD","id":"AG-1","agreement_id":"AG-1","currency":"CNY","shares":{"LEAD":2000,"PARTNER_A":8000}})",
      R"({"type":"AcceptAgreement","signer":"PARTNER_A","id":"acc-AG-1","agreement_id":"AG-1"})",
      nullptr,  // the loan, below
      R"({"type":"RecordRepayment","signer":"LEAD","id":"R-1","loan_id":"L-1","principal":"66667","interest":"12000","value_date":"2026-12-21"})",
      R"({"type":"CloseSettlement","signer":"PARTNER_A","id":"S-1","counterparty":"LEAD","cutoff":"2026-12-21"})",
      R"({"type":"RecordRepayment","signer":"LEAD","id":"R-2","loan_id":"L-1","principal":"999999999","interest":"12000","value_date":"2026-12-21"})",
  };
  for (const char* line : lines) {
    if (line == nullptr) {
      (void)node.Apply(std::string(R"({"type":"OriginateLoan","signer":"LEAD","id":"L-1","agreement_id":"AG-1","loan_id":"L-1","principal":"800000)") + loan_tail);
    } else {
      (void)node.Apply(line);
    }
  }
}

struct Server {
  node::testing::FakeNode fake;
  node::MetricsRegistry metrics;
  std::unique_ptr<node::rpc::RpcDispatcher> dispatcher;
  Server() {
    Populate(fake);
    dispatcher = std::make_unique<node::rpc::RpcDispatcher>(fake, metrics, node::RpcOptions{});
  }
};

Server& TheServer() {
  static Server* server = new Server();  // never destroyed: the fuzzer exits without cleanup
  return *server;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);  // sendTransaction parses whatever hex it gets
  (void)TheServer();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Server& server = TheServer();
  std::optional<std::string> response = server.dispatcher->Handle(fuzz::AsView(data, size));
  if (response.has_value()) {
    boost::system::error_code ec;
    (void)boost::json::parse(*response, ec);
    if (ec) fuzz::Fail("response is not JSON", *response);
  }
  return 0;
}
