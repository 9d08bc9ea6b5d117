// The operator's routes: POST /v1/admin/backup (docs/operator.md, "Backup and restore").
// Registered only when the node's config names a backup folder ([admin] backup_dir), and
// answered only to clients on the loopback interface (others get 403 FORBIDDEN): a backup holds
// the whole ledger and the node's safety record, and the route writes to the node's disk.
#pragma once

#include <memory>
#include <string>

#include "node/node_api.h"
#include "rpc/limits.h"
#include "rpc/router.h"

namespace laurel::rpc {

// `backup_dir`: absolute; backups are made in its subfolders. `work` (may be null) runs the
// checkpoint off the I/O threads.
void AddAdminRoutes(Router& r, node::NodeApi& node, std::string backup_dir,
                    std::shared_ptr<WorkPool> work);

// Whether `remote_address` (HttpRequest::remote_address) is a loopback address.
bool IsLoopbackAddress(std::string_view remote_address);

}  // namespace laurel::rpc
