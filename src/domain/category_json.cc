#include "category_json.h"

#include <cmath>

namespace citygrid::domain_json {

Result<boost::json::value> ParseText(std::string_view text, std::string_view source_name) {
  boost::json::parse_options options;
  options.allow_comments = false;
  options.allow_trailing_commas = false;
  boost::json::stream_parser parser({}, options);
  boost::system::error_code ec;
  size_t consumed = parser.write_some(text.data(), text.size(), ec);
  if (!ec) parser.finish(ec);
  if (ec) {
    // Point at the character where the parser stopped: line and column, both from 1.
    size_t at = std::min(consumed, text.size());
    int line = 1, column = 1;
    for (size_t i = 0; i < at; ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
        ++column;  // count UTF-8 characters, not bytes
      }
    }
    return InvalidArgumentError(std::string(source_name) + ": line " + std::to_string(line) +
                                ", column " + std::to_string(column) +
                                ": not valid JSON: " + ec.message());
  }
  return parser.release();
}

std::string_view KindName(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null:
      return "null";
    case boost::json::kind::bool_:
      return "a boolean";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
    case boost::json::kind::double_:
      return "a number";
    case boost::json::kind::string:
      return "a string";
    case boost::json::kind::array:
      return "an array";
    case boost::json::kind::object:
      return "an object";
  }
  return "a value";
}

Status ContextError(std::string_view context, std::string_view problem) {
  std::string m(context);
  m += ": ";
  m += problem;
  return InvalidArgumentError(std::move(m));
}

Status ObjectReader::Error(std::string_view key, std::string_view problem) const {
  std::string m = context_;
  m += ": field '";
  m += key;
  m += "': ";
  m += problem;
  return InvalidArgumentError(std::move(m));
}

Status ObjectReader::RejectUnknownKeys(std::initializer_list<std::string_view> known) const {
  for (const auto& kv : object_) {
    std::string_view key(kv.key().data(), kv.key().size());
    bool found = false;
    for (std::string_view k : known) found = found || k == key;
    if (!found) {
      std::string expected;
      for (std::string_view k : known) {
        if (!expected.empty()) expected += ", ";
        expected += k;
      }
      return Error(key, "unknown field; expected one of: " + expected);
    }
  }
  return OkStatus();
}

Result<std::string> ObjectReader::RequiredString(std::string_view key) const {
  const boost::json::value* v = object_.if_contains(key);
  if (v == nullptr || v->is_null()) return Error(key, "is missing");
  if (!v->is_string()) return Error(key, "must be a string, not " + std::string(KindName(*v)));
  std::string s(v->get_string().data(), v->get_string().size());
  if (s.find_first_not_of(" \t\r\n") == std::string::npos) return Error(key, "is empty");
  return s;
}

Result<std::string> ObjectReader::OptionalString(std::string_view key) const {
  const boost::json::value* v = object_.if_contains(key);
  if (v == nullptr || v->is_null()) return std::string();
  if (!v->is_string()) return Error(key, "must be a string, not " + std::string(KindName(*v)));
  return std::string(v->get_string().data(), v->get_string().size());
}

Result<bool> ObjectReader::OptionalBool(std::string_view key, bool fallback) const {
  const boost::json::value* v = object_.if_contains(key);
  if (v == nullptr || v->is_null()) return fallback;
  if (!v->is_bool()) return Error(key, "must be true or false, not " + std::string(KindName(*v)));
  return v->get_bool();
}

Result<int64_t> ObjectReader::RequiredInt(std::string_view key) const {
  const boost::json::value* v = object_.if_contains(key);
  if (v == nullptr || v->is_null()) return Error(key, "is missing");
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    return static_cast<int64_t>(v->get_uint64());
  }
  return Error(key, "must be an integer, not " + std::string(KindName(*v)));
}

Result<const boost::json::array*> ObjectReader::RequiredArray(std::string_view key) const {
  const boost::json::value* v = object_.if_contains(key);
  if (v == nullptr || v->is_null()) return Error(key, "is missing");
  if (!v->is_array()) return Error(key, "must be an array, not " + std::string(KindName(*v)));
  return &v->get_array();
}

Result<const boost::json::array*> ObjectReader::OptionalArray(std::string_view key) const {
  static const boost::json::array kEmpty;
  const boost::json::value* v = object_.if_contains(key);
  if (v == nullptr || v->is_null()) return &kEmpty;
  if (!v->is_array()) return Error(key, "must be an array, not " + std::string(KindName(*v)));
  return &v->get_array();
}

Result<const boost::json::object*> ObjectReader::OptionalObject(std::string_view key) const {
  const boost::json::value* v = object_.if_contains(key);
  if (v == nullptr || v->is_null()) return static_cast<const boost::json::object*>(nullptr);
  if (!v->is_object()) return Error(key, "must be an object, not " + std::string(KindName(*v)));
  return &v->get_object();
}

Result<WorkDuration> ObjectReader::RequiredDuration(std::string_view key) const {
  const boost::json::value* v = object_.if_contains(key);
  if (v == nullptr || v->is_null()) return Error(key, "is missing");
  Result<WorkDuration> parsed = InvalidArgumentError("unset");
  if (v->is_string()) {
    parsed = ParseWorkDuration(std::string_view(v->get_string().data(), v->get_string().size()));
  } else if (v->is_object()) {
    const boost::json::object& o = v->get_object();
    for (const auto& kv : o) {
      if (kv.key() != "amount" && kv.key() != "unit") {
        return Error(key, "unknown field '" + std::string(kv.key()) + "'; expected amount, unit");
      }
    }
    const boost::json::value* amount = o.if_contains("amount");
    const boost::json::value* unit = o.if_contains("unit");
    if (amount == nullptr || !amount->is_number())
      return Error(key, "amount is missing or not a number");
    if (unit == nullptr || !unit->is_string()) return Error(key, "unit is missing or not a string");
    Result<TimeUnit> u =
        ParseTimeUnit(std::string_view(unit->get_string().data(), unit->get_string().size()));
    if (!u.ok()) return Error(key, u.status().message());
    parsed = WorkDuration::Make(amount->to_number<double>(), *u);
  } else {
    return Error(key,
                 "must be a duration like \"2 work_hour\" or {\"amount\": 2, \"unit\": "
                 "\"work_hour\"}, not " +
                     std::string(KindName(*v)));
  }
  if (!parsed.ok()) return Error(key, parsed.status().message());
  return parsed;
}

}  // namespace citygrid::domain_json
