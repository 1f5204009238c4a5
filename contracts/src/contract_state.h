// Small typed reads shared by the handlers.
#ifndef COLEND_CONTRACTS_SRC_CONTRACT_STATE_H_
#define COLEND_CONTRACTS_SRC_CONTRACT_STATE_H_

#include <optional>
#include <string>
#include <string_view>

#include "colend/common/result.h"
#include "colend/contracts/records.h"
#include "colend/contracts/state.h"
#include "colend/proto/state.pb.h"

namespace colend::contracts {

inline Result<std::optional<proto::MemberRecord>> ReadMember(const StateReader& s,
                                                             std::string_view id) {
  return ReadRecord<proto::MemberRecord>(s, keys::Member(id));
}

inline Result<bool> IsActiveMember(const StateReader& s, std::string_view id) {
  COLEND_ASSIGN_OR_RETURN(auto m, ReadMember(s, id));
  return m.has_value() && m->status() == proto::MEMBER_STATUS_ACTIVE;
}

inline Result<proto::NetworkRules> ReadRules(const StateReader& s) {
  COLEND_ASSIGN_OR_RETURN(auto r, ReadRecord<proto::NetworkRules>(s, keys::kRules));
  return r.value_or(proto::NetworkRules());
}

inline Result<std::optional<proto::AgreementRecord>> ReadAgreement(const StateReader& s,
                                                                   std::string_view id) {
  return ReadRecord<proto::AgreementRecord>(s, keys::Agreement(id));
}

inline Result<std::optional<proto::LoanRecord>> ReadLoan(const StateReader& s,
                                                         std::string_view id) {
  return ReadRecord<proto::LoanRecord>(s, keys::Loan(id));
}

inline proto::AgreementParty* FindParty(proto::AgreementRecord& a, std::string_view bank) {
  for (proto::AgreementParty& p : *a.mutable_parties()) {
    if (p.bank() == bank) return &p;
  }
  return nullptr;
}

inline proto::LoanLeg* FindLeg(proto::LoanRecord& loan, std::string_view bank) {
  for (proto::LoanLeg& leg : *loan.mutable_legs()) {
    if (leg.bank() == bank) return &leg;
  }
  return nullptr;
}

}  // namespace colend::contracts

#endif  // COLEND_CONTRACTS_SRC_CONTRACT_STATE_H_
