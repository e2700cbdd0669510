#include "citygrid/service/visibility.h"

#include <gtest/gtest.h>

namespace citygrid::service {
namespace {

TEST(VisibilityTest, HandlersSeeOnlyTheirAssignedUnit) {
  Case c;
  c.suggested_unit = "U-HW";
  EXPECT_FALSE(MayView({"hw", Role::kHandler, "U-HW"}, c));  // routed, not dispatched
  c.unit = "U-HW";
  EXPECT_TRUE(MayView({"hw", Role::kHandler, "U-HW"}, c));
  EXPECT_FALSE(MayView({"cg", Role::kHandler, "U-CG"}, c));
  EXPECT_FALSE(MayView({"x", Role::kHandler, ""}, Case{}));  // a handler without a unit
  for (Role r : {Role::kAdmin, Role::kOperator, Role::kDispatcher, Role::kInspector, Role::kLeader,
                 Role::kSystem}) {
    EXPECT_TRUE(MayView({"u", r, ""}, c)) << Name(r);
  }
}


TEST(VisibilityTest, MasksNamesAndPhones) {
  EXPECT_EQ(MaskName("张三"), "张*");
  EXPECT_EQ(MaskName("欧阳娜娜"), "欧*");
  EXPECT_EQ(MaskName("Li"), "L*");
  EXPECT_EQ(MaskName(""), "");
  EXPECT_EQ(MaskPhone("13812341234"), "138****1234");
  EXPECT_EQ(MaskPhone("0371-67891234"), "037******1234");
  EXPECT_EQ(MaskPhone("12345"), "*****");
  EXPECT_EQ(MaskPhone(""), "");
}

TEST(VisibilityTest, OperatorsDispatchersAndAdminsSeeTheReporter) {
  EXPECT_TRUE(SeesReporter(Role::kOperator));
  EXPECT_TRUE(SeesReporter(Role::kDispatcher));
  EXPECT_TRUE(SeesReporter(Role::kAdmin));
  EXPECT_FALSE(SeesReporter(Role::kInspector));
  EXPECT_FALSE(SeesReporter(Role::kHandler));
  EXPECT_FALSE(SeesReporter(Role::kLeader));
  Case c;
  c.reporter = {"张三", "13812341234"};
  EXPECT_EQ(MaskCase(c, Role::kHandler).reporter, (Reporter{"张*", "138****1234"}));
  EXPECT_EQ(MaskCase(c, Role::kOperator).reporter, c.reporter);
}

TEST(VisibilityTest, MasksTheReporterInsideACreatedPayloadOnly) {
  CaseEvent created;
  created.type = EventType::kCreated;
  created.payload_json = R"({"category":"06010","reporter":{"name":"张三","phone":"13812341234"}})";
  CaseEvent masked = MaskEvent(created, Role::kLeader);
  EXPECT_EQ(masked.payload_json,
            R"({"category":"06010","reporter":{"name":"张*","phone":"138****1234"}})");
  EXPECT_EQ(MaskEvent(created, Role::kOperator), created);
  CaseEvent action;
  action.type = EventType::kAction;
  action.payload_json = R"({"result":"done"})";
  EXPECT_EQ(MaskEvent(action, Role::kLeader), action);
}

}  // namespace
}  // namespace citygrid::service
