// Hostile input for every top-level message a node reads from the network, from clients or
// from disk: random bytes, mutated valid messages, truncations, huge declared lengths,
// deep nesting and invalid UTF-8. Each must fail to parse (ParseFromArray returns false) or
// parse to an ordinary message, never crash, never allocate by what the input merely
// declares. Run under the `asan` preset as well (README: sanitizers).
//
// Seeds are fixed, so a failure reproduces; the seed and iteration are in the failure
// message.
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <random>
#include <string>
#include <vector>

#include "colend/proto/block.pb.h"
#include "colend/proto/consensus.pb.h"
#include "colend/proto/p2p.pb.h"
#include "colend/proto/tx.pb.h"
#include "colend/testutil/proto_samples.h"

// The largest single allocation requested since the last reset, to prove that a length
// read from the input is not trusted to size a buffer. Replacing the global allocation
// functions is how a test observes allocations made inside libprotobuf. Every form is
// replaced, so that each allocation and its release meet in the same allocator (malloc and
// free, which AddressSanitizer still checks).
namespace {
std::atomic<std::size_t> g_largest_allocation{0};

void Record(std::size_t size) {
  std::size_t seen = g_largest_allocation.load(std::memory_order_relaxed);
  while (size > seen &&
         !g_largest_allocation.compare_exchange_weak(seen, size, std::memory_order_relaxed)) {
  }
}

void* Allocate(std::size_t size) noexcept {
  Record(size);
  return std::malloc(size == 0 ? 1 : size);
}

void* AllocateAligned(std::size_t size, std::align_val_t alignment) noexcept {
  Record(size);
  const std::size_t align = static_cast<std::size_t>(alignment);
  const std::size_t rounded = (size == 0 ? align : (size + align - 1) / align * align);
  return std::aligned_alloc(align, rounded);
}

// Out of line so that the optimiser, having inlined a replaced operator new and delete into
// one caller, does not pair "new" with "free" and warn (-Wmismatched-new-delete).
[[gnu::noinline]] void Release(void* p) noexcept { std::free(p); }

void* OrThrow(void* p) {
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
}  // namespace

void* operator new(std::size_t n) { return OrThrow(Allocate(n)); }
void* operator new[](std::size_t n) { return OrThrow(Allocate(n)); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return Allocate(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return Allocate(n); }
void* operator new(std::size_t n, std::align_val_t a) { return OrThrow(AllocateAligned(n, a)); }
void* operator new[](std::size_t n, std::align_val_t a) { return OrThrow(AllocateAligned(n, a)); }
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return AllocateAligned(n, a);
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return AllocateAligned(n, a);
}
void operator delete(void* p) noexcept { Release(p); }
void operator delete[](void* p) noexcept { Release(p); }
void operator delete(void* p, std::size_t) noexcept { Release(p); }
void operator delete[](void* p, std::size_t) noexcept { Release(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { Release(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { Release(p); }
void operator delete(void* p, std::align_val_t) noexcept { Release(p); }
void operator delete[](void* p, std::align_val_t) noexcept { Release(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { Release(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { Release(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { Release(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { Release(p); }

namespace colend::proto {
namespace {

using google::protobuf::Message;
using google::protobuf::util::MessageDifferencer;

constexpr std::uint64_t kSeed = 20261121;
constexpr int kIterations = 3000;

std::string Serialize(const Message& message) {
  std::string out;
  EXPECT_TRUE(message.SerializeToString(&out));
  return out;
}

ConsensusEnvelope SampleEnvelope(const std::string& body) {
  ConsensusEnvelope envelope;
  envelope.set_body(body);
  envelope.set_sender("LEAD-1");
  envelope.set_signature(std::string("\x30\x06\x02\x01\x01\x02\x01\x02", 8));
  return envelope;
}

Block SampleBlock() {
  Block block;
  block.set_header(Serialize(testutil::SampleBlockHeader()));
  SignedTransaction tx;
  tx.set_body(Serialize(testutil::SampleProposeAgreement()));
  tx.set_key_id("\x01");
  tx.set_signature(std::string(70, '\x30'));
  block.add_transactions(Serialize(tx));
  block.add_transactions(Serialize(tx));
  return block;
}

CommitCertificate SampleCertificate() {
  CommitCertificate certificate;
  certificate.set_height(42);
  certificate.set_view(3);
  certificate.set_block_hash(std::string(32, '\x55'));
  for (const char* validator : {"LEAD-1", "PARTNER_A-1", "PARTNER_B-1"}) {
    CommitSignature* commit = certificate.add_commits();
    commit->set_validator(validator);
    commit->set_commit(std::string(56, '\x0a'));
    commit->set_signature(std::string(70, '\x30'));
  }
  return certificate;
}

ConsensusMessage SampleViewChange() {
  ConsensusMessage message;
  message.set_chain_id("colend-test-1");
  ViewChange* view_change = message.mutable_view_change();
  view_change->set_new_view(4);
  view_change->mutable_stable_checkpoint()->set_sequence(40);
  *view_change->mutable_stable_checkpoint()->add_checkpoints() = SampleEnvelope("checkpoint");
  PreparedCertificate* prepared = view_change->add_prepared();
  ConsensusMessage pre_prepare;
  pre_prepare.set_chain_id("colend-test-1");
  pre_prepare.mutable_pre_prepare()->set_view(3);
  pre_prepare.mutable_pre_prepare()->set_sequence(42);
  pre_prepare.mutable_pre_prepare()->set_header(SampleBlock().header());
  *prepared->mutable_pre_prepare() = SampleEnvelope(Serialize(pre_prepare));
  *prepared->add_prepares() = SampleEnvelope("prepare");
  return message;
}

// One realistic, richly nested instance of each type, the seed for mutations.
template <typename M>
M Sample();

template <>
SignedTransaction Sample() {
  SignedTransaction tx;
  tx.set_body(Serialize(testutil::SampleProposeAgreement()));
  tx.set_key_id("\x01");
  tx.set_signature(std::string(70, '\x30'));
  return tx;
}
template <>
TransactionBody Sample() {
  return testutil::SampleProposeAgreement();
}
template <>
BlockHeader Sample() {
  return testutil::SampleBlockHeader();
}
template <>
Block Sample() {
  return SampleBlock();
}
template <>
Receipt Sample() {
  Receipt receipt;
  receipt.set_tx_hash(std::string(32, '\xab'));
  receipt.set_status(RECEIPT_STATUS_REJECTED);
  receipt.set_code("OVERPAYMENT");
  receipt.set_message("principal above outstanding");
  return receipt;
}
template <>
CommitCertificate Sample() {
  return SampleCertificate();
}
template <>
CertifiedBlock Sample() {
  CertifiedBlock certified;
  *certified.mutable_block() = SampleBlock();
  *certified.mutable_certificate() = SampleCertificate();
  return certified;
}
template <>
ConsensusEnvelope Sample() {
  return SampleEnvelope(Serialize(SampleViewChange()));
}
template <>
ConsensusMessage Sample() {
  return SampleViewChange();
}
template <>
ConsensusWalRecord Sample() {
  ConsensusWalRecord record;
  *record.mutable_prepared() = SampleViewChange().view_change().prepared(0);
  return record;
}
template <>
Frame Sample() {
  Frame frame;
  frame.set_version(1);
  CertifiedBlock* certified = frame.mutable_sync_response()->add_blocks();
  *certified->mutable_block() = SampleBlock();
  *certified->mutable_certificate() = SampleCertificate();
  return frame;
}

// Parses `bytes` as M. If that succeeds, the result must be an ordinary message: it
// serialises, parses back to itself, and its size is bounded by the input's (at most
// doubled: an int32 enum read from a 5-byte varint is written back as 10 bytes).
template <typename M>
::testing::AssertionResult ParsesCleanlyOrFails(const std::string& bytes) {
  M message;
  if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return ::testing::AssertionSuccess();
  }
  std::string again;
  if (!message.SerializeToString(&again)) {
    return ::testing::AssertionFailure() << "parsed but does not serialise";
  }
  if (again.size() > 2 * bytes.size()) {
    return ::testing::AssertionFailure()
           << "parsed " << bytes.size() << " bytes into a message of " << again.size();
  }
  M reparsed;
  if (!reparsed.ParseFromString(again) || !MessageDifferencer::Equals(message, reparsed)) {
    return ::testing::AssertionFailure() << "does not survive its own round trip";
  }
  return ::testing::AssertionSuccess();
}

// `value` as a Protobuf base-128 varint.
std::string Varint(std::uint64_t value) {
  std::string out;
  for (; value >= 0x80; value >>= 7) out.push_back(static_cast<char>((value & 0x7f) | 0x80));
  out.push_back(static_cast<char>(value));
  return out;
}

template <typename M>
class HostileInputTest : public ::testing::Test {
 protected:
  // Invalid UTF-8 in a string field is logged by Protobuf at ERROR level as it is refused;
  // random input produces a great deal of it. (A node installs its own log handler.)
  google::protobuf::LogSilencer silence_protobuf_log_;
};

using TopLevelMessages =
    ::testing::Types<SignedTransaction, TransactionBody, BlockHeader, Block, Receipt,
                     CommitCertificate, CertifiedBlock, ConsensusEnvelope, ConsensusMessage,
                     ConsensusWalRecord, Frame>;

TYPED_TEST_SUITE(HostileInputTest, TopLevelMessages);

TYPED_TEST(HostileInputTest, RandomBytesFailOrParseCleanly) {
  std::mt19937_64 rng(kSeed);
  // Half the inputs draw from bytes that are valid tags and lengths in these schemas, so
  // the parser gets past the first byte more often than with uniform noise.
  const std::string interesting("\x00\x01\x02\x08\x0a\x10\x12\x1a\x22\x2a\x7f\x80\x9a\xff", 14);
  for (int i = 0; i < kIterations; ++i) {
    std::string bytes(rng() % 257, '\0');
    const bool biased = (i % 2) == 1;
    for (char& c : bytes) {
      c = biased ? interesting[rng() % interesting.size()] : static_cast<char>(rng());
    }
    ASSERT_TRUE(ParsesCleanlyOrFails<TypeParam>(bytes)) << "seed " << kSeed << " input " << i;
  }
}

TYPED_TEST(HostileInputTest, MutatedValidMessagesFailOrParseCleanly) {
  const std::string valid = Serialize(Sample<TypeParam>());
  ASSERT_TRUE(ParsesCleanlyOrFails<TypeParam>(valid));
  std::mt19937_64 rng(kSeed);
  for (int i = 0; i < kIterations; ++i) {
    std::string bytes = valid;
    const int mutations = 1 + static_cast<int>(rng() % 4);
    for (int m = 0; m < mutations && !bytes.empty(); ++m) {
      const size_t at = rng() % bytes.size();
      switch (rng() % 5) {
        case 0:  // flip one bit
          bytes[at] = static_cast<char>(bytes[at] ^ (1u << (rng() % 8)));
          break;
        case 1:  // overwrite a byte
          bytes[at] = static_cast<char>(rng());
          break;
        case 2:  // insert a byte
          bytes.insert(at, 1, static_cast<char>(rng()));
          break;
        case 3:  // delete a byte
          bytes.erase(at, 1);
          break;
        default:  // cut the tail
          bytes.resize(at);
          break;
      }
    }
    ASSERT_TRUE(ParsesCleanlyOrFails<TypeParam>(bytes)) << "seed " << kSeed << " input " << i;
  }
}

// Every strict prefix of a valid message either fails to parse or parses to something
// else: a truncated message is never taken for the whole one. (Frames therefore carry an
// explicit length; p2p.proto.)
TYPED_TEST(HostileInputTest, EveryTruncationFailsOrDiffers) {
  const TypeParam original = Sample<TypeParam>();
  const std::string valid = Serialize(original);
  for (size_t length = 0; length < valid.size(); ++length) {
    TypeParam truncated;
    if (truncated.ParseFromArray(valid.data(), static_cast<int>(length))) {
      EXPECT_FALSE(MessageDifferencer::Equals(truncated, original)) << "prefix " << length;
    }
  }
}

// A length-delimited field that declares far more bytes than the input holds fails at once,
// for every field number (known or not) and whatever the declared size; the parser never
// allocates by the declared size.
TYPED_TEST(HostileInputTest, HugeDeclaredLengthFailsWithoutAllocatingIt) {
  const std::vector<std::string> huge_lengths = {
      std::string("\x21", 1),                                      // 33: one more than present
      std::string("\xff\xff\xff\xff\x07", 5),                      // 2^31 - 1
      std::string("\xff\xff\xff\xff\x0f", 5),                      // 2^32 - 1
      std::string("\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 9),      // 2^63 - 1
      std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10), // 2^64 - 1
      std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11),  // overlong varint
  };
  // Control: an honest 100 KiB field (number 1000, unknown to every type, so it is kept as
  // bytes) is allocated as such: the hook sees allocations and the bounds are not vacuous.
  {
    const std::string bytes = Varint(1000 << 3 | 2) + Varint(100 * 1024) +
                              std::string(100 * 1024, 'b');
    g_largest_allocation.store(0);
    TypeParam message;
    ASSERT_TRUE(message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())));
    ASSERT_GE(g_largest_allocation.load(), 100u * 1024);
  }
  const std::string payload(32, 'x');
  for (int field = 1; field <= 40; ++field) {
    const std::string tag = Varint(static_cast<std::uint64_t>(field) << 3 | 2);
    for (const std::string& length : huge_lengths) {
      const std::string bytes = tag + length + payload;
      g_largest_allocation.store(0);
      TypeParam message;
      EXPECT_FALSE(message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
          << "field " << field << " declared length of " << length.size() << " bytes";
      EXPECT_LT(g_largest_allocation.load(), 64u * 1024) << "field " << field;
    }
  }
  // The same after a whole valid message: the parser's state after real data changes nothing.
  const std::string valid = Serialize(Sample<TypeParam>());
  const std::string bytes = valid + std::string("\x0a\xff\xff\xff\xff\x07", 6) + payload;
  g_largest_allocation.store(0);
  TypeParam message;
  EXPECT_FALSE(message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())));
  EXPECT_LT(g_largest_allocation.load(), 64u * 1024 + 2 * valid.size());
}

// Unknown groups nest without a length; a hundred thousand of them must hit Protobuf's
// recursion limit and fail, not exhaust the stack.
TYPED_TEST(HostileInputTest, DeeplyNestedUnknownGroupsFail) {
  const std::string start_group("\x7b", 1);  // field 15, wire type 3 (start group)
  std::string bytes;
  for (int i = 0; i < 100000; ++i) bytes += start_group;
  TypeParam message;
  EXPECT_FALSE(message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())));
}

// A lying length three messages deep (Frame > SyncResponse > CertifiedBlock > Block.header)
// fails like one at the top: each enclosing length bounds what is inside it.
TEST(HostileNestingTest, HugeDeclaredLengthInsideNestedMessageFails) {
  const std::string block = std::string("\x0a\xff\xff\xff\xff\x07", 6) + std::string(32, 'x');
  const std::string certified = std::string("\x0a\x26", 2) + block;       // 1 block, LEN 38
  const std::string response = std::string("\x0a\x28", 2) + certified;    // 1 blocks, LEN 40
  const std::string frame = std::string("\x08\x01\x32\x2a", 4) + response;  // 6, LEN 42
  g_largest_allocation.store(0);
  Frame parsed;
  EXPECT_FALSE(parsed.ParseFromString(frame));
  EXPECT_LT(g_largest_allocation.load(), 64u * 1024);

  // Control: the same structure with honest lengths parses.
  const std::string honest_block = std::string("\x0a\x20", 2) + std::string(32, 'x');
  const std::string honest_certified = std::string("\x0a\x22", 2) + honest_block;
  const std::string honest_response = std::string("\x0a\x24", 2) + honest_certified;
  const std::string honest_frame = std::string("\x08\x01\x32\x26", 4) + honest_response;
  ASSERT_TRUE(parsed.ParseFromString(honest_frame));
  ASSERT_EQ(parsed.sync_response().blocks_size(), 1);
  EXPECT_EQ(parsed.sync_response().blocks(0).block().header(), std::string(32, 'x'));
}

// A proto3 `string` field must hold valid UTF-8; anything else is refused at parse time, so
// ids, dates and free text are always text. (Hashes, keys and signatures are `bytes`.)
TEST(HostileStringTest, InvalidUtf8InStringFieldsIsRefused) {
  google::protobuf::LogSilencer silence_protobuf_log;
  TransactionBody body;
  EXPECT_FALSE(body.ParseFromString(std::string("\x12\x02\xc3\x28", 4)));  // signer
  EXPECT_FALSE(body.ParseFromString(std::string("\x0a\x01\xff", 3)));      // chain_id
  EXPECT_TRUE(body.ParseFromString(std::string("\x12\x02\xc3\xa9", 4)));   // "é" is fine
  Frame frame;
  // Frame{hello{node_id: "\xfe"}}.
  EXPECT_FALSE(frame.ParseFromString(std::string("\x12\x03\x12\x01\xfe", 5)));
  // The same bytes in a `bytes` field are accepted as they are.
  SignedTransaction tx;
  ASSERT_TRUE(tx.ParseFromString(std::string("\x12\x01\xff", 3)));  // key_id
  EXPECT_EQ(tx.key_id(), std::string("\xff", 1));
}

}  // namespace
}  // namespace colend::proto
