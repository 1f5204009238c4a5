// Sample messages shared by the wire-format tests. block_test.cc pins the header's exact
// bytes, so changing a value here fails that test on purpose.
#ifndef COLEND_TESTUTIL_PROTO_SAMPLES_H_
#define COLEND_TESTUTIL_PROTO_SAMPLES_H_

#include "colend/proto/block.pb.h"
#include "colend/proto/tx.pb.h"

namespace colend::testutil {

inline constexpr char kSampleChainId[] = "colend-test-1";

// Height 42, view 3, proposer "LEAD", each root a repeated byte (0x11 parent .. 0x44 state).
proto::BlockHeader SampleBlockHeader();

// The ProposeAgreement AG-1 of docs/api.md by LEAD (id "ag-1"): 2000/8000 bp, service fee 1500 bp,
// FRONTED, PREAPPROVED, PARTNER_A limited to 100000000000.
proto::TransactionBody SampleProposeAgreement();

}  // namespace colend::testutil

#endif  // COLEND_TESTUTIL_PROTO_SAMPLES_H_
