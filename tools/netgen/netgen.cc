#include "netgen.h"

#include <algorithm>
#include <map>
#include <regex>
#include <set>
#include <system_error>
#include <utility>

#include <boost/json.hpp>

#include "colend/common/bytes.h"
#include "colend/contracts/genesis.h"
#include "colend/crypto/keys.h"
#include "colend/crypto/suite.h"
#include "colend/crypto/x509.h"
#include "colend/node/config.h"
#include "network_dir.h"
#include "network_files.h"

namespace colend::netgen {
namespace {

namespace fs = std::filesystem;

constexpr std::uint32_t kCaValidityDays = 3650;

struct Bank {
  std::string id;
  std::string node_id;
  std::uint16_t p2p_port = 0;
  std::uint16_t rpc_port = 0;
  std::string host;
  fs::path dir;
  std::string client_key_id_hex;
};

Status Check(const NetgenOptions& o) {
  if (o.banks.empty()) return Status::InvalidArgument("--banks: name at least one bank");
  static const std::regex kBankId("[A-Z0-9_]{1,32}");
  std::set<std::string> seen;
  for (const std::string& b : o.banks) {
    if (!std::regex_match(b, kBankId)) {
      return Status::InvalidArgument("--banks: \"" + b + "\" is not a bank id (1-32 of A-Z 0-9 _)");
    }
    if (!seen.insert(b).second) return Status::InvalidArgument("--banks: \"" + b + "\" is named twice");
  }
  if (o.out.empty()) return Status::InvalidArgument("--out: name the output directory");
  if (o.crypto != "standard" && o.crypto != "sm") {
    return Status::InvalidArgument("--crypto: \"" + o.crypto + "\" is not standard or sm");
  }
  const std::uint32_t last_port = static_cast<std::uint32_t>(o.base_port) + 2 * o.banks.size();
  if (o.base_port < 1024 || last_port > 65535) {
    return Status::InvalidArgument("--base-port: " + std::to_string(o.base_port) +
                                   " leaves no room for " + std::to_string(o.banks.size()) +
                                   " nodes below 65536 (use 1024-" +
                                   std::to_string(65535 - 2 * o.banks.size()) + ")");
  }
  return Status::Ok();
}

}  // namespace

Status Generate(const NetgenOptions& options, std::ostream& out) {
  COLEND_RETURN_IF_ERROR(Check(options));
  COLEND_ASSIGN_OR_RETURN(crypto::CryptoSuite suite, crypto::CryptoSuite::FromName(options.crypto));
  std::error_code ec;
  const fs::path root = fs::absolute(options.out, ec).lexically_normal();
  if (ec) return Status::InvalidArgument("--out: " + ec.message());
  if (fs::exists(root) && !(fs::is_directory(root) && fs::is_empty(root))) {
    return Status::AlreadyExists(root.string() +
                                 " exists and is not empty; refusing to overwrite a network");
  }
  COLEND_RETURN_IF_ERROR(MakePrivateDirectory(root / "ca"));

  // The CA. On an sm chain it is a P-256 *transport* CA: OpenSSL 3.0's TLS 1.3 cannot sign
  // with SM2, so each node's TLS certificate holds a P-256 transport key, bound to its SM2
  // node key by a signature in every Hello (docs/sm.md).
  const crypto::CryptoSuite tls_suite = TlsSuite(suite);
  const bool sm_transport = !(tls_suite == suite);
  COLEND_ASSIGN_OR_RETURN(crypto::PrivateKey ca_key, crypto::PrivateKey::Generate(tls_suite));
  COLEND_ASSIGN_OR_RETURN(std::string ca_pem,
                          crypto::MakeCaCertificate(ca_key, "colend consortium CA " + options.chain_id,
                                                    kCaValidityDays));
  COLEND_RETURN_IF_ERROR(WriteSecret(root / "ca" / "ca.key.pem", ca_key));
  COLEND_RETURN_IF_ERROR(WritePublic(root / "ca" / "ca.crt.pem", ca_pem));

  // Each bank: node key and certificate, client key.
  contracts::Genesis genesis;
  genesis.chain_id = options.chain_id;
  genesis.suite = suite;
  genesis.consortium_ca_pem = ca_pem;
  genesis.consensus.batch_timeout_ms = options.batch_timeout_ms;
  genesis.consensus.view_change_timeout_ms = options.view_change_timeout_ms;
  std::vector<Bank> banks;
  for (std::size_t i = 0; i < options.banks.size(); ++i) {
    Bank bank;
    bank.id = options.banks[i];
    bank.node_id = bank.id + "-1";
    bank.dir = root / bank.id;
    if (options.localnet) {
      bank.host = "127.0.0.1";
      bank.p2p_port = static_cast<std::uint16_t>(options.base_port + 2 * i);
      bank.rpc_port = static_cast<std::uint16_t>(options.base_port + 2 * i + 1);
    } else {
      bank.host = Lower(bank.id) + ".colend.internal";
      bank.p2p_port = options.base_port;
      bank.rpc_port = static_cast<std::uint16_t>(options.base_port + 1);
    }
    COLEND_RETURN_IF_ERROR(MakePrivateDirectory(bank.dir));
    COLEND_RETURN_IF_ERROR(MakePrivateDirectory(bank.dir / "data"));

    COLEND_ASSIGN_OR_RETURN(crypto::PrivateKey node_key, crypto::PrivateKey::Generate(suite));
    COLEND_ASSIGN_OR_RETURN(crypto::PrivateKey client_key, crypto::PrivateKey::Generate(suite));
    COLEND_RETURN_IF_ERROR(WriteSecret(bank.dir / "node.key.pem", node_key));
    if (sm_transport) {
      COLEND_ASSIGN_OR_RETURN(crypto::PrivateKey transport_key,
                              crypto::PrivateKey::Generate(tls_suite));
      COLEND_ASSIGN_OR_RETURN(
          std::string cert, crypto::IssueNodeCertificate(ca_key, ca_pem, transport_key.public_key(),
                                                         bank.node_id, kNodeValidityDays));
      COLEND_RETURN_IF_ERROR(WriteSecret(bank.dir / "transport.key.pem", transport_key));
      COLEND_RETURN_IF_ERROR(WritePublic(bank.dir / "transport.crt.pem", cert));
    } else {
      COLEND_ASSIGN_OR_RETURN(std::string cert,
                              crypto::IssueNodeCertificate(ca_key, ca_pem, node_key.public_key(),
                                                           bank.node_id, kNodeValidityDays));
      COLEND_RETURN_IF_ERROR(WritePublic(bank.dir / "node.crt.pem", cert));
    }
    COLEND_RETURN_IF_ERROR(WriteSecret(bank.dir / "client.key.pem", client_key));

    contracts::GenesisMember member;
    member.id = bank.id;
    member.legal_name = bank.id + " (co-lending member)";
    proto::ClientKey client;
    const Bytes& key_id = client_key.public_key().key_id();
    client.set_key_id(std::string(key_id.begin(), key_id.end()));
    COLEND_ASSIGN_OR_RETURN(Bytes client_der, client_key.public_key().ToDer());
    client.set_public_key(std::string(client_der.begin(), client_der.end()));
    member.client_keys.push_back(std::move(client));
    genesis.members.push_back(std::move(member));
    bank.client_key_id_hex = ToHex(key_id);

    proto::Validator validator;
    validator.set_node_id(bank.node_id);
    validator.set_member_id(bank.id);
    COLEND_ASSIGN_OR_RETURN(Bytes node_der, node_key.public_key().ToDer());
    validator.set_public_key(std::string(node_der.begin(), node_der.end()));
    genesis.validators.push_back(std::move(validator));
    banks.push_back(std::move(bank));
  }
  std::sort(genesis.validators.begin(), genesis.validators.end(),
            [](const proto::Validator& a, const proto::Validator& b) {
              return a.node_id() < b.node_id();
            });
  const std::string genesis_json = contracts::GenesisToJson(genesis);
  // What we wrote must be what every node will accept.
  COLEND_RETURN_IF_ERROR(contracts::ParseGenesis(genesis_json).status());
  COLEND_RETURN_IF_ERROR(WritePublic(root / "genesis.json", genesis_json));

  // Node configurations: no secret in them, only the names of the files that hold them.
  const bool rpc_tokens = options.rpc_tokens || !options.localnet;
  for (const Bank& bank : banks) {
    node::NodeConfig config;
    config.node_id = bank.node_id;
    config.data_dir = bank.dir / "data";
    config.genesis_file = root / "genesis.json";
    config.p2p_host = options.localnet ? "127.0.0.1" : "0.0.0.0";
    config.p2p_port = bank.p2p_port;
    for (const Bank& peer : banks) {
      if (peer.id == bank.id) continue;
      config.peers.push_back(node::PeerAddress{peer.node_id, peer.host, peer.p2p_port});
    }
    config.node_key_file = bank.dir / "node.key.pem";
    if (sm_transport) {
      config.transport_key_file = bank.dir / "transport.key.pem";
      config.transport_cert_file = bank.dir / "transport.crt.pem";
    } else {
      config.node_cert_file = bank.dir / "node.crt.pem";
    }
    config.ca_cert_file = root / "ca" / "ca.crt.pem";
    config.rpc_host = "127.0.0.1";
    config.rpc_port = bank.rpc_port;
    if (rpc_tokens) {
      config.rpc_token_file = bank.dir / "rpc.token";
      COLEND_RETURN_IF_ERROR(WriteToken(config.rpc_token_file));
    }
    if (options.localnet) {
      // Every node of a local network shares one machine: one RPC worker and one extra
      // verifier thread each keep 4 nodes from oversubscribing a small host (measured on 2
      // cores: p99 at 2,300 tx/s fell from ~700 ms to ~175 ms). Real deployments keep the
      // defaults, one node per machine.
      config.rpc_threads = 1;
      config.verifier_threads = 1;
    }
    COLEND_RETURN_IF_ERROR(WritePublic(bank.dir / "node.toml", node::NodeConfigToToml(config)));
  }

  // The manifest the tools read.
  boost::json::object manifest;
  manifest["chain_id"] = options.chain_id;
  manifest["crypto_suite"] = options.crypto;
  manifest["genesis"] = "genesis.json";
  boost::json::array list;
  for (const Bank& bank : banks) {
    boost::json::object b;
    b["id"] = bank.id;
    b["node_id"] = bank.node_id;
    b["rpc"] = "http://" + bank.host + ":" + std::to_string(bank.rpc_port);
    b["p2p"] = bank.host + ":" + std::to_string(bank.p2p_port);
    b["client_key"] = bank.id + "/client.key.pem";
    b["client_key_id"] = bank.client_key_id_hex;
    if (rpc_tokens) b["rpc_token_file"] = bank.id + "/rpc.token";
    b["config"] = bank.id + "/node.toml";
    b["log"] = bank.id + "/node.log";
    list.push_back(std::move(b));
  }
  manifest["banks"] = std::move(list);
  COLEND_RETURN_IF_ERROR(
      WritePublic(root / "network.json", boost::json::serialize(manifest) + "\n"));

  if (options.localnet) {
    const fs::path binary = options.node_binary.empty() ? DefaultNodeBinary() : options.node_binary;
    std::vector<ScriptedNode> scripted;
    for (const Bank& b : banks) scripted.push_back({b.id, b.node_id, b.host, b.rpc_port});
    COLEND_RETURN_IF_ERROR(WriteScript(root / "start.sh", StartScript(scripted, binary)));
    COLEND_RETURN_IF_ERROR(WriteScript(root / "stop.sh", StopScript(scripted)));
  }

  out << "colend-netgen: chain " << options.chain_id << " (" << options.crypto << ") in "
      << root.string() << "\n";
  for (const Bank& bank : banks) {
    out << "  " << bank.id << ": node " << bank.node_id << " p2p " << bank.host << ":"
        << bank.p2p_port << ", rpc http://127.0.0.1:" << bank.rpc_port << ", client key id "
        << bank.client_key_id_hex << "\n";
  }
  out << "  CA key: " << (root / "ca" / "ca.key.pem").string()
      << " (keep it offline; nodes need only ca.crt.pem)\n";
  if (rpc_tokens) {
    out << "  RPC tokens: <BANK>/rpc.token, one per node (mode 0600; clients: --token-file)\n";
  }
  if (options.localnet) out << "  start: " << (root / "start.sh").string() << "\n";
  return Status::Ok();
}

}  // namespace colend::netgen
