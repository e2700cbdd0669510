#include "citygrid/service/auth_service.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <set>

#include "tests/testing/memory_store.h"

namespace citygrid::service {
namespace {

using namespace std::chrono_literals;

class AuthServiceTest : public ::testing::Test {
 protected:
  AuthServiceTest()
      : store_(citygrid::testing::MakeMemoryStore()),
        clock_(*ParseIso8601("2020-04-30T09:00:00+08:00")),
        auth_(store_->documents(), clock_, FastHashing()) {}

  static AuthOptions FastHashing() {
    AuthOptions o;
    o.pwhash_opslimit = crypto_pwhash_OPSLIMIT_MIN;
    o.pwhash_memlimit = crypto_pwhash_MEMLIMIT_MIN;
    return o;
  }

  User AddOrDie(const std::string& name, Role role, const std::string& unit = "") {
    auto u = auth_.AddUser({name, "", role, unit, "correct-horse"});
    EXPECT_TRUE(u.ok()) << u.status().ToString();
    return u.ok() ? *u : User{};
  }

  std::unique_ptr<storage::Store> store_;
  FakeClock clock_;
  AuthService auth_;
};

TEST_F(AuthServiceTest, LoginReturnsATokenThatAuthenticates) {
  AddOrDie("wang.disp", Role::kDispatcher);
  auto login = auth_.Login("wang.disp", "correct-horse", "127.0.0.1");
  ASSERT_TRUE(login.ok()) << login.status().ToString();
  EXPECT_EQ(login->token.size(), 64u);  // 256 random bits, hex
  EXPECT_EQ(login->expires_at, clock_.Now() + 12h);
  EXPECT_EQ(login->user.role, Role::kDispatcher);
  EXPECT_TRUE(login->user.password_hash.empty());
  auto who = auth_.Authenticate(login->token);
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_EQ(who->username, "wang.disp");
  EXPECT_EQ(who->role, Role::kDispatcher);
}

TEST_F(AuthServiceTest, StoresOnlyArgon2idHashesAndTokenHashes) {
  AddOrDie("li.op", Role::kOperator);
  auto login = auth_.Login("li.op", "correct-horse", "127.0.0.1");
  ASSERT_TRUE(login.ok());
  auto user_doc = store_->documents().Get("user", "li.op");
  ASSERT_TRUE(user_doc.ok());
  EXPECT_EQ(user_doc->json.find("correct-horse"), std::string::npos);
  EXPECT_NE(user_doc->json.find("$argon2id$"), std::string::npos);
  auto sessions = store_->documents().List("session");
  ASSERT_TRUE(sessions.ok());
  ASSERT_EQ(sessions->size(), 1u);
  EXPECT_NE((*sessions)[0].key, login->token);
  EXPECT_EQ((*sessions)[0].json.find(login->token), std::string::npos);
}

TEST_F(AuthServiceTest, TokensAreDistinct) {
  AddOrDie("zhao.ins", Role::kInspector);
  std::set<std::string> tokens;
  for (int i = 0; i < 5; ++i) {
    auto login = auth_.Login("zhao.ins", "correct-horse", "127.0.0.1");
    ASSERT_TRUE(login.ok());
    tokens.insert(login->token);
  }
  EXPECT_EQ(tokens.size(), 5u);
}

TEST_F(AuthServiceTest, WrongPasswordAndUnknownUserLookTheSame) {
  AddOrDie("li.op", Role::kOperator);
  auto wrong = auth_.Login("li.op", "nope-nope", "10.0.0.1");
  auto unknown = auth_.Login("nobody", "nope-nope", "10.0.0.2");
  ASSERT_FALSE(wrong.ok());
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(wrong.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(wrong.status(), unknown.status());
}

TEST_F(AuthServiceTest, ThrottlesAUserAfterRepeatedFailures) {
  AddOrDie("li.op", Role::kOperator);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(auth_.Login("li.op", "bad-password", "10.0.0." + std::to_string(i)).status().code(),
              StatusCode::kUnauthenticated);
  }
  // Locked even with the right password, from a fresh address.
  EXPECT_EQ(auth_.Login("li.op", "correct-horse", "10.0.1.1").status().code(),
            StatusCode::kResourceExhausted);
  clock_.Advance(16min);
  EXPECT_TRUE(auth_.Login("li.op", "correct-horse", "10.0.1.1").ok());
}

TEST_F(AuthServiceTest, ThrottlesAnAddressAcrossUsernames) {
  AddOrDie("li.op", Role::kOperator);
  for (int i = 0; i < 5; ++i) {
    (void)auth_.Login("guess" + std::to_string(i), "bad-password", "10.9.9.9");
  }
  EXPECT_EQ(auth_.Login("li.op", "correct-horse", "10.9.9.9").status().code(),
            StatusCode::kResourceExhausted);
  EXPECT_TRUE(auth_.Login("li.op", "correct-horse", "10.9.9.8").ok());
}

TEST_F(AuthServiceTest, TokensExpire) {
  AddOrDie("li.op", Role::kOperator);
  auto login = auth_.Login("li.op", "correct-horse", "127.0.0.1");
  ASSERT_TRUE(login.ok());
  clock_.Advance(12h);
  auto who = auth_.Authenticate(login->token);
  ASSERT_FALSE(who.ok());
  EXPECT_EQ(who.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(who.status().message().find("expired"), std::string::npos);
}

TEST_F(AuthServiceTest, LogoutRevokesAtOnce) {
  AddOrDie("li.op", Role::kOperator);
  auto login = auth_.Login("li.op", "correct-horse", "127.0.0.1");
  ASSERT_TRUE(login.ok());
  ASSERT_TRUE(auth_.Authenticate(login->token).ok());  // now cached
  ASSERT_TRUE(auth_.Logout(login->token).ok());
  EXPECT_EQ(auth_.Authenticate(login->token).status().code(), StatusCode::kUnauthenticated);
  EXPECT_TRUE(auth_.Logout(login->token).ok());  // twice is fine
}

TEST_F(AuthServiceTest, LogoutOnAnotherNodeTakesEffectAfterTheCacheTtl) {
  AuthService other_node(store_->documents(), clock_, FastHashing());
  AddOrDie("li.op", Role::kOperator);
  auto login = auth_.Login("li.op", "correct-horse", "127.0.0.1");
  ASSERT_TRUE(login.ok());
  ASSERT_TRUE(auth_.Authenticate(login->token).ok());
  ASSERT_TRUE(other_node.Logout(login->token).ok());
  clock_.Advance(6s);
  EXPECT_EQ(auth_.Authenticate(login->token).status().code(), StatusCode::kUnauthenticated);
}

TEST_F(AuthServiceTest, DisabledUsersCannotLogInOrUseTheirTokens) {
  AddOrDie("li.op", Role::kOperator);
  auto login = auth_.Login("li.op", "correct-horse", "127.0.0.1");
  ASSERT_TRUE(login.ok());
  ASSERT_TRUE(auth_.SetDisabled("li.op", true).ok());
  EXPECT_EQ(auth_.Authenticate(login->token).status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(auth_.Login("li.op", "correct-horse", "127.0.0.2").status().code(),
            StatusCode::kUnauthenticated);
}

TEST_F(AuthServiceTest, TheLastEnabledAdminCannotBeDisabled) {
  AddOrDie("root", Role::kAdmin);
  Status last = auth_.SetDisabled("root", true);
  EXPECT_EQ(last.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(last.message(),
            "user 'root' is the last enabled admin; enable or add another admin before disabling "
            "this one");
  EXPECT_FALSE(auth_.GetUser("root")->disabled);

  AddOrDie("root2", Role::kAdmin);
  EXPECT_TRUE(auth_.CheckCanDisable("root").ok());
  ASSERT_TRUE(auth_.SetDisabled("root", true).ok());  // root2 is left
  EXPECT_EQ(auth_.SetDisabled("root2", true).code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(auth_.SetDisabled("root", true).ok());  // already disabled: no change
  ASSERT_TRUE(auth_.SetDisabled("root", false).ok());
  EXPECT_TRUE(auth_.SetDisabled("root2", true).ok());
  // Other roles are not counted and not limited.
  AddOrDie("li.op", Role::kOperator);
  EXPECT_TRUE(auth_.SetDisabled("li.op", true).ok());
}

TEST_F(AuthServiceTest, UnknownAndEmptyTokensAreUnauthenticated) {
  EXPECT_EQ(auth_.Authenticate("").status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(auth_.Authenticate(std::string(64, 'a')).status().code(),
            StatusCode::kUnauthenticated);
}

TEST_F(AuthServiceTest, SetPasswordReplacesTheOldOne) {
  AddOrDie("li.op", Role::kOperator);
  ASSERT_TRUE(auth_.SetPassword("li.op", "battery-staple").ok());
  EXPECT_EQ(auth_.Login("li.op", "correct-horse", "1.1.1.1").status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_TRUE(auth_.Login("li.op", "battery-staple", "1.1.1.1").ok());
  EXPECT_EQ(auth_.SetPassword("nobody", "battery-staple").code(), StatusCode::kNotFound);
}

struct BadUserCase {
  NewUser user;
  StatusCode code;
  const char* message_part;
};

TEST_F(AuthServiceTest, RejectsBadNewUsers) {
  AddOrDie("taken", Role::kLeader);
  const BadUserCase cases[] = {
      {{"ab", "", Role::kOperator, "", "long-enough"}, StatusCode::kInvalidArgument, "username"},
      {{"Has Space", "", Role::kOperator, "", "long-enough"}, StatusCode::kInvalidArgument,
       "username"},
      {{"short.pw", "", Role::kOperator, "", "1234567"}, StatusCode::kInvalidArgument, "password"},
      {{"hand.nounit", "", Role::kHandler, "", "long-enough"}, StatusCode::kInvalidArgument,
       "unit"},
      {{"robot", "", Role::kSystem, "", "long-enough"}, StatusCode::kInvalidArgument, "system"},
      {{"taken", "", Role::kOperator, "", "long-enough"}, StatusCode::kAlreadyExists, "taken"},
  };
  for (const auto& c : cases) {
    auto r = auth_.AddUser(c.user);
    ASSERT_FALSE(r.ok()) << c.user.username;
    EXPECT_EQ(r.status().code(), c.code) << c.user.username;
    EXPECT_NE(r.status().message().find(c.message_part), std::string::npos)
        << r.status().message();
  }
  auto users = auth_.ListUsers();
  ASSERT_TRUE(users.ok());
  EXPECT_EQ(users->size(), 1u);
}

TEST_F(AuthServiceTest, ListsUsersSortedWithUnits) {
  AddOrDie("zz.leader", Role::kLeader);
  AddOrDie("aa.handler", Role::kHandler, "410103001");
  auto users = auth_.ListUsers();
  ASSERT_TRUE(users.ok());
  ASSERT_EQ(users->size(), 2u);
  EXPECT_EQ((*users)[0].username, "aa.handler");
  EXPECT_EQ((*users)[0].unit, "410103001");
  EXPECT_EQ((*users)[1].role, Role::kLeader);
}

}  // namespace
}  // namespace citygrid::service
