#include "event_parties.h"

#include <algorithm>

#include "colend/contracts/records.h"
#include "colend/proto/state.pb.h"

namespace colend::node {
namespace {

Status AddLoanLegs(const contracts::StateReader& state, const std::string& loan_id,
                   std::vector<std::string>& out) {
  COLEND_ASSIGN_OR_RETURN(
      std::optional<proto::LoanRecord> loan,
      contracts::ReadRecord<proto::LoanRecord>(state, contracts::keys::Loan(loan_id)));
  if (!loan) return Status::Ok();
  for (const proto::LoanLeg& leg : loan->legs()) out.push_back(leg.bank());
  return Status::Ok();
}

Status AddAgreementParties(const contracts::StateReader& state, const std::string& agreement_id,
                           std::vector<std::string>& out) {
  COLEND_ASSIGN_OR_RETURN(std::optional<proto::AgreementRecord> agreement,
                          contracts::ReadRecord<proto::AgreementRecord>(
                              state, contracts::keys::Agreement(agreement_id)));
  if (!agreement) return Status::Ok();
  for (const proto::AgreementParty& party : agreement->parties()) out.push_back(party.bank());
  return Status::Ok();
}

}  // namespace

std::string TransactionTypeName(const proto::TransactionBody& body) {
  if (body.payload_case() == proto::TransactionBody::PAYLOAD_NOT_SET) return "";
  const google::protobuf::FieldDescriptor* field =
      proto::TransactionBody::descriptor()->FindFieldByNumber(body.payload_case());
  return field != nullptr && field->message_type() != nullptr ? field->message_type()->name() : "";
}

namespace {

// The loan-leg part of TransactionParties, read from `after`: the banks with a leg in the
// loan the event names (a reversal: the loan of the event it reverses).
Status AddLoanParties(const proto::TransactionBody& body, const contracts::StateReader& after,
                      std::vector<std::string>& out) {
  switch (body.payload_case()) {
    case proto::TransactionBody::kOriginateLoan:
      return AddLoanLegs(after, body.originate_loan().loan_id(), out);
    case proto::TransactionBody::kApproveLoan:
      return AddLoanLegs(after, body.approve_loan().loan_id(), out);
    case proto::TransactionBody::kRecordRepayment:
      return AddLoanLegs(after, body.record_repayment().loan_id(), out);
    case proto::TransactionBody::kChargeOff:
      return AddLoanLegs(after, body.charge_off().loan_id(), out);
    case proto::TransactionBody::kRecordRecovery:
      return AddLoanLegs(after, body.record_recovery().loan_id(), out);
    case proto::TransactionBody::kReverse: {
      COLEND_ASSIGN_OR_RETURN(
          std::optional<proto::TxRecord> target,
          contracts::ReadRecord<proto::TxRecord>(
              after, contracts::keys::Tx(body.signer(), body.reverse().target_id())));
      if (target && !target->loan_id().empty()) return AddLoanLegs(after, target->loan_id(), out);
      return Status::Ok();
    }
    default:
      return Status::Ok();
  }
}

// The journal part, read from `after`: whoever a posting moved money between.
Status AddJournalParties(const proto::TransactionBody& body, const proto::Receipt& receipt,
                         const contracts::StateReader& after, std::vector<std::string>& out) {
  COLEND_ASSIGN_OR_RETURN(std::optional<proto::TxRecord> record,
                          contracts::ReadRecord<proto::TxRecord>(
                              after, contracts::keys::Tx(body.signer(), body.id())));
  if (record && record->tx_hash() == receipt.tx_hash()) {
    for (const proto::JournalLine& line : record->journal()) {
      out.push_back(line.debtor());
      out.push_back(line.creditor());
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<std::string>> TransactionParties(
    const proto::TransactionBody& body, const proto::Receipt& receipt,
    const contracts::StateReader& after, const std::vector<std::string>* banks) {
  std::vector<std::string> out{body.signer()};
  if (receipt.status() == proto::RECEIPT_STATUS_OK) {
    switch (body.payload_case()) {
      case proto::TransactionBody::kProposeAgreement:
        for (const auto& [bank, share] : body.propose_agreement().shares()) out.push_back(bank);
        break;
      case proto::TransactionBody::kAcceptAgreement:
        COLEND_RETURN_IF_ERROR(
            AddAgreementParties(after, body.accept_agreement().agreement_id(), out));
        break;
      case proto::TransactionBody::kSuspendAgreement:
        COLEND_RETURN_IF_ERROR(
            AddAgreementParties(after, body.suspend_agreement().agreement_id(), out));
        break;
      case proto::TransactionBody::kCloseSettlement:
        out.push_back(body.close_settlement().counterparty());
        break;
      case proto::TransactionBody::kConfirmSettlement: {
        // The batch id is "<a>/<b>/<currency>/<n>".
        const std::string& id = body.confirm_settlement().batch_id();
        const std::size_t first = id.find('/');
        const std::size_t second = first == std::string::npos ? first : id.find('/', first + 1);
        if (second != std::string::npos) {
          out.push_back(id.substr(0, first));
          out.push_back(id.substr(first + 1, second - first - 1));
        }
        break;
      }
      case proto::TransactionBody::kAcknowledgeReport:
        out.push_back(body.acknowledge_report().counterparty());
        break;
      default:
        break;
    }
    // The loan's legs and the journal's banks: as the contract reported them, or read back.
    if (banks != nullptr) {
      out.insert(out.end(), banks->begin(), banks->end());
    } else {
      COLEND_RETURN_IF_ERROR(AddLoanParties(body, after, out));
      COLEND_RETURN_IF_ERROR(AddJournalParties(body, receipt, after, out));
    }
  }
  std::erase_if(out, [](const std::string& bank) { return bank.empty() || bank.size() > 32; });
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace colend::node
