#pragma once

// The category taxonomy (部件/事件分类): what a case is about, with its registration standard
// (立案条件), closing standard (结案条件), default responsible unit type and stage deadlines.
//
// Codes follow the national directory (GB/T 30428 / CJ/T 214 style): a 2-digit major class and a
// 3-digit minor class, e.g. 06010 暴露垃圾. Majors 01-05 are components (部件: things with an
// inventory, such as manhole covers); 06-10 are events (事件: illegal parking, construction dust).
//
// The taxonomy is data: data/categories.json ships the default set. Domain code does no I/O; the
// caller reads the file and hands its text to CategoryCatalog::Parse.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "citygrid/common/status.h"
#include "citygrid/domain/case.h"
#include "citygrid/domain/work_calendar.h"

namespace citygrid {

enum class CategoryKind {
  kComponent,  // 部件
  kEvent,      // 事件
};

// "component", "event".
std::string_view Name(CategoryKind kind);
// "部件", "事件".
std::string_view ChineseName(CategoryKind kind);
Result<CategoryKind> ParseCategoryKind(std::string_view name);

// A major class (大类), e.g. 06 市容环境类.
struct MajorClass {
  std::string code;  // 2 digits
  std::string name;  // 市容环境类
  std::string name_en;
  CategoryKind kind = CategoryKind::kEvent;

  friend bool operator==(const MajorClass&, const MajorClass&) = default;
};

// One condition row of a minor class (立案条件细目): a situation and its deadline per stage.
// A manhole cover has two: "缺失" (missing, 2 urgent_hour) and "破损" (damaged, 1 work_day).
struct DeadlineRow {
  std::string condition;      // "" only when the class has a single row
  WorkDuration verify;        // 核实
  WorkDuration registration;  // 立案
  WorkDuration dispatch;      // 派遣
  WorkDuration handle;        // 处置
  WorkDuration check;         // 核查

  // The duration of a stage; nullopt for Stage::kNone.
  std::optional<WorkDuration> For(Stage stage) const;

  friend bool operator==(const DeadlineRow&, const DeadlineRow&) = default;
};

// The type of a category's extra field (Open311 GeoReport v2 attribute datatype).
enum class AttributeDatatype {
  kString,           // one line of text
  kNumber,           // a decimal number
  kDatetime,         // ISO-8601 with offset
  kText,             // free text, several lines
  kSingleValueList,  // one key of `values`
  kMultiValueList,   // one or more keys of `values`
};
// "string", "number", "datetime", "text", "singlevaluelist", "multivaluelist".
std::string_view Name(AttributeDatatype datatype);
Result<AttributeDatatype> ParseAttributeDatatype(std::string_view name);

// One allowed value of a list attribute.
struct AttributeValue {
  std::string key;   // what a client sends
  std::string name;  // what a person reads

  friend bool operator==(const AttributeValue&, const AttributeValue&) = default;
};

// An extra question a report of a category may answer (e.g. 井盖 "type of cover"), published as
// an Open311 service-definition attribute. The answers are kept with the request, not the case.
struct CategoryAttribute {
  std::string code;         // 1-64 of [A-Za-z0-9_-], unique within the category
  std::string description;  // the question, shown to the reporter
  std::string datatype_description;  // a hint on the format, may be ""
  AttributeDatatype datatype = AttributeDatatype::kString;
  bool variable = true;   // false: an informational text, no answer expected
  bool required = false;  // a report must answer it
  int order = 0;          // display order (1, 2, ...); the list is sorted by it
  std::vector<AttributeValue> values;  // list datatypes only; at least one, unique keys

