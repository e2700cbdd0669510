// The Open311 GeoReport v2 server against a real in-process server: every endpoint in XML
// (parsed with libxml2) and JSON (Boost.JSON), the FixMyStreet flow, filters, extensions, tokens,
// rate limits and the spec's errors.

#include "citygrid/http/open311_routes.h"

#include <gtest/gtest.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include <boost/json.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "citygrid/domain/case_state_machine.h"
#include "citygrid/http/router.h"
#include "citygrid/service/open311_api_keys.h"
#include "tests/testing/api_fixture.h"
#include "tests/testing/images.h"

namespace citygrid::http {
namespace {

using citygrid::testing::ApiBackend;
using citygrid::testing::ApiFixture;
using citygrid::testing::ApiFixtureOptions;
using citygrid::testing::HttpHeaderList;
using citygrid::testing::HttpResponse;

// ---- a minimal DOM over libxml2

struct XmlElement {
  std::string name;
  std::string text;
  std::vector<XmlElement> children;

  const XmlElement* Child(const std::string& n) const {
    for (const XmlElement& c : children) {
      if (c.name == n) return &c;
    }
    return nullptr;
  }
  std::string ChildText(const std::string& n) const {
    const XmlElement* c = Child(n);
    return c ? c->text : "<missing " + n + ">";
  }
  std::vector<const XmlElement*> All(const std::string& n) const {
    std::vector<const XmlElement*> out;
    for (const XmlElement& c : children) {
      if (c.name == n) out.push_back(&c);
    }
    return out;
  }
};

// Parses `text` with libxml2 (no network, no entity expansion, no DTD loading); ADD_FAILURE and
// an empty element when it is not well-formed. Text children are concatenated into `text`.
XmlElement FromNode(const xmlNode* node) {
  XmlElement e;
  e.name = reinterpret_cast<const char*>(node->name);
  for (const xmlNode* c = node->children; c != nullptr; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) {
      e.children.push_back(FromNode(c));
    } else if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
               c->content != nullptr) {
      e.text += reinterpret_cast<const char*>(c->content);
    }
  }
  return e;
}

XmlElement ParseXml(const std::string& text) {
  xmlDocPtr doc = xmlReadMemory(text.data(), static_cast<int>(text.size()), "response.xml",
                                nullptr, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (doc == nullptr) {
    const xmlError* error = xmlGetLastError();
    ADD_FAILURE() << "not well-formed XML: " << (error && error->message ? error->message : "?")
                  << " at line " << (error ? error->line : 0) << ": " << text;
    return {};
  }
  // The declaration says UTF-8 and the document is that.
  EXPECT_NE(doc->encoding, nullptr);
  if (doc->encoding != nullptr) {
    EXPECT_STRCASEEQ(reinterpret_cast<const char*>(doc->encoding), "UTF-8");
  }
  const xmlNode* root = xmlDocGetRootElement(doc);
  XmlElement out = root ? FromNode(root) : XmlElement{};
  xmlFreeDoc(doc);
  return out;
}

boost::json::value ParseJson(const std::string& text) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  EXPECT_FALSE(ec) << "not JSON: " << text;
  return v;
}

std::string S(const boost::json::value& v) {
  return v.is_string() ? std::string(v.get_string()) : "<not a string>";
}

std::string FormEncode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

using Form = std::vector<std::pair<std::string, std::string>>;

std::string Encode(const Form& form) {
  std::string body;
  for (const auto& [k, v] : form) {
    if (!body.empty()) body += '&';
    body += FormEncode(k) + "=" + FormEncode(v);
  }
  return body;
}

const HttpHeaderList kFormHeaders = {{"Content-Type", "application/x-www-form-urlencoded"}};

// Every test runs on SQLite and on PostgreSQL (skipped without $CITYGRID_TEST_POSTGRES_DSN).
class Open311Test : public ::testing::TestWithParam<ApiBackend> {
 protected:
  static ApiFixtureOptions Options() {
    ApiFixtureOptions o;
    o.backend = GetParam();
    return o;
  }

  void SetUp() override {
    CITYGRID_API_FIXTURE_READY_OR_SKIP(api_);
    service::ApiKeyService keys(api_.store().documents(), api_.clock());
    Result<service::ApiKey> k = keys.Add("fixmystreet", &key_);
    ASSERT_TRUE(k.ok()) << k.status().ToString();
  }

  // A valid report of exposed garbage (06010) inside the test district.
  Form Report(const std::string& description = "路边垃圾堆积 <无人> & 清理") {
    return {{"api_key", key_},       {"service_code", "06010"},
            {"lat", "34.703"},       {"long", "113.607"},
            {"description", description}, {"first_name", "三"},
            {"last_name", "张"},     {"phone", "13812341234"},
            {"email", "z@example.com"}, {"address_string", "建中街12号"}};
  }

  HttpResponse Post(const std::string& path, const Form& form) {
    return api_.client().Post(path, Encode(form), kFormHeaders);
  }

  // POSTs `form` to requests.xml and returns the new id ("" and a failure otherwise).
  std::string Create(const Form& form) {
    HttpResponse r = Post("/open311/v2/requests.xml", form);
    EXPECT_EQ(r.status, 200) << r.body;
    XmlElement root = ParseXml(r.body);
    EXPECT_EQ(root.name, "service_requests");
    const XmlElement* request = root.Child("request");
    if (request == nullptr) {
      ADD_FAILURE() << r.body;
      return "";
    }
    return request->ChildText("service_request_id");
  }

  // The single error of an error response in `format` ("xml"/"json") as "code: description".
  std::pair<std::string, std::string> Error(const HttpResponse& r, const std::string& format) {
    if (format == "xml") {
      EXPECT_EQ(r.Header("Content-Type"), "text/xml; charset=utf-8");
      XmlElement root = ParseXml(r.body);
      EXPECT_EQ(root.name, "errors") << r.body;
      const XmlElement* e = root.Child("error");
      if (e == nullptr) return {"", ""};
      return {e->ChildText("code"), e->ChildText("description")};
    }
    EXPECT_EQ(r.Header("Content-Type"), "application/json; charset=utf-8");
    boost::json::value v = ParseJson(r.body);
    if (!v.is_array() || v.get_array().empty()) {
      ADD_FAILURE() << "errors must be a JSON array: " << r.body;
      return {"", ""};
    }
    const boost::json::object& e = v.get_array()[0].get_object();
    return {std::to_string(e.at("code").to_number<int>()), S(e.at("description"))};
  }

  // Moves a case through the workflow as admin.
  void Act(const std::string& number, Action action, ActionParams params = {},
           const std::string& note = "") {
    Result<service::CaseDetail> now = api_.cases().Get(kAdmin, number);
    ASSERT_TRUE(now.ok()) << now.status().ToString();
    service::ActRequest act;
    act.action = action;
    act.expected_version = now->record.version;
    act.params = params;
    act.note = note;
    Result<service::CaseDetail> done = api_.cases().Act(kAdmin, number, act);
    ASSERT_TRUE(done.ok()) << Name(action) << ": " << done.status().ToString();
  }

  const Actor kAdmin{"admin", Role::kAdmin, ""};
  ApiFixture api_{Options()};
  std::string key_;
};

