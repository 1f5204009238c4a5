// The ledger: double-entry postings booked into the unsettled positions of bank pairs.
//
// A posting "D owes C x" belongs to the ordered pair (a, b) = (min(D, C), max(D, C)) and
// adds +x to "a owes b" when D == a, -x when D == b. Every posting is booked once, in the
// position of its pair and currency, under its value date; a settlement cut-off later
// moves whole value dates out of the position into a batch (settlement.cc). So the
// position of a pair is always the sum of its unsettled postings, and position(a, b) ==
// -position(b, a) holds by construction (only the a < b orientation is stored).
#include <algorithm>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "checked.h"
#include "colend/contracts/books.h"
#include "colend/contracts/records.h"
#include "tx_env.h"

namespace colend::contracts {

Verdict AddComponent(proto::ComponentAmounts& amounts, proto::PostingComponent component,
                     std::int64_t delta) {
  using Getter = std::int64_t (proto::ComponentAmounts::*)() const;
  using Setter = void (proto::ComponentAmounts::*)(std::int64_t);
  Getter get = nullptr;
  Setter set = nullptr;
  switch (component) {
    case proto::POSTING_COMPONENT_FUNDING:
      get = &proto::ComponentAmounts::funding, set = &proto::ComponentAmounts::set_funding;
      break;
    case proto::POSTING_COMPONENT_PRINCIPAL:
      get = &proto::ComponentAmounts::principal, set = &proto::ComponentAmounts::set_principal;
      break;
    case proto::POSTING_COMPONENT_INTEREST:
      get = &proto::ComponentAmounts::interest, set = &proto::ComponentAmounts::set_interest;
      break;
    case proto::POSTING_COMPONENT_SERVICE_FEE:
      get = &proto::ComponentAmounts::service_fee,
      set = &proto::ComponentAmounts::set_service_fee;
      break;
    case proto::POSTING_COMPONENT_PENALTY:
      get = &proto::ComponentAmounts::penalty, set = &proto::ComponentAmounts::set_penalty;
      break;
    case proto::POSTING_COMPONENT_RECOVERY:
      get = &proto::ComponentAmounts::recovery, set = &proto::ComponentAmounts::set_recovery;
      break;
    default:
      return Verdict::Fault(Status::Internal("posting with no component"));
  }
  COLEND_ASSIGN_OR_VERDICT(std::int64_t value, CheckedAdd((amounts.*get)(), delta));
  (amounts.*set)(value);
  return Verdict::Accept();
}

namespace {

// Adds a_owes_b under the journal's value date, keeping `days` sorted by date.
Verdict BookDay(proto::PositionRecord& position, const std::string& value_date,
                proto::PostingComponent component, std::int64_t a_owes_b) {
  COLEND_RETURN_IF_NOT_ACCEPTED(AddComponent(*position.mutable_total(), component, a_owes_b));
  position.set_posting_count(position.posting_count() + 1);
  auto* days = position.mutable_days();
  auto it = std::lower_bound(days->begin(), days->end(), value_date,
                             [](const proto::UnsettledDay& d, const std::string& date) {
                               return d.value_date() < date;
                             });
  int index = static_cast<int>(it - days->begin());
  if (it == days->end() || it->value_date() != value_date) {
    proto::UnsettledDay* day = days->Add();
    day->set_value_date(value_date);
    for (int i = days->size() - 1; i > index; --i) days->SwapElements(i, i - 1);
  }
  proto::UnsettledDay* day = days->Mutable(index);
  COLEND_RETURN_IF_NOT_ACCEPTED(AddComponent(*day->mutable_amounts(), component, a_owes_b));
  day->set_posting_count(day->posting_count() + 1);
  // Each component fitting is not enough: the net over them is what getBooks and
  // getPositions show, so it must fit too. (A settlement batch's net is checked when the
  // batch is cut: settlement.cc.)
  if (!NetOfComponents(position.total()).ok()) {
    return Verdict::Reject(ErrorCode::kBadAmount, "amounts would overflow: the net position of " +
                                                      position.a() + " towards " + position.b() +
                                                      " in " + position.currency() +
                                                      " would leave the 64-bit range");
  }
  return Verdict::Accept();
}

Verdict RegisterPairs(StateView& view, const std::vector<proto::PairKey>& added) {
  COLEND_ASSIGN_OR_FAULT(auto list, ReadRecord<proto::PairList>(view, keys::kPairs));
  proto::PairList pairs = list.value_or(proto::PairList());
  auto less = [](const proto::PairKey& x, const proto::PairKey& y) {
    return std::tie(x.a(), x.b(), x.currency()) < std::tie(y.a(), y.b(), y.currency());
  };
  for (const proto::PairKey& k : added) {
    auto* all = pairs.mutable_pairs();
    auto it = std::lower_bound(all->begin(), all->end(), k, less);
    if (it != all->end() && !less(k, *it)) continue;
    const int index = static_cast<int>(it - all->begin());
    *all->Add() = k;
    for (int i = all->size() - 1; i > index; --i) all->SwapElements(i, i - 1);
  }
  WriteRecord(view, keys::kPairs, pairs);
  return Verdict::Accept();
}

}  // namespace

Verdict BookPostings(StateView& view, const proto::TxRecord& record) {
  if (record.journal_size() == 0) return Verdict::Accept();
  // Each pair's position is read and written once per transaction: lines are grouped by
  // pair in first-seen order (a journal touches a handful of pairs).
  struct Group {
    std::string_view a, b;
    std::vector<const proto::JournalLine*> lines;
  };
  std::vector<Group> groups;
  groups.reserve(4);
  for (const proto::JournalLine& line : record.journal()) {
    if (line.debtor() == line.creditor()) {
      return Verdict::Fault(Status::Internal("posting from a bank to itself"));
    }
    const bool debtor_first = line.debtor() < line.creditor();
    const std::string_view a = debtor_first ? line.debtor() : line.creditor();
    const std::string_view b = debtor_first ? line.creditor() : line.debtor();
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const Group& g) { return g.a == a && g.b == b; });
    if (it == groups.end()) it = groups.insert(groups.end(), Group{a, b, {}});
    it->lines.push_back(&line);
  }
  std::vector<proto::PairKey> added;
  for (const Group& group : groups) {
    const std::string key = keys::Position(group.a, group.b, record.currency());
    COLEND_ASSIGN_OR_FAULT(proto::PositionRecord * existing,
                            MutableRecord<proto::PositionRecord>(view, key));
    proto::PositionRecord& position =
        existing != nullptr ? *existing : *NewRecord<proto::PositionRecord>(view, key);
    if (existing == nullptr) {
      position.set_a(std::string(group.a));
      position.set_b(std::string(group.b));
      position.set_currency(record.currency());
      proto::PairKey& k = added.emplace_back();
      k.set_a(std::string(group.a));
      k.set_b(std::string(group.b));
      k.set_currency(record.currency());
    }
    for (const proto::JournalLine* line : group.lines) {
      std::int64_t a_owes_b = line->amount();
      if (line->debtor() != group.a) {
        COLEND_ASSIGN_OR_VERDICT(a_owes_b, CheckedSub(0, a_owes_b));
      }
      COLEND_RETURN_IF_NOT_ACCEPTED(
          BookDay(position, record.value_date(), line->component(), a_owes_b));
    }
  }
  if (!added.empty()) COLEND_RETURN_IF_NOT_ACCEPTED(RegisterPairs(view, added));
  return Verdict::Accept();
}

}  // namespace colend::contracts
