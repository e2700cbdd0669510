#include "citygrid/service/evaluation_service.h"

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string_view>
#include <unordered_map>

#include "citygrid/common/csv.h"
#include "citygrid/common/xlsx_writer.h"
#include "citygrid/service/visibility.h"

namespace citygrid::service {
namespace {

namespace bj = boost::json;
using std::chrono::year_month_day;

constexpr char kSettingKind[] = "setting";
constexpr char kWeightsKey[] = "evaluation_weights";
constexpr int32_t kMaxWindowDays = 3660;

std::vector<std::string> ComponentNames() {
  std::vector<std::string> out;
  for (int i = 0; i < kRateCount; ++i) out.emplace_back(Definition(static_cast<Rate>(i)).name);
  out.emplace_back(kRegisteredShare);
  return out;
}

year_month_day MinusOneYear(year_month_day d) {
  year_month_day y = d - std::chrono::years(1);
  if (!y.ok()) y = std::chrono::year_month_day_last(y.year(), std::chrono::month_day_last(y.month()));
  return y;
}

std::string DimensionChinese(Dimension d) {
  switch (d) {
    case Dimension::kUnit: return "单位";
    case Dimension::kSubdistrict: return "街道";
    case Dimension::kCommunity: return "社区";
    case Dimension::kGrid: return "网格";
    case Dimension::kInspector: return "监督员";
    case Dimension::kCategory: return "类别";
    case Dimension::kUnitCategory: return "单位×类别";
  }
  return "分组";
}

double Round2(double v) { return std::round(v * 100.0) / 100.0; }

std::string FormatNumber(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", Round2(v));
  return buf;
}

// Display names of group keys of one dimension.
class Namer {
 public:
  explicit Namer(const ReferenceData& data) : data_(data) {
    if (data.geography) {
      for (const auto& s : data.geography->subdistricts) places_[s.code] = s.name;
      for (const auto& c : data.geography->communities) places_[c.code] = c.name;
    }
  }
  std::string Unit(const std::string& code) const {
    if (code.empty()) return "(未派遣)";
    const service::Unit* u = data_.FindUnit(code);
    return u != nullptr ? u->name : code;
  }
  std::string Category(const std::string& code) const {
    const citygrid::Category* c = data_.categories->Find(code);
    return c != nullptr ? c->name : code;
  }
  std::string Name(Dimension d, const std::string& key) const {
    switch (d) {
      case Dimension::kUnit: return Unit(key);
      case Dimension::kCategory: return Category(key);
      case Dimension::kUnitCategory: {
        size_t bar = key.find('|');
        if (bar == std::string::npos) return key;
        return Unit(key.substr(0, bar)) + " / " + Category(key.substr(bar + 1));
      }
      case Dimension::kSubdistrict:
      case Dimension::kCommunity: {
        auto it = places_.find(key);
        return it != places_.end() ? it->second : key;
      }
      case Dimension::kGrid: return key;
      case Dimension::kInspector: return key.empty() ? "(非监督员上报)" : key;
    }
    return key;
  }

