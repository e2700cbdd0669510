#include "citygrid/domain/category.h"

#include <algorithm>
#include <map>

#include "category_json.h"

namespace citygrid {
namespace {

using domain_json::ObjectReader;

bool AllDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Stage durations shared by every row unless the row says otherwise.
struct StageDefaults {
  std::optional<WorkDuration> verify, registration, dispatch, check;
};

Result<StageDefaults> ReadStageDefaults(const ObjectReader& top) {
  StageDefaults d;
  CITYGRID_ASSIGN_OR_RETURN(const boost::json::object* obj, top.OptionalObject("stage_defaults"));
  if (obj == nullptr) return d;
  ObjectReader r(*obj, top.context() + ": stage_defaults");
  CITYGRID_RETURN_IF_ERROR(r.RejectUnknownKeys({"verify", "register", "dispatch", "check"}));
  auto read = [&](std::string_view key, std::optional<WorkDuration>& out) -> Status {
    if (!r.Has(key)) return OkStatus();
    CITYGRID_ASSIGN_OR_RETURN(out, r.RequiredDuration(key));
    return OkStatus();
  };
  CITYGRID_RETURN_IF_ERROR(read("verify", d.verify));
  CITYGRID_RETURN_IF_ERROR(read("register", d.registration));
  CITYGRID_RETURN_IF_ERROR(read("dispatch", d.dispatch));
  CITYGRID_RETURN_IF_ERROR(read("check", d.check));
  return d;
}

Result<MajorClass> ReadMajor(const boost::json::value& item, const std::string& where) {
  if (!item.is_object()) return domain_json::ContextError(where, "must be an object");
  ObjectReader r(item.get_object(), where);
  CITYGRID_RETURN_IF_ERROR(r.RejectUnknownKeys({"code", "name", "name_en", "kind"}));
  MajorClass m;
  CITYGRID_ASSIGN_OR_RETURN(m.code, r.RequiredString("code"));
  if (m.code.size() != 2 || !AllDigits(m.code)) {
    return r.Error("code", "'" + m.code + "' is not a 2-digit major class code");
  }
  ObjectReader named(item.get_object(), where + " (" + m.code + ")");
  CITYGRID_ASSIGN_OR_RETURN(m.name, named.RequiredString("name"));
  CITYGRID_ASSIGN_OR_RETURN(m.name_en, named.OptionalString("name_en"));
  CITYGRID_ASSIGN_OR_RETURN(std::string kind, named.RequiredString("kind"));
  Result<CategoryKind> k = ParseCategoryKind(kind);
  if (!k.ok()) return named.Error("kind", k.status().message());
  m.kind = *k;
  return m;
}

Result<DeadlineRow> ReadRow(const boost::json::value& item, const std::string& where,
                            const StageDefaults& defaults) {
  if (!item.is_object()) return domain_json::ContextError(where, "must be an object");
  ObjectReader r(item.get_object(), where);
  CITYGRID_RETURN_IF_ERROR(
      r.RejectUnknownKeys({"condition", "verify", "register", "dispatch", "handle", "check"}));
  DeadlineRow row;
  CITYGRID_ASSIGN_OR_RETURN(row.condition, r.OptionalString("condition"));
  CITYGRID_ASSIGN_OR_RETURN(row.handle, r.RequiredDuration("handle"));
  auto read = [&](std::string_view key, const std::optional<WorkDuration>& fallback,
                  WorkDuration& out) -> Status {
    if (!r.Has(key) && fallback.has_value()) {
      out = *fallback;
      return OkStatus();
    }
    if (!r.Has(key)) return r.Error(key, "is missing and stage_defaults has none");
    CITYGRID_ASSIGN_OR_RETURN(out, r.RequiredDuration(key));
    return OkStatus();
  };
  CITYGRID_RETURN_IF_ERROR(read("verify", defaults.verify, row.verify));
  CITYGRID_RETURN_IF_ERROR(read("register", defaults.registration, row.registration));
  CITYGRID_RETURN_IF_ERROR(read("dispatch", defaults.dispatch, row.dispatch));
  CITYGRID_RETURN_IF_ERROR(read("check", defaults.check, row.check));
  return row;
}

bool IsAttributeCode(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
  });
}

