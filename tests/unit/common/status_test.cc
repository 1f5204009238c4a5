#include "colend/common/status.h"
#include "colend/common/result.h"

#include <memory>
#include <string>

#include <gtest/gtest.h>

namespace colend {
namespace {

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, ErrorCarriesCodeAndSentence) {
  Status s = Status::InvalidArgument("amount must be a decimal string");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "amount must be a decimal string");
  EXPECT_EQ(s.ToString(), "INVALID_ARGUMENT: amount must be a decimal string");
}

TEST(StatusTest, EveryFactoryHasItsCodeName) {
  EXPECT_EQ(Status::OutOfRange("x").ToString(), "OUT_OF_RANGE: x");
  EXPECT_EQ(Status::NotFound("x").ToString(), "NOT_FOUND: x");
  EXPECT_EQ(Status::AlreadyExists("x").ToString(), "ALREADY_EXISTS: x");
  EXPECT_EQ(Status::PermissionDenied("x").ToString(), "PERMISSION_DENIED: x");
  EXPECT_EQ(Status::FailedPrecondition("x").ToString(), "FAILED_PRECONDITION: x");
  EXPECT_EQ(Status::ResourceExhausted("x").ToString(), "RESOURCE_EXHAUSTED: x");
  EXPECT_EQ(Status::Unavailable("x").ToString(), "UNAVAILABLE: x");
  EXPECT_EQ(Status::Corruption("x").ToString(), "CORRUPTION: x");
  EXPECT_EQ(Status::IoError("x").ToString(), "IO_ERROR: x");
  EXPECT_EQ(Status::Internal("x").ToString(), "INTERNAL: x");
}

TEST(StatusTest, WithContextPrefixesErrorsOnly) {
  EXPECT_EQ(Status::NotFound("no key").WithContext("load genesis").message(),
            "load genesis: no key");
  EXPECT_TRUE(Status::Ok().WithContext("load genesis").ok());
}

TEST(StatusTest, OkWithMessageIsAProgrammingError) {
  EXPECT_DEATH(
      {
        Status s(StatusCode::kOk, "not allowed");
        (void)s;
      },
      "OK Status carries no message");
}

Result<int> Half(int x) {
  if (x % 2 != 0) return Status::InvalidArgument(std::to_string(x) + " is odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  COLEND_ASSIGN_OR_RETURN(int h, Half(x));
  COLEND_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckEven(int x) {
  COLEND_RETURN_IF_ERROR(Half(x).status());
  return Status::Ok();
}

TEST(ResultTest, HoldsValueOrStatus) {
  Result<int> good = Half(8);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 4);
  EXPECT_TRUE(good.status().ok());

  Result<int> bad = Half(7);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.value_or(-1), -1);
}

TEST(ResultTest, MacrosPropagateTheFirstFailure) {
  EXPECT_EQ(*Quarter(12), 3);
  EXPECT_EQ(Quarter(6).status().message(), "3 is odd");
  EXPECT_TRUE(CheckEven(4).ok());
  EXPECT_FALSE(CheckEven(5).ok());
}

TEST(ResultTest, MoveOnlyValues) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
  ASSERT_TRUE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 7);
}

TEST(ResultTest, ReadingAFailedResultAborts) {
  Result<int> bad = Half(3);
  EXPECT_DEATH({ (void)bad.value(); }, "3 is odd");
}

TEST(ResultTest, BuildingFromOkStatusAborts) {
  EXPECT_DEATH(
      {
        Result<int> r(Status::Ok());
        (void)r;
      },
      "no value");
}

}  // namespace
}  // namespace colend
