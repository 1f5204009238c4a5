// colend-recon's library without a node: the streaming reconciler against hand-made chain
// snapshots (every break type, malformed input, chunk boundaries) and the report renderers.
#include <gtest/gtest.h>

#include <string>

#include <boost/json.hpp>

#include "colend/crypto/hash.h"
#include "colend/testutil/process_util.h"
#include "colend/testutil/recon_fixture.h"
#include "recon.h"

namespace colend::recon {
namespace {

using testutil::ScratchDir;
using testutil::WriteFile;

constexpr char kHeader[] = "record,loan_id,event_id,type,amount,interest,penalty,share_bp,share,outstanding,status\n";

// The ledger that matches PartnerAChainSnapshot() exactly.
std::string MatchingLedger() {
  return std::string(kHeader) +
         "LOAN,L-1,,,100000,,,8000,80000,72000,ACTIVE\n"
         "LOAN,L-2,,,200000,,,8000,160000,152000,ACTIVE\n"
         "LOAN,L-3,,,300000,,,8000,240000,0,REPAID\n"
         "EVENT,L-1,L-1,OriginateLoan,100000,,,,,,OK\n"
         "EVENT,L-2,L-2,OriginateLoan,200000,,,,,,OK\n"
         "EVENT,L-3,L-3,OriginateLoan,300000,,,,,,OK\n"
         "EVENT,L-1,R-1,RecordRepayment,10000,1500,0,,,,OK\n"
         "EVENT,L-2,R-2,RecordRepayment,5000,100,7,,,,REVERSED\n"
         "EVENT,L-2,V-2,Reverse,,,,,,,OK\n"
         "EVENT,L-2,R-3,RecordRepayment,10000,0,0,,,,OK\n";
}

class ReconLibTest : public ::testing::Test {
 protected:
  Result<ReconResult> Run(const std::string& csv) {
    const std::string path = dir_.Path("ledger.csv");
    WriteFile(path, csv);
    return LedgerReconciler::ReconcileFile(snapshot_, path);
  }

  // Ledger rows and chain records each accounted for exactly once.
  static void ExpectIdentities(const ReconResult& r) {
    EXPECT_EQ(testutil::ReconIdentityViolation(r), "");
  }

