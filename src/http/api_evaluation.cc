// Evaluation API (issue #7): GET /api/v1/evaluation (json, csv, xlsx), GET/PUT
// /api/v1/evaluation/weights, GET /api/v1/evaluation/overdue, GET /api/v1/evaluation/heatmap.
// Each handler authenticates, parses and checks the query (a bad parameter is 400 naming it),
// calls one EvaluationService function and encodes its answer; definitions of every figure are
// in docs/evaluation.md.

#include <boost/json.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "citygrid/common/time.h"
#include "citygrid/http/api.h"
#include "citygrid/http/error_mapping.h"
#include "citygrid/service/evaluation_service.h"
#include "src/http/api_common.h"
#include "src/http/evaluation_json.h"
#include "src/http/json_util.h"

namespace citygrid::http {
namespace {

namespace bj = boost::json;
using std::chrono::year_month_day;

Response Answer(Result<Response> result) {
  if (!result.ok()) return ErrorResponse(result.status());
  return std::move(*result);
}

Result<service::EvaluationService*> Evaluation(ApiServices& services) {
  if (services.evaluation == nullptr) {
    return UnavailableError("evaluation is not running on this server");
  }
  return services.evaluation;
}

Status RejectUnknownParams(const Request& request, std::initializer_list<std::string_view> known) {
  for (const auto& [name, value] : request.query) {
    bool ok = false;
    for (std::string_view k : known) ok = ok || k == name;
    if (!ok) {
      std::string list;
      for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      return InvalidArgumentError("unknown query parameter '" + name.substr(0, 40) +
                                  "'; known: " + list);
    }
  }
  return OkStatus();
}

// The Monday..Sunday week (Asia/Shanghai) of `now`.
std::pair<year_month_day, year_month_day> ThisWeek(Timestamp now) {
  const std::chrono::sys_days today(std::chrono::days(service::CivilDay(now)));
  const std::chrono::weekday wd(today);
  const auto monday = today - std::chrono::days((wd.c_encoding() + 6) % 7);
  return {year_month_day(monday), year_month_day(monday + std::chrono::days(6))};
}

Result<year_month_day> DateParam(const Request& request, std::string_view name,
                                 year_month_day fallback) {
  std::optional<std::string_view> text = request.query.Get(name);
  if (!text) return fallback;
  Result<year_month_day> d = ParseDate(*text);
  if (!d.ok()) {
    return InvalidArgumentError("query parameter '" + std::string(name) +
                                "' must be a date YYYY-MM-DD: " + d.status().message());
  }
  return *d;
}

struct Window {
  year_month_day from, to;
};

Result<Window> WindowParams(ApiServices& services, const Request& request) {
  auto [monday, sunday] = ThisWeek(services.clock.Now());
  Window w;
  CITYGRID_ASSIGN_OR_RETURN(w.from, DateParam(request, "from", monday));
  CITYGRID_ASSIGN_OR_RETURN(w.to, DateParam(request, "to", sunday));
  if (service::CivilDay(w.from) > service::CivilDay(w.to)) {
    return InvalidArgumentError("query parameter 'from' (" + FormatDate(w.from) +
                                ") is after 'to' (" + FormatDate(w.to) + ")");
  }
  return w;
}

Result<Response> GetEvaluation(ApiServices& services, const Request& request) {
  CITYGRID_ASSIGN_OR_RETURN(service::Principal who, Authenticate(services, request));
  CITYGRID_ASSIGN_OR_RETURN(service::EvaluationService * evaluation, Evaluation(services));
  CITYGRID_RETURN_IF_ERROR(RejectUnknownParams(request, {"from", "to", "group_by", "format"}));
  CITYGRID_ASSIGN_OR_RETURN(Window window, WindowParams(services, request));
  std::string format(request.query.Get("format").value_or("json"));
  if (format != "json" && format != "csv" && format != "xlsx") {
    return InvalidArgumentError("query parameter 'format' must be json, csv or xlsx; got '" +
                                format.substr(0, 40) + "'");
  }
  service::EvaluationRequest req;
  req.from = window.from;
  req.to = window.to;
  for (std::string_view g : request.query.GetAll("group_by")) {
    CITYGRID_ASSIGN_OR_RETURN(service::Dimension d, service::ParseDimension(g));
    req.group_by.push_back(d);
  }
  if (req.group_by.empty()) req.group_by.push_back(service::Dimension::kUnit);
  if (format == "csv" && req.group_by.size() > 1) {
    return InvalidArgumentError("query parameter 'group_by': format csv takes one grouping; use "
                                "xlsx (one sheet each) or json for several");
  }
  CITYGRID_ASSIGN_OR_RETURN(service::EvaluationReport report,
                            evaluation->Evaluate(who.ToActor(), req));
  const std::string file = "evaluation-" + FormatDate(report.from) + "-" + FormatDate(report.to);
  if (format == "csv") {
    Response r;
    r.status = 200;
    r.content_type = "text/csv; charset=utf-8";
    r.body = service::EvaluationService::ToCsv(report);
    r.headers.Set("Content-Disposition", "attachment; filename=\"" + file + ".csv\"");
    return r;
  }
  if (format == "xlsx") {
    CITYGRID_ASSIGN_OR_RETURN(std::string bytes, service::EvaluationService::ToXlsx(report));
    Response r;
    r.status = 200;
    r.content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    r.body = std::move(bytes);
    r.headers.Set("Content-Disposition", "attachment; filename=\"" + file + ".xlsx\"");
    return r;
  }
  return Response::Json(200, EvaluationReportJson(report));
}

Result<Response> GetWeights(ApiServices& services, const Request& request) {
  CITYGRID_ASSIGN_OR_RETURN(service::Principal who, Authenticate(services, request));
  (void)who;
  CITYGRID_ASSIGN_OR_RETURN(service::EvaluationService * evaluation, Evaluation(services));
  CITYGRID_ASSIGN_OR_RETURN(service::EvaluationWeights w, evaluation->GetWeights());
  return Response::Json(200, EvaluationWeightsJson(w));
}

Result<Response> PutWeights(ApiServices& services, const Request& request) {
  CITYGRID_ASSIGN_OR_RETURN(service::Principal who, Authenticate(services, request));
  CITYGRID_ASSIGN_OR_RETURN(service::EvaluationService * evaluation, Evaluation(services));
  if (who.role != Role::kAdmin) {
    return PermissionDeniedError("only an admin may change the evaluation weights; '" +
                                 who.username + "' is " + std::string(Name(who.role)));
  }
  CITYGRID_ASSIGN_OR_RETURN(bj::value body, json::ParseBody(request.body));
  CITYGRID_ASSIGN_OR_RETURN(json::ObjectReader form, json::ObjectReader::Of(body));
  CITYGRID_RETURN_IF_ERROR(form.RejectUnknown({"weights"}));
  CITYGRID_ASSIGN_OR_RETURN(json::ObjectReader weights, form.Object("weights"));
  service::EvaluationWeights w;
  for (const auto& kv : weights.object()) {
    CITYGRID_ASSIGN_OR_RETURN(double v, weights.Number(kv.key(), 0, 100));
    w.weights.emplace_back(std::string(kv.key()), v);
  }
  CITYGRID_ASSIGN_OR_RETURN(service::EvaluationWeights stored,
                            evaluation->PutWeights(who.ToActor(), w));
  return Response::Json(200, EvaluationWeightsJson(stored));
}

Result<Response> GetOverdue(ApiServices& services, const Request& request) {
  CITYGRID_ASSIGN_OR_RETURN(service::Principal who, Authenticate(services, request));
  CITYGRID_ASSIGN_OR_RETURN(service::EvaluationService * evaluation, Evaluation(services));
  CITYGRID_RETURN_IF_ERROR(RejectUnknownParams(request, {"limit"}));
  int limit = 100;
  if (std::optional<std::string_view> text = request.query.Get("limit")) {
    char* end = nullptr;
    std::string s(*text);
    long v = std::strtol(s.c_str(), &end, 10);
    if (s.empty() || *end != '\0' || v < 1 || v > 1000) {
      return InvalidArgumentError("query parameter 'limit' must be an integer from 1 to 1000; "
                                  "got '" + s.substr(0, 40) + "'");
    }
    limit = static_cast<int>(v);
  }
  CITYGRID_ASSIGN_OR_RETURN(service::OverdueReport report,
                            evaluation->Overdue(who.ToActor(), limit));
  bj::array units;
  for (const service::OverdueUnit& u : report.units) {
    units.push_back(bj::object{{"unit", u.unit}, {"name", u.name}, {"overdue", u.overdue}});
  }
  bj::array cases;
  for (const Case& c : report.cases) {
    cases.push_back(bj::object{
        {"number", c.number},
        {"state", Name(c.state)},
        {"stage", Name(c.stage)},
        {"category", c.category},
        {"unit", c.unit},
        {"subdistrict", c.location.subdistrict_code},
        {"grid", c.location.grid_code},
        {"stage_deadline",
         c.stage_deadline ? bj::value(FormatIso8601(*c.stage_deadline)) : bj::value(nullptr)},
        {"supervise_count", c.supervise_count}});
  }
  bj::object o{{"as_of", FormatIso8601(report.as_of)},
               {"total", report.total},
               {"units", std::move(units)},
               {"cases", std::move(cases)}};
  return json::JsonResponse(200, o);
}

Result<Response> GetHeatmap(ApiServices& services, const Request& request) {
  CITYGRID_ASSIGN_OR_RETURN(service::Principal who, Authenticate(services, request));
  CITYGRID_ASSIGN_OR_RETURN(service::EvaluationService * evaluation, Evaluation(services));
  CITYGRID_RETURN_IF_ERROR(RejectUnknownParams(request, {"from", "to"}));
  CITYGRID_ASSIGN_OR_RETURN(Window window, WindowParams(services, request));
  CITYGRID_ASSIGN_OR_RETURN(std::vector<service::HeatCell> cells,
                            evaluation->Heatmap(who.ToActor(), window.from, window.to));
  bj::array grids;
  int64_t max_reported = 0;
  for (const service::HeatCell& c : cells) {
    max_reported = std::max(max_reported, c.reported);
    grids.push_back(bj::object{{"grid", c.grid},
                               {"reported", c.reported},
                               {"registered", c.registered},
                               {"should_close", c.should_close},
                               {"closed", c.closed},
                               {"overdue_handling", c.overdue_handling}});
  }
  bj::object o{{"from", FormatDate(window.from)},
               {"to", FormatDate(window.to)},
               {"max_reported", max_reported},
               {"grids", std::move(grids)}};
  return json::JsonResponse(200, o);
}

}  // namespace

Status RegisterEvaluationRoutes(Router& router, ApiServices& services) {
  ApiServices* s = &services;
  CITYGRID_RETURN_IF_ERROR(router.Add(Method::kGet, "/api/v1/evaluation",
                                      [s](const Request& request, const RouteParams&) {
                                        return Answer(GetEvaluation(*s, request));
                                      }));
  CITYGRID_RETURN_IF_ERROR(router.Add(Method::kGet, "/api/v1/evaluation/weights",
                                      [s](const Request& request, const RouteParams&) {
                                        return Answer(GetWeights(*s, request));
                                      }));
  CITYGRID_RETURN_IF_ERROR(router.Add(Method::kPut, "/api/v1/evaluation/weights",
                                      [s](const Request& request, const RouteParams&) {
                                        return Answer(PutWeights(*s, request));
                                      }));
  CITYGRID_RETURN_IF_ERROR(router.Add(Method::kGet, "/api/v1/evaluation/overdue",
                                      [s](const Request& request, const RouteParams&) {
                                        return Answer(GetOverdue(*s, request));
                                      }));
  CITYGRID_RETURN_IF_ERROR(router.Add(Method::kGet, "/api/v1/evaluation/heatmap",
                                      [s](const Request& request, const RouteParams&) {
                                        return Answer(GetHeatmap(*s, request));
                                      }));
  return Status::Ok();
}

}  // namespace citygrid::http
