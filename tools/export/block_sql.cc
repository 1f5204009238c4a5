#include "block_sql.h"

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace colend::exporter {

namespace {

// Builds the rows of one statement: "(v, v, ...)" joined by ",\n".
class ValuesList {
 public:
  void Row(const std::vector<std::string>& values) {
    out_ += out_.empty() ? "(" : ",\n(";
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i > 0) out_ += ", ";
      out_ += values[i];
    }
    out_ += ")";
    ++rows_;
  }
  bool empty() const { return rows_ == 0; }
  std::size_t rows() const { return rows_; }
  const std::string& text() const { return out_; }

 private:
  std::string out_;
  std::size_t rows_ = 0;
};

std::string Num(std::int64_t v) {
  return std::to_string(v);
}
std::string Num(std::uint64_t v) {
  return std::to_string(v);
}
std::string Num(std::uint32_t v) {
  return std::to_string(v);
}
std::string Bool(bool v) {
  return v ? "TRUE" : "FALSE";
}

// Quotes or fails; the Result of a whole statement is built from these.
class Literals {
 public:
  std::string Text(const std::string& s) { return Quote(s); }
  std::string TextOrNull(const std::string& s) { return s.empty() ? "NULL" : Quote(s); }
  std::string HeightOrNull(const std::optional<std::uint64_t>& h) {
    return h.has_value() ? Num(*h) : "NULL";
  }
  const Status& status() const { return status_; }

 private:
  std::string Quote(const std::string& s) {
    Result<std::string> q = SqlLiteral(s);
    if (!q.ok()) {
      status_ = q.status();
      return "NULL";
    }
    return std::move(q).value();
  }
  Status status_;
};

void Insert(std::string& sql, const char* table, const char* columns, const ValuesList& values) {
  if (values.empty()) return;
  sql +=
      std::string("INSERT INTO ") + table + " (" + columns + ") VALUES\n" + values.text() + ";\n";
}

// An UPDATE ... FROM (VALUES ...) whose changed row count must be the rows given.
void CheckedUpdate(std::string& sql, const std::string& update, const ValuesList& values,
                   const char* what) {
  if (values.empty()) return;
  sql += "WITH u AS (" + update +
         " RETURNING 1) SELECT colend_export_expect((SELECT COUNT(*) "
         "FROM u), " +
         std::to_string(values.rows()) + ", '" + what + "');\n";
}

void EventRows(const BlockExport& rows, Literals& q, std::string& sql) {
  const std::string h = Num(rows.block.height);
  ValuesList events, postings, deltas;
  for (const EventRow& e : rows.events) {
    events.Row({h, Num(e.index), q.Text(e.tx_hash), q.TextOrNull(e.signer), q.TextOrNull(e.tx_id),
                q.TextOrNull(e.type), e.accepted ? "'ok'" : "'rejected'", q.TextOrNull(e.code),
                q.TextOrNull(e.message), q.TextOrNull(e.loan_id), q.TextOrNull(e.currency),
                q.TextOrNull(e.value_date), q.TextOrNull(e.tx_json)});
    for (std::size_t i = 0; i < e.postings.size(); ++i) {
      const PostingRow& p = e.postings[i];
      postings.Row({h, Num(e.index), Num(static_cast<std::uint64_t>(i)), q.Text(p.debtor),
                    q.Text(p.creditor), q.Text(p.component), Num(p.amount), q.Text(e.currency),
                    q.Text(e.value_date)});
    }
    for (const LegDeltaRow& d : e.deltas) {
      deltas.Row({h, Num(e.index), q.Text(d.bank), Num(d.principal), Num(d.recovered)});
    }
  }
  Insert(sql, "events",
         "height, tx_index, tx_hash, signer, tx_id, type, status, code, message, loan_id, "
         "currency, value_date, tx",
         events);
  Insert(sql, "postings",
         "height, tx_index, line, debtor, creditor, component, amount, currency, value_date",
         postings);
  Insert(sql, "leg_deltas", "height, tx_index, bank, principal, recovered", deltas);
}

void LoanRows(const BlockExport& rows, Literals& q, std::string& sql) {
  ValuesList loans, legs;
  for (const LoanRow& l : rows.new_loans) {
    loans.Row({q.Text(l.loan_id), q.Text(l.agreement_id), q.Text(l.lead), q.Text(l.currency),
               q.Text(l.borrower_ref), Num(l.principal), Num(l.annual_rate_bp), Num(l.term_months),
               q.Text(l.value_date), q.Text(l.status), Num(l.originated_at_height),
               Num(l.updated_at_height)});
    for (const LoanLegRow& g : l.legs) {
      legs.Row({q.Text(l.loan_id), q.Text(g.bank), Num(g.share_bp), Num(g.share),
                Num(g.outstanding), Num(g.loss), Num(g.recovered), Bool(g.approved)});
    }
  }
  Insert(sql, "loans",
         "loan_id, agreement_id, lead, currency, borrower_ref, principal, annual_rate_bp, "
         "term_months, value_date, status, originated_at_height, updated_at_height",
         loans);
  Insert(sql, "loan_legs", "loan_id, bank, share_bp, share, outstanding, loss, recovered, approved",
         legs);
  ValuesList changed, changed_legs;
  for (const LoanRow& l : rows.changed_loans) {
    changed.Row({q.Text(l.loan_id), q.Text(l.status), Num(l.updated_at_height)});
    for (const LoanLegRow& g : l.legs) {
      changed_legs.Row({q.Text(l.loan_id), q.Text(g.bank), Num(g.outstanding), Num(g.loss),
                        Num(g.recovered), Bool(g.approved)});
    }
  }
  CheckedUpdate(sql,
                "UPDATE loans l SET status = v.status, updated_at_height = v.h FROM (VALUES " +
                    changed.text() + ") AS v (loan_id, status, h) WHERE l.loan_id = v.loan_id",
                changed, "changed loans");
  CheckedUpdate(sql,
                "UPDATE loan_legs g SET outstanding = v.outstanding, loss = v.loss, "
                "recovered = v.recovered, approved = v.approved FROM (VALUES " +
                    changed_legs.text() +
                    ") AS v (loan_id, bank, outstanding, loss, recovered, approved) "
                    "WHERE g.loan_id = v.loan_id AND g.bank = v.bank",
                changed_legs, "changed loan legs");
}

