// colend-recon's report in text, csv, json and html (recon.h). Everything printed comes from
// the snapshot and the reconciliation, in a fixed order: the same inputs give the same bytes.
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <limits>
#include <sstream>

#include <boost/json.hpp>

#include "colend/common/int128.h"
#include "recon.h"
#include "totals.h"

namespace colend::recon {
namespace {

namespace json = boost::json;

constexpr std::size_t kLastSettlements = 5;

struct Table {
  std::string name;   // machine name (csv section, html id)
  std::string title;  // for people
  std::vector<std::string> columns;
  std::vector<bool> numeric;  // right-aligned
  std::vector<std::vector<std::string>> rows;
  std::string note;  // shown when there are no rows, or under the table
};

struct CounterpartySummary {
  std::string counterparty;
  std::uint64_t loans = 0;
  std::int64_t principal = 0;
  std::int64_t bank_share = 0;
  std::int64_t bank_outstanding = 0;
  std::int64_t counterparty_outstanding = 0;
  std::vector<const PositionRow*> positions;
  std::vector<const SettlementRow*> settlements;  // every batch of the pair, in closing order
};

std::string I(std::int64_t v) { return std::to_string(v); }
std::string U(std::uint64_t v) { return std::to_string(v); }

std::string IsoTime(std::uint64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<unsigned>(ms % 1000));
  return buf;
}

std::vector<CounterpartySummary> Summaries(const ChainSnapshot& s) {
  std::vector<CounterpartySummary> out;
  for (const std::string& cp : s.counterparties) {
    CounterpartySummary sum;
    sum.counterparty = cp;
    for (const ChainLoan& loan : s.loans) {
      const LoanLeg* mine = loan.Leg(s.bank);
      const LoanLeg* theirs = loan.Leg(cp);
      if (mine == nullptr || theirs == nullptr) continue;
      ++sum.loans;
      sum.principal = AddSat(sum.principal, loan.principal);
      sum.bank_share = AddSat(sum.bank_share, mine->share);
      sum.bank_outstanding = AddSat(sum.bank_outstanding, mine->outstanding);
      sum.counterparty_outstanding = AddSat(sum.counterparty_outstanding, theirs->outstanding);
    }
    for (const PositionRow& p : s.positions) {
      if (p.counterparty == cp) sum.positions.push_back(&p);
    }
    for (const SettlementRow& b : s.settlements) {
      if (b.counterparty == cp) sum.settlements.push_back(&b);
    }
    out.push_back(std::move(sum));
  }
  return out;
}

std::string LoansNote(const ChainSnapshot& s) {
  if (s.loans_at_height) return "";
  // No head height here: it grows, and the report of one height must stay the same bytes.
  return "loans not shown: height " + U(s.height) +
         " is below the node's head and loan balances are served at the head only; positions "
         "are as of height " + U(s.height) +
         ", settlement batches are those closed at or before it (status n/a)";
}

std::vector<Table> Tables(const Report& r) {
  const ChainSnapshot& s = r.chain;
  std::vector<Table> tables;
  Table header{"header", "Report", {"field", "value"}, {false, false}, {}, ""};
  std::string cps;
  for (const std::string& c : s.counterparties) cps += (cps.empty() ? "" : ",") + c;
  header.rows = {{"bank", s.bank},
                 {"counterparties", cps.empty() ? "(none)" : cps},
                 {"chain_id", s.chain_id},
                 {"height", U(s.height)},
                 {"block_hash", s.block_hash},
                 {"time", s.timestamp_ms == 0 ? "" : IsoTime(s.timestamp_ms)},
                 {"loans_as_of_height", s.loans_at_height ? "yes" : "no (see note)"},
                 {"amounts", "integer minor units; bank_owes > 0: " + s.bank + " owes"}};
  if (r.recon.has_value()) {
    header.rows.push_back({"ledger", r.ledger_name});
    header.rows.push_back({"ledger_sha256", r.recon->input_sha256});
  }
  header.note = LoansNote(s);
  tables.push_back(std::move(header));

  // A warning first, so nobody reads past it: banks a correction left above a limit.
  Table over{"over_limit",
             "Warning: banks above their limit (new loans needing their share are refused)",
             {"agreement", "bank", "currency", "outstanding", "max_outstanding", "excess"},
             {false, false, false, true, true, true},
             {},
             ""};
  for (const LimitExcessRow& e : s.over_limit) {
    over.rows.push_back({e.agreement_id, e.bank, e.currency, I(e.outstanding),
                         I(e.max_outstanding), I(e.excess)});
  }
  if (!s.loans_at_height) {
    over.note = "limits are served at the head only";
  } else if (over.rows.empty()) {
    over.note = "no bank is above its limit";
  }
  tables.push_back(std::move(over));

  const std::vector<CounterpartySummary> sums = Summaries(s);
  Table summary{"summary",
                "Summary per counterparty",
                {"counterparty", "loans", "principal", s.bank + "_share",
                 s.bank + "_outstanding", "counterparty_outstanding", "settlement_batches"},
                {false, true, true, true, true, true, true},
                {},
                ""};
  for (const CounterpartySummary& c : sums) {
    if (s.loans_at_height) {
      summary.rows.push_back({c.counterparty, U(c.loans), I(c.principal), I(c.bank_share),
                              I(c.bank_outstanding), I(c.counterparty_outstanding),
                              U(c.settlements.size())});
    } else {
      summary.rows.push_back({c.counterparty, "n/a", "n/a", "n/a", "n/a", "n/a",
                              U(c.settlements.size())});
    }
  }
  if (summary.rows.empty()) summary.note = "no counterparties";
  tables.push_back(std::move(summary));

  Table positions{"positions",
                  "Unsettled position by component (as of height " + U(s.height) + ")",
                  {"counterparty", "currency", "component", "bank_owes"},
                  {false, false, false, true},
                  {},
                  ""};
  for (const CounterpartySummary& c : sums) {
    for (const PositionRow* p : c.positions) {
      for (const auto& [component, value] : p->components) {
        positions.rows.push_back({c.counterparty, p->currency, component, I(value)});
      }
      positions.rows.push_back({c.counterparty, p->currency, "net", I(p->bank_owes)});
    }
  }
  if (positions.rows.empty()) positions.note = "no unsettled positions";
  tables.push_back(std::move(positions));

  Table batches{"settlements",
                "Last settlement batches (up to " + U(kLastSettlements) + " per counterparty)",
                {"counterparty", "batch_id", "currency", "cutoff", "closed_by", "closed_at_height",
                 "postings", "bank_owes", "status"},
                {false, false, false, false, false, true, true, true, false},
                {},
                ""};
  for (const CounterpartySummary& c : sums) {
    const std::size_t n = c.settlements.size();
    for (std::size_t i = n > kLastSettlements ? n - kLastSettlements : 0; i < n; ++i) {
      const SettlementRow& b = *c.settlements[i];
      batches.rows.push_back({c.counterparty, b.batch_id, b.currency, b.cutoff, b.closed_by,
                              U(b.closed_at_height), U(b.posting_count), I(b.bank_owes),
                              b.status});
    }
  }
  if (batches.rows.empty()) batches.note = "no settlement batches";
  tables.push_back(std::move(batches));

  Table control{"control_totals", "Control totals", {"item", "count", "amount"},
                {false, true, true}, {}, ""};
  if (s.loans_at_height) {
    std::int64_t principal = 0, outstanding = 0;
    for (const ChainLoan& loan : s.loans) {
      principal = AddSat(principal, loan.principal);
      if (const LoanLeg* leg = loan.Leg(s.bank)) outstanding = AddSat(outstanding, leg->outstanding);
    }
    control.rows.push_back({"chain loans: principal", U(s.loans.size()), I(principal)});
    control.rows.push_back({"chain loans: " + s.bank + " outstanding", U(s.loans.size()),
                            I(outstanding)});
  }
  std::int64_t net = 0;
  for (const PositionRow& p : s.positions) net = AddSat(net, p.bank_owes);
  control.rows.push_back({"positions: net bank_owes", U(s.positions.size()), I(net)});
  std::int64_t settled = 0;
  for (const SettlementRow& b : s.settlements) settled = AddSat(settled, b.bank_owes);
  control.rows.push_back({"settlement batches: net bank_owes", U(s.settlements.size()),
                          I(settled)});
  if (r.recon.has_value()) {
    const ReconResult& rc = *r.recon;
    std::int64_t chain_events = 0;
    for (const ChainEvent& e : s.events) {
      chain_events = AddSat(chain_events, AddSat(AddSat(e.amount, e.interest), e.penalty));
    }
    control.rows.push_back({"chain events: amount+interest+penalty", U(s.events.size()),
                            I(chain_events)});
    control.rows.push_back({"ledger LOAN rows: outstanding", U(rc.ledger_loan_rows),
                            I(rc.ledger_outstanding)});
    control.rows.push_back({"ledger EVENT rows: amount+interest+penalty",
                            U(rc.ledger_event_rows), I(rc.ledger_event_amount)});
  }
  tables.push_back(std::move(control));

  if (!r.recon.has_value()) return tables;
  const ReconResult& rc = *r.recon;
  std::uint64_t mismatches = 0;
  for (BreakType t : {BreakType::kAmountMismatch, BreakType::kStatusMismatch,
                      BreakType::kSplitRatioMismatch}) {
    mismatches += rc.totals.at(t).count;
  }
  Table recon{"reconciliation", "Reconciliation", {"item", "count"}, {false, true}, {}, ""};
  recon.rows = {
      {"ledger rows", U(rc.ledger_rows)},
      {"ledger LOAN rows", U(rc.ledger_loan_rows)},
      {"ledger EVENT rows", U(rc.ledger_event_rows)},
      {"chain loans", U(rc.chain_loans)},
      {"chain events", U(rc.chain_events)},
      {"matched", U(rc.matched)},
      {"mismatched (one break per ledger/chain pair)", U(mismatches)},
      {"out of scope (other counterparties)", U(rc.out_of_scope)},
      {"malformed rows", U(rc.malformed.size())},
      {"breaks", U(rc.breaks.size())},
  };
  recon.note = "every ledger row is matched, a break, out of scope or malformed; every chain "
               "record is matched or a break; each exactly once";
  tables.push_back(std::move(recon));

  Table by_type{"breaks_by_type", "Breaks by type",
                {"type", "count", "ledger_amount", "chain_amount"},
                {false, true, true, true}, {}, ""};
  for (BreakType t : kAllBreakTypes) {
    const BreakTotal& total = rc.totals.at(t);
    by_type.rows.push_back({std::string(BreakTypeName(t)), U(total.count), I(total.ledger_amount),
                            I(total.chain_amount)});
  }
  by_type.note = "amounts: LOAN = the bank's outstanding, EVENT = amount + interest + penalty";
  tables.push_back(std::move(by_type));

  Table breaks{"breaks", "Breaks",
               {"type", "line", "record", "loan_id", "event_id", "event_type", "ledger_amount",
                "chain_amount", "detail"},
               {false, true, false, false, false, false, true, true, false}, {}, ""};
  for (const Break& b : rc.breaks) {
    breaks.rows.push_back({std::string(BreakTypeName(b.type)), b.line == 0 ? "" : U(b.line),
                           b.record, b.loan_id, b.event_id, b.event_type, I(b.ledger_amount),
                           I(b.chain_amount), b.detail});
  }
  if (breaks.rows.empty()) breaks.note = "no breaks";
  tables.push_back(std::move(breaks));

  if (!rc.malformed.empty()) {
    Table bad{"malformed", "Malformed ledger rows (not reconciled)", {"line", "reason"},
              {true, false}, {}, ""};
    for (const MalformedRow& m : rc.malformed) bad.rows.push_back({U(m.line), m.reason});
    tables.push_back(std::move(bad));
  }
  return tables;
}

// ----- text -----

std::string Text(const Report& r) {
  std::ostringstream out;
  out << "colend-recon report: " << r.chain.bank << " at height " << r.chain.height << "\n";
  for (const Table& t : Tables(r)) {
    out << "\n== " << t.title << " ==\n";
    std::vector<std::size_t> width(t.columns.size());
    for (std::size_t c = 0; c < t.columns.size(); ++c) width[c] = t.columns[c].size();
    for (const auto& row : t.rows) {
      for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
    }
    auto line = [&](const std::vector<std::string>& cells) {
      std::string l;
      for (std::size_t c = 0; c < cells.size(); ++c) {
        const std::string pad(width[c] - cells[c].size(), ' ');
        if (c > 0) l += "  ";
        l += t.numeric[c] ? pad + cells[c] : (c + 1 == cells.size() ? cells[c] : cells[c] + pad);
      }
      while (!l.empty() && l.back() == ' ') l.pop_back();
      out << l << "\n";
    };
    if (!t.rows.empty()) {
      line(t.columns);
      for (const auto& row : t.rows) line(row);
    }
    if (!t.note.empty()) out << "(" << t.note << ")\n";
  }
  if (r.recon.has_value()) {
    out << "\nresult: " << r.recon->breaks.size() << " break(s), " << r.recon->malformed.size()
        << " malformed row(s)\n";
  }
  return out.str();
}

// ----- csv -----

std::string CsvField(const std::string& v) {
  if (v.find_first_of(",\"\n\r") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string Csv(const Report& r) {
  std::string out;
  bool first = true;
  for (const Table& t : Tables(r)) {
    if (!first) out += "\n";
    first = false;
    out += "# " + t.name + "\n";
    auto line = [&](const std::vector<std::string>& cells) {
      for (std::size_t c = 0; c < cells.size(); ++c) {
        if (c > 0) out += ',';
        out += CsvField(cells[c]);
      }
      out += "\n";
    };
    line(t.columns);
    for (const auto& row : t.rows) line(row);
    if (!t.note.empty()) out += "# note: " + t.note + "\n";
  }
  return out;
}

// ----- json -----

std::string Json(const Report& r) {
  const ChainSnapshot& s = r.chain;
  json::object out;
  out["bank"] = s.bank;
  json::array cps;
  for (const std::string& c : s.counterparties) cps.push_back(json::string(c));
  out["counterparties"] = std::move(cps);
  out["chain_id"] = s.chain_id;
  out["height"] = s.height;
  out["block_hash"] = s.block_hash;
  out["timestamp_ms"] = s.timestamp_ms;
  out["time"] = s.timestamp_ms == 0 ? "" : IsoTime(s.timestamp_ms);
  out["loans_as_of_height"] = s.loans_at_height;
  if (!s.loans_at_height) out["note"] = LoansNote(s);
  if (r.recon.has_value()) {
    out["ledger"] = json::object{{"file", r.ledger_name}, {"sha256", r.recon->input_sha256}};
  }
  json::array summary;
  for (const CounterpartySummary& c : Summaries(s)) {
    json::object o;
    o["counterparty"] = c.counterparty;
    if (s.loans_at_height) {
      o["loans"] = c.loans;
      o["principal"] = I(c.principal);
      o["bank_share"] = I(c.bank_share);
      o["bank_outstanding"] = I(c.bank_outstanding);
      o["counterparty_outstanding"] = I(c.counterparty_outstanding);
    }
    json::array positions;
    for (const PositionRow* p : c.positions) {
      json::object components;
      for (const auto& [name, value] : p->components) components[name] = I(value);
      positions.push_back(json::object{
          {"currency", p->currency}, {"bank_owes", I(p->bank_owes)}, {"components", components}});
    }
    o["positions"] = std::move(positions);
    json::array batches;
    const std::size_t n = c.settlements.size();
    for (std::size_t i = n > kLastSettlements ? n - kLastSettlements : 0; i < n; ++i) {
      const SettlementRow& b = *c.settlements[i];
      batches.push_back(json::object{{"batch_id", b.batch_id},
                                     {"currency", b.currency},
                                     {"cutoff", b.cutoff},
                                     {"closed_by", b.closed_by},
                                     {"closed_at_height", b.closed_at_height},
                                     {"posting_count", b.posting_count},
                                     {"bank_owes", I(b.bank_owes)},
                                     {"status", b.status}});
    }
    o["settlement_batches"] = n;
    o["last_settlements"] = std::move(batches);
    summary.push_back(std::move(o));
  }
  out["summary"] = std::move(summary);
  if (s.loans_at_height) {
    json::array over;
    for (const LimitExcessRow& e : s.over_limit) {
      over.push_back(json::object{{"agreement_id", e.agreement_id},
                                  {"bank", e.bank},
                                  {"currency", e.currency},
                                  {"outstanding", I(e.outstanding)},
                                  {"max_outstanding", I(e.max_outstanding)},
                                  {"excess", I(e.excess)}});
    }
    out["over_limit"] = std::move(over);
  }
  if (r.recon.has_value()) {
    const ReconResult& rc = *r.recon;
    json::object recon;
    recon["ledger_rows"] = rc.ledger_rows;
    recon["ledger_loan_rows"] = rc.ledger_loan_rows;
    recon["ledger_event_rows"] = rc.ledger_event_rows;
    recon["ledger_outstanding"] = I(rc.ledger_outstanding);
    recon["ledger_event_amount"] = I(rc.ledger_event_amount);
    recon["chain_loans"] = rc.chain_loans;
    recon["chain_events"] = rc.chain_events;
    recon["matched"] = rc.matched;
    recon["out_of_scope"] = rc.out_of_scope;
    recon["break_count"] = rc.breaks.size();
    json::object by_type;
    for (BreakType t : kAllBreakTypes) {
      const BreakTotal& total = rc.totals.at(t);
      by_type[BreakTypeName(t)] = json::object{{"count", total.count},
                                               {"ledger_amount", I(total.ledger_amount)},
                                               {"chain_amount", I(total.chain_amount)}};
    }
    recon["breaks_by_type"] = std::move(by_type);
    json::array breaks;
    for (const Break& b : rc.breaks) {
      json::object o{{"type", BreakTypeName(b.type)}, {"record", b.record}, {"loan_id", b.loan_id}};
      if (b.line != 0) o["line"] = b.line;
      if (!b.event_id.empty()) o["event_id"] = b.event_id;
      if (!b.event_type.empty()) o["event_type"] = b.event_type;
      o["ledger_amount"] = I(b.ledger_amount);
      o["chain_amount"] = I(b.chain_amount);
      o["detail"] = b.detail;
      breaks.push_back(std::move(o));
    }
    recon["breaks"] = std::move(breaks);
    json::array malformed;
    for (const MalformedRow& m : rc.malformed) {
      malformed.push_back(json::object{{"line", m.line}, {"reason", m.reason}});
    }
    recon["malformed"] = std::move(malformed);
    out["reconciliation"] = std::move(recon);
  }
  return json::serialize(out) + "\n";
}

// ----- html -----

std::string Esc(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// A horizontal bar per component and the net, centred on zero; integer geometry only.
std::string Chart(const ChainSnapshot& s, const CounterpartySummary& c) {
  std::vector<std::pair<std::string, std::int64_t>> bars;
  for (const PositionRow* p : c.positions) {
    for (const auto& [name, value] : p->components) bars.emplace_back(p->currency + " " + name, value);
    bars.emplace_back(p->currency + " net", p->bank_owes);
  }
  constexpr int kWidth = 720, kLabel = 160, kHalf = 220, kRow = 26, kTop = 30;
  const int height = kTop + kRow * static_cast<int>(std::max<std::size_t>(bars.size(), 1)) + 10;
  Int128 max = 1;
  for (const auto& [name, v] : bars) max = std::max<Int128>(max, v < 0 ? -Int128{v} : Int128{v});
  const int zero = kLabel + kHalf;
  std::ostringstream out;
  out << "<svg role=\"img\" width=\"" << kWidth
      << "\" height=\"" << height << "\" viewBox=\"0 0 " << kWidth << ' ' << height << "\">"
      << "<title>" << Esc(s.bank + " position against " + c.counterparty) << "</title>"
      << "<text x=\"4\" y=\"18\" class=\"cap\">" << Esc(s.bank + " owes " + c.counterparty)
      << " (right) / is owed (left), minor units</text>"
      << "<line x1=\"" << zero << "\" y1=\"" << kTop - 4 << "\" x2=\"" << zero << "\" y2=\""
      << height - 6 << "\" class=\"axis\"/>";
  if (bars.empty()) {
    out << "<text x=\"" << zero + 6 << "\" y=\"" << kTop + 16 << "\">no unsettled position</text>";
  }
  int y = kTop;
  for (const auto& [name, v] : bars) {
    const Int128 magnitude = v < 0 ? -Int128{v} : Int128{v};
    const int w = static_cast<int>(magnitude * kHalf / max);
    const int x = v < 0 ? zero - w : zero;
    const bool net = name.size() >= 4 && name.substr(name.size() - 4) == " net";
    out << "<text x=\"4\" y=\"" << y + 16 << "\">" << Esc(name) << "</text>"
        << "<rect x=\"" << x << "\" y=\"" << y + 4 << "\" width=\"" << std::max(w, 1)
        << "\" height=\"16\" class=\"" << (net ? "net" : (v < 0 ? "neg" : "pos")) << "\"/>"
        << "<text x=\"" << (v < 0 ? zero + 4 : zero - 4) << "\" y=\"" << y + 16
        << "\" text-anchor=\"" << (v < 0 ? "start" : "end") << "\" class=\"val\">" << v
        << "</text>";
    y += kRow;
  }
  out << "</svg>";
  return out.str();
}

std::string Html(const Report& r) {
  const ChainSnapshot& s = r.chain;
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      << "<title>" << Esc("colend-recon " + s.bank + " at height " + U(s.height)) << "</title>"
      << "<style>body{font-family:sans-serif;margin:2em;color:#222}"
         "table{border-collapse:collapse;margin:.5em 0 1.5em}"
         "th,td{border:1px solid #ccc;padding:3px 8px;font-size:13px}th{background:#eee}"
         "td.n{text-align:right;font-family:monospace}.note{color:#555;font-style:italic}"
         "svg text{font:12px sans-serif}svg .cap{font-weight:bold}svg .val{fill:#333}"
         "svg .axis{stroke:#888}svg .pos{fill:#c0504d}svg .neg{fill:#4f81bd}svg .net{fill:#555}"
         "</style></head><body>\n";
  out << "<h1>" << Esc("colend-recon: " + s.bank + " at height " + U(s.height)) << "</h1>\n";
  for (const Table& t : Tables(r)) {
    out << "<h2 id=\"" << Esc(t.name) << "\">" << Esc(t.title) << "</h2>\n";
    if (!t.rows.empty()) {
      out << "<table><thead><tr>";
      for (const std::string& c : t.columns) out << "<th>" << Esc(c) << "</th>";
      out << "</tr></thead><tbody>\n";
      for (const auto& row : t.rows) {
        out << "<tr>";
        for (std::size_t c = 0; c < row.size(); ++c) {
          out << (t.numeric[c] ? "<td class=\"n\">" : "<td>") << Esc(row[c]) << "</td>";
        }
        out << "</tr>\n";
      }
      out << "</tbody></table>\n";
    }
    if (!t.note.empty()) out << "<p class=\"note\">" << Esc(t.note) << "</p>\n";
    if (t.name == "positions") {
      out << "<h2 id=\"charts\">Position by counterparty</h2>\n";
      for (const CounterpartySummary& c : Summaries(s)) {
        out << "<h3>" << Esc(c.counterparty) << "</h3>\n" << Chart(s, c) << "\n";
      }
    }
  }
  out << "</body></html>\n";
  return out.str();
}

}  // namespace

Result<Format> ParseFormat(std::string_view name) {
  if (name == "text") return Format::kText;
  if (name == "csv") return Format::kCsv;
  if (name == "json") return Format::kJson;
  if (name == "html") return Format::kHtml;
  return Status::InvalidArgument("--format: expected text, csv, json or html, got \"" +
                                 std::string(name) + "\"");
}

std::string RenderReport(const Report& report, Format format) {
  switch (format) {
    case Format::kText: return Text(report);
    case Format::kCsv: return Csv(report);
    case Format::kJson: return Json(report);
    case Format::kHtml: return Html(report);
  }
  return Text(report);
}

}  // namespace colend::recon
