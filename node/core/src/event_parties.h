// Who a transaction concerns, for the per-bank event index (BlockStore::ListEvents, the
// listEvents method and the subscriptions' "positions" topic, docs/api.md).
//
// The signer always (its receipt, accepted or rejected). An accepted transaction also
// concerns the parties of what it changed: every bank with a leg in the loan (loan events,
// and a reversal through the loan of the event it reverses), every party of the agreement
// (agreement events), both banks of the settlement pair (CloseSettlement, ConfirmSettlement,
// AcknowledgeReport), and every debtor and creditor of its journal. A rejected transaction
// changed nothing, so it concerns its signer only. Governance concerns the signer only;
// getProposals and getMembers serve it.
//
// Thread safety: stateless.
#ifndef COLEND_NODE_CORE_SRC_EVENT_PARTIES_H_
#define COLEND_NODE_CORE_SRC_EVENT_PARTIES_H_

#include <string>
#include <vector>

#include "colend/common/result.h"
#include "colend/contracts/state.h"
#include "colend/proto/block.pb.h"
#include "colend/proto/tx.pb.h"

namespace colend::node {

// The member ids `body` concerns, sorted and unique, read from `after`: the state right after
// the transaction was applied. `banks`, when not null, is what contracts::Apply reported
// for this transaction (ExecutableTx::banks: its loan's legs and its journal's banks), and
// saves reading the loan and the record again; when null, both are read from `after`. Both
// give the same list. Fails only when a record does not parse (a damaged state).
Result<std::vector<std::string>> TransactionParties(
    const proto::TransactionBody& body, const proto::Receipt& receipt,
    const contracts::StateReader& after,
    const std::vector<std::string>* banks = nullptr);

// The transaction's type as docs/api.md names it ("OriginateLoan", ...); "" when unset.
std::string TransactionTypeName(const proto::TransactionBody& body);

}  // namespace colend::node

#endif  // COLEND_NODE_CORE_SRC_EVENT_PARTIES_H_
