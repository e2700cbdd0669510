#include "src/storage/sqlite/case_version_map.h"

namespace citygrid::storage::sqlite {

std::optional<CaseVersion> CaseVersionMap::Find(const std::string& number) const {
  std::lock_guard lock(mu_);
  auto it = versions_.find(number);
  if (it == versions_.end()) return std::nullopt;
  return it->second;
}

void CaseVersionMap::Committed(const std::string& number, CaseVersion version) {
  std::lock_guard lock(mu_);
  Raise(number, version);
}

uint64_t CaseVersionMap::epoch() const {
  std::lock_guard lock(mu_);
  return epoch_;
}

void CaseVersionMap::Learn(const std::string& number, CaseVersion version, uint64_t epoch) {
  std::lock_guard lock(mu_);
  if (epoch != epoch_) return;
  Raise(number, version);
}

size_t CaseVersionMap::size() const {
  std::lock_guard lock(mu_);
  return versions_.size();
}

void CaseVersionMap::Raise(const std::string& number, CaseVersion version) {
  auto it = versions_.find(number);
  if (it != versions_.end()) {
    if (version.version > it->second.version) it->second = version;
    return;
  }
  if (versions_.size() >= max_entries_) {
    versions_.clear();
    ++epoch_;
  }
  versions_.emplace(number, version);
}

}  // namespace citygrid::storage::sqlite
