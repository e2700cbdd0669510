#include "postgres_document_store.h"

namespace citygrid::storage::postgres {
namespace {

std::string Describe(const std::string& kind, const std::string& key) {
  return kind + " '" + key + "'";
}

Status CheckNames(const std::string& kind, const std::string& key) {
  if (kind.empty()) return InvalidArgumentError("document kind is empty (key '" + key + "')");
  if (key.empty()) return InvalidArgumentError("document key is empty (kind '" + kind + "')");
  return OkStatus();
}

}  // namespace

Result<Document> PostgresDocumentStore::Put(const std::string& kind, const std::string& key,
                                            const std::string& json, int64_t expected_version) {
  CITYGRID_RETURN_IF_ERROR(CheckNames(kind, key));
  if (expected_version < -1) {
    return InvalidArgumentError("expected version " + std::to_string(expected_version) +
                                " of " + Describe(kind, key) + " is not -1, 0 or a version");
  }
  CITYGRID_ASSIGN_OR_RETURN(PgLease conn, pool_.Acquire());
  PgParams p;
  p.Add(kind).Add(key).Add(json);
  std::string sql;
  if (expected_version == -1) {
    sql =
        "INSERT INTO documents (kind, key, json, version) VALUES ($1, $2, $3, 1)"
        " ON CONFLICT (kind, key) DO UPDATE SET json = EXCLUDED.json,"
        " version = documents.version + 1 RETURNING version";
  } else if (expected_version == 0) {
    sql =
        "INSERT INTO documents (kind, key, json, version) VALUES ($1, $2, $3, 1)"
        " ON CONFLICT (kind, key) DO NOTHING RETURNING version";
  } else {
    sql =
        "UPDATE documents SET json = $3, version = version + 1"
        " WHERE kind = $1 AND key = $2 AND version = $4 RETURNING version";
    p.Add(expected_version);
  }
  CITYGRID_ASSIGN_OR_RETURN(PgResult r, conn->Exec(sql, p));
  if (r.rows() == 0) {
    if (expected_version == 0) {
      return AlreadyExistsError(Describe(kind, key) + " already exists");
    }
    CITYGRID_ASSIGN_OR_RETURN(
        PgResult cur, conn->Exec("SELECT version FROM documents WHERE kind = $1 AND key = $2",
                                 PgParams().Add(kind).Add(key)));
    if (cur.rows() == 0) return NotFoundError(Describe(kind, key) + " not found");
    return AbortedError(Describe(kind, key) + " is at version " + cur.String(0, 0) + ", not " +
                        std::to_string(expected_version) + ": someone else changed it first");
  }
  return Document{kind, key, json, r.Int(0, 0)};
}

Result<Document> PostgresDocumentStore::Get(const std::string& kind, const std::string& key) {
  CITYGRID_ASSIGN_OR_RETURN(
      PgResult r, pool_.Exec("SELECT json, version FROM documents WHERE kind = $1 AND key = $2",
                             PgParams().Add(kind).Add(key)));
  if (r.rows() == 0) return NotFoundError(Describe(kind, key) + " not found");
  return Document{kind, key, r.String(0, 0), r.Int(0, 1)};
}

Result<std::vector<Document>> PostgresDocumentStore::List(const std::string& kind) {
  CITYGRID_ASSIGN_OR_RETURN(
      PgResult r, pool_.Exec("SELECT key, json, version FROM documents WHERE kind = $1"
                             " ORDER BY key COLLATE \"C\"",
                             PgParams().Add(kind)));
  std::vector<Document> out;
  out.reserve(r.rows());
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back(Document{kind, r.String(i, 0), r.String(i, 1), r.Int(i, 2)});
  }
  return out;
}

Status PostgresDocumentStore::Delete(const std::string& kind, const std::string& key) {
  CITYGRID_ASSIGN_OR_RETURN(PgLease conn, pool_.Acquire());
  CITYGRID_ASSIGN_OR_RETURN(
      PgResult r, conn->Exec("DELETE FROM documents WHERE kind = $1 AND key = $2 RETURNING 1",
                             PgParams().Add(kind).Add(key)));
  if (r.rows() == 0) return NotFoundError(Describe(kind, key) + " not found");
  return OkStatus();
}

}  // namespace citygrid::storage::postgres
