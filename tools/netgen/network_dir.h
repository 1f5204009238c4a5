// A network directory colend-netgen wrote, read back by the modes that change it while its
// chain runs: `join` (a bank joins) and `rekey` (a validator's node key is rotated).
//
// network.json lists the banks (id, node id, p2p and RPC endpoints, client key, token file);
// genesis.json is the chain's; ca/ holds the consortium CA's certificate and, where the
// network's administrator keeps it, its key.
//
// Thread safety: stateless functions.
#ifndef COLEND_TOOLS_NETGEN_NETWORK_DIR_H_
#define COLEND_TOOLS_NETGEN_NETWORK_DIR_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "colend/common/result.h"
#include "colend/contracts/genesis.h"
#include "colend/crypto/keys.h"
#include "colend/crypto/suite.h"

namespace colend::netgen {

struct HostPort {
  std::string host;  // IPv6 without brackets
  std::uint16_t port = 0;
};

// One bank of network.json.
struct ListedBank {
  std::string id;
  std::string node_id;
  HostPort p2p;
  HostPort rpc;
  std::string client_key;  // relative to the network directory
  bool has_token = false;
};

struct Network {
  std::filesystem::path root;
  boost::json::object manifest;
  std::vector<ListedBank> banks;
  std::filesystem::path genesis_file;
  contracts::Genesis genesis;
  bool local_scripts = false;  // start.sh and stop.sh are there
};

// "host:port" or "[v6]:port".
Result<HostPort> ParseHostPort(std::string_view text);

// Reads network.json and the genesis it names, and checks that ca/ holds the CA's
// certificate and key (the modes that use this issue certificates). kFailedPrecondition
// with a sentence for a directory that is not a colend-netgen network or lacks the CA key.
Result<Network> ReadNetwork(const std::filesystem::path& root);

// ReadNetwork of the directory an operator named (--network), made absolute;
// kInvalidArgument if none is named.
Result<Network> OpenNetwork(const std::filesystem::path& named);

// The validator set a proposal changes: genesis.json's, or, when `validators_json` is given,
// the set that getValidators result names (ReadValidatorsJson: its `next` if decided).
Result<std::vector<proto::Validator>> CurrentValidators(
    const Network& net, const std::filesystem::path& validators_json);

// The suite of the TLS certificates on a chain of `chain` suite: the chain's own, except on
// an sm chain, whose nodes present P-256 transport certificates bound to their SM2 node keys
// (docs/sm.md): its CA is a P-256 CA.
crypto::CryptoSuite TlsSuite(crypto::CryptoSuite chain);

// The consortium CA of `net`: its certificate (PEM) and private key (of TlsSuite).
struct CertificateAuthority {
  std::string cert_pem;
  crypto::PrivateKey key;
};
Result<CertificateAuthority> LoadCertificateAuthority(const Network& net);

}  // namespace colend::netgen

#endif  // COLEND_TOOLS_NETGEN_NETWORK_DIR_H_
