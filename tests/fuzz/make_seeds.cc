// colend_fuzz_seeds: writes the seed corpora of tests/fuzz/corpus/ (valid inputs of each
// target, built with the product's own encoders so they stay valid as the formats evolve).
//
//   build/fuzz/tests/fuzz/colend_fuzz_seeds tests/fuzz/corpus
//
// Files are named seed-<what>; run it again after a format change and commit the result.
// Signatures are made with fuzz_chain.h's fixed client key; consensus signatures are dummies
// (the targets accept any validator's signature).
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "colend/consensus/messages.h"
#include "colend/contracts/genesis.h"
#include "colend/contracts/replay.h"
#include "colend/contracts/tx_decode.h"
#include "colend/contracts/tx_json.h"
#include "colend/crypto/x509.h"
#include "colend/node/config.h"
#include "frame_codec.h"
#include "fuzz_chain.h"

using namespace colend;
using namespace colend::consensus;
namespace fs = std::filesystem;

namespace {

fs::path g_root;

void Write(const std::string& target, const std::string& name, const std::string& bytes) {
  const fs::path dir = g_root / target;
  fs::create_directories(dir);
  std::ofstream(dir / ("seed-" + name), std::ios::binary) << bytes;
}

template <typename T>
T Must(Result<T> r, const char* what) {
  if (!r.ok()) fuzz::Fail(what, r.status().ToString());
  return std::move(r).value();
}

std::string Pem() { return Must(fuzz::ClientKey().public_key().ToPem(), "pem"); }

std::vector<std::pair<std::string, std::string>> TransactionJson() {
  std::string pem_json;  // the PEM as a JSON string
  for (char c : Pem()) pem_json += c == '\n' ? std::string("\\n") : std::string(1, c);
  const std::string key = R"({"public_key":")" + pem_json + R"("})";
  const std::string key_id = fuzz::ClientKey().public_key().KeyIdHex();
  return {
      {"propose-agreement", R"({"type":"ProposeAgreement","signer":"LEAD","id":"ag-1","agreement_id":"AG-1","currency":"CNY","shares":{"LEAD":2000,"PARTNER_A":8000},"service_fee_bp":1500,"disbursement":"FRONTED","approval":"PREAPPROVED","limits":{"PARTNER_A":{"max_outstanding":"100000000000"}}})"},
      {"accept-agreement", R"({"type":"AcceptAgreement","signer":"PARTNER_A","id":"acc-1","agreement_id":"AG-1"})"},
      {"suspend-agreement", R"({"type":"SuspendAgreement","signer":"PARTNER_A","id":"sus-1","agreement_id":"AG-1"})"},
      {"originate-loan", R"({"type":"OriginateLoan","signer":"LEAD","id":"L-1","chain_id":"colend-fuzz-1","agreement_id":"AG-1","loan_id":"L-1","borrower_ref":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","principal":"800000","annual_rate_bp":1800,"term_months":12,"value_date":"2026-11-21"})"},
      {"approve-loan", R"({"type":"ApproveLoan","signer":"PARTNER_A","id":"ap-1","loan_id":"L-1"})"},
      {"record-repayment", R"({"type":"RecordRepayment","signer":"LEAD","id":"R-1","loan_id":"L-1","principal":"66667","interest":"12000","penalty":"5","value_date":"2026-12-21"})"},
      {"charge-off", R"({"type":"ChargeOff","signer":"LEAD","id":"C-1","loan_id":"L-1","value_date":"2027-04-01"})"},
      {"record-recovery", R"({"type":"RecordRecovery","signer":"LEAD","id":"RC-1","loan_id":"L-1","amount":"1000","value_date":"2027-05-01"})"},
      {"reverse", R"({"type":"Reverse","signer":"LEAD","id":"V-1","target_id":"R-1","reason":"bounced direct debit"})"},
      {"close-settlement", R"({"type":"CloseSettlement","signer":"PARTNER_A","id":"S-1","counterparty":"LEAD","cutoff":"2026-12-21"})"},
      {"confirm-settlement", R"({"type":"ConfirmSettlement","signer":"PARTNER_A","id":"P-1","batch_id":"LEAD/PARTNER_A/CNY/1","payment_ref":"CNAPS-20261222-0001"})"},
      {"acknowledge-report", R"({"type":"AcknowledgeReport","signer":"LEAD","id":"K-1","counterparty":"PARTNER_A","height":1200,"report_sha256":"3b5d5c3712955042212316173ccf37be800e95d44e1e0c3d4ee7c6b2d7ac8a7d"})"},
      {"gov-set-rule", R"({"type":"GovernanceProposal","signer":"LEAD","id":"gp-1","proposal_id":"GP-1","description":"min funder share 5%","action":{"type":"SetNetworkRule","name":"min_funder_bp","value":500}})"},
      {"gov-vote", R"({"type":"GovernanceVote","signer":"PARTNER_A","id":"gv-1","proposal_id":"GP-1","choice":"APPROVE"})"},
      {"gov-add-member", R"({"type":"GovernanceProposal","signer":"LEAD","id":"gp-2","proposal_id":"GP-2","description":"new bank","action":{"type":"AddMember","member_id":"PARTNER_D","legal_name":"D Bank","client_keys":[)" + key + "]}}"},
      {"gov-suspend-member", R"({"type":"GovernanceProposal","signer":"LEAD","id":"gp-3","proposal_id":"GP-3","description":"x","action":{"type":"SuspendMember","member_id":"PARTNER_D","reason":"audit"}})"},
      {"gov-rotate-key", R"({"type":"GovernanceProposal","signer":"LEAD","id":"gp-4","proposal_id":"GP-4","description":"rotate","action":{"type":"RotateKey","member_id":"LEAD","new_key":{"key_id":")" + key_id + R"(","public_key":")" + pem_json + R"("},"retired_key_id":"00112233445566778899aabbccddeeff"}})"},
      {"gov-validators", R"({"type":"GovernanceProposal","signer":"LEAD","id":"gp-5","proposal_id":"GP-5","description":"set","action":{"type":"ChangeValidatorSet","validators":[{"node_id":"LEAD-1","member_id":"LEAD","public_key":")" + pem_json + R"("}]}})"},
      {"gov-revoke-certificate", R"({"type":"GovernanceProposal","signer":"LEAD","id":"gp-6","proposal_id":"GP-6","description":"leaked key","action":{"type":"RevokeCertificate","fingerprint":"3b5d5c3712955042212316173ccf37be800e95d44e1e0c3d4ee7c6b2d7ac8a7d","reason":"node key leaked"}})"},
  };
}

