#include "bench.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include <boost/json.hpp>

#include "colend/common/bytes.h"
#include "colend/common/files.h"
#include "colend/contracts/tx_decode.h"
#include "colend/contracts/tx_json.h"
#include "colend/crypto/keys.h"
#include "colend/crypto/secret.h"
#include "colend/crypto/signature.h"
#include "colend/crypto/suite.h"
#include "load_run.h"
#include "node_report.h"
#include "report.h"
#include "rpc_client.h"
#include "send_answer.h"

namespace colend::bench {
namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

// Setup and metrics calls: generous, as nothing is measured then.
constexpr int kSetupTimeoutMs = 10'000;

struct Bank {
  std::string id;
  std::string rpc;
  std::string token;  // from the bank's rpc_token_file in network.json; "" = none named
  std::unique_ptr<crypto::PrivateKey> key;
};

struct Network {
  std::string chain_id;
  crypto::CryptoSuite suite = crypto::CryptoSuite::Standard();
  std::vector<Bank> banks;
};

Result<Network> LoadNetwork(const std::string& path) {
  COLEND_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path, 1 << 20));
  boost::system::error_code ec;
  const boost::json::value manifest = boost::json::parse(text, ec);
  if (ec || !manifest.is_object()) return Status::InvalidArgument(path + ": not JSON");
  Network net;
  try {
    net.chain_id = std::string(manifest.at("chain_id").as_string());
    COLEND_ASSIGN_OR_RETURN(net.suite, crypto::CryptoSuite::FromName(
                                           std::string(manifest.at("crypto_suite").as_string())));
    const fs::path dir = fs::path(path).parent_path();
    for (const boost::json::value& b : manifest.at("banks").as_array()) {
      Bank bank;
      bank.id = std::string(b.at("id").as_string());
      bank.rpc = std::string(b.at("rpc").as_string());
      // Each node its own token (colend-netgen --rpc-tokens), read from the file the
      // manifest names, with the same rule as --token-file (mode 0600 or stricter).
      if (const boost::json::value* token_file = b.as_object().if_contains("rpc_token_file")) {
        COLEND_ASSIGN_OR_RETURN(
            bank.token,
            tools::ReadBearerTokenFile((dir / std::string(token_file->as_string())).string()));
      }
      const std::string key_file = (dir / std::string(b.at("client_key").as_string())).string();
      COLEND_ASSIGN_OR_RETURN(std::string pem, ReadSecretWholeFile(key_file, 64 << 10));
      Result<crypto::PrivateKey> parsed = crypto::PrivateKey::FromPem(net.suite, pem);
      crypto::Wipe(pem);
      COLEND_ASSIGN_OR_RETURN(crypto::PrivateKey key, std::move(parsed));
      bank.key = std::make_unique<crypto::PrivateKey>(std::move(key));
      net.banks.push_back(std::move(bank));
    }
  } catch (const std::exception& e) {
    return Status::InvalidArgument(path + ": not a colend-netgen network.json (" + e.what() + ")");
  }
  if (net.banks.size() < 2) return Status::InvalidArgument(path + ": needs a lead and a partner");
  return net;
}

Result<PlannedTx> SignTx(const Network& net, std::size_t bank, const std::string& json) {
  COLEND_ASSIGN_OR_RETURN(proto::TransactionBody body, contracts::TransactionBodyFromJson(json));
  body.set_chain_id(net.chain_id);
  COLEND_ASSIGN_OR_RETURN(Bytes signed_tx, contracts::SignTransaction(body, *net.banks[bank].key));
  COLEND_ASSIGN_OR_RETURN(contracts::DecodedTransaction decoded,
                          contracts::DecodeTransaction(signed_tx, net.suite));
  return PlannedTx{ToHex(signed_tx), ToHex(decoded.tx_hash)};
}

std::string Agreement(const std::string& run, const Bank& lead, const Bank& partner) {
  return "BENCH-" + run + "-" + partner.id + "-" + lead.id;
}

