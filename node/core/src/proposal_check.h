// ProposalCheck: the transactions of a block another validator proposes
// (consensus::CheckProposalAction), checked on the "colend-check" worker: the event loop goes
// on (votes, commits, timers) while they are verified (signatures on the pool's verifier
// threads), and the verdict comes back to the event loop, where the node gives it to the
// action loop (ActionLoop::OnProposalChecked). The action loop issues a check only once
// every block committed before it is executed, so the check sees them. The check refuses a
// block only for faults every replica finds the same (it does not depend on the state: see
// TxPool::CheckProposal), so when it runs does not matter.
//
// Ownership: borrows the io_context verdicts are posted to and what the Host's callbacks
// reach (they must outlive it); owns the worker thread, joined by Stop or the destructor.
// Thread safety: Check from the event loop; `check` runs on the worker, `verdict` on the
// event loop.
#ifndef COLEND_NODE_CORE_PROPOSAL_CHECK_H_
#define COLEND_NODE_CORE_PROPOSAL_CHECK_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "colend/common/status.h"
#include "colend/consensus/actions.h"

namespace colend::node {

class ProposalCheck {
 public:
  struct Host {
    // The proposed block's transactions, as the pool checks them (TxPool::CheckProposal).
    std::function<Status(const std::vector<std::string>& signed_txs)> check;
    // The verdict on `proposal`, on the event loop.
    std::function<void(const consensus::CheckProposalAction& proposal, Status verdict)> verdict;
  };

  ProposalCheck(boost::asio::io_context& io, Host host);
  ~ProposalCheck();
  ProposalCheck(const ProposalCheck&) = delete;
  ProposalCheck& operator=(const ProposalCheck&) = delete;

  void Check(const consensus::CheckProposalAction& proposal);
  // Joins the worker: a verdict from here on is only posted to the (stopped) event loop.
  // Idempotent.
  void Stop();

 private:
  boost::asio::io_context& io_;
  Host host_;
  std::unique_ptr<boost::asio::thread_pool> worker_;  // "colend-check"
};

}  // namespace colend::node

#endif  // COLEND_NODE_CORE_PROPOSAL_CHECK_H_
