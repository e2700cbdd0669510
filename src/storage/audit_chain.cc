#include "citygrid/storage/audit_chain.h"

#include <sodium.h>

#include <cstdio>

namespace citygrid::storage {
namespace {

void EnsureSodium() {
  // sodium_init is idempotent and thread-safe; SHA-256 does not need the RNG, but libsodium
  // asks every user to call it once.
  static const bool initialized = [] { return sodium_init() >= 0; }();
  (void)initialized;
}

}  // namespace

void AppendField(std::string& out, std::string_view bytes) {
  out += std::to_string(bytes.size());
  out += ':';
  out.append(bytes.data(), bytes.size());
  out += ',';
}

std::string Sha256Hex(std::string_view bytes) {
  EnsureSodium();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()),
                     bytes.size());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(2 * sizeof digest, '\0');
  for (size_t i = 0; i < sizeof digest; ++i) {
    hex[2 * i] = kHex[digest[i] >> 4];
    hex[2 * i + 1] = kHex[digest[i] & 0xf];
  }
  return hex;
}

std::string CanonicalEventEncoding(const CaseEvent& e) {
  std::string out;
  out.reserve(256 + e.note.size() + e.payload_json.size() + 70 * e.photos.size());
  AppendField(out, "citygrid-event-v1");
  AppendField(out, std::to_string(e.case_id));
  AppendField(out, std::to_string(e.version));
  AppendField(out, Name(e.type));
  AppendField(out, e.action ? Name(*e.action) : std::string_view());
  AppendField(out, e.actor.user);
  AppendField(out, Name(e.actor.role));
  AppendField(out, e.actor.unit);
  AppendField(out, std::to_string(ToUnixMillis(e.at)));
  AppendField(out, e.note);
  AppendField(out, std::to_string(e.photos.size()));
  for (const std::string& photo : e.photos) AppendField(out, photo);
  AppendField(out, e.payload_json);
  AppendField(out, e.prev_hash);
  return out;
}

std::string EventHash(const CaseEvent& event) {
  return Sha256Hex(CanonicalEventEncoding(event));
}

void SealEvent(CaseEvent& event, const std::string& prev_hash) {
  event.prev_hash = prev_hash;
  event.hash = EventHash(event);
}

std::string BrokenLink::ToString() const {
  std::string out = "case ";
  if (!case_number.empty()) {
    out += case_number + " (id " + std::to_string(case_id) + ")";
  } else {
    out += "id " + std::to_string(case_id);
  }
  out += " version " + std::to_string(version);
  if (global_seq > 0) out += " (seq " + std::to_string(global_seq) + ")";
  out += ": " + problem;
  if (!expected.empty() || !found.empty()) {
    out += ": expected " + (expected.empty() ? std::string("\"\"") : expected) + ", found " +
           (found.empty() ? std::string("\"\"") : found);
  }
  return out;
}

bool ChainVerifier::Add(const CaseEvent& e) {
  if (first_broken_) return false;
  ++events_checked_;
  auto it = tips_.find(e.case_id);
  const int64_t want_version = it == tips_.end() ? 1 : it->second.version + 1;
  auto broken = [&](std::string problem, std::string expected, std::string found) {
    first_broken_ = BrokenLink{e.case_id, "", e.version, e.global_seq, std::move(problem),
                               std::move(expected), std::move(found)};
    return false;
  };
  if (e.version != want_version) {
    return broken(e.version < want_version ? "version repeats or goes backwards"
                                           : "versions are missing before this event",
                  "version " + std::to_string(want_version),
                  "version " + std::to_string(e.version));
  }
  const std::string& want_prev = it == tips_.end() ? std::string() : it->second.hash;
  if (e.prev_hash != want_prev) {
    return broken(want_version == 1 ? "the first event has a prev_hash"
                                    : "prev_hash is not the hash of the previous event",
                  want_prev, e.prev_hash);
  }
  std::string computed = EventHash(e);
  if (e.hash != computed) {
    return broken("stored hash does not match the event's contents", computed, e.hash);
  }
  Tip& tip = tips_[e.case_id];
  tip.version = e.version;
  tip.hash = std::move(computed);
  return true;
}

int64_t ChainVerifier::LastVersion(int64_t case_id) const {
  auto it = tips_.find(case_id);
  return it == tips_.end() ? 0 : it->second.version;
}

}  // namespace citygrid::storage
