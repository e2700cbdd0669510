// DaySeries (service/day_series.h): window sums over its blocks equal naive per-day sums, on
// random data, filled either way (Add in query form, or AddDaily then Seal), across block edges,
// gaps, days before the first block and after the last, negative days, removals, and counts
// past the 16- and 32-bit narrow ranges.

#include "citygrid/service/day_series.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <map>
#include <random>
#include <vector>

namespace citygrid::service {
namespace {

using Values = std::array<int64_t, kDayValues>;

// The plain model: per day, per value.
class Model {
 public:
  void Add(int32_t day, int slot, int64_t v) { days_[day][static_cast<size_t>(slot)] += v; }
  Values Sum(int32_t from, int32_t to) const {
    Values out{};
    for (auto it = days_.lower_bound(from); it != days_.end() && it->first <= to; ++it) {
      for (int s = 0; s < kDayValues; ++s) out[static_cast<size_t>(s)] += it->second[static_cast<size_t>(s)];
    }
    return out;
  }

 private:
  std::map<int32_t, Values> days_;
};

Values Sum(const DaySeries& series, int32_t from, int32_t to, bool* any = nullptr) {
  Values out{};
  const bool nonzero = series.Sum(from, to, out.data());
  if (any != nullptr) *any = nonzero;
  return out;
}

struct Change {
  int32_t day;
  int slot;
  int64_t v;
};

// Random additions on days lo..hi (sparse: whole blocks stay empty), small and occasionally
// huge values, for the handle-minutes slot too.
std::vector<Change> RandomChanges(std::mt19937_64& rng, int n, int32_t lo, int32_t hi) {
  std::vector<Change> out;
  std::uniform_int_distribution<int32_t> day(lo, hi);
  std::uniform_int_distribution<int> slot(0, kDayValues - 1);
  for (int i = 0; i < n; ++i) {
    Change c{day(rng), slot(rng), 1 + static_cast<int64_t>(rng() % 5)};
    if (rng() % 50 == 0) c.v = 40'000 + static_cast<int64_t>(rng() % 40'000);  // past 16 bits
    if (rng() % 200 == 0) c.v = 3'000'000'000LL;                             // past 32 bits
    if (rng() % 3 == 0) c.slot = static_cast<int>(Metric::kHandleMinutes);
    out.push_back(c);
  }
  return out;
}

void ExpectSameSums(const DaySeries& series, const Model& model, std::mt19937_64& rng,
                    int32_t lo, int32_t hi, const char* what) {
  std::uniform_int_distribution<int32_t> day(lo - 40, hi + 40);
  for (int q = 0; q < 300; ++q) {
    int32_t a = day(rng), b = day(rng);
    if (a > b) std::swap(a, b);
    if (q % 10 == 0) b = a;  // single days
    bool any = false;
    const Values got = Sum(series, a, b, &any);
    const Values want = model.Sum(a, b);
    ASSERT_EQ(got, want) << what << ": days " << a << ".." << b;
    bool nonzero = false;
    for (int64_t v : want) nonzero = nonzero || v != 0;
    EXPECT_EQ(any, nonzero) << what << ": days " << a << ".." << b;
    // The metrics-only sums are the first kMetricCount values.
    int64_t metrics[kMetricCount];
    const bool any_metric = series.SumMetrics(a, b, metrics);
    bool nonzero_metric = false;
    for (int s = 0; s < kMetricCount; ++s) {
      ASSERT_EQ(metrics[s], want[static_cast<size_t>(s)]) << what << ": metric " << s;
      nonzero_metric = nonzero_metric || metrics[s] != 0;
    }
    EXPECT_EQ(any_metric, nonzero_metric);
  }
}

TEST(DaySeriesTest, WindowSumsEqualNaiveSumsOnRandomData) {
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    std::mt19937_64 rng(seed);
    // Around day 0 too, so negative days and block numbers are covered.
    const int32_t lo = seed % 2 == 0 ? -200 : 20'400;
    const int32_t hi = lo + 40 + static_cast<int32_t>(rng() % 700);
    const std::vector<Change> changes = RandomChanges(rng, 400 + static_cast<int>(rng() % 600), lo, hi);
    DaySeries live, loaded;
    Model model;
    for (const Change& c : changes) {
      live.Add(c.day, c.slot, c.v);
      loaded.AddDaily(c.day, c.slot, c.v);
      model.Add(c.day, c.slot, c.v);
    }
    loaded.Seal();
    ExpectSameSums(live, model, rng, lo, hi, "Add");
    ExpectSameSums(loaded, model, rng, lo, hi, "AddDaily+Seal");
    // Then live changes on the sealed series: more additions and removals of earlier ones.
    for (const Change& c : RandomChanges(rng, 200, lo - 100, hi + 100)) {
      loaded.Add(c.day, c.slot, c.v);
      model.Add(c.day, c.slot, c.v);
    }
    for (size_t i = 0; i < changes.size(); i += 3) {
      loaded.Add(changes[i].day, changes[i].slot, -changes[i].v);
      model.Add(changes[i].day, changes[i].slot, -changes[i].v);
    }
    ExpectSameSums(loaded, model, rng, lo - 100, hi + 100, "sealed, then Add");
  }
}

