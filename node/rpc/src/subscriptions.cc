#include "subscriptions.h"

#include <algorithm>

#include "colend/contracts/books.h"
#include "colend/contracts/records_json.h"
#include "json_rpc.h"
#include "rpc_render.h"

namespace colend::node::rpc {
namespace {

Status Invalid(std::string message) {
  return Status::InvalidArgument(std::move(message));
}

bool Concerns(const TxEvent& tx, const std::string& bank) {
  return std::binary_search(tx.parties.begin(), tx.parties.end(), bank);
}

json::object BlockResult(const BlockEvent& event) {
  json::object out;
  out["height"] = event.height;
  out["hash"] = ToHex(event.block_hash);
  out["timestamp_ms"] = event.timestamp_ms;
  out["tx_count"] = event.txs.size();
  std::uint64_t accepted = 0;
  for (const TxEvent& tx : event.txs) {
    if (tx.receipt.status() == proto::RECEIPT_STATUS_OK) ++accepted;
  }
  out["accepted"] = accepted;
  out["state_root"] = ToHex(event.state_root);
  out["receipts_root"] = ToHex(event.receipts_root);
  return out;
}

std::optional<json::object> ReceiptsResult(const BlockEvent& event, const std::string& signer) {
  json::array receipts;
  for (const TxEvent& tx : event.txs) {
    if (tx.signer != signer) continue;
    json::object r;
    r["index"] = tx.index;
    r["tx_hash"] = ToHex(tx.tx_hash);
    r["id"] = tx.id;
    r["type"] = tx.type;
    const bool ok = tx.receipt.status() == proto::RECEIPT_STATUS_OK;
    r["status"] = ok ? "ok" : "rejected";
    if (!ok) {
      r["code"] = tx.receipt.code();
      r["message"] = tx.receipt.message();
    }
    receipts.push_back(std::move(r));
  }
  if (receipts.empty()) return std::nullopt;
  json::object out;
  out["signer"] = signer;
  out["receipts"] = std::move(receipts);
  return out;
}

Result<std::optional<json::object>> PositionsResult(const BlockEvent& event,
                                                    const std::string& bank, const NodeApi& node) {
  if (std::none_of(event.txs.begin(), event.txs.end(),
                   [&](const TxEvent& tx) { return Concerns(tx, bank); })) {
    return std::optional<json::object>();
  }
  json::array positions;
  COLEND_ASSIGN_OR_RETURN(HistoryRead read,
                          node.ReadPositionsAt(event.height, [&](const contracts::StateReader& r) {
                            contracts::PositionFilter filter;
                            filter.bank = bank;
                            COLEND_ASSIGN_OR_RETURN(positions, contracts::Positions(r, filter));
                            return Status::Ok();
                          }));
  if (read == HistoryRead::kAboveHead) {  // a published block is never above the head
    return Status::Internal("block " + std::to_string(event.height) +
                            " was published but is above the last block");
  }
  json::object out;
  out["bank"] = bank;
  out["positions"] = std::move(positions);
  return std::optional<json::object>(std::move(out));
}

// The batch as it stood after block `height`: a later payment or confirmation is not shown.
proto::SettlementBatchRecord AsOf(proto::SettlementBatchRecord batch, std::uint64_t height) {
  if (batch.confirmed_at_height() > height) {
    batch.set_confirmed_at_height(0);
    batch.set_status(proto::SETTLEMENT_STATUS_PAID);
  }
  if (batch.paid_at_height() > height) {
    batch.set_paid_at_height(0);
    batch.clear_payment_ref();
    batch.set_status(proto::SETTLEMENT_STATUS_CLOSED);
  }
  return batch;
}

Result<std::optional<json::object>> SettlementsResult(const BlockEvent& event,
                                                      const std::string& bank,
                                                      const NodeApi& node) {
  const bool settles = std::any_of(event.txs.begin(), event.txs.end(), [&](const TxEvent& tx) {
    return tx.receipt.status() == proto::RECEIPT_STATUS_OK &&
           (tx.type == "CloseSettlement" || tx.type == "ConfirmSettlement") &&
           (bank.empty() || Concerns(tx, bank));
  });
  if (!settles) return std::optional<json::object>();
  json::array settlements;
  const std::uint64_t h = event.height;
  COLEND_RETURN_IF_ERROR(node.ReadState([&](const contracts::StateReader& r,
                                            const contracts::StateScanner&,
                                            const StateHead&) -> Status {
    COLEND_ASSIGN_OR_RETURN(std::vector<proto::SettlementBatchRecord> batches,
                            contracts::ReadSettlements(r));
    for (const proto::SettlementBatchRecord& b : batches) {
      if (b.closed_at_height() != h && b.paid_at_height() != h && b.confirmed_at_height() != h) {
        continue;
      }
      if (!bank.empty() && b.a() != bank && b.b() != bank) continue;
      settlements.push_back(contracts::SettlementJson(AsOf(b, h)));
    }
    return Status::Ok();
  }));
  if (settlements.empty()) return std::optional<json::object>();
  json::object out;
  out["settlements"] = std::move(settlements);
  return std::optional<json::object>(std::move(out));
}

}  // namespace

Result<SubscriptionSpec> ParseSubscription(const json::object* params) {
  ParamReader p(params, "subscribe");
  COLEND_RETURN_IF_ERROR(p.OnlyAllowed({"topic", "signer", "bank", "from_height"}));
  SubscriptionSpec spec;
  COLEND_ASSIGN_OR_RETURN(spec.topic_name, p.RequiredString("topic"));
  COLEND_ASSIGN_OR_RETURN(std::optional<std::string> signer, p.OptionalString("signer"));
  COLEND_ASSIGN_OR_RETURN(std::optional<std::string> bank, p.OptionalString("bank"));
  COLEND_ASSIGN_OR_RETURN(spec.from_height, p.OptionalUint("from_height"));
  const std::string& t = spec.topic_name;
  if (t == "blocks") {
    spec.topic = Topic::kBlocks;
  } else if (t == "receipts") {
    spec.topic = Topic::kReceipts;
    if (!signer) return Invalid("param \"signer\": the receipts topic needs a signer");
    COLEND_RETURN_IF_ERROR(CheckMemberId("signer", *signer));
    spec.signer = *signer;
  } else if (t == "positions") {
    spec.topic = Topic::kPositions;
    if (!bank) return Invalid("param \"bank\": the positions topic needs a bank");
  } else if (t == "settlements") {
    spec.topic = Topic::kSettlements;
  } else if (t == "status") {
    spec.topic = Topic::kStatus;
    if (spec.from_height) {
      return Invalid(
          "param \"from_height\": the status topic is live only (a past status is "
          "not kept)");
    }
  } else {
    return Invalid("param \"topic\": unknown topic \"" + t.substr(0, 40) +
                   "\"; expected blocks, receipts, positions, settlements or status");
  }
  if (signer && spec.topic != Topic::kReceipts) {
    return Invalid("param \"signer\": only the receipts topic takes a signer");
  }
  if (bank) {
    if (spec.topic != Topic::kPositions && spec.topic != Topic::kSettlements) {
      return Invalid("param \"bank\": only the positions and settlements topics take a bank");
    }
    COLEND_RETURN_IF_ERROR(CheckMemberId("bank", *bank));
    spec.bank = *bank;
  }
  if (spec.from_height && *spec.from_height == 0) {
    return Invalid("param \"from_height\": heights start at 1");
  }
  return spec;
}

Result<std::optional<json::object>> RenderNotification(const SubscriptionSpec& spec,
                                                       const BlockEvent& event,
                                                       const NodeApi& node) {
  switch (spec.topic) {
    case Topic::kBlocks:
      return std::optional<json::object>(BlockResult(event));
    case Topic::kReceipts:
      return ReceiptsResult(event, spec.signer);
    case Topic::kPositions:
      return PositionsResult(event, spec.bank, node);
    case Topic::kSettlements:
      return SettlementsResult(event, spec.bank, node);
    case Topic::kStatus: {
      json::object out = NodeInfoJson(node.GetNodeInfo());
      return std::optional<json::object>(std::move(out));
    }
  }
  return std::optional<json::object>();
}

std::string NotificationMessage(const std::string& subscription, const SubscriptionSpec& spec,
                                std::uint64_t height, json::object result) {
  json::object params;
  params["subscription"] = subscription;
  params["topic"] = spec.topic_name;
  params["height"] = height;
  params["result"] = std::move(result);
  json::object out;
  out["jsonrpc"] = "2.0";
  out["method"] = "subscription";
  out["params"] = std::move(params);
  return json::serialize(out);
}

}  // namespace colend::node::rpc
