#include "citygrid/storage/audit_chain.h"

#include <gtest/gtest.h>

#include <vector>

namespace citygrid::storage {
namespace {

CaseEvent MakeEvent(int64_t case_id, int64_t version) {
  CaseEvent e;
  e.case_id = case_id;
  e.version = version;
  e.type = version == 1 ? EventType::kCreated : EventType::kAction;
  if (version > 1) e.action = Action::kComment;
  e.actor = Actor{"zhang.san", Role::kInspector, ""};
  e.at = FromUnixMillis(1586650000000 + version);
  e.note = "井盖缺失 v" + std::to_string(version);
  e.payload_json = "{}";
  return e;
}

std::vector<CaseEvent> MakeChain(int64_t case_id, int n) {
  std::vector<CaseEvent> events;
  std::string prev;
  for (int v = 1; v <= n; ++v) {
    CaseEvent e = MakeEvent(case_id, v);
    SealEvent(e, prev);
    prev = e.hash;
    events.push_back(e);
  }
  return events;
}

TEST(Sha256HexTest, MatchesKnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(CanonicalEventEncodingTest, IsLengthPrefixedInFixedOrder) {
  CaseEvent e;
  e.case_id = 42;
  e.version = 2;
  e.global_seq = 999;  // not encoded
  e.type = EventType::kAction;
  e.action = Action::kDispatch;
  e.actor = Actor{"li", Role::kDispatcher, "u1"};
  e.at = FromUnixMillis(-5);
  e.note = "派遣";
  e.photos = {"aa", "bbb"};
  e.payload_json = R"({"unit":"u1"})";
  e.prev_hash = "ff";
  e.hash = "ignored";
  EXPECT_EQ(CanonicalEventEncoding(e),
            "17:citygrid-event-v1,2:42,1:2,6:action,8:dispatch,2:li,10:dispatcher,2:u1,2:-5,"
            "6:派遣,1:2,2:aa,3:bbb,13:{\"unit\":\"u1\"},2:ff,");
}

TEST(CanonicalEventEncodingTest, FieldBoundariesCannotBeShifted) {
  // Moving bytes from the note into the payload must change the encoding.
  CaseEvent a = MakeEvent(1, 1);
  CaseEvent b = a;
  a.note = "ab";
  a.payload_json = "c";
  b.note = "a";
  b.payload_json = "bc";
  EXPECT_NE(EventHash(a), EventHash(b));
}

TEST(SealEventTest, SetsPrevHashAndHash) {
  CaseEvent e = MakeEvent(7, 1);
  SealEvent(e, "");
  EXPECT_EQ(e.prev_hash, "");
  EXPECT_EQ(e.hash, EventHash(e));
  EXPECT_EQ(e.hash.size(), 64u);
}

TEST(ChainVerifierTest, AcceptsInterleavedChains) {
  std::vector<CaseEvent> a = MakeChain(1, 4), b = MakeChain(2, 3);
  ChainVerifier verifier;
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(verifier.Add(a[i]));
    if (i < 3) {
      EXPECT_TRUE(verifier.Add(b[i]));
    }
  }
  EXPECT_TRUE(verifier.ok());
  EXPECT_EQ(verifier.events_checked(), 7);
  EXPECT_EQ(verifier.cases_seen(), 2);
  EXPECT_EQ(verifier.LastVersion(1), 4);
  EXPECT_EQ(verifier.LastVersion(2), 3);
  EXPECT_EQ(verifier.LastVersion(3), 0);
}

struct TamperCase {
  const char* name;
  void (*tamper)(std::vector<CaseEvent>&);
  int64_t broken_version;
  const char* problem;
};

const TamperCase kTamperCases[] = {
    {"edited note", [](std::vector<CaseEvent>& c) { c[2].note = "nothing happened"; }, 3,
     "stored hash does not match the event's contents"},
    {"edited note and rehashed",
     [](std::vector<CaseEvent>& c) {
       c[2].note = "nothing happened";
       c[2].hash = EventHash(c[2]);
     },
     4, "prev_hash is not the hash of the previous event"},
    {"edited actor", [](std::vector<CaseEvent>& c) { c[1].actor.user = "someone.else"; }, 2,
     "stored hash does not match the event's contents"},
    {"edited timestamp", [](std::vector<CaseEvent>& c) { c[3].at += Duration(1); }, 4,
     "stored hash does not match the event's contents"},
    {"removed event", [](std::vector<CaseEvent>& c) { c.erase(c.begin() + 2); }, 4,
     "versions are missing before this event"},
    {"swapped events", [](std::vector<CaseEvent>& c) { std::swap(c[1], c[2]); }, 3,
     "versions are missing before this event"},
    {"first event with prev_hash",
     [](std::vector<CaseEvent>& c) {
       c[0].prev_hash = c[1].hash;
       c[0].hash = EventHash(c[0]);
     },
     1, "the first event has a prev_hash"},
};

TEST(ChainVerifierTest, ReportsTheFirstBrokenLink) {
  for (const TamperCase& t : kTamperCases) {
    SCOPED_TRACE(t.name);
    std::vector<CaseEvent> chain = MakeChain(9, 5);
    t.tamper(chain);
    ChainVerifier verifier;
    for (const CaseEvent& e : chain) verifier.Add(e);
    ASSERT_FALSE(verifier.ok());
    const BrokenLink& link = *verifier.first_broken();
    EXPECT_EQ(link.case_id, 9);
    EXPECT_EQ(link.version, t.broken_version);
    EXPECT_EQ(link.problem, t.problem);
    EXPECT_NE(link.expected, link.found);
  }
}

TEST(ChainVerifierTest, StopsAtTheFirstBreak) {
  std::vector<CaseEvent> chain = MakeChain(3, 3);
  chain[1].note = "x";
  ChainVerifier verifier;
  EXPECT_TRUE(verifier.Add(chain[0]));
  EXPECT_FALSE(verifier.Add(chain[1]));
  EXPECT_FALSE(verifier.Add(chain[2]));
  EXPECT_EQ(verifier.first_broken()->version, 2);
  EXPECT_EQ(verifier.first_broken()->expected, EventHash(chain[1]));
  EXPECT_EQ(verifier.first_broken()->found, chain[1].hash);
}

TEST(BrokenLinkTest, ToStringNamesCaseVersionAndHashes) {
  BrokenLink link{42, "20200412-000123", 3, 917, "stored hash does not match", "aa", "bb"};
  EXPECT_EQ(link.ToString(),
            "case 20200412-000123 (id 42) version 3 (seq 917): stored hash does not match: "
            "expected aa, found bb");
}

}  // namespace
}  // namespace citygrid::storage
