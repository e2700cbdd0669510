#include "citygrid/service/auth_service.h"

#include <sodium.h>

#include <algorithm>
#include <boost/json.hpp>

#include "citygrid/common/utf8.h"
#include "citygrid/storage/audit_chain.h"

namespace citygrid::service {
namespace {

namespace json = boost::json;

constexpr char kUserKind[] = "user";
constexpr char kSessionKind[] = "session";

bool ValidUsername(const std::string& name) {
  if (name.size() < 3 || name.size() > 32) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
  });
}

std::string EncodeUser(const User& u) {
  json::object o;
  o["username"] = u.username;
  o["display_name"] = u.display_name;
  o["role"] = std::string(Name(u.role));
  o["unit"] = u.unit;
  o["disabled"] = u.disabled;
  o["created_at"] = ToUnixMillis(u.created_at);
  o["password_hash"] = u.password_hash;
  return json::serialize(o);
}

Result<User> DecodeUser(const std::string& text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return InternalError("stored user document is not a JSON object");
  const json::object& o = v.as_object();
  try {
    User u;
    u.username = json::value_to<std::string>(o.at("username"));
    u.display_name = json::value_to<std::string>(o.at("display_name"));
    CITYGRID_ASSIGN_OR_RETURN(u.role, ParseRole(json::value_to<std::string>(o.at("role"))));
    u.unit = json::value_to<std::string>(o.at("unit"));
    u.disabled = o.at("disabled").as_bool();
    u.created_at = FromUnixMillis(o.at("created_at").to_number<int64_t>());
    u.password_hash = json::value_to<std::string>(o.at("password_hash"));
    return u;
  } catch (const std::exception& e) {
    return InternalError(std::string("stored user document is malformed: ") + e.what());
  }
}

struct Session {
  std::string username;
  Timestamp created_at{};
  Timestamp expires_at{};
};

std::string EncodeSession(const Session& s) {
  json::object o;
  o["username"] = s.username;
  o["created_at"] = ToUnixMillis(s.created_at);
  o["expires_at"] = ToUnixMillis(s.expires_at);
  return json::serialize(o);
}

Result<Session> DecodeSession(const std::string& text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return InternalError("stored session is not a JSON object");
  const json::object& o = v.as_object();
  try {
    return Session{json::value_to<std::string>(o.at("username")),
                   FromUnixMillis(o.at("created_at").to_number<int64_t>()),
                   FromUnixMillis(o.at("expires_at").to_number<int64_t>())};
  } catch (const std::exception& e) {
    return InternalError(std::string("stored session is malformed: ") + e.what());
  }
}

std::string RandomTokenHex() {
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  char hex[sizeof bytes * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  return hex;
}

Principal ToPrincipal(const User& u, Timestamp expires_at) {
  return Principal{u.username, u.display_name, u.role, u.unit, expires_at};
}

Status WrongCredentials() { return UnauthenticatedError("wrong username or password"); }

}  // namespace

AuthService::AuthService(storage::DocumentStore& docs, const Clock& clock, AuthOptions options)
    : docs_(docs), clock_(clock), options_(options) {
  if (sodium_init() < 0) std::abort();  // libsodium cannot work without a random source
  if (options_.pwhash_opslimit == 0) options_.pwhash_opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
  if (options_.pwhash_memlimit == 0) options_.pwhash_memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
}

Result<std::string> AuthService::HashPassword(const std::string& password) const {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), options_.pwhash_opslimit,
                            options_.pwhash_memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return ResourceExhaustedError("out of memory hashing a password");
  }
  return std::string(out);
}

