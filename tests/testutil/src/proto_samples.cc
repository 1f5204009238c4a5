#include "colend/testutil/proto_samples.h"

#include <string>

namespace colend::testutil {

proto::BlockHeader SampleBlockHeader() {
  proto::BlockHeader header;
  header.set_chain_id(kSampleChainId);
  header.set_height(42);
  header.set_parent_hash(std::string(32, '\x11'));
  header.set_tx_root(std::string(32, '\x22'));
  header.set_receipts_root(std::string(32, '\x33'));
  header.set_state_root(std::string(32, '\x44'));
  header.set_timestamp_ms(1795248000000);
  header.set_proposer("LEAD");
  header.set_view(3);
  header.set_tx_count(2);
  return header;
}

proto::TransactionBody SampleProposeAgreement() {
  proto::TransactionBody body;
  body.set_chain_id(kSampleChainId);
  body.set_signer("LEAD");
  body.set_id("ag-1");
  proto::ProposeAgreement* p = body.mutable_propose_agreement();
  p->set_agreement_id("AG-1");
  p->set_currency("CNY");
  (*p->mutable_shares())["LEAD"] = 2000;
  (*p->mutable_shares())["PARTNER_A"] = 8000;
  p->set_service_fee_bp(1500);
  p->set_disbursement(proto::DISBURSEMENT_MODE_FRONTED);
  p->set_approval(proto::APPROVAL_MODE_PREAPPROVED);
  (*p->mutable_limits())["PARTNER_A"].set_max_outstanding(100000000000);
  return body;
}

}  // namespace colend::testutil
