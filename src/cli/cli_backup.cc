// `citygrid backup` and `citygrid restore` (docs/operations.md, "Backup and restore").
//
// A backup is a directory:
//   citygrid.db     the database as of one commit, in the portable snapshot format
//                   (storage/backup.h: a SQLite file; restores into SQLite or PostgreSQL)
//   media/ab/cd...  the media files (photos), named by their SHA-256 like in a data directory
//   manifest.json   format and schema version, source backend, rows per table, the database
//                   file's and every media file's size and SHA-256, the time; written last
// It is written to PATH.partial-PID and renamed to PATH when complete, so PATH never holds half
// a backup.
//
// Restore verifies everything (manifest, database file hash and integrity, row counts, media
// hashes, and every audit chain as `citygrid check` does) in a staging place before the target
// becomes live: for SQLite a sibling directory renamed onto the target at the end, for
// PostgreSQL one transaction. A bad backup restores nothing.
//
// Exit codes: 0 ok, 1 failure (bad backup, unreadable source), 2 usage error, 3 the restore
// target is not empty.

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "citygrid/common/clock.h"
#include "citygrid/common/time.h"
#include "citygrid/storage/backup.h"
#include "citygrid/storage/store.h"
#include "cli/chain_verify.h"
#include "cli/commands.h"

namespace citygrid::cli {
namespace {

namespace fs = std::filesystem;
namespace bj = boost::json;

constexpr int kManifestFormatVersion = 1;
constexpr char kManifestFormat[] = "citygrid-backup";
constexpr int kExitNotEmpty = 3;

constexpr const char* kBackupUsage =
    "usage: citygrid backup (--data DIR | --db postgresql://... [--data DIR]) --out PATH\n\n"
    "Writes a consistent copy of the database (cases, events with their audit chains,\n"
    "documents: reference data, users, sessions, API keys, ledgers; ledger rows and events;\n"
    "counters) and the media files into the new directory PATH, while the server may be\n"
    "running. With --db, --data names the directory holding media/ (default citygrid-data).\n"
    "The backup restores into either backend (citygrid restore).\n";

constexpr const char* kRestoreUsage =
    "usage: citygrid restore --from PATH (--data DIR | --db postgresql://... [--data DIR])\n\n"
    "Verifies the backup PATH (manifest, database file hash and integrity, row counts, media\n"
    "hashes, every audit chain) and only then makes it live: into the new or empty directory\n"
    "DIR (SQLite), or into the empty PostgreSQL database (one transaction; media go to\n"
    "DIR/media, default citygrid-data). A target that holds data is refused (exit 3).\n";

// ------------------------------------------------------------------ files and hashes

struct FileDigest {
  int64_t bytes = 0;
  std::string sha256;  // lowercase hex
};

std::string Hex(const unsigned char* p, size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    out += kDigits[p[i] >> 4];
    out += kDigits[p[i] & 0xf];
  }
  return out;
}

// Streams `path` through libsodium's SHA-256. With `copy_to`, writes the same bytes there
// (created, fsynced) as they are hashed, so what was hashed is what was written.
Result<FileDigest> HashFile(const std::string& path, const std::string& copy_to = "") {
  int in = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return UnavailableError("opening " + path + ": " + std::strerror(errno));
  int out = -1;
  if (!copy_to.empty()) {
    out = ::open(copy_to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (out < 0) {
      ::close(in);
      return UnavailableError("creating " + copy_to + ": " + std::strerror(errno));
    }
  }
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  FileDigest digest;
  std::vector<unsigned char> buf(1 << 16);
  Status status;
  while (true) {
    ssize_t n = ::read(in, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      status = UnavailableError("reading " + path + ": " + std::strerror(errno));
      break;
    }
    if (n == 0) break;
    crypto_hash_sha256_update(&state, buf.data(), static_cast<unsigned long long>(n));
    digest.bytes += n;
    for (ssize_t done = 0; out >= 0 && done < n;) {
      ssize_t w = ::write(out, buf.data() + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        status = UnavailableError("writing " + copy_to + ": " + std::strerror(errno));
        break;
      }
      done += w;
    }
    if (!status.ok()) break;
  }
  ::close(in);
  if (out >= 0) {
    if (status.ok() && ::fsync(out) != 0) {
      status = UnavailableError("fsync " + copy_to + ": " + std::strerror(errno));
    }
    ::close(out);
  }
  if (!status.ok()) return status;
  unsigned char hash[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&state, hash);
  digest.sha256 = Hex(hash, sizeof hash);
  return digest;
}

Status WriteFileDurably(const std::string& path, const std::string& bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return UnavailableError("creating " + path + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      ::close(fd);
      return UnavailableError("writing " + path + ": " + std::strerror(errno));
    }
    done += static_cast<size_t>(w);
  }
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return UnavailableError("fsync " + path + ": " + std::strerror(errno));
  return OkStatus();
}

Status SyncFile(const fs::path& file) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return UnavailableError("opening " + file.string() + ": " + std::strerror(errno));
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return UnavailableError("fsync " + file.string() + ": " + std::strerror(errno));
  return OkStatus();
}