// Sends `txs` through `client` and waits until each has a receipt; every one must be ok.
// BUSY answers wait as in the measured phase (the node's hint, else backing off).
Status SubmitAndWait(tools::JsonRpcClient& client, const std::vector<PlannedTx>& txs, int timeout_s) {
  for (const PlannedTx& tx : txs) {
    for (std::uint32_t busy = 1;; ++busy) {
      tools::RpcResponse r = client.Call("sendTransaction", boost::json::object{{"tx", tx.hex}});
      const ClassifiedAnswer a = ClassifySendAnswer(r, tx.hash, busy > 1);
      if (a.kind == SendAnswer::kAdmitted || a.kind == SendAnswer::kAdmittedDuplicate) break;
      if (a.kind == SendAnswer::kUnreachable) return r.status;
      if (a.kind == SendAnswer::kRefused) {
        return Status::Unavailable("setup transaction refused: " + a.reason);
      }
      std::this_thread::sleep_for(BusyRetryDelay(a.retry_after, busy));
    }
  }
  const auto deadline = Clock::now() + std::chrono::seconds(timeout_s);
  for (const PlannedTx& tx : txs) {
    for (;;) {
      tools::RpcResponse r =
          client.Call("getTransactionReceipt", boost::json::object{{"tx_hash", tx.hash}});
      COLEND_RETURN_IF_ERROR(r.status);
      if (!r.error.has_value() && r.result.is_object() && r.result.as_object().contains("status")) {
        if (r.result.at("status") != "ok") {
          return Status::Unavailable("setup transaction rejected: " +
                                     boost::json::serialize(r.result));
        }
        break;
      }
      if (Clock::now() > deadline) {
        return Status::Unavailable("setup transactions did not commit within " +
                                   std::to_string(timeout_s) + " s");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  return Status::Ok();
}

// Single-core verify/s of the suite's signature, like `openssl speed ecdsap256` verify.
double VerifyPerSecond(const crypto::CryptoSuite& suite) {
  Result<crypto::PrivateKey> key = crypto::PrivateKey::Generate(suite);
  if (!key.ok()) return 0;
  const std::string message(64, 'm');
  Result<Bytes> sig = crypto::Sign(*key, AsBytes(message));
  if (!sig.ok()) return 0;
  std::uint64_t n = 0;
  const auto start = Clock::now();
  while (Clock::now() - start < std::chrono::milliseconds(1000)) {
    for (int k = 0; k < 50; ++k) {
      (void)crypto::Verify(key->public_key(), AsBytes(message), *sig);
      ++n;
    }
  }
  return static_cast<double>(n) / std::chrono::duration<double>(Clock::now() - start).count();
}

Result<double> MetricValue(tools::JsonRpcClient& client, const std::string& name) {
  COLEND_ASSIGN_OR_RETURN(std::string text, client.Get("/metrics"));
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  }
  return 0.0;
}

// What the measured transactions refer to: the agreements, preloaded loans and
// repayments made before the clock starts.
struct Fixtures {
  std::string run;  // unique per run, in every id, so runs never collide on one chain
  std::vector<std::string> loans;
  std::vector<std::string> reversible;  // repayment ids the reversals target
};

std::string OriginateJson(const Network& net, const std::string& run, const std::string& loan,
                          std::size_t partner) {
  const std::string borrower = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  const std::string ag = Agreement(run, net.banks[0], net.banks[partner]);
  return R"({"type":"OriginateLoan","signer":")" + net.banks[0].id + R"(","id":")" + loan +
         R"(","agreement_id":")" + ag + R"(","loan_id":")" + loan + R"(","borrower_ref":")" +
         borrower +
         R"(","principal":"80000000","annual_rate_bp":1800,"term_months":12,"value_date":"2026-11-21"})";
}

std::string RepayJson(const Network& net, const std::string& id, const std::string& loan) {
  return R"({"type":"RecordRepayment","signer":")" + net.banks[0].id + R"(","id":")" + id +
         R"(","loan_id":")" + loan +
         R"(","principal":"100","interest":"12","penalty":"0","value_date":"2026-12-21"})";
}

