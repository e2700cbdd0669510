#include "citygrid/http/error_mapping.h"

#include <gtest/gtest.h>

namespace citygrid::http {
namespace {

TEST(ErrorMappingTest, EveryStatusCodeHasItsHttpStatus) {
  struct Row {
    StatusCode code;
    int http;
    const char* name;
  } rows[] = {
      {StatusCode::kOk, 200, "ok"},
      {StatusCode::kInvalidArgument, 400, "invalid_argument"},
      {StatusCode::kNotFound, 404, "not_found"},
      {StatusCode::kAlreadyExists, 409, "already_exists"},
      {StatusCode::kFailedPrecondition, 400, "failed_precondition"},
      {StatusCode::kAborted, 409, "aborted"},
      {StatusCode::kUnauthenticated, 401, "unauthenticated"},
      {StatusCode::kPermissionDenied, 403, "permission_denied"},
      {StatusCode::kResourceExhausted, 429, "resource_exhausted"},
      {StatusCode::kUnavailable, 503, "unavailable"},
      {StatusCode::kInternal, 500, "internal"},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(HttpStatusFor(row.code), row.http) << row.name;
    if (row.code == StatusCode::kOk) continue;
    Response r = ErrorResponse(Status(row.code, "because"));
    EXPECT_EQ(r.status, row.http) << row.name;
    EXPECT_EQ(r.content_type, "application/json");
    EXPECT_EQ(r.body, std::string(R"({"error":{"code":")") + row.name +
                          R"(","message":"because"}})");
  }
}

TEST(ErrorMappingTest, IllegalTransitionIs400AndStaleVersionIs409) {
  EXPECT_EQ(ErrorResponse(FailedPreconditionError("case 20200412-000123 is 'closed', not "
                                                  "'handling'"))
                .status,
            400);
  EXPECT_EQ(ErrorResponse(AbortedError("version 3 is stale; the case is at 4")).status, 409);
}

TEST(ErrorMappingTest, UnauthenticatedCarriesBearerChallenge) {
  Response r = ErrorResponse(UnauthenticatedError("token expired"));
  EXPECT_EQ(r.headers.GetOr("WWW-Authenticate", ""), "Bearer");
}

TEST(ErrorMappingTest, MessageIsJsonEscaped) {
  Response r = ErrorResponse(InvalidArgumentError("bad \"name\"\n\tline\x01 中文"));
  EXPECT_EQ(r.body,
            R"({"error":{"code":"invalid_argument","message":"bad \"name\"\n\tline\u0001 中文"}})");
}

TEST(ErrorMappingTest, BytesThatAreNotUtf8BecomeReplacementCharacters) {
  // A value cut to a byte limit in the middle of a character (two bytes of 中), and a stray byte.
  Response r = ErrorResponse(InvalidArgumentError("bad date '中文\xe4\xb8': no \xff"));
  EXPECT_EQ(r.body, R"({"error":{"code":"invalid_argument","message":"bad date '中文��': no �"}})");
  EXPECT_EQ(JsonEscape("a\x80" "b"), "a�b");
}

TEST(ErrorMappingTest, ADetailAddsFieldAndReason) {
  Response r = ErrorResponse(InvalidArgumentError("field 'area': 'x\"' is not a number")
                                 .WithDetail({"area", "not_a_number", {"x\""}}));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body,
            R"({"error":{"code":"invalid_argument","message":"field 'area': 'x\"' is not a number",)"
            R"("field":"area","reason_code":"not_a_number","reason_args":["x\""]}})");
}

TEST(ErrorMappingTest, PayloadTooLargeNamesTheLimit) {
  Response r = PayloadTooLargeResponse(1024);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.body, R"({"error":{"code":"resource_exhausted","message":"request body exceeds the limit of 1024 bytes"}})");
}

TEST(ErrorMappingTest, OkStatusIsNotAnError) {
  EXPECT_EQ(ErrorResponse(OkStatus()).status, 500);
}

}  // namespace
}  // namespace citygrid::http