void SyncDirectory(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    (void)::fsync(fd);
    ::close(fd);
  }
}

bool IsHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// The media files of a media directory, as paths relative to it ("ab/cdef..."), sorted.
// Temporary files of a write in progress (".tmp-...") and anything not named like a blob are
// not media.
Result<std::vector<std::string>> ListMedia(const fs::path& media_dir) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::exists(media_dir, ec)) return out;
  for (auto it = fs::recursive_directory_iterator(media_dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    fs::path rel = fs::relative(it->path(), media_dir, ec);
    std::string sub = rel.parent_path().string(), name = rel.filename().string();
    if (sub.size() == 2 && name.size() == 62 && IsHex(sub) && IsHex(name)) {
      out.push_back(rel.string());
    }
  }
  if (ec) return UnavailableError("listing " + media_dir.string() + ": " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

std::string HumanBytes(int64_t bytes) {
  char buf[32];
  if (bytes >= (int64_t{1} << 20)) {
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  } else if (bytes >= 1024) {
    std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(bytes) / 1024);
  } else {
    std::snprintf(buf, sizeof buf, "%lld bytes", static_cast<long long>(bytes));
  }
  return buf;
}

// ------------------------------------------------------------------ arguments

struct Target {
  std::string data_dir;
  std::string db_url;
  std::string path;  // backup: --out; restore: --from
};

// Parses --data, --db and `path_flag`. Returns -1 to go on, else the exit code.
int ParseArgs(const char* command, const char* usage, const std::string& path_flag,
              const Args& args, Target* out) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::printf("%s", usage);
      return 0;
    }
    std::string* field = a == "--data" ? &out->data_dir
                         : a == "--db" ? &out->db_url
                         : a == path_flag ? &out->path
                                          : nullptr;
    if (field != nullptr) {
      if (i + 1 >= args.size()) return UsageError(command, a + " needs a value");
      *field = args[++i];
      continue;
    }
    const size_t eq = a.find('=');
    const std::string flag = a.substr(0, eq);
    if (eq != std::string::npos && (flag == "--data" || flag == "--db" || flag == path_flag)) {
      (flag == "--data" ? out->data_dir : flag == "--db" ? out->db_url : out->path) =
          a.substr(eq + 1);
      continue;
    }
    return UsageError(command, "unexpected argument '" + a + "' (see citygrid " + command +
                                   " --help)");
  }
  if (out->data_dir.empty() && out->db_url.empty()) {
    return UsageError(command, "give --data DIR or --db URL");
  }
  if (out->path.empty()) return UsageError(command, "give " + path_flag + " PATH");
  if (!out->db_url.empty() && out->data_dir.empty()) out->data_dir = "citygrid-data";
  return -1;
}

int Fail(const char* command, const std::string& message, int code = 1) {
  std::fprintf(stderr, "citygrid %s: %s\n", command, message.c_str());
  return code;
}

// ------------------------------------------------------------------ backup

struct MediaEntry {
  std::string file;  // "media/ab/cdef..."
  FileDigest digest;
};