  ScratchDir dir_{"colend-recon-lib"};
  ChainSnapshot snapshot_ = testutil::PartnerAChainSnapshot();
};

TEST_F(ReconLibTest, MatchingLedgerHasNoBreaksAndTheFileHash) {
  const std::string csv = MatchingLedger();
  Result<ReconResult> r = Run(csv);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->breaks.size(), 0u);
  EXPECT_EQ(r->matched, 10u);
  EXPECT_EQ(r->ledger_rows, 10u);
  EXPECT_EQ(r->ledger_outstanding, 72000 + 152000);
  EXPECT_EQ(r->ledger_event_amount, 600000 + 11500 + 5107 + 10000);
  const crypto::Digest d = crypto::Hash(crypto::HashAlgorithm::kSha256, AsBytes(csv));
  EXPECT_EQ(r->input_sha256, ToHex(ByteView(d.data(), d.size())));
  ExpectIdentities(*r);
}

TEST_F(ReconLibTest, EveryBreakTypeFoundOnceWithAmounts) {
  std::string csv = std::string(kHeader) +
                    "LOAN,L-1,,,100000,,,7000,80000,72000,ACTIVE\n"       // split ratio
                    "LOAN,L-2,,,200000,,,8000,160000,152001,ACTIVE\n"     // amount
                    "LOAN,L-2,,,200000,,,8000,160000,152000,ACTIVE\n"     // duplicate
                    "EVENT,L-1,L-1,OriginateLoan,100000,,,,,,OK\n"
                    "EVENT,L-2,L-2,OriginateLoan,200000,,,,,,OK\n"
                    "EVENT,L-3,L-3,OriginateLoan,300000,,,,,,OK\n"
                    "EVENT,L-1,R-1,RecordRepayment,10000,1500,0,,,,OK\n"
                    "EVENT,L-2,R-2,RecordRepayment,5000,100,7,,,,OK\n"   // status
                    "EVENT,L-2,V-2,Reverse,,,,,,,OK\n"
                    "EVENT,L-2,R-3,RecordRepayment,10000,0,0,,,,OK\n"
                    "EVENT,L-9,R-9,RecordRepayment,777,0,0,,,,OK\n"       // missing on chain
                    "LOAN,L-B,,,1,,,1,1,1,ACTIVE\n";                        // out of scope
  // L-3's LOAN row is missing in the ledger.
  Result<ReconResult> r = Run(csv);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->breaks.size(), 6u);
  for (BreakType t : kAllBreakTypes) EXPECT_EQ(r->totals.at(t).count, 1u) << BreakTypeName(t);
  EXPECT_EQ(r->breaks[0].type, BreakType::kSplitRatioMismatch);
  EXPECT_EQ(r->breaks[0].line, 2u);
  EXPECT_NE(r->breaks[0].detail.find("share_bp: ledger 7000, chain 8000"), std::string::npos);
  EXPECT_EQ(r->breaks[1].type, BreakType::kAmountMismatch);
  EXPECT_EQ(r->breaks[1].ledger_amount, 152001);
  EXPECT_EQ(r->breaks[1].chain_amount, 152000);
  EXPECT_EQ(r->breaks[2].type, BreakType::kDuplicate);
  EXPECT_EQ(r->breaks[3].type, BreakType::kStatusMismatch);
  EXPECT_EQ(r->breaks[3].event_id, "R-2");
  EXPECT_EQ(r->breaks[4].type, BreakType::kMissingOnChain);
  EXPECT_EQ(r->totals.at(BreakType::kMissingOnChain).ledger_amount, 777);
  EXPECT_EQ(r->breaks[5].type, BreakType::kMissingInLedger);
  EXPECT_EQ(r->breaks[5].loan_id, "L-3");
  EXPECT_EQ(r->breaks[5].line, 0u);
  EXPECT_EQ(r->out_of_scope, 1u);
  ExpectIdentities(*r);
}

TEST_F(ReconLibTest, ARepeatedRowThatIsNotOnTheChainIsMissingThenDuplicate) {
  Result<ReconResult> r = Run(MatchingLedger() + "EVENT,L-1,X,RecordRepayment,1,,,,,,OK\n" +
                              "EVENT,L-1,X,RecordRepayment,1,,,,,,OK\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->totals.at(BreakType::kMissingOnChain).count, 1u);
  EXPECT_EQ(r->totals.at(BreakType::kDuplicate).count, 1u);
  ExpectIdentities(*r);
}

TEST_F(ReconLibTest, MalformedRowsAreReportedByLineAndNeverCrash) {
  const std::string csv = std::string(kHeader) +
                          "LOAN,L-1,,,100000,,,8000,80000,72000,ACTIVE\n"
                          "LOAN,L-2,,,200000.50,,,8000,160000,152000,ACTIVE\n"  // line 3
                          "TRANSFER,L-2,,,1,,,1,1,1,ACTIVE\n"                   // line 4
                          "LOAN,L-3,,,300000\n"                                 // line 5
                          "EVENT,L-1,,OriginateLoan,1,,,,,,OK\n"                // line 6
                          "LOAN,\"L-3,x\",,,1,,,1,1,1,ACTIVE\n"                 // line 7
                          "LOAN,L-3,,,99999999999999999999999,,,1,1,1,ACTIVE\n"  // line 8
                          "\n"
                          "\xff\xfe,,,,,,,,,,\n";                               // line 10
  Result<ReconResult> r = Run(csv);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->malformed.size(), 7u);
  EXPECT_EQ(r->malformed[0].line, 3u);
  EXPECT_NE(r->malformed[0].reason.find("amount"), std::string::npos) << r->malformed[0].reason;
  EXPECT_EQ(r->malformed[1].line, 4u);
  EXPECT_EQ(r->malformed[2].line, 5u);
  EXPECT_EQ(r->malformed[3].line, 6u);
  EXPECT_NE(r->malformed[3].reason.find("event_id"), std::string::npos);
  EXPECT_EQ(r->malformed[4].line, 7u);
  EXPECT_EQ(r->malformed[5].line, 8u);
  EXPECT_EQ(r->malformed[6].line, 10u);
  ExpectIdentities(*r);
}