TEST_P(Open311Test, DiscoveryInBothFormats) {
  HttpResponse x = api_.client().Get("/open311/v2/discovery.xml");
  ASSERT_EQ(x.status, 200) << x.body;
  EXPECT_EQ(x.Header("Content-Type"), "text/xml; charset=utf-8");
  XmlElement root = ParseXml(x.body);
  EXPECT_EQ(root.name, "discovery");
  const XmlElement* endpoint = root.Child("endpoints")->Child("endpoint");
  ASSERT_NE(endpoint, nullptr);
  EXPECT_EQ(endpoint->ChildText("specification"), "http://wiki.open311.org/GeoReport_v2");
  EXPECT_NE(endpoint->ChildText("url").find("/open311/v2"), std::string::npos);
  EXPECT_EQ(endpoint->Child("formats")->All("format").size(), 2u);

  HttpResponse j = api_.client().Get("/open311/v2/discovery.json");
  ASSERT_EQ(j.status, 200) << j.body;
  EXPECT_EQ(j.Header("Content-Type"), "application/json; charset=utf-8");
  boost::json::object o = ParseJson(j.body).as_object();
  EXPECT_EQ(S(o["endpoints"].as_array()[0].as_object()["specification"]),
            "http://wiki.open311.org/GeoReport_v2");
  EXPECT_EQ(o["endpoints"].as_array()[0].as_object()["formats"].as_array().size(), 2u);
  EXPECT_FALSE(S(o["key_service"]).empty());
}

TEST_P(Open311Test, ServicesAreThePublicCategoriesInBothFormats) {
  std::shared_ptr<const service::ReferenceData> data = api_.reference().Get();
  const size_t public_count = data->categories->PublicCategories().size();
  ASSERT_LT(public_count, data->categories->size()) << "the shipped data has private categories";

  XmlElement root = ParseXml(api_.client().Get("/open311/v2/services.xml").body);
  EXPECT_EQ(root.name, "services");
  std::vector<const XmlElement*> services = root.All("service");
  EXPECT_EQ(services.size(), public_count);
  bool saw_parking = false;
  for (const XmlElement* s : services) {
    const Category* c = data->categories->Find(s->ChildText("service_code"));
    ASSERT_NE(c, nullptr);
    EXPECT_TRUE(c->is_public) << c->code;
    EXPECT_EQ(s->ChildText("service_name"), c->name);
    EXPECT_EQ(s->ChildText("type"), "realtime");
    EXPECT_EQ(s->ChildText("metadata"), c->attributes.empty() ? "false" : "true");
    EXPECT_EQ(s->ChildText("group"), data->categories->FindMajor(c->major_code())->name);
    saw_parking = saw_parking || c->code == "09009";
  }
  EXPECT_TRUE(saw_parking);

  boost::json::value j = ParseJson(api_.client().Get("/open311/v2/services.json").body);
  ASSERT_TRUE(j.is_array());
  EXPECT_EQ(j.get_array().size(), public_count);
  for (const boost::json::value& s : j.get_array()) {
    if (S(s.at("service_code")) == "09009") {
      EXPECT_EQ(s.at("metadata"), boost::json::value(true));
      EXPECT_EQ(S(s.at("group")), "街面秩序类");
    }
  }
}

TEST_P(Open311Test, ServiceDefinitionListsAttributesAndValuesInBothFormats) {
  XmlElement def = ParseXml(api_.client().Get("/open311/v2/services/09009.xml").body);
  EXPECT_EQ(def.name, "service_definition");
  EXPECT_EQ(def.ChildText("service_code"), "09009");
  std::vector<const XmlElement*> attrs = def.Child("attributes")->All("attribute");
  ASSERT_EQ(attrs.size(), 2u);
  EXPECT_EQ(attrs[0]->ChildText("code"), "plate");
  EXPECT_EQ(attrs[0]->ChildText("datatype"), "string");
  EXPECT_EQ(attrs[0]->ChildText("required"), "false");
  EXPECT_EQ(attrs[1]->ChildText("code"), "blocking");
  EXPECT_EQ(attrs[1]->ChildText("datatype"), "multivaluelist");
  EXPECT_EQ(attrs[1]->ChildText("required"), "true");
  EXPECT_EQ(attrs[1]->ChildText("order"), "2");
  std::vector<const XmlElement*> values = attrs[1]->Child("values")->All("value");
  ASSERT_EQ(values.size(), 4u);
  EXPECT_EQ(values[1]->ChildText("key"), "fire_lane");

  boost::json::value j = ParseJson(api_.client().Get("/open311/v2/services/09009.json").body);
  const boost::json::array& ja = j.at("attributes").as_array();
  ASSERT_EQ(ja.size(), 2u);
  EXPECT_EQ(S(ja[1].at("values").as_array()[0].at("key")), "sidewalk");
  EXPECT_EQ(ja[1].at("variable"), boost::json::value(true));
  EXPECT_EQ(ja[1].at("order").to_number<int>(), 2);
}

TEST_P(Open311Test, UnknownServiceIs404InTheFormatAsked) {
  for (std::string format : {"xml", "json"}) {
    HttpResponse r = api_.client().Get("/open311/v2/services/99999." + format);
    EXPECT_EQ(r.status, 404) << format;
    auto [code, description] = Error(r, format);
    EXPECT_EQ(code, "404");
    EXPECT_NE(description.find("99999"), std::string::npos) << description;
  }
  // A private category is no service either.
  std::shared_ptr<const service::ReferenceData> data = api_.reference().Get();
  for (const Category& c : data->categories->categories()) {
    if (!c.is_public) {
      EXPECT_EQ(api_.client().Get("/open311/v2/services/" + c.code + ".xml").status, 404);
      Form f = Report();
      f[1].second = c.code;
      EXPECT_EQ(Post("/open311/v2/requests.json", f).status, 404);
      break;
    }
  }
  EXPECT_EQ(api_.client().Get("/open311/v2/services.html").status, 404);
  EXPECT_EQ(api_.CountCases(), 0);
}

