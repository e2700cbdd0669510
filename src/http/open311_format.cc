#include "src/http/open311_format.h"

#include <cmath>
#include <cstdio>

#include "citygrid/common/utf8.h"
#include "citygrid/http/error_mapping.h"

namespace citygrid::http::open311 {
namespace {

// Length of the UTF-8 sequence at s[i] that XML 1.0 may carry, or 0: a well-formed sequence
// (common/utf8.h) other than U+FFFE and U+FFFF, which are not XML characters.
size_t XmlSequenceLength(std::string_view s, size_t i) {
  const size_t len = Utf8SequenceLength(s, i);
  if (len == 3 && static_cast<unsigned char>(s[i]) == 0xEF &&
      static_cast<unsigned char>(s[i + 1]) == 0xBF &&
      (static_cast<unsigned char>(s[i + 2]) == 0xBE ||
       static_cast<unsigned char>(s[i + 2]) == 0xBF)) {
    return 0;
  }
  return len;
}

void WriteXml(const Node& node, std::string& out) {
  out += '<';
  out += node.name;
  if (node.kind == Node::Kind::kNull ||
      (node.kind == Node::Kind::kString && node.text.empty()) ||
      ((node.kind == Node::Kind::kObject || node.kind == Node::Kind::kList) &&
       node.children.empty())) {
    out += "/>";
    return;
  }
  out += '>';
  switch (node.kind) {
    case Node::Kind::kObject:
    case Node::Kind::kList:
      for (const Node& child : node.children) WriteXml(child, out);
      break;
    default:
      out += XmlEscape(node.text);
  }
  out += "</";
  out += node.name;
  out += '>';
}

void WriteJsonString(std::string_view text, std::string& out) {
  out += '"';
  out += JsonEscape(text);
  out += '"';
}

// Written by hand rather than through Boost.JSON so that numbers keep their plain decimal form
// ("34.7031", not "3.47031E1"), which some Open311 clients expect.
void WriteJson(const Node& node, std::string& out) {
  switch (node.kind) {
    case Node::Kind::kString:
      WriteJsonString(node.text, out);
      return;
    case Node::Kind::kNumber:
    case Node::Kind::kBool:
      out += node.text;
      return;
    case Node::Kind::kNull:
      out += "null";
      return;
    case Node::Kind::kObject: {
      out += '{';
      bool first = true;
      for (const Node& child : node.children) {
        if (!first) out += ',';
        first = false;
        WriteJsonString(child.name, out);
        out += ':';
        WriteJson(child, out);
      }
      out += '}';
      return;
    }
    case Node::Kind::kList: {
      out += '[';
      bool first = true;
      for (const Node& child : node.children) {
        if (!first) out += ',';
        first = false;
        WriteJson(child, out);
      }
      out += ']';
      return;
    }
  }
}

}  // namespace

std::string_view ContentType(Format format) {
  return format == Format::kXml ? "text/xml; charset=utf-8" : "application/json; charset=utf-8";
}

Node Node::String(std::string name, std::string text) {
  return Node{std::move(name), Kind::kString, std::move(text), {}};
}
Node Node::Number(std::string name, std::string text) {
  return Node{std::move(name), Kind::kNumber, std::move(text), {}};
}
Node Node::Number(std::string name, double value) {
  if (!std::isfinite(value)) return Null(std::move(name));
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.7f", value);  // 1 cm at the equator; never an exponent
  std::string text(buf);
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  if (text == "-0") text = "0";
  return Number(std::move(name), std::move(text));
}
Node Node::Integer(std::string name, long long value) {
  return Number(std::move(name), std::to_string(value));
}
Node Node::Bool(std::string name, bool value) {
  return Node{std::move(name), Kind::kBool, value ? "true" : "false", {}};
}
Node Node::Null(std::string name) { return Node{std::move(name), Kind::kNull, "", {}}; }
Node Node::Object(std::string name, std::vector<Node> fields) {
  return Node{std::move(name), Kind::kObject, "", std::move(fields)};
}
Node Node::List(std::string name, std::vector<Node> items) {
  return Node{std::move(name), Kind::kList, "", std::move(items)};
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    switch (c) {
      case '&': out += "&amp;"; ++i; continue;
      case '<': out += "&lt;"; ++i; continue;
      case '>': out += "&gt;"; ++i; continue;
      case '"': out += "&quot;"; ++i; continue;
      case '\'': out += "&apos;"; ++i; continue;
      default: break;
    }
    if (c < 0x20) {
      if (c == '\t' || c == '\n' || c == '\r') out += static_cast<char>(c);
      ++i;
      continue;
    }
    size_t len = XmlSequenceLength(text, i);
    if (len == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
      continue;
    }
    out.append(text.substr(i, len));
    i += len;
  }
  return out;
}

std::string RenderXml(const Node& root) {
  std::string out = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";
  WriteXml(root, out);
  out += '\n';
  return out;
}

std::string RenderJson(const Node& root) {
  std::string out;
  WriteJson(root, out);
  return out;
}

std::string Render(const Node& root, Format format) {
  return format == Format::kXml ? RenderXml(root) : RenderJson(root);
}

}  // namespace citygrid::http::open311
