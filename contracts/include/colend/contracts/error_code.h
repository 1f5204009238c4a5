// The contracts' rejection codes: stable upper-case names that a receipt carries (and the
// JSON-RPC error -32001 repeats in data.code) together with a sentence. A bank's systems
// switch on these names, so a name never changes meaning and is never reused.
#ifndef COLEND_CONTRACTS_ERROR_CODE_H_
#define COLEND_CONTRACTS_ERROR_CODE_H_

#include <cstdint>
#include <string_view>

namespace colend::contracts {

enum class ErrorCode : std::uint8_t {
  // Envelope and authorisation
  kMalformed,        // the body does not decode, has unknown fields or no payload
  kBadField,         // a field is missing or out of its format (id, date, currency, enum)
  kWrongChain,       // chain_id names another chain
  kUnknownSigner,    // signer is not an active member
  kBadSignature,     // the key id is not one of the signer's active keys
  kDuplicate,        // (signer, id) was used before
  kPiiRejected,      // free text looks like personal data; borrower_ref not a keyed hash
  // Agreements
  kAgreementExists,
  kBadShares,
  kNoAgreement,
  kNotAParty,
  kNotLead,
  kAgreementNotActive,
  kAlreadyAccepted,
  // Loans and servicing
  kLoanExists,
  kBadAmount,        // amount <= 0 where it must be positive, or arithmetic would overflow
  kLimitExceeded,
  kBelowMinShare,
  kNoLoan,
  kLoanNotActive,
  kNotPendingApproval,
  kAlreadyApproved,
  kOverpayment,
  kLoanNotChargedOff,
  kNoEvent,
  kNotReversible,
  // Settlement and reconciliation
  kNothingToSettle,
  kNoBatch,
  kBatchState,       // the batch is not in the state this step needs
  kNotCounterparty,  // the pair named is not a valid pair for the signer
  kReportHeight,     // a report height above the chain's height
  kReportMismatch,   // this bank already acknowledged another hash for the pair and height
  // Governance
  kMemberExists,
  kNoMember,
  kProposalExists,
  kNoProposal,
  kProposalClosed,
  kAlreadyVoted,
  kUnknownRule,
  kBadValidatorSet,
  kBadKey,
  kAlreadyRevoked,   // the certificate is on the revocation list already
};

// "MALFORMED", "BAD_FIELD", … as written in receipts.
std::string_view ErrorCodeName(ErrorCode code);

}  // namespace colend::contracts

#endif  // COLEND_CONTRACTS_ERROR_CODE_H_