 private:
  const ReferenceData& data_;
  std::unordered_map<std::string, std::string> places_;
};

void FillDerived(EvaluationRow& row) {
  for (int i = 0; i < kRateCount; ++i) {
    const RateDefinition& d = Definition(static_cast<Rate>(i));
    row.rates[i] = RatePercent(row.counts[d.numerator], row.counts[d.denominator]);
  }
  const int64_t handled = row.counts[Metric::kHandled];
  if (handled > 0) {
    row.avg_handle_hours =
        static_cast<double>(row.counts[Metric::kHandleMinutes]) / static_cast<double>(handled) / 60.0;
  }
  if (std::optional<double> p90 = HandleTimePercentile(row.counts.handle_time, 90)) {
    row.p90_handle_hours = *p90 / 60.0;
  }
}

// The weights that apply (positive, naming a component), in the weights' order.
struct ScoreTerm {
  int rate;  // Rate index; -1 = registered_share
  double weight;
};

std::vector<ScoreTerm> ScoreTerms(const EvaluationWeights& weights) {
  std::vector<ScoreTerm> terms;
  for (const auto& [name, w] : weights.weights) {
    if (w <= 0) continue;
    if (name == kRegisteredShare) {
      terms.push_back({-1, w});
    } else if (std::optional<Rate> rate = ParseRate(name)) {
      terms.push_back({static_cast<int>(*rate), w});
    }
  }
  return terms;
}

// The composite score of one row (see the header); `max_registered` is the largest 立案数 of
// its table.
template <typename Counts>  // IndicatorCounts or GroupMetrics
std::optional<double> ScoreOf(const Counts& c, int64_t max_registered,
                              const std::vector<ScoreTerm>& terms) {
  double sum = 0, weight = 0;
  for (const ScoreTerm& t : terms) {
    std::optional<double> component;
    if (t.rate < 0) {
      if (max_registered > 0) {
        component = 100.0 * static_cast<double>(c[Metric::kRegistered]) /
                    static_cast<double>(max_registered);
      }
    } else {
      const RateDefinition& d = Definition(static_cast<Rate>(t.rate));
      if (std::optional<double> v = RatePercent(c[d.numerator], c[d.denominator])) {
        component = d.higher_is_better ? *v : 100.0 - *v;
      }
    }
    if (!component) continue;
    sum += t.weight * *component;
    weight += t.weight;
  }
  return weight > 0 ? std::optional<double>(sum / weight) : std::nullopt;
}

// The scores of every group of one window's table.
const IndicatorCounts& CountsOf(const GroupCounts& g) { return g.counts; }
const GroupMetrics& CountsOf(const GroupMetrics& g) { return g; }

template <typename Group>  // GroupCounts or GroupMetrics
std::vector<std::optional<double>> ScoresOf(const std::vector<Group>& groups,
                                            const std::vector<ScoreTerm>& terms) {
  int64_t max_registered = 0;
  for (const Group& g : groups) {
    max_registered = std::max(max_registered, CountsOf(g)[Metric::kRegistered]);
  }
  std::vector<std::optional<double>> scores;
  scores.reserve(groups.size());
  for (const Group& g : groups) scores.push_back(ScoreOf(CountsOf(g), max_registered, terms));
  return scores;
}

// For each group of `rows` (in key order, as the engine answers), the score of the same key in
// `base` (also in key order); nullopt when the key has no row (no count) there or no score.
std::vector<std::optional<double>> MatchScores(
    const std::vector<GroupCounts>& rows, const std::vector<GroupMetrics>& base,
    const std::vector<ScoreTerm>& terms) {
  const std::vector<std::optional<double>> base_scores = ScoresOf(base, terms);
  std::vector<std::optional<double>> out(rows.size());
  size_t j = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    while (j < base.size() && base[j].key < rows[i].key) ++j;
    if (j < base.size() && base[j].key == rows[i].key) out[i] = base_scores[j];
  }
  return out;
}

std::string WeightsJson(const EvaluationWeights& w) {
  bj::object weights;
  for (const auto& [name, value] : w.weights) weights[name] = value;
  return bj::serialize(bj::object{{"weights", std::move(weights)}});
}

Result<EvaluationWeights> DecodeWeights(const storage::Document& doc) {
  bj::error_code ec;
  bj::value v = bj::parse(doc.json, ec);
  if (ec || !v.is_object() || !v.as_object().contains("weights") ||
      !v.as_object().at("weights").is_object()) {
    return InternalError("stored setting evaluation_weights is not {\"weights\": {...}}");
  }
  EvaluationWeights w;
  w.version = doc.version;
  const bj::object& o = v.as_object().at("weights").as_object();
  for (const std::string& name : ComponentNames()) {
    auto it = o.find(name);
    if (it == o.end()) continue;
    if (!it->value().is_number()) {
      return InternalError("stored setting evaluation_weights: '" + name + "' is not a number");
    }
    w.weights.emplace_back(name, it->value().to_number<double>());
  }
  return w;
}

bool IsHandler(const Actor& a) { return a.role == Role::kHandler; }

bool HandlerSees(const Actor& viewer, Dimension d, const std::string& key) {
  if (d == Dimension::kUnit) return key == viewer.unit;
  if (d == Dimension::kUnitCategory) return key.rfind(viewer.unit + "|", 0) == 0;
  return false;
}

// The export columns of a row (the order of ExportHeader), handed one by one to `cell`:
// cell.Text(std::string_view), cell.Number(double), cell.Empty(). One definition for the XLSX
// and the CSV, which writes the cells straight into its text.
template <typename CellSink>
void VisitExportCells(const EvaluationRow& r, bool is_total, CellSink& cell) {
  cell.Text(is_total ? std::string_view("合计") : std::string_view(r.key));
  cell.Text(is_total ? std::string_view("合计") : std::string_view(r.name));
  for (int m = 0; m < kMetricCount; ++m) {
    if (static_cast<Metric>(m) == Metric::kHandleMinutes) continue;
    cell.Number(static_cast<double>(r.counts.metrics[m]));
  }
  auto opt = [&](const std::optional<double>& v) {
    if (v) {
      cell.Number(Round2(*v));
    } else {
      cell.Empty();
    }
  };
  for (const auto& rate : r.rates) opt(rate);
  opt(r.avg_handle_hours);
  opt(r.p90_handle_hours);
  opt(r.score);
  if (r.rank > 0) {
    cell.Number(r.rank);
  } else {
    cell.Empty();
  }
  opt(r.previous_score);
  opt(r.score_change);
  opt(r.last_year_score);
  opt(r.score_change_yoy);
}

std::vector<XlsxOut> ExportCells(const EvaluationRow& r, bool is_total) {
  struct Sink {
    std::vector<XlsxOut> cells;
    void Text(std::string_view text) { cells.push_back(XlsxOut::Text(std::string(text))); }
    void Number(double v) { cells.push_back(XlsxOut::Number(v)); }
    void Empty() { cells.push_back(XlsxOut::Empty()); }
  } sink;
  sink.cells.reserve(2 + kMetricCount + kRateCount + 8);
  VisitExportCells(r, is_total, sink);
  return std::move(sink.cells);
}

// A CSV number: a whole number below 10^15 as an integer ("972", "100", "0"), anything else as
// FormatNumber writes it. std::to_chars with a precision is specified to give printf's bytes; a
// text FormatNumber's buffer would cut (or a non-finite value) goes through FormatNumber itself.
void AppendCsvNumber(std::string& out, double v) {
  char buf[63];  // FormatNumber's 64 less its terminating NUL
  if (v == std::floor(v) && std::abs(v) < 1e15) {
    auto res = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(v));
    out.append(buf, static_cast<size_t>(res.ptr - buf));
    return;
  }
  if (std::isfinite(v)) {
    auto res = std::to_chars(buf, buf + sizeof buf, Round2(v), std::chars_format::fixed, 2);
    if (res.ec == std::errc()) {
      out.append(buf, static_cast<size_t>(res.ptr - buf));
      return;
    }
  }
  out += FormatNumber(v);
}

}  // namespace