TEST_P(Open311Test, FixMyStreetFlowFromPostToClosedWithUpdates) {
  // services → POST requests (form-encoded) → GET requests/{id} → updates GET/POST.
  ASSERT_EQ(api_.client().Get("/open311/v2/services.xml").status, 200);
  std::string id = Create(Report());
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(api_.CountCases(), 1);

  XmlElement got = ParseXml(api_.client().Get("/open311/v2/requests/" + id + ".xml").body);
  const XmlElement* request = got.Child("request");
  ASSERT_NE(request, nullptr);
  EXPECT_EQ(request->ChildText("service_request_id"), id);
  EXPECT_EQ(request->ChildText("status"), "open");
  EXPECT_EQ(request->ChildText("service_code"), "06010");
  EXPECT_EQ(request->ChildText("service_name"), "暴露垃圾");
  EXPECT_EQ(request->ChildText("description"), "路边垃圾堆积 <无人> & 清理");
  EXPECT_EQ(request->ChildText("address"), "建中街12号");
  EXPECT_EQ(request->ChildText("requested_datetime"), "2026-03-10T09:30:00+08:00");
  EXPECT_NEAR(std::stod(request->ChildText("lat")), 34.703, 1e-6);
  EXPECT_NEAR(std::stod(request->ChildText("long")), 113.607, 1e-6);
  EXPECT_FALSE(request->ChildText("agency_responsible").empty());
  // The case is on the open311 channel and keeps the reporter.
  Result<service::CaseDetail> detail = api_.cases().Get(kAdmin, id);
  ASSERT_TRUE(detail.ok());
  EXPECT_EQ(detail->record.channel, Channel::kOpen311);
  EXPECT_EQ(detail->record.reporter.name, "张三");
  EXPECT_EQ(detail->record.reporter.phone, "13812341234");

  // A citizen's follow-up.
  api_.clock().Advance(std::chrono::minutes(5));
  HttpResponse posted = Post("/open311/v2/servicerequestupdates.xml",
                             {{"api_key", key_},
                              {"service_request_id", id},
                              {"description", "还没有清理"},
                              {"media_url", "https://example.com/a.jpg"},
                              {"updated_datetime", "2026-03-10T01:35:00Z"},
                              {"status", "OPEN"}});
  ASSERT_EQ(posted.status, 200) << posted.body;
  XmlElement pu = ParseXml(posted.body);
  std::string update_id = pu.Child("request_update")->ChildText("update_id");
  EXPECT_FALSE(update_id.empty());
  detail = api_.cases().Get(kAdmin, id);
  ASSERT_TRUE(detail.ok());
  EXPECT_EQ(detail->history.back().action, Action::kComment);
  EXPECT_EQ(detail->history.back().note, "还没有清理");
  EXPECT_EQ(detail->record.state, CaseState::kReported);

  // The workflow runs; the request closes; updates carry the extended statuses.
  api_.clock().Advance(std::chrono::minutes(5));
  ActionParams valid;
  valid.valid = true;
  Act(id, Action::kVerify, valid);
  Act(id, Action::kRegister);
  Act(id, Action::kDispatch);
  Act(id, Action::kAccept);
  ActionParams result;
  result.result = "已清运";
  Act(id, Action::kFeedback, result);
  Act(id, Action::kCheckPass);
  XmlElement mid = ParseXml(api_.client().Get("/open311/v2/requests/" + id + ".xml").body);
  EXPECT_EQ(mid.Child("request")->ChildText("status"), "open");
  Act(id, Action::kClose);

  for (std::string format : {"xml", "json"}) {
    HttpResponse r = api_.client().Get("/open311/v2/requests/" + id + "." + format);
    ASSERT_EQ(r.status, 200) << r.body;
    if (format == "xml") {
      EXPECT_EQ(ParseXml(r.body).Child("request")->ChildText("status"), "closed");
    } else {
      boost::json::value v = ParseJson(r.body);
      EXPECT_EQ(S(v.at(0).at("status")), "closed");
      EXPECT_EQ(S(v.at(0).at("service_request_id")), id);
    }
  }

  HttpResponse updates = api_.client().Get(
      "/open311/v2/servicerequestupdates.xml?start_date=2026-03-10T00:00:00%2B08:00"
      "&end_date=2026-03-10T23:59:59%2B08:00");
  ASSERT_EQ(updates.status, 200) << updates.body;
  XmlElement ur = ParseXml(updates.body);
  EXPECT_EQ(ur.name, "service_requests_updates");
  std::vector<std::string> statuses;
  std::string comment_media;
  for (const XmlElement* u : ur.All("request_update")) {
    EXPECT_EQ(u->ChildText("service_request_id"), id);
    statuses.push_back(u->ChildText("status"));
    if (u->ChildText("update_id") == update_id) comment_media = u->ChildText("media_url");
  }
  // created, the citizen's comment (keeps the status), verify, register, dispatch, accept,
  // feedback, check_pass, close.
  EXPECT_EQ(statuses,
            (std::vector<std::string>{"OPEN", "OPEN", "INVESTIGATING", "ACTION_SCHEDULED",
                                      "ACTION_SCHEDULED", "IN_PROGRESS", "IN_PROGRESS",
                                      "IN_PROGRESS", "FIXED"}));
  EXPECT_EQ(comment_media, "https://example.com/a.jpg");

  boost::json::value ju = ParseJson(
      api_.client()
          .Get("/open311/v2/servicerequestupdates.json?start_date=2026-03-10T01:00:00Z")
          .body);
  ASSERT_TRUE(ju.is_array());
  EXPECT_EQ(ju.get_array().size(), statuses.size());
  EXPECT_EQ(S(ju.get_array().back().at("status")), "FIXED");
}

TEST_P(Open311Test, MultivaluelistAttributesAndRepeatedMediaUrls) {
  Form f = Report("占用消防通道");
  f[1].second = "09009";
  f.emplace_back("attribute[plate]", "豫A12345");
  f.emplace_back("attribute[blocking][]", "sidewalk");
  f.emplace_back("attribute[blocking][]", "fire_lane");
  f.emplace_back("media_url", "https://example.com/1.jpg");
  f.emplace_back("media_url", "https://example.com/2.jpg");
  std::string id = Create(f);
  ASSERT_FALSE(id.empty());

  XmlElement x =
      ParseXml(api_.client().Get("/open311/v2/requests/" + id + ".xml?extensions=true").body);
  const XmlElement* r = x.Child("request");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->ChildText("media_url"), "https://example.com/1.jpg");
  std::vector<std::string> answers;
  for (const XmlElement* a : r->Child("attributes")->All("attribute")) {
    answers.push_back(a->ChildText("code") + "=" + a->ChildText("value"));
  }
  EXPECT_EQ(answers, (std::vector<std::string>{"plate=豫A12345", "blocking=sidewalk",
                                               "blocking=fire_lane"}));
  const XmlElement* ext = r->Child("extended_attributes");
  ASSERT_NE(ext, nullptr);
  EXPECT_EQ(ext->ChildText("channel"), "open311");
  EXPECT_EQ(ext->Child("media_urls")->All("media_url").size(), 2u);
  EXPECT_EQ(r->Child("notes")->All("note").size(), 1u);  // created

  boost::json::value j =
      ParseJson(api_.client().Get("/open311/v2/requests/" + id + ".json?extensions=true").body);
  EXPECT_EQ(j.at(0).at("attributes").as_array().size(), 3u);
  EXPECT_EQ(S(j.at(0).at("extended_attributes").at("extended_status")), "OPEN");
  // Without extensions the extra fields are absent.
  boost::json::value plain =
      ParseJson(api_.client().Get("/open311/v2/requests/" + id + ".json").body);
  EXPECT_FALSE(plain.at(0).as_object().contains("attributes"));
}

TEST_P(Open311Test, BadAttributesAre400AndCreateNothing) {
  struct Case {
    const char* name;
    Form extra;
    const char* expect;
  };
  const std::vector<Case> cases = {
      {"required missing", {{"attribute[plate]", "豫A1"}}, "attribute[blocking] is required"},
      {"value not in list", {{"attribute[blocking][]", "roof"}}, "'roof' is not one of"},
      {"unknown code", {{"attribute[blocking][]", "sidewalk"}, {"attribute[colour]", "red"}},
       "has no attribute 'colour'"},
  };
  for (const Case& c : cases) {
    Form f = Report();
    f[1].second = "09009";
    for (const auto& e : c.extra) f.push_back(e);
    HttpResponse r = Post("/open311/v2/requests.json", f);
    EXPECT_EQ(r.status, 400) << c.name << ": " << r.body;
    EXPECT_NE(Error(r, "json").second.find(c.expect), std::string::npos) << c.name << r.body;
  }
  EXPECT_EQ(api_.CountCases(), 0);
}

