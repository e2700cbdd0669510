#include "src/storage/sqlite/sqlite_case_store.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <variant>

#include "citygrid/common/case_number.h"
#include "citygrid/storage/audit_chain.h"
#include "citygrid/storage/case_codec.h"
#include "citygrid/storage/case_query.h"

namespace citygrid::storage::sqlite {

const char kInsertCaseSql[] =
    "INSERT INTO cases (number, version, state, channel, category, unit, district, subdistrict, "
    "community, grid, lon, lat, description, address, created_at, updated_at, deadline_key, "
    "overdue, idempotency_key, body, id) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
const char kInsertEventSql[] =
    "INSERT INTO events (case_id, version, type, action, actor_user, actor_role, actor_unit, at, "
    "note, photos, payload_json, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

void BindCaseRow(Statement& st, const Case& c) {
  st.Bind(1, c.number);
  st.Bind(2, c.version);
  st.Bind(3, Name(c.state));
  st.Bind(4, Name(c.channel));
  st.Bind(5, c.category);
  st.Bind(6, c.unit);
  st.Bind(7, c.location.district_code);
  st.Bind(8, c.location.subdistrict_code);
  st.Bind(9, c.location.community_code);
  st.Bind(10, c.location.grid_code);
  st.Bind(11, c.location.lon);
  st.Bind(12, c.location.lat);
  st.Bind(13, c.description);
  st.Bind(14, c.location.address);
  st.Bind(15, ToUnixMillis(c.created_at));
  st.Bind(16, ToUnixMillis(c.updated_at));
  st.Bind(17, SortKeyOf(c, CaseSort::kDeadlineAsc).key);
  st.Bind(18, c.overdue);
  st.Bind(19, c.idempotency_key);
  st.BindBlob(20, EncodeCase(c));
}

void BindEventRow(Statement& st, const CaseEvent& e) {
  st.Bind(1, e.case_id);
  st.Bind(2, e.version);
  st.Bind(3, Name(e.type));
  st.Bind(4, e.action ? Name(*e.action) : std::string_view());
  st.Bind(5, e.actor.user);
  st.Bind(6, Name(e.actor.role));
  st.Bind(7, e.actor.unit);
  st.Bind(8, ToUnixMillis(e.at));
  st.Bind(9, e.note);
  st.BindBlob(10, EncodeStringList(e.photos));
  st.Bind(11, e.payload_json);
  st.Bind(12, e.prev_hash);
  st.Bind(13, e.hash);
}

namespace {

constexpr int kMaxEventsPerPage = 10000;

constexpr char kEventColumns[] =
    "global_seq, case_id, version, type, action, actor_user, actor_role, actor_unit, at, note, "
    "photos, payload_json, prev_hash, hash";

Result<CaseEvent> ReadEvent(const Statement& st) {
  CaseEvent e;
  e.global_seq = st.Int(0);
  e.case_id = st.Int(1);
  e.version = st.Int(2);
  auto corrupt = [&](const Status& s) {
    return InternalError("event seq " + std::to_string(e.global_seq) + ": " + s.message());
  };
  auto type = ParseEventType(st.Text(3));
  if (!type.ok()) return corrupt(type.status());
  e.type = *type;
  if (!st.Text(4).empty()) {
    auto action = ParseAction(st.Text(4));
    if (!action.ok()) return corrupt(action.status());
    e.action = *action;
  }
  e.actor.user = st.String(5);
  auto role = ParseRole(st.Text(6));
  if (!role.ok()) return corrupt(role.status());
  e.actor.role = *role;
  e.actor.unit = st.String(7);
  e.at = FromUnixMillis(st.Int(8));
  e.note = st.String(9);
  auto photos = DecodeStringList(st.Text(10));
  if (!photos.ok()) return corrupt(photos.status());
  e.photos = std::move(photos).value();
  e.payload_json = st.String(11);
  e.prev_hash = st.String(12);
  e.hash = st.String(13);
  return e;
}

// Inserts a sealed event; returns its global_seq.
Result<int64_t> InsertEvent(Connection& conn, const CaseEvent& e) {
  CITYGRID_ASSIGN_OR_RETURN(Statement st, conn.Prepare(kInsertEventSql));
  BindEventRow(st, e);
  CITYGRID_RETURN_IF_ERROR(st.Run());
  return static_cast<int64_t>(sqlite3_last_insert_rowid(conn.db()));
}

Status InsertCaseRow(Connection& conn, const Case& c) {
  CITYGRID_ASSIGN_OR_RETURN(Statement st, conn.Prepare(kInsertCaseSql));
  BindCaseRow(st, c);
  st.Bind(21, c.id);
  return st.Run();
}

Status UpdateCaseRow(Connection& conn, const Case& c) {
  CITYGRID_ASSIGN_OR_RETURN(
      Statement st,
      conn.Prepare("UPDATE cases SET number = ?, version = ?, state = ?, channel = ?, "
                   "category = ?, unit = ?, district = ?, subdistrict = ?, community = ?, "
                   "grid = ?, lon = ?, lat = ?, description = ?, address = ?, created_at = ?, "
                   "updated_at = ?, deadline_key = ?, overdue = ?, idempotency_key = ?, "
                   "body = ? WHERE id = ?"));
  BindCaseRow(st, c);
  st.Bind(21, c.id);
  return st.Run();
}

Result<Case> ReadCaseWhere(Connection& conn, const char* sql, const auto& key,
                           const std::string& what) {
  CITYGRID_ASSIGN_OR_RETURN(Statement st, conn.Prepare(sql));
  st.Bind(1, key);
  CITYGRID_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return NotFoundError(what + " not found");
  return DecodeCase(st.Text(0));
}

Result<Case> ReadCaseById(Connection& conn, int64_t id) {
  return ReadCaseWhere(conn, "SELECT body FROM cases WHERE id = ?", id,
                       "case id " + std::to_string(id));
}

Status ApplyCounters(Connection& conn, const std::vector<CounterDelta>& counters) {
  for (const CounterDelta& d : counters) {
    if (d.key.empty()) return InvalidArgumentError("a counter delta has an empty key");
    CITYGRID_ASSIGN_OR_RETURN(
        Statement st,
        conn.Prepare("INSERT INTO counters (key, value) VALUES (?, ?) "
                     "ON CONFLICT (key) DO UPDATE SET value = value + excluded.value"));
    st.Bind(1, d.key);
    st.Bind(2, d.delta);
    CITYGRID_RETURN_IF_ERROR(st.Run());
  }
  return OkStatus();
}

// A WHERE clause and its parameters for the filters of a CaseQuery.
struct SqlWhere {
  std::string sql;
  std::vector<std::variant<int64_t, double, std::string>> params;

