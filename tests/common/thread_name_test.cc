// NameThisThread: the name ps -L, top -H and perf show for a thread.

#include "citygrid/common/thread_name.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <string>
#include <thread>

namespace citygrid {
namespace {

std::string NameOfThisThread() {
  char name[32] = {};
  EXPECT_EQ(pthread_getname_np(pthread_self(), name, sizeof name), 0);
  return name;
}

TEST(ThreadNameTest, NamesTheCallingThreadOnly) {
  const std::string before = NameOfThisThread();
  std::string inside;
  std::thread t([&] {
    NameThisThread("cg-commit");
    inside = NameOfThisThread();
  });
  t.join();
  EXPECT_EQ(inside, "cg-commit");
  EXPECT_EQ(NameOfThisThread(), before);
}

// Linux keeps 15 bytes; a longer name is cut there instead of being refused.
TEST(ThreadNameTest, ALongNameIsCutTo15Bytes) {
  std::string inside;
  std::thread t([&] {
    NameThisThread("cg-a-name-longer-than-fifteen");
    inside = NameOfThisThread();
  });
  t.join();
  EXPECT_EQ(inside, "cg-a-name-longe");
}

}  // namespace
}  // namespace citygrid