TEST_F(ReconLibTest, BadHeadersAndFilesAreErrors) {
  Result<ReconResult> r = Run("loan,amount\nLOAN,1\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("line 1"), std::string::npos) << r.status().ToString();
  EXPECT_NE(r.status().message().find("record"), std::string::npos);
  EXPECT_FALSE(Run("").ok());
  EXPECT_FALSE(Run("\n\n").ok());
  EXPECT_FALSE(Run(std::string(100000, 'x')).ok());
  EXPECT_FALSE(LedgerReconciler::ReconcileFile(snapshot_, dir_.Path("none.csv")).ok());
}

TEST_F(ReconLibTest, ColumnsInAnyOrderCrlfBomAndExtraColumns) {
  std::string csv =
      "\xEF\xBB\xBFstatus,outstanding,share,share_bp,penalty,interest,amount,type,event_id,"
      "loan_id,record,memo\r\n"
      "ACTIVE,72000,80000,8000,,,100000,,,L-1,LOAN,anything\r\n"
      "\"OK\",,,,0,1500,10000,RecordRepayment,R-1,L-1,EVENT,x\r\n";
  Result<ReconResult> r = Run(csv);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->matched, 2u);
  EXPECT_TRUE(r->malformed.empty()) << r->malformed[0].reason;
  EXPECT_EQ(r->totals.at(BreakType::kMissingInLedger).count, 8u);
}

TEST_F(ReconLibTest, LinesAcrossReadChunksAndOverlongLines) {
  // About 1.2 MB: lines across many 64 KiB read chunks, an over-long line (70,000 bytes) that
  // spans two of them, and a final line without a newline.
  std::string csv = kHeader;
  for (int i = 0; i < 30000; ++i) csv += "EVENT,L-1,X" + std::to_string(i) + ",ChargeOff,,,,,,,OK\n";
  csv += std::string(70000, 'y') + "\n";
  csv += "LOAN,L-1,,,100000,,,8000,80000,72000,ACTIVE";
  Result<ReconResult> r = Run(csv);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->ledger_rows, 30002u);
  EXPECT_EQ(r->totals.at(BreakType::kMissingOnChain).count, 30000u);
  ASSERT_EQ(r->malformed.size(), 1u);
  EXPECT_EQ(r->malformed[0].line, 30002u);
  EXPECT_EQ(r->matched, 1u);
  ExpectIdentities(*r);
}

TEST_F(ReconLibTest, ReportsAreDeterministicAndHtmlIsSelfContained) {
  Result<ReconResult> r = Run(MatchingLedger() + "LOAN,L-9,,,1,,,1,1,1,\"ACTIVE\"\n");
  ASSERT_TRUE(r.ok());
  Report report{snapshot_, *r, "ledger.csv"};
  for (Format f : {Format::kText, Format::kCsv, Format::kJson, Format::kHtml}) {
    EXPECT_EQ(RenderReport(report, f), RenderReport(report, f));
  }
  const std::string html = RenderReport(report, Format::kHtml);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_NE(html.find("2025-12-01T08:20:00.123Z"), std::string::npos);

  const boost::json::value j = boost::json::parse(RenderReport(report, Format::kJson));
  EXPECT_EQ(j.at("bank").as_string(), "PARTNER_A");
  EXPECT_EQ(j.at("height").as_int64(), 42);
  const auto& summary = j.at("summary").as_array().at(0).as_object();
  EXPECT_EQ(summary.at("loans").as_int64(), 3);
  EXPECT_EQ(summary.at("principal").as_string(), "600000");
  EXPECT_EQ(summary.at("bank_outstanding").as_string(), "224000");
  EXPECT_EQ(j.at("reconciliation").at("breaks_by_type").at("MISSING_ON_CHAIN").at("count").as_int64(),
            1);

  const std::string csv = RenderReport(report, Format::kCsv);
  EXPECT_NE(csv.find("# breaks\n"), std::string::npos);
  EXPECT_NE(csv.find("# positions\n"), std::string::npos);
  const std::string text = RenderReport(report, Format::kText);
  EXPECT_NE(text.find("result: 1 break(s)"), std::string::npos) << text;
}

