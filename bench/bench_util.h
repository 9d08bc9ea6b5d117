// What the load generators share: clocks, CPU time, and the target of a run (the testnet's
// RPC URLs, its chain id and the issuer key that signs the transactions).
#pragma once

#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/http_client.h"
#include "common/status.h"
#include "crypto/ed25519.h"
#include "crypto/keyfile.h"

namespace laurel::bench {

using Clock = std::chrono::steady_clock;

inline double SecondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// CPU seconds (user + system) this process has used so far.
inline double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// The flags that name a run's target, shared by the load generators.
struct TargetOptions {
  std::vector<std::string> rpc;
  std::string key_file;
  std::string genesis;
  std::string chain_id;
  std::string issuer = "city-fed";
  std::string tag;
};

inline void AddTargetOptions(CLI::App& app, TargetOptions& o) {
  app.add_option("--rpc", o.rpc, "RPC base URLs (repeat, or comma-separated)")
      ->required()
      ->delimiter(',');
  app.add_option("--key", o.key_file, "the issuer's key file")->required();
  app.add_option("--genesis", o.genesis, "genesis.json (for the chain id)");
  app.add_option("--chain-id", o.chain_id, "chain id (instead of --genesis)");
  app.add_option("--issuer", o.issuer, "issuer id the key belongs to");
  app.add_option("--tag", o.tag, "credential id infix, unique per run (default: time)");
}

struct Target {
  std::vector<cli::Url> urls;
  std::string chain_id;
  crypto::PrivateKey key;
};

// The chain id of a genesis document (its "chain_id" field).
inline Result<std::string> ChainIdFromGenesis(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.contains("chain_id") || !j["chain_id"].is_string()) {
    return Status::InvalidArgument(path + ": no chain_id");
  }
  return j["chain_id"].get<std::string>();
}

// Parses the URLs, reads the key, and takes the chain id from `chain_id` or else `genesis`.
inline Result<Target> LoadTarget(const TargetOptions& o) {
  std::vector<cli::Url> urls;
  for (const auto& s : o.rpc) {
    LAUREL_ASSIGN_OR_RETURN(cli::Url u, cli::ParseUrl(s));
    urls.push_back(std::move(u));
  }
  std::string chain = o.chain_id;
  if (chain.empty()) {
    if (o.genesis.empty()) return Status::InvalidArgument("give --genesis or --chain-id");
    LAUREL_ASSIGN_OR_RETURN(chain, ChainIdFromGenesis(o.genesis));
  }
  auto key = crypto::ReadKeyFile(o.key_file);
  if (!key.ok()) return Status::InvalidArgument(o.key_file + ": " + key.status().ToString());
  return Target{std::move(urls), std::move(chain), std::move(key).value()};
}

}  // namespace laurel::bench