  template <typename T>
  void Add(const std::string& condition, T value) {
    sql += sql.empty() ? " WHERE " : " AND ";
    sql += condition;
    params.emplace_back(std::move(value));
  }
  void Bind(Statement& st) const {
    for (size_t i = 0; i < params.size(); ++i) {
      std::visit([&](const auto& v) { st.Bind(static_cast<int>(i + 1), v); }, params[i]);
    }
  }
};

SqlWhere BuildWhere(const CaseQuery& q) {
  SqlWhere w;
  if (!q.states.empty()) {
    std::string in = "state IN (";
    for (size_t i = 0; i < q.states.size(); ++i) in += i ? ", ?" : "?";
    in += ")";
    w.sql += w.sql.empty() ? " WHERE " : " AND ";
    w.sql += in;
    for (CaseState s : q.states) w.params.emplace_back(std::string(Name(s)));
  }
  if (!q.category.empty()) w.Add("category = ?", q.category);
  if (!q.unit.empty()) w.Add("unit = ?", q.unit);
  if (!q.district.empty()) w.Add("district = ?", q.district);
  if (!q.subdistrict.empty()) w.Add("subdistrict = ?", q.subdistrict);
  if (!q.community.empty()) w.Add("community = ?", q.community);
  if (!q.grid.empty()) w.Add("grid = ?", q.grid);
  if (q.channel) w.Add("channel = ?", std::string(Name(*q.channel)));
  if (q.created_from) w.Add("created_at >= ?", ToUnixMillis(*q.created_from));
  if (q.created_to) w.Add("created_at < ?", ToUnixMillis(*q.created_to));
  if (q.overdue) w.Add("overdue = ?", int64_t{*q.overdue ? 1 : 0});
  if (q.deadline_before) w.Add("deadline_key < ?", ToUnixMillis(*q.deadline_before));
  if (q.bbox) {
    w.Add("lon >= ?", q.bbox->min_lon);
    w.Add("lon <= ?", q.bbox->max_lon);
    w.Add("lat >= ?", q.bbox->min_lat);
    w.Add("lat <= ?", q.bbox->max_lat);
  }
  if (!q.text.empty()) {
    w.Add("(instr(description, ?) > 0 OR instr(address, ?) > 0)", q.text);
    w.params.emplace_back(q.text);
  }
  return w;
}

const char* SortColumn(CaseSort sort) {
  switch (sort) {
    case CaseSort::kCreatedDesc:
    case CaseSort::kCreatedAsc:
      return "created_at";
    case CaseSort::kDeadlineAsc:
      return "deadline_key";
    case CaseSort::kUpdatedDesc:
      return "updated_at";
  }
  return "created_at";
}

// The rows of a new case (see CaseStore::CreateCase), on the writer connection; fills *result.
// May run twice (SqliteDatabase's rerun with savepoints): it starts *result afresh.
// `created_event` receives the sealed kCreated event as written (when a case was created).
Status WriteNewCase(Connection& conn, const NewCase& new_case,
                    const std::vector<CounterDelta>& counters, CreateResult* result,
                    CaseEvent* created_event) {
  *result = CreateResult{};
  const std::string& key = new_case.idempotency_key;
  if (!key.empty()) {
    CITYGRID_ASSIGN_OR_RETURN(
        Statement st,
        conn.Prepare("SELECT fingerprint, case_id FROM idempotency_keys WHERE key = ?"));
    st.Bind(1, key);
    CITYGRID_ASSIGN_OR_RETURN(bool seen, st.Step());
    if (seen) {
      if (st.Text(0) != new_case.request_fingerprint) {
        return AlreadyExistsError("idempotency key '" + key +
                                  "' was already used for a different request (case id " +
                                  std::to_string(st.Int(1)) + ")");
      }
      CITYGRID_ASSIGN_OR_RETURN(result->created_case, ReadCaseById(conn, st.Int(1)));
      result->created = false;
      return OkStatus();
    }
  }
  Case c = new_case.initial;
  {
    CITYGRID_ASSIGN_OR_RETURN(Statement st,
                              conn.Prepare("SELECT ifnull(max(id), 0) + 1 FROM cases"));
    CITYGRID_ASSIGN_OR_RETURN(bool row, st.Step());
    (void)row;
    c.id = st.Int(0);
  }
  const std::chrono::year_month_day day = CaseNumberDay(c.created_at);
  {
    // Two statements rather than one with RETURNING, which SQLite runs through a temporary
    // table opened and dropped on every call.
    const std::string day_text = FormatDate(day);
    CITYGRID_ASSIGN_OR_RETURN(
        Statement bump,
        conn.Prepare("INSERT INTO case_number_days (day, last_seq) VALUES (?, 1) "
                     "ON CONFLICT (day) DO UPDATE SET last_seq = last_seq + 1"));
    bump.Bind(1, day_text);
    CITYGRID_RETURN_IF_ERROR(bump.Run());
    CITYGRID_ASSIGN_OR_RETURN(
        Statement st, conn.Prepare("SELECT last_seq FROM case_number_days WHERE day = ?"));
    st.Bind(1, day_text);
    CITYGRID_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return InternalError("allocating a case number returned nothing");
    c.number = CaseNumber{day, st.Int(0)}.ToString();
  }
  c.version = 1;
  c.idempotency_key = key;
  CITYGRID_RETURN_IF_ERROR(InsertCaseRow(conn, c));
  CaseEvent e = new_case.created;
  e.case_id = c.id;
  e.version = 1;
  SealEvent(e, "");
  CITYGRID_ASSIGN_OR_RETURN(e.global_seq, InsertEvent(conn, e));
  if (!key.empty()) {
    CITYGRID_ASSIGN_OR_RETURN(
        Statement st,
        conn.Prepare("INSERT INTO idempotency_keys (key, fingerprint, case_id) VALUES (?, ?, ?)"));
    st.Bind(1, key);
    st.Bind(2, new_case.request_fingerprint);
    st.Bind(3, c.id);
    CITYGRID_RETURN_IF_ERROR(st.Run());
  }
  CITYGRID_RETURN_IF_ERROR(ApplyCounters(conn, counters));
  result->created_case = std::move(c);
  result->created = true;
  result->created_seq = e.global_seq;
  *created_event = std::move(e);
  return OkStatus();
}

Status CheckNewCase(const NewCase& new_case) {
  if (new_case.created.type != EventType::kCreated) {
    return InvalidArgumentError("the first event of a case must be 'created', not '" +
                                std::string(Name(new_case.created.type)) + "'");
  }
  return OkStatus();
}

}  // namespace

Result<CreateResult> SqliteCaseStore::CreateCase(const NewCase& new_case,
                                                 const std::vector<CounterDelta>& counters) {
  CITYGRID_RETURN_IF_ERROR(CheckNewCase(new_case));
  CreateResult result;
  CaseEvent created_event;
  CITYGRID_RETURN_IF_ERROR(db_.Write([&](Connection& conn) {
    return WriteNewCase(conn, new_case, counters, &result, &created_event);
  }));
  Committed(result, created_event);
  return result;
}

void SqliteCaseStore::CreateCaseAsync(NewCase new_case, std::vector<CounterDelta> counters,
                                      CreateDone done) {
  if (Status s = CheckNewCase(new_case); !s.ok()) {
    done(s);
    return;
  }
  struct Pending {
    NewCase new_case;
    std::vector<CounterDelta> counters;
    CreateResult result;
    CaseEvent created_event;
  };
  auto pending = std::make_shared<Pending>(
      Pending{std::move(new_case), std::move(counters), CreateResult{}, CaseEvent{}});
  db_.WriteAsync(
      [pending](Connection& conn) {
        return WriteNewCase(conn, pending->new_case, pending->counters, &pending->result,
                            &pending->created_event);
      },
      [this, pending, done = std::move(done)](Status s) {
        if (!s.ok()) {
          done(s);
          return;
        }
        Committed(pending->result, pending->created_event);  // before anyone hears of the case
        done(std::move(pending->result));
      });
}

void SqliteCaseStore::Committed(const CreateResult& result, const CaseEvent& created_event) {
  if (result.created) {
    versions_.Committed(result.created_case.number,
                        {result.created_case.id, result.created_case.version});
    if (catalog_loaded_) catalog_.Put(CaseCatalog::RowOf(result.created_case));
    if (db_.owns_data_dir()) recent_.Add(created_event);
  }
}

Result<std::vector<CaseEvent>> SqliteCaseStore::Append(int64_t case_id, int64_t expected_version,
                                                       std::vector<CaseEvent> events,
                                                       const Case& next,
                                                       const std::vector<CounterDelta>& counters) {
  if (events.empty()) return InvalidArgumentError("no events to append");
  const int64_t new_version = expected_version + static_cast<int64_t>(events.size());
  if (next.version != new_version) {
    return InvalidArgumentError("the next state has version " + std::to_string(next.version) +
                                ", expected " + std::to_string(new_version) + " after " +
                                std::to_string(events.size()) + " event(s) on version " +
                                std::to_string(expected_version));
  }
  Case row;  // the case as written, with what the transaction read
  CITYGRID_RETURN_IF_ERROR(db_.Write([&](Connection& conn) -> Status {
    row = next;
    {
      CITYGRID_ASSIGN_OR_RETURN(
          Statement st,
          conn.Prepare("SELECT version, number, idempotency_key FROM cases WHERE id = ?"));
      st.Bind(1, case_id);
      CITYGRID_ASSIGN_OR_RETURN(bool found, st.Step());
      if (!found) return NotFoundError("case id " + std::to_string(case_id) + " not found");
      if (st.Int(0) != expected_version) {
        return AbortedError("case " + std::string(st.Text(1)) + " is at version " +
                            std::to_string(st.Int(0)) + ", not " +
                            std::to_string(expected_version) + ": someone else changed it first");
      }
      row.id = case_id;
      row.number = st.String(1);
      row.idempotency_key = st.String(2);
    }
    std::string prev_hash;
    {
      CITYGRID_ASSIGN_OR_RETURN(
          Statement st, conn.Prepare("SELECT hash FROM events WHERE case_id = ? AND version = ?"));
      st.Bind(1, case_id);
      st.Bind(2, expected_version);
      CITYGRID_ASSIGN_OR_RETURN(bool found, st.Step());
      if (!found) {
        return InternalError("case id " + std::to_string(case_id) + " has no event version " +
                             std::to_string(expected_version));
      }
      prev_hash = st.String(0);
    }
    for (size_t i = 0; i < events.size(); ++i) {
      CaseEvent& e = events[i];
      e.case_id = case_id;
      e.version = expected_version + 1 + static_cast<int64_t>(i);
      SealEvent(e, prev_hash);
      prev_hash = e.hash;
      CITYGRID_ASSIGN_OR_RETURN(e.global_seq, InsertEvent(conn, e));
    }
    CITYGRID_RETURN_IF_ERROR(UpdateCaseRow(conn, row));
    return ApplyCounters(conn, counters);
  }));
  versions_.Committed(row.number, {case_id, new_version});
  if (catalog_loaded_) catalog_.Put(CaseCatalog::RowOf(row));
  if (db_.owns_data_dir()) recent_.Add(events);
  return events;
}

Result<Case> SqliteCaseStore::LoadCase(int64_t case_id) {
  Result<Case> result = InternalError("not loaded");
  CITYGRID_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    result = ReadCaseById(conn, case_id);
    return result.status();
  }));
  return result;
}

