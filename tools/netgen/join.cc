#include "join.h"

#include <algorithm>
#include <optional>
#include <regex>
#include <set>
#include <system_error>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "colend/common/bytes.h"
#include "colend/common/files.h"
#include "colend/contracts/genesis.h"
#include "colend/crypto/keys.h"
#include "colend/crypto/secret.h"
#include "colend/crypto/suite.h"
#include "colend/crypto/x509.h"
#include "colend/node/config.h"
#include "join_proposals.h"
#include "network_dir.h"
#include "network_files.h"

namespace colend::netgen {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr char kAddMemberFile[] = "join-1-add-member.json";
constexpr char kValidatorSetFile[] = "join-2-change-validator-set.json";

// Where the new node listens and how the others reach it.
struct Placement {
  std::string host;
  std::string listen_host;
  std::uint16_t p2p_port = 0;
  std::uint16_t rpc_port = 0;
};

Status CheckNewIds(const JoinOptions& o, const Network& net,
                   const std::vector<proto::Validator>& validators) {
  static const std::regex kBankId("[A-Z0-9_]{1,32}");
  static const std::regex kNodeId("[A-Za-z0-9._:-]{1,64}");
  if (!std::regex_match(o.bank, kBankId)) {
    return Status::InvalidArgument("--bank: \"" + o.bank +
                                   "\" is not a bank id (1-32 of A-Z 0-9 _)");
  }
  if (!std::regex_match(o.node_id, kNodeId)) {
    return Status::InvalidArgument("--node-id: \"" + o.node_id +
                                   "\" is not a node id (1-64 letters, digits or . _ : -)");
  }
  const auto exists = [&](const std::string& what) {
    return Status::AlreadyExists(what + "; a joining bank needs a new id");
  };
  for (const ListedBank& b : net.banks) {
    if (b.id == o.bank) return exists("bank " + o.bank + " is already in network.json");
    if (b.node_id == o.node_id) {
      return exists("node " + o.node_id + " is already in network.json (bank " + b.id + ")");
    }
  }
  for (const contracts::GenesisMember& m : net.genesis.members) {
    if (m.id == o.bank) return exists("bank " + o.bank + " is already a member in genesis.json");
  }
  for (const auto* set : {&net.genesis.validators, &validators}) {
    for (const proto::Validator& v : *set) {
      if (v.node_id() == o.node_id) {
        return exists("node " + o.node_id + " is already a validator (of " + v.member_id() + ")");
      }
      if (v.member_id() == o.bank) {
        return exists("bank " + o.bank + " already runs validator " + v.node_id());
      }
    }
  }
  std::error_code ec;
  if (fs::exists(net.root / o.bank, ec)) {
    return exists((net.root / o.bank).string() + " already exists");
  }
  if (!o.proposer.empty() &&
      std::none_of(net.banks.begin(), net.banks.end(),
                   [&](const ListedBank& b) { return b.id == o.proposer; })) {
    return Status::InvalidArgument("--proposer: \"" + o.proposer +
                                   "\" is not a bank of network.json");
  }
  return Status::Ok();
}

Result<Placement> Place(const JoinOptions& o, const Network& net, bool local) {
  std::set<std::uint32_t> taken;
  for (const ListedBank& b : net.banks) {
    taken.insert(b.p2p.port);
    taken.insert(b.rpc.port);
  }
  Placement p;
  if (!local) {
    p.host = Lower(o.bank) + ".colend.internal";
    p.listen_host = "0.0.0.0";
    p.p2p_port = o.base_port.value_or(net.banks.front().p2p.port);
    if (p.p2p_port == 65535) return Status::InvalidArgument("--base-port: leaves no RPC port");
    p.rpc_port = static_cast<std::uint16_t>(p.p2p_port + 1);
    return p;
  }
  p.host = "127.0.0.1";
  p.listen_host = "127.0.0.1";
  const std::uint32_t base = o.base_port.has_value() ? *o.base_port : *taken.rbegin() + 1;
  if (base < 1024 || base + 1 > 65535) {
    return Status::InvalidArgument("--base-port: " + std::to_string(base) +
                                   " leaves no room for a p2p and an RPC port (use 1024-65534)");
  }
  for (std::uint32_t port : {base, base + 1}) {
    if (taken.count(port) != 0) {
      return Status::InvalidArgument("--base-port: port " + std::to_string(port) +
                                     " is taken by a node of this network");
    }
  }
  p.p2p_port = static_cast<std::uint16_t>(base);
  p.rpc_port = static_cast<std::uint16_t>(base + 1);
  return p;
}

std::string PeerBlock(const JoinOptions& o, const Placement& p) {
  const std::string address =
      (p.host.find(':') != std::string::npos ? "[" + p.host + "]" : p.host) + ":" +
      std::to_string(p.p2p_port);
  return "\n     [[p2p.peers]]\n     id = \"" + o.node_id + "\"\n     address = \"" + address +
         "\"\n";
}

// Approvals that pass a proposal among n active members: the least a with 3a >= 2n.
std::size_t Approvals(std::size_t n) {
  return (2 * n + 2) / 3;
}

void PrintNextSteps(const JoinOptions& o, const Network& net, const Placement& p,
                    const fs::path& bank_dir, const std::string& proposer, std::ostream& out) {
  const ListedBank* lead = &net.banks.front();
  for (const ListedBank& b : net.banks) {
    if (b.id == proposer) lead = &b;
  }
  const std::string rpc = "http://" + lead->rpc.host + ":" + std::to_string(lead->rpc.port);
  const std::size_t members = net.genesis.members.size();
  const std::uint32_t g = net.genesis.consensus.execution_lag + 2;
  out << "Next steps:\n"
      << "  1. Start " << o.bank << "'s node: colend-node --config "
      << (bank_dir / "node.toml").string()
      << (net.local_scripts || o.localnet ? " (or ./start.sh, which now starts it too)" : "")
      << ". Until the members vote it in, it follows the chain as an observer: it fetches "
         "the blocks but does not vote.\n"
      << "  2. " << proposer << " proposes admitting " << o.bank << ": colend-cli send --rpc "
      << rpc << " --key " << (net.root / lead->client_key).string() << " "
      << (bank_dir / kAddMemberFile).string()
      << " --wait (another member may send it instead, after changing \"signer\").\n"
      << "  3. The members vote on " << AddMemberProposalId(o.bank)
      << " until two thirds of the active members approve (" << Approvals(members) << " of "
      << members
      << " if no member joined or left since genesis), each with its own key: "
         "colend-cli governance vote --rpc <its node> --key <BANK>/client.key.pem --signer "
         "<BANK> "
      << AddMemberProposalId(o.bank) << " approve.\n"
      << "  4. Once colend-cli governance list shows it PASSED, " << proposer
      << " proposes the new validator set the same way: " << (bank_dir / kValidatorSetFile).string()
      << " (it must be sent after the first has passed, and only while the validator set is "
         "still the one it extends).\n"
      << "  5. The members vote on " << ValidatorSetProposalId(o.bank) << ", " << o.bank
      << " included, until two thirds approve (" << Approvals(members + 1) << " of " << members + 1
      << "). " << o.bank
      << " may vote through its own node: an observer relays its clients' transactions to "
         "the validators.\n"
      << "  6. The new set orders blocks from " << g
      << " blocks after the block holding the deciding vote; colend-cli validators shows it as "
         "decided, then in force. From then on "
      << o.node_id << " votes.\n";
  out << "  7. Each member adds " << o.node_id
      << " to the peers in its node's node.toml, read at the node's next start (whenever "
         "convenient: a listed peer that is not a validator yet is ignored, and until the "
         "members have its address "
      << o.node_id << " dials them itself):" << PeerBlock(o, p);
}

}  // namespace

