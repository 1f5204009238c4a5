// colend-bench's pieces without a node: the send scheduler's rate budget and retries, what
// a sendTransaction answer means and the BUSY back-off, node liveness, the percentiles and
// outcome tally, the end-of-run agreement check and the JSON report's keys.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "bench.h"
#include "bench_stats.h"
#include "load_run.h"
#include "node_health.h"
#include "node_report.h"
#include "report.h"
#include "send_answer.h"
#include "send_scheduler.h"

namespace colend::bench {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

const Clock::time_point kT0 = Clock::time_point() + 1000s;

// --- SendScheduler ----------------------------------------------------------------------

TEST(SendSchedulerTest, PacesFreshTransactionsAtTheRate) {
  SendScheduler s(3, 10, kT0, kT0 + 60s);
  SendScheduler::Poll p = s.TryTake(kT0);
  ASSERT_TRUE(p.work.has_value());
  EXPECT_EQ(p.work->index, 0u);
  EXPECT_FALSE(p.work->retry);
  p = s.TryTake(kT0 + 50ms);
  EXPECT_FALSE(p.work.has_value());
  EXPECT_FALSE(p.done);
  EXPECT_EQ(p.wake, kT0 + 100ms);
  EXPECT_EQ(s.TryTake(kT0 + 100ms).work->index, 1u);
  EXPECT_EQ(s.TryTake(kT0 + 200ms).work->index, 2u);
  // All taken but still in flight: not done yet.
  p = s.TryTake(kT0 + 300ms);
  EXPECT_FALSE(p.work.has_value());
  EXPECT_FALSE(p.done);
  s.Finish(0);
  s.Finish(1);
  s.Finish(2);
  EXPECT_TRUE(s.TryTake(kT0 + 300ms).done);
  EXPECT_EQ(s.slots_used(), 3u);
}

TEST(SendSchedulerTest, ADueRetryTakesTheNextSlotBeforeFreshWork) {
  SendScheduler s(3, 10, kT0, kT0 + 60s);
  ASSERT_EQ(s.TryTake(kT0).work->index, 0u);
  s.Retry(0, kT0 + 50ms);
  const SendScheduler::Poll p = s.TryTake(kT0 + 100ms);
  ASSERT_TRUE(p.work.has_value());
  EXPECT_EQ(p.work->index, 0u);
  EXPECT_TRUE(p.work->retry);
  EXPECT_EQ(s.TryTake(kT0 + 200ms).work->index, 1u);
  EXPECT_EQ(s.fresh_taken(), 2u);
}

TEST(SendSchedulerTest, CatchesUpSlotsMissedWhileSendersWereLate) {
  SendScheduler s(10, 100, kT0, kT0 + 60s);
  int taken = 0;
  while (s.TryTake(kT0 + 50ms).work.has_value()) ++taken;
  EXPECT_EQ(taken, 6);  // slots at 0, 10, ..., 50 ms
}

TEST(SendSchedulerTest, CatchesUpAtMostMaxCatchUpAfterAStall) {
  SendScheduler s(1000, 100, kT0, kT0 + 60s, 250ms);
  ASSERT_TRUE(s.TryTake(kT0).work.has_value());
  int taken = 0;
  while (s.TryTake(kT0 + 2s).work.has_value()) ++taken;
  EXPECT_EQ(taken, 26);  // slots at 1750, 1760, ..., 2000 ms; the 2 s stall is not replayed
  EXPECT_GE(s.slots_dropped_behind(), 170u);
  EXPECT_EQ(s.TryTake(kT0 + 2s).wake, kT0 + 2010ms);
}

TEST(SendSchedulerTest, DropsSlotsThatCameWhileOnlyRetriesWereWaiting) {
  SendScheduler s(10, 100, kT0, kT0 + 60s);
  for (int i = 0; i < 10; ++i) {
    const SendScheduler::Poll p = s.TryTake(kT0 + i * 10ms);
    ASSERT_TRUE(p.work.has_value());
    s.Retry(p.work->index, kT0 + 1s);  // every one BUSY, all due at once
  }
  EXPECT_EQ(s.TryTake(kT0 + 500ms).wake, kT0 + 1s);
  // After a quiet second the ten retries are paced, not sent as one burst.
  ASSERT_TRUE(s.TryTake(kT0 + 1s).work.has_value());
  const SendScheduler::Poll p = s.TryTake(kT0 + 1s);
  EXPECT_FALSE(p.work.has_value());
  EXPECT_EQ(p.wake, kT0 + 1s + 10ms);
}

// Every call, retries included, takes a slot: in any one-second window there are at most
// `rate` calls, even when every first attempt is answered BUSY.
TEST(SendSchedulerTest, RetriesNeverPushCallsAboveTheRate) {
  constexpr double kRate = 100;
  constexpr std::size_t kTxs = 200;
  SendScheduler s(kTxs, kRate, kT0, kT0 + 60s);
  std::vector<int> busy(kTxs, 0);
  std::deque<Clock::time_point> window;
  std::size_t calls = 0, max_in_window = 0;
  Clock::time_point now = kT0;
  while (true) {
    const SendScheduler::Poll p = s.TryTake(now);
    if (p.done) break;
    if (!p.work.has_value()) {
      now = std::max(now + 1ms, p.wake);
      continue;
    }
    ++calls;
    window.push_back(now);
    while (now - window.front() >= 1s) window.pop_front();
    max_in_window = std::max(max_in_window, window.size());
    if (busy[p.work->index]++ == 0) {
      s.Retry(p.work->index, now + BusyRetryDelay(std::nullopt, 1));
    } else {
      s.Finish(p.work->index);
    }
  }
  EXPECT_EQ(calls, 2 * kTxs);
  EXPECT_LE(max_in_window, static_cast<std::size_t>(kRate));
  EXPECT_GE(now - kT0, 3900ms);  // 400 calls at 100/s
  EXPECT_TRUE(s.abandoned().empty());
}

TEST(SendSchedulerTest, TheDeadlineLeavesFreshUnsentAndAbandonsRetries) {
  SendScheduler s(100, 10, kT0, kT0 + 1s);
  ASSERT_EQ(s.TryTake(kT0).work->index, 0u);
  ASSERT_EQ(s.TryTake(kT0 + 100ms).work->index, 1u);
  s.Retry(0, kT0 + 900ms);
  s.Retry(1, kT0 + 2s);  // beyond the deadline: abandoned at once
  EXPECT_EQ(s.abandoned(), std::vector<std::size_t>({0, 1}));  // 0 still waiting counts
  EXPECT_TRUE(s.TryTake(kT0 + 1s).done);
  EXPECT_EQ(s.abandoned(), std::vector<std::size_t>({0, 1}));
  EXPECT_EQ(s.fresh_taken(), 2u);
}

// --- send answers -----------------------------------------------------------------------

tools::RpcResponse ErrorAnswer(std::int64_t code, std::string message, boost::json::value data) {
  tools::RpcResponse r;
  r.error = tools::RpcError{code, std::move(message), std::move(data)};
  return r;
}

const std::string kHash(64, 'a');

TEST(SendAnswerTest, AResultIsAdmitted) {
  tools::RpcResponse r;
  r.result = boost::json::object{{"tx_hash", kHash}};
  EXPECT_EQ(ClassifySendAnswer(r, kHash, false).kind, SendAnswer::kAdmitted);
}

TEST(SendAnswerTest, BusyCarriesTheHintAndReason) {
  const ClassifiedAnswer a = ClassifySendAnswer(
      ErrorAnswer(-32004, "busy",
                  boost::json::object{{"retry_after_ms", 250}, {"reason", "pool full"}}),
      kHash, false);
  EXPECT_EQ(a.kind, SendAnswer::kBusy);
  EXPECT_EQ(a.reason, "pool full");
  ASSERT_TRUE(a.retry_after.has_value());
  EXPECT_EQ(*a.retry_after, 250ms);
}

TEST(SendAnswerTest, BusyFromAnOlderNodeHasNoHint) {
  const ClassifiedAnswer a =
      ClassifySendAnswer(ErrorAnswer(-32004, "busy: retry later", nullptr), kHash, true);
  EXPECT_EQ(a.kind, SendAnswer::kBusy);
  EXPECT_EQ(a.reason, "busy: retry later");
  EXPECT_FALSE(a.retry_after.has_value());
}

TEST(SendAnswerTest, UnusableHintsAreIgnoredOrClamped) {
  auto hint = [](boost::json::value v) {
    return ClassifySendAnswer(
               ErrorAnswer(-32004, "busy", boost::json::object{{"retry_after_ms", std::move(v)}}),
               kHash, false)
        .retry_after;
  };
  EXPECT_FALSE(hint("soon").has_value());
  EXPECT_EQ(hint(-5), 0ms);
  EXPECT_EQ(hint(12.7), 12ms);
  EXPECT_EQ(hint(1'000'000), kMaxRetryHint);
}

TEST(SendAnswerTest, DuplicateOfItsOwnHashIsAdmittedOnlyOnAResubmission) {
  const boost::json::object data{{"code", "DUPLICATE"}, {"tx_hash", std::string(64, 'A')}};
  const tools::RpcResponse dup = ErrorAnswer(-32001, "transaction rejected: DUPLICATE", data);
  EXPECT_EQ(ClassifySendAnswer(dup, kHash, true).kind, SendAnswer::kAdmittedDuplicate);
  EXPECT_EQ(ClassifySendAnswer(dup, kHash, false).kind, SendAnswer::kRefused);
  EXPECT_EQ(ClassifySendAnswer(dup, std::string(64, 'b'), true).kind, SendAnswer::kRefused);
  const ClassifiedAnswer bad = ClassifySendAnswer(
      ErrorAnswer(-32001, "transaction rejected: BAD_SIGNATURE",
                  boost::json::object{{"code", "BAD_SIGNATURE"}, {"tx_hash", kHash}}),
      kHash, true);
  EXPECT_EQ(bad.kind, SendAnswer::kRefused);
  EXPECT_EQ(bad.reason, "-32001 transaction rejected: BAD_SIGNATURE");
}

TEST(SendAnswerTest, NoAnswerIsUnreachable) {
  tools::RpcResponse r;
  r.status = Status::Unavailable("http://127.0.0.1:1: Connection refused");
  EXPECT_EQ(ClassifySendAnswer(r, kHash, false).kind, SendAnswer::kUnreachable);
}

TEST(BusyRetryDelayTest, BacksOffFrom100MsDoublingToTwoSecondsWithoutAHint) {
  const std::vector<std::chrono::milliseconds> want = {100ms,  200ms,  400ms, 800ms,
                                                       1600ms, 2000ms, 2000ms};
  for (std::uint32_t k = 1; k <= want.size(); ++k) {
    EXPECT_EQ(BusyRetryDelay(std::nullopt, k), want[k - 1]) << k;
  }
  EXPECT_EQ(BusyRetryDelay(std::nullopt, 1000), 2000ms);
  EXPECT_EQ(BusyRetryDelay(250ms, 5), 250ms);
  EXPECT_EQ(BusyRetryDelay(0ms, 1), 0ms);
}

// --- NodeHealth -------------------------------------------------------------------------

TEST(NodeHealthTest, PicksRoundRobinOverUpNodes) {
  NodeHealth h(3, kT0);
  EXPECT_EQ(h.Pick(), 0u);
  EXPECT_EQ(h.Pick(), 1u);
  EXPECT_EQ(h.Pick(), 2u);
  EXPECT_EQ(h.Pick(), 0u);
  h.MarkDown(1, kT0 + 1s, "refused");
  EXPECT_EQ(h.Pick(), 2u);
  EXPECT_EQ(h.Pick(), 0u);
  EXPECT_EQ(h.Pick(), 2u);
  EXPECT_EQ(h.UpCount(), 2u);
  EXPECT_EQ(h.Pick(2), 0u);  // avoided when another node is up
  h.MarkDown(0, kT0 + 1s, "refused");
  EXPECT_EQ(h.Pick(2), 2u);  // but used when it is the only one
  h.MarkDown(2, kT0 + 1s, "refused");
  EXPECT_FALSE(h.Pick().has_value());
}

TEST(NodeHealthTest, ADownNodeIsProbedEverySecondAndItsOutagesReported) {
  NodeHealth h(2, kT0);
  h.MarkDown(1, kT0 + 2s, "connection refused");
  h.MarkDown(1, kT0 + 2500ms, "connection refused again");  // already down: same outage
  EXPECT_FALSE(h.IsUp(1));
  EXPECT_EQ(h.NextProbe(1), kT0 + 3s);
  h.ProbeFailed(1, kT0 + 3s);
  EXPECT_EQ(h.NextProbe(1), kT0 + 4s);
  h.ProbeSucceeded(1, kT0 + 4s);
  EXPECT_TRUE(h.IsUp(1));
  h.MarkDown(1, kT0 + 6s, "timeout");
  const std::vector<NodeHealth::NodeReport> r = h.Report(kT0 + 10s);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_TRUE(r[0].up);
  EXPECT_TRUE(r[0].outages.empty());
  EXPECT_FALSE(r[1].up);
  ASSERT_EQ(r[1].outages.size(), 2u);
  EXPECT_DOUBLE_EQ(r[1].outages[0].from_s, 2);
  EXPECT_DOUBLE_EQ(r[1].outages[0].to_s, 4);
  EXPECT_FALSE(r[1].outages[0].ongoing);
  EXPECT_DOUBLE_EQ(r[1].outages[1].from_s, 6);
  EXPECT_DOUBLE_EQ(r[1].outages[1].to_s, 10);
  EXPECT_TRUE(r[1].outages[1].ongoing);
  EXPECT_DOUBLE_EQ(r[1].unreachable_s, 6);
  EXPECT_EQ(r[1].last_error, "timeout");
}

// --- statistics -------------------------------------------------------------------------

TEST(PercentileTest, IsNearestRank) {
  std::vector<double> hundred;
  for (int i = 1; i <= 100; ++i) hundred.push_back(i);
  EXPECT_EQ(Percentile(hundred, 50), 50);
  EXPECT_EQ(Percentile(hundred, 95), 95);
  EXPECT_EQ(Percentile(hundred, 99), 99);
  EXPECT_EQ(Percentile(hundred, 100), 100);
  EXPECT_EQ(Percentile({10, 20, 30, 40}, 50), 20);
  EXPECT_EQ(Percentile({10, 20, 30, 40}, 95), 40);
  EXPECT_EQ(Percentile({7}, 0.1), 7);
  EXPECT_EQ(Percentile({}, 50), 0);
  const LatencySummary s = Summarize({30, 10, 20});
  EXPECT_EQ(s.count, 3u);
  EXPECT_EQ(s.p50, 20);
  EXPECT_EQ(s.max, 30);
}

TxRecord Record(TxRecord::Fate fate, std::int64_t first_ms, std::int64_t admitted_ms,
                std::int64_t committed_ms, std::uint32_t busy = 0) {
  TxRecord r;
  r.fate = fate;
  r.attempts = fate == TxRecord::Fate::kUnsent ? 0 : 1 + busy;
  r.busy_answers = busy;
  r.first_sent_ns = first_ms < 0 ? kNever : first_ms * 1'000'000;
  r.admitted_sent_ns = admitted_ms < 0 ? kNever : admitted_ms * 1'000'000;
  r.committed_ns = committed_ms < 0 ? kNever : committed_ms * 1'000'000;
  return r;
}

TEST(TallyTest, CountsEveryFateAndMeasuresLatencyBothWays) {
  using F = TxRecord::Fate;
  std::vector<TxRecord> records = {
      Record(F::kAdmitted, 0, 0, 100),       // straight in: 100 ms both ways
      Record(F::kAdmitted, 0, 300, 500, 1),  // BUSY once: 200 ms from its admitted send
      Record(F::kAdmitted, 10, 10, -1),      // admitted, never committed
      Record(F::kRefused, 20, -1, -1),       //
      Record(F::kGaveUp, 30, -1, -1, 4),     // BUSY until the deadline
      Record(F::kUnsent, -1, -1, -1),        //
      Record(F::kAdmitted, 40, 900, 800),    // a dead node's earlier attempt got in first
      Record(F::kGaveUp, 50, -1, 600),       // committed without an admission answer
  };
  records[6].admitted_as_duplicate = true;
  const Tally t = TallyRecords(records);
  EXPECT_EQ(t.offered, 8u);
  EXPECT_EQ(t.sent, 7u);
  EXPECT_EQ(t.unsent, 1u);
  EXPECT_EQ(t.admitted, 4u);
  EXPECT_EQ(t.admitted_as_duplicate, 1u);
  EXPECT_EQ(t.refused, 1u);
  EXPECT_EQ(t.gave_up, 2u);
  EXPECT_EQ(t.busy_txs, 2u);
  EXPECT_EQ(t.committed, 4u);
  EXPECT_EQ(t.admitted_committed, 3u);
  EXPECT_EQ(t.admitted_not_committed, 1u);
  EXPECT_EQ(t.last_commit_ns, 800'000'000);
  EXPECT_EQ(t.from_admitted_send.count, 3u);
  EXPECT_EQ(t.from_admitted_send.p50, 100);  // {0, 100, 200}
  EXPECT_EQ(t.from_admitted_send.max, 200);
  EXPECT_EQ(t.from_first_attempt.p50, 500);  // {100, 500, 760}
  EXPECT_EQ(t.from_first_attempt.max, 760);
}

// --- the end of the run -----------------------------------------------------------------

NodeEndState EndNode(std::string id, bool reachable, std::uint64_t executed, std::string root,
                     std::string common_hash) {
  NodeEndState n;
  n.id = std::move(id);
  n.reachable = reachable;
  n.height = executed;
  n.executed_height = executed;
  n.state_root = std::move(root);
  n.common_block_hash = std::move(common_hash);
  return n;
}

TEST(AgreementTest, LiveNodesAgreeOnTheCommonBlockAndOnRootsAtEqualHeights) {
  NetworkEndState s;
  s.nodes = {EndNode("A", true, 10, "r10", "h10"), EndNode("B", true, 11, "r11", "h10"),
             EndNode("C", false, 0, "", ""), EndNode("D", true, 10, "r10", "h10")};
  EvaluateAgreement(s);
  EXPECT_TRUE(s.agree);
  EXPECT_EQ(s.reachable, 3u);
  EXPECT_EQ(s.common_height, 10u);

  s.nodes[3].state_root = "other";
  EvaluateAgreement(s);
  EXPECT_FALSE(s.agree);

  s.nodes[3].state_root = "r10";
  s.nodes[1].common_block_hash = "fork";
  EvaluateAgreement(s);
  EXPECT_FALSE(s.agree);

  NetworkEndState none;
  none.nodes = {EndNode("A", false, 0, "", "")};
  EvaluateAgreement(none);
  EXPECT_FALSE(none.agree);
  EXPECT_EQ(none.common_height, 0u);
}

TEST(ReportJsonTest, KeepsTheOldKeysAndAddsTheNewCounters) {
  BenchOptions o;
  LoadResult load;
  load.txs = {Record(TxRecord::Fate::kAdmitted, 0, 300, 500, 1)};
  load.send_calls = 2;
  load.busy_answers = 1;
  load.busy_retries = 1;
  load.busy_reasons["pool full"] = 1;
  load.nodes.resize(2);
  load.nodes[1].up = false;
  load.nodes[1].outages.push_back({1.5, 9, true});
  load.nodes[1].unreachable_s = 7.5;
  NetworkEndState end;
  end.nodes = {EndNode("LEAD", true, 7, "root", "hash"), EndNode("PARTNER_A", false, 0, "", "")};
  EvaluateAgreement(end);
  ReportInput in;
  in.options = &o;
  in.node_ids = {"LEAD", "PARTNER_A"};
  in.suite = "standard";
  in.load = &load;
  in.tally = TallyRecords(load.txs);
  in.rejected_by_contract = 0;
  in.end = &end;
  const boost::json::object j = ReportJson(in);
  for (const char* key : {"offered_rate",
                          "duration_s",
                          "nodes",
                          "sent",
                          "admitted",
                          "refused_at_admission",
                          "busy_retries",
                          "committed",
                          "not_committed",
                          "rejected_by_contract",
                          "committed_tps",
                          "latency_ms",
                          "baseline_verify_per_s",
                          "suite",
                          "offered",
                          "busy_answers",
                          "busy_txs",
                          "latency_from_first_attempt_ms",
                          "node_status",
                          "nodes_agree",
                          "nodes_unreachable",
                          "gave_up",
                          "unsent",
                          "send_calls"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j.at("busy_txs").to_number<int>(), 1);
  EXPECT_EQ(j.at("latency_ms").at("p50").to_number<double>(), 200);
  EXPECT_EQ(j.at("latency_from_first_attempt_ms").at("p50").to_number<double>(), 500);
  EXPECT_EQ(j.at("nodes_unreachable").as_array().size(), 1u);
  EXPECT_EQ(j.at("node_status").as_array()[1].at("unreachable_s").to_number<double>(), 7.5);
  EXPECT_TRUE(j.at("nodes_agree").as_bool());
}

// sendTransactions' answer, entry by entry, as sendTransaction's answers (send_answer.h).
TEST(SendTransactionsEntryTest, EachEntryIsItsOwnAnswer) {
  tools::RpcResponse whole;
  whole.result = boost::json::parse(
      R"({"results":[{"tx_hash":"ab"},{"error":{"code":-32004,"message":"busy",)"
      R"("data":{"reason":"pool_full","retry_after_ms":120}}},)"
      R"({"error":{"code":-32001,"message":"rejected","data":{"code":"DUPLICATE"}}}],)"
      R"("admitted":1,"busy":1,"rejected":1})");
  const tools::RpcResponse a = tools::SendTransactionsEntry(whole, 0, 3);
  ASSERT_TRUE(a.status.ok());
  EXPECT_FALSE(a.error.has_value());
  EXPECT_EQ(a.result.at("tx_hash"), boost::json::value("ab"));
  const tools::RpcResponse b = tools::SendTransactionsEntry(whole, 1, 3);
  ASSERT_TRUE(b.error.has_value());
  EXPECT_EQ(b.error->code, -32004);
  const ClassifiedAnswer busy = ClassifySendAnswer(b, "ab", false);
  EXPECT_EQ(busy.kind, SendAnswer::kBusy);
  EXPECT_EQ(busy.reason, "pool_full");
  EXPECT_EQ(busy.retry_after, std::chrono::milliseconds(120));
  const tools::RpcResponse c = tools::SendTransactionsEntry(whole, 2, 3);
  ASSERT_TRUE(c.error.has_value());
  EXPECT_EQ(c.error->code, -32001);
  EXPECT_EQ(c.error->data.at("code"), boost::json::value("DUPLICATE"));
  // An answer without one result per transaction tells nothing about any of them.
  EXPECT_FALSE(tools::SendTransactionsEntry(whole, 0, 4).status.ok());
  // A whole-call error (an older node without the method) is every entry's answer.
  tools::RpcResponse refused;
  refused.error = tools::RpcError{-32601, "method not found", {}};
  EXPECT_EQ(tools::SendTransactionsEntry(refused, 1, 3).error->code, -32601);
  tools::RpcResponse unreachable;
  unreachable.status = Status::Unavailable("connection refused");
  EXPECT_EQ(ClassifySendAnswer(tools::SendTransactionsEntry(unreachable, 0, 2), "ab", false).kind,
            SendAnswer::kUnreachable);
}

}  // namespace
}  // namespace colend::bench