TEST_P(Open311Test, DescriptionOver4000CharactersIs400AndCreatesNothing) {
  std::string at_limit;
  for (int i = 0; i < 4000; ++i) at_limit += "垃";
  std::string over = at_limit + "x";
  for (std::string format : {"xml", "json"}) {
    HttpResponse r = Post("/open311/v2/requests." + format, Report(over));
    EXPECT_EQ(r.status, 400) << r.body;
    auto [code, description] = Error(r, format);
    EXPECT_EQ(code, "400");
    EXPECT_NE(description.find("4001 characters"), std::string::npos) << description;
  }
  EXPECT_EQ(api_.CountCases(), 0);
  // Exactly 4,000 characters (12,000 bytes) is accepted.
  EXPECT_FALSE(Create(Report(at_limit)).empty());
  EXPECT_EQ(api_.CountCases(), 1);
}

TEST_P(Open311Test, BadApiKeyIs403InTheFormatAskedAndCreatesNothing) {
  Form bad = Report();
  bad[0].second = "0000";
  Form missing = Report();
  missing[0].second = "";
  for (std::string format : {"xml", "json"}) {
    HttpResponse r = Post("/open311/v2/requests." + format, bad);
    EXPECT_EQ(r.status, 403) << r.body;
    auto [code, description] = Error(r, format);
    EXPECT_EQ(code, "403");
    EXPECT_EQ(description, "api_key is not valid");
    HttpResponse m = Post("/open311/v2/requests." + format, missing);
    EXPECT_EQ(m.status, 403);
    EXPECT_EQ(Error(m, format).second, "api_key is missing");
    HttpResponse u = Post("/open311/v2/servicerequestupdates." + format,
                          {{"api_key", "nope"}, {"service_request_id", "20260310-000001"},
                           {"description", "x"}});
    EXPECT_EQ(u.status, 403);
  }
  service::ApiKeyService keys(api_.store().documents(), api_.clock());
  ASSERT_TRUE(keys.Revoke("fixmystreet").ok());
  HttpResponse revoked = Post("/open311/v2/requests.xml", Report());
  EXPECT_EQ(revoked.status, 403);
  EXPECT_EQ(Error(revoked, "xml").second, "api_key 'fixmystreet' is revoked");
  EXPECT_EQ(api_.CountCases(), 0);
}

TEST_P(Open311Test, BadInputGetsTheSpecsErrorAndCreatesNothing) {
  struct Case {
    const char* name;
    std::string key;
    std::string value;
    int status;
    const char* expect;
  };
  const std::vector<Case> cases = {
      {"unknown service", "service_code", "99999", 404, "99999"},
      {"no service", "service_code", "", 400, "service_code is missing"},
      {"no location", "lat", "", 400, "lat is missing"},
      {"bad lat", "lat", "north", 400, "lat 'north'"},
      {"outside district", "lat", "30.0", 400, "outside district"},
      {"unknown jurisdiction", "jurisdiction_id", "nyc.gov", 404, "nyc.gov"},
      {"bad media_url", "media_url", "ftp://x/y.jpg", 400, "not an http(s) URL"},
      {"long media_url", "media_url", "https://e.com/" + std::string(5000, 'a'), 400,
       "media_url is too long (5014 bytes; at most 2048)"},
      {"media_url without host", "media_url", "https:///y.jpg", 400, "has no host"},
      {"media_url with port, no host", "media_url", "http://:80/a", 400, "has no host"},
      {"media_url with user, no host", "media_url", "http://user@/a", 400, "has no host"},
      {"media_url with query, no host", "media_url", "https://?a=1", 400, "has no host"},
      {"media_url with a C1 control", "media_url", "https://e.com/a\u0085b.jpg", 400,
       "control character"},
      {"media_url with a space", "media_url", "https://e.com/a b.jpg", 400, "holds a space"},
  };
  for (const Case& c : cases) {
    Form f = Report();
    bool replaced = false;
    for (auto& [k, v] : f) {
      if (k == c.key) {
        v = c.value;
        replaced = true;
      }
    }
    if (!replaced) f.emplace_back(c.key, c.value);
    for (std::string format : {"xml", "json"}) {
      HttpResponse r = Post("/open311/v2/requests." + format, f);
      EXPECT_EQ(r.status, c.status) << c.name << ": " << r.body;
      auto [code, description] = Error(r, format);
      EXPECT_EQ(code, std::to_string(c.status)) << c.name;
      EXPECT_NE(description.find(c.expect), std::string::npos) << c.name << ": " << description;
    }
  }
  // An address_string that names nothing of the district, with no lat/long.
  Form nowhere = Report();
  nowhere[2].second = "";
  nowhere[3].second = "";
  nowhere.back().second = "火星路1号";
  for (std::string format : {"xml", "json"}) {
    HttpResponse r = Post("/open311/v2/requests." + format, nowhere);
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(Error(r, format).second.find("address_string '火星路1号' names no road"),
              std::string::npos);
  }
  // The jurisdiction of the district is accepted.
  Form ok = Report();
  ok.emplace_back("jurisdiction_id", "410103");
  EXPECT_EQ(api_.CountCases(), 0);
  EXPECT_FALSE(Create(ok).empty());
}

// Errors found before an endpoint runs are the spec's error document too, in the format the
// path asks for: a method the path does not take, a body over the limit.
TEST_P(Open311Test, ErrorsBeforeTheEndpointAreSpecErrorsToo) {
  for (std::string format : {"xml", "json"}) {
    HttpResponse put = api_.client().Put("/open311/v2/requests." + format, "x", kFormHeaders);
    EXPECT_EQ(put.status, 405) << put.body;
    EXPECT_EQ(put.Header("Allow"), "GET, HEAD, POST") << put.body;
    auto [code, description] = Error(put, format);
    EXPECT_EQ(code, "405");
    EXPECT_NE(description.find("method PUT is not allowed"), std::string::npos) << description;

    citygrid::testing::HttpClient big("127.0.0.1", api_.port());
    ASSERT_TRUE(big.Connect());
    ASSERT_TRUE(big.SendRaw("POST /open311/v2/requests." + format +
                            " HTTP/1.1\r\nHost: x\r\n"
                            "Content-Type: application/x-www-form-urlencoded\r\n"
                            "Content-Length: 999999999\r\n\r\n"));
    HttpResponse too_big = big.ReadResponse();
    EXPECT_EQ(too_big.status, 413) << too_big.body;
    auto [big_code, big_description] = Error(too_big, format);
    EXPECT_EQ(big_code, "413");
    EXPECT_NE(big_description.find("request body exceeds the limit"), std::string::npos);
  }
  // The REST API keeps its own JSON errors.
  HttpResponse rest = api_.client().Put("/api/v1/healthz-nope", "x");
  EXPECT_NE(rest.body.find("\"error\""), std::string::npos) << rest.body;
}