Result<bj::object> WriteBackup(const Target& source, const fs::path& staging) {
  std::error_code ec;
  fs::create_directories(staging, ec);
  if (ec) return UnavailableError("creating " + staging.string() + ": " + ec.message());
  storage::StoreOptions options;
  options.data_dir = source.data_dir;
  options.db_url = source.db_url;
  const fs::path db_file = staging / "citygrid.db";
  CITYGRID_ASSIGN_OR_RETURN(storage::SnapshotInfo info,
                            storage::WriteSnapshot(options, db_file.string()));
  // VACUUM INTO does not sync its output.
  CITYGRID_RETURN_IF_ERROR(SyncFile(db_file));
  CITYGRID_ASSIGN_OR_RETURN(FileDigest db_digest, HashFile(db_file.string()));

  // Media after the database: blobs are written before the events that name them, so every
  // photo the snapshot refers to is already there (later ones come along harmlessly).
  const fs::path media_dir = fs::path(source.data_dir) / "media";
  CITYGRID_ASSIGN_OR_RETURN(std::vector<std::string> media, ListMedia(media_dir));
  bj::array media_json;
  int64_t media_bytes = 0;
  for (const std::string& rel : media) {
    const fs::path dest = staging / "media" / rel;
    fs::create_directories(dest.parent_path(), ec);
    if (ec) return UnavailableError("creating " + dest.parent_path().string() + ": " + ec.message());
    CITYGRID_ASSIGN_OR_RETURN(FileDigest d, HashFile((media_dir / rel).string(), dest.string()));
    const std::string name_hash = rel.substr(0, 2) + rel.substr(3);
    if (d.sha256 != name_hash) {
      std::fprintf(stderr,
                   "citygrid backup: warning: media file %s holds bytes with SHA-256 %s, not "
                   "the hash it is named by; copied as it is\n",
                   (media_dir / rel).c_str(), d.sha256.c_str());
    }
    media_bytes += d.bytes;
    media_json.push_back(bj::object{
        {"file", "media/" + rel}, {"bytes", d.bytes}, {"sha256", d.sha256}});
  }
  for (const auto& dir : {staging / "media", staging}) {
    if (fs::exists(dir, ec)) SyncDirectory(dir);
  }

  bj::object tables;
  for (const storage::TableCount& c : info.counts) tables[c.table] = c.rows;
  bj::object manifest{
      {"format", kManifestFormat},
      {"format_version", kManifestFormatVersion},
      {"citygrid_version", CITYGRID_VERSION},
      {"created_at", FormatIso8601(SystemClock::Default().Now(), 0)},
      {"source_backend", info.source_backend},
      {"schema_version", info.schema_version},
      {"last_global_seq", info.last_global_seq},
      {"database", bj::object{{"file", "citygrid.db"},
                              {"bytes", db_digest.bytes},
                              {"sha256", db_digest.sha256}}},
      {"tables", std::move(tables)},
      {"media_bytes", media_bytes},
      {"media", std::move(media_json)},
  };
  std::string text = bj::serialize(manifest);
  CITYGRID_RETURN_IF_ERROR(WriteFileDurably((staging / "manifest.json").string(), text + "\n"));
  SyncDirectory(staging);
  return manifest;
}

void PrintSummary(const char* verb, const std::string& where, const bj::object& manifest) {
  const bj::object& db = manifest.at("database").as_object();
  std::printf("citygrid %s: %s (%s, schema %lld, snapshot at event %lld)\n", verb, where.c_str(),
              manifest.at("source_backend").as_string().c_str(),
              static_cast<long long>(manifest.at("schema_version").to_number<int64_t>()),
              static_cast<long long>(manifest.at("last_global_seq").to_number<int64_t>()));
  std::string counts;
  for (const auto& [table, n] : manifest.at("tables").as_object()) {
    if (!counts.empty()) counts += ", ";
    counts += std::string(table) + " " + std::to_string(n.to_number<int64_t>());
  }
  std::printf("  rows: %s\n", counts.c_str());
  std::printf("  database: citygrid.db, %s, sha256 %s\n",
              HumanBytes(db.at("bytes").to_number<int64_t>()).c_str(),
              db.at("sha256").as_string().c_str());
  std::printf("  media: %zu files, %s\n", manifest.at("media").as_array().size(),
              HumanBytes(manifest.at("media_bytes").to_number<int64_t>()).c_str());
}

// ------------------------------------------------------------------ restore

// The manifest's fields the restore relies on, checked for presence and type.
struct Manifest {
  bj::object json;
  FileDigest database;
  std::vector<storage::TableCount> tables;
  std::vector<MediaEntry> media;
};

