// POST /api/v1/auth/login, POST /api/v1/auth/logout, GET /api/v1/auth/me.

#include <boost/json.hpp>
#include <cctype>

#include <string>

#include "citygrid/common/time.h"
#include "citygrid/common/utf8.h"
#include "citygrid/http/api.h"
#include "citygrid/http/error_mapping.h"
#include "src/http/api_common.h"
#include "src/http/json_util.h"

namespace citygrid::http {

namespace {

boost::json::object UserJson(const std::string& username, const std::string& display_name,
                             Role role, const std::string& unit) {
  boost::json::object user;
  user["username"] = username;
  user["display_name"] = display_name;
  user["role"] = std::string(Name(role));
  user["unit"] = unit;
  return user;
}

Result<boost::json::object> Login(ApiServices& services, const Request& request) {
  CITYGRID_ASSIGN_OR_RETURN(boost::json::value body, json::ParseBody(request.body));
  CITYGRID_ASSIGN_OR_RETURN(json::ObjectReader form, json::ObjectReader::Of(body));
  CITYGRID_RETURN_IF_ERROR(form.RejectUnknown({"username", "password"}));
  CITYGRID_ASSIGN_OR_RETURN(std::string username, form.String("username", 64));
  CITYGRID_ASSIGN_OR_RETURN(std::string password, form.String("password", 1024));
  CITYGRID_ASSIGN_OR_RETURN(
      service::LoginResult login,
      services.auth.Login(username, password, RemoteHost(request.remote_address)));
  boost::json::object out;
  out["token"] = login.token;
  out["expires_at"] = FormatIso8601(login.expires_at);
  out["user"] = UserJson(login.user.username, login.user.display_name, login.user.role,
                         login.user.unit);
  return out;
}

Response Answer(Result<boost::json::object> result) {
  if (!result.ok()) return ErrorResponse(result.status());
  return json::JsonResponse(200, *result);
}

}  // namespace

std::string BearerToken(const Request& request, bool allow_query) {
  std::optional<std::string_view> header = request.headers.Get("Authorization");
  if (header) {
    std::string_view value = *header;
    constexpr std::string_view kScheme = "bearer ";
    if (value.size() > kScheme.size() && EqualsIgnoreCase(value.substr(0, kScheme.size()), kScheme)) {
      value.remove_prefix(kScheme.size());
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
      return std::string(value);
    }
    return "";
  }
  if (allow_query) {
    if (std::optional<std::string_view> token = request.query.Get("access_token")) {
      return std::string(*token);
    }
  }
  return "";
}

Result<service::Principal> Authenticate(ApiServices& services, const Request& request,
                                        bool allow_query) {
  std::string token = BearerToken(request, allow_query);
  if (token.empty()) {
    return Status(StatusCode::kUnauthenticated,
                  "missing bearer token (send Authorization: Bearer TOKEN from "
                  "POST /api/v1/auth/login)");
  }
  if (ConnectionMemo* memo = request.connection.get()) {
    if (memo->bearer_token_key.empty() || memo->bearer_token != token) {
      memo->bearer_token_key = service::AuthService::TokenKey(token);
      memo->bearer_token = std::move(token);
    }
    return services.auth.AuthenticateKey(memo->bearer_token_key);
  }
  return services.auth.Authenticate(token);
}

Result<bool> ParseBoolParam(std::string_view name, std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "true" || lower == "1" || lower == "yes") return true;
  if (lower == "false" || lower == "0" || lower == "no") return false;
  return InvalidArgumentError("parameter '" + std::string(name) + "' must be true or false, got '" +
                              std::string(Utf8Prefix(text, 40)) + "'");
}

std::string RemoteHost(const std::string& remote_address) {
  if (remote_address.empty()) return "";
  if (remote_address.front() == '[') {
    size_t close = remote_address.find(']');
    if (close != std::string::npos) return remote_address.substr(1, close - 1);
    return remote_address;
  }
  size_t colon = remote_address.rfind(':');
  if (colon != std::string::npos && remote_address.find(':') == colon) {
    return remote_address.substr(0, colon);
  }
  return remote_address;
}

Status RegisterAuthRoutes(Router& router, ApiServices& services) {
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kPost, "/api/v1/auth/login",
      [&services](const Request& request, const RouteParams&) {
        return Answer(Login(services, request));
      }));
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kPost, "/api/v1/auth/logout",
      [&services](const Request& request, const RouteParams&) -> Response {
        Result<service::Principal> who = Authenticate(services, request);
        if (!who.ok()) return ErrorResponse(who.status());
        Status s = services.auth.Logout(BearerToken(request));
        if (!s.ok()) return ErrorResponse(s);
        boost::json::object out;
        out["logged_out"] = true;
        return json::JsonResponse(200, out);
      }));
  CITYGRID_RETURN_IF_ERROR(router.Add(
      Method::kGet, "/api/v1/auth/me",
      [&services](const Request& request, const RouteParams&) -> Response {
        Result<service::Principal> who = Authenticate(services, request);
        if (!who.ok()) return ErrorResponse(who.status());
        boost::json::object out;
        out["user"] = UserJson(who->username, who->display_name, who->role, who->unit);
        out["expires_at"] = FormatIso8601(who->expires_at);
        return json::JsonResponse(200, out);
      }));
  return Status::Ok();
}

}  // namespace citygrid::http
