// Hostile clients against a real node over HTTP and JSON-RPC (hostile_fixture.h): bad HTTP
// and JSON-RPC, unusual but valid HTTP, slow clients, connection floods, batch limits, and
// bad transactions, each answered as docs/api.md says while the chain keeps committing.
#include "hostile_fixture.h"

namespace colend::e2e {
namespace {

// --- bad HTTP and JSON-RPC ------------------------------------------------------------------

struct HttpCase {
  std::string name;
  std::string request;  // raw bytes; "{TOKEN}" is replaced by node 0's bearer token
  int status;
  int code;             // the JSON-RPC error code of the body; 0 = not an error body
  std::string message;  // the error message, exactly ("" with code 0)
  bool closes;          // the server closes the connection after answering
};

std::string WithToken(std::string request, const std::string& token) {
  for (std::size_t at; (at = request.find("{TOKEN}")) != std::string::npos;) {
    request.replace(at, 7, token);
  }
  return request;
}

std::string Call(const std::string& method, const std::string& params) {
  return R"({"jsonrpc":"2.0","id":1,"method":")" + method + "\"" +
         (params.empty() ? "" : ",\"params\":" + params) + "}";
}

std::vector<HttpCase> HttpCases() {
  const std::string t = "{TOKEN}";
  auto post = [&](const std::string& body) { return PostRequest(body, t); };
  const std::string head = "POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n";
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += '[';
  std::string deep_params = R"({"jsonrpc":"2.0","id":1,"method":"getLoan","params":{"loan_id":)";
  for (int i = 0; i < 70; ++i) deep_params += "{\"a\":";
  deep_params += "1";
  for (int i = 0; i < 70; ++i) deep_params += "}";
  deep_params += "}}";
  std::string batch_101 = "[";
  for (int i = 0; i < 101; ++i) batch_101 += (i ? "," : "") + Call("getBlockNumber", "");
  batch_101 += "]";
  const std::string kParse = "parse error: ";
  return {
      // JSON that is not JSON.
      {"truncated JSON", post(R"({"jsonrpc":"2.0","id":1,"method":)"), 200, -32700,
       kParse + "incomplete JSON", false},
      {"trailing garbage", post(Call("getBlockNumber", "") + "xyz"), 200, -32700,
       kParse + "extra data", false},
      {"not JSON at all", post("hello"), 200, -32700, kParse + "syntax error", false},
      {"empty body", post(""), 200, -32700, kParse + "incomplete JSON", false},
      {"nesting 100000 deep", post(deep), 200, -32700, kParse + "too deep", false},
      {"params nesting 70 deep", post(deep_params), 200, -32700, kParse + "too deep", false},
      {"invalid UTF-8 in a string",
       post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"get\xff\xfe\"}"), 200, -32700,
       kParse + "syntax error", false},
      {"lone surrogate escape", post(R"({"jsonrpc":"2.0","id":1,"method":"\ud800"})"), 200, -32700,
       kParse + "syntax error", false},
      // Numbers.
      {"height 1e400", post(Call("getBlockByNumber", R"({"height":1e400})")), 200, -32602,
       R"(param "height": expected a non-negative integer, got number)", false},
      {"height beyond uint64",
       post(Call("getBlockByNumber", R"({"height":99999999999999999999999})")), 200, -32602,
       R"(param "height": expected a non-negative integer, got number)", false},
      {"height negative", post(Call("getBlockByNumber", R"({"height":-1})")), 200, -32602,
       R"(param "height": must not be negative, got -1)", false},
      {"height fractional", post(Call("getBlockByNumber", R"({"height":1.5})")), 200, -32602,
       R"(param "height": expected a non-negative integer, got number)", false},
      {"id 1e999", post(R"({"jsonrpc":"2.0","id":1e999,"method":"getBlockNumber"})"), 200, -32600,
       R"(invalid request: "id" must be a string, an integer or null)", false},
      {"id an object", post(R"({"jsonrpc":"2.0","id":{"a":1},"method":"getBlockNumber"})"), 200,
       -32600, R"(invalid request: "id" must be a string, an integer or null)", false},
      // The envelope.
      {"no jsonrpc", post(R"({"id":1,"method":"getBlockNumber"})"), 200, -32600,
       R"(invalid request: "jsonrpc" must be "2.0")", false},
      {"jsonrpc 1.0", post(R"({"jsonrpc":"1.0","id":1,"method":"getBlockNumber"})"), 200, -32600,
       R"(invalid request: "jsonrpc" must be "2.0")", false},
      {"method a number", post(R"({"jsonrpc":"2.0","id":1,"method":5})"), 200, -32600,
       R"(invalid request: "method" must be a string)", false},
      {"request a number", post("5"), 200, -32600,
       "invalid request: expected an object, got integer", false},
      {"unknown method", post(Call("transferAllFunds", "")), 200, -32601,
       R"(method not found: "transferAllFunds")", false},
      {"params a string", post(Call("getBlockNumber", R"("x")")), 200, -32600,
       R"(invalid request: "params" must be an object or an array)", false},
      {"positional params", post(Call("getBlockByNumber", "[1]")), 200, -32602,
       "params must be an object of named params (docs/api.md), not a list", false},
      {"empty batch", post("[]"), 200, -32600, "invalid request: empty batch", false},
      {"batch of 101", post(batch_101), 200, -32600,
       "invalid request: a batch of 101 requests exceeds the limit of 100", false},
      // Wrong types for every kind of param.
      {"string param given an integer", post(Call("getLoan", R"({"loan_id":5})")), 200, -32602,
       R"(param "loan_id": expected a string, got integer)", false},
      {"integer param given a string", post(Call("getBlockByNumber", R"({"height":"1"})")), 200,
       -32602, R"(param "height": expected a non-negative integer, got string)", false},
      {"boolean param given a string",
       post(Call("getBlockByNumber", R"({"height":1,"full":"yes"})")), 200, -32602,
       R"(param "full": expected a boolean, got string)", false},
      {"hex param not hex", post(Call("getTransaction", R"({"tx_hash":"zz"})")), 200, -32602,
       R"(param "tx_hash": not hex: hex string has a non-hex character at position 0)", false},
      {"hash of the wrong length", post(Call("getTransaction", R"({"tx_hash":"abcd"})")), 200,
       -32602, R"(param "tx_hash": expected 64 hex digits, got 4)", false},
      {"empty transaction", post(Call("sendTransaction", R"({"tx":""})")), 200, -32602,
       R"(param "tx": is empty)", false},
      {"record id with bad characters", post(Call("getLoan", R"({"loan_id":"L 1; DROP"})")), 200,
       -32602, R"(param "loan_id": not an id (1-64 of A-Z a-z 0-9 . _ : -))", false},
      {"member id lower-case", post(Call("getPositions", R"({"bank":"lead"})")), 200, -32602,
       R"(param "bank": not a member id (1-32 of A-Z 0-9 _))", false},
      {"enum not listed", post(Call("getSettlements", R"({"status":"OPEN"})")), 200, -32602,
       R"(param "status": expected "CLOSED", "PAID" or "CONFIRMED")", false},
      {"limit out of range", post(Call("listLoans", R"({"limit":0})")), 200, -32602,
       R"(param "limit": must be between 1 and 1000)", false},
      {"required param missing", post(Call("getLoan", "{}")), 200, -32602,
       R"(param "loan_id": is required by getLoan)", false},
      {"unknown param", post(Call("getBlockNumber", R"({"x":1})")), 200, -32602,
       R"(param "x": is not a param of getBlockNumber (it takes none))", false},
      {"no such block", post(Call("getBlockByNumber", R"({"height":18446744073709551615})")), 200,
       -32002, "no block at height 18446744073709551615", false},
      // HTTP that is not HTTP.
      {"TLS ClientHello on the RPC port",
       std::string("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", 11), 400, -32700,
       "malformed HTTP request: bad method", true},
      {"HTTP/0.9 request line", "GET /\r\n\r\n", 400, -32700, "malformed HTTP request: bad target",
       true},
      {"garbage request line", "HELLO WORLD\r\n\r\n", 400, -32700,
       "malformed HTTP request: bad target", true},
      {"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400, -32700,
       "malformed HTTP request: bad version", true},
      {"header without a colon", head + "NoColonHere\r\nContent-Length: 2\r\n\r\n{}", 400, -32700,
       "malformed HTTP request: bad field", true},
      {"headers over 16 KiB", head + "X-Junk: " + std::string(20000, 'j') + "\r\n\r\n", 400, -32700,
       "malformed HTTP request: header limit exceeded", true},
      {"bad Content-Length", head + "Content-Length: -5\r\n\r\n", 400, -32700,
       "malformed HTTP request: bad Content-Length", true},
      {"two Content-Lengths", head + "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400,
       -32700, "malformed HTTP request: multiple Content-Length", true},
      {"bogus chunk size", head + "Transfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n", 400,
       -32700, "malformed HTTP request: bad chunk", true},
      {"body over max_body_bytes", head + "Content-Length: 2000000\r\n\r\n", 413, -32600,
       "request body larger than 1048576 bytes refused", true},
      {"chunks over max_body_bytes",
       head + "Transfer-Encoding: chunked\r\n\r\nFFFFFFFF\r\n" + std::string(100, 'x'), 413, -32600,
       "request body larger than 1048576 bytes refused", true},
      {"Content-Length and chunked both",
       head + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", 400,
       -32700, "malformed HTTP request: bad Transfer-Encoding", true},
      // Found by this suite: Beast read no body and took "{}" for the next request.
      {"a Transfer-Encoding other than chunked", head + "Transfer-Encoding: gzip\r\n\r\n{}", 400,
       -32700, "malformed HTTP request: a Transfer-Encoding other than chunked is not supported",
       true},
      {"invalid UTF-8 in the token", PostRequest(Call("getBlockNumber", ""), "\xff\xfe"), 401,
       -32003, "unauthorized: a valid bearer token is required", false},
      // The wrong door.
      {"GET /", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 405, -32600, "JSON-RPC requests are POST /",
       false},
      {"POST /health", "POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 405, -32600,
       "/health takes GET", false},
      {"unknown path", "GET /admin HTTP/1.1\r\nHost: x\r\n\r\n", 404, -32601,
       "no such path: /admin", false},
      {"path with control bytes", std::string("GET /a\x01\x7f HTTP/1.1\r\nHost: x\r\n\r\n"), 400,
       -32700, "malformed HTTP request: bad target", true},
      // Authorization.
      {"no bearer token", PostRequest(Call("getBlockNumber", ""), ""), 401, -32003,
       "unauthorized: a valid bearer token is required", false},
      {"wrong bearer token", PostRequest(Call("getBlockNumber", ""), std::string(64, 'a')), 401,
       -32003, "unauthorized: a valid bearer token is required", false},
      {"Basic instead of Bearer",
       PostRequest(Call("getBlockNumber", ""), "", "Authorization: Basic YWRtaW46YWRtaW4=\r\n"),
       401, -32003, "unauthorized: a valid bearer token is required", false},
      {"token with a prefix", PostRequest(Call("getBlockNumber", ""), "x" + t), 401, -32003,
       "unauthorized: a valid bearer token is required", false},
  };
}

