#include "citygrid/service/open311_api_keys.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "citygrid/storage/audit_chain.h"
#include "tests/testing/memory_store.h"

namespace citygrid::service {
namespace {

class ApiKeyServiceTest : public ::testing::Test {
 protected:
  testing::MemoryStore store_;
  FakeClock clock_{FromUnixMillis(1773106200000)};
};

TEST_F(ApiKeyServiceTest, AddShowsTheKeyOnceAndStoresOnlyItsHash) {
  ApiKeyService keys(store_.documents(), clock_);
  std::string text;
  Result<ApiKey> key = keys.Add("fixmystreet", &text);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(text.size(), 48u);
  EXPECT_EQ(key->key_hash, storage::Sha256Hex(text));
  Result<std::vector<storage::Document>> docs = store_.documents().List(kApiKeyKind);
  ASSERT_TRUE(docs.ok());
  ASSERT_EQ(docs->size(), 1u);
  EXPECT_EQ((*docs)[0].key, storage::Sha256Hex(text));
  EXPECT_EQ((*docs)[0].json.find(text), std::string::npos) << "the key text must not be stored";
  Result<ApiKey> verified = keys.Verify(text);
  ASSERT_TRUE(verified.ok());
  EXPECT_EQ(verified->name, "fixmystreet");
}

TEST_F(ApiKeyServiceTest, NamesAreCheckedAndUnique) {
  ApiKeyService keys(store_.documents(), clock_);
  std::string text;
  EXPECT_EQ(keys.Add("", &text).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(keys.Add("has space", &text).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(keys.Add(std::string(65, 'a'), &text).status().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(keys.Add("app-1", &text).ok());
  EXPECT_EQ(keys.Add("app-1", &text).status().code(), StatusCode::kAlreadyExists);
  Result<std::vector<ApiKey>> list = keys.List();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 1u);
}

TEST_F(ApiKeyServiceTest, VerifyRejectsMissingUnknownAndRevokedKeys) {
  ApiKeyService keys(store_.documents(), clock_);
  std::string text;
  ASSERT_TRUE(keys.Add("app", &text).ok());
  EXPECT_EQ(keys.Verify("").status(), PermissionDeniedError("api_key is missing"));
  EXPECT_EQ(keys.Verify("abc").status(), PermissionDeniedError("api_key is not valid"));
  ASSERT_TRUE(keys.Revoke("app").ok());
  ASSERT_TRUE(keys.Revoke("app").ok()) << "revoking twice is not an error";
  EXPECT_EQ(keys.Verify(text).status(), PermissionDeniedError("api_key 'app' is revoked"));
  EXPECT_EQ(keys.Revoke("nobody").code(), StatusCode::kNotFound);
  Result<std::vector<ApiKey>> list = keys.List();
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE((*list)[0].revoked);
}

TEST_F(ApiKeyServiceTest, AdmitRefillsContinuously) {
  ApiKeyService keys(store_.documents(), clock_, ApiKeyOptions{60});
  std::string text;
  Result<ApiKey> key = keys.Add("app", &text);
  ASSERT_TRUE(key.ok());
  int retry = 0;
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(keys.Admit(*key, &retry).ok()) << i;
  Status s = keys.Admit(*key, &retry);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(retry, 1);
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_TRUE(keys.Admit(*key, &retry).ok());
  EXPECT_EQ(keys.Admit(*key, &retry).code(), StatusCode::kResourceExhausted);
}

TEST_F(ApiKeyServiceTest, ZeroMeansUnlimited) {
  ApiKeyService keys(store_.documents(), clock_, ApiKeyOptions{0});
  std::string text;
  Result<ApiKey> key = keys.Add("app", &text);
  ASSERT_TRUE(key.ok());
  int retry = 0;
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(keys.Admit(*key, &retry).ok());
}

}  // namespace
}  // namespace citygrid::service
