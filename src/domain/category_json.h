#pragma once

// Private to src/domain: reading the domain's JSON data files (categories, calendar) with error
// messages that name the file, the entry and the field. Boost.JSON stays behind this header.

#include <boost/json.hpp>
#include <initializer_list>
#include <string>
#include <string_view>

#include "citygrid/common/status.h"
#include "citygrid/domain/work_calendar.h"

namespace citygrid::domain_json {

// Parses JSON text; a syntax error names the source, line and column.
Result<boost::json::value> ParseText(std::string_view text, std::string_view source_name);

// Reads the fields of one JSON object. Every error is kInvalidArgument and reads
// "<context>: field '<key>': <problem>".
class ObjectReader {
 public:
  // `context` names the object: "categories.json: entry 3 (06010)". The object must outlive the
  // reader.
  ObjectReader(const boost::json::object& object, std::string context)
      : object_(object), context_(std::move(context)) {}

  const std::string& context() const { return context_; }

  // A key not in `known` is an error (it is most likely a typo).
  Status RejectUnknownKeys(std::initializer_list<std::string_view> known) const;

  bool Has(std::string_view key) const { return object_.contains(key); }
  // Missing, not a string or blank: an error.
  Result<std::string> RequiredString(std::string_view key) const;
  // Missing or null: "". Present but not a string: an error.
  Result<std::string> OptionalString(std::string_view key) const;
  Result<bool> OptionalBool(std::string_view key, bool fallback) const;
  Result<int64_t> RequiredInt(std::string_view key) const;
  Result<const boost::json::array*> RequiredArray(std::string_view key) const;
  // Missing: an empty array.
  Result<const boost::json::array*> OptionalArray(std::string_view key) const;
  Result<const boost::json::object*> OptionalObject(std::string_view key) const;
  // A duration: "2 work_hour" or {"amount": 2, "unit": "work_hour"}.
  Result<WorkDuration> RequiredDuration(std::string_view key) const;

  Status Error(std::string_view key, std::string_view problem) const;

 private:
  const boost::json::object& object_;
  std::string context_;
};

// The JSON type name of `v` for messages: "a string", "a number", ...
std::string_view KindName(const boost::json::value& v);

// "<context>: <problem>" as kInvalidArgument.
Status ContextError(std::string_view context, std::string_view problem);

}  // namespace citygrid::domain_json