Result<Case> SqliteCaseStore::LoadCaseByNumber(const std::string& number) {
  Result<Case> result = InternalError("not loaded");
  CITYGRID_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    result = ReadCaseWhere(conn, "SELECT body FROM cases WHERE number = ?", number,
                           "case " + number);
    return result.status();
  }));
  return result;
}

Result<CaseVersion> SqliteCaseStore::CurrentVersion(const std::string& number) {
  const bool owned = db_.owns_data_dir();
  if (owned) {
    if (std::optional<CaseVersion> known = versions_.Find(number)) return *known;
  }
  const uint64_t epoch = versions_.epoch();
  CaseVersion found;
  CITYGRID_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    CITYGRID_ASSIGN_OR_RETURN(Statement st,
                              conn.Prepare("SELECT id, version FROM cases WHERE number = ?"));
    st.Bind(1, number);
    CITYGRID_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return NotFoundError("case " + number + " not found");
    found = {st.Int(0), st.Int(1)};
    return OkStatus();
  }));
  if (owned) versions_.Learn(number, found, epoch);
  return found;
}

Result<std::vector<CaseEvent>> SqliteCaseStore::LoadHistory(int64_t case_id) {
  std::vector<CaseEvent> events;
  CITYGRID_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    CITYGRID_ASSIGN_OR_RETURN(
        Statement st, conn.Prepare(std::string("SELECT ") + kEventColumns +
                                   " FROM events WHERE case_id = ? ORDER BY version"));
    st.Bind(1, case_id);
    while (true) {
      CITYGRID_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      CITYGRID_ASSIGN_OR_RETURN(CaseEvent e, ReadEvent(st));
      events.push_back(std::move(e));
    }
    if (events.empty()) return NotFoundError("case id " + std::to_string(case_id) + " not found");
    return OkStatus();
  }));
  return events;
}