TEST_P(Open311Test, UnknownRequestAndBadDatesAreSpecErrors) {
  for (std::string format : {"xml", "json"}) {
    HttpResponse r = api_.client().Get("/open311/v2/requests/20260310-999999." + format);
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(Error(r, format).first, "404");
    HttpResponse junk = api_.client().Get("/open311/v2/requests/not-a-number." + format);
    EXPECT_EQ(junk.status, 404);
    HttpResponse bad = api_.client().Get("/open311/v2/requests." + format +
                                         "?start_date=yesterday");
    EXPECT_EQ(bad.status, 400);
    EXPECT_NE(Error(bad, format).second.find("start_date 'yesterday'"), std::string::npos);
    HttpResponse naive = api_.client().Get("/open311/v2/requests." + format +
                                           "?start_date=2026-03-10T09:00:00");
    EXPECT_EQ(naive.status, 400) << "a time without offset is ambiguous";
    HttpResponse status = api_.client().Get("/open311/v2/requests." + format + "?status=done");
    EXPECT_EQ(status.status, 400);
    HttpResponse updates = api_.client().Get("/open311/v2/servicerequestupdates." + format +
                                             "?end_date=2026-13-01T00:00:00Z");
    EXPECT_EQ(updates.status, 400);
    HttpResponse comment = Post("/open311/v2/servicerequestupdates." + format,
                                {{"api_key", key_},
                                 {"service_request_id", "20260310-999999"},
                                 {"description", "x"}});
    EXPECT_EQ(comment.status, 404);
  }
}

TEST_P(Open311Test, RequestsFilterByDateStatusCodeAndIds) {
  // Three cases: day 1 (06010), day 2 (09009), day 3 (06010, later closed).
  std::string a = Create(Report("一"));
  api_.clock().Advance(std::chrono::hours(24));
  Form parking = Report("二");
  parking[1].second = "09009";
  parking.emplace_back("attribute[blocking]", "sidewalk");
  std::string b = Create(parking);
  api_.clock().Advance(std::chrono::hours(24));
  std::string c = Create(Report("三"));
  ASSERT_FALSE(a.empty() || b.empty() || c.empty());
  Act(c, Action::kCancel, {}, "重复上报");

  auto ids = [&](const std::string& query) {
    HttpResponse r = api_.client().Get("/open311/v2/requests.xml" + query);
    EXPECT_EQ(r.status, 200) << query << ": " << r.body;
    std::vector<std::string> out;
    const XmlElement root = ParseXml(r.body);
    for (const XmlElement* e : root.All("request")) {
      out.push_back(e->ChildText("service_request_id"));
    }
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(ids(""), (V{c, b, a}));  // newest first
  EXPECT_EQ(ids("?status=open"), (V{b, a}));
  EXPECT_EQ(ids("?status=closed"), (V{c}));
  EXPECT_EQ(ids("?service_code=06010"), (V{c, a}));
  EXPECT_EQ(ids("?service_code=09009,06010"), (V{c, b, a}));
  // Day 2 only, with Z and with an offset.
  EXPECT_EQ(ids("?start_date=2026-03-11T00:00:00Z&end_date=2026-03-11T12:00:00Z"), (V{b}));
  EXPECT_EQ(ids("?start_date=2026-03-11T09:30:00%2B08:00&end_date=2026-03-11T09:30:00%2B08:00"),
            (V{b}));
  EXPECT_EQ(ids("?start_date=2026-03-11T00:00:00Z"), (V{c, b}));
  // service_request_id overrides the other filters; unknown ids are left out.
  EXPECT_EQ(ids("?service_request_id=" + a + "," + c + ",20990101-000001&status=open"),
            (V{a, c}));
  // Empty parameters are absent.
  EXPECT_EQ(ids("?status=&service_code=&start_date=&jurisdiction_id="), (V{c, b, a}));
  // Paging.
  EXPECT_EQ(ids("?page_size=2"), (V{c, b}));
  EXPECT_EQ(ids("?page_size=2&page=2"), (V{a}));
  EXPECT_EQ(ids("?page_size=2&page=3"), V{});
  EXPECT_EQ(api_.client().Get("/open311/v2/requests.xml?page_size=1001").status, 400);
  EXPECT_EQ(api_.client().Get("/open311/v2/requests.json?page=0").status, 400);

  // The closed one carries its reason as status_notes.
  XmlElement closed = ParseXml(api_.client().Get("/open311/v2/requests/" + c + ".xml").body);
  EXPECT_EQ(closed.Child("request")->ChildText("status_notes"), "已作废：重复上报");
}

TEST_P(Open311Test, DefaultWindowIsTheLast90Days) {
  std::string old = Create(Report("旧"));
  api_.clock().Advance(std::chrono::hours(24 * 91));
  std::string recent = Create(Report("新"));
  auto count = [&](const std::string& query) {
    boost::json::value v =
        ParseJson(api_.client().Get("/open311/v2/requests.json" + query).body);
    return v.is_array() ? v.get_array().size() : 0u;
  };
  EXPECT_EQ(count(""), 1u);
  EXPECT_EQ(count("?start_date=2026-03-01T00:00:00Z"), 2u);
  // An id is found whatever its age.
  EXPECT_EQ(count("?service_request_id=" + old), 1u);
}

TEST_P(Open311Test, MultipartPostWithAPhoto) {
  const std::string png = citygrid::testing::TinyPng();
  std::string body;
  auto field = [&](const std::string& name, const std::string& value) {
    body += "--XyZ\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value +
            "\r\n";
  };
  for (const auto& [k, v] : Report("多部分表单")) field(k, v);
  body += "--XyZ\r\nContent-Disposition: form-data; name=\"media\"; filename=\"a.png\"\r\n"
          "Content-Type: image/png\r\n\r\n" + png + "\r\n--XyZ--\r\n";
  HttpResponse r = api_.client().Post("/open311/v2/requests.json", body,
                                      {{"Content-Type", "multipart/form-data; boundary=XyZ"}});
  ASSERT_EQ(r.status, 200) << r.body;
  std::string id = S(ParseJson(r.body).at(0).at("service_request_id"));
  Result<service::CaseDetail> d = api_.cases().Get(kAdmin, id);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->record.description, "多部分表单");
  ASSERT_EQ(d->record.photos.size(), 1u);
  boost::json::value j =
      ParseJson(api_.client().Get("/open311/v2/requests/" + id + ".json?extensions=true").body);
  EXPECT_EQ(S(j.at(0).at("extended_attributes").at("photos").at(0)), d->record.photos[0]);
}

