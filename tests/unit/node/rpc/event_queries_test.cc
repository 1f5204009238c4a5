// listEvents over HTTP against a fake index: pages follow the cursor without gap or repeat,
// every event carries its transaction, receipt and postings, and each bad request is an
// error that names the param.
#include <boost/json.hpp>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "colend/node/rpc_server.h"
#include "event_fake_node.h"
#include "http_test_client.h"

namespace colend::node {
namespace {

namespace json = boost::json;
using testing::EventFakeNode;
using testing::FakeTx;
using testing::HttpConnection;

class EventQueriesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Blocks 1..5: LEAD signs one transaction concerning LEAD and PARTNER_A in each, and in
    // block 3 a rejected one concerning LEAD only.
    for (int h = 1; h <= 5; ++h) {
      std::vector<FakeTx> txs = {{"LEAD", {"LEAD", "PARTNER_A"}, true, ""}};
      if (h == 3) txs.push_back({"LEAD", {"LEAD"}, false, "more than outstanding"});
      node_.AddBlock(txs);
    }
    RpcOptions options;
    options.max_list_limit = 50;
    auto server = RpcServer::Create(options, node_, metrics_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(server).value();
    server_->Start();
  }

  json::object Call(const json::object& params) {
    HttpConnection conn(server_->port());
    json::object request{
        {"jsonrpc", "2.0"}, {"id", 1}, {"method", "listEvents"}, {"params", params}};
    const auto reply = conn.Send("POST", "/", json::serialize(request));
    EXPECT_EQ(reply.status, 200) << reply.error;
    return json::parse(reply.body).as_object();
  }

  std::int64_t ErrorCode(const json::object& params) {
    json::object r = Call(params);
    if (!r.contains("error")) return 0;
    return r["error"].as_object()["code"].as_int64();
  }

  EventFakeNode node_;
  MetricsRegistry metrics_;
  std::unique_ptr<RpcServer> server_;
};

TEST_F(EventQueriesTest, PagesCoverEveryEventOnce) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> seen;
  json::object params{{"bank", "LEAD"}, {"from_height", 1}, {"limit", 2}};
  int pages = 0;
  while (true) {
    json::object r = Call(params);
    ASSERT_TRUE(r.contains("result")) << json::serialize(r);
    json::object& result = r["result"].as_object();
    EXPECT_EQ(result["head"].to_number<std::uint64_t>(), 5u);
    for (const json::value& e : result["events"].as_array()) {
      seen.emplace_back(e.at("height").to_number<std::uint64_t>(),
                        e.at("index").to_number<std::uint64_t>());
    }
    ++pages;
    if (result["next_from_height"].is_null()) break;
    params["from_height"] = result["next_from_height"];
    params["from_index"] = result["next_from_index"];
  }
  const std::vector<std::pair<std::uint64_t, std::uint64_t>> expected = {{1, 0}, {2, 0}, {3, 0},
                                                                         {3, 1}, {4, 0}, {5, 0}};
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(pages, 3);
}

TEST_F(EventQueriesTest, AnEventCarriesTransactionReceiptAndPostings) {
  json::object r = Call({{"bank", "PARTNER_A"}, {"from_height", 3}, {"to_height", 3}});
  ASSERT_TRUE(r.contains("result")) << json::serialize(r);
  const json::array& events = r["result"].at("events").as_array();
  ASSERT_EQ(events.size(), 1u);  // the rejected one concerns LEAD only
  const json::object& e = events[0].as_object();
  EXPECT_EQ(e.at("status").as_string(), "ok");
  EXPECT_EQ(e.at("tx").at("type").as_string(), "RecordRepayment");
  EXPECT_EQ(e.at("tx").at("signer").as_string(), "LEAD");
  EXPECT_EQ(e.at("currency").as_string(), "EUR");
  const json::object& posting = e.at("postings").as_array().at(0).as_object();
  EXPECT_EQ(posting.at("debtor").as_string(), "LEAD");
  EXPECT_EQ(posting.at("creditor").as_string(), "PARTNER_A");
  EXPECT_EQ(posting.at("component").as_string(), "principal");
  EXPECT_EQ(posting.at("amount").as_string(), "400");
  // What the repayment did to each leg, for an exporter that keeps loan balances by height.
  EXPECT_EQ(e.at("loan_id").as_string(), "L-1");
  const json::array& deltas = e.at("deltas").as_array();
  ASSERT_EQ(deltas.size(), 2u);
  EXPECT_EQ(json::serialize(deltas[1]),
            R"({"bank":"PARTNER_A","principal":"400","recovered":"0"})");

  json::object lead =
      Call({{"bank", "LEAD"}, {"from_height", 3}, {"from_index", 1}, {"to_height", 3}});
  const json::object& rejected = lead["result"].at("events").as_array().at(0).as_object();
  EXPECT_EQ(rejected.at("status").as_string(), "rejected");
  EXPECT_EQ(rejected.at("code").as_string(), "OVERPAYMENT");
  EXPECT_TRUE(rejected.at("postings").as_array().empty());
  EXPECT_FALSE(rejected.contains("deltas"));
}

TEST_F(EventQueriesTest, WithoutFromHeightItStartsWhereTheIndexStarts) {
  node_.set_indexed_from(4);
  json::object r = Call({{"bank", "LEAD"}});
  ASSERT_TRUE(r.contains("result")) << json::serialize(r);
  EXPECT_EQ(r["result"].at("indexed_from").to_number<std::uint64_t>(), 4u);
  EXPECT_EQ(r["result"].at("events").as_array().size(), 2u);
  // Below the index: not found, with where it starts.
  json::object below = Call({{"bank", "LEAD"}, {"from_height", 2}});
  ASSERT_TRUE(below.contains("error"));
  EXPECT_EQ(below["error"].at("code").as_int64(), -32002);
  EXPECT_EQ(below["error"].at("data").at("indexed_from").to_number<std::uint64_t>(), 4u);
}

TEST_F(EventQueriesTest, BadRequestsAreErrors) {
  EXPECT_EQ(ErrorCode({{"bank", "NOBODY"}}), -32002);                     // unknown bank
  EXPECT_EQ(ErrorCode({{"bank", "lead!"}}), -32602);                      // not a member id
  EXPECT_EQ(ErrorCode({{"from_height", 1}}), -32602);                     // no bank
  EXPECT_EQ(ErrorCode({{"bank", "LEAD"}, {"from_height", 0}}), -32602);   // genesis
  EXPECT_EQ(ErrorCode({{"bank", "LEAD"}, {"from_height", 7}}), -32602);   // above head + 1
  EXPECT_EQ(ErrorCode({{"bank", "LEAD"}, {"from_height", -1}}), -32602);  // negative
  EXPECT_EQ(ErrorCode({{"bank", "LEAD"}, {"limit", 51}}), -32602);        // above the max
  EXPECT_EQ(ErrorCode({{"bank", "LEAD"}, {"limit", 0}}), -32602);
  EXPECT_EQ(ErrorCode({{"bank", "LEAD"}, {"colour", "red"}}), -32602);  // unknown param
  // The next height (nothing yet) is a valid, empty page.
  json::object next = Call({{"bank", "LEAD"}, {"from_height", 6}});
  ASSERT_TRUE(next.contains("result"));
  EXPECT_TRUE(next["result"].at("events").as_array().empty());
  EXPECT_TRUE(next["result"].at("next_from_height").is_null());
}

}  // namespace
}  // namespace colend::node
