#include "colend/contracts/conservation.h"

#include <string>
#include <utility>
#include <vector>

#include "colend/common/int128.h"

namespace colend::contracts {
namespace {

// Decimal text of a 128-bit sum (sums of int64 parts may leave the int64 range).
std::string ToDecimal(Int128 v) {
  if (v == 0) return "0";
  const bool negative = v < 0;
  std::string digits;
  while (v != 0) {
    const int digit = static_cast<int>(v % 10);
    digits.insert(digits.begin(), static_cast<char>('0' + (digit < 0 ? -digit : digit)));
    v /= 10;
  }
  return negative ? "-" + digits : digits;
}

}  // namespace

Status CheckSplitConserves(std::string_view what, Amount total, std::span<const Amount> parts) {
  Int128 sum = 0;
  for (const Amount& part : parts) sum += part.minor();
  if (sum == total.minor()) return Status::Ok();
  return Status::Internal("money conservation: the split of " + std::string(what) + " into " +
                          std::to_string(parts.size()) + " parts sums to " + ToDecimal(sum) +
                          ", not " + total.ToString());
}

Status CheckJournalBalances(const proto::TxRecord& record) {
  // A journal touches a handful of banks: a small vector, no tree.
  std::vector<std::pair<std::string_view, Int128>> net;
  auto add = [&net](std::string_view bank, Int128 amount) {
    for (auto& [b, value] : net) {
      if (b == bank) {
        value += amount;
        return;
      }
    }
    net.emplace_back(bank, amount);
  };
  for (const proto::JournalLine& line : record.journal()) {
    if (line.debtor() == line.creditor()) {
      return Status::Internal("money conservation: a journal line of transaction at height " +
                              std::to_string(record.height()) + " index " +
                              std::to_string(record.index()) + " has " + line.debtor() +
                              " owe itself");
    }
    add(line.debtor(), -Int128{line.amount()});
    add(line.creditor(), line.amount());
  }
  Int128 sum = 0;
  for (const auto& [bank, value] : net) sum += value;
  if (sum == 0) return Status::Ok();
  std::string where = "the journal of the transaction at height " +
                      std::to_string(record.height()) + " index " + std::to_string(record.index());
  if (!record.loan_id().empty()) where += " (loan " + record.loan_id() + ")";
  return Status::Internal("money conservation: " + where + " does not sum to zero in " +
                          record.currency() + ": the banks' nets sum to " + ToDecimal(sum));
}

namespace {

std::string LoanOf(const proto::TxRecord& record) {
  return record.loan_id().empty() ? std::string("no loan") : "loan " + record.loan_id();
}

}  // namespace

Status CheckJournalMatchesParts(const proto::TxRecord& record, std::string_view lead) {
  proto::PostingComponent component;
  std::int64_t (proto::LegDelta::*part_of)() const;
  std::string what;
  if (record.kind() == proto::EVENT_KIND_REPAYMENT) {
    component = proto::POSTING_COMPONENT_PRINCIPAL;
    part_of = &proto::LegDelta::principal;
    what = "principal";
  } else if (record.kind() == proto::EVENT_KIND_RECOVERY) {
    component = proto::POSTING_COMPONENT_RECOVERY;
    part_of = &proto::LegDelta::recovered;
    what = "recovery";
  } else {
    return Status::Ok();
  }
  Int128 posted_in_all = 0;
  for (const proto::JournalLine& line : record.journal()) {
    if (line.component() == component) posted_in_all += line.amount();
  }
  Int128 parts_in_all = 0;
  for (const proto::LegDelta& delta : record.deltas()) {
    if (delta.bank() == lead) continue;
    Int128 posted = 0;
    for (const proto::JournalLine& line : record.journal()) {
      if (line.component() == component && line.debtor() == lead &&
          line.creditor() == delta.bank()) {
        posted += line.amount();
      }
    }
    const std::int64_t part = (delta.*part_of)();
    parts_in_all += part;
    if (posted != part) {
      return Status::Internal("money conservation: " + LoanOf(record) + ": " + std::string(lead) +
                              " passes " + ToDecimal(posted) + " of " + what + " on to " +
                              delta.bank() + ", whose part is " + std::to_string(part));
    }
  }
  if (posted_in_all != parts_in_all) {
    return Status::Internal("money conservation: " + LoanOf(record) + ": the journal posts " +
                            ToDecimal(posted_in_all) + " of " + what +
                            " in all, the partners' parts are " + ToDecimal(parts_in_all));
  }
  return Status::Ok();
}

Status CheckReversalMirrors(const proto::TxRecord& reversal, const proto::TxRecord& target) {
  if (reversal.journal_size() != target.journal_size()) {
    return Status::Internal("money conservation: the reversal of " + LoanOf(target) +
                            "'s event posts " + std::to_string(reversal.journal_size()) +
                            " lines, the event " + std::to_string(target.journal_size()));
  }
  for (int i = 0; i < target.journal_size(); ++i) {
    const proto::JournalLine& undo = reversal.journal(i);
    const proto::JournalLine& done = target.journal(i);
    if (undo.debtor() != done.debtor() || undo.creditor() != done.creditor() ||
        undo.component() != done.component() ||
        Int128{undo.amount()} + Int128{done.amount()} != 0) {
      return Status::Internal("money conservation: line " + std::to_string(i) +
                              " of the reversal of " + LoanOf(target) + "'s event (" +
                              undo.debtor() + " owes " + undo.creditor() + " " +
                              std::to_string(undo.amount()) + ") does not undo " + done.debtor() +
                              " owes " + done.creditor() + " " + std::to_string(done.amount()));
    }
  }
  if (reversal.currency() != target.currency() || reversal.value_date() != target.value_date()) {
    return Status::Internal("money conservation: the reversal of " + LoanOf(target) +
                            "'s event is booked in another currency or on another value date");
  }
  return Status::Ok();
}

Status CheckSettlementConserves(std::string_view batch_id, const proto::ComponentAmounts& before,
                                const proto::ComponentAmounts& batch,
                                const proto::PositionRecord& after) {
  using Getter = std::int64_t (proto::ComponentAmounts::*)() const;
  static constexpr std::pair<const char*, Getter> kComponents[] = {
      {"funding", &proto::ComponentAmounts::funding},
      {"principal", &proto::ComponentAmounts::principal},
      {"interest", &proto::ComponentAmounts::interest},
      {"service_fee", &proto::ComponentAmounts::service_fee},
      {"penalty", &proto::ComponentAmounts::penalty},
      {"recovery", &proto::ComponentAmounts::recovery}};
  for (const auto& [name, get] : kComponents) {
    Int128 unsettled = 0;
    for (const proto::UnsettledDay& day : after.days()) unsettled += (day.amounts().*get)();
    const Int128 was = (before.*get)();
    const Int128 now = Int128{(batch.*get)()} + unsettled;
    if (was != now) {
      return Status::Internal("money conservation: closing batch " + std::string(batch_id) +
                              " changes the " + name + " of the pair from " + ToDecimal(was) +
                              " to " + ToDecimal(now) + " (the batch plus the unsettled days)");
    }
    if (Int128{(after.total().*get)()} != unsettled) {
      return Status::Internal("money conservation: after closing batch " + std::string(batch_id) +
                              " the pair's " + name + " total is " +
                              std::to_string((after.total().*get)()) +
                              " but its unsettled days sum to " + ToDecimal(unsettled));
    }
  }
  return Status::Ok();
}

}  // namespace colend::contracts
