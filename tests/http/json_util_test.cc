#include "src/http/json_util.h"

#include <gtest/gtest.h>

namespace citygrid::http::json {
namespace {

TEST(JsonUtilTest, ParseBodyNamesTheSyntaxErrorPosition) {
  struct Row {
    const char* body;
    const char* message;
  } rows[] = {
      {"", "body is not JSON: the body is empty"},
      {"{\"lon\": }", "body is not JSON: syntax error at line 1, column 9"},
      {"{\n  \"a\": 1,\n  oops", "body is not JSON: syntax error at line 3, column 3"},
      {"{\"a\":1} trailing", "body is not JSON: extra data at line 1, column 9"},
  };
  for (const Row& row : rows) {
    Result<boost::json::value> r = ParseBody(row.body);
    ASSERT_FALSE(r.ok()) << row.body;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message(), row.message) << row.body;
  }
  EXPECT_TRUE(ParseBody(R"({"a":[1,2]})").ok());
}

Result<ObjectReader> Reader(const boost::json::value& v) { return ObjectReader::Of(v); }

TEST(JsonUtilTest, BodyMustBeAnObject) {
  boost::json::value v = *ParseBody("[1]");
  Result<ObjectReader> r = ObjectReader::Of(v);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "body must be a JSON object, not an array");
}

TEST(JsonUtilTest, TypedGettersNameTheFieldAndProblem) {
  boost::json::value v = *ParseBody(R"({
      "lon": "113.6", "lat": 200, "version": 2.5, "count": 3.0, "big": 18446744073709551615,
      "flag": 1, "name": "x", "nothing": null, "reporter": {"phone": 138},
      "photos": ["a", 2]})");
  ObjectReader form = *Reader(v);
  struct Row {
    Status status;
    const char* message;
  } rows[] = {
      {form.Number("lon", -180, 180).status(), "field 'lon' must be a number, not a string"},
      {form.Number("lat", -90, 90).status(), "field 'lat' must be between -90 and 90, got 200"},
      {form.Number("missing", 0, 1).status(), "field 'missing' is required"},
      {form.Number("nothing", 0, 1).status(), "field 'nothing' is required"},
      {form.Integer("version", 1, 100).status(), "field 'version' must be an integer, not 2.5"},
      {form.Integer("big", 0, 1000).status(),
       "field 'big' must be between 0 and 1000, got 18446744073709551615"},
      {form.Bool("flag").status(), "field 'flag' must be true or false, not a number"},
      {form.String("name", 0).status(), "field 'name' is too long: 1 bytes, at most 0"},
      {form.Object("name").status(), "field 'name' must be an object, not a string"},
      {form.StringArray("photos").status(), "field 'photos[1]' must be a string, not a number"},
      {form.RejectUnknown({"lon", "lat"}), "unknown field 'version'"},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(row.status.code(), StatusCode::kInvalidArgument) << row.message;
    EXPECT_EQ(row.status.message(), row.message);
  }
  ObjectReader reporter = *form.Object("reporter");
  EXPECT_EQ(reporter.String("phone").status().message(),
            "field 'reporter.phone' must be a string, not a number");
}

TEST(JsonUtilTest, TypedGettersReturnValues) {
  boost::json::value v = *ParseBody(
      R"({"lon": 113.65, "version": 3, "count": 4.0, "ok": true, "name": "二七区",
          "tags": ["a", "b"], "nothing": null})");
  ObjectReader form = *Reader(v);
  EXPECT_DOUBLE_EQ(*form.Number("lon", -180, 180), 113.65);
  EXPECT_EQ(*form.Integer("version", 1, 10), 3);
  EXPECT_EQ(*form.Integer("count", 1, 10), 4);
  EXPECT_TRUE(*form.Bool("ok"));
  EXPECT_EQ(*form.String("name"), "二七区");
  EXPECT_EQ(*form.StringArray("tags"), (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(form.OptionalString("nothing")->has_value());
  EXPECT_FALSE(form.OptionalNumber("absent", 0, 1)->has_value());
  EXPECT_FALSE(form.OptionalObject("absent")->has_value());
  EXPECT_TRUE(form.Has("lon"));
  EXPECT_FALSE(form.Has("nothing"));
  EXPECT_TRUE(form.RejectUnknown({"lon", "version", "count", "ok", "name", "tags", "nothing"}).ok());
}

TEST(JsonUtilTest, JsonResponseSerializes) {
  boost::json::value v = {{"number", "20200412-000123"}, {"version", 2}};
  Response r = JsonResponse(201, v);
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, R"({"number":"20200412-000123","version":2})");
}

}  // namespace
}  // namespace citygrid::http::json
