// What a contract handler works with: the transaction, the block, the transaction's own
// overlay of the state (discarded if the handler rejects) and the record of the
// transaction that Apply stores under (signer, id).
#ifndef COLEND_CONTRACTS_SRC_TX_ENV_H_
#define COLEND_CONTRACTS_SRC_TX_ENV_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "colend/contracts/apply.h"
#include "colend/contracts/state.h"
#include "colend/proto/state.pb.h"
#include "colend/proto/tx.pb.h"
#include "verdict.h"

namespace colend::contracts {

struct TxEnv {
  const proto::TransactionBody& body;
  const BlockContext& ctx;
  StateView& view;
  proto::TxRecord& record;
  // Where the banks the transaction concerns go (ExecutableTx::banks); null: nowhere.
  std::vector<std::string>* banks = nullptr;

  const std::string& signer() const { return body.signer(); }
  const std::string& id() const { return body.id(); }

  // Adds `debtor owes creditor amount` to the transaction's journal entry. Zero amounts
  // are not recorded. Apply books the journal into the positions after the handler accepts.
  // REQUIRES: every posting of one transaction has the same currency and value date (one
  // loan, one event); a second currency or date is an internal error at booking.
  void Post(std::string_view debtor, std::string_view creditor, std::string_view currency,
            proto::PostingComponent component, std::int64_t amount,
            std::string_view value_date) {
    if (amount == 0) return;
    if (record.journal_size() == 0) {
      record.set_currency(std::string(currency));
      record.set_value_date(std::string(value_date));
    } else if (record.currency() != currency || record.value_date() != value_date) {
      mixed_journal = true;
    }
    proto::JournalLine* line = record.add_journal();
    line->set_debtor(std::string(debtor));
    line->set_creditor(std::string(creditor));
    line->set_component(component);
    line->set_amount(amount);
  }

  // Names `loan` (whose id is `loan_id`) as the loan the event concerns: on the record, and
  // its legs' banks among the banks the transaction concerns.
  void SetLoan(const std::string& loan_id, const proto::LoanRecord& loan) {
    record.set_loan_id(loan_id);
    if (banks == nullptr) return;
    for (const proto::LoanLeg& leg : loan.legs()) banks->push_back(leg.bank());
  }

  bool mixed_journal = false;
};

// Handlers, one per transaction type (agreements.cc, loans.cc, servicing.cc,
// settlement.cc, governance.cc). Each validates, reads and writes through env.view, and
// returns Accept, a Reject with its code, or a fault.
Verdict ProposeAgreementHandler(TxEnv& env);
Verdict AcceptAgreementHandler(TxEnv& env);
Verdict SuspendAgreementHandler(TxEnv& env);
Verdict OriginateLoanHandler(TxEnv& env);
Verdict ApproveLoanHandler(TxEnv& env);
Verdict RecordRepaymentHandler(TxEnv& env);
Verdict ChargeOffHandler(TxEnv& env);
Verdict RecordRecoveryHandler(TxEnv& env);
Verdict ReverseHandler(TxEnv& env);
Verdict CloseSettlementHandler(TxEnv& env);
Verdict ConfirmSettlementHandler(TxEnv& env);
Verdict AcknowledgeReportHandler(TxEnv& env);
Verdict GovernanceProposalHandler(TxEnv& env);
Verdict GovernanceVoteHandler(TxEnv& env);

// ledger.cc: adds the journal entry's postings to the unsettled positions of their pairs
// (one read and one write per pair touched), registering new pairs.
Verdict BookPostings(StateView& view, const proto::TxRecord& record);

// Adds `delta` (a owes b) to the component of `amounts` that `component` names: BAD_AMOUNT
// if the sum would overflow (checked.h), a fault for a posting with no component (the
// contract writes every component itself).
Verdict AddComponent(proto::ComponentAmounts& amounts, proto::PostingComponent component,
                     std::int64_t delta);

}  // namespace colend::contracts

#endif  // COLEND_CONTRACTS_SRC_TX_ENV_H_