void PositionAndBatchRows(const BlockExport& rows, Literals& q, std::string& sql) {
  if (rows.positions.has_value()) {
    sql += "DELETE FROM position_components;\nDELETE FROM positions;\n";
    ValuesList positions, components;
    for (const PositionRow& p : *rows.positions) {
      positions.Row({q.Text(p.a), q.Text(p.b), q.Text(p.currency), Num(p.net_a_owes_b)});
      for (const auto& [component, amount] : p.components) {
        components.Row(
            {q.Text(p.a), q.Text(p.b), q.Text(p.currency), q.Text(component), Num(amount)});
      }
    }
    Insert(sql, "positions", "a, b, currency, net_a_owes_b", positions);
    Insert(sql, "position_components", "a, b, currency, component, amount", components);
  }
  ValuesList batches, components, changed;
  for (const SettlementRow& b : rows.new_batches) {
    batches.Row({q.Text(b.batch_id), q.Text(b.a), q.Text(b.b), q.Text(b.currency),
                 Num(b.net_a_owes_b), q.Text(b.status), q.Text(b.cutoff), q.Text(b.closed_by),
                 Num(b.closed_at_height), Num(b.posting_count), q.TextOrNull(b.payment_ref),
                 q.HeightOrNull(b.paid_at_height), q.HeightOrNull(b.confirmed_at_height)});
    for (const auto& [component, amount] : b.components) {
      components.Row({q.Text(b.batch_id), q.Text(component), Num(amount)});
    }
  }
  Insert(sql, "settlement_batches",
         "batch_id, a, b, currency, net_a_owes_b, status, cutoff, closed_by, closed_at_height, "
         "posting_count, payment_ref, paid_at_height, confirmed_at_height",
         batches);
  Insert(sql, "settlement_components", "batch_id, component, amount", components);
  for (const SettlementRow& b : rows.changed_batches) {
    changed.Row({q.Text(b.batch_id), q.Text(b.status), q.TextOrNull(b.payment_ref),
                 q.HeightOrNull(b.paid_at_height), q.HeightOrNull(b.confirmed_at_height)});
  }
  CheckedUpdate(sql,
                "UPDATE settlement_batches s SET status = v.status, payment_ref = v.payment_ref, "
                "paid_at_height = v.paid::bigint, confirmed_at_height = v.confirmed::bigint "
                "FROM (VALUES " +
                    changed.text() +
                    ") AS v (batch_id, status, payment_ref, paid, confirmed) "
                    "WHERE s.batch_id = v.batch_id",
                changed, "changed settlement batches");
}

}  // namespace

Result<std::string> SqlLiteral(const std::string& text) {
  if (text.find('\0') != std::string::npos) {
    return Status::InvalidArgument("a NUL byte cannot be stored in PostgreSQL text");
  }
  std::string out = "'";
  out.reserve(text.size() + 2);
  for (char c : text) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

Result<std::string> BlockSql(const BlockExport& rows, const std::string& chain_id) {
  Literals q;
  const BlockRow& b = rows.block;
  const std::string h = Num(b.height);
  std::string sql = "SELECT colend_export_begin_block(" + h + ", " + q.Text(chain_id) + ");\n";
  sql +=
      "INSERT INTO blocks (height, hash, timestamp_ms, block_time, tx_count, accepted, "
      "state_root, receipts_root) VALUES (" +
      h + ", " + q.Text(b.hash) + ", " + Num(b.timestamp_ms) + ", to_timestamp(" +
      Num(b.timestamp_ms) + "::double precision / 1000), " + Num(b.tx_count) + ", " +
      Num(b.accepted) + ", " + q.Text(b.state_root) + ", " + q.Text(b.receipts_root) + ");\n";
  EventRows(rows, q, sql);
  LoanRows(rows, q, sql);
  PositionAndBatchRows(rows, q, sql);
  sql += "SELECT colend_export_end_block(" + h + ", " + q.Text(b.hash) + ", " + q.Text(chain_id) +
         ");\n";
  if (!q.status().ok()) return q.status().WithContext("block " + h);
  return sql;
}

}  // namespace colend::exporter
