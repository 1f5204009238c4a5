// Settlement and reconciliation: CloseSettlement, ConfirmSettlement, AcknowledgeReport.
//
// A cut-off moves every unsettled value date on or before it, per currency, out of the
// pair's position into a new batch. Postings are booked by value date (ledger.cc), so a
// batch covers exactly the postings of its days, each posting lands in exactly one batch
// or stays unsettled, and a closed batch never changes: a later posting with an old value
// date (a reversal) stays unsettled until the next cut-off.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "checked.h"
#include "colend/common/int128.h"
#include "colend/contracts/conservation.h"
#include "colend/contracts/records.h"
#include "contract_state.h"
#include "tx_env.h"
#include "validation.h"

namespace colend::contracts {
namespace {

constexpr std::size_t kMaxPaymentRef = 128;

// Moves the first `covered` days' amounts out of `position`'s total into `batch` and
// returns the batch's net. The sums are taken in 128 bits, so only the results must fit in
// 64: the batch's components and net, and what stays unsettled, components and net (every
// day and the total fit already, but the days before a cut-off can add up to more than
// all of them do). If one does not, the cut-off is refused BAD_AMOUNT and a later or an
// earlier one may be chosen; nothing changes.
Outcome<std::int64_t> SplitAtCutoff(proto::PositionRecord& position, int covered,
                                    const std::string& cutoff, proto::ComponentAmounts* batch) {
  using Getter = std::int64_t (proto::ComponentAmounts::*)() const;
  using Setter = void (proto::ComponentAmounts::*)(std::int64_t);
  static constexpr std::pair<Getter, Setter> kComponents[] = {
      {&proto::ComponentAmounts::funding, &proto::ComponentAmounts::set_funding},
      {&proto::ComponentAmounts::principal, &proto::ComponentAmounts::set_principal},
      {&proto::ComponentAmounts::interest, &proto::ComponentAmounts::set_interest},
      {&proto::ComponentAmounts::service_fee, &proto::ComponentAmounts::set_service_fee},
      {&proto::ComponentAmounts::penalty, &proto::ComponentAmounts::set_penalty},
      {&proto::ComponentAmounts::recovery, &proto::ComponentAmounts::set_recovery}};
  Int128 batch_net = 0;
  Int128 rest_net = 0;
  proto::ComponentAmounts rest;
  for (const auto& [get, set] : kComponents) {
    Int128 in_batch = 0;
    for (int i = 0; i < covered; ++i) in_batch += (position.days(i).amounts().*get)();
    const Int128 stays = Int128{(position.total().*get)()} - in_batch;
    if (!FitsInt64(in_batch) || !FitsInt64(stays)) {
      return Verdict::Reject(ErrorCode::kBadAmount,
                             "amounts would overflow: the postings of " + position.a() +
                                 " towards " + position.b() + " in " + position.currency() +
                                 " on or before " + cutoff +
                                 " add up beyond the 64-bit range; choose another cut-off");
    }
    (batch->*set)(static_cast<std::int64_t>(in_batch));
    (rest.*set)(static_cast<std::int64_t>(stays));
    batch_net += in_batch;
    rest_net += stays;
  }
  if (!FitsInt64(batch_net) || !FitsInt64(rest_net)) {
    return Verdict::Reject(ErrorCode::kBadAmount,
                           "amounts would overflow: the net of " + position.a() + " towards " +
                               position.b() + " in " + position.currency() + " on or before " +
                               cutoff +
                               " (or after it) is beyond the 64-bit range; choose another "
                               "cut-off");
  }
  *position.mutable_total() = rest;
  return static_cast<std::int64_t>(batch_net);
}

// Orders the signer and the counterparty as a pair, after checking the counterparty.
Verdict LoadPair(TxEnv& env, const std::string& counterparty, std::string* a, std::string* b) {
  if (counterparty == env.signer()) {
    return Verdict::Reject(ErrorCode::kNotCounterparty, "a bank cannot settle with itself");
  }
  if (!IsMemberId(counterparty)) {
    return Verdict::Reject(ErrorCode::kNotCounterparty, "counterparty must be a member id");
  }
  COLEND_ASSIGN_OR_FAULT(auto member, ReadMember(env.view, counterparty));
  if (!member.has_value()) {
    return Verdict::Reject(ErrorCode::kNotCounterparty, counterparty + " is not a member");
  }
  *a = std::min(env.signer(), counterparty);
  *b = std::max(env.signer(), counterparty);
  return Verdict::Accept();
}

}  // namespace

Verdict CloseSettlementHandler(TxEnv& env) {
  const proto::CloseSettlement& c = env.body.close_settlement();
  std::string a, b;
  COLEND_RETURN_IF_NOT_ACCEPTED(LoadPair(env, c.counterparty(), &a, &b));
  if (!IsDate(c.cutoff())) return Verdict::Reject(ErrorCode::kBadField, "cutoff must be a date YYYY-MM-DD");

  COLEND_ASSIGN_OR_FAULT(auto list, ReadRecord<proto::PairList>(env.view, keys::kPairs));
  COLEND_ASSIGN_OR_FAULT(auto counter, ReadRecord<proto::BatchCounter>(env.view, keys::kBatches));
  std::uint64_t sequence = counter.has_value() ? counter->count() : 0;
  bool closed_any = false;
  if (list.has_value()) {
    for (const proto::PairKey& pair : list->pairs()) {  // sorted: currencies in order
      if (pair.a() != a || pair.b() != b) continue;
      const std::string key = keys::Position(a, b, pair.currency());
      COLEND_ASSIGN_OR_FAULT(auto found, ReadRecord<proto::PositionRecord>(env.view, key));
      if (!found.has_value()) {
        return Verdict::Fault(Status::Corruption("pair list names missing " + key));
      }
      proto::PositionRecord& position = *found;
      const proto::ComponentAmounts before = position.total();
      int covered = 0;
      while (covered < position.days_size() && position.days(covered).value_date() <= c.cutoff()) {
        ++covered;
      }
      if (covered == 0) continue;

      proto::SettlementBatchRecord batch;
      const std::uint64_t n = position.batches_closed() + 1;
      batch.set_batch_id(keys::BatchId(a, b, pair.currency(), n));
      batch.set_sequence(++sequence);
      batch.set_a(a);
      batch.set_b(b);
      batch.set_currency(pair.currency());
      batch.set_cutoff(c.cutoff());
      batch.set_closed_by(env.signer());
      batch.set_close_tx_id(env.id());
      batch.set_closed_at_height(env.ctx.height);
      for (int i = 0; i < covered; ++i) {
        const proto::UnsettledDay& day = position.days(i);
        *batch.add_days() = day;
        batch.set_posting_count(batch.posting_count() + day.posting_count());
      }
      COLEND_ASSIGN_OR_VERDICT(
          std::int64_t net, SplitAtCutoff(position, covered, c.cutoff(), batch.mutable_amounts()));
      batch.set_net_a_owes_b(net);
      // Nothing to pay: the batch is settled as it closes.
      batch.set_status(net == 0 ? proto::SETTLEMENT_STATUS_CONFIRMED
                                : proto::SETTLEMENT_STATUS_CLOSED);
      position.mutable_days()->DeleteSubrange(0, covered);
      position.set_posting_count(position.posting_count() - batch.posting_count());
      position.set_batches_closed(n);
      COLEND_FAULT_IF_ERROR(
          CheckSettlementConserves(batch.batch_id(), before, batch.amounts(), position));

      WriteRecord(env.view, key, position);
      WriteRecord(env.view, keys::Batch(batch.batch_id()), batch);
      env.view.Put(keys::BatchSeq(batch.sequence()), batch.batch_id());
      closed_any = true;
    }
  }
  if (!closed_any) {
    return Verdict::Reject(ErrorCode::kNothingToSettle,
                           a + " and " + b + " have no unsettled postings on or before " +
                               c.cutoff());
  }
  proto::BatchCounter next;
  next.set_count(sequence);
  WriteRecord(env.view, keys::kBatches, next);
  return Verdict::Accept();
}

Verdict ConfirmSettlementHandler(TxEnv& env) {
  const proto::ConfirmSettlement& c = env.body.confirm_settlement();
  const std::string key = keys::Batch(c.batch_id());
  COLEND_ASSIGN_OR_FAULT(auto found, ReadRecord<proto::SettlementBatchRecord>(env.view, key));
  if (!found.has_value()) return Verdict::Reject(ErrorCode::kNoBatch, "no batch " + c.batch_id());
  proto::SettlementBatchRecord& batch = *found;
  if (env.signer() != batch.a() && env.signer() != batch.b()) {
    return Verdict::Reject(ErrorCode::kNotCounterparty,
                           env.signer() + " is not a bank of batch " + c.batch_id());
  }
  if (batch.net_a_owes_b() == 0) {
    return Verdict::Reject(ErrorCode::kBatchState,
                           "batch " + c.batch_id() + " nets to zero and needs no payment");
  }
  const std::string& payer = batch.net_a_owes_b() > 0 ? batch.a() : batch.b();
  if (env.signer() == payer) {
    if (batch.status() != proto::SETTLEMENT_STATUS_CLOSED) {
      return Verdict::Reject(ErrorCode::kBatchState, "batch " + c.batch_id() + " is already paid");
    }
    if (c.payment_ref().empty() || c.payment_ref().size() > kMaxPaymentRef) {
      return Verdict::Reject(ErrorCode::kBadField,
                             "the payer must give a payment_ref of 1-128 characters");
    }
    batch.set_status(proto::SETTLEMENT_STATUS_PAID);
    batch.set_payment_ref(c.payment_ref());
    batch.set_paid_at_height(env.ctx.height);
  } else {
    if (batch.status() != proto::SETTLEMENT_STATUS_PAID) {
      return Verdict::Reject(ErrorCode::kBatchState,
                             "batch " + c.batch_id() +
                                 (batch.status() == proto::SETTLEMENT_STATUS_CLOSED
                                      ? " has not been paid yet"
                                      : " is already confirmed"));
    }
    if (!c.payment_ref().empty() && c.payment_ref() != batch.payment_ref()) {
      return Verdict::Reject(ErrorCode::kBadField,
                             "payment_ref " + c.payment_ref() + " differs from the payer's " +
                                 batch.payment_ref());
    }
    batch.set_status(proto::SETTLEMENT_STATUS_CONFIRMED);
    batch.set_confirmed_at_height(env.ctx.height);
  }
  WriteRecord(env.view, key, batch);
  return Verdict::Accept();
}

Verdict AcknowledgeReportHandler(TxEnv& env) {
  const proto::AcknowledgeReport& r = env.body.acknowledge_report();
  std::string a, b;
  COLEND_RETURN_IF_NOT_ACCEPTED(LoadPair(env, r.counterparty(), &a, &b));
  if (r.height() > env.ctx.height) {
    return Verdict::Reject(ErrorCode::kReportHeight,
                           "report height " + std::to_string(r.height()) +
                               " is above the chain height " + std::to_string(env.ctx.height));
  }
  if (r.report_sha256().size() != 32) {
    return Verdict::Reject(ErrorCode::kBadField, "report_sha256 must be 32 bytes");
  }
  const std::string key = keys::Ack(a, b, r.height());
  COLEND_ASSIGN_OR_FAULT(auto found, ReadRecord<proto::ReportAckRecord>(env.view, key));
  proto::ReportAckRecord ack = found.value_or(proto::ReportAckRecord());
  ack.set_a(a);
  ack.set_b(b);
  ack.set_height(r.height());
  std::string* mine = env.signer() == a ? ack.mutable_a_report_sha256() : ack.mutable_b_report_sha256();
  if (!mine->empty() && *mine != r.report_sha256()) {
    return Verdict::Reject(ErrorCode::kReportMismatch,
                           env.signer() + " already acknowledged another report for this pair "
                                          "at height " + std::to_string(r.height()));
  }
  *mine = r.report_sha256();
  ack.set_agreed(!ack.a_report_sha256().empty() && ack.a_report_sha256() == ack.b_report_sha256());
  WriteRecord(env.view, key, ack);
  return Verdict::Accept();
}

}  // namespace colend::contracts