TEST_P(Open311Test, FormBodiesMayCarryUnencodedBrackets) {
  // curl --data-urlencode 'attribute[blocking][]=fire_lane' encodes the value only.
  Form f = Report("括号");
  f.erase(f.begin() + 1);  // service_code comes from the raw part
  const std::string body = Encode(f) +
                           "&service_code=09009&attribute[blocking][]=fire_lane"
                           "&attribute[plate]=%E8%B1%ABA1";
  HttpResponse r = api_.client().Post("/open311/v2/requests.json", body, kFormHeaders);
  ASSERT_EQ(r.status, 200) << r.body;
  std::string id = S(ParseJson(r.body).at(0).at("service_request_id"));
  boost::json::value j =
      ParseJson(api_.client().Get("/open311/v2/requests/" + id + ".json?extensions=true").body);
  EXPECT_EQ(S(j.at(0).at("attributes").at(1).at("value")), "豫A1");
  HttpResponse bad = api_.client().Post("/open311/v2/requests.xml", body + "&x=%zz", kFormHeaders);
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(Error(bad, "xml").second.find("bad percent-encoding"), std::string::npos);
  // A description in another encoding (GBK's 中) is refused, not stored as broken text.
  HttpResponse gbk =
      api_.client().Post("/open311/v2/requests.json", body + "&description=%D6%D0", kFormHeaders);
  EXPECT_EQ(gbk.status, 400);
  EXPECT_NE(Error(gbk, "json").second.find("is not UTF-8 once percent-decoded"), std::string::npos)
      << gbk.body;
  // An attribute's value is text as the description is: no control characters.
  Form controlled = Report("控制字符");
  controlled.erase(controlled.begin() + 1);
  HttpResponse control = api_.client().Post(
      "/open311/v2/requests.json",
      Encode(controlled) + "&service_code=09009&attribute[plate]=A%01B", kFormHeaders);
  EXPECT_EQ(control.status, 400) << control.body;
  EXPECT_NE(Error(control, "json").second.find("attribute[plate] holds a control character"),
            std::string::npos) << control.body;
  EXPECT_EQ(api_.CountCases(), 1);
  // extensions is true or false; anything else is an error rather than a silent false.
  HttpResponse ext =
      api_.client().Get("/open311/v2/requests/" + id + ".json?extensions=maybe");
  EXPECT_EQ(ext.status, 400);
  EXPECT_NE(Error(ext, "json").second.find("'extensions' must be true or false"),
            std::string::npos) << ext.body;
}