bool IsList(AttributeDatatype d) {
  return d == AttributeDatatype::kSingleValueList || d == AttributeDatatype::kMultiValueList;
}

// `index` is the default order, so a file may leave "order" out and keep its listed order.
Result<CategoryAttribute> ReadAttribute(const boost::json::value& item, const std::string& where,
                                        int index) {
  if (!item.is_object()) return domain_json::ContextError(where, "must be an object");
  ObjectReader r(item.get_object(), where);
  CITYGRID_RETURN_IF_ERROR(r.RejectUnknownKeys({"code", "description", "datatype",
                                                "datatype_description", "variable", "required",
                                                "order", "values"}));
  CategoryAttribute a;
  CITYGRID_ASSIGN_OR_RETURN(a.code, r.RequiredString("code"));
  if (!IsAttributeCode(a.code)) {
    return r.Error("code", "'" + a.code.substr(0, 80) +
                               "' is not 1-64 letters, digits, '_' or '-'");
  }
  ObjectReader named(item.get_object(), where + " (" + a.code + ")");
  CITYGRID_ASSIGN_OR_RETURN(a.description, named.RequiredString("description"));
  CITYGRID_ASSIGN_OR_RETURN(a.datatype_description, named.OptionalString("datatype_description"));
  CITYGRID_ASSIGN_OR_RETURN(std::string datatype, named.RequiredString("datatype"));
  Result<AttributeDatatype> d = ParseAttributeDatatype(datatype);
  if (!d.ok()) return named.Error("datatype", d.status().message());
  a.datatype = *d;
  CITYGRID_ASSIGN_OR_RETURN(a.variable, named.OptionalBool("variable", true));
  CITYGRID_ASSIGN_OR_RETURN(a.required, named.OptionalBool("required", false));
  a.order = index + 1;
  if (named.Has("order")) {
    CITYGRID_ASSIGN_OR_RETURN(int64_t order, named.RequiredInt("order"));
    if (order < 0 || order > 10000) {
      return named.Error("order", std::to_string(order) + " is outside 0..10000");
    }
    a.order = static_cast<int>(order);
  }
  CITYGRID_ASSIGN_OR_RETURN(const boost::json::array* values, named.OptionalArray("values"));
  if (IsList(a.datatype) && values->empty()) {
    return named.Error("values", "is needed for datatype '" + datatype + "'");
  }
  if (!IsList(a.datatype) && !values->empty()) {
    return named.Error("values", "is only for singlevaluelist and multivaluelist, not '" +
                                     datatype + "'");
  }
  for (size_t i = 0; i < values->size(); ++i) {
    std::string value_where = named.context() + ": values[" + std::to_string(i) + "]";
    const boost::json::value& v = (*values)[i];
    if (!v.is_object()) return domain_json::ContextError(value_where, "must be an object");
    ObjectReader vr(v.get_object(), value_where);
    CITYGRID_RETURN_IF_ERROR(vr.RejectUnknownKeys({"key", "name"}));
    AttributeValue value;
    CITYGRID_ASSIGN_OR_RETURN(value.key, vr.RequiredString("key"));
    CITYGRID_ASSIGN_OR_RETURN(value.name, vr.RequiredString("name"));
    for (const AttributeValue& before : a.values) {
      if (before.key == value.key) {
        return vr.Error("key", "'" + value.key + "' is given twice");
      }
    }
    a.values.push_back(std::move(value));
  }
  return a;
}

