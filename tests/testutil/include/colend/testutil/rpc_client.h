// A small blocking HTTP/JSON-RPC client for end-to-end tests (Boost.Beast), written apart
// from the node's server so tests do not trust what they test.
#ifndef COLEND_TESTUTIL_RPC_CLIENT_H_
#define COLEND_TESTUTIL_RPC_CLIENT_H_

#include <cstdint>
#include <string>

#include <boost/json/value.hpp>

namespace colend::testutil {

struct HttpReply {
  int status = 0;     // 0 when the request could not be made (connection refused, timeout)
  std::string body;
  std::string error;  // why status is 0
};

// One request on a fresh connection. `bearer` adds "Authorization: Bearer <bearer>".
HttpReply HttpCall(const std::string& host, std::uint16_t port, const std::string& method,
                   const std::string& target, const std::string& body,
                   const std::string& bearer = "", int timeout_ms = 5000);

// POSTs {"jsonrpc":"2.0","id":1,"method":method,"params":params} to `/` and returns the
// parsed response object, or null when there was no parsable answer.
boost::json::value RpcCall(const std::string& host, std::uint16_t port, const std::string& method,
                           const boost::json::value& params, const std::string& bearer = "",
                           int timeout_ms = 5000);

}  // namespace colend::testutil

#endif  // COLEND_TESTUTIL_RPC_CLIENT_H_