Result<User> AuthService::AddUser(const NewUser& nu) {
  if (!ValidUsername(nu.username)) {
    return InvalidArgumentError("username '" + nu.username.substr(0, 40) +
                                "' must be 3-32 characters of a-z, 0-9, '_', '.', '-'");
  }
  if (nu.password.size() < 8) {
    return InvalidArgumentError("password of user '" + nu.username +
                                "' must be at least 8 characters");
  }
  if (nu.role == Role::kSystem) {
    return InvalidArgumentError("role 'system' is citygrid's own and cannot be given to a user");
  }
  if (nu.role == Role::kHandler && nu.unit.empty()) {
    return InvalidArgumentError("handler '" + nu.username + "' needs a unit");
  }
  User u;
  u.username = nu.username;
  u.display_name = nu.display_name.empty() ? nu.username : nu.display_name;
  u.role = nu.role;
  u.unit = nu.unit;
  u.created_at = clock_.Now();
  CITYGRID_ASSIGN_OR_RETURN(u.password_hash, HashPassword(nu.password));
  auto put = docs_.Put(kUserKind, u.username, EncodeUser(u), /*expected_version=*/0);
  if (!put.ok()) {
    if (put.status().code() == StatusCode::kAborted ||
        put.status().code() == StatusCode::kAlreadyExists) {
      return AlreadyExistsError("user '" + u.username + "' already exists");
    }
    return put.status();
  }
  return u;
}

Result<User> AuthService::GetUser(const std::string& username) {
  auto doc = docs_.Get(kUserKind, username);
  if (!doc.ok()) {
    if (doc.status().code() == StatusCode::kNotFound) {
      return NotFoundError("no user '" + username.substr(0, 40) + "'");
    }
    return doc.status();
  }
  return DecodeUser(doc->json);
}

Status AuthService::SetPassword(const std::string& username, const std::string& password) {
  if (password.size() < 8) {
    return InvalidArgumentError("password of user '" + username + "' must be at least 8 characters");
  }
  CITYGRID_ASSIGN_OR_RETURN(User u, GetUser(username));
  CITYGRID_ASSIGN_OR_RETURN(u.password_hash, HashPassword(password));
  return docs_.Put(kUserKind, username, EncodeUser(u)).status();
}

Status AuthService::CheckCanDisable(const std::string& username) {
  CITYGRID_ASSIGN_OR_RETURN(User u, GetUser(username));
  if (u.role != Role::kAdmin || u.disabled) return OkStatus();
  CITYGRID_ASSIGN_OR_RETURN(std::vector<User> users, ListUsers());
  for (const User& other : users) {
    if (other.username != username && other.role == Role::kAdmin && !other.disabled) {
      return OkStatus();
    }
  }
  return FailedPreconditionError("user '" + username +
                                 "' is the last enabled admin; enable or add another admin "
                                 "before disabling this one");
}

Status AuthService::SetDisabled(const std::string& username, bool disabled) {
  if (disabled) CITYGRID_RETURN_IF_ERROR(CheckCanDisable(username));
  CITYGRID_ASSIGN_OR_RETURN(User u, GetUser(username));
  u.disabled = disabled;
  CITYGRID_RETURN_IF_ERROR(docs_.Put(kUserKind, username, EncodeUser(u)));
  if (disabled) {
    std::lock_guard lock(mu_);
    std::erase_if(session_cache_,
                  [&](const auto& entry) { return entry.second.principal.username == username; });
  }
  return OkStatus();
}

Status AuthService::SetDisplayName(const std::string& username,
                                   const std::string& display_name) {
  if (display_name.empty() || display_name.size() > 200) {
    return InvalidArgumentError("display name must be 1 to 200 bytes, got " +
                                std::to_string(display_name.size()));
  }
  if (HasControlCharacter(display_name, /*allow_line_breaks=*/false)) {
    return InvalidArgumentError("display name must not hold control characters");
  }
  CITYGRID_ASSIGN_OR_RETURN(User u, GetUser(username));
  u.display_name = display_name;
  CITYGRID_RETURN_IF_ERROR(docs_.Put(kUserKind, username, EncodeUser(u)));
  std::lock_guard lock(mu_);
  std::erase_if(session_cache_,
                [&](const auto& entry) { return entry.second.principal.username == username; });
  return OkStatus();
}

Result<std::vector<User>> AuthService::ListUsers() {
  CITYGRID_ASSIGN_OR_RETURN(std::vector<storage::Document> docs, docs_.List(kUserKind));
  std::vector<User> users;
  users.reserve(docs.size());
  for (const storage::Document& d : docs) {
    CITYGRID_ASSIGN_OR_RETURN(User u, DecodeUser(d.json));
    users.push_back(std::move(u));
  }
  std::sort(users.begin(), users.end(),
            [](const User& a, const User& b) { return a.username < b.username; });
  return users;
}

