#include "src/http/open311_format.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace citygrid::http::open311 {
namespace {

TEST(Open311XmlEscapeTest, EscapesMarkupAndDropsWhatXmlCannotCarry) {
  struct Row {
    std::string in;
    std::string out;
  };
  const std::vector<Row> rows = {
      {"a<b>&\"c'", "a&lt;b&gt;&amp;&quot;c&apos;"},
      {"tab\tnl\ncr\r", "tab\tnl\ncr\r"},
      {std::string("bell\x07nul\0end", 12), "bellnulend"},
      {"垃圾 ü", "垃圾 ü"},
      {"bad \xff byte", "bad \xEF\xBF\xBD byte"},
      {"cut \xE5\x9E", "cut \xEF\xBF\xBD\xEF\xBF\xBD"},
      {"surrogate \xED\xA0\x80", "surrogate \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
      {"nonchar \xEF\xBF\xBF", "nonchar \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
  };
  for (const Row& row : rows) EXPECT_EQ(XmlEscape(row.in), row.out) << row.in;
}

TEST(Open311RenderTest, XmlNestsListsAndWritesEmptyElementsForAbsentValues) {
  Node root = Node::List("services", {Node::Object("service", {Node::String("code", "06010"),
                                                               Node::String("empty", ""),
                                                               Node::Null("none"),
                                                               Node::Bool("metadata", false)})});
  EXPECT_EQ(RenderXml(root),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<services><service><code>06010</code>"
            "<empty/><none/><metadata>false</metadata></service></services>\n");
}

TEST(Open311RenderTest, JsonKeepsPlainDecimalsAndDropsListItemNames) {
  Node root = Node::List(
      "service_requests",
      {Node::Object("request", {Node::Number("lat", 34.7031234), Node::Number("long", 113.6),
                                Node::Integer("order", 2), Node::Null("expected_datetime"),
                                Node::String("d", "say \"hi\"\n"),
                                Node::List("values", {Node::String("v", "x")})})});
  EXPECT_EQ(RenderJson(root),
            "[{\"lat\":34.7031234,\"long\":113.6,\"order\":2,\"expected_datetime\":null,"
            "\"d\":\"say \\\"hi\\\"\\n\",\"values\":[\"x\"]}]");
  EXPECT_EQ(RenderJson(Node::Object("o", {Node::Number("z", -0.0)})), "{\"z\":0}");
}

}  // namespace
}  // namespace citygrid::http::open311