TEST(DaySeriesTest, EmptySeriesAndEmptyWindowsSumToZero) {
  DaySeries series;
  EXPECT_TRUE(series.empty());
  bool any = true;
  EXPECT_EQ(Sum(series, -5, 5, &any), Values{});
  EXPECT_FALSE(any);
  series.Add(100, 0, 1);
  series.Add(300, 0, 1);  // blocks 3 and 9; 4..8 stay unallocated
  EXPECT_FALSE(series.empty());
  EXPECT_EQ(Sum(series, 0, 99, &any), Values{});
  EXPECT_FALSE(any);
  EXPECT_EQ(Sum(series, 101, 299, &any), Values{});  // across the gap
  EXPECT_FALSE(any);
  EXPECT_EQ(Sum(series, 301, 5000, &any), Values{});  // after the last block
  EXPECT_FALSE(any);
  EXPECT_EQ(Sum(series, 100, 300)[0], 2);
  EXPECT_EQ(Sum(series, 0, 5000)[0], 2);
}

TEST(DaySeriesTest, RemovingEveryAdditionLeavesZeros) {
  std::mt19937_64 rng(7);
  const std::vector<Change> changes = RandomChanges(rng, 500, 0, 400);
  DaySeries series;
  for (const Change& c : changes) series.Add(c.day, c.slot, c.v);
  for (const Change& c : changes) series.Add(c.day, c.slot, -c.v);
  bool any = true;
  EXPECT_EQ(Sum(series, -100, 600, &any), Values{});
  EXPECT_FALSE(any);
}

TEST(DaySeriesTest, CountsPastTheNarrowRangesStayExact) {
  // 70,000 in one day of one count and 5,000,000,000 handling minutes: both blocks widen.
  DaySeries live, loaded;
  const int minutes = static_cast<int>(Metric::kHandleMinutes);
  for (int i = 0; i < 70; ++i) {
    live.Add(10, 0, 1000);
    loaded.AddDaily(10, 0, 1000);
  }
  live.Add(11, minutes, 5'000'000'000LL);
  loaded.AddDaily(11, minutes, 5'000'000'000LL);
  loaded.Seal();
  for (const DaySeries* s : {&live, &loaded}) {
    EXPECT_EQ(Sum(*s, 10, 10)[0], 70'000);
    EXPECT_EQ(Sum(*s, 0, 40)[static_cast<size_t>(minutes)], 5'000'000'000LL);
    EXPECT_EQ(Sum(*s, 12, 40)[0], 0);
  }
  // The widened block's 64-bit days are counted in its memory.
  DaySeries narrow;
  narrow.Add(10, 0, 1);
  EXPECT_GT(live.bytes(), narrow.bytes() + 8 * 32 * kDayValues - 1);
}

}  // namespace
}  // namespace citygrid::service
