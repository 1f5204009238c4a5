#include "rpc_commands.h"

#include <algorithm>
#include <chrono>
#include <iomanip>
#include <istream>
#include <sstream>
#include <thread>
#include <vector>

#include <boost/json.hpp>

#include "colend/common/amount.h"
#include "colend/common/bytes.h"
#include "colend/common/files.h"
#include "colend/contracts/tx_decode.h"
#include "colend/contracts/tx_json.h"
#include "colend/crypto/keys.h"
#include "colend/crypto/secret.h"
#include "colend/crypto/suite.h"
#include "rpc_client.h"

namespace colend::cli {
namespace {

namespace json = boost::json;

// Minor units as a decimal amount with two places and thousands separators, for tables:
// "-1234567" -> "-12,345.67". The JSON output keeps the exact minor-unit strings.
std::string Money(std::string_view minor) {
  std::string digits(minor);
  bool negative = false;
  if (!digits.empty() && digits[0] == '-') {
    negative = true;
    digits.erase(0, 1);
  }
  while (digits.size() < 3) digits.insert(0, "0");
  std::string whole = digits.substr(0, digits.size() - 2);
  const std::string cents = digits.substr(digits.size() - 2);
  std::string grouped;
  for (std::size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) grouped += ',';
    grouped += whole[i];
  }
  return (negative ? "-" : "") + grouped + "." + cents;
}

std::string Str(const json::value& v) {
  if (v.is_string()) return std::string(v.as_string());
  return json::serialize(v);
}

// The transactions in `text`: one JSON object (possibly over several lines), or JSON lines.
std::vector<std::string> SplitTransactions(const std::string& text) {
  boost::system::error_code ec;
  json::value whole = json::parse(text, ec);
  if (!ec && whole.is_object()) return {text};
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    lines.push_back(line);
  }
  return lines;
}

// settlements, status, peers, receipt and loan as tables or "field  value" lines.
void PrintForPeople(const std::string& query, const json::value& result, std::ostream& out) {
  if (!result.is_object()) {
    out << json::serialize(result) << "\n";
    return;
  }
  const json::object& o = result.as_object();
  if (query == "settlements" && o.contains("settlements")) {
    std::vector<std::vector<std::string>> rows;
    for (const json::value& b : o.at("settlements").as_array()) {
      rows.push_back({Cell(b.at("batch_id")), Cell(b.at("a")), Cell(b.at("b")),
                      Cell(b.at("currency")), Money(Cell(b.at("net_a_owes_b"))),
                      Cell(b.at("status")), Cell(b.at("cutoff"))});
    }
    PrintTable({"batch", "A", "B", "CCY", "net A owes B", "status", "cutoff"}, rows, out);
    return;
  }
  if (query == "peers" && o.contains("peers")) {
    std::vector<std::vector<std::string>> rows;
    for (const json::value& p : o.at("peers").as_array()) {
      rows.push_back({Cell(p.at("node_id")), Cell(p.at("address")),
                      p.at("connected").as_bool() ? "yes" : "no", Cell(p.at("best_height"))});
    }
    PrintTable({"peer", "address", "connected", "best height"}, rows, out);
    return;
  }
  if (query == "loan" && o.contains("banks")) {
    for (const auto& [k, v] : o) {
      if (k == "banks") continue;
      out << std::left << std::setw(26) << std::string(k)
          << (k == "principal" ? Money(Cell(v)) : Cell(v)) << "\n";
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& [bank, leg] : o.at("banks").as_object()) {
      const json::object& l = leg.as_object();
      rows.push_back({std::string(bank), Cell(l.at("share_bp")), Money(Cell(l.at("share"))),
                      Money(Cell(l.at("outstanding")))});
    }
    out << "\n";
    PrintTable({"bank", "share bp", "share", "outstanding"}, rows, out);
    return;
  }
  // status, receipt: one field per line; nested objects (counters) indented.
  for (const auto& [k, v] : o) {
    if (v.is_object()) {
      out << std::string(k) << ":\n";
      for (const auto& [k2, v2] : v.as_object()) {
        out << "  " << std::left << std::setw(24) << std::string(k2) << Cell(v2) << "\n";
      }
      continue;
    }
    out << std::left << std::setw(26) << std::string(k) << Cell(v) << "\n";
  }
}

}  // namespace

