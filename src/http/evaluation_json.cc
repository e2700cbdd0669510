#include "src/http/evaluation_json.h"

#include <charconv>
#include <cmath>
#include <optional>
#include <string_view>

#include "citygrid/common/json_text.h"
#include "citygrid/common/time.h"
#include "citygrid/domain/indicator.h"
#include "src/http/json_number.h"

namespace citygrid::http {
namespace {

// A figure as the API shows it: rounded to 2 decimals, null when undefined.
//
// Fast path: the rounded figure v is n / 100 for an integer n (the nearest double to it, as the
// division rounds correctly). While |n| < 10^15 a double's spacing near v is below 0.002, so no
// decimal with fewer significant digits than n / 100 reads back as v: the shortest digits Ryu
// (Boost.JSON) finds are those of n without its trailing zeros, and v's decimal exponent is that
// of n less 2. Anything else goes through AppendJsonDouble.
void AppendFigure(std::string& out, const std::optional<double>& v) {
  if (!v) {
    out += "null";
    return;
  }
  const double rounded = std::round(*v * 100.0) / 100.0;
  const double hundredths = std::round(rounded * 100.0);
  if (!(std::abs(hundredths) < 1e15) || hundredths / 100.0 != rounded) {
    AppendJsonDouble(out, rounded);
    return;
  }
  int64_t n = static_cast<int64_t>(hundredths);
  if (std::signbit(rounded)) out += '-';
  if (n == 0) {
    out += "0E0";
    return;
  }
  if (n < 0) n = -n;
  char digits[24];
  auto res = std::to_chars(digits, digits + sizeof digits, n);
  const int count = static_cast<int>(res.ptr - digits);
  int used = count;
  while (used > 1 && digits[used - 1] == '0') --used;
  out += digits[0];
  if (used > 1) {
    out += '.';
    out.append(digits + 1, static_cast<size_t>(used - 1));
  }
  out += 'E';
  AppendJsonInteger(out, count - 1 - 2);
}

// `,"name":` for each metric and each rate, made once: the members every row repeats.
struct MemberPrefixes {
  std::string metrics[kMetricCount];
  std::string rates[kRateCount];
  MemberPrefixes() {
    for (int m = 0; m < kMetricCount; ++m) {
      if (m > 0) metrics[m] += ',';
      AppendJsonString(metrics[m], Name(static_cast<Metric>(m)));
      metrics[m] += ':';
    }
    for (int i = 0; i < kRateCount; ++i) {
      if (i > 0) rates[i] += ',';
      AppendJsonString(rates[i], Definition(static_cast<Rate>(i)).name);
      rates[i] += ':';
    }
  }
};

const MemberPrefixes& Prefixes() {
  static const MemberPrefixes prefixes;
  return prefixes;
}

// `"key":` (keys here are fixed ASCII names or codes, escaped all the same).
void AppendKey(std::string& out, std::string_view key) {
  AppendJsonString(out, key);
  out += ':';
}

void AppendPeriod(std::string& out, std::chrono::year_month_day from,
                  std::chrono::year_month_day to) {
  out += "{\"from\":";
  AppendJsonString(out, FormatDate(from));
  out += ",\"to\":";
  AppendJsonString(out, FormatDate(to));
  out += '}';
}

// Boost.JSON's object keeps the first position of a repeated key and its last value; the
// weights come validated (no repeats), but the bytes stay the same either way.
void AppendWeights(std::string& out, const service::EvaluationWeights& w) {
  out += "{\"weights\":{";
  bool first = true;
  for (size_t i = 0; i < w.weights.size(); ++i) {
    const std::string& name = w.weights[i].first;
    bool seen = false;
    for (size_t j = 0; j < i && !seen; ++j) seen = w.weights[j].first == name;
    if (seen) continue;
    double value = w.weights[i].second;
    for (size_t j = i + 1; j < w.weights.size(); ++j) {
      if (w.weights[j].first == name) value = w.weights[j].second;
    }
    if (!first) out += ',';
    first = false;
    AppendKey(out, name);
    AppendJsonDouble(out, value);
  }
  out += "},\"version\":";
  AppendJsonInteger(out, w.version);
  out += '}';
}

void AppendRow(std::string& out, const service::EvaluationRow& r, bool with_score) {
  out += "{\"key\":";
  AppendJsonString(out, r.key);
  out += ",\"name\":";
  AppendJsonString(out, r.name);
  const MemberPrefixes& prefixes = Prefixes();
  out += ",\"counts\":{";
  for (int m = 0; m < kMetricCount; ++m) {
    out += prefixes.metrics[m];
    AppendJsonInteger(out, r.counts.metrics[m]);
  }
  out += "},\"rates\":{";
  for (int i = 0; i < kRateCount; ++i) {
    out += prefixes.rates[i];
    AppendFigure(out, r.rates[i]);
  }
  out += "},\"avg_handle_hours\":";
  AppendFigure(out, r.avg_handle_hours);
  out += ",\"p90_handle_hours\":";
  AppendFigure(out, r.p90_handle_hours);
  if (with_score) {
    out += ",\"score\":";
    AppendFigure(out, r.score);
    out += ",\"rank\":";
    if (r.rank > 0) {
      AppendJsonInteger(out, r.rank);
    } else {
      out += "null";
    }
    out += ",\"previous_score\":";
    AppendFigure(out, r.previous_score);
    out += ",\"score_change\":";
    AppendFigure(out, r.score_change);
    out += ",\"last_year_score\":";
    AppendFigure(out, r.last_year_score);
    out += ",\"score_change_yoy\":";
    AppendFigure(out, r.score_change_yoy);
  }
  out += '}';
}

}  // namespace

std::string EvaluationWeightsJson(const service::EvaluationWeights& weights) {
  std::string out;
  AppendWeights(out, weights);
  return out;
}

std::string EvaluationReportJson(const service::EvaluationReport& report) {
  size_t rows = 0;
  for (const service::EvaluationTable& t : report.tables) rows += t.rows.size() + 1;
  std::string out;
  out.reserve(1024 + rows * 900);  // a row is 600-800 bytes
  out += "{\"from\":";
  AppendJsonString(out, FormatDate(report.from));
  out += ",\"to\":";
  AppendJsonString(out, FormatDate(report.to));
  out += ",\"previous\":";
  AppendPeriod(out, report.previous_from, report.previous_to);
  out += ",\"last_year\":";
  AppendPeriod(out, report.last_year_from, report.last_year_to);
  out += ",\"weights\":";
  AppendWeights(out, report.weights);
  out += ",\"tables\":[";
  for (size_t i = 0; i < report.tables.size(); ++i) {
    const service::EvaluationTable& t = report.tables[i];
    if (i > 0) out += ',';
    out += "{\"group_by\":";
    AppendJsonString(out, service::Name(t.group_by));
    out += ",\"rows\":[";
    for (size_t k = 0; k < t.rows.size(); ++k) {
      if (k > 0) out += ',';
      AppendRow(out, t.rows[k], true);
    }
    out += "],\"total\":";
    AppendRow(out, t.total, false);
    out += '}';
  }
  out += "]}";
  return out;
}

}  // namespace citygrid::http
