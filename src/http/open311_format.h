#pragma once

// Private to src/http: one small document model for Open311 answers, rendered as XML (the
// spec's required format, written here with full escaping, no library) or as JSON (Boost.JSON).
//
// The XML and JSON shapes of GeoReport v2 differ in one systematic way, which the model
// captures: XML wraps lists in a named element whose items carry their own element names
// (<services><service>...</service></services>), JSON drops both names at the top level (a bare
// array) and keeps the list's name inside objects ("values": [{...}]). Scalars are elements in
// XML and typed values in JSON (numbers and booleans unquoted, absent values null).

#include <string>
#include <string_view>
#include <vector>

namespace citygrid::http::open311 {

enum class Format { kXml, kJson };

// "text/xml; charset=utf-8" / "application/json; charset=utf-8".
std::string_view ContentType(Format format);

struct Node {
  enum class Kind { kString, kNumber, kBool, kNull, kObject, kList };
  std::string name;
  Kind kind = Kind::kString;
  std::string text;            // kString: the text; kNumber: its decimal form; kBool: true/false
  std::vector<Node> children;  // kObject: fields; kList: items

  static Node String(std::string name, std::string text);
  // `text` must be a valid JSON number ("12", "34.7512").
  static Node Number(std::string name, std::string text);
  static Node Number(std::string name, double value);
  static Node Integer(std::string name, long long value);
  static Node Bool(std::string name, bool value);
  static Node Null(std::string name);
  static Node Object(std::string name, std::vector<Node> fields = {});
  static Node List(std::string name, std::vector<Node> items = {});

  Node& Add(Node child) {
    children.push_back(std::move(child));
    return children.back();
  }
};

// Escapes text for XML character data and attribute values: & < > " ' and drops characters
// XML 1.0 cannot carry (C0 controls except tab, CR, LF; invalid UTF-8 bytes become U+FFFD).
std::string XmlEscape(std::string_view text);

// <?xml version="1.0" encoding="utf-8"?> then the element tree of `root`.
std::string RenderXml(const Node& root);
// The JSON text of `root`: a kList root is a bare array, a kObject root an object.
std::string RenderJson(const Node& root);
std::string Render(const Node& root, Format format);

}  // namespace citygrid::http::open311