std::unique_ptr<tools::JsonRpcClient> Connect(const RpcTarget& target, std::ostream& err) {
  Result<std::unique_ptr<tools::JsonRpcClient>> client =
      tools::JsonRpcClient::Create(target.url, target.token);
  if (!client.ok()) {
    err << "colend-cli: --rpc: " << client.status().message() << "\n";
    return nullptr;
  }
  return std::move(client).value();
}

// Prints an error answer; the exit code for it.
int ReportRpcError(const tools::RpcResponse& r, std::ostream& err) {
  if (!r.status.ok()) {
    err << "colend-cli: " << r.status.message() << "\n";
    return kCannotRun;
  }
  err << "colend-cli: error " << r.error->code << ": " << r.error->message;
  if (!r.error->data.is_null()) err << " " << json::serialize(r.error->data);
  err << "\n";
  return kProblems;
}

// A scalar as text for tables.
std::string Cell(const json::value& v) {
  if (v.is_string()) return std::string(v.as_string());
  if (v.is_null()) return "-";
  return json::serialize(v);
}

// Columns padded to their widest cell.
void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows, std::ostream& out) {
  std::vector<std::size_t> width(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) width[c] = header[c].size();
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size() && c < width.size(); ++c) {
      width[c] = std::max(width[c], row[c].size());
    }
  }
  auto line = [&](const std::vector<std::string>& cells) {
    for (std::size_t c = 0; c < cells.size(); ++c) {
      out << std::left << std::setw(static_cast<int>(width[c]) + 2) << cells[c];
    }
    out << "\n";
  };
  line(header);
  for (const auto& row : rows) line(row);
  if (rows.empty()) out << "(none)\n";
}

