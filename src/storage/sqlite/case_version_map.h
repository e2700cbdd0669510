#pragma once

// The versions of cases that this process committed or read, by case number: the answer of
// CaseStore::CurrentVersion without a read of the database, for a store that is the only
// writer of its database (SqliteStoreOptions::own_data_dir).
//
// Correctness rests on two rules: every committed write is recorded (Committed) after its
// commit and before it is acknowledged, and versions only grow. A version read from the
// database (Learn) may be older than one committed meanwhile, so an entry only ever rises.
// When the map is full it is emptied (the next lookups read the database again); a Learn whose
// read began before that (its epoch is older) is dropped, since a commit recorded between the
// read and the emptying would otherwise be lost. Thread-safe.

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "citygrid/storage/case_version_source.h"

namespace citygrid::storage::sqlite {

class CaseVersionMap {
 public:
  explicit CaseVersionMap(size_t max_entries = 1'000'000) : max_entries_(max_entries) {}

  // The recorded version of `number`, if any.
  std::optional<CaseVersion> Find(const std::string& number) const;

  // Records a committed write of `number`.
  void Committed(const std::string& number, CaseVersion version);

  // The epoch to pass to Learn: take it before reading the database.
  uint64_t epoch() const;
  // Records a version read from the database after epoch() returned `epoch`.
  void Learn(const std::string& number, CaseVersion version, uint64_t epoch);

  size_t size() const;

 private:
  // REQUIRES: mu_ held.
  void Raise(const std::string& number, CaseVersion version);

  const size_t max_entries_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, CaseVersion> versions_;  // GUARDED_BY(mu_)
  uint64_t epoch_ = 0;                                     // GUARDED_BY(mu_)
};

}  // namespace citygrid::storage::sqlite