void TxSeeds() {
  for (const auto& [name, json] : TransactionJson()) {
    Write("tx_json", name, json);
    Result<proto::TransactionBody> body = contracts::TransactionBodyFromJson(json);
    if (!body.ok()) {
      std::fprintf(stderr, "seed %s: %s\n", name.c_str(), body.status().ToString().c_str());
      continue;
    }
    body->set_chain_id(fuzz::kChainId);
    const Bytes signed_tx = Must(contracts::SignTransaction(*body, fuzz::ClientKey()), "sign");
    Write("signed_tx", name, ToString(signed_tx));
    if (name == "originate-loan") {
      Write("rpc", "send-signed-tx",
            R"({"jsonrpc":"2.0","id":1,"method":"sendTransaction","params":{"tx":")" +
                ToHex(signed_tx) + R"("}})");
    }
  }
  Write("signed_tx", "body-only", contracts::ReplayBodyBytes(
      contracts::TransactionBodyFromJson(TransactionJson()[0].second).value()));
}

// ---- consensus -------------------------------------------------------------------------

proto::ConsensusEnvelope Envelope(const proto::ConsensusMessage& message, const std::string& sender) {
  proto::ConsensusEnvelope e;
  e.set_body(message.SerializeAsString());
  e.set_sender(sender);
  e.set_signature("sig");
  return e;
}

