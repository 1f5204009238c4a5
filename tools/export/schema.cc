#include "schema.h"

namespace colend::exporter {

namespace {

// The high-volume tables (events, postings, leg_deltas, loans, loan_legs) carry no foreign
// keys: the rows of a block are written together in one transaction after the exporter has
// checked them against each other, and a foreign-key check per row more than doubled the cost
// of loading them (240k postings by COPY: 4.9 s without, 11.3 s with, on the 2-core test
// machine).
// Money is BIGINT minor units (the node's int64), never a float. Ids are TEXT as the chain
// writes them; dates are DATE. Indexes serve the reports of docs/export.md: a bank's exposure
// by counterparty (loan_legs by bank, loans by lead), outstanding by agreement (loans by
// agreement), daily flows (postings by value date and by debtor / creditor).
constexpr char kV1[] = R"sql(
CREATE TABLE export_state (
  id           SMALLINT PRIMARY KEY CHECK (id = 1),
  chain_id     TEXT NOT NULL,
  height       BIGINT NOT NULL CHECK (height >= 0),
  block_hash   TEXT NOT NULL,
  updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE blocks (
  height        BIGINT PRIMARY KEY,
  hash          TEXT NOT NULL UNIQUE,
  timestamp_ms  BIGINT NOT NULL,
  block_time    TIMESTAMPTZ NOT NULL,
  tx_count      INTEGER NOT NULL,
  accepted      INTEGER NOT NULL,
  state_root    TEXT NOT NULL,
  receipts_root TEXT NOT NULL
);
CREATE INDEX blocks_time ON blocks (block_time);

CREATE TABLE events (
  height      BIGINT NOT NULL,
  tx_index    INTEGER NOT NULL,
  tx_hash     TEXT NOT NULL,
  signer      TEXT,
  tx_id       TEXT,
  type        TEXT,
  status      TEXT NOT NULL CHECK (status IN ('ok', 'rejected')),
  code        TEXT,
  message     TEXT,
  loan_id     TEXT,
  currency    TEXT,
  value_date  DATE,
  tx          JSONB,
  PRIMARY KEY (height, tx_index)
);
CREATE INDEX events_signer_id ON events (signer, tx_id);
CREATE INDEX events_tx_hash ON events (tx_hash);
CREATE INDEX events_loan ON events (loan_id, height) WHERE loan_id IS NOT NULL;

CREATE TABLE postings (
  height      BIGINT NOT NULL,
  tx_index    INTEGER NOT NULL,
  line        INTEGER NOT NULL,
  debtor      TEXT NOT NULL,
  creditor    TEXT NOT NULL,
  component   TEXT NOT NULL CHECK (component IN
                ('funding', 'principal', 'interest', 'service_fee', 'penalty', 'recovery')),
  amount      BIGINT NOT NULL,
  currency    TEXT NOT NULL,
  value_date  DATE NOT NULL,
  PRIMARY KEY (height, tx_index, line)
);
CREATE INDEX postings_value_date ON postings (value_date, currency);
CREATE INDEX postings_debtor ON postings (debtor, creditor, value_date);

CREATE TABLE leg_deltas (
  height      BIGINT NOT NULL,
  tx_index    INTEGER NOT NULL,
  bank        TEXT NOT NULL,
  principal   BIGINT NOT NULL,
  recovered   BIGINT NOT NULL,
  PRIMARY KEY (height, tx_index, bank)
);

CREATE TABLE loans (
  loan_id               TEXT PRIMARY KEY,
  agreement_id          TEXT NOT NULL,
  lead                  TEXT NOT NULL,
  currency              TEXT NOT NULL,
  borrower_ref          TEXT NOT NULL,
  principal             BIGINT NOT NULL CHECK (principal > 0),
  annual_rate_bp        INTEGER NOT NULL,
  term_months           INTEGER NOT NULL,
  value_date            DATE NOT NULL,
  status                TEXT NOT NULL CHECK (status IN
                          ('PENDING_APPROVAL', 'ACTIVE', 'REPAID', 'CHARGED_OFF')),
  originated_at_height  BIGINT NOT NULL,
  updated_at_height     BIGINT NOT NULL
);
CREATE INDEX loans_agreement ON loans (agreement_id, status);
CREATE INDEX loans_lead ON loans (lead, status);

CREATE TABLE loan_legs (
  loan_id      TEXT NOT NULL,
  bank         TEXT NOT NULL,
  share_bp     INTEGER NOT NULL,
  share        BIGINT NOT NULL CHECK (share >= 0),
  outstanding  BIGINT NOT NULL CHECK (outstanding >= 0),
  loss         BIGINT NOT NULL CHECK (loss >= 0),
  recovered    BIGINT NOT NULL CHECK (recovered >= 0),
  approved     BOOLEAN NOT NULL,
  PRIMARY KEY (loan_id, bank)
);
CREATE INDEX loan_legs_bank ON loan_legs (bank, loan_id) INCLUDE (outstanding, loss, recovered);

CREATE TABLE positions (
  a             TEXT NOT NULL,
  b             TEXT NOT NULL,
  currency      TEXT NOT NULL,
  net_a_owes_b  BIGINT NOT NULL,
  PRIMARY KEY (a, b, currency),
  CHECK (a < b)
);
CREATE INDEX positions_b ON positions (b, a);

CREATE TABLE position_components (
  a          TEXT NOT NULL,
  b          TEXT NOT NULL,
  currency   TEXT NOT NULL,
  component  TEXT NOT NULL,
  amount     BIGINT NOT NULL,
  PRIMARY KEY (a, b, currency, component),
  FOREIGN KEY (a, b, currency) REFERENCES positions (a, b, currency) ON DELETE CASCADE
);

CREATE TABLE settlement_batches (
  batch_id             TEXT PRIMARY KEY,
  a                    TEXT NOT NULL,
  b                    TEXT NOT NULL,
  currency             TEXT NOT NULL,
  net_a_owes_b         BIGINT NOT NULL,
  status               TEXT NOT NULL CHECK (status IN ('CLOSED', 'PAID', 'CONFIRMED')),
  cutoff               DATE NOT NULL,
  closed_by            TEXT NOT NULL,
  closed_at_height     BIGINT NOT NULL REFERENCES blocks (height),
  posting_count        BIGINT NOT NULL,
  payment_ref          TEXT,
  paid_at_height       BIGINT REFERENCES blocks (height),
  confirmed_at_height  BIGINT REFERENCES blocks (height)
);
CREATE INDEX settlement_batches_pair ON settlement_batches (a, b, currency, closed_at_height);
CREATE INDEX settlement_batches_b ON settlement_batches (b, a);

-- The guards of a block's transaction (tools/export/block_sql.cc): it starts by locking the
-- export_state row and checking the exported height is the block's height - 1 of the same
-- chain, and ends by moving it; a changed row count other than the rows given aborts it.
CREATE FUNCTION colend_export_begin_block(h BIGINT, chain TEXT) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  cur BIGINT;
  cur_chain TEXT;
BEGIN
  SELECT height, chain_id INTO cur, cur_chain FROM export_state WHERE id = 1 FOR UPDATE;
  IF NOT FOUND THEN
    cur := 0;
    cur_chain := chain;
  END IF;
  IF cur_chain <> chain THEN
    RAISE EXCEPTION 'colend-export: the database holds chain "%", the node serves "%"',
      cur_chain, chain;
  END IF;
  IF cur <> h - 1 THEN
    RAISE EXCEPTION 'colend-export: the database''s exported height is %, not %: another '
      'exporter is writing to this database', cur, h - 1;
  END IF;
END $$;

CREATE FUNCTION colend_export_end_block(h BIGINT, hash TEXT, chain TEXT) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO export_state (id, chain_id, height, block_hash) VALUES (1, chain, h, hash)
  ON CONFLICT (id) DO UPDATE SET height = EXCLUDED.height, block_hash = EXCLUDED.block_hash,
    updated_at = now();
$$;

CREATE FUNCTION colend_export_expect(got BIGINT, want BIGINT, what TEXT) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF got <> want THEN
    RAISE EXCEPTION 'colend-export: % of the % % are in the database', got, want, what;
  END IF;
END $$;

CREATE TABLE settlement_components (
  batch_id   TEXT NOT NULL REFERENCES settlement_batches (batch_id),
  component  TEXT NOT NULL,
  amount     BIGINT NOT NULL,
  PRIMARY KEY (batch_id, component)
);
)sql";

// Version 2: the guards raise their own SQLSTATEs (class CX, not one of PostgreSQL's), so
// that colend-export tells their failures apart by code rather than by message text:
//   CX001  the exported height is not the block's height - 1 (another writer moved it)
//   CX002  the database holds another chain
//   CX003  a statement changed another number of rows than the block's rows
constexpr const char* kV2 = R"sql(
CREATE OR REPLACE FUNCTION colend_export_begin_block(h BIGINT, chain TEXT) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  cur BIGINT;
  cur_chain TEXT;
BEGIN
  SELECT height, chain_id INTO cur, cur_chain FROM export_state WHERE id = 1 FOR UPDATE;
  IF NOT FOUND THEN
    cur := 0;
    cur_chain := chain;
  END IF;
  IF cur_chain <> chain THEN
    RAISE EXCEPTION 'colend-export: the database holds chain "%", the node serves "%"',
      cur_chain, chain USING ERRCODE = 'CX002';
  END IF;
  IF cur <> h - 1 THEN
    RAISE EXCEPTION 'colend-export: the database''s exported height is %, not %: another '
      'exporter is writing to this database', cur, h - 1 USING ERRCODE = 'CX001';
  END IF;
END $$;

CREATE OR REPLACE FUNCTION colend_export_expect(got BIGINT, want BIGINT, what TEXT) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF got <> want THEN
    RAISE EXCEPTION 'colend-export: % of the % % are in the database', got, want, what
      USING ERRCODE = 'CX003';
  END IF;
END $$;
)sql";

}  // namespace

const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> kAll = {{1, kV1}, {2, kV2}};
  return kAll;
}

}  // namespace colend::exporter
