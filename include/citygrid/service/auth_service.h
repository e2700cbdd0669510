#pragma once

// Users, passwords, sessions and login throttling.
//
// Passwords are hashed with Argon2id (libsodium crypto_pwhash_str). A session token is 32 random
// bytes (256 bits) shown to the client once as hex; only its SHA-256 is stored (document kind
// "session"), so a stolen database does not yield usable tokens. Tokens expire and can be
// revoked. Users are documents of kind "user" keyed by username.
//
// Thread safety: all methods may be called concurrently.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "citygrid/common/clock.h"
#include "citygrid/common/status.h"
#include "citygrid/domain/case.h"
#include "citygrid/storage/store.h"

namespace citygrid::service {

struct User {
  std::string username;
  std::string display_name;
  Role role = Role::kOperator;
  std::string unit;  // required for handlers: the unit whose cases they see
  bool disabled = false;
  Timestamp created_at{};
  std::string password_hash;  // Argon2id encoded string; never leaves the service
};

struct NewUser {
  std::string username;  // 3-32 of [a-z0-9_.-]
  std::string display_name;
  Role role = Role::kOperator;
  std::string unit;
  std::string password;  // at least 8 characters
};

// The signed-in caller of a request.
struct Principal {
  std::string username;
  std::string display_name;
  Role role = Role::kOperator;
  std::string unit;
  Timestamp expires_at{};

  Actor ToActor() const { return Actor{username, role, unit}; }
};

struct LoginResult {
  std::string token;  // hex, 64 characters; shown once
  Timestamp expires_at{};
  User user;
};

struct AuthOptions {
  Duration session_lifetime = std::chrono::hours(12);
  // Failures within `failure_window` beyond `max_failures` lock the user or address out until
  // the window has passed since the last failure (kResourceExhausted → HTTP 429).
  int max_failures = 5;
  Duration failure_window = std::chrono::minutes(15);
  // Argon2id cost; tests lower it. Defaults are libsodium's "interactive" limits.
  unsigned long long pwhash_opslimit = 0;  // 0 = crypto_pwhash_OPSLIMIT_INTERACTIVE
  size_t pwhash_memlimit = 0;              // 0 = crypto_pwhash_MEMLIMIT_INTERACTIVE
  // How long a validated token is trusted from memory before the store is read again. Logout on
  // this node takes effect at once; on other nodes within this delay.
  Duration session_cache_ttl = std::chrono::seconds(5);
};

class AuthService {
 public:
  // `docs` and `clock` must outlive the service.
  AuthService(storage::DocumentStore& docs, const Clock& clock, AuthOptions options = {});

  // kInvalidArgument for a bad username, short password, or a handler without a unit;
  // kAlreadyExists when the username is taken.
  Result<User> AddUser(const NewUser& user);
  // kNotFound when there is no such user.
  Status SetPassword(const std::string& username, const std::string& password);
  // kFailedPrecondition (and nothing changed) when disabling the last enabled admin: with no
  // admin left nobody could enable anyone again short of the command line.
  Status SetDisabled(const std::string& username, bool disabled);
  // What SetDisabled(username, true) would refuse, without changing anything: for a caller
  // that changes several things of a user and must refuse before the first.
  Status CheckCanDisable(const std::string& username);
  // The name shown for the user. kInvalidArgument when empty, longer than 200 bytes or holding
  // a control character; kNotFound when there is no such user. Signed-in sessions show the new
  // name from their next request.
  Status SetDisplayName(const std::string& username, const std::string& display_name);
  Result<User> GetUser(const std::string& username);
  // All users, sorted by username.
  Result<std::vector<User>> ListUsers();

  // kUnauthenticated "wrong username or password" for any bad pair (no hint which);
  // kResourceExhausted after repeated failures for this user or this address.
  Result<LoginResult> Login(const std::string& username, const std::string& password,
                            const std::string& remote_address);
  // kUnauthenticated when the token is unknown, expired, revoked, or its user is disabled.
  Result<Principal> Authenticate(const std::string& token);
  // The key a token's session is stored and looked up under (SHA-256 of the token, in hex):
  // the store never holds a usable token.
  static std::string TokenKey(const std::string& token);
  // As Authenticate, for a token already turned into its key by TokenKey (a caller that sees
  // one token many times hashes it once).
  Result<Principal> AuthenticateKey(const std::string& key);
  // Revokes the token. Unknown tokens are not an error.
  Status Logout(const std::string& token);

 private:
  struct Failures {
    int count = 0;
    Timestamp last{};
  };
  struct CachedSession {
    Principal principal;
    Timestamp checked_at{};
  };

  bool LockedOut(const std::map<std::string, Failures>& table, const std::string& key,
                 Timestamp now) const;
  void RecordFailure(std::map<std::string, Failures>& table, const std::string& key,
                     Timestamp now);
  Result<std::string> HashPassword(const std::string& password) const;

  storage::DocumentStore& docs_;
  const Clock& clock_;
  AuthOptions options_;

  std::mutex mu_;
  // State below is protected by mu_.
  std::map<std::string, Failures> user_failures_;
  std::map<std::string, Failures> address_failures_;
  std::map<std::string, CachedSession> session_cache_;  // by token hash
};

}  // namespace citygrid::service