// Setup (not measured): for every partner the lead proposes a 20/80 agreement and the
// partner accepts; then `preload` loans and `reversals` repayments to reverse.
Result<Fixtures> SetUp(const Network& net, const BenchOptions& o, tools::JsonRpcClient& client,
                       std::uint64_t reversals) {
  Fixtures f;
  f.run = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count());
  std::vector<PlannedTx> proposals, accepts;
  for (std::size_t p = 1; p < net.banks.size(); ++p) {
    const std::string ag = Agreement(f.run, net.banks[0], net.banks[p]);
    COLEND_ASSIGN_OR_RETURN(
        PlannedTx propose,
        SignTx(net, 0,
               R"({"type":"ProposeAgreement","signer":")" + net.banks[0].id + R"(","id":"p-)" + ag +
                   R"(","agreement_id":")" + ag + R"(","currency":"CNY","shares":{")" +
                   net.banks[0].id + R"(":2000,")" + net.banks[p].id +
                   R"(":8000},"service_fee_bp":1500})"));
    COLEND_ASSIGN_OR_RETURN(PlannedTx accept, SignTx(net, p,
                                                     R"({"type":"AcceptAgreement","signer":")" +
                                                         net.banks[p].id + R"(","id":"a-)" + ag +
                                                         R"(","agreement_id":")" + ag + R"("})"));
    proposals.push_back(std::move(propose));
    accepts.push_back(std::move(accept));
  }
  COLEND_RETURN_IF_ERROR(SubmitAndWait(client, proposals, 60));
  COLEND_RETURN_IF_ERROR(SubmitAndWait(client, accepts, 60));
  std::vector<PlannedTx> preload;
  for (int i = 0; i < o.preload; ++i) {
    f.loans.push_back("B" + f.run + "-P" + std::to_string(i));
    COLEND_ASSIGN_OR_RETURN(PlannedTx tx, SignTx(net, 0,
                                                 OriginateJson(net, f.run, f.loans.back(),
                                                               1 + static_cast<std::size_t>(i) %
                                                                       (net.banks.size() - 1))));
    preload.push_back(std::move(tx));
  }
  COLEND_RETURN_IF_ERROR(SubmitAndWait(client, preload, 120));
  std::vector<PlannedTx> repayments;
  for (std::uint64_t i = 0; i < reversals; ++i) {
    f.reversible.push_back("B" + f.run + "-PR" + std::to_string(i));
    COLEND_ASSIGN_OR_RETURN(
        PlannedTx tx,
        SignTx(net, 0, RepayJson(net, f.reversible.back(), f.loans[i % f.loans.size()])));
    repayments.push_back(std::move(tx));
  }
  COLEND_RETURN_IF_ERROR(SubmitAndWait(client, repayments, 120));
  return f;
}

// The measured transactions in the given mix, signed before the clock starts.
Result<std::vector<PlannedTx>> SignPlan(const Network& net, const BenchOptions& o,
                                        const Fixtures& f, std::uint64_t total) {
  std::vector<PlannedTx> plan;
  plan.reserve(total);
  std::size_t next_reversal = 0;
  for (std::uint64_t i = 0; i < total; ++i) {
    const int r = static_cast<int>((i * 7919) % 100);
    std::string json;
    if (r < o.reverse_pct && next_reversal < f.reversible.size()) {
      json = R"({"type":"Reverse","signer":")" + net.banks[0].id + R"(","id":"B)" + f.run + "-V" +
             std::to_string(i) + R"(","target_id":")" + f.reversible[next_reversal++] +
             R"(","reason":"bench reversal"})";
    } else if (r < o.reverse_pct + o.repay_pct) {
      json = RepayJson(net, "B" + f.run + "-R" + std::to_string(i), f.loans[i % f.loans.size()]);
    } else {
      json = OriginateJson(net, f.run, "B" + f.run + "-L" + std::to_string(i),
                           1 + i % (net.banks.size() - 1));
    }
    COLEND_ASSIGN_OR_RETURN(PlannedTx tx, SignTx(net, 0, json));
    plan.push_back(std::move(tx));
  }
  return plan;
}

// Every node's colend_txs_rejected_total (nullopt for a node that does not answer, or that
// `end` found unreachable: no need to wait for its timeout again).
std::vector<std::optional<double>> RejectedCounters(
    const std::vector<std::unique_ptr<tools::JsonRpcClient>>& clients,
    const NetworkEndState* end = nullptr) {
  std::vector<std::optional<double>> out;
  for (std::size_t i = 0; i < clients.size(); ++i) {
    if (end != nullptr && i < end->nodes.size() && !end->nodes[i].reachable) {
      out.push_back(std::nullopt);
      continue;
    }
    Result<double> v = MetricValue(*clients[i], "colend_txs_rejected_total");
    out.push_back(v.ok() ? std::optional<double>(*v) : std::nullopt);
  }
  return out;
}

Status CheckOptions(const BenchOptions& o) {
  if (o.rate <= 0 || o.duration_s <= 0 || o.connections < 1 || o.preload < 1) {
    return Status::InvalidArgument(
        "--rate, --duration, --connections and --preload must be positive");
  }
  if (o.batch < 1 || o.batch > 1000) {
    return Status::InvalidArgument("--batch must be from 1 to 1000 (sendTransactions' limit)");
  }
  if (o.rpc_timeout_ms < 1 || o.retry_grace_s < 0 || o.commit_wait_s < 0) {
    return Status::InvalidArgument(
        "--rpc-timeout-ms must be positive, --retry-grace and --commit-wait not negative");
  }
  if (o.originate_pct < 0 || o.repay_pct < 0 || o.reverse_pct < 0 ||
      o.originate_pct + o.repay_pct + o.reverse_pct != 100) {
    return Status::InvalidArgument(
        "--mix: three percentages (originate,repay,reverse) adding up to 100");
  }
  return Status::Ok();
}

}  // namespace

