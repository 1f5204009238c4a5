#include "export_db.h"

#include <exception>
#include <stdexcept>
#include <tuple>
#include <utility>

#include <pqxx/pqxx>

#include "block_sql.h"
#include "schema.h"

namespace colend::exporter {

namespace {

// libpqxx throws; nothing leaves this file as an exception (docs/style.md rule 4).
Status FromException(const std::exception& e, const std::string& what) {
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr ||
      dynamic_cast<const pqxx::in_doubt_error*>(&e) != nullptr) {
    return Status::Unavailable("PostgreSQL: " + what + ": " + e.what());
  }
  return Status::Internal("PostgreSQL: " + what + ": " + e.what());
}

std::string IdArray(const std::vector<std::string>& ids, pqxx::transaction_base& tx) {
  std::string out = "ARRAY[";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out += ",";
    out += tx.quote(ids[i]);
  }
  return out + "]::text[]";
}

}  // namespace

// ReadsOutsideTransactions: LoadLoans, LoadBatches and FindAcceptedEvents run each statement
// on its own, without BEGIN and COMMIT (half the round trips). They read only rows that no
// block being written changes (the session keeps those in memory until they are written), and
// a writer's commit is whole, so what each statement sees is as of a block boundary.

struct ExportDatabase::Impl {
  std::unique_ptr<pqxx::connection> conn;

  void Prepare() {
    pqxx::nontransaction tx(*conn);
    // A commit need not wait for its WAL flush: a commit lost to a server crash loses its
    // block and the exported height together, and the next start exports the block again.
    // Atomicity is what the resume guarantee needs; this spares a disk flush per block.
    tx.exec0("SET synchronous_commit = off");
    // The literals block_sql.cc writes double their quotes and nothing else.
    tx.exec0("SET standard_conforming_strings = on");
  }

