// A real local consortium for end-to-end tests: colend-netgen --localnet into a scratch
// directory, colend-node processes started and killed from the test, JSON-RPC to each, and
// the banks' client keys to sign transactions. Every wait is bounded.
#ifndef COLEND_TESTS_E2E_LOCAL_NETWORK_H_
#define COLEND_TESTS_E2E_LOCAL_NETWORK_H_

#include <signal.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "colend/testutil/process_util.h"

namespace colend::e2e {

struct NetworkBank {
  std::string id;
  std::string node_id;
  std::uint16_t rpc_port = 0;
  std::string client_key_file;
  std::string config_file;
  std::string log_file;
  std::uint16_t p2p_port = 0;
  std::string rpc_token;  // made with --rpc-tokens: the node's bearer token; else empty
};

class LocalNetwork {
 public:
  // Runs colend-netgen for `banks` under `dir` (created if missing), from `base_port` (0 = a
  // free run of ports). Empty on failure, with the reason in *error.
  static std::unique_ptr<LocalNetwork> Create(const std::string& dir,
                                              const std::vector<std::string>& banks,
                                              const std::string& extra_netgen_args,
                                              std::string* error, int base_port = 0);
  ~LocalNetwork();

  std::size_t size() const { return banks_.size(); }
  const NetworkBank& bank(std::size_t i) const { return banks_[i]; }
  const std::string& root() const { return root_; }
  const std::string& chain_id() const { return chain_id_; }
  int base_port() const { return base_port_; }

  // Reads network.json again and adds the banks `colend-netgen join` listed since (their
  // nodes not started); returns how many.
  std::size_t AdoptJoinedBanks();

  bool Start(std::size_t i);
  bool StartAll();
  // Sends `signal` to node i and reaps it; returns its exit code (128+signal if killed).
  int Stop(std::size_t i, int signal = SIGTERM);
  // Sends `signal` to node i without waiting (SIGSTOP / SIGCONT: a hung, then resumed node).
  void Signal(std::size_t i, int signal) { processes_[i]->Signal(signal, false); }
  bool running(std::size_t i) { return processes_[i]->running(); }
  // The process id of node i (-1 if it was never started).
  pid_t pid(std::size_t i) const { return processes_[i]->pid(); }

  boost::json::value Rpc(std::size_t i, const std::string& method,
                         const boost::json::value& params = nullptr) const;
  // The "result" of a call, or null (an error or no answer).
  boost::json::value Result(std::size_t i, const std::string& method,
                            const boost::json::value& params = nullptr) const;

  // Height of node i (getBlockNumber), or 0 if it does not answer.
  std::uint64_t Height(std::size_t i) const;
  // Connected peers of node i (getPeers).
  std::size_t ConnectedPeers(std::size_t i) const;

  // A transaction as JSON (docs/api.md), signed with `signer_bank`'s client key, as the hex the
  // sendTransaction method takes. Fails the test (ADD_FAILURE) and returns "" if it cannot.
  std::string Sign(std::size_t signer_bank, const std::string& tx_json) const;
  // sendTransaction to node i; the response object.
  boost::json::value Send(std::size_t i, const std::string& tx_hex) const;

  std::string Log(std::size_t i) const;

  // Polls `condition` every 50 ms until it holds or `timeout_ms` passes.
  static bool WaitUntil(const std::function<bool()>& condition, int timeout_ms);

 private:
  LocalNetwork() = default;

  std::string root_;
  std::string chain_id_;
  std::string suite_;
  int base_port_ = 0;
  std::vector<NetworkBank> banks_;
  std::vector<std::unique_ptr<testutil::ChildProcess>> processes_;
};

}  // namespace colend::e2e

#endif  // COLEND_TESTS_E2E_LOCAL_NETWORK_H_