Result<Manifest> ReadManifest(const fs::path& backup) {
  const fs::path path = backup / "manifest.json";
  std::error_code ec;
  if (!fs::is_directory(backup, ec)) {
    return InvalidArgumentError(backup.string() + " is not a directory (a backup is the "
                                "directory citygrid backup --out wrote)");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return InvalidArgumentError(path.string() +
                                " is missing: not a citygrid backup, or an unfinished one");
  }
  std::stringstream text;
  text << in.rdbuf();
  bj::value doc = bj::parse(text.str(), ec);
  if (ec || !doc.is_object()) {
    return InvalidArgumentError(path.string() + " is not a JSON object" +
                                (ec ? " (" + ec.message() + ")" : std::string()));
  }
  Manifest m;
  m.json = doc.as_object();
  auto bad = [&](const std::string& field, const std::string& want) {
    return InvalidArgumentError(path.string() + ": field '" + field + "' is missing or not " +
                                want);
  };
  auto integer = [&](const bj::object& o, const char* key, const std::string& field,
                     int64_t* out) -> Status {
    const bj::value* v = o.if_contains(key);
    if (v == nullptr || !(v->is_int64() || v->is_uint64())) return bad(field, "an integer");
    *out = v->to_number<int64_t>();
    if (*out < 0) return bad(field, "a non-negative integer");
    return OkStatus();
  };
  auto string = [&](const bj::object& o, const char* key, const std::string& field,
                    std::string* out) -> Status {
    const bj::value* v = o.if_contains(key);
    if (v == nullptr || !v->is_string()) return bad(field, "a string");
    *out = std::string(v->as_string());
    return OkStatus();
  };
  std::string format;
  CITYGRID_RETURN_IF_ERROR(string(m.json, "format", "format", &format));
  if (format != kManifestFormat) {
    return InvalidArgumentError(path.string() + ": format is '" + format + "', not '" +
                                kManifestFormat + "'");
  }
  int64_t version = 0;
  CITYGRID_RETURN_IF_ERROR(integer(m.json, "format_version", "format_version", &version));
  if (version != kManifestFormatVersion) {
    return InvalidArgumentError(path.string() + ": backup format version " +
                                std::to_string(version) + "; this citygrid reads version " +
                                std::to_string(kManifestFormatVersion));
  }
  int64_t ignored = 0;
  CITYGRID_RETURN_IF_ERROR(integer(m.json, "schema_version", "schema_version", &ignored));
  CITYGRID_RETURN_IF_ERROR(integer(m.json, "last_global_seq", "last_global_seq", &ignored));
  CITYGRID_RETURN_IF_ERROR(integer(m.json, "media_bytes", "media_bytes", &ignored));
  std::string text_field;
  CITYGRID_RETURN_IF_ERROR(string(m.json, "source_backend", "source_backend", &text_field));
  const bj::value* db = m.json.if_contains("database");
  if (db == nullptr || !db->is_object()) return bad("database", "an object");
  CITYGRID_RETURN_IF_ERROR(integer(db->as_object(), "bytes", "database.bytes", &m.database.bytes));
  CITYGRID_RETURN_IF_ERROR(
      string(db->as_object(), "sha256", "database.sha256", &m.database.sha256));
  const bj::value* tables = m.json.if_contains("tables");
  if (tables == nullptr || !tables->is_object()) return bad("tables", "an object");
  for (const std::string& table : storage::SnapshotTables()) {
    storage::TableCount c{table, 0};
    CITYGRID_RETURN_IF_ERROR(
        integer(tables->as_object(), table.c_str(), "tables." + table, &c.rows));
    m.tables.push_back(c);
  }
  const bj::value* media = m.json.if_contains("media");
  if (media == nullptr || !media->is_array()) return bad("media", "an array");
  for (size_t i = 0; i < media->as_array().size(); ++i) {
    const bj::value& e = media->as_array()[i];
    const std::string field = "media[" + std::to_string(i) + "]";
    if (!e.is_object()) return bad(field, "an object");
    MediaEntry entry;
    CITYGRID_RETURN_IF_ERROR(string(e.as_object(), "file", field + ".file", &entry.file));
    CITYGRID_RETURN_IF_ERROR(
        integer(e.as_object(), "bytes", field + ".bytes", &entry.digest.bytes));
    CITYGRID_RETURN_IF_ERROR(
        string(e.as_object(), "sha256", field + ".sha256", &entry.digest.sha256));
    // Only "media/xx/<62 hex>": a manifest cannot make restore write outside the media dir.
    const std::string rel = entry.file.starts_with("media/") ? entry.file.substr(6) : "";
    if (rel.size() != 65 || rel[2] != '/' || !IsHex(rel.substr(0, 2)) || !IsHex(rel.substr(3))) {
      return InvalidArgumentError(path.string() + ": " + field + ".file '" + entry.file +
                                  "' is not a media file name (media/xx/<62 hex digits>)");
    }
    m.media.push_back(std::move(entry));
  }
  return m;
}