EvaluationWeights DefaultEvaluationWeights() {
  EvaluationWeights w;
  w.weights = {{"on_time_close_rate", 40},
               {"close_rate", 30},
               {std::string(kRegisteredShare), 20},
               {"public_report_rate", 10}};
  return w;
}

Status ValidateEvaluationWeights(const EvaluationWeights& weights) {
  const std::vector<std::string> known = ComponentNames();
  double sum = 0;
  std::vector<std::string> seen;
  for (const auto& [name, value] : weights.weights) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string list;
      for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
      return InvalidArgumentError("weights: unknown indicator '" + name + "'; known: " + list);
    }
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
      return InvalidArgumentError("weights: indicator '" + name + "' is given twice");
    }
    seen.push_back(name);
    if (!std::isfinite(value) || value < 0 || value > 100) {
      return InvalidArgumentError("weights: '" + name + "' must be between 0 and 100");
    }
    sum += value;
  }
  if (std::abs(sum - 100) > 0.01) {
    return InvalidArgumentError("weights: the weights must add up to 100, not " +
                                FormatNumber(sum));
  }
  return OkStatus();
}

EvaluationService::EvaluationService(EvaluationEngine& engine, storage::Store& store,
                                     ReferenceDataService& reference, const Clock& clock)
    : engine_(engine), store_(store), reference_(reference), clock_(clock) {}

