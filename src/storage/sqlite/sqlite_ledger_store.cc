#include "src/storage/sqlite/sqlite_ledger_store.h"

namespace citygrid::storage::sqlite {
namespace {

constexpr char kEventColumns[] =
    "seq, ledger_id, row_key, version, type, actor_user, actor_role, actor_unit, at, note, "
    "photos, payload_json, prev_hash, hash";

std::string JoinPhotos(const std::vector<std::string>& photos) {
  std::string out;
  for (const auto& p : photos) out += (out.empty() ? "" : ";") + p;
  return out;
}

std::vector<std::string> SplitPhotos(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(';', start);
    if (end == std::string_view::npos) end = text.size();
    out.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

Result<LedgerEvent> ReadEvent(const Statement& st) {
  LedgerEvent e;
  e.seq = st.Int(0);
  e.ledger_id = st.String(1);
  e.row_key = st.String(2);
  e.version = st.Int(3);
  auto corrupt = [&](const Status& s) {
    return InternalError("ledger event seq " + std::to_string(e.seq) + ": " + s.message());
  };
  auto type = ParseLedgerEventType(st.Text(4));
  if (!type.ok()) return corrupt(type.status());
  e.type = *type;
  e.actor.user = st.String(5);
  auto role = ParseRole(st.Text(6));
  if (!role.ok()) return corrupt(role.status());
  e.actor.role = *role;
  e.actor.unit = st.String(7);
  e.at = FromUnixMillis(st.Int(8));
  e.note = st.String(9);
  e.photos = SplitPhotos(st.Text(10));
  e.payload_json = st.String(11);
  e.prev_hash = st.String(12);
  e.hash = st.String(13);
  return e;
}

Result<LedgerRow> ReadRow(const Statement& st, int first) {
  Result<LedgerRow> row = DecodeLedgerRow(st.Text(first + 2));
  if (!row.ok()) {
    return InternalError("ledger " + st.String(first) + " row " + st.String(first + 1) +
                         ": stored body does not decode: " + row.status().message());
  }
  row->ledger_id = st.String(first);
  row->key = st.String(first + 1);
  row->version = st.Int(first + 3);
  return row;
}

Status ReadEvents(Statement& st, std::vector<LedgerEvent>& out) {
  while (true) {
    CITYGRID_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return OkStatus();
    CITYGRID_ASSIGN_OR_RETURN(LedgerEvent e, ReadEvent(st));
    out.push_back(std::move(e));
  }
}

}  // namespace

Result<std::vector<LedgerEvent>> SqliteLedgerStore::Write(const std::string& ledger_id,
                                                          std::vector<LedgerRowWrite> writes) {
  CITYGRID_RETURN_IF_ERROR(CheckLedgerWrites(ledger_id, writes));
  std::vector<LedgerEvent> stored;
  CITYGRID_RETURN_IF_ERROR(db_.Write([&](Connection& conn) -> Status {
    stored.clear();
    int64_t seq = 0;
    {
      CITYGRID_ASSIGN_OR_RETURN(Statement st,
                                conn.Prepare("SELECT coalesce(max(seq), 0) FROM ledger_events"));
      CITYGRID_ASSIGN_OR_RETURN(bool row, st.Step());
      if (row) seq = st.Int(0);
    }
    for (LedgerRowWrite& w : writes) {
      const std::string& key = w.next.key;
      const std::string what = "ledger " + ledger_id + " row " + key;
      int64_t current = 0;
      std::string prev_hash;
      {
        CITYGRID_ASSIGN_OR_RETURN(
            Statement st,
            conn.Prepare("SELECT version FROM ledger_rows WHERE ledger_id = ? AND row_key = ?"));
        st.Bind(1, ledger_id);
        st.Bind(2, key);
        CITYGRID_ASSIGN_OR_RETURN(bool found, st.Step());
        if (found) current = st.Int(0);
        if (w.expected_version == 0 && found) {
          return AlreadyExistsError(what + " already exists (version " +
                                    std::to_string(current) + ")");
        }
        if (w.expected_version > 0 && !found) return NotFoundError(what + " not found");
        if (w.expected_version > 0 && current != w.expected_version) {
          return AbortedError(what + " is at version " + std::to_string(current) + ", not " +
                              std::to_string(w.expected_version) +
                              ": someone else changed it first");
        }
      }
      if (current > 0) {
        CITYGRID_ASSIGN_OR_RETURN(
            Statement st, conn.Prepare("SELECT hash FROM ledger_events WHERE ledger_id = ? AND "
                                       "row_key = ? AND version = ?"));
        st.Bind(1, ledger_id);
        st.Bind(2, key);
        st.Bind(3, current);
        CITYGRID_ASSIGN_OR_RETURN(bool found, st.Step());
        if (!found) return InternalError(what + ": the event of version " + std::to_string(current) + " is missing");
        prev_hash = st.String(0);
      }
      w.next.ledger_id = ledger_id;
      {
        CITYGRID_ASSIGN_OR_RETURN(
            Statement st,
            conn.Prepare("INSERT INTO ledger_rows (ledger_id, row_key, version, body) "
                         "VALUES (?, ?, ?, ?) ON CONFLICT (ledger_id, row_key) DO UPDATE SET "
                         "version = excluded.version, body = excluded.body"));
        st.Bind(1, ledger_id);
        st.Bind(2, key);
        st.Bind(3, w.next.version);
        st.Bind(4, EncodeLedgerRow(w.next));
        CITYGRID_RETURN_IF_ERROR(st.Run());
      }
      int64_t version = current;
      for (LedgerEvent& e : w.events) {
        e.ledger_id = ledger_id;
        e.row_key = key;
        e.version = ++version;
        e.seq = ++seq;
        SealLedgerEvent(e, prev_hash);
        prev_hash = e.hash;
        CITYGRID_ASSIGN_OR_RETURN(
            Statement st,
            conn.Prepare(std::string("INSERT INTO ledger_events (") + kEventColumns +
                         ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
        st.Bind(1, e.seq);
        st.Bind(2, e.ledger_id);
        st.Bind(3, e.row_key);
        st.Bind(4, e.version);
        st.Bind(5, Name(e.type));
        st.Bind(6, e.actor.user);
        st.Bind(7, Name(e.actor.role));
        st.Bind(8, e.actor.unit);
        st.Bind(9, ToUnixMillis(e.at));
        st.Bind(10, e.note);
        st.Bind(11, JoinPhotos(e.photos));
        st.Bind(12, e.payload_json);
        st.Bind(13, e.prev_hash);
        st.Bind(14, e.hash);
        CITYGRID_RETURN_IF_ERROR(st.Run());
        stored.push_back(e);
      }
    }
    return OkStatus();
  }));
  return stored;
}

Result<LedgerRow> SqliteLedgerStore::LoadRow(const std::string& ledger_id,
                                             const std::string& row_key) {
  std::optional<LedgerRow> out;
  CITYGRID_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    CITYGRID_ASSIGN_OR_RETURN(
        Statement st, conn.Prepare("SELECT ledger_id, row_key, body, version FROM ledger_rows "
                                   "WHERE ledger_id = ? AND row_key = ?"));
    st.Bind(1, ledger_id);
    st.Bind(2, row_key);
    CITYGRID_ASSIGN_OR_RETURN(bool found, st.Step());
    if (!found) return NotFoundError("ledger " + ledger_id + " has no row " + row_key);
    CITYGRID_ASSIGN_OR_RETURN(LedgerRow row, ReadRow(st, 0));
    out = std::move(row);
    return OkStatus();
  }));
  return std::move(*out);
}

Result<std::vector<LedgerRow>> SqliteLedgerStore::ListRows(const std::string& ledger_id) {
  std::vector<LedgerRow> rows;
  CITYGRID_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    CITYGRID_ASSIGN_OR_RETURN(
        Statement st, conn.Prepare("SELECT ledger_id, row_key, body, version FROM ledger_rows "
                                   "WHERE ledger_id = ? ORDER BY row_key"));
    st.Bind(1, ledger_id);
    while (true) {
      CITYGRID_ASSIGN_OR_RETURN(bool found, st.Step());
      if (!found) break;
      CITYGRID_ASSIGN_OR_RETURN(LedgerRow row, ReadRow(st, 0));
      rows.push_back(std::move(row));
    }
    return OkStatus();
  }));
  return rows;
}

Result<std::vector<LedgerEvent>> SqliteLedgerStore::LoadRowHistory(const std::string& ledger_id,
                                                                   const std::string& row_key) {
  std::vector<LedgerEvent> events;
  CITYGRID_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    CITYGRID_ASSIGN_OR_RETURN(
        Statement st, conn.Prepare(std::string("SELECT ") + kEventColumns +
                                   " FROM ledger_events WHERE ledger_id = ? AND row_key = ? "
                                   "ORDER BY version"));
    st.Bind(1, ledger_id);
    st.Bind(2, row_key);
    return ReadEvents(st, events);
  }));
  return events;
}

Result<std::vector<LedgerEvent>> SqliteLedgerStore::LoadLedgerEvents(
    const std::string& ledger_id) {
  std::vector<LedgerEvent> events;
  CITYGRID_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    CITYGRID_ASSIGN_OR_RETURN(Statement st,
                              conn.Prepare(std::string("SELECT ") + kEventColumns +
                                           " FROM ledger_events WHERE ledger_id = ? ORDER BY seq"));
    st.Bind(1, ledger_id);
    return ReadEvents(st, events);
  }));
  return events;
}

}  // namespace citygrid::storage::sqlite