Status SqliteCaseStore::LoadCatalog() {
  if (!db_.owns_data_dir()) {
    return FailedPreconditionError("the case catalog needs a store that owns its data directory");
  }
  CITYGRID_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    CITYGRID_ASSIGN_OR_RETURN(
        Statement st,
        conn.Prepare("SELECT id, created_at, updated_at, deadline_key, lon, lat, state, channel, "
                     "overdue, category, unit, district, subdistrict, community, grid, version "
                     "FROM cases ORDER BY id"));
    return catalog_.Load([&](CaseCatalog::Row& r) -> Result<bool> {
      CITYGRID_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) return false;
      r.id = st.Int(0);
      r.created_at = st.Int(1);
      r.updated_at = st.Int(2);
      r.deadline_key = st.Int(3);
      r.lon = st.Double(4);
      r.lat = st.Double(5);
      Result<CaseState> state = ParseCaseState(st.Text(6));
      Result<Channel> channel = ParseChannel(st.Text(7));
      if (!state.ok() || !channel.ok()) {
        return InternalError("case id " + std::to_string(r.id) + " has state '" +
                             st.String(6) + "' and channel '" + st.String(7) + "'");
      }
      r.state = *state;
      r.channel = *channel;
      r.overdue = st.Int(8) != 0;
      r.category = st.Text(9);
      r.unit = st.Text(10);
      r.district = st.Text(11);
      r.subdistrict = st.Text(12);
      r.community = st.Text(13);
      r.grid = st.Text(14);
      r.version = st.Int(15);
      return true;
    });
  }));
  catalog_loaded_ = true;
  return OkStatus();
}