Result<EvaluationWeights> EvaluationService::GetWeights() {
  Result<storage::Document> doc = store_.documents().Get(kSettingKind, kWeightsKey);
  if (!doc.ok()) {
    if (doc.status().code() == StatusCode::kNotFound) return DefaultEvaluationWeights();
    return doc.status();
  }
  return DecodeWeights(*doc);
}

Result<EvaluationWeights> EvaluationService::PutWeights(const Actor& actor,
                                                        const EvaluationWeights& weights) {
  if (actor.role != Role::kAdmin) {
    return PermissionDeniedError("only an admin may change the evaluation weights; '" +
                                 actor.user + "' is " + std::string(Name(actor.role)));
  }
  CITYGRID_RETURN_IF_ERROR(ValidateEvaluationWeights(weights));
  // Store in the fixed component order, so every node reads the same list.
  EvaluationWeights ordered;
  for (const std::string& name : ComponentNames()) {
    for (const auto& [n, v] : weights.weights) {
      if (n == name) ordered.weights.emplace_back(n, v);
    }
  }
  CITYGRID_ASSIGN_OR_RETURN(storage::Document doc,
                            store_.documents().Put(kSettingKind, kWeightsKey, WeightsJson(ordered)));
  ordered.version = doc.version;
  return ordered;
}

Result<EvaluationReport> EvaluationService::Evaluate(const Actor& viewer,
                                                     const EvaluationRequest& request) {
  if (!request.from.ok()) return InvalidArgumentError("query parameter 'from' is not a date");
  if (!request.to.ok()) return InvalidArgumentError("query parameter 'to' is not a date");
  const int32_t from = CivilDay(request.from);
  const int32_t to = CivilDay(request.to);
  if (from > to) {
    return InvalidArgumentError("query parameter 'from' (" + FormatDate(request.from) +
                                ") is after 'to' (" + FormatDate(request.to) + ")");
  }
  if (to - from + 1 > kMaxWindowDays) {
    return InvalidArgumentError("query parameters 'from'..'to' span " +
                                std::to_string(to - from + 1) + " days; at most 3660");
  }
  if (request.group_by.empty()) return InvalidArgumentError("query parameter 'group_by' is empty");
  if (IsHandler(viewer)) {
    for (Dimension d : request.group_by) {
      if (d != Dimension::kUnit && d != Dimension::kUnitCategory) {
        return PermissionDeniedError(
            "a handler sees only its own unit's row: group_by must be unit or unit,category, "
            "not " + std::string(Name(d)));
      }
    }
  }
  EvaluationReport report;
  report.from = request.from;
  report.to = request.to;
  const int32_t length = to - from + 1;
  report.previous_from = DateOfCivilDay(from - length);
  report.previous_to = DateOfCivilDay(from - 1);
  report.last_year_from = MinusOneYear(request.from);
  report.last_year_to = MinusOneYear(request.to);
  CITYGRID_ASSIGN_OR_RETURN(report.weights, GetWeights());
  std::shared_ptr<const ReferenceData> data = reference_.Get();
  Namer namer(*data);
  const std::vector<ScoreTerm> terms = ScoreTerms(report.weights);
  const int32_t last_year_from = CivilDay(report.last_year_from);
  const int32_t last_year_to = CivilDay(report.last_year_to);
  for (Dimension d : request.group_by) {
    // The three windows' sums, each in key order; the 环比 and 同比 tables are only scored.
    CITYGRID_ASSIGN_OR_RETURN(std::vector<GroupCounts> groups, engine_.Query(d, from, to));
    std::vector<std::optional<double>> previous, last_year;
    {
      CITYGRID_ASSIGN_OR_RETURN(std::vector<GroupMetrics> base,
                                engine_.QueryMetrics(d, from - length, from - 1));
      previous = MatchScores(groups, base, terms);
    }
    {
      CITYGRID_ASSIGN_OR_RETURN(std::vector<GroupMetrics> base,
                                engine_.QueryMetrics(d, last_year_from, last_year_to));
      last_year = MatchScores(groups, base, terms);
    }
    const std::vector<std::optional<double>> scores = ScoresOf(groups, terms);
    // Rank: by score descending, equal scores share a rank, unscored last; ties and unscored
    // rows by key (the groups are in key order already).
    std::vector<uint32_t> order(groups.size());
    for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) {
      const std::optional<double>& a = scores[x];
      const std::optional<double>& b = scores[y];
      if (a.has_value() != b.has_value()) return a.has_value();
      return a && *a > *b;
    });
    EvaluationTable table;
    table.group_by = d;
    table.rows.reserve(IsHandler(viewer) ? 1 : groups.size());
    int rank = 0;
    for (size_t k = 0; k < order.size(); ++k) {
      const uint32_t i = order[k];
      if (scores[i]) {
        rank = (k > 0 && scores[order[k - 1]] && *scores[order[k - 1]] == *scores[i])
                   ? rank
                   : static_cast<int>(k) + 1;
      }
      GroupCounts& g = groups[i];
      if (IsHandler(viewer) && !HandlerSees(viewer, d, g.key)) continue;
      EvaluationRow& r = table.rows.emplace_back();
      r.name = namer.Name(d, g.key);
      r.key = std::move(g.key);
      r.counts = g.counts;
      FillDerived(r);
      r.score = scores[i];
      r.rank = scores[i] ? rank : 0;
      r.previous_score = previous[i];
      r.last_year_score = last_year[i];
      if (r.score && r.previous_score) r.score_change = *r.score - *r.previous_score;
      if (r.score && r.last_year_score) r.score_change_yoy = *r.score - *r.last_year_score;
      table.total.counts += r.counts;
    }
    table.total.name = "合计";
    FillDerived(table.total);
    report.tables.push_back(std::move(table));
  }
  return report;
}

