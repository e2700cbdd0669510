#include "citygrid/service/visibility.h"

#include <boost/json.hpp>

namespace citygrid::service {

namespace json = boost::json;

bool MayView(const Actor& viewer, const Case& c) {
  if (viewer.role != Role::kHandler) return true;
  return !viewer.unit.empty() && c.unit == viewer.unit;
}

bool SeesReporter(Role role) {
  return role == Role::kOperator || role == Role::kDispatcher || role == Role::kAdmin ||
         role == Role::kSystem;
}

std::string MaskName(std::string_view name) {
  if (name.empty()) return "";
  size_t len = 1;
  unsigned char lead = static_cast<unsigned char>(name[0]);
  if (lead >= 0xF0) {
    len = 4;
  } else if (lead >= 0xE0) {
    len = 3;
  } else if (lead >= 0xC0) {
    len = 2;
  }
  len = std::min(len, name.size());
  return std::string(name.substr(0, len)) + "*";
}

std::string MaskPhone(std::string_view phone) {
  if (phone.empty()) return "";
  if (phone.size() < 8) return std::string(phone.size(), '*');
  return std::string(phone.substr(0, 3)) + std::string(phone.size() - 7, '*') +
         std::string(phone.substr(phone.size() - 4));
}

Case MaskCase(Case c, Role role) {
  if (!SeesReporter(role)) {
    c.reporter.name = MaskName(c.reporter.name);
    c.reporter.phone = MaskPhone(c.reporter.phone);
  }
  return c;
}

CaseEvent MaskEvent(CaseEvent event, Role role) {
  if (SeesReporter(role) || event.type != EventType::kCreated) return event;
  boost::system::error_code ec;
  json::value v = json::parse(event.payload_json, ec);
  if (ec || !v.is_object()) return event;
  json::object& o = v.as_object();
  auto it = o.find("reporter");
  if (it == o.end() || !it->value().is_object()) return event;
  json::object& r = it->value().as_object();
  if (auto n = r.find("name"); n != r.end() && n->value().is_string()) {
    n->value() = MaskName(std::string_view(n->value().as_string()));
  }
  if (auto p = r.find("phone"); p != r.end() && p->value().is_string()) {
    p->value() = MaskPhone(std::string_view(p->value().as_string()));
  }
  event.payload_json = json::serialize(v);
  return event;
}

}  // namespace citygrid::service