TEST_F(HostileE2eTest, BadHttpAndJsonRpcGetTheirDocumentedAnswers) {
  const std::vector<HttpCase> cases = HttpCases();
  ASSERT_GE(cases.size(), 40u);
  for (const HttpCase& c : cases) {
    SCOPED_TRACE(c.name);
    const RawReply reply = Exchange(port(), WithToken(c.request, token()), c.closes ? 3000 : 100);
    EXPECT_EQ(reply.status, c.status) << reply.error << " " << reply.body;
    const json::value error = ErrorOf(reply.body);
    ASSERT_TRUE(error.is_object()) << reply.body;
    EXPECT_EQ(error.at("code"), json::value(c.code)) << reply.body;
    EXPECT_EQ(error.at("message"), json::value(c.message)) << reply.body;
    EXPECT_EQ(reply.closed, c.closes) << reply.body;
    if (c.status == 401) {
      EXPECT_EQ(reply.headers.count("www-authenticate") ? reply.headers.at("www-authenticate") : "",
                "Bearer");
    }
  }
  // And the node still answers a good request on the same port.
  EXPECT_GT(net_->Height(kTarget), 0u);
}

// Requests that are fine by HTTP but unusual: answered and (where HTTP says so) closed.
TEST_F(HostileE2eTest, UnusualButValidHttpIsAnsweredByTheRules) {
  {
    SCOPED_TRACE("HTTP/1.0 without keep-alive: answered, then closed");
    const std::string body = Call("getBlockNumber", "");
    const RawReply reply = Exchange(
        port(), "POST / HTTP/1.0\r\nAuthorization: Bearer " + token() +
                    "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    EXPECT_EQ(reply.status, 200) << reply.error;
    EXPECT_NE(reply.body.find("\"result\":"), std::string::npos) << reply.body;
    EXPECT_TRUE(reply.closed);
  }
  {
    SCOPED_TRACE("a batch of notifications only: 204, no body");
    const RawReply reply = Exchange(port(),
                                    PostRequest(R"([{"jsonrpc":"2.0","method":"getBlockNumber"},)"
                                                R"({"jsonrpc":"2.0","method":"getBlockNumber"}])",
                                                token()),
                                    100);
    EXPECT_EQ(reply.status, 204) << reply.error;
    EXPECT_TRUE(reply.body.empty());
    EXPECT_FALSE(reply.closed);
  }
  {
    // Found by this suite: the 405 to a HEAD carried a body, which a keep-alive client reads
    // as the start of its next answer.
    SCOPED_TRACE("HEAD: 405 without a body, and the connection goes on");
    const int fd = Connect(port());
    ASSERT_GE(fd, 0);
    SendAll(fd, "HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n" +
                    PostRequest(Call("getBlockNumber", ""), token()));
    std::string carry;
    const RawReply head = ReadReply(fd, 10000, 0, &carry);
    EXPECT_EQ(head.status, 405) << head.error;
    EXPECT_EQ(head.headers.count("content-length") ? head.headers.at("content-length") : "", "0");
    const RawReply next = ReadReply(fd, 10000, 0, &carry);
    ::close(fd);
    EXPECT_EQ(next.status, 200) << next.error;
    EXPECT_NE(next.body.find("\"result\":"), std::string::npos) << next.body;
  }
}

// Slow senders: headers trickled a byte at a time, a body that stops short, a body cut off
// by the client; each answered within the deadline that cannot be pushed back.
TEST_F(HostileE2eTest, SlowClientsAreAnsweredAtTheirDeadline) {
  {
    SCOPED_TRACE("headers trickled");
    const int fd = Connect(port());
    ASSERT_GE(fd, 0);
    const std::string request = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
    bool answered = false;
    for (std::size_t i = 0; i < 200 && !answered; ++i) {  // 200 bytes at 20 ms: 4 s if allowed
      if (!SendAll(fd, std::string(1, i < request.size() ? request[i] : 'z'))) break;
      pollfd p{fd, POLLIN, 0};
      answered = ::poll(&p, 1, 20) > 0;
    }
    const RawReply reply = ReadReply(fd);
    ::close(fd);
    ExpectClosedWithError(reply, 408, -32600,
                          "request headers not complete within " + std::to_string(kTimeoutMs) +
                              " ms");
  }
  {
    SCOPED_TRACE("body stops short");
    const int fd = Connect(port());
    ASSERT_GE(fd, 0);
    SendAll(fd, "POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token() +
                    "\r\nContent-Length: 100\r\n\r\n{\"jso");
    const RawReply reply = ReadReply(fd);
    ::close(fd);
    ExpectClosedWithError(reply, 408, -32600,
                          "request body not complete within " + std::to_string(kTimeoutMs) +
                              " ms: received 5 of the 100 bytes Content-Length declares");
  }
  {
    SCOPED_TRACE("body cut off by the client");
    const int fd = Connect(port());
    ASSERT_GE(fd, 0);
    SendAll(fd, "POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token() +
                    "\r\nContent-Length: 100\r\n\r\n{\"jso");
    ::shutdown(fd, SHUT_WR);
    const RawReply reply = ReadReply(fd);
    ::close(fd);
    ExpectClosedWithError(reply, 400, -32600, "request ended before it was complete");
  }
  {
    SCOPED_TRACE("a good request pipelined with garbage");
    const int fd = Connect(port());
    ASSERT_GE(fd, 0);
    SendAll(fd, PostRequest(Call("getBlockNumber", ""), token()) + "GARBAGE\r\n\r\n");
    // Both answers, in order, then the close.
    std::string all;
    ASSERT_TRUE(TcpClosedWithin(fd, 10000, &all));
    ::close(fd);
    const std::size_t second = all.find("HTTP/1.1 ", 1);
    ASSERT_NE(second, std::string::npos) << all;
    EXPECT_EQ(all.rfind("HTTP/1.1 200 ", 0), 0u) << all;
    EXPECT_EQ(all.compare(second, 13, "HTTP/1.1 400 "), 0) << all;
    const json::value error = ErrorOf(all.substr(all.find("\r\n\r\n", second) + 4));
    ASSERT_TRUE(error.is_object()) << all;
    EXPECT_EQ(error.at("message"), json::value("malformed HTTP request: bad method"));
  }
}

// More connections from one address than rpc.max_connections_per_address (32): the next one
// is refused at once with 503, while another address is still served; the idle ones get 408
// at their header deadline.
TEST_F(HostileE2eTest, AConnectionFloodFromOneAddressIsRefusedAtTheLimit) {
  const char* flooder = "127.0.0.2";
  std::vector<int> held;
  for (int i = 0; i < 32; ++i) {
    const int fd = Connect(port(), flooder);
    ASSERT_GE(fd, 0) << "cannot connect from " << flooder;
    held.push_back(fd);
  }
  // The accept loop admits them in order; give it a moment to have admitted all 32.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const int extra = Connect(port(), flooder);
  ASSERT_GE(extra, 0);
  const RawReply refused = ReadReply(extra);
  ::close(extra);
  EXPECT_EQ(refused.status, 503) << refused.error;
  const json::value error = ErrorOf(refused.body);
  ASSERT_TRUE(error.is_object()) << refused.body;
  EXPECT_EQ(error.at("code"), json::value(-32004));
  EXPECT_EQ(error.at("message"),
            json::value("too many connections from 127.0.0.2 (at most 32): retry later"));
  EXPECT_TRUE(refused.closed);
  // Another address is served meanwhile.
  const RawReply served = Exchange(port(), PostRequest(Call("getBlockNumber", ""), token()), 0);
  EXPECT_EQ(served.status, 200) << served.error;
  // The idle 32 are answered 408 at their header deadline and closed.
  for (int fd : held) {
    const RawReply idle = ReadReply(fd);
    ::close(fd);
    EXPECT_EQ(idle.status, 408) << idle.error;
    EXPECT_TRUE(idle.closed);
  }
}

// A batch of 100 full blocks: the answers stop at rpc.max_response_bytes (64 KiB on node 0);
// every later entry gets -32005, unexecuted.
TEST_F(HostileE2eTest, ABatchOfFullBlocksStopsAtTheResponseLimit) {
  ASSERT_TRUE(LocalNetwork::WaitUntil([] { return net_->Height(kTarget) >= 5; }, 30000));
  std::string batch = "[";
  for (int i = 0; i < 100; ++i) {
    batch += (i ? "," : "") + std::string(R"({"jsonrpc":"2.0","id":)") + std::to_string(i) +
             R"(,"method":"getBlockByNumber","params":{"height":)" + std::to_string(1 + i % 5) +
             R"(,"full":true}})";
  }
  batch += "]";
  const RawReply reply = Exchange(port(), PostRequest(batch, token()), 0);
  ASSERT_EQ(reply.status, 200) << reply.error;
  boost::system::error_code ec;
  const json::value answers = json::parse(reply.body, ec);
  ASSERT_FALSE(ec) << reply.body.substr(0, 200);
  ASSERT_EQ(answers.as_array().size(), 100u);
  std::size_t results = 0;
  for (const json::value& a : answers.as_array()) {
    if (a.as_object().contains("result")) {
      ++results;
      continue;
    }
    EXPECT_EQ(a.at("error").at("code"), json::value(-32005));
    EXPECT_EQ(a.at("error").at("message"),
              json::value("response too large: the answers before this request reached the "
                          "limit of 65536 bytes (rpc.max_response_bytes); it was not executed: "
                          "send it again in another batch"));
  }
  EXPECT_GT(results, 0u);
  EXPECT_LT(results, 100u);
  RecordProperty("answered_blocks", static_cast<int>(results));
  RecordProperty("response_bytes", static_cast<int>(reply.body.size()));
  // Results first, then only errors.
  for (std::size_t i = 0; i < 100; ++i) {
    EXPECT_EQ(answers.as_array()[i].as_object().contains("result"), i < results) << i;
  }
  EXPECT_LT(reply.body.size(), kResponseLimit + 100 * 400);
}

// Batches of 100 whole-state scans (getBooks, a listLoans filter that matches nothing,
// listAgreements, getSettlements) while the chain commits: every answer is of one height
// (getBooks' state root is the one the chain certified for its height), and the chain goes
// on. (That a scan holds nothing a commit waits for is proven without a clock in
// tests/unit/node/storage/state_snapshot_test.cc.)
TEST_F(HostileE2eTest, BatchesOfWholeStateScansAreConsistentAndTheChainGoesOn) {
  const std::size_t node = 1;  // the default 8 MiB response limit: every scan is executed
  boost::system::error_code ec;
  const json::value genesis = json::parse(testutil::ReadFile(net_->root() + "/genesis.json"), ec);
  ASSERT_FALSE(ec);
  std::uint64_t lag = 1;
  if (const json::value* consensus = genesis.as_object().if_contains("consensus")) {
    if (const json::value* l = consensus->as_object().if_contains("execution_lag")) {
      lag = l->to_number<std::uint64_t>();
    }
  }
  std::string batch = "[";
  const std::vector<std::string> scans = {Call("getBooks", ""),
                                          Call("listLoans", R"({"bank":"PARTNER_C","limit":1000})"),
                                          Call("listAgreements", ""), Call("getSettlements", "")};
  for (int i = 0; i < 100; ++i) batch += (i ? "," : "") + scans[static_cast<std::size_t>(i) % 4];
  batch += "]";
  const std::uint64_t before = net_->Height(node);
  std::vector<std::pair<std::uint64_t, std::string>> books;  // (height, state root)
  for (int round = 0; round < 3; ++round) {
    const RawReply reply =
        Exchange(net_->bank(node).rpc_port, PostRequest(batch, net_->bank(node).rpc_token), 0);
    ASSERT_EQ(reply.status, 200) << reply.error;
    const json::value answers = json::parse(reply.body, ec);
    ASSERT_FALSE(ec);
    ASSERT_EQ(answers.as_array().size(), 100u);
    for (const json::value& a : answers.as_array()) {
      ASSERT_TRUE(a.as_object().contains("result")) << a;
      const json::object& result = a.at("result").as_object();
      ASSERT_TRUE(result.contains("height")) << a;
      if (result.contains("state_root")) {
        books.emplace_back(result.at("height").to_number<std::uint64_t>(),
                           std::string(result.at("state_root").as_string()));
      }
    }
  }
  ASSERT_EQ(books.size(), 75u);
  for (const auto& [height, root] : books) {
    // The header of block height + lag carries the state root after block height.
    ASSERT_TRUE(
        LocalNetwork::WaitUntil([&, h = height] { return net_->Height(node) >= h + lag; }, 30000));
    const json::value block = net_->Result(node, "getBlockByNumber", {{"height", height + lag}});
    ASSERT_TRUE(block.is_object());
    EXPECT_EQ(block.at("header").at("state_root"), json::value(root)) << "height " << height;
  }
  EXPECT_TRUE(LocalNetwork::WaitUntil([&] { return net_->Height(node) > before + 2; }, 30000));
}

// --- bad transactions -----------------------------------------------------------------------

// A signed transaction (hex) for `signer_bank`'s key over `body_json`, for `chain_id`.
std::string SignFor(const LocalNetwork& net, std::size_t key_bank, const std::string& body_json,
                    const std::string& chain_id) {
  Result<crypto::PrivateKey> key = crypto::PrivateKey::FromPem(
      crypto::CryptoSuite::Standard(), testutil::ReadFile(net.bank(key_bank).client_key_file));
  Result<proto::TransactionBody> body = contracts::TransactionBodyFromJson(body_json);
  if (!key.ok() || !body.ok()) {
    ADD_FAILURE() << key.status() << " " << body.status();
    return "";
  }
  body->set_chain_id(chain_id);
  Result<Bytes> signed_tx = contracts::SignTransaction(*body, *key);
  if (!signed_tx.ok()) {
    ADD_FAILURE() << signed_tx.status();
    return "";
  }
  return ToHex(*signed_tx);
}

std::string Loan(const std::string& signer, const std::string& id, const std::string& principal) {
  return R"({"type":"OriginateLoan","signer":")" + signer + R"(","id":")" + id +
         R"(","agreement_id":"AG-H","loan_id":")" + id +
         R"(","borrower_ref":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",)"
         R"("principal":")" +
         principal + R"(","annual_rate_bp":1800,"term_months":12,"value_date":"2026-11-21"})";
}