Result<Category> ReadCategory(const boost::json::value& item, size_t index,
                              std::string_view source_name,
                              const std::map<std::string, const MajorClass*>& majors,
                              const StageDefaults& defaults) {
  std::string where = std::string(source_name) + ": categories[" + std::to_string(index) + "]";
  if (!item.is_object()) return domain_json::ContextError(where, "must be an object");
  ObjectReader r(item.get_object(), where);
  Category c;
  CITYGRID_ASSIGN_OR_RETURN(c.code, r.RequiredString("code"));
  // From here on messages name the code too: "categories[12] (06010)".
  ObjectReader named(item.get_object(), where + " (" + c.code + ")");
  CITYGRID_RETURN_IF_ERROR(
      named.RejectUnknownKeys({"code", "name", "name_en", "kind", "register_standard",
                               "close_standard", "unit_type", "public", "deadlines",
                               "attributes"}));
  if (c.code.size() != 5 || !AllDigits(c.code)) {
    return named.Error("code", "'" + c.code +
                                   "' is not a 5-digit code (2-digit major class + "
                                   "3-digit minor class)");
  }
  auto major = majors.find(c.code.substr(0, 2));
  if (major == majors.end()) {
    return named.Error("code",
                       "major class '" + c.code.substr(0, 2) + "' is not one of major_classes");
  }
  if (c.code.substr(2) == "000") return named.Error("code", "minor class 000 is not a class");
  CITYGRID_ASSIGN_OR_RETURN(c.name, named.RequiredString("name"));
  CITYGRID_ASSIGN_OR_RETURN(c.name_en, named.OptionalString("name_en"));
  c.kind = major->second->kind;
  if (named.Has("kind")) {
    CITYGRID_ASSIGN_OR_RETURN(std::string kind, named.RequiredString("kind"));
    Result<CategoryKind> k = ParseCategoryKind(kind);
    if (!k.ok()) return named.Error("kind", k.status().message());
    if (*k != major->second->kind) {
      return named.Error("kind", "'" + kind + "' differs from major class " + major->second->code +
                                     " (" + std::string(Name(major->second->kind)) + ")");
    }
  }
  CITYGRID_ASSIGN_OR_RETURN(c.register_standard, named.RequiredString("register_standard"));
  CITYGRID_ASSIGN_OR_RETURN(c.close_standard, named.RequiredString("close_standard"));
  CITYGRID_ASSIGN_OR_RETURN(c.unit_type, named.RequiredString("unit_type"));
  CITYGRID_ASSIGN_OR_RETURN(c.is_public, named.OptionalBool("public", true));
  CITYGRID_ASSIGN_OR_RETURN(const boost::json::array* rows, named.RequiredArray("deadlines"));
  if (rows->empty()) return named.Error("deadlines", "needs at least one row");
  for (size_t i = 0; i < rows->size(); ++i) {
    std::string row_where = named.context() + ": deadlines[" + std::to_string(i) + "]";
    CITYGRID_ASSIGN_OR_RETURN(DeadlineRow row, ReadRow((*rows)[i], row_where, defaults));
    if (row.condition.empty() && rows->size() > 1) {
      return domain_json::ContextError(
          row_where, "field 'condition': is missing; every row needs one when there are several");
    }
    for (const DeadlineRow& before : c.deadlines) {
      if (before.condition == row.condition) {
        return domain_json::ContextError(
            row_where, "field 'condition': '" + row.condition + "' is given twice");
      }
    }
    c.deadlines.push_back(std::move(row));
  }
  CITYGRID_ASSIGN_OR_RETURN(const boost::json::array* attributes,
                            named.OptionalArray("attributes"));
  for (size_t i = 0; i < attributes->size(); ++i) {
    std::string attr_where = named.context() + ": attributes[" + std::to_string(i) + "]";
    CITYGRID_ASSIGN_OR_RETURN(CategoryAttribute a,
                              ReadAttribute((*attributes)[i], attr_where, static_cast<int>(i)));
    for (const CategoryAttribute& before : c.attributes) {
      if (before.code == a.code) {
        return domain_json::ContextError(attr_where,
                                         "field 'code': '" + a.code + "' is given twice");
      }
    }
    c.attributes.push_back(std::move(a));
  }
  std::stable_sort(c.attributes.begin(), c.attributes.end(),
                   [](const CategoryAttribute& a, const CategoryAttribute& b) {
                     return a.order < b.order;
                   });
  return c;
}

}  // namespace

