#include "local_network.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <boost/json.hpp>

#include "colend/common/bytes.h"
#include "colend/contracts/tx_decode.h"
#include "colend/contracts/tx_json.h"
#include "colend/crypto/keys.h"
#include "colend/crypto/suite.h"
#include "colend/testutil/rpc_client.h"

namespace colend::e2e {
namespace {

// One entry of network.json's "banks", its paths made absolute under `root`.
NetworkBank BankOfManifest(const boost::json::value& b, const std::string& root) {
  NetworkBank bank;
  bank.id = std::string(b.at("id").as_string());
  bank.node_id = std::string(b.at("node_id").as_string());
  const std::string rpc(b.at("rpc").as_string());
  bank.rpc_port = static_cast<std::uint16_t>(std::stoi(rpc.substr(rpc.rfind(':') + 1)));
  bank.client_key_file = root + "/" + std::string(b.at("client_key").as_string());
  bank.config_file = root + "/" + std::string(b.at("config").as_string());
  bank.log_file = root + "/" + std::string(b.at("log").as_string());
  if (const boost::json::value* p2p = b.as_object().if_contains("p2p")) {
    const std::string address(p2p->as_string());
    bank.p2p_port = static_cast<std::uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));
  }
  // Networks made with --rpc-tokens: every call carries the node's bearer token.
  if (const boost::json::value* token = b.as_object().if_contains("rpc_token_file")) {
    std::string text = testutil::ReadFile(root + "/" + std::string(token->as_string()));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    bank.rpc_token = std::move(text);
  }
  return bank;
}

}  // namespace

std::unique_ptr<LocalNetwork> LocalNetwork::Create(const std::string& dir,
                                                   const std::vector<std::string>& banks,
                                                   const std::string& extra_netgen_args,
                                                   std::string* error, int base_port) {
  std::error_code mkdir_error;
  std::filesystem::create_directories(dir, mkdir_error);
  if (mkdir_error) {
    *error = "cannot create " + dir + ": " + mkdir_error.message();
    return nullptr;
  }
  std::unique_ptr<LocalNetwork> net(new LocalNetwork());
  net->root_ = dir + "/net";
  std::string list;
  for (const std::string& b : banks) list += (list.empty() ? "" : ",") + b;
  const int base =
      base_port != 0 ? base_port : testutil::FreePortRun(static_cast<int>(2 * banks.size()));
  net->base_port_ = base;
  const std::string command = std::string(COLEND_NETGEN_PATH) + " --banks " + list + " --out " +
                              net->root_ + " --localnet --base-port " + std::to_string(base) +
                              " " + extra_netgen_args;
  const testutil::RunResult r = testutil::RunCommand(command);
  if (r.exit_code != 0) {
    *error = command + " failed: " + r.output;
    return nullptr;
  }
  boost::system::error_code ec;
  const boost::json::value manifest =
      boost::json::parse(testutil::ReadFile(net->root_ + "/network.json"), ec);
  if (ec || !manifest.is_object()) {
    *error = "network.json does not parse";
    return nullptr;
  }
  net->chain_id_ = std::string(manifest.at("chain_id").as_string());
  net->suite_ = std::string(manifest.at("crypto_suite").as_string());
  for (const boost::json::value& b : manifest.at("banks").as_array()) {
    net->banks_.push_back(BankOfManifest(b, net->root_));
    net->processes_.push_back(std::make_unique<testutil::ChildProcess>());
  }
  return net;
}

std::size_t LocalNetwork::AdoptJoinedBanks() {
  boost::system::error_code ec;
  const boost::json::value manifest =
      boost::json::parse(testutil::ReadFile(root_ + "/network.json"), ec);
  if (ec || !manifest.is_object()) {
    ADD_FAILURE() << "network.json does not parse";
    return 0;
  }
  std::size_t added = 0;
  for (const boost::json::value& b : manifest.at("banks").as_array()) {
    NetworkBank bank = BankOfManifest(b, root_);
    bool known = false;
    for (const NetworkBank& have : banks_) known = known || have.id == bank.id;
    if (known) continue;
    banks_.push_back(std::move(bank));
    processes_.push_back(std::make_unique<testutil::ChildProcess>());
    ++added;
  }
  return added;
}

