#pragma once

// JSON helpers for handlers (private to src/http: Boost.JSON stays here). Every error is a
// kInvalidArgument Status whose message names the field and the problem, ready for
// ErrorResponse:
//
//   CITYGRID_ASSIGN_OR_RETURN(boost::json::value body, json::ParseBody(request.body));
//   CITYGRID_ASSIGN_OR_RETURN(json::ObjectReader form, json::ObjectReader::Of(body));
//   CITYGRID_ASSIGN_OR_RETURN(double lon, form.Number("lon", -180, 180));
//   CITYGRID_ASSIGN_OR_RETURN(std::optional<std::string> address, form.OptionalString("address"));
//   CITYGRID_ASSIGN_OR_RETURN(json::ObjectReader reporter, form.Object("reporter"));
//   CITYGRID_RETURN_IF_ERROR(form.RejectUnknown({"lon", "lat", "address", "reporter"}));
//
// Messages: "body is not JSON: syntax error at line 1, column 9", "body must be a JSON object",
// "field 'lon' is required", "field 'lon' must be a number", "field 'lon' must be between -180
// and 180, got 200", "field 'reporter.phone' must be a string", "unknown field 'colour'".

#include <boost/json/value.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "citygrid/common/status.h"
#include "citygrid/http/response.h"

namespace citygrid::http::json {

// Parses a request body. An empty body, invalid JSON or trailing garbage is kInvalidArgument
// ("body is not JSON: ..." with line and column).
Result<boost::json::value> ParseBody(std::string_view body);

// Reads typed fields of one JSON object. `prefix` names where the object sits ("reporter.") so
// nested messages carry the full path. Holds a pointer: the value must outlive the reader.
class ObjectReader {
 public:
  // kInvalidArgument "body must be a JSON object" unless `value` is an object.
  static Result<ObjectReader> Of(const boost::json::value& value, std::string what = "body");

  // Required fields: kInvalidArgument when absent (or null), of the wrong type, or out of range.
  Result<std::string> String(std::string_view key, size_t max_length = 1 << 20) const;
  Result<double> Number(std::string_view key, double min, double max) const;
  Result<int64_t> Integer(std::string_view key, int64_t min, int64_t max) const;
  Result<bool> Bool(std::string_view key) const;
  Result<ObjectReader> Object(std::string_view key) const;
  Result<std::vector<std::string>> StringArray(std::string_view key,
                                               size_t max_items = 1000) const;

  // Optional fields: nullopt when absent or null; errors as above when present.
  Result<std::optional<std::string>> OptionalString(std::string_view key,
                                                    size_t max_length = 1 << 20) const;
  Result<std::optional<double>> OptionalNumber(std::string_view key, double min,
                                               double max) const;
  Result<std::optional<int64_t>> OptionalInteger(std::string_view key, int64_t min,
                                                 int64_t max) const;
  Result<std::optional<bool>> OptionalBool(std::string_view key) const;
  Result<std::optional<ObjectReader>> OptionalObject(std::string_view key) const;

  bool Has(std::string_view key) const;  // present and not null
  // kInvalidArgument "unknown field 'x'" for a key not in `known`.
  Status RejectUnknown(std::initializer_list<std::string_view> known) const;

  const boost::json::object& object() const { return *object_; }

 private:
  ObjectReader(const boost::json::object* object, std::string prefix)
      : object_(object), prefix_(std::move(prefix)) {}
  // "field 'reporter.phone'"
  std::string Name(std::string_view key) const;
  // The value at `key`, nullptr when absent or null.
  const boost::json::value* Find(std::string_view key) const;

  const boost::json::object* object_;
  std::string prefix_;
};

// Serializes `value` compactly.
std::string Serialize(const boost::json::value& value);
// A JSON response with `value` as the body.
Response JsonResponse(int status, const boost::json::value& value);

}  // namespace citygrid::http::json