  friend bool operator==(const CategoryAttribute&, const CategoryAttribute&) = default;
};

// A minor class (小类): the unit a case is filed under.
struct Category {
  std::string code;     // 5 digits: major + minor
  std::string name;     // 暴露垃圾
  std::string name_en;  // Exposed garbage
  CategoryKind kind = CategoryKind::kEvent;
  std::string register_standard;  // 立案条件
  std::string close_standard;     // 结案条件
  std::string unit_type;  // default responsible unit type: "环卫", "市政", "城管局", ...
  bool is_public = true;  // open to public / Open311 reporting
  std::vector<DeadlineRow> deadlines;  // at least one; the first is the default
  std::vector<CategoryAttribute> attributes;  // extra fields, by `order`; may be empty

  std::string_view major_code() const { return std::string_view(code).substr(0, 2); }

  // The row for `condition`: "" picks the first (default) row; otherwise the row whose condition
  // equals it, or else the one row whose condition contains it ("破损" picks
  // "破损、移位、松动或有异响"). kInvalidArgument when it is part of several rows' conditions,
  // kNotFound when of none; both messages name the category and list its conditions.
  Result<const DeadlineRow*> SelectDeadline(std::string_view condition) const;

  friend bool operator==(const Category&, const Category&) = default;
};

// The loaded taxonomy. Immutable after Parse; thread-safe for concurrent reads.
class CategoryCatalog {
 public:
  // Parses categories.json:
  //   {"version": 1, "source": "...",
  //    "stage_defaults": {"verify": "1 work_hour", "register": "0.5 work_hour",
  //                       "dispatch": "0.5 work_hour", "check": "1 work_hour"},
  //    "major_classes": [{"code": "06", "name": "市容环境类", "name_en": "...",
  //                       "kind": "event"}, ...],
  //    "categories": [{"code": "06010", "name": "暴露垃圾", "name_en": "Exposed garbage",
  //                    "kind": "event", "register_standard": "...", "close_standard": "...",
  //                    "unit_type": "环卫", "public": true,
  //                    "deadlines": [{"condition": "", "handle": "2 work_hour"}],
  //                    "attributes": [{"code": "kind", "description": "...",
  //                                    "datatype": "singlevaluelist", "required": true,
  //                                    "variable": true, "order": 1,
  //                                    "datatype_description": "",
  //                                    "values": [{"key": "k", "name": "..."}]}]}, ...]}
  // A duration is "2 work_hour" or {"amount": 2, "unit": "work_hour"}; a row's verify, register,
  // dispatch and check default to stage_defaults. "kind" of a category defaults to its major's.
  //
  // kInvalidArgument, with a message naming `source_name`, the entry index and code and the
  // field, for: bad JSON (line and column), unknown fields, a code that is not 5 digits or whose
  // first two digits are not a listed major class, a code given twice, a missing name, a kind
  // that differs from the major's, no deadline rows, a row without a condition when there are
  // several, a condition given twice, a duration with an unknown unit or a non-positive amount,
  // an attribute with a bad or repeated code, an unknown datatype, a list datatype without
  // values, values on a datatype that is not a list, or a value key given twice.
  static Result<CategoryCatalog> Parse(std::string_view json_text, std::string_view source_name);

  // Sorted by code.
  const std::vector<MajorClass>& major_classes() const { return majors_; }
  const std::vector<Category>& categories() const { return categories_; }
  size_t size() const { return categories_.size(); }

  // nullptr when unknown.
  const Category* Find(std::string_view code) const;
  const MajorClass* FindMajor(std::string_view major_code) const;
  // kNotFound names the code.
  Result<const Category*> Get(std::string_view code) const;

  // The categories of one major class, in code order.
  std::vector<const Category*> ListByMajor(std::string_view major_code) const;
  // The categories open to public reporting (Open311 services), in code order.
  std::vector<const Category*> PublicCategories() const;

  // The deadline row of a category for a condition (see Category::SelectDeadline);
  // kNotFound for an unknown code or condition.
  Result<const DeadlineRow*> SelectDeadline(std::string_view code,
                                            std::string_view condition) const;

 private:
  std::vector<MajorClass> majors_;
  std::vector<Category> categories_;
};

}  // namespace citygrid
