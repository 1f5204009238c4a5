// The governance contract: two-thirds votes of the active members add and suspend members,
// rotate keys, change the validator set and the network rules.
#include <gtest/gtest.h>

#include <string>

#include "books_test_util.h"
#include "colend/contracts/records.h"
#include "colend/crypto/keys.h"

namespace colend::contracts {
namespace {

using testing::Chain;

std::string Vote(const std::string& signer, const std::string& id, const std::string& proposal,
                 const char* choice = "APPROVE") {
  return R"({"type":"GovernanceVote","signer":")" + signer + R"(","id":")" + id +
         R"(","proposal_id":")" + proposal + R"(","choice":")" + choice + R"("})";
}

std::string MinFunder(const std::string& id, int value) {
  return R"({"type":"GovernanceProposal","signer":"LEAD","id":")" + id + R"(","proposal_id":")" + id +
         R"(","description":"CBIRC minimum share","action":{"type":"SetNetworkRule","name":"min_funder_bp","value":)" +
         std::to_string(value) + "}}";
}

proto::ProposalRecord Proposal(Chain& chain, const std::string& id) {
  auto r = ReadRecord<proto::ProposalRecord>(chain.replayer().state(), keys::Proposal(id));
  EXPECT_TRUE(r.ok() && r->has_value());
  return r.ok() && r->has_value() ? **r : proto::ProposalRecord();
}

TEST(GovernanceTest, TwoThirdsOfActiveMembersPass) {
  Chain chain;  // 4 members: 3 approvals needed (3*3 >= 4*2)
  ASSERT_EQ(chain.Tx(MinFunder("P1", 3000)), "ok");
  EXPECT_EQ(chain.Tx(Vote("LEAD", "v1", "P1")), "ok");
  EXPECT_EQ(chain.Tx(Vote("LEAD", "v2", "P1")), "ALREADY_VOTED");
  EXPECT_EQ(chain.Tx(Vote("PARTNER_A", "v3", "P1")), "ok");
  EXPECT_EQ(Proposal(chain, "P1").status(), proto::PROPOSAL_STATUS_OPEN);
  EXPECT_EQ(chain.Tx(R"({"type":"ProposeAgreement","signer":"LEAD","id":"ag","agreement_id":"AG","currency":"CNY","shares":{"LEAD":2000,"PARTNER_A":8000}})"),
            "ok");  // rule not in force yet
  EXPECT_EQ(chain.Tx(Vote("PARTNER_B", "v4", "P1")), "ok");
  EXPECT_EQ(Proposal(chain, "P1").status(), proto::PROPOSAL_STATUS_PASSED);
  EXPECT_EQ(chain.Tx(Vote("PARTNER_C", "v5", "P1")), "PROPOSAL_CLOSED");
  EXPECT_EQ(chain.Tx(R"({"type":"ProposeAgreement","signer":"LEAD","id":"ag2","agreement_id":"AG2","currency":"CNY","shares":{"LEAD":2000,"PARTNER_A":8000}})"),
            "BELOW_MIN_SHARE");
  // The agreement made before the rule cannot originate below it either.
  ASSERT_EQ(chain.Tx(R"({"type":"AcceptAgreement","signer":"PARTNER_A","id":"a","agreement_id":"AG"})"), "ok");
  EXPECT_EQ(chain.Tx(R"({"type":"OriginateLoan","signer":"LEAD","id":"L","agreement_id":"AG","loan_id":"L",)"
                     R"("borrower_ref":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",)"
                     R"("principal":"1000","annual_rate_bp":1,"term_months":1,"value_date":"2026-11-21"})"),
            "BELOW_MIN_SHARE");
}