Result<std::vector<std::pair<CaseSortKey, Case>>> SqliteCaseStore::LoadMatching(
    const CaseQuery& query, const std::vector<CaseSortKey>& keys) {
  std::vector<std::pair<CaseSortKey, Case>> out;
  out.reserve(keys.size());
  CITYGRID_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    for (const CaseSortKey& k : keys) {
      CITYGRID_ASSIGN_OR_RETURN(Case c, ReadCaseById(conn, k.id));
      if (MatchesCaseQuery(c, query)) out.emplace_back(k, std::move(c));
    }
    return OkStatus();
  }));
  return out;
}

Result<CasePage> SqliteCaseStore::QueryCatalog(const CaseQuery& query) {
  std::optional<CaseSortKey> after;
  if (!query.cursor.empty()) {
    CITYGRID_ASSIGN_OR_RETURN(after, DecodeCaseCursor(query.cursor, query.sort));
  }
  // One more than the page tells whether there is a next page. Without a text filter nearly
  // every case the catalog names matches; with one, read the candidates in chunks.
  const size_t want = static_cast<size_t>(query.limit) + 1;
  std::vector<std::pair<CaseSortKey, Case>> found;
  while (found.size() < want) {
    const size_t chunk = query.text.empty() ? want - found.size() : std::max<size_t>(want, 256);
    std::vector<CaseSortKey> keys = catalog_.Next(query, after, chunk);
    if (keys.empty()) break;
    after = keys.back();
    CITYGRID_ASSIGN_OR_RETURN(auto matching, LoadMatching(query, keys));
    for (auto& m : matching) {
      if (found.size() == want) break;
      found.push_back(std::move(m));
    }
    if (keys.size() < chunk) break;
  }
  CasePage page;
  if (found.size() == want) {
    found.pop_back();
    page.next_cursor = EncodeCaseCursor(query.sort, found.back().first);
  }
  page.cases.reserve(found.size());
  for (auto& f : found) page.cases.push_back(std::move(f.second));
  return page;
}

