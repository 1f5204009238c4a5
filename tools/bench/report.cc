#include "report.h"

#include <algorithm>
#include <iomanip>

#include <boost/json.hpp>

namespace colend::bench {
namespace {

boost::json::object LatencyJson(const LatencySummary& s) {
  return {{"p50", s.p50}, {"p95", s.p95}, {"p99", s.p99}, {"max", s.max}, {"count", s.count}};
}

boost::json::object CountsJson(const std::map<std::string, std::uint64_t>& counts) {
  boost::json::object out;
  for (const auto& [key, n] : counts) out[key] = n;
  return out;
}

// Boost appends the source location of a socket error (" [system:111 at /usr/include/...]"):
// noise for a reader of the report.
std::string ShortError(const std::string& error) {
  const std::size_t cut = error.find(" [");
  return cut == std::string::npos ? error : error.substr(0, cut);
}

double SendRate(const LoadResult& load) {
  return load.send_span_s > 0 ? static_cast<double>(load.send_calls) / load.send_span_s : 0;
}

double CommittedTps(const Tally& t) {
  const double span_s = std::max(1e-9, static_cast<double>(t.last_commit_ns) / 1e9);
  return static_cast<double>(t.admitted_committed) / span_s;
}

const NodeHealth::NodeReport* HealthOf(const ReportInput& in, std::size_t i) {
  return i < in.load->nodes.size() ? &in.load->nodes[i] : nullptr;
}

boost::json::array NodesJson(const ReportInput& in) {
  boost::json::array nodes;
  for (std::size_t i = 0; i < in.end->nodes.size(); ++i) {
    const NodeEndState& n = in.end->nodes[i];
    boost::json::object j{{"id", n.id}, {"rpc", n.rpc}, {"reachable", n.reachable}};
    if (n.reachable) {
      j["height"] = n.height;
      j["executed_height"] = n.executed_height;
      j["state_root"] = n.state_root;
      j["block_hash_at_common_height"] = n.common_block_hash;
    } else {
      j["error"] = ShortError(n.error);
    }
    boost::json::array outages;
    double unreachable_s = 0;
    if (const NodeHealth::NodeReport* h = HealthOf(in, i)) {
      for (const NodeHealth::Outage& o : h->outages) {
        outages.push_back({{"from_s", o.from_s}, {"to_s", o.to_s}, {"ongoing", o.ongoing}});
      }
      unreachable_s = h->unreachable_s;
      if (!h->last_error.empty()) j["last_error"] = ShortError(h->last_error);
    }
    j["unreachable_s"] = unreachable_s;
    j["outages"] = std::move(outages);
    nodes.push_back(std::move(j));
  }
  return nodes;
}

}  // namespace

boost::json::object ReportJson(const ReportInput& in) {
  const BenchOptions& o = *in.options;
  const Tally& t = in.tally;
  const LoadResult& load = *in.load;
  boost::json::object j;
  j["offered_rate"] = o.rate;
  j["duration_s"] = o.duration_s;
  j["nodes"] = in.node_ids.size();
  j["offered"] = t.offered;
  j["sent"] = t.sent;
  j["unsent"] = t.unsent;
  j["admitted"] = t.admitted;
  j["admitted_as_duplicate"] = t.admitted_as_duplicate;
  j["refused_at_admission"] = t.refused;
  j["gave_up"] = t.gave_up;
  j["busy_answers"] = load.busy_answers;
  j["busy_txs"] = t.busy_txs;
  j["busy_retries"] = load.busy_retries;
  j["connection_resends"] = load.connection_resends;
  j["send_calls"] = load.send_calls;
  j["batch_calls"] = load.batch_calls;
  j["send_rate"] = SendRate(load);
  j["send_slots_dropped_behind"] = load.slots_dropped_behind;
  j["committed"] = t.admitted_committed;
  j["not_committed"] = t.admitted_not_committed;
  j["committed_without_admission"] = t.committed - t.admitted_committed;
  boost::json::array sample;
  for (const std::string& hash : load.not_committed_sample)
    sample.push_back(boost::json::string(hash));
  j["not_committed_sample"] = std::move(sample);
  if (in.rejected_by_contract.has_value()) {
    j["rejected_by_contract"] = *in.rejected_by_contract;
  } else {
    j["rejected_by_contract"] = nullptr;
  }
  j["committed_tps"] = CommittedTps(t);
  j["latency_ms"] = LatencyJson(t.from_admitted_send);
  j["latency_from_first_attempt_ms"] = LatencyJson(t.from_first_attempt);
  j["refusals"] = CountsJson(load.refusals);
  j["busy_reasons"] = CountsJson(load.busy_reasons);
  j["node_status"] = NodesJson(in);
  boost::json::array unreachable;
  for (std::size_t i = 0; i < in.node_ids.size(); ++i) {
    const NodeHealth::NodeReport* h = HealthOf(in, i);
    if (h != nullptr && !h->outages.empty())
      unreachable.push_back(boost::json::string(in.node_ids[i]));
  }
  j["nodes_unreachable"] = std::move(unreachable);
  j["nodes_agree"] = in.end->agree;
  j["common_height"] = in.end->common_height;
  j["baseline_verify_per_s"] = in.verify_per_s;
  j["suite"] = in.suite;
  return j;
}

namespace {

void PrintLatency(std::ostream& out, const char* what, const LatencySummary& s) {
  out << "  latency ms, " << what << ": p50 " << s.p50 << ", p95 " << s.p95 << ", p99 " << s.p99
      << ", max " << s.max << " (" << s.count << " transactions)\n";
}

void PrintNodes(const ReportInput& in, std::ostream& out) {
  for (std::size_t i = 0; i < in.end->nodes.size(); ++i) {
    const NodeEndState& n = in.end->nodes[i];
    out << "  node " << n.id << " " << n.rpc << ": ";
    if (n.reachable) {
      out << "height " << n.height << ", executed " << n.executed_height << ", state_root "
          << n.state_root;
    } else {
      out << "unreachable at the end (" << ShortError(n.error) << ")";
    }
    const NodeHealth::NodeReport* h = HealthOf(in, i);
    if (h != nullptr && !h->outages.empty()) {
      out << "; unreachable during the run " << h->unreachable_s << " s in " << h->outages.size()
          << (h->outages.size() == 1 ? " outage" : " outages") << ":";
      for (const NodeHealth::Outage& o : h->outages) {
        if (o.ongoing) {
          out << " from t=" << o.from_s << " s until the end";
        } else {
          out << " t=" << o.from_s << "-" << o.to_s << " s";
        }
      }
    }
    out << "\n";
  }
  const NetworkEndState& e = *in.end;
  out << "  nodes agree: " << (e.agree ? "yes" : "NO") << " (" << e.reachable << " of "
      << e.nodes.size() << " answer; block " << e.common_height
      << (e.agree ? " is the same on each" : " or the state roots differ") << ")\n";
}

// What happened to the offered transactions, the calls made for them, and the commits.
void PrintCounts(const ReportInput& in, std::ostream& out) {
  const BenchOptions& o = *in.options;
  const Tally& t = in.tally;
  const LoadResult& load = *in.load;
  out << "colend-bench: " << in.node_ids.size() << " nodes, offered " << o.rate << " tx/s for "
      << o.duration_s << " s (mix " << o.originate_pct << "/" << o.repay_pct << "/" << o.reverse_pct
      << " originate/repay/reverse)\n"
      << "  offered " << t.offered << ", sent " << t.sent << " (" << t.unsent
      << " never sent), admitted " << t.admitted << " (" << t.admitted_as_duplicate
      << " as DUPLICATE of a resubmission), refused at admission " << t.refused << ", gave up "
      << t.gave_up << "\n"
      << "  sends " << load.send_calls << " at " << SendRate(load) << "/s"
      << (load.batch_calls > 0
              ? " in " + std::to_string(load.batch_calls) + " sendTransactions calls"
              : std::string(" (one sendTransaction call each)"))
      << " (retries included): " << load.busy_retries << " retries after BUSY, "
      << load.connection_resends << " resends after a node did not answer";
  if (load.slots_dropped_behind > 0) {
    out << "; " << load.slots_dropped_behind
        << " send slots dropped while every sender was waiting on a call";
  }
  out << "\n"
      << "  busy answers " << load.busy_answers << " for " << t.busy_txs
      << " distinct transactions\n"
      << "  committed " << t.admitted_committed << " (" << t.admitted_not_committed
      << " admitted but never seen committed";
  if (t.committed > t.admitted_committed) {
    out << ", " << (t.committed - t.admitted_committed) << " committed without an admission answer";
  }
  out << "), rejected by the contract ";
  if (in.rejected_by_contract.has_value()) {
    out << *in.rejected_by_contract;
  } else {
    out << "unknown (no node's metrics answered before and after)";
  }
  out << "\n  committed throughput " << CommittedTps(t) << " tx/s\n";
}

}  // namespace

void PrintTextReport(const ReportInput& in, std::ostream& out) {
  const Tally& t = in.tally;
  const LoadResult& load = *in.load;
  out << std::fixed << std::setprecision(1);
  PrintCounts(in, out);
  if (!load.not_committed_sample.empty()) {
    out << "  never seen committed, e.g.:";
    for (const std::string& hash : load.not_committed_sample) out << " " << hash;
    out << "\n";
  }
  PrintLatency(out, "admitted send to commit", t.from_admitted_send);
  PrintLatency(out, "first attempt to commit", t.from_first_attempt);
  PrintNodes(in, out);
  out << "  baseline: " << in.suite << " verify " << std::setprecision(0) << in.verify_per_s
      << "/s on one core (in-process, like openssl speed)\n";
  for (const auto& [reason, count] : load.busy_reasons) {
    out << "  busy " << count << "x: " << reason << "\n";
  }
  for (const auto& [reason, count] : load.refusals) {
    out << "  refused " << count << "x: " << reason << "\n";
  }
}

}  // namespace colend::bench