TEST_F(HostileE2eTest, BadTransactionsAreRefusedAndChangeNoState) {
  const std::string chain = net_->chain_id();
  const std::string good = SignFor(*net_, 0, Loan("LEAD", "HL-GOOD", "800000"), chain);
  // A forged signature: the good transaction with one signature byte flipped.
  proto::SignedTransaction forged;
  ASSERT_TRUE(forged.ParseFromString(ToString(*FromHex(good))));
  std::string signature = forged.signature();
  signature[signature.size() / 2] = static_cast<char>(signature[signature.size() / 2] ^ 0x01);
  forged.set_signature(signature);
  const std::string forged_hex = ToHex(AsBytes(forged.SerializeAsString()));
  const std::string lead_key_id = ToHex(AsBytes(forged.key_id()));

  struct TxCase {
    std::string name;
    std::string tx_hex;
    std::string code;     // data.code
    std::string message;  // the whole error message
  };
  const std::vector<TxCase> cases = {
      {"a forged signature", forged_hex, "BAD_SIGNATURE",
       "transaction rejected: BAD_SIGNATURE: the signature does not verify under the signer's key: "
       "signature does not verify under key " +
           lead_key_id + " (standard) for the data given"},
      {"a bank the key does not belong to",
       SignFor(*net_, 0, Loan("PARTNER_A", "HL-NOTMINE", "800000"), chain), "UNKNOWN_KEY", ""},
      {"a signer that is no member", SignFor(*net_, 0, Loan("MALLORY", "HL-WHO", "800000"), chain),
       "UNKNOWN_SIGNER", ""},
      {"another chain", SignFor(*net_, 0, Loan("LEAD", "HL-CHAIN", "800000"), "other-chain"),
       "WRONG_CHAIN", ""},
      {"bytes that are no transaction", "00ff00ff", "MALFORMED", ""},
      {"a transaction over 64 KiB", std::string(2 * 70000, 'a'), "TOO_LARGE", ""},
  };
  std::vector<std::string> refused_hashes;
  for (const TxCase& c : cases) {
    SCOPED_TRACE(c.name);
    const RawReply reply = Exchange(
        port(), PostRequest(Call("sendTransaction", R"({"tx":")" + c.tx_hex + "\"}"), token()), 0);
    EXPECT_EQ(reply.status, 200) << reply.error;
    const json::value error = ErrorOf(reply.body);
    ASSERT_TRUE(error.is_object()) << reply.body;
    EXPECT_EQ(error.at("code"), json::value(-32001)) << reply.body;
    EXPECT_EQ(error.at("data").at("code"), json::value(c.code)) << reply.body;
    const std::string message(error.at("message").as_string());
    EXPECT_EQ(message.rfind("transaction rejected: " + c.code, 0), 0u) << message;
    if (!c.message.empty()) {
      EXPECT_EQ(message, c.message);
    }
    if (const json::value* hash = error.at("data").as_object().if_contains("tx_hash")) {
      refused_hashes.emplace_back(hash->as_string());
    }
  }

  // A wrong amount is admitted (the pool checks who signed, not what it says) and rejected
  // by the contract when executed: a receipt, and no loan.
  const json::value zero =
      net_->Send(kTarget, SignFor(*net_, 0, Loan("LEAD", "HL-ZERO", "0"), chain));
  ASSERT_TRUE(zero.as_object().contains("result")) << zero;
  const std::string zero_hash(zero.at("result").at("tx_hash").as_string());
  json::value receipt;
  ASSERT_TRUE(LocalNetwork::WaitUntil(
      [&] {
        receipt = net_->Result(kTarget, "getTransactionReceipt", {{"tx_hash", zero_hash}});
        return receipt.is_object();
      },
      30000));
  EXPECT_EQ(receipt.at("status"), json::value("rejected")) << receipt;
  EXPECT_EQ(receipt.at("code"), json::value("BAD_AMOUNT")) << receipt;

  // Nothing the refused transactions said is on the chain.
  const std::uint64_t now = net_->Height(kTarget);
  ASSERT_TRUE(LocalNetwork::WaitUntil([&] { return net_->Height(kTarget) >= now + 2; }, 30000));
  for (const std::string loan : {"HL-NOTMINE", "HL-WHO", "HL-CHAIN", "HL-ZERO", "HL-GOOD"}) {
    const json::value r = net_->Rpc(kTarget, "getLoan", {{"loan_id", loan}});
    ASSERT_TRUE(r.as_object().contains("error")) << loan << " " << r;
    EXPECT_EQ(r.at("error").at("code"), json::value(-32002)) << loan;
  }
  for (const std::string& hash : refused_hashes) {
    const json::value r = net_->Rpc(kTarget, "getTransaction", {{"tx_hash", hash}});
    EXPECT_EQ(r.at("error").at("code"), json::value(-32002)) << hash << " " << r;
  }
}

}  // namespace
}  // namespace colend::e2e
