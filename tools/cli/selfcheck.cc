#include "selfcheck.h"

#include <array>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "colend/common/amount.h"
#include "colend/common/bytes.h"
#include "colend/common/split.h"
#include "colend/crypto/batch_verifier.h"
#include "colend/crypto/hash.h"
#include "colend/crypto/keys.h"
#include "colend/crypto/merkle.h"
#include "colend/crypto/signature.h"
#include "colend/crypto/suite.h"

namespace colend::cli {
namespace {

constexpr std::string_view kTxDomain = "colend/tx/v1";

// Prints one line per check and counts the outcomes.
class CheckLog {
 public:
  explicit CheckLog(std::ostream& out) : out_(out) {}

  void Section(std::string_view title) { out_ << "\n" << title << "\n"; }

  // Information that is not itself a check.
  void Note(const std::string& what) { out_ << "        " << what << "\n"; }

  bool Expect(bool ok, const std::string& what) {
    out_ << (ok ? "  ok    " : "  FAIL  ") << what << "\n";
    (ok ? result_.passed : result_.failed)++;
    return ok;
  }

  // A check that a failure is reported with the expected code; shows the sentence.
  void ExpectRejected(const Status& s, StatusCode code, const std::string& what) {
    Expect(s.code() == code, what + " -> " + s.ToString());
  }

  SelfCheckResult result() const { return result_; }