Status Join(const JoinOptions& options, std::ostream& out) {
  JoinOptions o = options;
  if (o.node_id.empty()) o.node_id = o.bank + "-1";
  if (o.legal_name.empty()) o.legal_name = o.bank + " (co-lending member)";
  // Everything is checked before anything is written.
  COLEND_ASSIGN_OR_RETURN(const Network net, OpenNetwork(o.network));
  const fs::path& root = net.root;
  const crypto::CryptoSuite suite = net.genesis.suite;
  COLEND_ASSIGN_OR_RETURN(const std::vector<proto::Validator> validators,
                          CurrentValidators(net, o.validators_json));
  COLEND_RETURN_IF_ERROR(CheckNewIds(o, net, validators));
  const std::string proposer = o.proposer.empty() ? net.banks.front().id : o.proposer;
  const bool local = o.localnet || net.local_scripts;
  COLEND_ASSIGN_OR_RETURN(const Placement place, Place(o, net, local));
  COLEND_ASSIGN_OR_RETURN(const CertificateAuthority ca, LoadCertificateAuthority(net));

  // The bank's keys, certificate and governance transactions.
  COLEND_ASSIGN_OR_RETURN(crypto::PrivateKey node_key, crypto::PrivateKey::Generate(suite));
  // The TLS certificate holds the node key, or on an sm chain a P-256 transport key that the
  // node binds to its SM2 key in every Hello (docs/sm.md).
  const bool transport = !(TlsSuite(suite) == suite);
  std::optional<crypto::PrivateKey> transport_key;
  if (transport) {
    COLEND_ASSIGN_OR_RETURN(transport_key, crypto::PrivateKey::Generate(TlsSuite(suite)));
  }
  COLEND_ASSIGN_OR_RETURN(
      std::string cert,
      crypto::IssueNodeCertificate(ca.key, ca.cert_pem,
                                   transport ? transport_key->public_key() : node_key.public_key(),
                                   o.node_id, kNodeValidityDays));
  COLEND_ASSIGN_OR_RETURN(crypto::PrivateKey client_key, crypto::PrivateKey::Generate(suite));
  COLEND_ASSIGN_OR_RETURN(const std::string add_member,
                          AddMemberJson(o.bank, o.legal_name, proposer, client_key.public_key()));
  COLEND_ASSIGN_OR_RETURN(
      const std::string validator_set,
      ValidatorSetJson(o.bank, o.node_id, proposer, validators, node_key.public_key()));

  const fs::path dir = root / o.bank;
  COLEND_RETURN_IF_ERROR(MakePrivateDirectory(dir));
  COLEND_RETURN_IF_ERROR(MakePrivateDirectory(dir / "data"));
  COLEND_RETURN_IF_ERROR(WriteSecret(dir / "node.key.pem", node_key));
  if (transport) {
    COLEND_RETURN_IF_ERROR(WriteSecret(dir / "transport.key.pem", *transport_key));
    COLEND_RETURN_IF_ERROR(WritePublic(dir / "transport.crt.pem", cert));
  } else {
    COLEND_RETURN_IF_ERROR(WritePublic(dir / "node.crt.pem", cert));
  }
  COLEND_RETURN_IF_ERROR(WriteSecret(dir / "client.key.pem", client_key));
  COLEND_RETURN_IF_ERROR(WritePublic(dir / kAddMemberFile, add_member));
  COLEND_RETURN_IF_ERROR(WritePublic(dir / kValidatorSetFile, validator_set));

  const bool tokens = o.rpc_tokens || !local ||
                      std::any_of(net.banks.begin(), net.banks.end(),
                                  [](const ListedBank& b) { return b.has_token; });
  node::NodeConfig config;
  config.node_id = o.node_id;
  config.data_dir = dir / "data";
  config.genesis_file = net.genesis_file;
  config.p2p_host = place.listen_host;
  config.p2p_port = place.p2p_port;
  for (const ListedBank& b : net.banks) {
    config.peers.push_back(node::PeerAddress{b.node_id, b.p2p.host, b.p2p.port});
  }
  config.node_key_file = dir / "node.key.pem";
  if (transport) {
    config.transport_key_file = dir / "transport.key.pem";
    config.transport_cert_file = dir / "transport.crt.pem";
  } else {
    config.node_cert_file = dir / "node.crt.pem";
  }
  config.ca_cert_file = root / "ca" / "ca.crt.pem";
  config.rpc_host = "127.0.0.1";
  config.rpc_port = place.rpc_port;
  if (tokens) {
    config.rpc_token_file = dir / "rpc.token";
    COLEND_RETURN_IF_ERROR(WriteToken(config.rpc_token_file));
  }
  if (local) {
    // As the other nodes of a local network (netgen.cc): one machine shared by all.
    config.rpc_threads = 1;
    config.verifier_threads = 1;
  }
  COLEND_RETURN_IF_ERROR(WritePublic(dir / "node.toml", node::NodeConfigToToml(config)));

  // Where the network is enumerated.
  json::object manifest = net.manifest;
  json::object entry;
  entry["id"] = o.bank;
  entry["node_id"] = o.node_id;
  entry["rpc"] = "http://" + place.host + ":" + std::to_string(place.rpc_port);
  entry["p2p"] = place.host + ":" + std::to_string(place.p2p_port);
  entry["client_key"] = o.bank + "/client.key.pem";
  entry["client_key_id"] = client_key.public_key().KeyIdHex();
  if (tokens) entry["rpc_token_file"] = o.bank + "/rpc.token";
  entry["config"] = o.bank + "/node.toml";
  entry["log"] = o.bank + "/node.log";
  manifest["banks"].as_array().push_back(std::move(entry));
  COLEND_RETURN_IF_ERROR(ReplaceFile(root / "network.json", json::serialize(manifest) + "\n"));
  if (net.local_scripts) {
    std::vector<ScriptedNode> scripted;
    for (const ListedBank& b : net.banks) {
      scripted.push_back({b.id, b.node_id, b.rpc.host, b.rpc.port});
    }
    scripted.push_back({o.bank, o.node_id, place.host, place.rpc_port});
    fs::path binary = o.node_binary;
    if (binary.empty()) {
      COLEND_ASSIGN_OR_RETURN(const std::string script,
                              ReadWholeFile((root / "start.sh").string()));
      binary = NodeBinaryOfStartScript(script);
    }
    if (binary.empty()) binary = DefaultNodeBinary();
    COLEND_RETURN_IF_ERROR(ReplaceFile(root / "start.sh", StartScript(scripted, binary)));
    COLEND_RETURN_IF_ERROR(ReplaceFile(root / "stop.sh", StopScript(scripted)));
  }

  out << "colend-netgen join: " << o.bank << " joins chain " << net.genesis.chain_id << " in "
      << root.string() << "\n"
      << "  node " << o.node_id << " p2p " << place.host << ":" << place.p2p_port
      << ", rpc http://127.0.0.1:" << place.rpc_port << ", client key id "
      << client_key.public_key().KeyIdHex() << "\n"
      << "  files: " << dir.string() << "/ (node key, "
      << (transport ? "transport key and its certificate" : "certificate")
      << " from the consortium CA, "
      << "client key" << (tokens ? ", rpc.token" : "") << ", node.toml), " << kAddMemberFile
      << " and " << kValidatorSetFile << " (proposals signed by " << proposer << ")\n"
      << "  genesis.json is unchanged; network.json"
      << (net.local_scripts ? ", start.sh and stop.sh now list " : " now lists ") << o.bank << "\n";
  PrintNextSteps(o, net, place, dir, proposer, out);
  return Status::Ok();
}

}  // namespace colend::netgen
