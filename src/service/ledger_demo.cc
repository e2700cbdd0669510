#include "citygrid/service/ledger_demo.h"

#include <chrono>
#include <string>
#include <vector>

#include "citygrid/common/clock.h"
#include "citygrid/service/demo_seed.h"
#include "citygrid/service/ledger_service.h"
#include "ledger_rules.h"

namespace citygrid::service {
namespace {

using std::chrono::days;
using std::chrono::sys_days;
using std::chrono::year_month_day;

year_month_day Ymd(int y, int m, int d) {
  return year_month_day(std::chrono::year(y), std::chrono::month(m), std::chrono::day(d));
}

Timestamp At(year_month_day day, int hour = 10) {
  return StartOfDay(day) + std::chrono::hours(hour);
}

year_month_day Plus(year_month_day day, int n) { return year_month_day(sys_days(day) + days(n)); }

LedgerColumn Column(std::string key, std::string name, LedgerColumnType type, bool required = false) {
  LedgerColumn c;
  c.key = std::move(key);
  c.name = std::move(name);
  c.type = type;
  c.required = required;
  return c;
}

LedgerColumn Number(std::string key, std::string name, std::string measure, double min = 0) {
  LedgerColumn c = Column(std::move(key), std::move(name), LedgerColumnType::kNumber);
  c.measure = std::move(measure);
  c.min = min;
  return c;
}

LedgerColumn Choice(std::string key, std::string name, std::vector<std::string> choices,
                    bool multi = false, bool required = false) {
  LedgerColumn c = Column(std::move(key), std::move(name),
                          multi ? LedgerColumnType::kMultiChoice : LedgerColumnType::kChoice, required);
  c.choices = std::move(choices);
  return c;
}

// Builds one row's history step by step; steps after `end` are dropped.
class RowHistory {
 public:
  RowHistory(LedgerRow row, Actor creator, Timestamp at, Timestamp end)
      : row_(std::move(row)), end_(end) {
    if (at > end_) {
      dropped_ = true;
      return;
    }
    row_.version = 1;
    row_.created_at = row_.updated_at = at;
    LedgerEvent e;
    e.type = LedgerEventType::kCreated;
    e.actor = std::move(creator);
    e.at = at;
    e.payload_json = LedgerChangePayload(nullptr, row_);
    events_.push_back(std::move(e));
  }

  // Applies `change` at `at` as `actor` (unless after `end` or an earlier step was dropped).
  template <typename Change>
  void Step(LedgerEventType type, const Actor& actor, Timestamp at, std::string note, Change change) {
    if (dropped_ || at > end_) {
      dropped_ = true;
      return;
    }
    LedgerRow before = row_;
    change(row_);
    ledger_rules::SettleState(row_, &before, true, at);
    row_.version = before.version + 1;
    row_.updated_at = at;
    LedgerEvent e;
    e.type = type;
    e.actor = actor;
    e.at = at;
    e.note = std::move(note);
    e.payload_json = LedgerChangePayload(&before, row_);
    events_.push_back(std::move(e));
  }

  bool exists() const { return !events_.empty(); }
  storage::LedgerRowWrite Write() {
    storage::LedgerRowWrite w;
    w.next = row_;
    w.expected_version = 0;
    w.events = events_;
    return w;
  }

