#include "src/storage/sqlite/sqlite_document_store.h"

namespace citygrid::storage::sqlite {
namespace {

std::string Describe(const std::string& kind, const std::string& key) {
  return kind + " '" + key + "'";
}

}  // namespace

Result<Document> SqliteDocumentStore::Put(const std::string& kind, const std::string& key,
                                          const std::string& json, int64_t expected_version) {
  if (kind.empty() || key.empty()) return InvalidArgumentError("document kind and key are required");
  if (expected_version < -1) {
    return InvalidArgumentError("expected_version " + std::to_string(expected_version) +
                                " is not -1, 0 or a version");
  }
  Document doc{kind, key, json, 0};
  CITYGRID_RETURN_IF_ERROR(db_.Write([&](Connection& conn) -> Status {
    int64_t stored = 0;
    {
      CITYGRID_ASSIGN_OR_RETURN(
          Statement st, conn.Prepare("SELECT version FROM documents WHERE kind = ? AND key = ?"));
      st.Bind(1, kind);
      st.Bind(2, key);
      CITYGRID_ASSIGN_OR_RETURN(bool found, st.Step());
      if (found) stored = st.Int(0);
    }
    if (expected_version == 0 && stored != 0) {
      return AlreadyExistsError(Describe(kind, key) + " already exists (version " +
                                std::to_string(stored) + ")");
    }
    if (expected_version > 0 && stored == 0) {
      return NotFoundError(Describe(kind, key) + " not found");
    }
    if (expected_version > 0 && stored != expected_version) {
      return AbortedError(Describe(kind, key) + " is at version " + std::to_string(stored) +
                          ", not " + std::to_string(expected_version));
    }
    doc.version = stored + 1;
    CITYGRID_ASSIGN_OR_RETURN(
        Statement st,
        conn.Prepare("INSERT INTO documents (kind, key, json, version) VALUES (?, ?, ?, ?) "
                     "ON CONFLICT (kind, key) DO UPDATE SET json = excluded.json, "
                     "version = excluded.version"));
    st.Bind(1, kind);
    st.Bind(2, key);
    st.Bind(3, json);
    st.Bind(4, doc.version);
    return st.Run();
  }));
  return doc;
}

Result<Document> SqliteDocumentStore::Get(const std::string& kind, const std::string& key) {
  Document doc{kind, key, "", 0};
  CITYGRID_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    CITYGRID_ASSIGN_OR_RETURN(
        Statement st,
        conn.Prepare("SELECT json, version FROM documents WHERE kind = ? AND key = ?"));
    st.Bind(1, kind);
    st.Bind(2, key);
    CITYGRID_ASSIGN_OR_RETURN(bool found, st.Step());
    if (!found) return NotFoundError(Describe(kind, key) + " not found");
    doc.json = st.String(0);
    doc.version = st.Int(1);
    return OkStatus();
  }));
  return doc;
}

Result<std::vector<Document>> SqliteDocumentStore::List(const std::string& kind) {
  std::vector<Document> docs;
  CITYGRID_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    CITYGRID_ASSIGN_OR_RETURN(
        Statement st,
        conn.Prepare("SELECT key, json, version FROM documents WHERE kind = ? ORDER BY key"));
    st.Bind(1, kind);
    while (true) {
      CITYGRID_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      docs.push_back(Document{kind, st.String(0), st.String(1), st.Int(2)});
    }
    return OkStatus();
  }));
  return docs;
}

Status SqliteDocumentStore::Delete(const std::string& kind, const std::string& key) {
  return db_.Write([&](Connection& conn) -> Status {
    CITYGRID_ASSIGN_OR_RETURN(Statement st,
                              conn.Prepare("DELETE FROM documents WHERE kind = ? AND key = ?"));
    st.Bind(1, kind);
    st.Bind(2, key);
    CITYGRID_RETURN_IF_ERROR(st.Run());
    if (sqlite3_changes(conn.db()) == 0) return NotFoundError(Describe(kind, key) + " not found");
    return OkStatus();
  });
}

}  // namespace citygrid::storage::sqlite