TEST_P(Open311Test, UnsupportedBodyTypeIs400) {
  HttpResponse r = api_.client().Post("/open311/v2/requests.xml", "{}",
                                      {{"Content-Type", "application/json"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(api_.CountCases(), 0);
}


// ---- round trip, bad input, address_string, idempotency

// The requests (or updates) of a response in either format as field → text maps: XML children
// of the root's elements, JSON objects of the top-level array (numbers and booleans as text).
std::vector<std::map<std::string, std::string>> Records(const HttpResponse& r,
                                                        const std::string& format) {
  std::vector<std::map<std::string, std::string>> out;
  if (format == "xml") {
    EXPECT_EQ(r.Header("Content-Type"), "text/xml; charset=utf-8");
    XmlElement root = ParseXml(r.body);
    for (const XmlElement& e : root.children) {
      std::map<std::string, std::string> m;
      for (const XmlElement& f : e.children) m[f.name] = f.text;
      out.push_back(std::move(m));
    }
    return out;
  }
  EXPECT_EQ(r.Header("Content-Type"), "application/json; charset=utf-8");
  boost::json::value v = ParseJson(r.body);
  if (!v.is_array()) {
    ADD_FAILURE() << "not a JSON array: " << r.body;
    return out;
  }
  for (const boost::json::value& e : v.get_array()) {
    std::map<std::string, std::string> m;
    for (const auto& kv : e.as_object()) {
      const boost::json::value& f = kv.value();
      m[std::string(kv.key())] = f.is_string()   ? std::string(f.get_string())
                                 : f.is_null()   ? ""
                                 : f.is_object() || f.is_array() ? "<structured>"
                                                 : boost::json::serialize(f);
    }
    out.push_back(std::move(m));
  }
  return out;
}

TEST_P(Open311Test, RoundTripFromPostToClosedInEachFormat) {
  for (std::string fmt : {"xml", "json"}) {
    SCOPED_TRACE(fmt);
    // POST requests.{fmt}
    HttpResponse posted = Post("/open311/v2/requests." + fmt, Report("往返 " + fmt));
    ASSERT_EQ(posted.status, 200) << posted.body;
    auto answer = Records(posted, fmt);
    ASSERT_EQ(answer.size(), 1u) << posted.body;
    const std::string id = answer[0]["service_request_id"];
    ASSERT_FALSE(id.empty()) << posted.body;
    const std::string day = "start_date=2026-03-10T00:00:00%2B08:00&end_date=2026-03-12T00:00:00Z";

    // GET by id and by filters: open.
    auto by_id = Records(api_.client().Get("/open311/v2/requests/" + id + "." + fmt), fmt);
    ASSERT_EQ(by_id.size(), 1u);
    EXPECT_EQ(by_id[0]["status"], "open");
    EXPECT_EQ(by_id[0]["description"], "往返 " + fmt);
    auto has = [&](const std::string& query) {
      for (auto& r : Records(api_.client().Get("/open311/v2/requests." + fmt + "?" + query), fmt)) {
        if (r["service_request_id"] == id) return r["status"];
      }
      return std::string("<absent>");
    };
    EXPECT_EQ(has("service_code=06010&status=open&" + day), "open");
    EXPECT_EQ(has("service_code=06010&status=closed&" + day), "<absent>");

    // The workflow: verify, register, dispatch, accept, feedback, check_pass, close.
    api_.clock().Advance(std::chrono::minutes(1));
    ActionParams valid;
    valid.valid = true;
    Act(id, Action::kVerify, valid);
    Act(id, Action::kRegister);
    Act(id, Action::kDispatch);
    Act(id, Action::kAccept);
    EXPECT_EQ(Records(api_.client().Get("/open311/v2/requests/" + id + "." + fmt), fmt)[0]["status"],
              "open");
    ActionParams result;
    result.result = "已清运";
    Act(id, Action::kFeedback, result);
    Act(id, Action::kCheckPass);
    Act(id, Action::kClose);

    // Closed by id and by filters.
    by_id = Records(api_.client().Get("/open311/v2/requests/" + id + "." + fmt), fmt);
    EXPECT_EQ(by_id[0]["status"], "closed");
    EXPECT_EQ(by_id[0]["status_notes"], "已结案");
    EXPECT_EQ(has("service_code=06010&status=closed&" + day), "closed");
    EXPECT_EQ(has("service_code=06010&status=open&" + day), "<absent>");

    // servicerequestupdates: the case's public history from OPEN to FIXED.
    std::vector<std::string> statuses;
    for (auto& u : Records(api_.client().Get("/open311/v2/servicerequestupdates." + fmt + "?" + day),
                           fmt)) {
      if (u["service_request_id"] == id) statuses.push_back(u["status"]);
    }
    EXPECT_EQ(statuses, (std::vector<std::string>{"OPEN", "INVESTIGATING", "ACTION_SCHEDULED",
                                                  "ACTION_SCHEDULED", "IN_PROGRESS",
                                                  "IN_PROGRESS", "IN_PROGRESS", "FIXED"}));
    api_.clock().Advance(std::chrono::minutes(1));
  }
  EXPECT_EQ(api_.CountCases(), 2);
}

TEST_P(Open311Test, EachBadInputIsTheSpecsErrorInBothFormatsAndCreatesNothing) {
  std::string id = Create(Report("已有"));
  ASSERT_FALSE(id.empty());
  const size_t events_before = api_.cases().Get(kAdmin, id)->history.size();
  struct Bad {
    const char* name;
    std::string path;  // after /open311/v2/, without the format
    Form form;         // empty: a GET
    std::string query;
    int status;
    std::string expect;
  };
  auto with = [&](const std::string& key, const std::string& value) {
    Form f = Report();
    bool replaced = false;
    for (auto& [k, v] : f) {
      if (k == key) v = value, replaced = true;
    }
    if (!replaced) f.emplace_back(key, value);
    return f;
  };
  Form no_location = with("lat", "");
  for (auto& [k, v] : no_location) {
    if (k == "long" || k == "address_string") v = "";
  }
  const std::vector<Bad> bad = {
      {"unknown service_code", "requests", with("service_code", "99999"), "", 404,
       "service_code '99999' is not a service of this server"},
      {"missing location", "requests", no_location, "", 400, "a location is required"},
      {"description over 4000", "requests", with("description", std::string(4001, 'x')), "", 400,
       "description is too long (4001 characters; at most 4000)"},
      {"bad api_key", "requests", with("api_key", "not-a-key"), "", 403, "api_key is not valid"},
      {"wrong jurisdiction", "requests", with("jurisdiction_id", "nyc.gov"), "", 404,
       "jurisdiction_id 'nyc.gov' is not served here"},
      {"bad date on an update", "servicerequestupdates",
       {{"api_key", key_}, {"service_request_id", id}, {"description", "x"},
        {"updated_datetime", "yesterday"}},
       "", 400, "updated_datetime 'yesterday'"},
      {"bad date in a query", "requests", {}, "start_date=2026-13-01T00:00:00Z", 400,
       "start_date '2026-13-01T00:00:00Z'"},
      {"wrong jurisdiction in a query", "requests", {}, "jurisdiction_id=nyc.gov", 404, "nyc.gov"},
  };
  for (const Bad& b : bad) {
    for (std::string format : {"xml", "json"}) {
      SCOPED_TRACE(std::string(b.name) + " " + format);
      const std::string path = "/open311/v2/" + b.path + "." + format;
      HttpResponse r = b.form.empty() ? api_.client().Get(path + "?" + b.query) : Post(path, b.form);
      EXPECT_EQ(r.status, b.status) << r.body;
      auto [code, description] = Error(r, format);
      EXPECT_EQ(code, std::to_string(b.status));
      EXPECT_NE(description.find(b.expect), std::string::npos) << description;
      EXPECT_EQ(api_.CountCases(), 1);
      EXPECT_EQ(api_.cases().Get(kAdmin, id)->history.size(), events_before);
    }
  }
}

TEST_P(Open311Test, AddressStringAloneResolvesToARoadOrAnArea) {
  struct Want {
    std::string address;
    double lon, lat;
    std::string community;
  };
  // 航海路 runs along lat 34.709 from lon 113.600 to 113.620: its middle. "建中街12号" names
  // 建中街街道 (west half): the middle of its box. 淮河社区 is the east half.
  const std::vector<Want> wants = {
      {"航海路", 113.610, 34.709, ""},
      {"建中街12号", 113.605, 34.705, "410103001001"},
      {"淮河社区3号楼", 113.615, 34.705, "410103002001"},
  };
  for (const Want& w : wants) {
    for (std::string format : {"xml", "json"}) {
      SCOPED_TRACE(w.address + " " + format);
      Form f = Report();
      for (auto& [k, v] : f) {
        if (k == "lat" || k == "long") v = "";
        if (k == "address_string") v = w.address;
      }
      HttpResponse r = Post("/open311/v2/requests." + format, f);
      ASSERT_EQ(r.status, 200) << r.body;
      const std::string id = Records(r, format)[0]["service_request_id"];
      auto got = Records(api_.client().Get("/open311/v2/requests/" + id + "." + format), format);
      ASSERT_EQ(got.size(), 1u);
      EXPECT_EQ(got[0]["address"], w.address);
      EXPECT_NEAR(std::stod(got[0]["lat"]), w.lat, 1e-9);
      EXPECT_NEAR(std::stod(got[0]["long"]), w.lon, 1e-9);
      Result<service::CaseDetail> d = api_.cases().Get(kAdmin, id);
      ASSERT_TRUE(d.ok());
      EXPECT_EQ(d->record.location.address, w.address);
      if (!w.community.empty()) {
        EXPECT_EQ(d->record.location.community_code, w.community);
      } else {
        EXPECT_EQ(d->record.location.road_id, "R1");
      }
    }
  }
  EXPECT_EQ(api_.CountCases(), 6);
  // Nothing of the district named: 400 naming the address, nothing created.
  Form f = Report();
  for (auto& [k, v] : f) {
    if (k == "lat" || k == "long") v = "";
    if (k == "address_string") v = "长安街1号";
  }
  HttpResponse r = Post("/open311/v2/requests.json", f);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(Error(r, "json").second.find("'长安街1号'"), std::string::npos);
  EXPECT_EQ(api_.CountCases(), 6);
}

TEST_P(Open311Test, RetriedPostWithAnIdempotencyKeyCreatesOneCase) {
  Form f = Report("重试");
  f.emplace_back("media_url", "https://example.com/r.jpg");
  HttpHeaderList headers = kFormHeaders;
  headers.emplace_back("Idempotency-Key", "fms-report-42");
  HttpResponse first = api_.client().Post("/open311/v2/requests.xml", Encode(f), headers);
  ASSERT_EQ(first.status, 200) << first.body;
  HttpResponse again = api_.client().Post("/open311/v2/requests.json", Encode(f), headers);
  ASSERT_EQ(again.status, 200) << again.body;
  const std::string id = Records(first, "xml")[0]["service_request_id"];
  EXPECT_FALSE(id.empty());
  EXPECT_EQ(Records(again, "json")[0]["service_request_id"], id);
  EXPECT_EQ(api_.CountCases(), 1);

  // The same key for another report is a conflict and creates nothing.
  Form other = Report("另一件事");
  HttpResponse conflict = api_.client().Post("/open311/v2/requests.json", Encode(other), headers);
  EXPECT_EQ(conflict.status, 409) << conflict.body;
  EXPECT_EQ(Error(conflict, "json").first, "409");
  EXPECT_EQ(api_.CountCases(), 1);

  // Another key, or none, is another report.
  headers.back().second = "fms-report-43";
  EXPECT_EQ(api_.client().Post("/open311/v2/requests.xml", Encode(f), headers).status, 200);
  EXPECT_EQ(Post("/open311/v2/requests.xml", f).status, 200);
  EXPECT_EQ(api_.CountCases(), 3);
}

TEST_P(Open311Test, AttributesAndMediaUrlsAreRecordedInTheCreatedEvent) {
  Form f = Report("占用消防通道");
  f[1].second = "09009";
  f.emplace_back("attribute[plate]", "豫A12345");
  f.emplace_back("attribute[blocking][]", "fire_lane");
  f.emplace_back("attribute[blocking][]", "fire_lane");  // the same answer twice is one
  f.emplace_back("media_url", "https://example.com/1.jpg");
  f.emplace_back("media_url", "HTTPS://EXAMPLE.COM/2.JPG");  // a scheme in any case
  f.emplace_back("address_id", "A-17");
  std::string id = Create(f);
  ASSERT_FALSE(id.empty());
  // One append: the kCreated event carries them; no side document is written.
  Result<service::CaseDetail> d = api_.cases().Get(kAdmin, id);
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->history.size(), 1u);
  Result<CaseIntake> intake = DecodeIntake(d->history.front());
  ASSERT_TRUE(intake.ok()) << intake.status().ToString();
  EXPECT_EQ(intake->attributes,
            (std::vector<std::pair<std::string, std::string>>{{"plate", "豫A12345"},
                                                              {"blocking", "fire_lane"}}));
  EXPECT_EQ(intake->media_urls,
            (std::vector<std::string>{"https://example.com/1.jpg", "HTTPS://EXAMPLE.COM/2.JPG"}));
  EXPECT_EQ(intake->address_id, "A-17");
  EXPECT_EQ(api_.store().documents().Get(service::kOpen311RequestKind, id).status().code(),
            StatusCode::kNotFound);
  for (std::string format : {"xml", "json"}) {
    auto got = Records(
        api_.client().Get("/open311/v2/requests/" + id + "." + format + "?extensions=true"),
        format);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0]["media_url"], "https://example.com/1.jpg");
    EXPECT_EQ(got[0]["address_id"], "A-17");
  }
}