  Status Migrate() {
    pqxx::work tx(*conn);
    tx.exec0(
        "CREATE TABLE IF NOT EXISTS colend_export_schema ("
        " version INTEGER PRIMARY KEY,"
        " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
    // One migrator at a time: a second exporter starting waits here, then finds it done.
    tx.exec0("LOCK TABLE colend_export_schema IN EXCLUSIVE MODE");
    const int current =
        tx.exec1("SELECT COALESCE(MAX(version), 0) FROM colend_export_schema")[0].as<int>();
    if (current > kSchemaVersion) {
      return Status::FailedPrecondition(
          "the database's export schema is version " + std::to_string(current) +
          ", newer than this colend-export's " + std::to_string(kSchemaVersion) +
          ": run a newer colend-export");
    }
    for (const Migration& m : Migrations()) {
      if (m.version <= current) continue;
      tx.exec0(m.sql);
      tx.exec_params0("INSERT INTO colend_export_schema (version) VALUES ($1)", m.version);
    }
    tx.commit();
    return Status::Ok();
  }
};

ExportDatabase::ExportDatabase(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ExportDatabase::~ExportDatabase() = default;

Result<std::unique_ptr<ExportDatabase>> ExportDatabase::Open(const std::string& conninfo) {
  auto impl = std::make_unique<Impl>();
  try {
    impl->conn = std::make_unique<pqxx::connection>(conninfo);
  } catch (const std::exception& e) {
    return Status::Unavailable(std::string("PostgreSQL: cannot connect: ") + e.what());
  }
  try {
    COLEND_RETURN_IF_ERROR(impl->Migrate());
    impl->Prepare();
  } catch (const std::exception& e) {
    return FromException(e, "creating or migrating the schema");
  }
  return std::unique_ptr<ExportDatabase>(new ExportDatabase(std::move(impl)));
}

Result<int> ExportDatabase::SchemaVersion() {
  try {
    pqxx::read_transaction tx(*impl_->conn);
    return tx.exec1("SELECT COALESCE(MAX(version), 0) FROM colend_export_schema")[0].as<int>();
  } catch (const std::exception& e) {
    return FromException(e, "reading the schema version");
  }
}

Result<bool> ExportDatabase::TryLockWriter() {
  try {
    pqxx::nontransaction tx(*impl_->conn);
    return tx.exec_params1("SELECT pg_try_advisory_lock($1)", kWriterLockKey)[0].as<bool>();
  } catch (const std::exception& e) {
    return FromException(e, "taking the writer's lock");
  }
}

Result<ExportCursor> ExportDatabase::Cursor() {
  try {
    pqxx::read_transaction tx(*impl_->conn);
    pqxx::result r = tx.exec("SELECT height, chain_id, block_hash FROM export_state WHERE id = 1");
    ExportCursor out;
    if (!r.empty()) {
      out.height = r[0][0].as<std::uint64_t>();
      out.chain_id = r[0][1].as<std::string>();
      out.block_hash = r[0][2].as<std::string>();
    }
    return out;
  } catch (const std::exception& e) {
    return FromException(e, "reading the exported height");
  }
}

Result<std::map<std::string, LoanRow>> ExportDatabase::LoadLoans(
    const std::vector<std::string>& ids) {
  std::map<std::string, LoanRow> out;
  if (ids.empty()) return out;
  try {
    pqxx::nontransaction tx(*impl_->conn);  // see ReadsOutsideTransactions
    const std::string in = IdArray(ids, tx);
    for (const pqxx::row& r :
         tx.exec("SELECT loan_id, agreement_id, lead, currency, borrower_ref, principal, "
                 "annual_rate_bp, term_months, value_date::text, status, originated_at_height, "
                 "updated_at_height FROM loans WHERE loan_id = ANY(" +
                 in + ")")) {
      LoanRow l;
      l.loan_id = r[0].as<std::string>();
      l.agreement_id = r[1].as<std::string>();
      l.lead = r[2].as<std::string>();
      l.currency = r[3].as<std::string>();
      l.borrower_ref = r[4].as<std::string>();
      l.principal = r[5].as<std::int64_t>();
      l.annual_rate_bp = r[6].as<std::uint32_t>();
      l.term_months = r[7].as<std::uint32_t>();
      l.value_date = r[8].as<std::string>();
      l.status = r[9].as<std::string>();
      l.originated_at_height = r[10].as<std::uint64_t>();
      l.updated_at_height = r[11].as<std::uint64_t>();
      out.emplace(l.loan_id, std::move(l));
    }
    for (const pqxx::row& r :
         tx.exec("SELECT loan_id, bank, share_bp, share, outstanding, loss, recovered, approved "
                 "FROM loan_legs WHERE loan_id = ANY(" +
                 in + ") ORDER BY loan_id, bank")) {
      LoanLegRow g;
      g.bank = r[1].as<std::string>();
      g.share_bp = r[2].as<std::uint32_t>();
      g.share = r[3].as<std::int64_t>();
      g.outstanding = r[4].as<std::int64_t>();
      g.loss = r[5].as<std::int64_t>();
      g.recovered = r[6].as<std::int64_t>();
      g.approved = r[7].as<bool>();
      out.at(r[0].as<std::string>()).legs.push_back(std::move(g));
    }
    return out;
  } catch (const std::exception& e) {
    return FromException(e, "reading loans");
  }
}

Result<std::map<std::string, SettlementRow>> ExportDatabase::LoadBatches(
    const std::vector<std::string>& ids) {
  std::map<std::string, SettlementRow> out;
  if (ids.empty()) return out;
  try {
    pqxx::nontransaction tx(*impl_->conn);  // see ReadsOutsideTransactions
    for (const pqxx::row& r : tx.exec(
             "SELECT batch_id, a, b, currency, net_a_owes_b, status, cutoff::text, closed_by, "
             "closed_at_height, posting_count, payment_ref, paid_at_height, confirmed_at_height "
             "FROM settlement_batches WHERE batch_id = ANY(" +
             IdArray(ids, tx) + ")")) {
      SettlementRow b;
      b.batch_id = r[0].as<std::string>();
      b.a = r[1].as<std::string>();
      b.b = r[2].as<std::string>();
      b.currency = r[3].as<std::string>();
      b.net_a_owes_b = r[4].as<std::int64_t>();
      b.status = r[5].as<std::string>();
      b.cutoff = r[6].as<std::string>();
      b.closed_by = r[7].as<std::string>();
      b.closed_at_height = r[8].as<std::uint64_t>();
      b.posting_count = r[9].as<std::uint64_t>();
      if (!r[10].is_null()) b.payment_ref = r[10].as<std::string>();
      if (!r[11].is_null()) b.paid_at_height = r[11].as<std::uint64_t>();
      if (!r[12].is_null()) b.confirmed_at_height = r[12].as<std::uint64_t>();
      out.emplace(b.batch_id, std::move(b));
    }
    return out;
  } catch (const std::exception& e) {
    return FromException(e, "reading settlement batches");
  }
}

Result<std::map<ExportDatabase::EventKey, EventRow>> ExportDatabase::FindAcceptedEvents(
    const std::vector<EventKey>& keys) {
  std::map<EventKey, EventRow> out;
  if (keys.empty()) return out;
  try {
    pqxx::nontransaction tx(*impl_->conn);  // see ReadsOutsideTransactions
    std::string in;
    for (const auto& [signer, tx_id] : keys) {
      in += (in.empty() ? "(" : ", (") + tx.quote(signer) + ", " + tx.quote(tx_id) + ")";
    }
    // One row per leg delta (or one without any), the event's fields repeated.
    std::map<EventKey, std::pair<std::uint64_t, std::uint32_t>> at;
    for (const pqxx::row& r :
         tx.exec("SELECT e.signer, e.tx_id, e.height, e.tx_index, e.type, COALESCE(e.loan_id, ''), "
                 "d.bank, d.principal, d.recovered FROM events e LEFT JOIN leg_deltas d ON "
                 "d.height = e.height AND d.tx_index = e.tx_index WHERE e.status = 'ok' AND "
                 "(e.signer, e.tx_id) IN (VALUES " +
                 in + ") ORDER BY e.signer, e.tx_id, e.height, e.tx_index, d.bank")) {
      EventKey key(r[0].as<std::string>(), r[1].as<std::string>());
      const std::pair<std::uint64_t, std::uint32_t> where(r[2].as<std::uint64_t>(),
                                                          r[3].as<std::uint32_t>());
      auto [it, fresh] = at.emplace(key, where);
      if (!fresh && it->second != where) {
        return Status::Corruption("two accepted events of " + key.first + " with id " + key.second);
      }
      EventRow& e = out[key];
      if (fresh) {
        e.signer = key.first;
        e.tx_id = key.second;
        e.accepted = true;
        e.index = where.second;
        e.type = r[4].as<std::string>();
        e.loan_id = r[5].as<std::string>();
      }
      if (!r[6].is_null()) {
        e.deltas.push_back(
            {r[6].as<std::string>(), r[7].as<std::int64_t>(), r[8].as<std::int64_t>()});
      }
    }
    return out;
  } catch (const std::exception& e) {
    return FromException(e, "reading events");
  }
}

Status ExportDatabase::WriteBlocks(const std::vector<BlockExport>& blocks,
                                   const std::string& chain_id) {
  if (blocks.empty()) return Status::Ok();
  std::string sql;
  for (const BlockExport& rows : blocks) {
    COLEND_ASSIGN_OR_RETURN(std::string body, BlockSql(rows, chain_id));
    sql += "BEGIN;\n" + body + "COMMIT;\n";
  }
  const std::string what = "writing blocks " + std::to_string(blocks.front().block.height) + "-" +
                           std::to_string(blocks.back().block.height);
  try {
    pqxx::nontransaction tx(*impl_->conn);
    tx.exec0(sql);
    return Status::Ok();
  } catch (const std::exception& e) {
    // The blocks before the failing one are committed; the failing one's transaction is
    // aborted and is ended here, so the connection can be used again.
    try {
      pqxx::nontransaction rollback(*impl_->conn);
      rollback.exec0("ROLLBACK");
    } catch (const std::exception&) {
      // the connection is gone: so is the aborted transaction
    }
    // The guards' own SQLSTATEs (schema.cc, version 2).
    if (const auto* failed = dynamic_cast<const pqxx::sql_error*>(&e); failed != nullptr) {
      const std::string state = failed->sqlstate();
      if (state == "CX001") return Status::AlreadyExists(what + ": " + e.what());  // HeightMoved
      if (state == "CX002" || state == "CX003") {
        return Status::FailedPrecondition(what + ": " + e.what());
      }
    }
    return FromException(e, what);
  }
}

}  // namespace colend::exporter