int RunSend(const RpcTarget& target, const SendOptions& options, std::istream& stdin_stream,
            std::ostream& out, std::ostream& err) {
  std::unique_ptr<tools::JsonRpcClient> client = Connect(target, err);
  if (!client) return kCannotRun;
  std::string chain_id = options.chain_id;
  std::string suite_name = options.suite;
  if (chain_id.empty() || suite_name.empty()) {
    tools::RpcResponse info = client->Call("getNodeInfo");
    if (!info.status.ok() || info.error.has_value()) return ReportRpcError(info, err);
    if (chain_id.empty()) chain_id = Str(info.result.at("chain_id"));
    if (suite_name.empty()) suite_name = Str(info.result.at("crypto_suite"));
  }
  Result<crypto::CryptoSuite> suite = crypto::CryptoSuite::FromName(suite_name);
  if (!suite.ok()) {
    err << "colend-cli: " << suite.status().message() << "\n";
    return kCannotRun;
  }
  Result<std::string> pem = ReadSecretWholeFile(options.key_file, 64 << 10);
  if (!pem.ok()) {
    err << "colend-cli: --key: " << pem.status().message() << "\n";
    return kCannotRun;
  }
  Result<crypto::PrivateKey> key = crypto::PrivateKey::FromPem(*suite, *pem);
  crypto::Wipe(*pem);  // parsed, the key lives in OpenSSL's object, which wipes itself
  if (!key.ok()) {
    err << "colend-cli: --key " << options.key_file << ": " << key.status().message() << "\n";
    return kCannotRun;
  }
  std::string text = options.text;
  if (!text.empty()) {
    // Built by a shortcut.
  } else if (options.input == "-") {
    std::ostringstream buf;
    buf << stdin_stream.rdbuf();
    text = buf.str();
  } else {
    Result<std::string> file = ReadWholeFile(options.input);
    if (!file.ok()) {
      err << "colend-cli: " << file.status().message() << "\n";
      return kCannotRun;
    }
    text = std::move(file).value();
  }

  int code = kDone;
  // Every line is signed first; then they go in order, in sendTransactions calls of at most
  // kMaxPerCall (one alone: sendTransaction). A BUSY answer is retried after the node's
  // retry_after_ms until --wait-timeout; every other refusal is reported as it is.
  struct ToSend {
    std::string label;
    std::string id;
    std::string hex;
  };
  std::vector<ToSend> to_send;
  const std::vector<std::string> txs = SplitTransactions(text);
  for (std::size_t i = 0; i < txs.size(); ++i) {
    const std::string label = txs.size() == 1 ? "transaction" : "line " + std::to_string(i + 1);
    Result<proto::TransactionBody> body = contracts::TransactionBodyFromJson(txs[i]);
    if (!body.ok()) {
      err << label << ": " << body.status().message() << "\n";
      code = kProblems;
      continue;
    }
    if (body->chain_id().empty()) body->set_chain_id(chain_id);
    Result<Bytes> signed_tx = contracts::SignTransaction(*body, *key);
    if (!signed_tx.ok()) {
      err << label << ": " << signed_tx.status().message() << "\n";
      code = kProblems;
      continue;
    }
    to_send.push_back({label, body->id(), ToHex(*signed_tx)});
  }

  constexpr std::size_t kMaxPerCall = 1000;  // sendTransactions' limit (docs/api.md)
  std::vector<std::pair<std::string, std::string>> sent;  // (id, tx hash)
  std::vector<std::size_t> pending(to_send.size());
  for (std::size_t i = 0; i < pending.size(); ++i) pending[i] = i;
  const auto give_up_at =
      std::chrono::steady_clock::now() + std::chrono::seconds(options.wait_timeout_s);
  while (!pending.empty()) {
    std::vector<std::size_t> busy;
    std::int64_t retry_ms = 0;
    for (std::size_t start = 0; start < pending.size(); start += kMaxPerCall) {
      const std::size_t n = std::min(kMaxPerCall, pending.size() - start);
      tools::RpcResponse r;
      if (n == 1) {
        r = client->Call("sendTransaction", json::object{{"tx", to_send[pending[start]].hex}});
      } else {
        json::array hexes;
        for (std::size_t k = 0; k < n; ++k) hexes.emplace_back(to_send[pending[start + k]].hex);
        r = client->Call("sendTransactions", json::object{{"txs", std::move(hexes)}});
      }
      if (!r.status.ok()) return ReportRpcError(r, err);
      for (std::size_t k = 0; k < n; ++k) {
        const ToSend& tx = to_send[pending[start + k]];
        const tools::RpcResponse one = n == 1 ? r : tools::SendTransactionsEntry(r, k, n);
        if (!one.status.ok()) return ReportRpcError(one, err);
        if (one.error.has_value() && one.error->code == -32004) {
          busy.push_back(pending[start + k]);
          const json::value& data = one.error->data;
          const json::value* hint =
              data.is_object() ? data.as_object().if_contains("retry_after_ms") : nullptr;
          retry_ms = std::max<std::int64_t>(
              retry_ms, hint != nullptr && hint->is_int64() ? hint->as_int64() : 200);
          continue;
        }
        if (one.error.has_value()) {
          err << tx.label << " (" << tx.id << "): refused, error " << one.error->code << ": "
              << one.error->message;
          if (!one.error->data.is_null()) err << " " << json::serialize(one.error->data);
          err << "\n";
          code = kProblems;
          continue;
        }
        const std::string hash = Str(one.result.at("tx_hash"));
        sent.emplace_back(tx.id, hash);
        if (!options.wait) {
          if (target.json) {
            out << json::serialize(json::object{{"id", tx.id}, {"tx_hash", hash}}) << "\n";
          } else {
            out << tx.id << "\tadmitted\t" << hash << "\n";
          }
        }
      }
    }
    pending = std::move(busy);
    if (pending.empty()) break;
    if (std::chrono::steady_clock::now() + std::chrono::milliseconds(retry_ms) > give_up_at) {
      for (std::size_t i : pending) {
        err << to_send[i].label << " (" << to_send[i].id << "): the node stayed busy for "
            << options.wait_timeout_s << " s; not sent\n";
      }
      code = kProblems;
      break;
    }
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::clamp<std::int64_t>(retry_ms, 10, 10'000)));
  }
  if (!options.wait) return code;

  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(options.wait_timeout_s);
  for (const auto& [id, hash] : sent) {
    for (;;) {
      tools::RpcResponse r = client->Call("getTransactionReceipt", json::object{{"tx_hash", hash}});
      if (!r.status.ok()) return ReportRpcError(r, err);
      if (!r.error.has_value() && r.result.is_object() && r.result.as_object().contains("status")) {
        const std::string status = Str(r.result.at("status"));
        if (status != "ok") code = kProblems;
        if (target.json) {
          json::object line{{"id", id}, {"tx_hash", hash}};
          for (const auto& [k, v] : r.result.as_object()) line[k] = v;
          out << json::serialize(line) << "\n";
        } else {
          out << id << "\t" << status;
          if (const json::value* h = r.result.as_object().if_contains("height")) out << "\theight " << Str(*h);
          if (const json::value* c = r.result.as_object().if_contains("code")) out << "\t" << Str(*c);
          if (const json::value* m = r.result.as_object().if_contains("message")) out << "\t" << Str(*m);
          out << "\n";
        }
        break;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        err << id << ": no receipt within " << options.wait_timeout_s << " s\n";
        return kProblems;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  return code;
}

Result<std::int64_t> DecimalToMinor(std::string_view text, int decimals) {
  const std::string shown = "\"" + std::string(text) + "\"";
  if (decimals < 0 || decimals > 6) return Status::InvalidArgument("--decimals must be 0-6");
  const std::size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction =
      dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  auto digits = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (whole.empty() || !digits(whole) || !digits(fraction) ||
      (dot != std::string_view::npos && fraction.empty())) {
    return Status::InvalidArgument(shown + " is not a decimal amount like 8000.00");
  }
  if (fraction.size() > static_cast<std::size_t>(decimals)) {
    return Status::InvalidArgument(shown + " has more than " + std::to_string(decimals) +
                                   " decimal places; amounts are never rounded");
  }
  std::string minor(whole);
  minor += fraction;
  minor.append(static_cast<std::size_t>(decimals) - fraction.size(), '0');
  Result<Amount> amount = Amount::Parse(minor.erase(0, std::min(minor.find_first_not_of('0'),
                                                                   minor.size() - 1)));
  if (!amount.ok()) return Status::InvalidArgument(shown + " is too large");
  return amount->minor();
}

int RunLoanShortcut(const RpcTarget& target, SendOptions options, const LoanShortcut& loan,
                    std::ostream& out, std::ostream& err) {
  json::object tx;
  auto money = [&](const char* field, const std::string& value) -> bool {
    Result<std::int64_t> minor = DecimalToMinor(value, loan.decimals);
    if (!minor.ok()) {
      err << "colend-cli: --" << field << ": " << minor.status().message() << "\n";
      return false;
    }
    tx[field] = std::to_string(*minor);
    return true;
  };
  std::string id = loan.id;
  if (loan.action == "originate") {
    tx["type"] = "OriginateLoan";
    if (id.empty()) id = loan.loan_id;
  } else if (loan.action == "approve") {
    tx["type"] = "ApproveLoan";
    if (id.empty()) id = "approve:" + loan.loan_id;
  } else if (loan.action == "repay") {
    tx["type"] = "RecordRepayment";
  } else if (loan.action == "chargeoff") {
    tx["type"] = "ChargeOff";
    if (id.empty()) id = "chargeoff:" + loan.loan_id;
  } else if (loan.action == "recover") {
    tx["type"] = "RecordRecovery";
  } else {
    err << "colend-cli: unknown loan action \"" << loan.action << "\"\n";
    return kCannotRun;
  }
  if (id.empty()) {
    err << "colend-cli: loan " << loan.action << " needs --id (the transaction's own id)\n";
    return kCannotRun;
  }
  tx["signer"] = loan.signer;
  tx["id"] = id;
  if (loan.action == "originate") {
    tx["agreement_id"] = loan.agreement;
    tx["loan_id"] = loan.loan_id;
    tx["borrower_ref"] = loan.borrower_ref;
    if (!money("principal", loan.principal)) return kCannotRun;
    tx["annual_rate_bp"] = loan.annual_rate_bp;
    tx["term_months"] = loan.term_months;
    tx["value_date"] = loan.value_date;
  } else {
    tx["loan_id"] = loan.loan_id;
  }
  if (loan.action == "repay") {
    if (!money("principal", loan.principal) || !money("interest", loan.interest) ||
        !money("penalty", loan.penalty)) {
      return kCannotRun;
    }
  }
  if (loan.action == "recover" && !money("amount", loan.amount)) return kCannotRun;
  if (loan.action == "repay" || loan.action == "chargeoff" || loan.action == "recover") {
    tx["value_date"] = loan.value_date;
  }
  options.text = json::serialize(tx);
  std::istringstream no_stdin;
  return RunSend(target, options, no_stdin, out, err);
}

int RunCall(const RpcTarget& target, const std::string& method, const std::string& params_json,
            std::ostream& out, std::ostream& err) {
  json::value params = nullptr;
  if (!params_json.empty()) {
    boost::system::error_code ec;
    params = json::parse(params_json, ec);
    if (ec) {
      err << "colend-cli: params are not JSON: " << ec.message() << "\n";
      return kCannotRun;
    }
  }
  std::unique_ptr<tools::JsonRpcClient> client = Connect(target, err);
  if (!client) return kCannotRun;
  tools::RpcResponse r = client->Call(method, params);
  if (!r.status.ok() || r.error.has_value()) return ReportRpcError(r, err);
  out << json::serialize(r.result) << "\n";
  return kDone;
}

int RunQuery(const RpcTarget& target, const std::string& query, const std::string& arg,
             const std::string& bank, const std::string& counterparty, std::ostream& out,
             std::ostream& err) {
  std::unique_ptr<tools::JsonRpcClient> client = Connect(target, err);
  if (!client) return kCannotRun;
  std::string method;
  json::object params;
  auto need_arg = [&](const char* what) {
    if (arg.empty()) err << "colend-cli: " << query << " needs " << what << "\n";
    return !arg.empty();
  };
  if (query == "positions" || query == "settlements") {
    method = query == "positions" ? "getPositions" : "getSettlements";
    if (!bank.empty()) params["bank"] = bank;
    if (!counterparty.empty()) params["counterparty"] = counterparty;
  } else if (query == "status") {
    method = "getConsensusStatus";
  } else if (query == "peers") {
    method = "getPeers";
  } else if (query == "block") {
    if (!need_arg("a height")) return kCannotRun;
    method = "getBlockByNumber";
    try {
      params["height"] = std::stoull(arg);
    } catch (const std::exception&) {
      err << "colend-cli: block: \"" << arg << "\" is not a height\n";
      return kCannotRun;
    }
  } else if (query == "tx" || query == "receipt") {
    if (!need_arg("a transaction hash")) return kCannotRun;
    method = query == "tx" ? "getTransaction" : "getTransactionReceipt";
    params["tx_hash"] = arg;
  } else if (query == "loan") {
    if (!need_arg("a loan id")) return kCannotRun;
    method = "getLoan";
    params["loan_id"] = arg;
  } else {
    err << "colend-cli: unknown query \"" << query << "\"\n";
    return kCannotRun;
  }
  tools::RpcResponse r = client->Call(method, params.empty() ? json::value(nullptr) : json::value(params));
  if (!r.status.ok() || r.error.has_value()) return ReportRpcError(r, err);
  if (target.json || query == "block" || query == "tx") {
    out << json::serialize(r.result) << "\n";
    return kDone;
  }
  if (query != "positions") {
    PrintForPeople(query, r.result, out);
    return kDone;
  }
  // Positions as a table: who owes whom, net and by component, in currency units.
  const json::object& result = r.result.as_object();
  out << "positions at height " << Str(result.at("height")) << " (unsettled; a positive net "
      << "means A owes B)\n";
  out << std::left << std::setw(12) << "A" << std::setw(12) << "B" << std::setw(5) << "CCY"
      << std::right << std::setw(18) << "net A owes B" << "  components\n";
  for (const json::value& p : result.at("positions").as_array()) {
    const json::object& o = p.as_object();
    out << std::left << std::setw(12) << Str(o.at("a")) << std::setw(12) << Str(o.at("b"))
        << std::setw(5) << Str(o.at("currency")) << std::right << std::setw(18)
        << Money(Str(o.at("net_a_owes_b"))) << "  ";
    bool first = true;
    if (const json::value* c = o.if_contains("components"); c && c->is_object()) {
      for (const auto& [name, value] : c->as_object()) {
        out << (first ? "" : ", ") << name << " " << Money(Str(value));
        first = false;
      }
    }
    out << "\n";
  }
  if (result.at("positions").as_array().empty()) out << "(no unsettled positions)\n";
  return kDone;
}

}  // namespace colend::cli
