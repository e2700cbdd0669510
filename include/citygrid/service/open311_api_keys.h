#pragma once

// API keys for Open311 clients (FixMyStreet, apps): who may POST service requests and updates.
//
// A key is 24 random bytes shown once as 48 hex digits; only its SHA-256 is stored (document
// kind "api_key", keyed by the hash, like session tokens in auth_service.h), so a stolen
// database yields no usable key. Each key has a unique name (the client it was given to), which
// also names it for listing and revoking. `citygrid apikey add|list|revoke` manages them.
//
// Rate limit: each key may make `requests_per_minute` admitted requests in any sliding minute
// (a token bucket of that size refilled continuously); past it Admit answers kResourceExhausted
// and the seconds to wait (HTTP 429 + Retry-After). The bucket lives in memory on each node, so
// with N nodes a key gets up to N times the limit.
//
// Thread safety: all methods may be called concurrently.

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "citygrid/common/clock.h"
#include "citygrid/common/status.h"
#include "citygrid/storage/store.h"

namespace citygrid::service {

inline constexpr char kApiKeyKind[] = "api_key";

struct ApiKey {
  std::string name;      // 1-64 of [A-Za-z0-9_.-]; unique
  std::string key_hash;  // hex SHA-256 of the key; the document key
  Timestamp created_at{};
  bool revoked = false;
  Timestamp revoked_at{};
};

struct ApiKeyOptions {
  int requests_per_minute = 120;  // 0 = unlimited
};

class ApiKeyService {
 public:
  // `docs` and `clock` must outlive the service.
  ApiKeyService(storage::DocumentStore& docs, const Clock& clock, ApiKeyOptions options = {});

  // Creates a key named `name` and returns the key text (shown once) in `key_text`.
  // kInvalidArgument for a bad name; kAlreadyExists when a key of that name exists (revoked or
  // not: names stay unique so logs stay unambiguous).
  Result<ApiKey> Add(const std::string& name, std::string* key_text);
  // Every key, by name.
  Result<std::vector<ApiKey>> List();
  // Revokes the key named `name`; kNotFound when there is none. Revoking twice is not an error.
  Status Revoke(const std::string& name);

  // The live key whose text is `key_text`. kPermissionDenied "api_key is missing" for "",
  // "api_key is not valid" for an unknown key, "api_key '<name>' is revoked" for a revoked one.
  Result<ApiKey> Verify(const std::string& key_text);

  // Takes one request from the key's bucket. kResourceExhausted naming the key and the limit
  // when it is empty; then `*retry_after_seconds` (>= 1) says when one is free again.
  Status Admit(const ApiKey& key, int* retry_after_seconds);

 private:
  struct Bucket {
    double tokens = 0;
    Timestamp refilled{};
  };

  Result<ApiKey> FindByName(const std::string& name);

  storage::DocumentStore& docs_;
  const Clock& clock_;
  const ApiKeyOptions options_;

  std::mutex mu_;
  std::map<std::string, Bucket> buckets_;  // by key hash; protected by mu_
};

}  // namespace citygrid::service
