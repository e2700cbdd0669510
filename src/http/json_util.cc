#include "src/http/json_util.h"

#include <boost/json/serialize.hpp>
#include <boost/json/stream_parser.hpp>

#include <cmath>
#include <cstdio>

namespace citygrid::http::json {
namespace {

std::string FormatNumber(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

std::string Describe(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null: return "null";
    case boost::json::kind::bool_: return "a boolean";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
    case boost::json::kind::double_: return "a number";
    case boost::json::kind::string: return "a string";
    case boost::json::kind::array: return "an array";
    case boost::json::kind::object: return "an object";
  }
  return "a value";
}

}  // namespace

Result<boost::json::value> ParseBody(std::string_view body) {
  if (body.empty()) return InvalidArgumentError("body is not JSON: the body is empty");
  boost::json::stream_parser parser;
  boost::system::error_code ec;
  size_t consumed = parser.write(body.data(), body.size(), ec);
  if (!ec) parser.finish(ec);
  if (ec) {
    size_t at = std::min(consumed, body.size());
    size_t line = 1, column = 1;
    for (size_t i = 0; i < at; ++i) {
      if (body[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    return InvalidArgumentError("body is not JSON: " + ec.message() + " at line " +
                                std::to_string(line) + ", column " + std::to_string(column));
  }
  return parser.release();
}

Result<ObjectReader> ObjectReader::Of(const boost::json::value& value, std::string what) {
  if (!value.is_object()) {
    return InvalidArgumentError(what + " must be a JSON object, not " + Describe(value));
  }
  return ObjectReader(&value.get_object(), "");
}

std::string ObjectReader::Name(std::string_view key) const {
  return "field '" + prefix_ + std::string(key) + "'";
}

const boost::json::value* ObjectReader::Find(std::string_view key) const {
  const boost::json::value* v = object_->if_contains(key);
  return (v == nullptr || v->is_null()) ? nullptr : v;
}

bool ObjectReader::Has(std::string_view key) const { return Find(key) != nullptr; }

Result<std::optional<std::string>> ObjectReader::OptionalString(std::string_view key,
                                                                size_t max_length) const {
  const boost::json::value* v = Find(key);
  if (v == nullptr) return std::optional<std::string>();
  if (!v->is_string()) {
    return InvalidArgumentError(Name(key) + " must be a string, not " + Describe(*v));
  }
  const boost::json::string& s = v->get_string();
  if (s.size() > max_length) {
    return InvalidArgumentError(Name(key) + " is too long: " + std::to_string(s.size()) +
                                " bytes, at most " + std::to_string(max_length));
  }
  return std::optional<std::string>(std::string(s.data(), s.size()));
}

Result<std::optional<double>> ObjectReader::OptionalNumber(std::string_view key, double min,
                                                           double max) const {
  const boost::json::value* v = Find(key);
  if (v == nullptr) return std::optional<double>();
  if (!v->is_number()) {
    return InvalidArgumentError(Name(key) + " must be a number, not " + Describe(*v));
  }
  double d = v->to_number<double>();
  if (!std::isfinite(d) || d < min || d > max) {
    return InvalidArgumentError(Name(key) + " must be between " + FormatNumber(min) + " and " +
                                FormatNumber(max) + ", got " + FormatNumber(d));
  }
  return std::optional<double>(d);
}

Result<std::optional<int64_t>> ObjectReader::OptionalInteger(std::string_view key, int64_t min,
                                                             int64_t max) const {
  const boost::json::value* v = Find(key);
  if (v == nullptr) return std::optional<int64_t>();
  int64_t n = 0;
  if (v->is_int64()) {
    n = v->get_int64();
  } else if (v->is_uint64()) {
    if (v->get_uint64() > static_cast<uint64_t>(max)) {
      return InvalidArgumentError(Name(key) + " must be between " + std::to_string(min) +
                                  " and " + std::to_string(max) + ", got " +
                                  std::to_string(v->get_uint64()));
    }
    n = static_cast<int64_t>(v->get_uint64());
  } else if (v->is_double() && std::trunc(v->get_double()) == v->get_double() &&
             std::fabs(v->get_double()) < 9.0e15) {
    n = static_cast<int64_t>(v->get_double());  // 3.0 is the integer 3
  } else {
    return InvalidArgumentError(Name(key) + " must be an integer, not " +
                                (v->is_double() ? FormatNumber(v->get_double()) : Describe(*v)));
  }
  if (n < min || n > max) {
    return InvalidArgumentError(Name(key) + " must be between " + std::to_string(min) + " and " +
                                std::to_string(max) + ", got " + std::to_string(n));
  }
  return std::optional<int64_t>(n);
}

Result<std::optional<bool>> ObjectReader::OptionalBool(std::string_view key) const {
  const boost::json::value* v = Find(key);
  if (v == nullptr) return std::optional<bool>();
  if (!v->is_bool()) {
    return InvalidArgumentError(Name(key) + " must be true or false, not " + Describe(*v));
  }
  return std::optional<bool>(v->get_bool());
}

Result<std::optional<ObjectReader>> ObjectReader::OptionalObject(std::string_view key) const {
  const boost::json::value* v = Find(key);
  if (v == nullptr) return std::optional<ObjectReader>();
  if (!v->is_object()) {
    return InvalidArgumentError(Name(key) + " must be an object, not " + Describe(*v));
  }
  return std::optional<ObjectReader>(
      ObjectReader(&v->get_object(), prefix_ + std::string(key) + "."));
}

namespace {

template <typename T>
Result<T> Require(Result<std::optional<T>> r, const std::string& name) {
  if (!r.ok()) return r.status();
  if (!r->has_value()) return InvalidArgumentError(name + " is required");
  return std::move(**r);
}

}  // namespace

Result<std::string> ObjectReader::String(std::string_view key, size_t max_length) const {
  return Require(OptionalString(key, max_length), Name(key));
}
Result<double> ObjectReader::Number(std::string_view key, double min, double max) const {
  return Require(OptionalNumber(key, min, max), Name(key));
}
Result<int64_t> ObjectReader::Integer(std::string_view key, int64_t min, int64_t max) const {
  return Require(OptionalInteger(key, min, max), Name(key));
}
Result<bool> ObjectReader::Bool(std::string_view key) const {
  return Require(OptionalBool(key), Name(key));
}
Result<ObjectReader> ObjectReader::Object(std::string_view key) const {
  return Require(OptionalObject(key), Name(key));
}

Result<std::vector<std::string>> ObjectReader::StringArray(std::string_view key,
                                                           size_t max_items) const {
  const boost::json::value* v = Find(key);
  if (v == nullptr) return InvalidArgumentError(Name(key) + " is required");
  if (!v->is_array()) {
    return InvalidArgumentError(Name(key) + " must be an array, not " + Describe(*v));
  }
  const boost::json::array& a = v->get_array();
  if (a.size() > max_items) {
    return InvalidArgumentError(Name(key) + " has " + std::to_string(a.size()) +
                                " items, at most " + std::to_string(max_items));
  }
  std::vector<std::string> out;
  out.reserve(a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    if (!a[i].is_string()) {
      return InvalidArgumentError("field '" + prefix_ + std::string(key) + "[" +
                                  std::to_string(i) + "]' must be a string, not " +
                                  Describe(a[i]));
    }
    out.emplace_back(a[i].get_string().data(), a[i].get_string().size());
  }
  return out;
}

Status ObjectReader::RejectUnknown(std::initializer_list<std::string_view> known) const {
  for (const auto& [key, value] : *object_) {
    bool found = false;
    for (std::string_view k : known) {
      if (k == std::string_view(key.data(), key.size())) {
        found = true;
        break;
      }
    }
    if (!found) {
      return InvalidArgumentError("unknown " + Name(std::string_view(key.data(), key.size())));
    }
  }
  return OkStatus();
}

std::string Serialize(const boost::json::value& value) { return boost::json::serialize(value); }

Response JsonResponse(int status, const boost::json::value& value) {
  return Response::Json(status, Serialize(value));
}

}  // namespace citygrid::http::json