bool AuthService::LockedOut(const std::map<std::string, Failures>& table, const std::string& key,
                            Timestamp now) const {
  auto it = table.find(key);
  return it != table.end() && it->second.count >= options_.max_failures &&
         now - it->second.last < options_.failure_window;
}

void AuthService::RecordFailure(std::map<std::string, Failures>& table, const std::string& key,
                                Timestamp now) {
  Failures& f = table[key];
  if (now - f.last >= options_.failure_window) f.count = 0;
  ++f.count;
  f.last = now;
}

Result<LoginResult> AuthService::Login(const std::string& username, const std::string& password,
                                       const std::string& remote_address) {
  Timestamp now = clock_.Now();
  {
    std::lock_guard lock(mu_);
    if (LockedOut(user_failures_, username, now) ||
        LockedOut(address_failures_, remote_address, now)) {
      return ResourceExhaustedError("too many failed logins; try again later");
    }
  }
  auto fail = [&]() -> Status {
    std::lock_guard lock(mu_);
    RecordFailure(user_failures_, username, now);
    RecordFailure(address_failures_, remote_address, now);
    return WrongCredentials();
  };
  auto user = GetUser(username);
  if (!user.ok()) {
    if (user.status().code() != StatusCode::kNotFound) return user.status();
    return fail();
  }
  if (user->disabled ||
      crypto_pwhash_str_verify(user->password_hash.c_str(), password.data(), password.size()) != 0) {
    return fail();
  }
  {
    std::lock_guard lock(mu_);
    user_failures_.erase(username);
  }
  LoginResult result;
  result.token = RandomTokenHex();
  result.expires_at = now + options_.session_lifetime;
  Session session{user->username, now, result.expires_at};
  CITYGRID_RETURN_IF_ERROR(
      docs_.Put(kSessionKind, TokenKey(result.token), EncodeSession(session), 0));
  result.user = std::move(*user);
  result.user.password_hash.clear();
  return result;
}

std::string AuthService::TokenKey(const std::string& token) { return storage::Sha256Hex(token); }

Result<Principal> AuthService::Authenticate(const std::string& token) {
  if (token.empty()) return UnauthenticatedError("missing bearer token");
  return AuthenticateKey(TokenKey(token));
}

Result<Principal> AuthService::AuthenticateKey(const std::string& key) {
  Timestamp now = clock_.Now();
  {
    std::lock_guard lock(mu_);
    auto it = session_cache_.find(key);
    if (it != session_cache_.end()) {
      if (now < it->second.principal.expires_at &&
          now - it->second.checked_at < options_.session_cache_ttl) {
        return it->second.principal;
      }
      session_cache_.erase(it);
    }
  }
  auto doc = docs_.Get(kSessionKind, key);
  if (!doc.ok()) {
    if (doc.status().code() == StatusCode::kNotFound) {
      return UnauthenticatedError("unknown or revoked token");
    }
    return doc.status();
  }
  CITYGRID_ASSIGN_OR_RETURN(Session session, DecodeSession(doc->json));
  if (now >= session.expires_at) {
    (void)docs_.Delete(kSessionKind, key);  // tidy; a failure here changes nothing for the caller
    return UnauthenticatedError("token expired at " + FormatIso8601(session.expires_at));
  }
  auto user = GetUser(session.username);
  if (!user.ok() || user->disabled) return UnauthenticatedError("the token's user is disabled");
  Principal p = ToPrincipal(*user, session.expires_at);
  std::lock_guard lock(mu_);
  if (session_cache_.size() > 100000) session_cache_.clear();  // bound memory under token churn
  session_cache_[key] = CachedSession{p, now};
  return p;
}

Status AuthService::Logout(const std::string& token) {
  std::string key = TokenKey(token);
  {
    std::lock_guard lock(mu_);
    session_cache_.erase(key);
  }
  Status s = docs_.Delete(kSessionKind, key);
  if (!s.ok() && s.code() != StatusCode::kNotFound) return s;
  return OkStatus();
}

}  // namespace citygrid::service