// A valid block at height 1 on the fuzz genesis, proposed by V0 in view 0.
proto::Block FirstBlock(const std::vector<std::string>& txs) {
  const crypto::HashAlgorithm hash = crypto::HashAlgorithm::kSha256;
  const GenesisInfo g = fuzz::Genesis();
  proto::BlockHeader h;
  h.set_chain_id(fuzz::kChainId);
  h.set_height(1);
  h.set_parent_hash(DigestBytes(g.hash));
  std::vector<crypto::Digest> leaves;
  for (const std::string& tx : txs) leaves.push_back(TxLeafHash(hash, tx));
  h.set_tx_root(DigestBytes(TxRoot(hash, leaves)));
  h.set_receipts_root(DigestBytes(g.receipts_root));
  h.set_state_root(DigestBytes(g.state_root));
  h.set_timestamp_ms(fuzz::kNowMs - 10);
  h.set_proposer("V0");
  h.set_view(0);
  h.set_tx_count(static_cast<std::uint32_t>(txs.size()));
  proto::Block block;
  block.set_header(h.SerializeAsString());
  for (const std::string& tx : txs) block.add_transactions(tx);
  return block;
}

proto::ConsensusMessage Message() {
  proto::ConsensusMessage m;
  m.set_chain_id(fuzz::kChainId);
  return m;
}

proto::CommitCertificate Certificate(const proto::Block& block) {
  const std::string block_hash = DigestBytes(BlockHash(crypto::HashAlgorithm::kSha256, block.header()));
  proto::CommitCertificate cert;
  cert.set_height(1);
  cert.set_view(0);
  cert.set_block_hash(block_hash);
  for (const char* v : {"V0", "V1", "V2"}) {
    proto::ConsensusMessage m = Message();
    m.mutable_commit()->set_view(0);
    m.mutable_commit()->set_sequence(1);
    m.mutable_commit()->set_block_hash(block_hash);
    proto::CommitSignature* entry = cert.add_commits();
    entry->set_validator(v);
    entry->set_commit(m.SerializeAsString());
    entry->set_signature("sig");
  }
  return cert;
}