LocalNetwork::~LocalNetwork() {
  for (std::size_t i = 0; i < processes_.size(); ++i) {
    if (processes_[i]->running()) processes_[i]->Signal(SIGKILL);
  }
}

bool LocalNetwork::Start(std::size_t i) {
  if (processes_[i]->running()) return true;
  if (!processes_[i]->Start({COLEND_NODE_PATH, "--config", banks_[i].config_file},
                            banks_[i].log_file)) {
    return false;
  }
  // Up when its RPC answers.
  return WaitUntil([&] { return !Rpc(i, "getBlockNumber").is_null(); }, 20000);
}

bool LocalNetwork::StartAll() {
  for (std::size_t i = 0; i < size(); ++i) {
    if (!processes_[i]->Start({COLEND_NODE_PATH, "--config", banks_[i].config_file},
                              banks_[i].log_file)) {
      return false;
    }
  }
  for (std::size_t i = 0; i < size(); ++i) {
    if (!WaitUntil([&] { return !Rpc(i, "getBlockNumber").is_null(); }, 20000)) return false;
  }
  // Everyone connected to everyone.
  for (std::size_t i = 0; i < size(); ++i) {
    if (!WaitUntil([&] { return ConnectedPeers(i) + 1 == size(); }, 20000)) return false;
  }
  return true;
}

int LocalNetwork::Stop(std::size_t i, int signal) { return processes_[i]->Signal(signal, true); }

boost::json::value LocalNetwork::Rpc(std::size_t i, const std::string& method,
                                     const boost::json::value& params) const {
  return testutil::RpcCall("127.0.0.1", banks_[i].rpc_port, method, params, banks_[i].rpc_token);
}

boost::json::value LocalNetwork::Result(std::size_t i, const std::string& method,
                                        const boost::json::value& params) const {
  const boost::json::value r = Rpc(i, method, params);
  if (!r.is_object() || !r.as_object().contains("result")) return nullptr;
  return r.at("result");
}

std::uint64_t LocalNetwork::Height(std::size_t i) const {
  const boost::json::value r = Result(i, "getBlockNumber");
  if (r.is_uint64()) return r.as_uint64();
  if (r.is_int64()) return static_cast<std::uint64_t>(r.as_int64());
  return 0;
}

std::size_t LocalNetwork::ConnectedPeers(std::size_t i) const {
  const boost::json::value r = Result(i, "getPeers");
  const boost::json::array* peers = nullptr;
  if (r.is_array()) peers = &r.as_array();
  if (r.is_object() && r.as_object().contains("peers")) peers = &r.at("peers").as_array();
  if (peers == nullptr) return 0;
  std::size_t n = 0;
  for (const boost::json::value& p : *peers) {
    if (p.is_object() && p.as_object().contains("connected") && p.at("connected").as_bool()) ++n;
  }
  return n;
}

std::string LocalNetwork::Sign(std::size_t signer_bank, const std::string& tx_json) const {
  colend::Result<crypto::CryptoSuite> suite = crypto::CryptoSuite::FromName(suite_);
  colend::Result<crypto::PrivateKey> key =
      crypto::PrivateKey::FromPem(*suite, testutil::ReadFile(banks_[signer_bank].client_key_file));
  colend::Result<proto::TransactionBody> body = contracts::TransactionBodyFromJson(tx_json);
  if (!key.ok() || !body.ok()) {
    ADD_FAILURE() << "cannot sign " << tx_json << ": " << key.status() << " " << body.status();
    return "";
  }
  body->set_chain_id(chain_id_);
  colend::Result<Bytes> signed_tx = contracts::SignTransaction(*body, *key);
  if (!signed_tx.ok()) {
    ADD_FAILURE() << signed_tx.status();
    return "";
  }
  return ToHex(*signed_tx);
}

boost::json::value LocalNetwork::Send(std::size_t i, const std::string& tx_hex) const {
  return Rpc(i, "sendTransaction", boost::json::object{{"tx", tx_hex}});
}

std::string LocalNetwork::Log(std::size_t i) const { return testutil::ReadFile(banks_[i].log_file); }

bool LocalNetwork::WaitUntil(const std::function<bool()>& condition, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return condition();
}

}  // namespace colend::e2e