 private:
  std::ostream& out_;
  SelfCheckResult result_;
};

std::string Short(ByteView bytes) {
  return ToHex(bytes).substr(0, 16) + "…";
}

void CheckHashes(CheckLog& log) {
  log.Section("hash functions (published vectors)");
  const crypto::Digest sha = crypto::Hash(crypto::HashAlgorithm::kSha256, AsBytes("abc"));
  log.Expect(ToHex(sha) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
             "SHA-256(\"abc\") = " + Short(sha) + " (FIPS 180-2)");
  const crypto::Digest sm3 = crypto::Hash(crypto::HashAlgorithm::kSm3, AsBytes("abc"));
  log.Expect(ToHex(sm3) == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0",
             "SM3(\"abc\")     = " + Short(sm3) + " (GB/T 32905)");
}

void CheckSuite(CheckLog& log, std::string_view suite_name) {
  log.Section("crypto suite " + std::string(suite_name));
  Result<crypto::CryptoSuite> suite = crypto::CryptoSuite::FromName(suite_name);
  if (!log.Expect(suite.ok(), suite.ok() ? "OpenSSL provides " + std::string(suite->description())
                                         : suite.status().ToString())) {
    return;
  }
  Result<crypto::PrivateKey> lead = crypto::PrivateKey::Generate(*suite);
  Result<crypto::PrivateKey> partner = crypto::PrivateKey::Generate(*suite);
  if (!log.Expect(lead.ok() && partner.ok(), "two bank keys generated")) return;
  log.Note("LEAD key id " + lead->public_key().KeyIdHex() + ", PARTNER_A key id " +
           partner->public_key().KeyIdHex());

  Result<std::string> pem = lead->ToPem();
  Result<crypto::PrivateKey> reloaded = pem.ok() ? crypto::PrivateKey::FromPem(*suite, *pem)
                                                 : Result<crypto::PrivateKey>(pem.status());
  log.Expect(reloaded.ok() && reloaded->public_key() == lead->public_key(),
             "PEM round trip keeps the key");
  Result<crypto::PublicKey> from_raw = crypto::PublicKey::FromRaw(*suite, lead->public_key().raw());
  log.Expect(from_raw.ok() && from_raw->key_id() == lead->public_key().key_id(),
             "raw public key round trip keeps the key id");

  const std::string body = R"({"type":"OriginateLoan","loan_id":"L-1","principal":"800000"})";
  Result<Bytes> sig = crypto::Sign(*lead, kTxDomain, AsBytes(body));
  if (!log.Expect(sig.ok(), "LEAD signs a transaction body")) return;
  log.Expect(crypto::Verify(lead->public_key(), kTxDomain, AsBytes(body), *sig).ok(),
             "the signature verifies (" + std::to_string(sig->size()) + " bytes DER)");

  std::string altered = body;
  altered[altered.size() - 3] = '1';  // 800000 -> 800010
  log.ExpectRejected(crypto::Verify(lead->public_key(), kTxDomain, AsBytes(altered), *sig),
                     StatusCode::kPermissionDenied, "an altered amount is rejected");
  log.ExpectRejected(crypto::Verify(partner->public_key(), kTxDomain, AsBytes(body), *sig),
                     StatusCode::kPermissionDenied, "another bank's key is rejected");
  log.ExpectRejected(crypto::Verify(lead->public_key(), "colend/vote/v1", AsBytes(body), *sig),
                     StatusCode::kPermissionDenied, "the signature is not valid in another domain");
  Bytes bad_sig = *sig;
  bad_sig.back() ^= 0x01;
  const Status tampered = crypto::Verify(lead->public_key(), kTxDomain, AsBytes(body), bad_sig);
  log.Expect(!tampered.ok(), "a flipped signature bit is rejected -> " + tampered.ToString());
  Bytes truncated(sig->begin(), sig->begin() + 10);
  log.ExpectRejected(crypto::Verify(lead->public_key(), kTxDomain, AsBytes(body), truncated),
                     StatusCode::kInvalidArgument, "a truncated signature is rejected");
}

void CheckBatch(CheckLog& log) {
  constexpr std::size_t kItems = 1000;
  const std::array<std::size_t, 3> forged = {17, 500, 999};
  log.Section("parallel signature verification");
  Result<crypto::PrivateKey> key = crypto::PrivateKey::Generate(crypto::CryptoSuite::Standard());
  Result<std::unique_ptr<crypto::BatchVerifier>> verifier =
      crypto::BatchVerifier::Create({.worker_threads = 2});
  if (!log.Expect(key.ok() && verifier.ok(), "verifier with 2 worker threads started")) return;

  std::vector<std::string> messages(kItems);
  std::vector<Bytes> sigs(kItems);
  std::vector<crypto::SignedMessage> items(kItems);
  for (std::size_t i = 0; i < kItems; ++i) {
    messages[i] = "repayment R-" + std::to_string(i);
    Result<Bytes> s = crypto::Sign(*key, kTxDomain, AsBytes(messages[i]));
    if (!s.ok()) {
      log.Expect(false, "signing batch item: " + s.status().ToString());
      return;
    }
    sigs[i] = std::move(s).value();
  }
  for (std::size_t i : forged) messages[i] += " (forged)";
  for (std::size_t i = 0; i < kItems; ++i) {
    items[i] = {&key->public_key(), kTxDomain, AsBytes(messages[i]), sigs[i]};
  }
  const crypto::BatchVerifyReport report = (*verifier)->VerifyBatch(items);
  std::vector<std::size_t> found;
  for (const crypto::BatchFailure& f : report.failures) found.push_back(f.index);
  log.Expect(
      report.checked == kItems && found == std::vector<std::size_t>(forged.begin(), forged.end()),
      std::to_string(report.checked) +
          " signatures checked; the forged ones found at 17, "
          "500 and 999");
}

void CheckMerkle(CheckLog& log) {
  log.Section("Merkle tree (RFC 6962 shape, SHA-256)");
  std::vector<Bytes> leaves;
  for (int i = 0; i < 1000; ++i) leaves.push_back(ToBytes("tx-" + std::to_string(i)));
  const auto alg = crypto::HashAlgorithm::kSha256;
  const crypto::Digest root = crypto::MerkleRoot(alg, std::span<const Bytes>(leaves));
  Result<crypto::MerkleProof> proof =
      crypto::MakeInclusionProof(alg, std::span<const Bytes>(leaves), 417);
  if (!log.Expect(proof.ok(), "root of 1000 leaves " + Short(root) + "; proof for leaf 417 made")) {
    return;
  }
  log.Expect(crypto::VerifyInclusion(alg, root, leaves[417], 417, 1000, proof->audit_path).ok(),
             "the proof verifies against the root (" + std::to_string(proof->audit_path.size()) +
                 " hashes)");
  log.Expect(
      !crypto::VerifyInclusion(alg, root, AsBytes("tx-417 altered"), 417, 1000, proof->audit_path)
           .ok(),
      "an altered leaf is rejected");
}

std::string Parts(const std::vector<Amount>& parts) {
  return "LEAD " + parts[0].ToString() + ", PARTNER_A " + parts[1].ToString();
}

void CheckMoney(CheckLog& log) {
  log.Section("money: the sample 20/80 loan of docs/api.md");
  const std::vector<SplitWeight> shares = {{"LEAD", 2000}, {"PARTNER_A", 8000}};
  auto funded = SplitByBasisPoints(Amount::FromMinor(800000), shares, "LEAD");
  if (!log.Expect(funded.ok() && (*funded)[0].minor() == 160000 && (*funded)[1].minor() == 640000,
                  "principal 800000 split 2000/8000 bp -> " +
                      (funded.ok() ? Parts(*funded) : funded.status().ToString()))) {
    return;
  }
  const std::vector<SplitWeight> outstanding = {{"LEAD", 160000}, {"PARTNER_A", 640000}};
  auto principal = SplitByWeights(Amount::FromMinor(66667), outstanding, "LEAD");
  log.Expect(principal.ok() && (*principal)[0].minor() == 13333 && (*principal)[1].minor() == 53334,
             "repaid principal 66667 by outstanding -> " +
                 (principal.ok() ? Parts(*principal) : principal.status().ToString()) +
                 " (the left-over cent to the larger remainder)");
  auto interest = SplitByWeights(Amount::FromMinor(12000), outstanding, "LEAD");
  Result<Amount> fee =
      interest.ok() ? ApplyBasisPoints((*interest)[1], 1500) : Result<Amount>(interest.status());
  log.Expect(interest.ok() && (*interest)[1].minor() == 9600 && fee.ok() && fee->minor() == 1440,
             "interest 12000 -> " + (interest.ok() ? Parts(*interest) : std::string("?")) +
                 "; service fee 1500 bp of 9600 -> " + (fee.ok() ? fee->ToString() : "?"));
  const Amount max = Amount::FromMinor(std::numeric_limits<std::int64_t>::max());
  log.ExpectRejected(max.CheckedAdd(Amount::FromMinor(1)).status(), StatusCode::kOutOfRange,
                     "an overflowing sum is refused");
  log.ExpectRejected(Amount::Parse("8000.00").status(), StatusCode::kInvalidArgument,
                     "a decimal point in an amount is refused");
}

}  // namespace

SelfCheckResult RunSelfCheck(std::ostream& out) {
  CheckLog log(out);
  out << "colend self-check";
  CheckHashes(log);
  CheckSuite(log, "standard");
  CheckSuite(log, "sm");
  CheckBatch(log);
  CheckMerkle(log);
  CheckMoney(log);
  const SelfCheckResult r = log.result();
  out << "\n" << r.passed << " passed, " << r.failed << " failed\n";
  return r;
}

}  // namespace colend::cli
