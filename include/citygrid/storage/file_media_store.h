#pragma once

// MediaStore over a directory: each blob is the file DIR/ab/cdef… named by its SHA-256
// (first two hex digits as a subdirectory), written to a temporary file, fsynced and renamed
// into place (then the directory fsynced), so a crash leaves either the whole file or none.
// Shared by every backend: media never go into a database.
//
// Thread-safe: concurrent Puts of the same bytes race harmlessly to the same content.

#include <string>

#include "citygrid/storage/store.h"

namespace citygrid::storage {

class FileMediaStore final : public MediaStore {
 public:
  // `dir` is created on first Put.
  explicit FileMediaStore(std::string dir) : dir_(std::move(dir)) {}

  Result<std::string> Put(const std::string& bytes) override;
  Result<std::string> Get(const std::string& hash) override;

  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

}  // namespace citygrid::storage
