#include "src/http/json_number.h"

#include <gtest/gtest.h>

#include <bit>
#include <boost/json.hpp>
#include <cstdint>
#include <limits>
#include <random>
#include <string>

namespace citygrid::http {
namespace {

namespace bj = boost::json;

std::string BoostDouble(double v) { return bj::serialize(bj::value(v)); }
std::string BoostInteger(int64_t v) { return bj::serialize(bj::value(v)); }

TEST(JsonNumberTest, IntegersAreWrittenAsBoostJsonWritesThem) {
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{7}, int64_t{-120}, int64_t{1} << 53,
                    std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}) {
    std::string out;
    AppendJsonInteger(out, v);
    EXPECT_EQ(out, BoostInteger(v)) << v;
  }
}

TEST(JsonNumberTest, DoublesAreWrittenAsBoostJsonWritesThem) {
  const double fixed[] = {0.0,
                          -0.0,
                          1.0,
                          100.0,
                          93.72,
                          0.01,
                          -0.01,
                          12345.67,
                          1e16,
                          1e21,
                          1e22,
                          1.5e300,
                          1e-7,
                          5e-324,
                          std::numeric_limits<double>::min(),
                          std::numeric_limits<double>::max(),
                          std::numeric_limits<double>::lowest(),
                          std::numeric_limits<double>::infinity(),
                          -std::numeric_limits<double>::infinity(),
                          std::numeric_limits<double>::quiet_NaN(),
                          -std::numeric_limits<double>::quiet_NaN()};
  for (double v : fixed) {
    std::string out;
    AppendJsonDouble(out, v);
    EXPECT_EQ(out, BoostDouble(v)) << v;
  }
  std::string out;
  AppendJsonDouble(out, 93.72);
  AppendJsonDouble(out, -0.0);
  AppendJsonDouble(out, 1e-7);
  EXPECT_EQ(out, "9.372E1-0E01E-7");
  // Every figure the API can show (2 decimals, 0..1,000,000) and random bit patterns.
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200000; ++i) {
    const double two_decimals = static_cast<double>(rng() % 100000000) / 100.0;
    const double any = std::bit_cast<double>(rng());
    for (double v : {two_decimals, -two_decimals, any}) {
      std::string mine;
      AppendJsonDouble(mine, v);
      ASSERT_EQ(mine, BoostDouble(v)) << std::bit_cast<uint64_t>(v);
    }
  }
}

}  // namespace
}  // namespace citygrid::http
