#include "rekey.h"

#include <algorithm>
#include <system_error>
#include <utility>
#include <vector>

#include "colend/common/bytes.h"
#include "colend/crypto/keys.h"
#include "colend/crypto/x509.h"
#include "join_proposals.h"
#include "network_dir.h"
#include "network_files.h"

namespace colend::netgen {

namespace fs = std::filesystem;

std::string RekeyProposalId(const std::string& node_id, const std::string& key_id_hex) {
  // The key id's first 12 hex digits spelt in letters (0 -> a ... f -> p): the chain refuses
  // text with a run of digits that looks like personal data (a mobile or card number), and
  // hex has such runs. Object ids are at most 64 characters: the node id goes in when it
  // fits.
  std::string key;
  for (char c : key_id_hex.substr(0, 12)) {
    const int nibble = c >= 'a' ? c - 'a' + 10 : c - '0';
    key.push_back(static_cast<char>('a' + nibble));
  }
  const std::string full = "REKEY-" + node_id + "-" + key;
  return full.size() <= 64 ? full : "REKEY-" + key;
}

Status Rekey(const RekeyOptions& options, std::ostream& out) {
  COLEND_ASSIGN_OR_RETURN(const Network net, OpenNetwork(options.network));
  const fs::path& root = net.root;
  const crypto::CryptoSuite suite = net.genesis.suite;
  COLEND_ASSIGN_OR_RETURN(std::vector<proto::Validator> validators,
                          CurrentValidators(net, options.validators_json));
  const auto listed = std::find_if(net.banks.begin(), net.banks.end(), [&](const ListedBank& b) {
    return b.node_id == options.node_id;
  });
  if (listed == net.banks.end()) {
    return Status::NotFound("node \"" + options.node_id +
                            "\" is not in network.json: rekey rotates the key of a node this "
                            "directory holds");
  }
  const auto current =
      std::find_if(validators.begin(), validators.end(),
                   [&](const proto::Validator& v) { return v.node_id() == options.node_id; });
  if (current == validators.end()) {
    return Status::FailedPrecondition(
        "node \"" + options.node_id +
        "\" is not in the validator set" +
        (options.validators_json.empty() ? " of genesis.json (pass --validators-json with a "
                                           "getValidators result if the set has changed)"
                                         : " --validators-json names"));
  }
  const std::string proposer = options.proposer.empty() ? listed->id : options.proposer;
  if (std::none_of(net.banks.begin(), net.banks.end(),
                   [&](const ListedBank& b) { return b.id == proposer; })) {
    return Status::InvalidArgument("--proposer: \"" + proposer +
                                   "\" is not a bank of network.json");
  }
  const fs::path bank_dir = root / listed->id;
  const fs::path next = bank_dir / "next";
  std::error_code ec;
  if (fs::exists(next, ec)) {
    return Status::AlreadyExists(
        "a rotation is already prepared in " + next.string() +
        ": install it (see docs/operations.md) or remove the directory before preparing another");
  }
  COLEND_ASSIGN_OR_RETURN(const CertificateAuthority ca, LoadCertificateAuthority(net));

  COLEND_ASSIGN_OR_RETURN(crypto::PrivateKey node_key, crypto::PrivateKey::Generate(suite));
  // On an sm chain the TLS certificate holds the node's P-256 transport key, which does not
  // change: the Hello binds it to whichever SM2 key the set lists (docs/sm.md). Elsewhere
  // the certificate holds the node key, so it is issued anew.
  const bool transport = !(TlsSuite(suite) == suite);
  std::string cert;
  if (!transport) {
    COLEND_ASSIGN_OR_RETURN(cert, crypto::IssueNodeCertificate(ca.key, ca.cert_pem,
                                                               node_key.public_key(),
                                                               options.node_id, kNodeValidityDays));
  }
  COLEND_ASSIGN_OR_RETURN(const Bytes der, node_key.public_key().ToDer());
  const std::string old_key_id = [&] {
    Result<crypto::PublicKey> old = crypto::PublicKey::FromDer(suite, AsBytes(current->public_key()));
    return old.ok() ? old->KeyIdHex() : std::string("?");
  }();
  current->set_public_key(ToString(der));
  const std::string key_id = node_key.public_key().KeyIdHex();
  const std::string proposal_id = RekeyProposalId(options.node_id, key_id);
  COLEND_ASSIGN_OR_RETURN(
      const std::string proposal,
      ChangeValidatorSetJson(proposal_id,
                             // No key ids: hex has digit runs the chain's personal-data
                             // check refuses (the proposal's validators carry the keys).
                             "rotate the node key of " + options.node_id + " (" + listed->id + ")",
                             proposer, std::move(validators)));

  COLEND_RETURN_IF_ERROR(MakePrivateDirectory(next));
  COLEND_RETURN_IF_ERROR(WriteSecret(next / "node.key.pem", node_key));
  if (!transport) COLEND_RETURN_IF_ERROR(WritePublic(next / "node.crt.pem", cert));
  COLEND_RETURN_IF_ERROR(WritePublic(next / "change-validator-set.json", proposal));

  const ListedBank* sender = &*listed;
  for (const ListedBank& b : net.banks) {
    if (b.id == proposer) sender = &b;
  }
  const std::string rpc = "http://" + sender->rpc.host + ":" + std::to_string(sender->rpc.port);
  const std::uint32_t g = net.genesis.consensus.execution_lag + 2;
  out << "colend-netgen rekey: a new node key for " << options.node_id << " (" << listed->id
      << ") in " << next.string() << "\n"
      << "  key id " << key_id << " (was " << old_key_id << ")"
      << (transport ? "; the node's transport certificate stays as it is"
                    : ", certificate from the consortium CA")
      << "\n  proposal " << proposal_id << " (ChangeValidatorSet, signed by " << proposer
      << ") in " << (next / "change-validator-set.json").string() << "\n"
      << "Next steps:\n"
      << "  1. " << proposer << " sends the proposal: colend-cli send --rpc " << rpc << " --key "
      << (root / sender->client_key).string() << " "
      << (next / "change-validator-set.json").string() << " --wait\n"
      << "  2. The members vote on " << proposal_id
      << " until two thirds of the active members approve: colend-cli governance vote --rpc "
         "<its node> --key <BANK>/client.key.pem --signer <BANK> "
      << proposal_id << " approve\n"
      << "  3. The new key signs from " << g
      << " blocks after the block holding the deciding vote (colend-cli validators shows the "
         "set as decided, then in force). From then on the node, still on its old key, follows "
         "as an observer and says so in its log.\n"
      << "  4. Once colend-cli validators shows the new set in force, install the new key and "
         "restart the node (the others admit its new certificate from the switch on; a node "
         "restarted earlier is refused until then):\n"
      << "       stop the node; mv " << (next / "node.key.pem").string() << " "
      << (bank_dir / "node.key.pem").string();
  if (!transport) {
    out << "; mv " << (next / "node.crt.pem").string() << " "
        << (bank_dir / "node.crt.pem").string();
  }
  out << "; start the node; remove " << next.string() << "\n"
      << "  5. If the old key may have leaked, revoke its certificate by vote "
         "(RevokeCertificate with its SHA-256 fingerprint).\n";
  return Status::Ok();
}

}  // namespace colend::netgen