// Checks the database file against the manifest: size, SHA-256, SQLite integrity, row counts.
Status VerifyDatabase(const fs::path& backup, const Manifest& m) {
  const fs::path db = backup / "citygrid.db";
  std::error_code ec;
  if (!fs::is_regular_file(db, ec)) {
    return InvalidArgumentError(db.string() + " is missing");
  }
  CITYGRID_ASSIGN_OR_RETURN(FileDigest digest, HashFile(db.string()));
  if (digest.bytes != m.database.bytes) {
    return InvalidArgumentError(db.string() + " is " + std::to_string(digest.bytes) +
                                " bytes; the manifest says " + std::to_string(m.database.bytes) +
                                (digest.bytes < m.database.bytes ? " (truncated)" : ""));
  }
  if (digest.sha256 != m.database.sha256) {
    return InvalidArgumentError(db.string() + " has SHA-256 " + digest.sha256 +
                                "; the manifest says " + m.database.sha256 +
                                " (the file was changed)");
  }
  CITYGRID_ASSIGN_OR_RETURN(storage::SnapshotInfo info, storage::InspectSnapshot(db.string()));
  for (size_t i = 0; i < m.tables.size(); ++i) {
    if (info.counts[i].rows != m.tables[i].rows) {
      return InvalidArgumentError("table '" + m.tables[i].table + "' holds " +
                                  std::to_string(info.counts[i].rows) +
                                  " rows in the backup database; the manifest says " +
                                  std::to_string(m.tables[i].rows));
    }
  }
  const int64_t schema = m.json.at("schema_version").to_number<int64_t>();
  if (info.schema_version != schema) {
    return InvalidArgumentError("the backup database has schema version " +
                                std::to_string(info.schema_version) +
                                "; the manifest says " + std::to_string(schema));
  }
  return OkStatus();
}

// Copies every media file the manifest lists into `dest_media` (created), checking its size and
// SHA-256 on the way; a file in the backup's media/ that the manifest does not list is an error
// too.
Status StageMedia(const fs::path& backup, const Manifest& m, const fs::path& dest_media) {
  std::error_code ec;
  std::map<std::string, const MediaEntry*> listed;
  for (const MediaEntry& e : m.media) listed[e.file.substr(6)] = &e;
  CITYGRID_ASSIGN_OR_RETURN(std::vector<std::string> present, ListMedia(backup / "media"));
  for (const std::string& rel : present) {
    if (!listed.contains(rel)) {
      return InvalidArgumentError((backup / "media" / rel).string() +
                                  " is not in the manifest");
    }
  }
  for (const MediaEntry& e : m.media) {
    const fs::path src = backup / e.file;
    if (!fs::is_regular_file(src, ec)) {
      return InvalidArgumentError(src.string() + " is missing (listed in the manifest)");
    }
    const fs::path dest = dest_media / e.file.substr(6);
    fs::create_directories(dest.parent_path(), ec);
    if (ec) return UnavailableError("creating " + dest.parent_path().string() + ": " + ec.message());
    CITYGRID_ASSIGN_OR_RETURN(FileDigest d, HashFile(src.string(), dest.string()));
    if (d.bytes != e.digest.bytes || d.sha256 != e.digest.sha256) {
      return InvalidArgumentError(src.string() + " has " + std::to_string(d.bytes) +
                                  " bytes and SHA-256 " + d.sha256 + "; the manifest says " +
                                  std::to_string(e.digest.bytes) + " bytes and " +
                                  e.digest.sha256 + " (the file was changed)");
    }
  }
  return OkStatus();
}

