#pragma once

// A small test district and a ready service stack (SQLite store in a temp dir, reference data
// seeded from the repository's data/, a FakeClock) shared by the service tests.
//
// District 410103 is the box lon 113.600-113.620, lat 34.700-34.710:
//   sub-district 410103001 (west half, lon < 113.610) = community 410103001001,
//     grids ...001001001 (lon < 113.605) and ...001001002;
//   sub-district 410103002 (east half) = community 410103002001,
//     grids ...002001001 (lon < 113.615) and ...002001002;
//   road R1 "航海路" along lat 34.709 (unit U-SZ, chief 张路长 13900001234);
//   zone Z1 "碧沙岗公园" lon 113.616-113.619, lat 34.701-34.704 (unit U-YL, every category).
// Units: U-CG 城管局, U-HW 环卫, U-SZ 市政, U-YL 园林, U-ZJ 住建, U-JT 交通 (departments),
// U-JD1 / U-JD2 street offices of the two sub-districts.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "citygrid/common/clock.h"
#include "citygrid/common/time.h"
#include "citygrid/geo/district.h"
#include "citygrid/service/case_service.h"
#include "citygrid/service/reference_data.h"
#include "citygrid/storage/store.h"
#include "tests/testing/paths.h"

namespace citygrid::service::testing {

inline geo::MultiPolygon Box(double lon0, double lat0, double lon1, double lat1) {
  geo::Polygon p;
  p.outer = {{lon0, lat0}, {lon1, lat0}, {lon1, lat1}, {lon0, lat1}, {lon0, lat0}};
  return {p};
}

inline geo::Geography TestGeography() {
  geo::Geography g;
  g.district = {"410103", "二七区", Box(113.600, 34.700, 113.620, 34.710)};
  g.subdistricts = {{"410103001", "建中街街道", Box(113.600, 34.700, 113.610, 34.710)},
                    {"410103002", "淮河路街道", Box(113.610, 34.700, 113.620, 34.710)}};
  g.communities = {{"410103001001", "建中社区", Box(113.600, 34.700, 113.610, 34.710)},
                   {"410103002001", "淮河社区", Box(113.610, 34.700, 113.620, 34.710)}};
  g.grids = {{"410103001001001", Box(113.600, 34.700, 113.605, 34.710)},
             {"410103001001002", Box(113.605, 34.700, 113.610, 34.710)},
             {"410103002001001", Box(113.610, 34.700, 113.615, 34.710)},
             {"410103002001002", Box(113.615, 34.700, 113.620, 34.710)}};
  geo::RoadSegment road;
  road.id = "R1";
  road.name = "航海路";
  road.line = {{113.600, 34.709}, {113.620, 34.709}};
  road.chief = {"张路长", "13900001234"};
  road.unit = "U-SZ";
  g.roads = {road};
  geo::ResponsibilityZone zone;
  zone.id = "Z1";
  zone.name = "碧沙岗公园";
  zone.area = Box(113.616, 34.701, 113.619, 34.704);
  zone.unit = "U-YL";
  g.zones = {zone};
  return g;
}

inline std::vector<Unit> TestUnits() {
  return {
      {"U-CG", "二七区城市管理局", UnitKind::kDepartment, "城管局", ""},
      {"U-HW", "二七区环卫中心", UnitKind::kDepartment, "环卫", ""},
      {"U-SZ", "二七区市政所", UnitKind::kDepartment, "市政", ""},
      {"U-YL", "二七区园林局", UnitKind::kDepartment, "园林", ""},
      {"U-ZJ", "二七区住建局", UnitKind::kDepartment, "住建", ""},
      {"U-JT", "二七区交通局", UnitKind::kDepartment, "交通", ""},
      {"U-JD1", "建中街街道办事处", UnitKind::kStreetOffice, "街道", "410103001"},
      {"U-JD2", "淮河路街道办事处", UnitKind::kStreetOffice, "街道", "410103002"},
  };
}

inline std::string RepoDataDir() { return citygrid::testing::SourceDir() + "/data"; }

// Tuesday 2026-03-10 09:30 +08:00: a working day, winter timetable 09:00-12:00, 14:00-18:00.
inline Timestamp TestStart() { return *ParseIso8601("2026-03-10T09:30:00+08:00"); }

inline storage::StoreOptions StoreAt(const std::string& dir) {
  storage::StoreOptions options;
  options.data_dir = dir;
  return options;
}

inline Actor MakeActor(std::string user, Role role, std::string unit = "") {
  return Actor{std::move(user), role, std::move(unit)};
}

// A store, reference data and case service over a fresh temp directory.
class ServiceEnv {
 public:
  ServiceEnv() : dir_(citygrid::testing::MakeTempDir("citygrid-service")), clock_(TestStart()) {
    Open();
    if (!reference_) return;
    Status s = reference_->SetGeography(TestGeography());
    EXPECT_TRUE(s.ok()) << s.ToString();
    for (const Unit& u : TestUnits()) {
      Status put = reference_->PutUnit(u);
      EXPECT_TRUE(put.ok()) << put.ToString();
    }
  }
  ~ServiceEnv() {
    service_.reset();
    reference_.reset();
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Drops the service stack and opens it again over the same directory (a process restart).
  void Restart() {
    service_.reset();
    reference_.reset();
    store_.reset();
    Open();
  }

  FakeClock& clock() { return clock_; }
  storage::Store& store() { return *store_; }
  ReferenceDataService& reference() { return *reference_; }
  CaseService& service() { return *service_; }
  bool ready() const { return service_ != nullptr; }
  const std::string& dir() const { return dir_; }

  int64_t CountAll() {
    Result<int64_t> n = store_->cases().CountCases(storage::CaseQuery{});
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    return n.value_or(-1);
  }

 private:
  void Open() {
    storage::StoreOptions options;
    options.data_dir = dir_;
    auto store = storage::OpenStore(options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    auto reference = ReferenceDataService::Open(store_->documents(), RepoDataDir());
    ASSERT_TRUE(reference.ok()) << reference.status().ToString();
    reference_ = std::move(*reference);
    service_ = std::make_unique<CaseService>(*store_, *reference_, clock_);
  }

  std::string dir_;
  FakeClock clock_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<ReferenceDataService> reference_;
  std::unique_ptr<CaseService> service_;
};

// A valid public report of exposed garbage (06010) in grid 410103001001002.
inline CreateCaseRequest GarbageReport(std::string channel = "public") {
  CreateCaseRequest r;
  r.channel = std::move(channel);
  r.category = "06010";
  r.description = "路边垃圾堆积无人清理";
  r.lon = 113.607;
  r.lat = 34.703;
  r.address = "建中街12号";
  r.reporter = {"张三", "13812341234"};
  return r;
}

}  // namespace citygrid::service::testing
