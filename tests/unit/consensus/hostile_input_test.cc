// Byzantine input never crashes a replica: real messages of every kind, mutated at the byte
// level or field by field and then signed with a validator's real key (so they reach the
// parsers and the handlers), or replayed verbatim, thousands of times. Afterwards the
// replicas still agree and still make progress.
#include <google/protobuf/stubs/logging.h>
#include <gtest/gtest.h>

#include <random>

#include "colend/consensus/messages.h"
#include "harness.h"

namespace colend::consensus::testing {
namespace {

proto::ConsensusEnvelope SignRaw(const std::string& sender, std::string body) {
  proto::ConsensusEnvelope envelope;
  const Bytes signature = sim::FakeSigner(sim::FakeSecret(sender, 1)).Sign(AsBytes(body)).value();
  envelope.set_body(std::move(body));
  envelope.set_sender(sender);
  envelope.set_signature(std::string(signature.begin(), signature.end()));
  return envelope;
}

// Changes one number or hash somewhere in the message.
void Tweak(proto::ConsensusMessage& m, std::mt19937_64& rng) {
  const auto bump = [&](std::uint64_t v) -> std::uint64_t {
    switch (rng() % 4) {
      case 0:
        return v + 1;
      case 1:
        return v == 0 ? 0 : v - 1;
      case 2:
        return rng() % 64;
      default:
        return ~std::uint64_t{0} - rng() % 3;
    }
  };
  std::string hash(rng() % 3 == 0 ? rng() % 40 : 32, '\0');
  for (char& c : hash) c = static_cast<char>(rng());
  if (m.has_pre_prepare()) {
    auto* pp = m.mutable_pre_prepare();
    switch (rng() % 4) {
      case 0:
        pp->set_view(bump(pp->view()));
        break;
      case 1:
        pp->set_sequence(bump(pp->sequence()));
        break;
      case 2:
        pp->mutable_header()->append("extra");
        break;
      default:
        pp->set_header(hash);
        break;
    }
  } else if (m.has_prepare()) {
    auto* p = m.mutable_prepare();
    rng() % 2 ? p->set_sequence(bump(p->sequence())) : p->set_block_hash(hash);
  } else if (m.has_commit()) {
    auto* c = m.mutable_commit();
    rng() % 2 ? c->set_view(bump(c->view())) : c->set_block_hash(hash);
  } else if (m.has_checkpoint()) {
    auto* c = m.mutable_checkpoint();
    rng() % 2 ? c->set_sequence(bump(c->sequence())) : c->set_state_root(hash);
  } else if (m.has_view_change()) {
    auto* vc = m.mutable_view_change();
    switch (rng() % 3) {
      case 0:
        vc->set_new_view(bump(vc->new_view()));
        break;
      case 1:
        vc->mutable_stable_checkpoint()->set_sequence(bump(vc->stable_checkpoint().sequence()));
        break;
      default:
        if (vc->prepared_size() > 0) vc->mutable_prepared(0)->mutable_prepares()->RemoveLast();
    }
  } else if (m.has_new_view()) {
    auto* nv = m.mutable_new_view();
    switch (rng() % 3) {
      case 0:
        nv->set_view(bump(nv->view()));
        break;
      case 1:
        if (nv->view_changes_size() > 0) nv->mutable_view_changes()->RemoveLast();
        break;
      default:
        if (nv->pre_prepares_size() > 0) nv->mutable_pre_prepares(0)->set_body(hash);
    }
  }
}

TEST(HostileInputTest, MutatedSignedMessagesNeverCrashOrForkAReplica) {
  google::protobuf::LogSilencer silence;
  Harness h(4);
  h.StartAll();
  std::vector<proto::ConsensusEnvelope> corpus;
  const auto record = [&](const InFlight& m) {
    if (corpus.size() < 4000) corpus.push_back(m.envelope);
    return true;
  };
  for (int i = 0; i < 40; ++i) h.Submit("tx-" + std::to_string(i));
  h.Run(1'000, 10, record);
  h.Crash(0);  // a view change, for VIEW-CHANGE and NEW-VIEW samples
  h.Submit("after-crash");
  h.Run(5'000, 50, record);
  h.Restart(0);
  h.Run(2'000, 50, record);
  ASSERT_GT(corpus.size(), 200u);
  std::set<std::string> kinds;
  for (const auto& e : corpus) kinds.insert(KindOf(e));
  EXPECT_EQ(kinds.size(), 6u);

  std::mt19937_64 rng(20240611);
  for (int i = 0; i < 20'000; ++i) {
    proto::ConsensusEnvelope envelope = corpus[rng() % corpus.size()];
    const std::string sender = h.id(rng() % h.size());
    switch (rng() % 5) {
      case 0: {  // flipped bytes
        std::string body = envelope.body();
        for (int k = 0; k < 1 + static_cast<int>(rng() % 4) && !body.empty(); ++k) {
          body[rng() % body.size()] ^= static_cast<char>(1 + rng() % 255);
        }
        envelope = SignRaw(sender, body);
        break;
      }
      case 1: {  // cut short
        const std::string& body = envelope.body();
        envelope = SignRaw(sender, body.substr(0, rng() % (body.size() + 1)));
        break;
      }
      case 2:
      case 3: {  // a field changed, well-formed otherwise
        proto::ConsensusMessage message;
        ASSERT_TRUE(message.ParseFromString(envelope.body()));
        Tweak(message, rng);
        envelope = SignRaw(sender, message.SerializeAsString());
        break;
      }
      default:  // replayed verbatim
        break;
    }
    const std::size_t to = rng() % h.size();
    h.Apply(to, h.DeliverRaw(to, envelope));
    if (h.network().size() > 1000) h.network().clear();
  }
  h.network().clear();
  std::uint64_t rejected = 0;
  for (std::size_t i = 0; i < h.size(); ++i) {
    const ReplicaCounters& c = h.replica(i).counters();
    rejected += c.malformed + c.bad_signature + c.invalid_proposals + c.invalid_evidence + c.stale +
                c.out_of_window + c.equivocations + c.not_from_primary;
    EXPECT_EQ(c.conflicts, 0u) << h.id(i);
  }
  EXPECT_GT(rejected, 10'000u);

  // Still one chain, still alive.
  h.Submit("final");
  h.Run(20'000, 50);
  // A replica the storm dragged into a view of its own catches up by sync, as a node would.
  std::size_t best = 0;
  for (std::size_t i = 1; i < h.size(); ++i) {
    if (h.Committed(i) > h.Committed(best)) best = i;
  }
  for (std::size_t i = 0; i < h.size(); ++i) {
    if (i != best) h.ServeSync(i, best);
  }
  for (std::size_t i = 0; i < h.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      const std::size_t common = std::min(h.Committed(i), h.Committed(j));
      for (std::size_t k = 0; k < common; ++k) {
        EXPECT_EQ(h.node(i).commits[k].block.header(), h.node(j).commits[k].block.header());
      }
    }
    bool final_committed = false;
    for (const CommitAction& c : h.node(i).commits) {
      for (const std::string& tx : c.block.transactions()) final_committed |= tx == "final";
    }
    EXPECT_TRUE(final_committed) << h.id(i) << " view " << h.replica(i).status().view
                                 << (h.replica(i).status().view_active ? "" : " (changing)")
                                 << " committed " << h.replica(i).status().committed_height;
  }
}

}  // namespace
}  // namespace colend::consensus::testing

namespace colend::consensus::testing {
namespace {

// What a faulty validator could make honest ones store: padding outside the signed body of
// an envelope, a block over the size limits, PRE-PREPAREs far above the committed height.
// None of it is kept.
TEST(HostileInputTest, PaddedEnvelopesOversizedBlocksAndFarProposalsAreNotStored) {
  ConsensusParams params = TestParams();
  params.window = 16;  // room above the parking bound (3 x MaxInFlight = 9)
  params.checkpoint_period = 8;
  Harness h(4, params);
  h.StartAll();
  // Unknown fields outside the signed body: refused before the signature is even checked.
  proto::ConsensusEnvelope padded = h.Sign(0, PrePrepareMessage(0, 1, h.FirstBlock({"a"})));
  ASSERT_TRUE(padded.ParseFromString(padded.SerializeAsString() +
                                     std::string("\xa2\x06\x04junk", 7)));  // field 100
  const std::uint64_t malformed = h.replica(1).counters().malformed;
  h.Deliver(1, padded);
  EXPECT_EQ(h.replica(1).counters().malformed, malformed + 1);
  EXPECT_EQ(h.replica(1).counters().accepted, 0u);
  proto::ConsensusEnvelope long_signature =
      h.Sign(0, PrePrepareMessage(0, 1, h.FirstBlock({"a"})));
  long_signature.mutable_signature()->append(200, '\0');
  h.Deliver(1, long_signature);
  EXPECT_EQ(h.replica(1).counters().malformed, malformed + 2);
  // Transactions ride beside the signature on a PRE-PREPARE only.
  proto::ConsensusEnvelope carried = h.Sign(0, PrepareMessage(0, 1, std::string(32, 'h')));
  carried.add_transactions(std::string(1000, 't'));
  h.Deliver(1, carried);
  EXPECT_EQ(h.replica(1).counters().malformed, malformed + 3);

  // A block with more transactions than max_block_txs is refused, not parked, even for a
  // view that has not started.
  std::vector<std::string> many;
  for (std::uint32_t i = 0; i <= h.params().max_block_txs; ++i) many.push_back("t" + std::to_string(i));
  const std::uint64_t invalid = h.replica(2).counters().invalid_proposals;
  h.Deliver(2, h.Sign(1, PrePrepareMessage(1, 1, h.FirstBlock(many, 1))));
  EXPECT_EQ(h.replica(2).counters().invalid_proposals, invalid + 1);
  EXPECT_EQ(h.replica(2).counters().deferred, 0u);

  // A PRE-PREPARE far above the committed height is not parked (the replica syncs instead).
  const std::uint64_t far = 3 * h.params().MaxInFlight() + 1;
  ASSERT_LE(far, h.params().window);
  h.Deliver(2, h.Sign(0, PrePrepareMessage(0, far, h.FirstBlock({"x"}))));
  EXPECT_EQ(h.replica(2).counters().deferred, 0u);
  EXPECT_GE(h.replica(2).counters().out_of_window, 1u);

  // The chain is unharmed.
  h.Submit("ok");
  h.Run(2'000, 10);
  for (std::size_t i = 0; i < h.size(); ++i) EXPECT_EQ(h.Committed(i), 1u) << h.id(i);
}

}  // namespace
}  // namespace colend::consensus::testing