TEST(GovernanceTest, EnoughRejectionsCloseTheProposal) {
  Chain chain;
  ASSERT_EQ(chain.Tx(MinFunder("P1", 3000)), "ok");
  EXPECT_EQ(chain.Tx(Vote("PARTNER_A", "v1", "P1", "REJECT")), "ok");
  EXPECT_EQ(Proposal(chain, "P1").status(), proto::PROPOSAL_STATUS_OPEN);
  EXPECT_EQ(chain.Tx(Vote("PARTNER_B", "v2", "P1", "REJECT")), "ok");  // 2 of 4 against
  EXPECT_EQ(Proposal(chain, "P1").status(), proto::PROPOSAL_STATUS_REJECTED);
  EXPECT_EQ(chain.Tx(MinFunder("P2", 20000)), "BAD_FIELD");
  EXPECT_EQ(chain.Tx(R"({"type":"GovernanceProposal","signer":"LEAD","id":"P3","proposal_id":"P3","description":"x","action":{"type":"SetNetworkRule","name":"max_rate","value":1}})"),
            "UNKNOWN_RULE");
}

TEST(GovernanceTest, AddMemberWithKeyThenSuspend) {
  Chain chain;
  auto key = crypto::PrivateKey::Generate(crypto::CryptoSuite::Standard());
  ASSERT_TRUE(key.ok());
  auto pem = key->public_key().ToPem();
  ASSERT_TRUE(pem.ok());
  boost::json::object action{{"type", "AddMember"},
                             {"member_id", "PARTNER_D"},
                             {"legal_name", "Partner D Rural Commercial Bank"},
                             {"client_keys", boost::json::array{boost::json::object{{"public_key", *pem}}}}};
  boost::json::object tx{{"type", "GovernanceProposal"}, {"signer", "LEAD"}, {"id", "P1"},
                         {"proposal_id", "P1"}, {"description", "admit Partner D"}, {"action", action}};
  ASSERT_EQ(chain.Tx(boost::json::serialize(tx)), "ok") << chain.LastMessage();
  for (const char* m : {"LEAD", "PARTNER_A", "PARTNER_B"}) {
    ASSERT_EQ(chain.Tx(Vote(m, std::string("v-") + m, "P1")), "ok");
  }
  EXPECT_EQ(Proposal(chain, "P1").status(), proto::PROPOSAL_STATUS_PASSED);
  EXPECT_EQ(chain.Tx(R"({"type":"ProposeAgreement","signer":"PARTNER_D","id":"ag","agreement_id":"AG","currency":"CNY","shares":{"PARTNER_D":5000,"LEAD":5000}})"),
            "ok");
  // Five members now: 4 approvals needed to suspend one (4*3 >= 5*2).
  ASSERT_EQ(chain.Tx(R"({"type":"GovernanceProposal","signer":"LEAD","id":"P2","proposal_id":"P2","description":"licence revoked","action":{"type":"SuspendMember","member_id":"PARTNER_D","reason":"licence revoked"}})"),
            "ok");
  for (const char* m : {"LEAD", "PARTNER_A", "PARTNER_B"}) ASSERT_EQ(chain.Tx(Vote(m, std::string("w-") + m, "P2")), "ok");
  EXPECT_EQ(Proposal(chain, "P2").status(), proto::PROPOSAL_STATUS_OPEN);
  ASSERT_EQ(chain.Tx(Vote("PARTNER_C", "w-C", "P2")), "ok");
  EXPECT_EQ(Proposal(chain, "P2").status(), proto::PROPOSAL_STATUS_PASSED);
  EXPECT_EQ(chain.Tx(R"({"type":"AcceptAgreement","signer":"PARTNER_D","id":"x","agreement_id":"AG"})"), "UNKNOWN_SIGNER");
}

TEST(GovernanceTest, ActionsThatCannotApplyAreRefusedAtProposal) {
  Chain chain;
  EXPECT_EQ(chain.Tx(R"({"type":"GovernanceProposal","signer":"LEAD","id":"P1","proposal_id":"P1","description":"x","action":{"type":"SuspendMember","member_id":"NOBODY","reason":"x"}})"),
            "NO_MEMBER");
  EXPECT_EQ(chain.Tx(Vote("LEAD", "v", "P1")), "NO_PROPOSAL");
}

}  // namespace
}  // namespace colend::contracts