 private:
  LedgerRow row_;
  Timestamp end_;
  std::vector<LedgerEvent> events_;
  bool dropped_ = false;
};

struct Subdistrict {
  std::string code;
  std::string name;
  std::string unit;  // its street office ("" when none)
};

std::vector<Subdistrict> Subdistricts(const ReferenceData& ref) {
  std::vector<Subdistrict> out;
  if (!ref.geography) return out;
  for (const auto& s : ref.geography->subdistricts) {
    const Unit* office = ref.UnitOfType(kStreetOfficeType, s.code);
    out.push_back({s.code, s.name, office != nullptr ? office->code : ""});
  }
  return out;
}

std::string Key(int n) {
  std::string s = std::to_string(n);
  return "R" + std::string(s.size() < 4 ? 4 - s.size() : 0, '0') + s;
}

Result<int> Commit(storage::Store& store, const std::string& id, std::vector<RowHistory>& rows,
                   LedgerDemoReport& report) {
  std::vector<storage::LedgerRowWrite> writes;
  for (RowHistory& h : rows) {
    if (h.exists()) writes.push_back(h.Write());
  }
  if (writes.empty()) return 0;
  report.rows += static_cast<int>(writes.size());
  CITYGRID_ASSIGN_OR_RETURN(std::vector<LedgerEvent> events, store.ledgers().Write(id, std::move(writes)));
  report.events += static_cast<int>(events.size());
  return static_cast<int>(events.size());
}

Status SeedOldCompounds(storage::Store& store, ReferenceDataService& reference,
                        const std::vector<Subdistrict>& sds, Timestamp end,
                        LedgerDemoReport& report) {
  FakeClock clock(At(Ymd(2020, 2, 20), 9));
  LedgerService service(store, reference, clock);
  const Actor admin{"admin", Role::kAdmin, ""};
  LedgerDefinition d;
  d.id = "old-compounds";
  d.name = "老旧小区改造";
  d.description = "2020年老旧小区改造台账：品质型、改善型，分两批实施，挂图作战、销号管理。";
  d.owner_unit = "ZJ";
  d.period_start = Ymd(2020, 1, 1);
  d.period_end = Ymd(2021, 6, 30);
  d.columns = {Choice("type", "改造类型", {"品质型", "改善型"}, false, true),
               Number("households", "户数", "户"),
               Number("buildings", "楼栋数", "栋"),
               Number("area", "建筑面积", "m²"),
               Choice("items", "改造内容", {"屋面防水", "外墙保温", "管网改造", "加装电梯", "绿化提升", "停车设施"}, true),
               Column("contractor", "施工单位", LedgerColumnType::kText),
               Column("photos", "现场照片", LedgerColumnType::kPhotos)};
  d.batches = {{"第一批", Ymd(2020, 12, 31)}, {"第二批", Ymd(2021, 6, 30)}};
  d.type_column = "type";
  if (At(Ymd(2020, 2, 20), 9) > end) return OkStatus();
  CITYGRID_RETURN_IF_ERROR(service.CreateLedger(admin, d));
  const Actor owner{"zj.handler", Role::kHandler, "ZJ"};
  static const char* kContractors[] = {"郑州建工集团", "河南五建", "中建七局", "二七城建公司"};
  static const char* kItems[] = {"屋面防水;外墙保温;管网改造", "管网改造;绿化提升", "屋面防水;加装电梯;停车设施",
                                 "外墙保温;绿化提升;停车设施"};
  std::vector<RowHistory> rows;
  for (int n = 1; n <= 467; ++n) {
    const bool first = n <= 264;
    const int i = first ? n - 1 : n - 265;  // index within the batch
    const Subdistrict& sd = sds[static_cast<size_t>(n - 1) % sds.size()];
    LedgerRow row;
    row.key = Key(n);
    row.title = sd.name + "第" + std::to_string(n) + "号小区";
    row.unit = sd.unit.empty() ? "ZJ" : sd.unit;
    row.subdistrict = sd.code;
    row.batch = first ? "第一批" : "第二批";
    row.values = {{"type", n % 5 < 2 ? "品质型" : "改善型"},
                  {"households", std::to_string(60 + (n * 37) % 240)},
                  {"buildings", std::to_string(2 + (n * 7) % 12)},
                  {"area", std::to_string(4000 + (n * 523) % 16000)},
                  {"items", kItems[n % 4]},
                  {"contractor", kContractors[n % 4]}};
    row.definition_version = 1;
    const year_month_day deadline = first ? Ymd(2020, 12, 31) : Ymd(2021, 6, 30);
    const year_month_day created = first ? Ymd(2020, 3, 2) : Ymd(2020, 7, 1);
    const Actor unit{DemoHandlerName(row.unit), Role::kHandler, row.unit};
    const int period = first ? 20 : 25;
    const bool never = i % period == 0;
    const bool late = i % period == 1;
    RowHistory h(row, owner, At(created, 9), end);
    const year_month_day start = Plus(created, 7 + i % 30);
    h.Step(LedgerEventType::kProgress, unit, At(start), "进场施工", [](LedgerRow& r) {
      r.state = LedgerRowState::kInProgress;
      r.progress = 30;
    });
    h.Step(LedgerEventType::kProgress, unit, At(Plus(start, 45)), "主体完工过半", [](LedgerRow& r) {
      r.progress = 70;
    });
    if (never) {
      h.Step(LedgerEventType::kProgress, unit, At(Plus(deadline, -20)), "居民协调未完成，进度滞后",
             [](LedgerRow& r) { r.progress = 80; });
    } else {
      const year_month_day done = late ? (first ? Plus(Ymd(2021, 2, 1), i % 20) : Plus(Ymd(2021, 8, 1), i % 25))
                                       : Plus(deadline, -(10 + i % 60));
      h.Step(LedgerEventType::kProgress, unit, At(done, 16), "完工", [](LedgerRow& r) {
        r.state = LedgerRowState::kDone;
        r.progress = 100;
      });
      if (!late && i % 3 == 0) {
        h.Step(LedgerEventType::kAccepted, owner, At(Plus(done, 15)), "验收合格", [](LedgerRow& r) {
          r.state = LedgerRowState::kAccepted;
        });
      }
    }
    rows.push_back(std::move(h));
  }
  CITYGRID_RETURN_IF_ERROR(Commit(store, d.id, rows, report));
  ++report.ledgers;
  return OkStatus();
}

Status SeedSchools(storage::Store& store, ReferenceDataService& reference,
                   const std::vector<Subdistrict>& sds, Timestamp end, LedgerDemoReport& report) {
  FakeClock clock(At(Ymd(2020, 3, 25), 9));
  if (clock.Now() > end) return OkStatus();
  LedgerService service(store, reference, clock);
  const Actor admin{"admin", Role::kAdmin, ""};
  LedgerDefinition d;
  d.id = "school-reopening";
  d.name = "学校复学检查";
  d.description = "开学前对全区283所学校逐校检查：防控措施、物资储备，五级责任链逐级落实。";
  d.owner_unit = "CGJ";
  d.period_start = Ymd(2020, 3, 25);
  d.period_end = Ymd(2020, 5, 31);
  d.columns = {Choice("school_type", "学校类型", {"幼儿园", "小学", "初中", "高中", "职业学校"}, false, true),
               Number("students", "在校学生", "人"),
               Choice("checks", "检查项目", {"晨午检", "通风消毒", "隔离观察室", "食堂卫生", "应急预案"}, true),
               Column("check_date", "检查日期", LedgerColumnType::kDate),
               Number("wipes", "消毒湿巾", "包"),
               Number("hand_sanitizer", "洗手液", "瓶"),
               Number("chlorine_tablets", "含氯消毒片", "瓶"),
               Number("masks", "口罩", "个"),
               Number("disinfectant", "消毒液", "升"),
               Column("inspector", "检查人", LedgerColumnType::kPerson)};
  d.batches = {{"高三初三", Ymd(2020, 4, 7)}, {"其他年级", Ymd(2020, 5, 11)}};
  d.type_column = "school_type";
  CITYGRID_RETURN_IF_ERROR(service.CreateLedger(admin, d));
  static const char* kTypes[] = {"幼儿园", "小学", "小学", "初中", "高中", "职业学校"};
  static const char* kChecks[] = {"晨午检;通风消毒;隔离观察室;食堂卫生;应急预案", "晨午检;通风消毒;隔离观察室;应急预案"};
  static const char* kNames[] = {"实验小学", "第一中学", "幼儿园", "外国语学校", "职业中专", "育才小学"};
  const Actor owner{"cgj.handler", Role::kHandler, "CGJ"};
  std::vector<RowHistory> rows;
  for (int n = 1; n <= 283; ++n) {
    const Subdistrict& sd = sds[static_cast<size_t>(n - 1) % sds.size()];
    const char* type = kTypes[n % 6];
    const bool senior = std::string(type) == "高中" || std::string(type) == "初中";
    LedgerRow row;
    row.key = Key(n);
    row.title = sd.name + kNames[n % 6] + "（" + std::to_string(n) + "）";
    row.unit = sd.unit.empty() ? "CGJ" : sd.unit;
    row.subdistrict = sd.code;
    row.batch = senior ? "高三初三" : "其他年级";
    row.values = {{"school_type", type}, {"students", std::to_string(300 + (n * 131) % 2400)}};
    row.definition_version = 1;
    const Actor unit{DemoHandlerName(row.unit), Role::kHandler, row.unit};
    const year_month_day check_day = senior ? Plus(Ymd(2020, 3, 28), n % 8) : Plus(Ymd(2020, 4, 15), n % 20);
    RowHistory h(row, owner, At(Ymd(2020, 3, 25), 9), end);
    h.Step(LedgerEventType::kProgress, unit, At(check_day, 15), "逐项检查，物资到位", [&](LedgerRow& r) {
      r.state = LedgerRowState::kDone;
      r.values["checks"] = kChecks[n % 2];
      r.values["check_date"] = FormatDate(check_day);
      r.values["wipes"] = std::to_string(20 + (n * 7) % 30);
      r.values["hand_sanitizer"] = std::to_string(10 + (n * 3) % 25);
      r.values["chlorine_tablets"] = std::to_string(2 + n % 6);
      r.values["masks"] = std::to_string(500 + (n * 53) % 1500);
      r.values["disinfectant"] = std::to_string(20 + (n * 11) % 80);
      r.values["inspector"] = "网格员" + std::to_string(1 + n % 40);
    });
    if (n % 10 != 0) {
      h.Step(LedgerEventType::kAccepted, owner, At(Plus(check_day, 2)), "复核合格", [](LedgerRow& r) {
        r.state = LedgerRowState::kAccepted;
      });
    }
    rows.push_back(std::move(h));
  }
  CITYGRID_RETURN_IF_ERROR(Commit(store, d.id, rows, report));
  ++report.ledgers;
  return OkStatus();
}

Status SeedCampaign(storage::Store& store, ReferenceDataService& reference,
                    const std::vector<Subdistrict>& sds, Timestamp end, LedgerDemoReport& report) {
  const Timestamp from = end - days(60);
  FakeClock clock(from);
  LedgerService service(store, reference, clock);
  const Actor admin{"admin", Role::kAdmin, ""};
  LedgerDefinition d;
  d.id = "order-cleanliness";
  d.name = "序化洁化专项整治";
  d.description = "工地扬尘、围挡、渣土车、机动车乱停放专项整治，按街道挂牌督办。";
  d.owner_unit = "CGJ";
  d.columns = {Column("focus", "整治重点", LedgerColumnType::kText),
               Number("sites", "整治点位", "处"),
               Number("rectified", "已整改", "处"),
               Column("chief", "路长", LedgerColumnType::kPerson)};
  CampaignScope scope;
  scope.categories = {"08004", "08007", "08011", "09009"};
  for (size_t i = 0; i < 4 && i < sds.size(); ++i) scope.subdistricts.push_back(sds[i].code);
  scope.from = from;
  scope.to = end + days(30);
  scope.targets = {{"closing_rate", 0.9, false}, {"on_time_closing_rate", 0.8, false}, {"overdue", 10, true}};
  d.campaign = scope;
  CITYGRID_RETURN_IF_ERROR(service.CreateLedger(admin, d));
  const Actor owner{"cgj.handler", Role::kHandler, "CGJ"};
  std::vector<RowHistory> rows;
  for (size_t i = 0; i < scope.subdistricts.size(); ++i) {
    LedgerRow row;
    row.key = Key(static_cast<int>(i + 1));
    row.title = sds[i].name + "序化洁化";
    row.unit = sds[i].unit.empty() ? "CGJ" : sds[i].unit;
    row.subdistrict = sds[i].code;
    row.deadline = year_month_day(std::chrono::floor<days>(scope.to));
    row.values = {{"focus", i % 2 == 0 ? "工地扬尘、围挡" : "机动车乱停放、渣土车"},
                  {"sites", std::to_string(12 + 5 * i)},
                  {"chief", "路长" + std::to_string(i + 1)}};
    row.definition_version = 1;
    const Actor unit{DemoHandlerName(row.unit), Role::kHandler, row.unit};
    RowHistory h(row, owner, from + std::chrono::hours(2), end);
    h.Step(LedgerEventType::kProgress, unit, from + days(20), "第一轮整治", [i](LedgerRow& r) {
      r.state = LedgerRowState::kInProgress;
      r.progress = 40;
      r.values["rectified"] = std::to_string(4 + 2 * i);
    });
    h.Step(LedgerEventType::kProgress, unit, from + days(45), "回头看", [i](LedgerRow& r) {
      r.progress = 75;
      r.values["rectified"] = std::to_string(9 + 3 * i);
    });
    rows.push_back(std::move(h));
  }
  CITYGRID_RETURN_IF_ERROR(Commit(store, d.id, rows, report));
  ++report.ledgers;
  return OkStatus();
}

}  // namespace

Result<LedgerDemoReport> SeedDemoLedgers(storage::Store& store, ReferenceDataService& reference,
                                         Timestamp end) {
  std::shared_ptr<const ReferenceData> ref = reference.Get();
  std::vector<Subdistrict> sds = Subdistricts(*ref);
  if (sds.empty()) return FailedPreconditionError("the demo ledgers need the demo geography");
  LedgerDemoReport report;
  CITYGRID_RETURN_IF_ERROR(SeedOldCompounds(store, reference, sds, end, report));
  CITYGRID_RETURN_IF_ERROR(SeedSchools(store, reference, sds, end, report));
  CITYGRID_RETURN_IF_ERROR(SeedCampaign(store, reference, sds, end, report));
  return report;
}

}  // namespace citygrid::service
