#pragma once

// HTTP header fields with case-insensitive names, kept in arrival order.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace citygrid::http {

// True when `a` and `b` are equal ignoring ASCII case ("Content-Type" == "content-type").
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// A small ordered list of (name, value) fields. Lookups ignore the case of names. Repeated
// fields are kept as separate entries (Add), or replaced as one (Set).
class Headers {
 public:
  using Field = std::pair<std::string, std::string>;

  // The value of the first field named `name`, or nullopt.
  std::optional<std::string_view> Get(std::string_view name) const;
  // The value of the first field named `name`, or `fallback`.
  std::string GetOr(std::string_view name, std::string_view fallback) const;
  bool Has(std::string_view name) const { return Get(name).has_value(); }

  // Replaces every field named `name` by one field with `value`.
  void Set(std::string_view name, std::string_view value);
  // Appends a field, keeping existing ones of the same name (e.g. Set-Cookie).
  void Add(std::string_view name, std::string_view value);
  // Removes every field named `name`.
  void Remove(std::string_view name);

  bool empty() const { return fields_.empty(); }
  size_t size() const { return fields_.size(); }
  std::vector<Field>::const_iterator begin() const { return fields_.begin(); }
  std::vector<Field>::const_iterator end() const { return fields_.end(); }

 private:
  std::vector<Field> fields_;
};

}  // namespace citygrid::http
