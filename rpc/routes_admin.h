// The operator's routes: POST /v1/admin/backup (docs/operator.md, "Backup and restore").
// Registered only when the node's config names a backup folder ([admin] backup_dir), and
// answered only to clients on this machine — a loopback address, or an address of one of its own
// interfaces (for an [rpc] listen address that is not loopback) — others get 403 FORBIDDEN: the
// route writes to the node's disk. (TCP source addresses cannot be forged past the handshake.)
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
// Loopback, or an address of one of this machine's network interfaces.
bool IsThisMachineAddress(std::string_view remote_address);

}  // namespace laurel::rpc
