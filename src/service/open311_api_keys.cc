#include "citygrid/service/open311_api_keys.h"

#include <sodium.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>

#include "citygrid/storage/audit_chain.h"

namespace citygrid::service {
namespace {

namespace json = boost::json;

bool ValidName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == '-';
  });
}

std::string Encode(const ApiKey& k) {
  json::object o;
  o["name"] = k.name;
  o["created_at"] = ToUnixMillis(k.created_at);
  o["revoked"] = k.revoked;
  o["revoked_at"] = ToUnixMillis(k.revoked_at);
  return json::serialize(o);
}

Result<ApiKey> Decode(const storage::Document& doc) {
  boost::system::error_code ec;
  json::value v = json::parse(doc.json, ec);
  if (ec || !v.is_object()) return InternalError("stored api_key is not a JSON object");
  const json::object& o = v.as_object();
  try {
    ApiKey k;
    k.key_hash = doc.key;
    k.name = json::value_to<std::string>(o.at("name"));
    k.created_at = FromUnixMillis(o.at("created_at").to_number<int64_t>());
    k.revoked = o.at("revoked").as_bool();
    k.revoked_at = FromUnixMillis(o.at("revoked_at").to_number<int64_t>());
    return k;
  } catch (const std::exception& e) {
    return InternalError(std::string("stored api_key is malformed: ") + e.what());
  }
}

}  // namespace

ApiKeyService::ApiKeyService(storage::DocumentStore& docs, const Clock& clock,
                             ApiKeyOptions options)
    : docs_(docs), clock_(clock), options_(options) {}

Result<ApiKey> ApiKeyService::FindByName(const std::string& name) {
  CITYGRID_ASSIGN_OR_RETURN(std::vector<ApiKey> keys, List());
  for (ApiKey& k : keys) {
    if (k.name == name) return std::move(k);
  }
  return NotFoundError("no api key named '" + name + "'");
}

Result<ApiKey> ApiKeyService::Add(const std::string& name, std::string* key_text) {
  if (!ValidName(name)) {
    return InvalidArgumentError("api key name '" + name.substr(0, 80) +
                                "' must be 1-64 letters, digits, '_', '.' or '-'");
  }
  Result<ApiKey> existing = FindByName(name);
  if (existing.ok()) return AlreadyExistsError("an api key named '" + name + "' exists");
  if (existing.status().code() != StatusCode::kNotFound) return existing.status();
  if (sodium_init() < 0) return InternalError("libsodium failed to initialise");
  unsigned char bytes[24];
  randombytes_buf(bytes, sizeof bytes);
  char hex[sizeof bytes * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  ApiKey key;
  key.name = name;
  key.key_hash = storage::Sha256Hex(hex);
  key.created_at = clock_.Now();
  CITYGRID_RETURN_IF_ERROR(docs_.Put(kApiKeyKind, key.key_hash, Encode(key), 0));
  *key_text = hex;
  return key;
}

Result<std::vector<ApiKey>> ApiKeyService::List() {
  CITYGRID_ASSIGN_OR_RETURN(std::vector<storage::Document> docs, docs_.List(kApiKeyKind));
  std::vector<ApiKey> keys;
  for (const storage::Document& d : docs) {
    CITYGRID_ASSIGN_OR_RETURN(ApiKey k, Decode(d));
    keys.push_back(std::move(k));
  }
  std::sort(keys.begin(), keys.end(),
            [](const ApiKey& a, const ApiKey& b) { return a.name < b.name; });
  return keys;
}

Status ApiKeyService::Revoke(const std::string& name) {
  CITYGRID_ASSIGN_OR_RETURN(ApiKey key, FindByName(name));
  if (key.revoked) return OkStatus();
  key.revoked = true;
  key.revoked_at = clock_.Now();
  return docs_.Put(kApiKeyKind, key.key_hash, Encode(key)).status();
}

Result<ApiKey> ApiKeyService::Verify(const std::string& key_text) {
  if (key_text.empty()) return PermissionDeniedError("api_key is missing");
  Result<storage::Document> doc = docs_.Get(kApiKeyKind, storage::Sha256Hex(key_text));
  if (!doc.ok()) {
    if (doc.status().code() == StatusCode::kNotFound) {
      return PermissionDeniedError("api_key is not valid");
    }
    return doc.status();
  }
  CITYGRID_ASSIGN_OR_RETURN(ApiKey key, Decode(*doc));
  if (key.revoked) return PermissionDeniedError("api_key '" + key.name + "' is revoked");
  return key;
}

Status ApiKeyService::Admit(const ApiKey& key, int* retry_after_seconds) {
  *retry_after_seconds = 0;
  if (options_.requests_per_minute <= 0) return OkStatus();
  const double capacity = options_.requests_per_minute;
  const double per_ms = capacity / 60000.0;
  const Timestamp now = clock_.Now();
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = buckets_.try_emplace(key.key_hash);
  Bucket& b = it->second;
  if (inserted) {
    b.tokens = capacity;
    b.refilled = now;
  } else if (now > b.refilled) {
    b.tokens = std::min(capacity, b.tokens + per_ms * (now - b.refilled).count());
    b.refilled = now;
  }
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return OkStatus();
  }
  *retry_after_seconds =
      std::max(1, static_cast<int>(std::ceil((1 - b.tokens) / per_ms / 1000.0)));
  return ResourceExhaustedError("api key '" + key.name + "' made more than " +
                                std::to_string(options_.requests_per_minute) +
                                " requests in a minute; retry in " +
                                std::to_string(*retry_after_seconds) + " s");
}

}  // namespace citygrid::service