Result<CasePage> SqliteCaseStore::QueryCases(const CaseQuery& query) {
  CITYGRID_RETURN_IF_ERROR(ValidateCaseQuery(query));
  if (catalog_loaded_) return QueryCatalog(query);
  SqlWhere where = BuildWhere(query);
  const char* column = SortColumn(query.sort);
  const char* dir = IsDescending(query.sort) ? "DESC" : "ASC";
  if (!query.cursor.empty()) {
    CITYGRID_ASSIGN_OR_RETURN(CaseSortKey after, DecodeCaseCursor(query.cursor, query.sort));
    std::string cond = std::string("(") + column + ", id) " +
                       (IsDescending(query.sort) ? "<" : ">") + " (?, ?)";
    where.sql += where.sql.empty() ? " WHERE " : " AND ";
    where.sql += cond;
    where.params.emplace_back(after.key);
    where.params.emplace_back(after.id);
  }
  std::string sql = "SELECT body FROM cases" + where.sql + " ORDER BY " + column + " " + dir +
                    ", id " + dir + " LIMIT " + std::to_string(query.limit + 1);
  CasePage page;
  CITYGRID_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    CITYGRID_ASSIGN_OR_RETURN(Statement st, conn.Prepare(sql));
    where.Bind(st);
    while (true) {
      CITYGRID_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      if (static_cast<int>(page.cases.size()) == query.limit) {
        page.next_cursor = EncodeCaseCursor(query.sort, SortKeyOf(page.cases.back(), query.sort));
        break;
      }
      CITYGRID_ASSIGN_OR_RETURN(Case c, DecodeCase(st.Text(0)));
      page.cases.push_back(std::move(c));
    }
    return OkStatus();
  }));
  return page;
}

