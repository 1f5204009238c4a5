#include "bench.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <mutex>
#include <sstream>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/json.hpp>

#include "colend/common/bytes.h"
#include "colend/common/files.h"
#include "colend/contracts/tx_decode.h"
#include "colend/contracts/tx_json.h"
#include "colend/crypto/keys.h"
#include "colend/crypto/signature.h"
#include "colend/crypto/suite.h"
#include "rpc_client.h"

namespace colend::bench {
namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

struct Bank {
  std::string id;
  std::string rpc;
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
      const std::string key_file = (dir / std::string(b.at("client_key").as_string())).string();
      COLEND_ASSIGN_OR_RETURN(std::string pem, ReadWholeFile(key_file, 64 << 10));
      COLEND_ASSIGN_OR_RETURN(crypto::PrivateKey key, crypto::PrivateKey::FromPem(net.suite, pem));
      bank.key = std::make_unique<crypto::PrivateKey>(std::move(key));
      net.banks.push_back(std::move(bank));
    }
  } catch (const std::exception& e) {
    return Status::InvalidArgument(path + ": not a colend-netgen network.json (" + e.what() + ")");
  }
  if (net.banks.size() < 2) return Status::InvalidArgument(path + ": needs a lead and a partner");
  return net;
}

struct Tx {
  std::string hex;
  std::string hash;  // hex tx hash, computed here
};

Result<Tx> SignTx(const Network& net, std::size_t bank, const std::string& json) {
  COLEND_ASSIGN_OR_RETURN(proto::TransactionBody body, contracts::TransactionBodyFromJson(json));
  body.set_chain_id(net.chain_id);
  COLEND_ASSIGN_OR_RETURN(Bytes signed_tx, contracts::SignTransaction(body, *net.banks[bank].key));
  COLEND_ASSIGN_OR_RETURN(contracts::DecodedTransaction decoded,
                          contracts::DecodeTransaction(signed_tx, net.suite));
  return Tx{ToHex(signed_tx), ToHex(decoded.tx_hash)};
}

std::string Agreement(const std::string& run, const Bank& lead, const Bank& partner) {
  return "BENCH-" + run + "-" + partner.id + "-" + lead.id;
}

