// laureld: a laurel validator node. `laureld --config NODE.toml` (docs/operator.md).
#include <CLI/CLI.hpp>
#include <csignal>
#include <google/protobuf/stubs/logging.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "crypto/keyfile.h"
#include "ledger/genesis_io.h"
#include "node/laureld_admin.h"
#include "node/node.h"
#include "node/restore_fence.h"
#include "rpc/server.h"

using namespace laurel;

int main(int argc, char** argv) {
  CLI::App app{"laureld: a laurel validator node"};
  std::string config_path;
  std::string passphrase_file;
  app.add_option("--config", config_path, "node configuration (TOML)");
  app.add_option("--passphrase-file", passphrase_file, "passphrase of an encrypted key file");
  bool allow_fault_injection = false;
  app.add_flag("--allow-fault-injection", allow_fault_injection,
               "test networks only: honour the config's [fault_injection] section (frame "
               "delay/loss/reorder on this node's P2P links; docs/testing.md)");

  // Operator commands (docs/operator.md, "Backup and restore").
  std::string backup_config, backup_rpc, backup_name, backup_to;
  auto* backup = app.add_subcommand(
      "backup", "Ask the running node for a backup in its [admin] backup_dir; print its manifest");
  backup->add_option("--config", backup_config, "the node's configuration (TOML)");
  backup->add_option("--rpc", backup_rpc, "the node's HTTP API instead (http://127.0.0.1:8700)");
  backup->add_option("--name", backup_name, "the backup's folder name (default: by height and time)");
  backup->add_option("--to", backup_to, "then move the backup to this new folder");
  std::string restore_from, restore_data;
  uint64_t fence_seconds = node::kDefaultRestoreFenceWaitMs / 1000;
  auto* restore = app.add_subcommand(
      "restore", "Restore a backup into a new, empty data folder (the node must be stopped)");
  restore->add_option("--from", restore_from, "the backup folder (with manifest.json)")->required();
  restore->add_option("--data", restore_data, "the data folder to create (node.toml's data_dir)")
      ->required();
  restore->add_option("--fence-seconds", fence_seconds,
                      "signing waits for a block stamped 30 s plus this long after the node starts "
                      "(the time a certificate takes to reach every validator)")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (*backup) {
    if (backup_config.empty() == backup_rpc.empty()) {
      std::fprintf(stderr, "laureld backup: give one of --config or --rpc\n");
      return 2;
    }
    return node::RunBackupCommand(backup_config, backup_rpc, backup_name, backup_to);
  }
  if (*restore) {
    if (fence_seconds == 0) {
      std::fprintf(stderr, "laureld restore: --fence-seconds must be at least 1\n");
      return 2;
    }
    return node::RunRestoreCommand(restore_from, restore_data, fence_seconds * 1000);
  }
  if (config_path.empty()) {
    std::fprintf(stderr, "laureld: --config is required\n%s", app.help().c_str());
    return 2;
  }

  // Block the stop signals in every thread; the main thread waits for them below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto config = node::LoadNodeConfig(config_path);
  if (!config.ok()) {
    std::fprintf(stderr, "laureld: %s\n", config.status().ToString().c_str());
    return 2;
  }
  config->allow_fault_injection = allow_fault_injection;
  if (Status st = node::CheckFaultInjection(*config); !st.ok()) {
    std::fprintf(stderr, "laureld: %s: %s\n", config_path.c_str(), st.message().c_str());
    return 2;
  }
  auto logger = spdlog::stderr_color_mt("laureld");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ " + config->name + " %v");
  spdlog::set_level(spdlog::level::from_str(config->log_level));
  spdlog::flush_every(std::chrono::seconds(1));

  // Protobuf logs every undecodable string a peer or client sends; laurel reports decode
  // errors itself (rate-limited), so protobuf's own log is switched off.
  google::protobuf::SetLogHandler(nullptr);
  crypto::Init();
  std::optional<std::string> passphrase;
  if (!passphrase_file.empty()) {
    std::FILE* f = std::fopen(passphrase_file.c_str(), "r");
    if (!f) {
      spdlog::critical("cannot read {}", passphrase_file);
      return 2;
    }
    // Read straight into the string that is wiped below, unbuffered: stdio's own buffer would
    // keep a copy of the passphrase.
    std::setvbuf(f, nullptr, _IONBF, 0);
    passphrase.emplace(1024, '\0');
    passphrase->resize(std::fread(passphrase->data(), 1, passphrase->size(), f));
    std::fclose(f);
    while (!passphrase->empty() && (passphrase->back() == '\n' || passphrase->back() == '\r')) {
      passphrase->pop_back();
    }
  }
  auto key = crypto::ReadKeyFile(config->key_file, passphrase);
  if (passphrase) crypto::WipeSecret(*passphrase);
  if (!key.ok()) {
    spdlog::critical("key file: {}", key.status().ToString());
    return 2;
  }
  auto genesis = ledger::LoadGenesis(config->genesis);
  if (!genesis.ok()) {
    spdlog::critical("genesis: {}", genesis.status().ToString());
    return 2;
  }
  const node::NodeConfig cfg = *config;
  auto n = node::Node::Open(cfg, std::move(genesis).value(), std::move(key).value());
  if (!n.ok()) {
    spdlog::critical("cannot open the node: {}", n.status().ToString());
    return 1;
  }
  if (auto st = (*n)->Start(); !st.ok()) {
    spdlog::critical("cannot start the node: {}", st.ToString());
    return 1;
  }
  rpc::RpcConfig rc;
  rc.host = cfg.rpc_listen.host;
  rc.port = cfg.rpc_listen.port;
  rc.threads = cfg.rpc_threads;
  rc.max_body_bytes = cfg.rpc_max_body_bytes;
  rc.max_batch_txs = cfg.rpc_max_batch_txs;
  rc.console_dir = cfg.rpc_console_dir;
  rc.backup_dir = cfg.backup_dir;
  rc.tls_cert = cfg.rpc_tls_cert;
  rc.tls_key = cfg.rpc_tls_key;
  rc.public_url = cfg.rpc_public_url;
  rc.peer_public_urls = cfg.rpc_peer_public_urls;
  const node::RpcLimitsConfig& limits = cfg.rpc_limits;
  rc.max_connections = limits.max_connections;
  rc.max_connections_per_ip = limits.max_connections_per_ip;
  rc.max_connections_per_ipv6_64 = limits.max_connections_per_ipv6_64;
  rc.tx_rate = limits.tx_rate;
  rc.tx_burst = limits.tx_burst;
  rc.block_range_rate = limits.block_range_rate;
  rc.block_range_burst = limits.block_range_burst;
  rc.max_commit_waits_per_client = limits.max_commit_waits_per_client;
  rc.work_threads = limits.work_threads;
  rc.work_queue = limits.work_queue;
  auto server = rpc::RpcServer::Start(rc, **n);
  if (!server.ok()) {
    spdlog::critical("cannot start the HTTP API: {}", server.status().ToString());
    (*n)->Stop();
    return 1;
  }
  const char* scheme = rc.tls_cert.empty() ? "http" : "https";
  spdlog::info("[laureld] ready: rpc={}://{}:{} ", scheme, cfg.rpc_listen.host, (*server)->port());
  if (!rc.console_dir.empty()) {
    spdlog::info("[laureld] console: {}://{}:{}/console/ (files in {})", scheme,
                 cfg.rpc_listen.host, (*server)->port(), rc.console_dir);
  }

  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("[laureld] signal {}: stopping", sig);
  (*server)->Stop();
  (*n)->Stop();
  spdlog::info("[laureld] stopped");
  spdlog::shutdown();
  return 0;
}