std::string_view Name(AttributeDatatype datatype) {
  switch (datatype) {
    case AttributeDatatype::kString: return "string";
    case AttributeDatatype::kNumber: return "number";
    case AttributeDatatype::kDatetime: return "datetime";
    case AttributeDatatype::kText: return "text";
    case AttributeDatatype::kSingleValueList: return "singlevaluelist";
    case AttributeDatatype::kMultiValueList: return "multivaluelist";
  }
  return "string";
}

Result<AttributeDatatype> ParseAttributeDatatype(std::string_view name) {
  for (AttributeDatatype d :
       {AttributeDatatype::kString, AttributeDatatype::kNumber, AttributeDatatype::kDatetime,
        AttributeDatatype::kText, AttributeDatatype::kSingleValueList,
        AttributeDatatype::kMultiValueList}) {
    if (Name(d) == name) return d;
  }
  return InvalidArgumentError("unknown datatype '" + std::string(name.substr(0, 40)) +
                              "'; expected string, number, datetime, text, singlevaluelist or "
                              "multivaluelist");
}

std::string_view Name(CategoryKind kind) {
  return kind == CategoryKind::kComponent ? "component" : "event";
}

std::string_view ChineseName(CategoryKind kind) {
  return kind == CategoryKind::kComponent ? "部件" : "事件";
}

Result<CategoryKind> ParseCategoryKind(std::string_view name) {
  if (name == "component") return CategoryKind::kComponent;
  if (name == "event") return CategoryKind::kEvent;
  return InvalidArgumentError("unknown category kind '" + std::string(name.substr(0, 40)) +
                              "'; expected component (部件) or event (事件)");
}

std::optional<WorkDuration> DeadlineRow::For(Stage stage) const {
  switch (stage) {
    case Stage::kVerify:
      return verify;
    case Stage::kRegister:
      return registration;
    case Stage::kDispatch:
      return dispatch;
    case Stage::kHandle:
      return handle;
    case Stage::kCheck:
      return check;
    case Stage::kNone:
      return std::nullopt;
  }
  return std::nullopt;
}

Result<const DeadlineRow*> Category::SelectDeadline(std::string_view condition) const {
  if (condition.empty() && !deadlines.empty()) return &deadlines.front();
  for (const DeadlineRow& row : deadlines) {
    if (row.condition == condition) return &row;
  }
  // Conditions read like "破损、移位、松动或有异响": a word of one row picks that row.
  const DeadlineRow* partial = nullptr;
  int partial_count = 0;
  for (const DeadlineRow& row : deadlines) {
    if (row.condition.find(condition) != std::string::npos) {
      partial = &row;
      ++partial_count;
    }
  }
  if (partial_count == 1) return partial;
  std::string known;
  for (const DeadlineRow& row : deadlines) {
    if (!known.empty()) known += ", ";
    known += "'" + row.condition + "'";
  }
  if (partial_count > 1) {
    return InvalidArgumentError("condition '" + std::string(condition.substr(0, 80)) +
                                "' of category " + code + " (" + name +
                                ") matches several rows; it has " + known);
  }
  return NotFoundError("category " + code + " (" + name + ") has no condition '" +
                       std::string(condition.substr(0, 80)) + "'; it has " + known);
}

