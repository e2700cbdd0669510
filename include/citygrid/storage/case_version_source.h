#pragma once

// The current version of a case without loading it: how a cached read (GET
// /api/v1/cases/{number}) checks that its copy is current. A CaseStore may also be a
// CaseVersionSource; CurrentCaseVersion falls back to loading the case when it is not.

#include <cstdint>
#include <string>

#include "citygrid/common/status.h"
#include "citygrid/storage/store.h"

namespace citygrid::storage {

// A case's id and current version (every event raises the version).
struct CaseVersion {
  int64_t id = 0;
  int64_t version = 0;
};

class CaseVersionSource {
 public:
  virtual ~CaseVersionSource() = default;
  // The id and current version of case `number` (kNotFound when there is none), as
  // CaseStore::LoadCaseByNumber(number) would return them, and at least as fresh: every write
  // acknowledged before the call is in it. Thread-safe.
  virtual Result<CaseVersion> CurrentVersion(const std::string& number) = 0;
};

// `cases` as a CaseVersionSource, or null when it is not one.
inline CaseVersionSource* VersionSourceOf(CaseStore& cases) {
  return dynamic_cast<CaseVersionSource*>(&cases);
}

// The current version of case `number`: from `source` when given, else by loading the case.
inline Result<CaseVersion> CurrentCaseVersion(CaseStore& cases, CaseVersionSource* source,
                                              const std::string& number) {
  if (source != nullptr) return source->CurrentVersion(number);
  CITYGRID_ASSIGN_OR_RETURN(Case c, cases.LoadCaseByNumber(number));
  return CaseVersion{c.id, c.version};
}

}  // namespace citygrid::storage
