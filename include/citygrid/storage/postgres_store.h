#pragma once

// The PostgreSQL backend (--db postgresql://...). Owned by the PostgreSQL backend; OpenStore
// dispatches here for db_url values starting with "postgresql://" (or "postgres://").

#include <memory>

#include "citygrid/common/status.h"
#include "citygrid/storage/store.h"

namespace citygrid::storage {

// Opens (creating and migrating as needed) the PostgreSQL database options.db_url names; media
// go to options.data_dir/media. kUnavailable when the server cannot be reached;
// kFailedPrecondition for a schema written by a newer citygrid.
Result<std::unique_ptr<Store>> OpenPostgresStore(const StoreOptions& options);

}  // namespace citygrid::storage
