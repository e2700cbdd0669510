#include "src/http/open311_format.h"

#include <boost/json.hpp>

#include <cmath>
#include <cstdio>

namespace citygrid::http::open311 {
namespace {

namespace bj = boost::json;

// Length of the valid UTF-8 sequence at s[i], or 0 when it is not one.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  }
  if (len == 2 && c < 0xC2) return 0;  // overlong
  if (len == 3) {
    unsigned char c1 = static_cast<unsigned char>(s[i + 1]);
    if (c == 0xE0 && c1 < 0xA0) return 0;  // overlong
    if (c == 0xED && c1 >= 0xA0) return 0;  // surrogates
    if (c == 0xEF && c1 == 0xBF &&
        (static_cast<unsigned char>(s[i + 2]) == 0xBE ||
         static_cast<unsigned char>(s[i + 2]) == 0xBF)) {
      return 0;  // U+FFFE, U+FFFF are not XML characters
    }
  }
  if (len == 4) {
    unsigned char c1 = static_cast<unsigned char>(s[i + 1]);
    if (c == 0xF0 && c1 < 0x90) return 0;
    if (c > 0xF4 || (c == 0xF4 && c1 >= 0x90)) return 0;
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

bj::value ToJson(const Node& node) {
  switch (node.kind) {
    case Node::Kind::kString:
      return bj::value(node.text);
    case Node::Kind::kNumber: {
      boost::system::error_code ec;
      bj::value v = bj::parse(node.text, ec);
      return ec ? bj::value(node.text) : v;
    }
    case Node::Kind::kBool:
      return bj::value(node.text == "true");
    case Node::Kind::kNull:
      return bj::value(nullptr);
    case Node::Kind::kObject: {
      bj::object o;
      for (const Node& child : node.children) o[child.name] = ToJson(child);
      return o;
    }
    case Node::Kind::kList: {
      bj::array a;
      for (const Node& child : node.children) a.push_back(ToJson(child));
      return a;
    }
  }
  return nullptr;
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
  std::snprintf(buf, sizeof buf, "%.8g", value);
  return Number(std::move(name), std::string(buf));
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
    size_t len = Utf8SequenceLength(text, i);
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

std::string RenderJson(const Node& root) { return bj::serialize(ToJson(root)); }

std::string Render(const Node& root, Format format) {
  return format == Format::kXml ? RenderXml(root) : RenderJson(root);
}

}  // namespace citygrid::http::open311