// Opens the SQLite database of `data_dir` and verifies every chain like `citygrid check`.
Result<StoreChainSummary> VerifyChainsOf(const std::string& data_dir) {
  storage::StoreOptions options;
  options.data_dir = data_dir;
  CITYGRID_ASSIGN_OR_RETURN(std::unique_ptr<storage::Store> store, storage::OpenStore(options));
  CITYGRID_ASSIGN_OR_RETURN(StoreChainSummary summary, VerifyAllChains(*store));
  if (!summary.ok()) {
    return InvalidArgumentError("the backup's audit chains are broken " + summary.broken);
  }
  return summary;
}

// "" when `dir` is missing or an empty directory; else what is in the way.
std::string NonEmptyReason(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return "";
  if (!fs::is_directory(dir, ec)) return dir.string() + " exists and is not a directory";
  auto it = fs::directory_iterator(dir, ec);
  if (ec) return "cannot read " + dir.string() + ": " + ec.message();
  if (it == fs::directory_iterator()) return "";
  return dir.string() + " is not empty (it holds " + it->path().filename().string() + ")";
}

void RemoveQuietly(const fs::path& p) {
  std::error_code ec;
  fs::remove_all(p, ec);
}

std::string ChainLine(const StoreChainSummary& s) {
  return std::to_string(s.cases) + " cases and " + std::to_string(s.events) + " events, " +
         std::to_string(s.ledgers) + " ledgers with " + std::to_string(s.ledger_rows) +
         " rows and " + std::to_string(s.ledger_events) + " row events; every chain verifies";
}

int RestoreIntoSqlite(const fs::path& backup, const Manifest& m, const Target& target) {
  const fs::path dest = fs::absolute(target.data_dir).lexically_normal();
  if (std::string why = NonEmptyReason(dest); !why.empty()) {
    return Fail("restore", why + "; restore only into a new or empty directory", kExitNotEmpty);
  }
  const fs::path staging =
      dest.parent_path() / ("." + dest.filename().string() + ".restoring-" +
                            std::to_string(::getpid()));
  RemoveQuietly(staging);
  auto fail = [&](const Status& s) {
    RemoveQuietly(staging);
    return Fail("restore", s.message() + "; nothing was restored");
  };
  std::error_code ec;
  fs::create_directories(staging, ec);
  if (ec) return fail(UnavailableError("creating " + staging.string() + ": " + ec.message()));
  Status s = storage::CopySnapshotToSqlite((backup / "citygrid.db").string(), staging.string());
  if (!s.ok()) return fail(s);
  s = StageMedia(backup, m, staging / "media");
  if (!s.ok()) return fail(s);
  Result<StoreChainSummary> chains = VerifyChainsOf(staging.string());
  if (!chains.ok()) return fail(chains.status());
  // Checked again: someone may have put something there meanwhile. rename(2) replaces an empty
  // directory atomically and refuses a non-empty one.
  if (std::string why = NonEmptyReason(dest); !why.empty()) {
    RemoveQuietly(staging);
    return Fail("restore", why + "; nothing was restored", kExitNotEmpty);
  }
  fs::rename(staging, dest, ec);
  if (ec) return fail(UnavailableError("renaming " + staging.string() + " to " + dest.string() +
                                       ": " + ec.message()));
  SyncDirectory(dest.parent_path());
  PrintSummary("restore", "restored " + backup.string() + " into " + dest.string(),
               m.json);
  std::printf("  check: %s\n", ChainLine(*chains).c_str());
  return 0;
}