Result<int64_t> SqliteCaseStore::CountCases(const CaseQuery& query) {
  CaseQuery filters = query;
  filters.cursor.clear();
  filters.limit = 1;
  CITYGRID_RETURN_IF_ERROR(ValidateCaseQuery(filters));
  // A text filter needs the descriptions, which only the table has.
  if (catalog_loaded_ && filters.text.empty()) return catalog_.Count(filters);
  SqlWhere where = BuildWhere(filters);
  int64_t count = 0;
  CITYGRID_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    CITYGRID_ASSIGN_OR_RETURN(Statement st, conn.Prepare("SELECT count(*) FROM cases" + where.sql));
    where.Bind(st);
    CITYGRID_ASSIGN_OR_RETURN(bool row, st.Step());
    if (row) count = st.Int(0);
    return OkStatus();
  }));
  return count;
}

Result<std::vector<CaseEvent>> SqliteCaseStore::EventsAfter(int64_t after_seq, int limit) {
  if (limit < 1 || limit > kMaxEventsPerPage) {
    return InvalidArgumentError("limit " + std::to_string(limit) + " is outside 1.." +
                                std::to_string(kMaxEventsPerPage));
  }
  if (db_.owns_data_dir()) {
    if (std::optional<std::vector<CaseEvent>> recent = recent_.After(after_seq, limit)) {
      return std::move(*recent);
    }
  }
  std::vector<CaseEvent> events;
  CITYGRID_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    CITYGRID_ASSIGN_OR_RETURN(
        Statement st, conn.Prepare(std::string("SELECT ") + kEventColumns +
                                   " FROM events WHERE global_seq > ? ORDER BY global_seq "
                                   "LIMIT ?"));
    st.Bind(1, after_seq);
    st.Bind(2, limit);
    while (true) {
      CITYGRID_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      CITYGRID_ASSIGN_OR_RETURN(CaseEvent e, ReadEvent(st));
      events.push_back(std::move(e));
    }
    return OkStatus();
  }));
  return events;
}

Result<int64_t> SqliteCaseStore::LastGlobalSeq() {
  int64_t seq = 0;
  CITYGRID_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    CITYGRID_ASSIGN_OR_RETURN(Statement st,
                              conn.Prepare("SELECT ifnull(max(global_seq), 0) FROM events"));
    CITYGRID_ASSIGN_OR_RETURN(bool row, st.Step());
    if (row) seq = st.Int(0);
    return OkStatus();
  }));
  return seq;
}

Result<std::vector<CounterDelta>> SqliteCaseStore::ReadCounters(const std::string& prefix) {
  std::vector<CounterDelta> out;
  CITYGRID_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    // Keys are UTF-8, which never contains the byte 0xff: prefix + "\xff" bounds the range.
    CITYGRID_ASSIGN_OR_RETURN(
        Statement st,
        conn.Prepare("SELECT key, value FROM counters WHERE key >= ? AND key < ? ORDER BY key"));
    st.Bind(1, prefix);
    st.Bind(2, prefix + "\xff");
    while (true) {
      CITYGRID_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      out.push_back(CounterDelta{st.String(0), st.Int(1)});
    }
    return OkStatus();
  }));
  return out;
}

}  // namespace citygrid::storage::sqlite