void ConsensusSeeds(const std::vector<std::string>& txs) {
  const proto::Block block = FirstBlock(txs);
  const std::string block_hash = DigestBytes(BlockHash(crypto::HashAlgorithm::kSha256, block.header()));

  proto::ConsensusMessage pp = Message();
  pp.mutable_pre_prepare()->set_view(0);
  pp.mutable_pre_prepare()->set_sequence(1);
  pp.mutable_pre_prepare()->set_header(block.header());
  proto::ConsensusEnvelope pre_prepare = Envelope(pp, "V0");
  for (const std::string& tx : txs) pre_prepare.add_transactions(tx);
  Write("consensus_message", "pre-prepare", pre_prepare.SerializeAsString());

  proto::ConsensusMessage prepare = Message();
  prepare.mutable_prepare()->set_view(0);
  prepare.mutable_prepare()->set_sequence(1);
  prepare.mutable_prepare()->set_block_hash(block_hash);
  Write("consensus_message", "prepare", Envelope(prepare, "V2").SerializeAsString());

  proto::ConsensusMessage commit = Message();
  commit.mutable_commit()->set_view(0);
  commit.mutable_commit()->set_sequence(1);
  commit.mutable_commit()->set_block_hash(block_hash);
  Write("consensus_message", "commit", Envelope(commit, "V2").SerializeAsString());

  proto::ConsensusMessage checkpoint = Message();
  checkpoint.mutable_checkpoint()->set_sequence(4);
  checkpoint.mutable_checkpoint()->set_state_root(std::string(32, '\x22'));
  checkpoint.mutable_checkpoint()->set_block_hash(block_hash);
  Write("consensus_message", "checkpoint", Envelope(checkpoint, "V3").SerializeAsString());

  // VIEW-CHANGEs to view 1 from genesis, one with a prepared certificate and a commit
  // certificate quoted.
  std::vector<proto::ConsensusEnvelope> view_changes;
  for (const char* sender : {"V1", "V2", "V3"}) {
    proto::ConsensusMessage vc = Message();
    vc.mutable_view_change()->set_new_view(1);
    vc.mutable_view_change()->mutable_stable_checkpoint()->set_sequence(0);
    view_changes.push_back(Envelope(vc, sender));
  }
  Write("consensus_message", "view-change", view_changes[0].SerializeAsString());
  {
    proto::ConsensusMessage vc = Message();
    vc.mutable_view_change()->set_new_view(1);
    vc.mutable_view_change()->mutable_stable_checkpoint()->set_sequence(0);
    proto::PreparedCertificate* prepared = vc.mutable_view_change()->add_prepared();
    *prepared->mutable_pre_prepare() = WithoutTransactions(pre_prepare);
    for (const char* v : {"V1", "V2"}) *prepared->add_prepares() = Envelope(prepare, v);
    Write("consensus_message", "view-change-prepared", Envelope(vc, "V2").SerializeAsString());
    proto::ConsensusMessage vc2 = Message();
    vc2.mutable_view_change()->set_new_view(1);
    vc2.mutable_view_change()->mutable_stable_checkpoint()->set_sequence(0);
    *vc2.mutable_view_change()->mutable_committed() = Certificate(block);
    Write("consensus_message", "view-change-committed", Envelope(vc2, "V3").SerializeAsString());
    // A whole round in one input: the target delivers what a VIEW-CHANGE quotes first, so
    // this is PRE-PREPARE (with its transactions), two PREPAREs and three COMMITs of block 1.
    proto::ConsensusMessage round = Message();
    round.mutable_view_change()->set_new_view(1);
    round.mutable_view_change()->mutable_stable_checkpoint()->set_sequence(0);
    proto::PreparedCertificate* whole = round.mutable_view_change()->add_prepared();
    *whole->mutable_pre_prepare() = pre_prepare;
    for (const char* v : {"V2", "V3"}) *whole->add_prepares() = Envelope(prepare, v);
    *round.mutable_view_change()->mutable_committed() = Certificate(block);
    Write("consensus_message", "round-in-view-change", Envelope(round, "V3").SerializeAsString());
  }
  proto::ConsensusMessage nv = Message();
  nv.mutable_new_view()->set_view(1);
  for (const auto& e : view_changes) *nv.mutable_new_view()->add_view_changes() = e;
  Write("consensus_message", "new-view", Envelope(nv, "V1").SerializeAsString());

  // Certified blocks: as they are (flags 0) and with every repair (flags 0x0f).
  proto::CertifiedBlock certified;
  *certified.mutable_block() = block;
  *certified.mutable_certificate() = Certificate(block);
  for (const std::uint8_t flags : {0x00, 0x0f, 0x1f}) {
    char name[16];
    std::snprintf(name, sizeof name, "flags-%02x", flags);
    Write("certified_block", name, std::string(1, static_cast<char>(flags)) + certified.SerializeAsString());
  }
  proto::CertifiedBlock empty_block;
  *empty_block.mutable_block() = FirstBlock({});
  *empty_block.mutable_certificate() = Certificate(empty_block.block());
  Write("certified_block", "no-txs", std::string(1, '\0') + empty_block.SerializeAsString());

  // p2p frames.
  auto frame_seed = [](const std::string& name, const proto::Frame& frame) {
    const auto encoded = node::internal::EncodeFrame(frame, 64u << 20);
    if (!encoded.ok()) fuzz::Fail("EncodeFrame", encoded.status().ToString());
    Write("p2p_frame", name, **encoded);
  };
  proto::Frame hello;
  hello.mutable_hello()->set_chain_id(fuzz::kChainId);
  hello.mutable_hello()->set_node_id("V1");
  hello.mutable_hello()->set_protocol_version(1);
  hello.mutable_hello()->set_best_height(1);
  *hello.mutable_hello()->mutable_best_certificate() = Certificate(block);
  frame_seed("hello", hello);
  proto::Frame consensus;
  *consensus.mutable_consensus() = pre_prepare;
  frame_seed("consensus", consensus);
  proto::Frame gossip;
  for (const std::string& tx : txs) gossip.mutable_tx_gossip()->add_transactions(tx);
  frame_seed("tx-gossip", gossip);
  proto::Frame sync_request;
  sync_request.mutable_sync_request()->set_from_height(1);
  sync_request.mutable_sync_request()->set_max_blocks(16);
  frame_seed("sync-request", sync_request);
  proto::Frame sync_response;
  *sync_response.mutable_sync_response()->add_blocks() = certified;
  sync_response.mutable_sync_response()->set_responder_height(1);
  frame_seed("sync-response", sync_response);
  proto::Frame ping;
  ping.mutable_ping()->set_nonce(7);
  frame_seed("ping", ping);
  proto::Frame pong;
  pong.mutable_pong()->set_nonce(7);
  frame_seed("pong", pong);
}

