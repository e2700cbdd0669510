#include "citygrid/http/static_files.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/testing/paths.h"

namespace citygrid::http {
namespace {

namespace fs = std::filesystem;

void WriteFile(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("citygrid-static");
    ASSERT_FALSE(dir_.empty());
    root_ = fs::path(dir_) / "web";
    WriteFile(root_ / "index.html", "<!doctype html><title>citygrid</title>");
    WriteFile(root_ / "assets" / "index-3f9a7c2b.js", "console.log(1)");
    WriteFile(root_ / "assets" / "app.css", "body{}");
    WriteFile(fs::path(dir_) / "secret.txt", "top secret");
    fs::create_symlink(fs::path(dir_) / "secret.txt", root_ / "leak.txt");
    Result<StaticFiles> files = StaticFiles::Open(root_.string());
    ASSERT_TRUE(files.ok()) << files.status().ToString();
    files_.emplace(std::move(*files));
  }
  void TearDown() override { fs::remove_all(dir_); }

  Response Get(std::string_view target, Headers headers = {}) {
    Result<Request> r = MakeRequest(Method::kGet, target, "", std::move(headers));
    EXPECT_TRUE(r.ok()) << target;
    return files_->Serve(*r);
  }

  std::string dir_;
  fs::path root_;
  std::optional<StaticFiles> files_;
};

TEST_F(StaticFilesTest, ServesFilesWithContentTypes) {
  Response js = Get("/assets/index-3f9a7c2b.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.body, "console.log(1)");
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(js.headers.GetOr("Cache-Control", ""), "public, max-age=31536000, immutable");

  Response css = Get("/assets/app.css");
  EXPECT_EQ(css.content_type, "text/css; charset=utf-8");
  EXPECT_EQ(css.headers.GetOr("Cache-Control", ""), "no-cache");

  Response index = Get("/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
}

TEST_F(StaticFilesTest, ETagRevalidationAnswers304) {
  Response first = Get("/assets/app.css");
  std::string etag = first.headers.GetOr("ETag", "");
  ASSERT_FALSE(etag.empty());
  Headers h;
  h.Set("If-None-Match", etag);
  Response again = Get("/assets/app.css", h);
  EXPECT_EQ(again.status, 304);
  EXPECT_EQ(again.body, "");
}

TEST_F(StaticFilesTest, ClientSideRoutesGetIndexHtml) {
  Response r = Get("/cases/20200412-000123");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "<!doctype html><title>citygrid</title>");
  EXPECT_EQ(Get("/assets/missing.js").status, 404);
  EXPECT_EQ(Get("/api/v1/unknown").status, 404);
}

TEST_F(StaticFilesTest, RefusesTraversal) {
  EXPECT_EQ(Get("/../secret.txt").status, 400);
  EXPECT_EQ(Get("/assets/%2e%2e/%2e%2e/secret.txt").status, 400);
  EXPECT_EQ(Get("/assets/..%2f..%2fsecret.txt").status, 400);
  EXPECT_EQ(Get("/assets%5c..%5csecret.txt").status, 400);
  // A symlink inside the root that leads outside is not followed.
  EXPECT_EQ(Get("/leak.txt").status, 404);
}

TEST_F(StaticFilesTest, CachedFilesFollowChangesOnDisk) {
  EXPECT_EQ(Get("/assets/app.css").body, "body{}");
  EXPECT_EQ(Get("/assets/app.css").body, "body{}");  // from memory now
  WriteFile(root_ / "assets" / "app.css", "body{color:red}");
  Response changed = Get("/assets/app.css");
  EXPECT_EQ(changed.status, 200);
  EXPECT_EQ(changed.body, "body{color:red}");
  // Same size, new bytes: replaced through a rename, as deploy tools do (a new inode).
  WriteFile(root_ / "assets" / "app.css.new", "body{color:tan}");
  fs::rename(root_ / "assets" / "app.css.new", root_ / "assets" / "app.css");
  EXPECT_EQ(Get("/assets/app.css").body, "body{color:tan}");
  fs::remove(root_ / "assets" / "app.css");
  EXPECT_EQ(Get("/assets/app.css").status, 404);
}

TEST_F(StaticFilesTest, ACachedSymlinkRepointedOutsideIsRefused) {
  WriteFile(root_ / "real.txt", "inside");
  fs::create_symlink(root_ / "real.txt", root_ / "link.txt");
  EXPECT_EQ(Get("/link.txt").body, "inside");
  EXPECT_EQ(Get("/link.txt").body, "inside");
  fs::remove(root_ / "link.txt");
  fs::create_symlink(fs::path(dir_) / "secret.txt", root_ / "link.txt");
  Response r = Get("/link.txt");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body.find("top secret"), std::string::npos);
}

TEST_F(StaticFilesTest, CachedFilesAnswerHeadAndConditionalRequests) {
  Response first = Get("/assets/index-3f9a7c2b.js");
  Response second = Get("/assets/index-3f9a7c2b.js");
  EXPECT_EQ(second.body, first.body);
  EXPECT_EQ(second.headers.GetOr("ETag", ""), first.headers.GetOr("ETag", ""));
  EXPECT_EQ(second.headers.GetOr("Cache-Control", ""), "public, max-age=31536000, immutable");
  EXPECT_EQ(second.headers.GetOr("X-Content-Type-Options", ""), "nosniff");

  Result<Request> head = MakeRequest(Method::kHead, "/assets/index-3f9a7c2b.js");
  ASSERT_TRUE(head.ok());
  Response h = files_->Serve(*head);
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.body, "");
  EXPECT_EQ(h.headers.GetOr("Content-Length", ""), std::to_string(first.body.size()));

  Headers inm;
  inm.Set("If-None-Match", first.headers.GetOr("ETag", ""));
  Response not_modified = Get("/assets/index-3f9a7c2b.js", inm);
  EXPECT_EQ(not_modified.status, 304);
  EXPECT_EQ(not_modified.body, "");
  Headers other;
  other.Set("If-None-Match", "\"0-0\"");
  EXPECT_EQ(Get("/assets/index-3f9a7c2b.js", other).status, 200);
}

TEST(StaticFilesNamesTest, HashedAssetNames) {
  EXPECT_TRUE(IsHashedAssetName("index-3f9a7c2b.js"));
  EXPECT_TRUE(IsHashedAssetName("logo.5d41402a.svg"));
  EXPECT_TRUE(IsHashedAssetName("vendor-BX3a9f_Q.js"));
  EXPECT_FALSE(IsHashedAssetName("index.html"));
  EXPECT_FALSE(IsHashedAssetName("app-settings.js"));
  EXPECT_EQ(ContentTypeForPath("a/b.WOFF2"), "font/woff2");
  EXPECT_EQ(ContentTypeForPath("noext"), "application/octet-stream");
}

TEST(StaticFilesOpenTest, MissingRootIsInvalidArgument) {
  EXPECT_EQ(StaticFiles::Open("/nonexistent/citygrid-web").status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace citygrid::http