Result<CategoryCatalog> CategoryCatalog::Parse(std::string_view json_text,
                                               std::string_view source_name) {
  CITYGRID_ASSIGN_OR_RETURN(boost::json::value root,
                            domain_json::ParseText(json_text, source_name));
  if (!root.is_object()) {
    return domain_json::ContextError(source_name, "the top level must be an object, not " +
                                                      std::string(domain_json::KindName(root)));
  }
  ObjectReader top(root.get_object(), std::string(source_name));
  CITYGRID_RETURN_IF_ERROR(top.RejectUnknownKeys(
      {"version", "source", "stage_defaults", "major_classes", "categories"}));
  if (top.Has("version")) {
    CITYGRID_ASSIGN_OR_RETURN(int64_t version, top.RequiredInt("version"));
    if (version != 1)
      return top.Error("version", std::to_string(version) + " is not supported; expected 1");
  }
  CITYGRID_ASSIGN_OR_RETURN(StageDefaults defaults, ReadStageDefaults(top));

  CategoryCatalog catalog;
  CITYGRID_ASSIGN_OR_RETURN(const boost::json::array* majors, top.RequiredArray("major_classes"));
  if (majors->empty()) return top.Error("major_classes", "needs at least one major class");
  for (size_t i = 0; i < majors->size(); ++i) {
    std::string where = std::string(source_name) + ": major_classes[" + std::to_string(i) + "]";
    CITYGRID_ASSIGN_OR_RETURN(MajorClass m, ReadMajor((*majors)[i], where));
    for (const MajorClass& before : catalog.majors_) {
      if (before.code == m.code) {
        return domain_json::ContextError(where + " (" + m.code + ")",
                                         "field 'code': major class given twice");
      }
    }
    catalog.majors_.push_back(std::move(m));
  }
  std::sort(catalog.majors_.begin(), catalog.majors_.end(),
            [](const MajorClass& a, const MajorClass& b) { return a.code < b.code; });
  std::map<std::string, const MajorClass*> major_index;
  for (const MajorClass& m : catalog.majors_) major_index.emplace(m.code, &m);

  CITYGRID_ASSIGN_OR_RETURN(const boost::json::array* list, top.RequiredArray("categories"));
  std::map<std::string, size_t> first_index;  // code -> entry index, for duplicate messages
  for (size_t i = 0; i < list->size(); ++i) {
    CITYGRID_ASSIGN_OR_RETURN(Category c,
                              ReadCategory((*list)[i], i, source_name, major_index, defaults));
    auto [it, inserted] = first_index.emplace(c.code, i);
    if (!inserted) {
      return InvalidArgumentError(std::string(source_name) + ": categories[" + std::to_string(i) +
                                  "] (" + c.code + "): field 'code': " + c.code +
                                  " is already used by categories[" + std::to_string(it->second) +
                                  "]");
    }
    catalog.categories_.push_back(std::move(c));
  }
  std::sort(catalog.categories_.begin(), catalog.categories_.end(),
            [](const Category& a, const Category& b) { return a.code < b.code; });
  return catalog;
}

const Category* CategoryCatalog::Find(std::string_view code) const {
  auto it = std::lower_bound(categories_.begin(), categories_.end(), code,
                             [](const Category& c, std::string_view k) { return c.code < k; });
  return it != categories_.end() && it->code == code ? &*it : nullptr;
}

const MajorClass* CategoryCatalog::FindMajor(std::string_view major_code) const {
  for (const MajorClass& m : majors_) {
    if (m.code == major_code) return &m;
  }
  return nullptr;
}

Result<const Category*> CategoryCatalog::Get(std::string_view code) const {
  const Category* c = Find(code);
  if (c == nullptr) {
    return NotFoundError("no category with code '" + std::string(code.substr(0, 40)) + "'");
  }
  return c;
}

std::vector<const Category*> CategoryCatalog::ListByMajor(std::string_view major_code) const {
  std::vector<const Category*> out;
  for (const Category& c : categories_) {
    if (c.major_code() == major_code) out.push_back(&c);
  }
  return out;
}

std::vector<const Category*> CategoryCatalog::PublicCategories() const {
  std::vector<const Category*> out;
  for (const Category& c : categories_) {
    if (c.is_public) out.push_back(&c);
  }
  return out;
}

Result<const DeadlineRow*> CategoryCatalog::SelectDeadline(std::string_view code,
                                                           std::string_view condition) const {
  CITYGRID_ASSIGN_OR_RETURN(const Category* c, Get(code));
  return c->SelectDeadline(condition);
}

}  // namespace citygrid
