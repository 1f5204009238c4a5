#include "colend/contracts/records.h"

#include <cstdio>

namespace colend::contracts::keys {
namespace {

std::string Join(std::initializer_list<std::string_view> parts) {
  std::string out;
  std::size_t size = 0;
  for (std::string_view p : parts) size += p.size() + 1;
  out.reserve(size);
  bool first = true;
  for (std::string_view p : parts) {
    if (!first) out.push_back('/');
    out.append(p);
    first = false;
  }
  return out;
}

// Zero-padded so that byte order is numeric order.
std::string Padded(std::uint64_t n) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%020llu", static_cast<unsigned long long>(n));
  return buf;
}

}  // namespace

std::string Member(std::string_view id) { return std::string(kMemberPrefix).append(id); }
std::string Agreement(std::string_view id) { return std::string(kAgreementPrefix).append(id); }
std::string Loan(std::string_view id) { return std::string(kLoanPrefix).append(id); }
std::string Tx(std::string_view signer, std::string_view id) {
  return std::string(kTxPrefix).append(Join({signer, id}));
}
std::string Position(std::string_view a, std::string_view b, std::string_view currency) {
  return std::string(kPositionPrefix).append(Join({a, b, currency}));
}
std::string BatchId(std::string_view a, std::string_view b, std::string_view currency,
                    std::uint64_t n) {
  return Join({a, b, currency, std::to_string(n)});
}
std::string Batch(std::string_view batch_id) { return std::string(kBatchPrefix).append(batch_id); }
std::string BatchSeq(std::uint64_t n) { return std::string(kBatchSeqPrefix).append(Padded(n)); }
std::string Ack(std::string_view a, std::string_view b, std::uint64_t height) {
  return std::string(kAckPrefix).append(Join({a, b, Padded(height)}));
}
std::string Proposal(std::string_view id) { return std::string(kProposalPrefix).append(id); }
std::string ValidatorEpoch(std::uint64_t epoch) {
  return std::string(kValidatorEpochPrefix).append(Padded(epoch));
}
std::string Revoked(std::string_view fingerprint) {
  return std::string(kRevokedPrefix).append(fingerprint);
}

}  // namespace colend::contracts::keys
