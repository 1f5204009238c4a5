#include "network_dir.h"

#include <system_error>
#include <utility>

#include <boost/json.hpp>

#include "colend/common/files.h"
#include "colend/crypto/secret.h"
#include "colend/crypto/suite.h"
#include "join_proposals.h"

namespace colend::netgen {

namespace fs = std::filesystem;
namespace json = boost::json;

Result<HostPort> ParseHostPort(std::string_view text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon + 1 >= text.size()) {
    return Status::InvalidArgument("\"" + std::string(text) + "\" is not host:port");
  }
  HostPort hp;
  hp.host = std::string(text.substr(0, colon));
  if (hp.host.size() >= 2 && hp.host.front() == '[' && hp.host.back() == ']') {
    hp.host = hp.host.substr(1, hp.host.size() - 2);
  }
  unsigned port = 0;
  for (char c : text.substr(colon + 1)) {
    if (c < '0' || c > '9' || port > 65535) {
      return Status::InvalidArgument("\"" + std::string(text) + "\" has no port number");
    }
    port = port * 10 + static_cast<unsigned>(c - '0');
  }
  if (port == 0 || port > 65535) {
    return Status::InvalidArgument("\"" + std::string(text) + "\" has no port number");
  }
  hp.port = static_cast<std::uint16_t>(port);
  return hp;
}

namespace {

Result<ListedBank> ReadListedBank(const json::value& value, std::size_t index) {
  const std::string where = "network.json banks[" + std::to_string(index) + "]";
  if (!value.is_object()) return Status::InvalidArgument(where + " is not an object");
  const json::object& o = value.as_object();
  ListedBank bank;
  COLEND_ASSIGN_OR_RETURN(bank.id, StringField(o, "id", where));
  COLEND_ASSIGN_OR_RETURN(bank.node_id, StringField(o, "node_id", where));
  COLEND_ASSIGN_OR_RETURN(const std::string p2p, StringField(o, "p2p", where));
  COLEND_ASSIGN_OR_RETURN(bank.p2p, ParseHostPort(p2p));
  COLEND_ASSIGN_OR_RETURN(std::string rpc, StringField(o, "rpc", where));
  if (rpc.rfind("http://", 0) == 0) rpc = rpc.substr(7);
  COLEND_ASSIGN_OR_RETURN(bank.rpc, ParseHostPort(rpc));
  COLEND_ASSIGN_OR_RETURN(bank.client_key, StringField(o, "client_key", where));
  bank.has_token = o.contains("rpc_token_file");
  return bank;
}

}  // namespace

Result<Network> ReadNetwork(const fs::path& root) {
  const std::string not_a_network = root.string() + " is not a network made by colend-netgen: ";
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    return Status::FailedPrecondition(not_a_network + "no such directory");
  }
  for (const char* file : {"network.json", "ca/ca.crt.pem"}) {
    if (!fs::is_regular_file(root / file, ec)) {
      return Status::FailedPrecondition(not_a_network + "it has no " + file);
    }
  }
  if (!fs::is_regular_file(root / "ca" / "ca.key.pem", ec)) {
    return Status::FailedPrecondition(
        "the consortium CA key " + (root / "ca" / "ca.key.pem").string() +
        " is missing: run join where the CA key is kept (it issues the new node's certificate)");
  }
  Network net;
  net.root = root;
  COLEND_ASSIGN_OR_RETURN(const std::string manifest_text,
                          ReadWholeFile((root / "network.json").string()));
  json::error_code jec;
  json::value manifest = json::parse(manifest_text, jec);
  if (jec || !manifest.is_object() || !manifest.as_object().contains("banks") ||
      !manifest.at("banks").is_array()) {
    return Status::FailedPrecondition(not_a_network +
                                      "network.json is not a manifest with a \"banks\" array");
  }
  net.manifest = std::move(manifest.as_object());
  const json::array& banks = net.manifest.at("banks").as_array();
  for (std::size_t i = 0; i < banks.size(); ++i) {
    Result<ListedBank> bank = ReadListedBank(banks[i], i);
    if (!bank.ok()) return Status::FailedPrecondition(not_a_network + bank.status().message());
    net.banks.push_back(std::move(bank).value());
  }
  if (net.banks.empty()) return Status::FailedPrecondition(not_a_network + "it lists no bank");
  std::string genesis = "genesis.json";
  if (const json::value* g = net.manifest.if_contains("genesis"); g != nullptr && g->is_string()) {
    genesis = std::string(g->as_string());
  }
  net.genesis_file = (root / genesis).lexically_normal();
  Result<std::string> genesis_text = ReadWholeFile(net.genesis_file.string());
  if (!genesis_text.ok()) {
    return Status::FailedPrecondition(not_a_network + genesis_text.status().message());
  }
  Result<contracts::Genesis> parsed = contracts::ParseGenesis(*genesis_text);
  if (!parsed.ok()) {
    return Status::FailedPrecondition(net.genesis_file.string() +
                                      " does not parse: " + parsed.status().message());
  }
  net.genesis = std::move(parsed).value();
  net.local_scripts =
      fs::is_regular_file(root / "start.sh", ec) && fs::is_regular_file(root / "stop.sh", ec);
  return net;
}

Result<Network> OpenNetwork(const fs::path& named) {
  std::error_code ec;
  const fs::path root = fs::absolute(named, ec).lexically_normal();
  if (ec || named.empty()) return Status::InvalidArgument("--network: name the network's directory");
  return ReadNetwork(root);
}

Result<std::vector<proto::Validator>> CurrentValidators(const Network& net,
                                                        const fs::path& validators_json) {
  if (validators_json.empty()) return net.genesis.validators;
  return ReadValidatorsJson(validators_json, net.genesis.suite);
}

crypto::CryptoSuite TlsSuite(crypto::CryptoSuite chain) {
  return chain == crypto::CryptoSuite::Sm() ? crypto::CryptoSuite::Standard() : chain;
}

Result<CertificateAuthority> LoadCertificateAuthority(const Network& net) {
  const crypto::CryptoSuite suite = TlsSuite(net.genesis.suite);
  COLEND_ASSIGN_OR_RETURN(std::string cert_pem,
                          ReadWholeFile((net.root / "ca" / "ca.crt.pem").string()));
  COLEND_ASSIGN_OR_RETURN(std::string key_pem,
                          ReadSecretWholeFile((net.root / "ca" / "ca.key.pem").string(), 64 << 10));
  const crypto::WipeOnExit wipe(key_pem);
  Result<crypto::PrivateKey> key = crypto::PrivateKey::FromPem(suite, key_pem);
  if (!key.ok()) {
    return Status::FailedPrecondition("ca/ca.key.pem is not a " + std::string(suite.name()) +
                                      " key, as the chain's CA must be: " +
                                      key.status().message());
  }
  return CertificateAuthority{std::move(cert_pem), std::move(key).value()};
}

}  // namespace colend::netgen