// ---- genesis and node.toml ------------------------------------------------------------

void GenesisSeeds() {
  const crypto::PrivateKey& key = fuzz::ClientKey();
  contracts::Genesis g;
  g.chain_id = fuzz::kChainId;
  g.suite = crypto::CryptoSuite::Standard();
  g.consortium_ca_pem = Must(crypto::MakeCaCertificate(key, "colend fuzz CA", 3650), "ca");
  const std::string der = ToString(Must(key.public_key().ToDer(), "der"));
  proto::ClientKey client_key;
  client_key.set_key_id(ToString(key.public_key().key_id()));
  client_key.set_public_key(der);
  contracts::GenesisMember lead;
  lead.id = "LEAD";
  lead.legal_name = "Lead Bank Co., Ltd.";
  lead.client_keys = {client_key};
  lead.tier1_capital = Amount::FromMinor(100'000'000'000);
  contracts::GenesisMember partner;
  partner.id = "PARTNER_A";
  partner.legal_name = "合作银行 A";
  partner.client_keys = {client_key};
  g.members = {lead, partner};
  proto::Validator v;
  v.set_node_id("LEAD-1");
  v.set_member_id("LEAD");
  v.set_public_key(der);
  g.validators = {v};
  g.network_rules.min_funder_bp = 500;
  const std::string json = contracts::GenesisToJson(g);
  if (!contracts::ParseGenesis(json).ok()) fuzz::Fail("genesis seed", contracts::ParseGenesis(json).status().ToString());
  Write("genesis", "two-members", json);
  Write("genesis", "sm-suite-minimal",
        R"({"chain_id":"c","crypto_suite":"sm","consortium_ca":"-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----","members":[],"validators":[]})");
}

void ConfigSeeds() {
  node::NodeConfig c;
  c.node_id = "LEAD-1";
  c.data_dir = "data";
  c.genesis_file = "genesis.json";
  c.log_level = "debug";
  c.log_file = "node.log";
  c.p2p_host = "127.0.0.1";
  c.p2p_port = 30300;
  c.peers = {{"PARTNER_A-1", "127.0.0.1", 30301}, {"PARTNER_B-1", "::1", 30302}};
  c.node_key_file = "node.key.pem";
  c.node_cert_file = "node.cert.pem";
  c.ca_cert_file = "ca.cert.pem";
  c.rpc_host = "127.0.0.1";
  c.rpc_port = 8545;
  c.rpc_token = "0123456789abcdef";
  Write("node_config", "full", node::NodeConfigToToml(c));
  Write("node_config", "minimal",
        "[node]\nid = \"LEAD-1\"\ndata_dir = \"data\"\ngenesis_file = \"genesis.json\"\n"
        "[p2p]\nlisten = \"[::1]:30300\"\nnode_key_file = \"node.key.pem\"\n"
        "node_cert_file = \"node.cert.pem\"\nca_cert_file = \"ca.cert.pem\"\n"
        "[rpc]\nlisten = \"127.0.0.1:8545\"\ntoken_file = \"rpc.token\"\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus-dir>\n", argv[0]);
    return 2;
  }
  g_root = argv[1];
  TxSeeds();
  std::vector<std::string> txs;
  for (const char* name : {"originate-loan", "record-repayment", "gov-vote"}) {
    std::ifstream in(g_root / "signed_tx" / (std::string("seed-") + name), std::ios::binary);
    txs.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  ConsensusSeeds(txs);
  GenesisSeeds();
  ConfigSeeds();
  std::printf("seeds written to %s\n", argv[1]);
  return 0;
}
