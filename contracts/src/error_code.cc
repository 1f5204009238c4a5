#include "colend/contracts/error_code.h"

namespace colend::contracts {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kMalformed: return "MALFORMED";
    case ErrorCode::kBadField: return "BAD_FIELD";
    case ErrorCode::kWrongChain: return "WRONG_CHAIN";
    case ErrorCode::kUnknownSigner: return "UNKNOWN_SIGNER";
    case ErrorCode::kBadSignature: return "BAD_SIGNATURE";
    case ErrorCode::kDuplicate: return "DUPLICATE";
    case ErrorCode::kPiiRejected: return "PII_REJECTED";
    case ErrorCode::kAgreementExists: return "AGREEMENT_EXISTS";
    case ErrorCode::kBadShares: return "BAD_SHARES";
    case ErrorCode::kNoAgreement: return "NO_AGREEMENT";
    case ErrorCode::kNotAParty: return "NOT_A_PARTY";
    case ErrorCode::kNotLead: return "NOT_LEAD";
    case ErrorCode::kAgreementNotActive: return "AGREEMENT_NOT_ACTIVE";
    case ErrorCode::kAlreadyAccepted: return "ALREADY_ACCEPTED";
    case ErrorCode::kLoanExists: return "LOAN_EXISTS";
    case ErrorCode::kBadAmount: return "BAD_AMOUNT";
    case ErrorCode::kLimitExceeded: return "LIMIT_EXCEEDED";
    case ErrorCode::kBelowMinShare: return "BELOW_MIN_SHARE";
    case ErrorCode::kNoLoan: return "NO_LOAN";
    case ErrorCode::kLoanNotActive: return "LOAN_NOT_ACTIVE";
    case ErrorCode::kNotPendingApproval: return "NOT_PENDING_APPROVAL";
    case ErrorCode::kAlreadyApproved: return "ALREADY_APPROVED";
    case ErrorCode::kOverpayment: return "OVERPAYMENT";
    case ErrorCode::kLoanNotChargedOff: return "LOAN_NOT_CHARGED_OFF";
    case ErrorCode::kNoEvent: return "NO_EVENT";
    case ErrorCode::kNotReversible: return "NOT_REVERSIBLE";
    case ErrorCode::kNothingToSettle: return "NOTHING_TO_SETTLE";
    case ErrorCode::kNoBatch: return "NO_BATCH";
    case ErrorCode::kBatchState: return "BATCH_STATE";
    case ErrorCode::kNotCounterparty: return "NOT_COUNTERPARTY";
    case ErrorCode::kReportHeight: return "REPORT_HEIGHT";
    case ErrorCode::kReportMismatch: return "REPORT_MISMATCH";
    case ErrorCode::kMemberExists: return "MEMBER_EXISTS";
    case ErrorCode::kNoMember: return "NO_MEMBER";
    case ErrorCode::kProposalExists: return "PROPOSAL_EXISTS";
    case ErrorCode::kNoProposal: return "NO_PROPOSAL";
    case ErrorCode::kProposalClosed: return "PROPOSAL_CLOSED";
    case ErrorCode::kAlreadyVoted: return "ALREADY_VOTED";
    case ErrorCode::kUnknownRule: return "UNKNOWN_RULE";
    case ErrorCode::kBadValidatorSet: return "BAD_VALIDATOR_SET";
    case ErrorCode::kBadKey: return "BAD_KEY";
    case ErrorCode::kAlreadyRevoked: return "ALREADY_REVOKED";
  }
  return "UNKNOWN";
}

}  // namespace colend::contracts