Result<OverdueReport> EvaluationService::Overdue(const Actor& viewer, int limit) {
  if (limit < 1 || limit > 1000) {
    return InvalidArgumentError("query parameter 'limit' must be between 1 and 1000");
  }
  CITYGRID_ASSIGN_OR_RETURN(auto by_unit, engine_.OverdueByUnit());
  std::shared_ptr<const ReferenceData> data = reference_.Get();
  Namer namer(*data);
  OverdueReport report;
  report.as_of = clock_.Now();
  for (auto& [unit, n] : by_unit) {
    if (IsHandler(viewer) && unit != viewer.unit) continue;
    report.units.push_back(OverdueUnit{unit, namer.Unit(unit), n});
    report.total += n;
  }
  std::stable_sort(report.units.begin(), report.units.end(),
                   [](const OverdueUnit& a, const OverdueUnit& b) { return a.overdue > b.overdue; });
  storage::CaseQuery q;
  q.overdue = true;
  q.sort = storage::CaseSort::kDeadlineAsc;
  q.limit = limit;
  if (IsHandler(viewer)) q.unit = viewer.unit;
  CITYGRID_ASSIGN_OR_RETURN(storage::CasePage page, store_.cases().QueryCases(q));
  for (Case& c : page.cases) {
    if (IsTerminal(c.state) || !MayView(viewer, c)) continue;
    report.cases.push_back(MaskCase(std::move(c), viewer.role));
  }
  return report;
}

