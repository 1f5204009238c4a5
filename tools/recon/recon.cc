// colend-recon's program logic (recon.h): fetch, reconcile, render, write.
#include <filesystem>
#include <fstream>

#include "recon.h"
#include "rpc_client.h"

namespace colend::recon {

int RunRecon(const ReconOptions& options, std::ostream& out, std::ostream& err) {
  auto fail = [&](const std::string& message) {
    err << "colend-recon: " << message << "\n";
    return 2;
  };
  Result<Format> format = ParseFormat(options.format);
  if (!format.ok()) return fail(format.status().message());
  if (options.bank.empty()) return fail("--bank is required");
  if (!options.ledger.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(options.ledger, ec)) {
      return fail("--ledger " + options.ledger + ": no such file");
    }
    if (!options.out.empty() && std::filesystem::exists(options.out, ec) &&
        std::filesystem::equivalent(options.ledger, options.out, ec)) {
      return fail("--out " + options.out + " is the ledger itself: refusing to overwrite it");
    }
  }
  Result<std::unique_ptr<tools::JsonRpcClient>> client =
      tools::JsonRpcClient::Create(options.rpc_url, options.token, options.timeout_ms);
  if (!client.ok()) return fail("--rpc " + options.rpc_url + ": " + client.status().message());

  FetchOptions fetch;
  fetch.bank = options.bank;
  fetch.counterparty = options.counterparty;
  fetch.height = options.height;
  fetch.with_events = !options.ledger.empty();
  Result<ChainSnapshot> snapshot = FetchChain(**client, fetch);
  if (!snapshot.ok()) return fail(snapshot.status().message());

  Report report;
  report.chain = std::move(snapshot).value();
  if (!options.ledger.empty()) {
    Result<ReconResult> recon = LedgerReconciler::ReconcileFile(report.chain, options.ledger);
    if (!recon.ok()) return fail(recon.status().message());
    report.recon = std::move(recon).value();
    report.ledger_name = std::filesystem::path(options.ledger).filename().string();
  }
  const std::string text = RenderReport(report, *format);
  if (options.out.empty()) {
    out << text;
    out.flush();
  } else {
    std::ofstream file(options.out, std::ios::binary | std::ios::trunc);
    file << text;
    file.close();
    if (!file) return fail("--out " + options.out + ": cannot write");
  }
  if (!report.recon.has_value()) return 0;
  const ReconResult& r = *report.recon;
  if (!r.malformed.empty()) {
    constexpr std::size_t kShown = 20;
    for (std::size_t i = 0; i < r.malformed.size() && i < kShown; ++i) {
      err << "colend-recon: " << options.ledger << ": line " << r.malformed[i].line << ": "
          << r.malformed[i].reason << "\n";
    }
    if (r.malformed.size() > kShown) {
      err << "colend-recon: ... and " << (r.malformed.size() - kShown)
          << " more malformed rows (all listed in the report)\n";
    }
    err << "colend-recon: " << r.malformed.size()
        << " ledger row(s) could not be read; the reconciliation is incomplete\n";
    return 2;
  }
  if (!r.breaks.empty()) {
    err << "colend-recon: " << r.breaks.size() << " break(s)\n";
    return 1;
  }
  return 0;
}

}  // namespace colend::recon