// Sends `txs` through `client` and waits until each has a receipt; every one must be ok.
Status SubmitAndWait(tools::JsonRpcClient& client, const std::vector<Tx>& txs, int timeout_s) {
  for (const Tx& tx : txs) {
    for (;;) {
      tools::RpcResponse r = client.Call("sendTransaction", boost::json::object{{"tx", tx.hex}});
      COLEND_RETURN_IF_ERROR(r.status);
      if (!r.error.has_value()) break;
      if (r.error->code == -32004) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      return Status::Unavailable("setup transaction refused: " + r.error->message);
    }
  }
  const auto deadline = Clock::now() + std::chrono::seconds(timeout_s);
  for (const Tx& tx : txs) {
    for (;;) {
      tools::RpcResponse r =
          client.Call("getTransactionReceipt", boost::json::object{{"tx_hash", tx.hash}});
      COLEND_RETURN_IF_ERROR(r.status);
      if (!r.error.has_value() && r.result.is_object() &&
          r.result.as_object().contains("status")) {
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
  return static_cast<double>(n) /
         std::chrono::duration<double>(Clock::now() - start).count();
}

double Percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const std::size_t i = static_cast<std::size_t>(std::ceil(p / 100.0 * sorted.size())) - 1;
  return sorted[std::min(i, sorted.size() - 1)];
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

}  // namespace

Status RunBench(const BenchOptions& o, std::ostream& out, std::ostream& err) {
  if (o.rate <= 0 || o.duration_s <= 0 || o.connections < 1 || o.preload < 1) {
    return Status::InvalidArgument("--rate, --duration, --connections and --preload must be positive");
  }
  if (o.originate_pct < 0 || o.repay_pct < 0 || o.reverse_pct < 0 ||
      o.originate_pct + o.repay_pct + o.reverse_pct != 100) {
    return Status::InvalidArgument("--mix: three percentages (originate,repay,reverse) adding up to 100");
  }
  COLEND_ASSIGN_OR_RETURN(Network net, LoadNetwork(o.network));
  const std::size_t n_nodes = net.banks.size();
  std::vector<std::unique_ptr<tools::JsonRpcClient>> setup_clients;
  for (const Bank& b : net.banks) {
    COLEND_ASSIGN_OR_RETURN(std::unique_ptr<tools::JsonRpcClient> c,
                            tools::JsonRpcClient::Create(b.rpc, o.rpc_token));
    setup_clients.push_back(std::move(c));
  }
  tools::JsonRpcClient& main_client = *setup_clients[0];
  const std::string run = std::to_string(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());

  // Setup: agreements, preloaded loans and repayments to reverse.
  const std::uint64_t total = static_cast<std::uint64_t>(o.rate * o.duration_s);
  const std::uint64_t reversals = total * static_cast<std::uint64_t>(o.reverse_pct) / 100 + 1;
  err << "colend-bench: setting up " << (n_nodes - 1) << " agreements, " << o.preload
      << " loans, " << reversals << " repayments to reverse\n";
  std::vector<Tx> proposals, accepts;
  for (std::size_t p = 1; p < n_nodes; ++p) {
    const std::string ag = Agreement(run, net.banks[0], net.banks[p]);
    COLEND_ASSIGN_OR_RETURN(
        Tx propose,
        SignTx(net, 0,
               R"({"type":"ProposeAgreement","signer":")" + net.banks[0].id + R"(","id":"p-)" + ag +
                   R"(","agreement_id":")" + ag + R"(","currency":"CNY","shares":{")" +
                   net.banks[0].id + R"(":2000,")" + net.banks[p].id +
                   R"(":8000},"service_fee_bp":1500})"));
    COLEND_ASSIGN_OR_RETURN(Tx accept, SignTx(net, p,
                                              R"({"type":"AcceptAgreement","signer":")" +
                                                  net.banks[p].id + R"(","id":"a-)" + ag +
                                                  R"(","agreement_id":")" + ag + R"("})"));
    proposals.push_back(std::move(propose));
    accepts.push_back(std::move(accept));
  }
  COLEND_RETURN_IF_ERROR(SubmitAndWait(main_client, proposals, 60));
  COLEND_RETURN_IF_ERROR(SubmitAndWait(main_client, accepts, 60));

  const std::string borrower = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  auto originate = [&](const std::string& loan, std::size_t partner) {
    const std::string ag = Agreement(run, net.banks[0], net.banks[partner]);
    return R"({"type":"OriginateLoan","signer":")" + net.banks[0].id + R"(","id":")" + loan +
           R"(","agreement_id":")" + ag + R"(","loan_id":")" + loan + R"(","borrower_ref":")" +
           borrower +
           R"(","principal":"80000000","annual_rate_bp":1800,"term_months":12,"value_date":"2026-11-21"})";
  };
  auto repay = [&](const std::string& id, const std::string& loan) {
    return R"({"type":"RecordRepayment","signer":")" + net.banks[0].id + R"(","id":")" + id +
           R"(","loan_id":")" + loan +
           R"(","principal":"100","interest":"12","penalty":"0","value_date":"2026-12-21"})";
  };
  std::vector<std::string> loans;
  std::vector<Tx> preload;
  for (int i = 0; i < o.preload; ++i) {
    loans.push_back("B" + run + "-P" + std::to_string(i));
    COLEND_ASSIGN_OR_RETURN(Tx tx, SignTx(net, 0, originate(loans.back(), 1 + i % (n_nodes - 1))));
    preload.push_back(std::move(tx));
  }
  COLEND_RETURN_IF_ERROR(SubmitAndWait(main_client, preload, 120));
  std::vector<std::string> reversible;
  std::vector<Tx> repayments;
  for (std::uint64_t i = 0; i < reversals; ++i) {
    reversible.push_back("B" + run + "-PR" + std::to_string(i));
    COLEND_ASSIGN_OR_RETURN(Tx tx, SignTx(net, 0, repay(reversible.back(), loans[i % loans.size()])));
    repayments.push_back(std::move(tx));
  }
  COLEND_RETURN_IF_ERROR(SubmitAndWait(main_client, repayments, 120));

  // The measured transactions, signed before the clock starts.
  err << "colend-bench: signing " << total << " transactions\n";
  std::vector<Tx> plan;
  plan.reserve(total);
  std::unordered_map<std::string, std::size_t> index_of;
  std::size_t next_reversal = 0;
  for (std::uint64_t i = 0; i < total; ++i) {
    const int r = static_cast<int>((i * 7919) % 100);
    std::string json;
    if (r < o.reverse_pct && next_reversal < reversible.size()) {
      json = R"({"type":"Reverse","signer":")" + net.banks[0].id + R"(","id":"B)" + run + "-V" +
             std::to_string(i) + R"(","target_id":")" + reversible[next_reversal++] +
             R"(","reason":"bench reversal"})";
    } else if (r < o.reverse_pct + o.repay_pct) {
      json = repay("B" + run + "-R" + std::to_string(i), loans[i % loans.size()]);
    } else {
      json = originate("B" + run + "-L" + std::to_string(i), 1 + i % (n_nodes - 1));
    }
    COLEND_ASSIGN_OR_RETURN(Tx tx, SignTx(net, 0, json));
    index_of.emplace(tx.hash, plan.size());
    plan.push_back(std::move(tx));
  }

  std::vector<std::unique_ptr<tools::JsonRpcClient>> clients;
  for (int c = 0; c < o.connections; ++c) {
    COLEND_ASSIGN_OR_RETURN(std::unique_ptr<tools::JsonRpcClient> client,
                            tools::JsonRpcClient::Create(net.banks[static_cast<std::size_t>(c) % n_nodes].rpc,
                                                         o.rpc_token));
    clients.push_back(std::move(client));
  }
  COLEND_ASSIGN_OR_RETURN(std::unique_ptr<tools::JsonRpcClient> watcher_client,
                          tools::JsonRpcClient::Create(net.banks[0].rpc, o.rpc_token));
  const double rejected_before = MetricValue(main_client, "colend_txs_rejected_total").value_or(0);
  std::uint64_t height = 0;
  if (tools::RpcResponse r = watcher_client->Call("getBlockNumber"); r.status.ok() && !r.error) {
    height = r.result.to_number<std::uint64_t>();
  }

  const std::size_t n = plan.size();
  std::vector<Clock::time_point> sent_at(n), committed_at(n);
  std::vector<std::atomic<std::uint8_t>> state(n);  // 0 unsent, 1 admitted, 2 refused, 3 committed
  std::atomic<std::uint64_t> next{0}, admitted{0}, refused{0}, busy{0}, committed{0};
  std::atomic<bool> sending_done{false}, stop_watch{false};
  std::mutex refusals_mu;
  std::map<std::string, std::uint64_t> refusals;
  const auto start = Clock::now();
  const auto send_deadline = start + std::chrono::duration<double>(o.duration_s + 30);

  auto sender = [&](std::size_t c) {
    tools::JsonRpcClient& client = *clients[c];
    for (;;) {
      const std::uint64_t i = next.fetch_add(1);
      if (i >= n) return;
      const auto due = start + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(static_cast<double>(i) / o.rate));
      std::this_thread::sleep_until(due);
      for (;;) {
        sent_at[i] = Clock::now();
        tools::RpcResponse r =
            client.Call("sendTransaction", boost::json::object{{"tx", plan[i].hex}});
        if (r.status.ok() && !r.error.has_value()) {
          state[i].store(1);
          admitted.fetch_add(1);
          break;
        }
        if (r.status.ok() && r.error->code == -32004 && Clock::now() < send_deadline) {
          busy.fetch_add(1);
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
          continue;
        }
        state[i].store(2);
        refused.fetch_add(1);
        std::lock_guard lock(refusals_mu);
        ++refusals[r.status.ok() ? std::to_string(r.error->code) + " " + r.error->message
                                 : r.status.ToString()];
        break;
      }
    }
  };

  auto watcher = [&] {
    while (!stop_watch.load()) {
      tools::RpcResponse r = watcher_client->Call("getBlockNumber");
      if (r.status.ok() && !r.error.has_value()) {
        const std::uint64_t top = r.result.to_number<std::uint64_t>();
        for (std::uint64_t h = height + 1; h <= top; ++h) {
          tools::RpcResponse b = watcher_client->Call(
              "getBlockByNumber", boost::json::object{{"height", h}, {"full", false}});
          if (!b.status.ok() || b.error.has_value()) break;
          const auto now = Clock::now();
          const boost::json::value* txs = b.result.as_object().if_contains("transactions");
          if (txs != nullptr && txs->is_array()) {
            for (const boost::json::value& t : txs->as_array()) {
              const std::string hash = t.is_string() ? std::string(t.as_string())
                                                     : std::string(t.at("tx_hash").as_string());
              auto it = index_of.find(hash);
              if (it == index_of.end()) continue;
              std::uint8_t expected = 1;
              if (state[it->second].compare_exchange_strong(expected, 3)) {
                committed_at[it->second] = now;
                committed.fetch_add(1);
              }
            }
          }
          height = h;
        }
      }
      if (sending_done.load() && committed.load() >= admitted.load()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  };

  std::thread watch(watcher);
  std::vector<std::thread> senders;
  for (int c = 0; c < o.connections; ++c) senders.emplace_back(sender, static_cast<std::size_t>(c));
  std::atomic<bool> progress_done{false};
  std::thread progress([&] {
    if (!o.progress) return;
    while (!progress_done.load()) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      const double t = std::chrono::duration<double>(Clock::now() - start).count();
      err << "\r  t=" << std::fixed << std::setprecision(0) << t << "s sent " << next.load()
          << " admitted " << admitted.load() << " committed " << committed.load() << " busy "
          << busy.load() << " refused " << refused.load() << "   " << std::flush;
    }
  });
  for (std::thread& t : senders) t.join();
  sending_done.store(true);
  const auto wait_deadline = Clock::now() + std::chrono::seconds(60);
  while (committed.load() < admitted.load() && Clock::now() < wait_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop_watch.store(true);
  watch.join();
  progress_done.store(true);
  progress.join();
  if (o.progress) err << "\n";

  // Results.
  std::vector<double> latencies_ms;
  Clock::time_point last_commit = start;
  for (std::size_t i = 0; i < n; ++i) {
    if (state[i].load() != 3) continue;
    latencies_ms.push_back(std::chrono::duration<double, std::milli>(committed_at[i] - sent_at[i]).count());
    last_commit = std::max(last_commit, committed_at[i]);
  }
  std::sort(latencies_ms.begin(), latencies_ms.end());
  const double span_s = std::max(1e-9, std::chrono::duration<double>(last_commit - start).count());
  const double tps = static_cast<double>(latencies_ms.size()) / span_s;
  const double rejected_after = MetricValue(main_client, "colend_txs_rejected_total").value_or(0);
  const double verify = VerifyPerSecond(net.suite);
  const std::uint64_t lost = admitted.load() - committed.load();

  if (o.json) {
    boost::json::object j;
    j["offered_rate"] = o.rate;
    j["duration_s"] = o.duration_s;
    j["nodes"] = n_nodes;
    j["sent"] = n;
    j["admitted"] = admitted.load();
    j["refused_at_admission"] = refused.load();
    j["busy_retries"] = busy.load();
    j["committed"] = latencies_ms.size();
    j["not_committed"] = lost;
    j["rejected_by_contract"] = rejected_after - rejected_before;
    j["committed_tps"] = tps;
    j["latency_ms"] = {{"p50", Percentile(latencies_ms, 50)},
                       {"p95", Percentile(latencies_ms, 95)},
                       {"p99", Percentile(latencies_ms, 99)},
                       {"max", latencies_ms.empty() ? 0.0 : latencies_ms.back()}};
    j["baseline_verify_per_s"] = verify;
    j["suite"] = std::string(net.suite.name());
    out << boost::json::serialize(j) << "\n";
  } else {
    out << std::fixed << std::setprecision(1)
        << "colend-bench: " << n_nodes << " nodes, offered " << o.rate << " tx/s for "
        << o.duration_s << " s (mix " << o.originate_pct << "/" << o.repay_pct << "/"
        << o.reverse_pct << " originate/repay/reverse)\n"
        << "  sent " << n << ", admitted " << admitted.load() << ", refused at admission "
        << refused.load() << ", busy retries " << busy.load() << "\n"
        << "  committed " << latencies_ms.size() << " (" << lost << " admitted but not seen committed)"
        << ", rejected by the contract " << (rejected_after - rejected_before) << "\n"
        << "  committed throughput " << tps << " tx/s\n"
        << "  submit-to-commit latency ms: p50 " << Percentile(latencies_ms, 50) << ", p95 "
        << Percentile(latencies_ms, 95) << ", p99 " << Percentile(latencies_ms, 99) << ", max "
        << (latencies_ms.empty() ? 0.0 : latencies_ms.back()) << "\n"
        << "  baseline: " << net.suite.name() << " verify " << std::setprecision(0) << verify
        << "/s on one core (in-process, like openssl speed)\n";
    for (const auto& [reason, count] : refusals) out << "  refused " << count << "x: " << reason << "\n";
  }
  return Status::Ok();
}

}  // namespace colend::bench