Result<std::vector<HeatCell>> EvaluationService::Heatmap(const Actor& viewer,
                                                         year_month_day from, year_month_day to) {
  if (IsHandler(viewer)) {
    return PermissionDeniedError("a handler sees only its own unit's row; the heat map covers "
                                 "every unit");
  }
  if (!from.ok()) return InvalidArgumentError("query parameter 'from' is not a date");
  if (!to.ok()) return InvalidArgumentError("query parameter 'to' is not a date");
  if (CivilDay(from) > CivilDay(to)) {
    return InvalidArgumentError("query parameter 'from' (" + FormatDate(from) +
                                ") is after 'to' (" + FormatDate(to) + ")");
  }
  CITYGRID_ASSIGN_OR_RETURN(std::vector<GroupCounts> grids,
                            engine_.Query(Dimension::kGrid, CivilDay(from), CivilDay(to)));
  std::vector<HeatCell> out;
  for (const GroupCounts& g : grids) {
    HeatCell c;
    c.grid = g.key;
    c.reported = g.counts[Metric::kReported];
    c.registered = g.counts[Metric::kRegistered];
    c.should_close = g.counts[Metric::kShouldClose];
    c.closed = g.counts[Metric::kClosed];
    c.overdue_handling = g.counts[Metric::kOverdueHandling];
    if (c.reported + c.registered + c.should_close + c.closed + c.overdue_handling == 0) continue;
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<std::string> EvaluationService::ExportHeader(Dimension group_by) {
  std::vector<std::string> h;
  h.push_back(DimensionChinese(group_by) + "编码");
  h.push_back(DimensionChinese(group_by));
  for (int m = 0; m < kMetricCount; ++m) {
    if (static_cast<Metric>(m) == Metric::kHandleMinutes) continue;
    h.emplace_back(ChineseName(static_cast<Metric>(m)));
  }
  for (int i = 0; i < kRateCount; ++i) {
    h.push_back(std::string(Definition(static_cast<Rate>(i)).chinese) + "(%)");
  }
  h.push_back("平均处置用时(工作小时)");
  h.push_back("P90处置用时(工作小时)");
  h.push_back("综合得分");
  h.push_back("排名");
  h.push_back("上期得分");
  h.push_back("环比(分)");
  h.push_back("去年同期得分");
  h.push_back("同比(分)");
  return h;
}

std::string EvaluationService::ToCsv(const EvaluationReport& report) {
  std::string out = "\xEF\xBB\xBF";  // BOM: Excel opens UTF-8 CSV with Chinese correctly
  if (report.tables.empty()) return out;
  const EvaluationTable& t = report.tables.front();
  // Written straight into `out`: a row is some 150 bytes, the grid table 4,900 rows.
  out.reserve(out.size() + 1024 + (t.rows.size() + 1) * 192);
  const std::vector<std::string> header = ExportHeader(t.group_by);
  for (size_t i = 0; i < header.size(); ++i) {
    if (i > 0) out += ',';
    AppendCsvField(out, header[i]);
  }
  out += "\r\n";
  struct Line {
    std::string& out;
    bool first = true;
    void Separate() {
      if (!first) out += ',';
      first = false;
    }
    void Text(std::string_view text) {
      Separate();
      AppendCsvField(out, text);
    }
    void Number(double v) {
      Separate();
      AppendCsvNumber(out, v);
    }
    void Empty() { Separate(); }
  };
  auto row_text = [&](const EvaluationRow& r, bool total) {
    Line line{out};
    VisitExportCells(r, total, line);
    out += "\r\n";
  };
  for (const EvaluationRow& r : t.rows) row_text(r, false);
  row_text(t.total, true);
  return out;
}

Result<std::string> EvaluationService::ToXlsx(const EvaluationReport& report) {
  XlsxWriter book;
  for (const EvaluationTable& t : report.tables) {
    CITYGRID_ASSIGN_OR_RETURN(int sheet, book.AddSheet("按" + DimensionChinese(t.group_by)));
    std::vector<XlsxOut> header;
    for (std::string& h : ExportHeader(t.group_by)) header.push_back(XlsxOut::Text(std::move(h)));
    CITYGRID_RETURN_IF_ERROR(book.AddRow(sheet, std::move(header), /*bold=*/true));
    for (const EvaluationRow& r : t.rows) {
      CITYGRID_RETURN_IF_ERROR(book.AddRow(sheet, ExportCells(r, false)));
    }
    CITYGRID_RETURN_IF_ERROR(book.AddRow(sheet, ExportCells(t.total, true), /*bold=*/true));
    CITYGRID_RETURN_IF_ERROR(book.SetColumnWidth(sheet, 1, 1, 24));
  }
  if (report.tables.empty()) {
    Result<int> sheet = book.AddSheet("评价");
    if (!sheet.ok()) return sheet.status();
  }
  return book.Finish();
}

}  // namespace citygrid::service