TEST_P(Open311Test, RequestsPostedBeforeIntakeRecordsStillShowTheirSideDocument) {
  std::string id = Create(Report("旧数据"));
  ASSERT_FALSE(id.empty());
  // What the earlier version wrote after the case.
  ASSERT_TRUE(api_.store()
                  .documents()
                  .Put(service::kOpen311RequestKind, id,
                       R"({"attributes":[["plate","豫B1"]],"media_urls":["https://e.com/o.jpg"],)"
                       R"("address_id":"old-1","email":"z@example.com"})")
                  .ok());
  XmlElement x =
      ParseXml(api_.client().Get("/open311/v2/requests/" + id + ".xml?extensions=true").body);
  const XmlElement* r = x.Child("request");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->ChildText("media_url"), "https://e.com/o.jpg");
  EXPECT_EQ(r->ChildText("address_id"), "old-1");
  EXPECT_EQ(r->Child("attributes")->Child("attribute")->ChildText("value"), "豫B1");
}

// A router of its own, with options the shared fixture does not use.
class Open311OptionsTest : public Open311Test {
 protected:
  Response Call(Router& router, Method method, const std::string& target,
                const std::string& body = "") {
    Headers headers;
    if (method == Method::kPost) {
      headers.Set("Content-Type", "application/x-www-form-urlencoded");
    }
    Result<Request> request = MakeRequest(method, target, body, headers);
    EXPECT_TRUE(request.ok());
    return HandleRequest(router, *request);
  }

  std::unique_ptr<ApiServices> Services() {
    return std::make_unique<ApiServices>(ApiServices{api_.store(), api_.auth(), api_.reference(),
                                                     api_.cases(), nullptr, api_.clock()});
  }
};

TEST_P(Open311OptionsTest, DeferredIdsAnswerATokenThatResolves) {
  std::unique_ptr<ApiServices> services = Services();
  Router router;
  service::Open311Options options;
  options.defer_ids = true;
  ASSERT_TRUE(RegisterOpen311Routes(router, *services, options).ok());
  Response posted = Call(router, Method::kPost, "/open311/v2/requests.xml", Encode(Report()));
  ASSERT_EQ(posted.status, 200) << posted.body;
  XmlElement x = ParseXml(posted.body);
  std::string token = x.Child("request")->ChildText("token");
  ASSERT_EQ(token.size(), 32u) << posted.body;
  EXPECT_EQ(x.Child("request")->Child("service_request_id"), nullptr);
  for (std::string format : {"xml", "json"}) {
    Response t = Call(router, Method::kGet, "/open311/v2/tokens/" + token + "." + format);
    ASSERT_EQ(t.status, 200) << t.body;
    std::string id = format == "xml"
                         ? ParseXml(t.body).Child("request")->ChildText("service_request_id")
                         : S(ParseJson(t.body).at(0).at("service_request_id"));
    EXPECT_TRUE(api_.cases().Get(kAdmin, id).ok()) << id;
  }
  Response unknown = Call(router, Method::kGet, "/open311/v2/tokens/ffff.json");
  EXPECT_EQ(unknown.status, 404);
}

TEST_P(Open311OptionsTest, ARetriedDeferredPostAnswersTheSameToken) {
  std::unique_ptr<ApiServices> services = Services();
  Router router;
  service::Open311Options options;
  options.defer_ids = true;
  ASSERT_TRUE(RegisterOpen311Routes(router, *services, options).ok());
  auto post = [&] {
    Headers headers;
    headers.Set("Content-Type", "application/x-www-form-urlencoded");
    headers.Set("Idempotency-Key", "retry-me");
    Result<Request> request =
        MakeRequest(Method::kPost, "/open311/v2/requests.xml", Encode(Report()), headers);
    EXPECT_TRUE(request.ok());
    Response r = HandleRequest(router, *request);
    EXPECT_EQ(r.status, 200) << r.body;
    return ParseXml(r.body).Child("request")->ChildText("token");
  };
  const std::string token = post();
  EXPECT_EQ(token.size(), 32u);
  EXPECT_EQ(post(), token);
  EXPECT_EQ(api_.CountCases(), 1);
  Response t = Call(router, Method::kGet, "/open311/v2/tokens/" + token + ".json");
  EXPECT_EQ(t.status, 200) << t.body;
}

TEST_P(Open311OptionsTest, KeysPastTheirRateAre429WithRetryAfter) {
  std::unique_ptr<ApiServices> services = Services();
  Router router;
  service::ApiKeyOptions limits;
  limits.requests_per_minute = 2;
  ASSERT_TRUE(RegisterOpen311Routes(router, *services, {}, limits).ok());
  EXPECT_EQ(Call(router, Method::kPost, "/open311/v2/requests.xml", Encode(Report())).status,
            200);
  EXPECT_EQ(Call(router, Method::kPost, "/open311/v2/requests.xml", Encode(Report())).status,
            200);
  Response third = Call(router, Method::kPost, "/open311/v2/requests.json", Encode(Report()));
  EXPECT_EQ(third.status, 429);
  EXPECT_EQ(third.headers.GetOr("Retry-After", ""), "30");
  EXPECT_EQ(ParseJson(third.body).at(0).at("code").to_number<int>(), 429);
  EXPECT_EQ(api_.CountCases(), 2);
  api_.clock().Advance(std::chrono::seconds(30));
  EXPECT_EQ(Call(router, Method::kPost, "/open311/v2/requests.xml", Encode(Report())).status,
            200);
}

std::string BackendName(const ::testing::TestParamInfo<ApiBackend>& info) {
  return citygrid::testing::Name(info.param);
}
INSTANTIATE_TEST_SUITE_P(Backends, Open311Test,
                         ::testing::Values(ApiBackend::kSqlite, ApiBackend::kPostgres),
                         BackendName);
INSTANTIATE_TEST_SUITE_P(Backends, Open311OptionsTest,
                         ::testing::Values(ApiBackend::kSqlite, ApiBackend::kPostgres),
                         BackendName);

}  // namespace
}  // namespace citygrid::http
