// Fuzz target: a bank's ledger CSV for colend-recon (tools/recon/README.md, "The ledger CSV")
// against a small fixed chain snapshot (tests/testutil's PartnerAChainSnapshot), then the
// report. The control identities of recon.h must hold for whatever the file holds.
//
// Every input is fed line by line to LedgerReconciler::FeedLine (split on '\n' as
// ReconcileFile does), its identities checked, and its report rendered. One input in
// kFileOneIn also goes through ReconcileFile itself, from a file, and must give the same
// outcome: the same error, or the same JSON report (the file path may refuse a ledger without
// a header that the line path returns empty).
//
// Speed (README.md, "Fuzzing", "Long runs"). Under ASan an input costs ~60 us in the
// reconciler, ~1 ms to render the report in all four formats (the snapshot's tables dominate:
// every string cell is an instrumented allocation) and, before ReconcileFile read in 64 KiB
// chunks, ~0.7 ms plus page faults and TLB flushes for a fresh 1 MiB buffer per call (a
// profile of the long run: a third of all samples, though one input in 64 takes the file
// path). So: the snapshot and the Report holding it are built
// once (no per-input copy); each input renders one format, picked by its SHA-256 (which the
// report carries anyway), so each format still renders a quarter of all inputs, about as
// many per second as when every input rendered all four; and the file path runs on one
// input in 64, not 16. COLEND_RECON_FUZZ_ALL_FORMATS=1 renders all four for every input.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>

#include "colend/common/bytes.h"
#include "colend/crypto/hash.h"
#include "colend/testutil/recon_fixture.h"
#include "fuzz_util.h"
#include "recon.h"

using namespace colend;
using namespace colend::recon;

namespace {

constexpr std::size_t kFileOneIn = 64;
// tools/recon/ledger.cc's kMaxLineBytes: longer lines are malformed rows on the file path
// only, so inputs longer than this are not compared (libFuzzer's default -max_len is 4096).
constexpr std::size_t kMaxLineBytes = 64 * 1024;

// The report every input renders; its chain side is the snapshot every reconciler borrows.
Report& FixtureReport() {
  static Report report = [] {
    Report r;
    r.chain = testutil::PartnerAChainSnapshot();
    r.chain.chain_id = fuzz::kChainId;
    r.chain.events_loaded = true;
    r.ledger_name = "ledger.csv";
    return r;
  }();
  return report;
}

const std::string& LedgerPath() {
  static const std::string path = [] {
    // Under $TMPDIR: tools/fuzz.sh points it into its output directory.
    std::string p = (std::filesystem::temp_directory_path() /
                     ("colend-fuzz-ledger-" + std::to_string(getpid()) + ".csv"))
                        .string();
    std::atexit([] { std::remove(LedgerPath().c_str()); });
    return p;
  }();
  return path;
}

void CheckIdentities(const ReconResult& r) {
  const std::string violation = testutil::ReconIdentityViolation(r);
  if (!violation.empty()) fuzz::Fail("control identity:", violation);
}

Result<ReconResult> FromFile(const ChainSnapshot& snapshot, const std::uint8_t* data,
                             std::size_t size) {
  std::FILE* f = std::fopen(LedgerPath().c_str(), "wb");
  if (f == nullptr) fuzz::Fail("cannot write the ledger file");
  if (size > 0 && std::fwrite(data, 1, size, f) != size) fuzz::Fail("short write");
  std::fclose(f);
  return LedgerReconciler::ReconcileFile(snapshot, LedgerPath());
}

// The line path, finished with the SHA-256 of the bytes (as ReconcileFile computes it).
Result<ReconResult> FromLines(const ChainSnapshot& snapshot, std::string_view text,
                              std::string sha256_hex) {
  LedgerReconciler reconciler(snapshot);
  std::uint64_t line_number = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    const Status fed = reconciler.FeedLine(line, ++line_number);
    if (!fed.ok()) return fed;
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return reconciler.Finish(std::move(sha256_hex));
}

std::string RenderWith(Report& report, ReconResult result, Format format) {
  report.recon = std::move(result);
  std::string out = RenderReport(report, format);
  report.recon.reset();
  return out;
}

// ReconcileFile against the line path's outcome for the same bytes.
void CompareFilePath(Report& report, const Result<ReconResult>& lines, const std::uint8_t* data,
                     std::size_t size) {
  Result<ReconResult> file = FromFile(report.chain, data, size);
  if (!lines.ok()) {
    if (file.ok() || file.status().ToString() != lines.status().ToString()) {
      fuzz::Fail("file and line paths differ: line path", lines.status().ToString());
    }
    return;
  }
  if (!file.ok()) {
    if (lines->ledger_rows != 0) fuzz::Fail("file path refused", file.status().ToString());
    return;
  }
  CheckIdentities(*file);
  if (RenderWith(report, *lines, Format::kJson) !=
      RenderWith(report, std::move(file).value(), Format::kJson)) {
    fuzz::Fail("file and line paths give different reports");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool all_formats = [] {
    const char* v = std::getenv("COLEND_RECON_FUZZ_ALL_FORMATS");
    return v != nullptr && std::string_view(v) == "1";
  }();
  Report& report = FixtureReport();
  const std::string_view text = fuzz::AsView(data, size);
  const crypto::Digest digest = crypto::Hash(crypto::HashAlgorithm::kSha256, AsBytes(text));
  Result<ReconResult> lines =
      FromLines(report.chain, text, ToHex(ByteView(digest.data(), digest.size())));
  if (size % kFileOneIn == 0 && size <= kMaxLineBytes) CompareFilePath(report, lines, data, size);
  if (!lines.ok()) return 0;
  CheckIdentities(*lines);
  report.recon = std::move(lines).value();
  constexpr Format kFormats[] = {Format::kText, Format::kCsv, Format::kJson, Format::kHtml};
  if (all_formats) {
    for (Format format : kFormats) (void)RenderReport(report, format);
  } else {
    (void)RenderReport(report, kFormats[digest[0] % std::size(kFormats)]);
  }
  report.recon.reset();
  return 0;
}
