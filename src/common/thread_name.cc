#include "citygrid/common/thread_name.h"

#include <pthread.h>

#include <cstring>

namespace citygrid {

void NameThisThread(const char* name) {
  char truncated[16];
  std::strncpy(truncated, name, sizeof truncated - 1);
  truncated[sizeof truncated - 1] = '\0';
  (void)pthread_setname_np(pthread_self(), truncated);
}

}  // namespace citygrid