Status RunBench(const BenchOptions& o, std::ostream& out, std::ostream& err) {
  COLEND_RETURN_IF_ERROR(CheckOptions(o));
  COLEND_ASSIGN_OR_RETURN(Network net, LoadNetwork(o.network));
  std::vector<std::string> ids, urls, tokens;
  std::vector<std::unique_ptr<tools::JsonRpcClient>> clients;
  for (const std::string& id : o.via) {
    if (std::none_of(net.banks.begin(), net.banks.end(),
                     [&](const Bank& b) { return b.id == id; })) {
      return Status::InvalidArgument("--via: \"" + id + "\" is not a bank of " + o.network);
    }
  }
  for (const Bank& b : net.banks) {
    if (!o.via.empty() && std::find(o.via.begin(), o.via.end(), b.id) == o.via.end()) continue;
    tokens.push_back(b.token.empty() ? o.rpc_token : b.token);
    COLEND_ASSIGN_OR_RETURN(std::unique_ptr<tools::JsonRpcClient> c,
                            tools::JsonRpcClient::Create(b.rpc, tokens.back(), kSetupTimeoutMs));
    clients.push_back(std::move(c));
    ids.push_back(b.id);
    urls.push_back(b.rpc);
  }
  // Setup goes through the first node that answers, so a node already down does not stop
  // the run.
  tools::JsonRpcClient* setup_client = nullptr;
  for (const auto& c : clients) {
    if (c->Call("getBlockNumber").status.ok()) {
      setup_client = c.get();
      break;
    }
  }
  if (setup_client == nullptr) return Status::Unavailable("no node of the network answers");

  const std::uint64_t total = static_cast<std::uint64_t>(o.rate * o.duration_s);
  const std::uint64_t reversals = total * static_cast<std::uint64_t>(o.reverse_pct) / 100 + 1;
  err << "colend-bench: setting up " << (net.banks.size() - 1) << " agreements, " << o.preload
      << " loans, " << reversals << " repayments to reverse via " << setup_client->url() << "\n";
  COLEND_ASSIGN_OR_RETURN(Fixtures fixtures, SetUp(net, o, *setup_client, reversals));
  err << "colend-bench: signing " << total << " transactions\n";
  COLEND_ASSIGN_OR_RETURN(std::vector<PlannedTx> plan, SignPlan(net, o, fixtures, total));

  const std::vector<std::optional<double>> rejected_before = RejectedCounters(clients);
  LoadOptions lo;
  lo.rate = o.rate;
  lo.duration_s = o.duration_s;
  lo.connections = o.connections;
  lo.batch = o.batch;
  lo.rpc_tokens = tokens;
  lo.rpc_timeout_ms = o.rpc_timeout_ms;
  lo.retry_grace = std::chrono::seconds(o.retry_grace_s);
  lo.commit_wait = std::chrono::seconds(o.commit_wait_s);
  lo.progress = o.progress;
  COLEND_ASSIGN_OR_RETURN(LoadResult load, RunLoad(plan, urls, lo, err));

  const NetworkEndState end =
      ReadEndState(ids, urls, tokens, o.rpc_timeout_ms, std::chrono::seconds(3));
  const std::vector<std::optional<double>> rejected_after = RejectedCounters(clients, &end);
  ReportInput in;
  in.options = &o;
  in.node_ids = ids;
  in.suite = std::string(net.suite.name());
  in.verify_per_s = VerifyPerSecond(net.suite);
  in.load = &load;
  in.tally = TallyRecords(load.txs);
  in.end = &end;
  // Every node executes the same blocks, so any node that answered both times will do.
  for (std::size_t i = 0; i < clients.size(); ++i) {
    if (rejected_before[i].has_value() && rejected_after[i].has_value()) {
      in.rejected_by_contract = *rejected_after[i] - *rejected_before[i];
      break;
    }
  }
  if (o.json) {
    out << boost::json::serialize(ReportJson(in)) << "\n";
  } else {
    PrintTextReport(in, out);
  }
  return Status::Ok();
}

}  // namespace colend::bench