TEST_F(ReconLibTest, BanksAboveTheirLimitAreAWarningInEveryFormat) {
  Report clean{snapshot_, std::nullopt, ""};
  EXPECT_NE(RenderReport(clean, Format::kText).find("(no bank is above its limit)"),
            std::string::npos);
  EXPECT_TRUE(boost::json::parse(RenderReport(clean, Format::kJson)).at("over_limit").as_array().empty());

  snapshot_.over_limit.push_back({"AG-1", "PARTNER_A", "CNY", 7060116, 7000000, 60116});
  Report report{snapshot_, std::nullopt, ""};
  const std::string text = RenderReport(report, Format::kText);
  const std::size_t warning = text.find("== Warning: banks above their limit");
  ASSERT_NE(warning, std::string::npos) << text;
  EXPECT_LT(warning, text.find("== Summary per counterparty"));  // read before anything else
  const std::string row = text.substr(text.find("\nAG-1", warning) + 1);
  EXPECT_EQ(row.substr(0, row.find('\n')),
            "AG-1       PARTNER_A  CNY           7060116          7000000   60116");
  const boost::json::value j = boost::json::parse(RenderReport(report, Format::kJson));
  const auto& over = j.at("over_limit").as_array().at(0).as_object();
  EXPECT_EQ(over.at("bank").as_string(), "PARTNER_A");
  EXPECT_EQ(over.at("excess").as_string(), "60116");
  EXPECT_EQ(over.at("max_outstanding").as_string(), "7000000");
  EXPECT_NE(RenderReport(report, Format::kCsv).find("# over_limit\nagreement,bank,currency,"
                                                    "outstanding,max_outstanding,excess\n"
                                                    "AG-1,PARTNER_A,CNY,7060116,7000000,60116\n"),
            std::string::npos);
  EXPECT_NE(RenderReport(report, Format::kHtml).find("<h2 id=\"over_limit\">"), std::string::npos);
}

TEST_F(ReconLibTest, StrayBytesInTheLedgerKeepTheReportValid) {
  Result<ReconResult> r = Run(MatchingLedger() + "LOAN,L-\xff<b>,,,1,,,1,1,1,ACTIVE\n" +
                              "\xfe\x01,,,,,,,,,,\n");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->breaks.size(), 1u);
  ASSERT_EQ(r->malformed.size(), 1u);
  Report report{snapshot_, *r, "ledger.csv"};
  boost::system::error_code ec;
  const boost::json::value j = boost::json::parse(RenderReport(report, Format::kJson), ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(j.at("reconciliation").at("breaks").at(0).at("loan_id").as_string(), "L-?<b>");
  EXPECT_NE(RenderReport(report, Format::kHtml).find("L-?&lt;b&gt;"), std::string::npos);
}

TEST(ReconFormatTest, ParsesTheFourFormats) {
  EXPECT_TRUE(ParseFormat("text").ok());
  EXPECT_TRUE(ParseFormat("html").ok());
  EXPECT_FALSE(ParseFormat("pdf").ok());
}

}  // namespace
}  // namespace colend::recon
