#include "citygrid/common/status.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace citygrid {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgumentError("odd: " + std::to_string(x));
  return x / 2;
}

Result<int> Quarter(int x) {
  CITYGRID_ASSIGN_OR_RETURN(int h, Half(x));
  CITYGRID_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckEven(int x) {
  CITYGRID_RETURN_IF_ERROR(Half(x));
  return OkStatus();
}

TEST(StatusTest, OkByDefault) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.ToString(), "ok");
}

TEST(StatusTest, CarriesCodeAndMessage) {
  Status s = AbortedError("case 20200412-000123 is at version 3, not 2");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kAborted);
  EXPECT_EQ(s.ToString(), "aborted: case 20200412-000123 is at version 3, not 2");
  EXPECT_EQ(s.WithContext("dispatch").message(),
            "dispatch: case 20200412-000123 is at version 3, not 2");
}

TEST(StatusTest, ADetailSurvivesContextAndCopies) {
  Status s = InvalidArgumentError("-3 is below the minimum 0")
                 .WithDetail({"area", "below_minimum", {"-3", "0"}})
                 .WithContext("field 'area'");
  EXPECT_EQ(s.message(), "field 'area': -3 is below the minimum 0");
  const Status copy = s;
  ASSERT_NE(copy.detail(), nullptr);
  EXPECT_EQ(copy.detail()->field, "area");
  EXPECT_EQ(copy.detail()->reason_code, "below_minimum");
  EXPECT_EQ(copy.detail()->reason_args, (std::vector<std::string>{"-3", "0"}));
  EXPECT_EQ(InvalidArgumentError("x").detail(), nullptr);
  EXPECT_EQ(OkStatus().WithDetail({"f", "c", {}}).detail(), nullptr);  // OK carries none
}

TEST(StatusTest, EveryCodeHasADistinctName) {
  std::set<std::string_view> names;
  for (int c = 0; c <= static_cast<int>(StatusCode::kInternal); ++c) {
    names.insert(StatusCodeName(static_cast<StatusCode>(c)));
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(StatusCode::kInternal) + 1);
}

TEST(ResultTest, AssignOrReturnPropagatesTheFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  Result<int> r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "odd: 3");
}

TEST(ResultTest, ReturnIfErrorAcceptsResults) {
  EXPECT_TRUE(CheckEven(4).ok());
  EXPECT_EQ(CheckEven(5).code(), StatusCode::kInvalidArgument);
}

TEST(ResultTest, ValueOr) {
  EXPECT_EQ(Half(3).value_or(-1), -1);
  EXPECT_EQ(Half(4).value_or(-1), 2);
}

}  // namespace
}  // namespace citygrid
