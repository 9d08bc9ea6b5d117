// laureld's operator subcommands: `laureld backup` and `laureld restore`
// (docs/operator.md, "Backup and restore"). Each returns the process exit code.
#pragma once

#include <cstdint>
#include <string>

namespace laurel::node {

// Asks the running node (its [rpc] listen address from `config_path`, or `rpc_url`
// "http://127.0.0.1:8700") to make a backup named `name` (empty: the node picks one) in its
// [admin] backup_dir; with `to` (must not exist), then moves it there (a copy and a delete when
// `to` is on another file system). Prints the manifest. Exit 0, 1 (the node refused or failed,
// `to` exists or cannot be written), 2 (usage).
int RunBackupCommand(const std::string& config_path, const std::string& rpc_url,
                     const std::string& name, const std::string& to);

// Restores the backup folder `from` into the data folder `data_dir`. Exit 0, 1 (refused:
// not empty, bad backup), 2 (usage).
int RunRestoreCommand(const std::string& from, const std::string& data_dir, uint64_t fence_wait_ms);

}  // namespace laurel::node