int RestoreIntoPostgres(const fs::path& backup, const Manifest& m, const Target& target) {
  storage::StoreOptions options;
  options.db_url = target.db_url;
  Result<std::vector<storage::TableCount>> counts = storage::CountTargetRows(options);
  if (!counts.ok()) return Fail("restore", counts.status().ToString());
  for (const storage::TableCount& c : *counts) {
    if (c.rows != 0) {
      return Fail("restore",
                  "the PostgreSQL database is not empty (table '" + c.table + "' holds " +
                      std::to_string(c.rows) + " rows); restore only into an empty database",
                  kExitNotEmpty);
    }
  }
  const fs::path media = fs::absolute(fs::path(target.data_dir) / "media").lexically_normal();
  if (std::string why = NonEmptyReason(media); !why.empty()) {
    return Fail("restore", why + "; restore media only into an empty media directory",
                kExitNotEmpty);
  }
  const std::string tag = std::to_string(::getpid());
  const fs::path staged_media = media.parent_path() / (".media.restoring-" + tag);
  const fs::path check_dir = media.parent_path() / (".restore-check-" + tag);
  auto cleanup = [&] {
    RemoveQuietly(staged_media);
    RemoveQuietly(check_dir);
  };
  auto fail = [&](const Status& s, int code = 1) {
    cleanup();
    return Fail("restore", s.message() + "; nothing was restored", code);
  };
  std::error_code ec;
  fs::create_directories(media.parent_path(), ec);
  if (ec) return fail(UnavailableError("creating " + media.parent_path().string() + ": " +
                                       ec.message()));
  Status s = StageMedia(backup, m, staged_media);
  if (!s.ok()) return fail(s);
  // The chains are verified on a scratch SQLite copy before PostgreSQL sees a row.
  s = storage::CopySnapshotToSqlite((backup / "citygrid.db").string(), check_dir.string());
  if (!s.ok()) return fail(s);
  Result<StoreChainSummary> chains = VerifyChainsOf(check_dir.string());
  if (!chains.ok()) return fail(chains.status());
  RemoveQuietly(check_dir);
  s = storage::LoadSnapshotIntoPostgres((backup / "citygrid.db").string(), target.db_url);
  if (!s.ok()) {
    return fail(s, s.code() == StatusCode::kFailedPrecondition &&
                           s.message().find("not empty") != std::string::npos
                       ? kExitNotEmpty
                       : 1);
  }
  if (fs::exists(staged_media, ec)) {
    fs::rename(staged_media, media, ec);
    if (ec) {
      std::fprintf(stderr,
                   "citygrid restore: the database is restored but moving the media from %s to "
                   "%s failed: %s; move it by hand\n",
                   staged_media.c_str(), media.c_str(), ec.message().c_str());
      return 1;
    }
  }
  PrintSummary("restore", "restored " + backup.string() + " into PostgreSQL (media in " +
                              media.string() + ")",
               m.json);
  std::printf("  check: %s\n", ChainLine(*chains).c_str());
  return 0;
}

}  // namespace

int RunBackup(const Args& args) {
  Target source;
  if (int code = ParseArgs("backup", kBackupUsage, "--out", args, &source); code >= 0) {
    return code;
  }
  const fs::path out = fs::absolute(source.path).lexically_normal();
  std::error_code ec;
  if (fs::exists(out, ec)) {
    return Fail("backup", out.string() + " already exists; give a new path for the backup");
  }
  const fs::path staging = out.parent_path() / (out.filename().string() + ".partial-" +
                                                std::to_string(::getpid()));
  RemoveQuietly(staging);
  Result<bj::object> manifest = WriteBackup(source, staging);
  if (!manifest.ok()) {
    RemoveQuietly(staging);
    return Fail("backup", manifest.status().ToString());
  }
  fs::rename(staging, out, ec);
  if (ec) {
    RemoveQuietly(staging);
    return Fail("backup", "renaming " + staging.string() + " to " + out.string() + ": " +
                              ec.message());
  }
  SyncDirectory(out.parent_path());
  PrintSummary("backup", "wrote " + out.string(), *manifest);
  return 0;
}

int RunRestore(const Args& args) {
  Target target;
  if (int code = ParseArgs("restore", kRestoreUsage, "--from", args, &target); code >= 0) {
    return code;
  }
  const fs::path backup = fs::absolute(target.path).lexically_normal();
  Result<Manifest> manifest = ReadManifest(backup);
  if (!manifest.ok()) return Fail("restore", manifest.status().message() + "; nothing restored");
  Status s = VerifyDatabase(backup, *manifest);
  if (!s.ok()) return Fail("restore", s.message() + "; nothing was restored");
  if (!target.db_url.empty()) return RestoreIntoPostgres(backup, *manifest, target);
  return RestoreIntoSqlite(backup, *manifest, target);
}

}  // namespace citygrid::cli
