// laurel genesis --chain-id ID --threshold K --out genesis.json
//   (--validator PUBHEX[=name@host:port] | --validator-key KEYFILE[=name@host:port])...
//   (--admin PUBHEX | --admin-key KEYFILE)... [--issuers FILE.json] [--time-ms N]
#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "ledger/genesis_io.h"

namespace laurel::cli {
namespace {

struct GenesisOptions {
  std::string chain_id;
  std::vector<std::string> validators;
  std::vector<std::string> validator_keys;
  std::vector<std::string> admins;
  std::vector<std::string> admin_keys;
  uint32_t threshold = 0;
  std::optional<std::string> issuers_file;
  std::optional<uint64_t> time_ms;
  std::string out;
};

// "KEY[=name@host:port]" where KEY is hex or a key file path (split at the last '=').
Result<types::Validator> ParseValidator(const std::string& spec, bool key_is_file) {
  std::string key = spec;
  std::string rest;
  if (const auto eq = spec.rfind('='); eq != std::string::npos) {
    key = spec.substr(0, eq);
    rest = spec.substr(eq + 1);
  }
  types::Validator v;
  if (key_is_file) {
    LAUREL_ASSIGN_OR_RETURN(v.public_key, ReadPublicKeyOfKeyFile(key));
  } else {
    LAUREL_ASSIGN_OR_RETURN(v.public_key, ParsePublicKeyHex(key));
  }
  if (!rest.empty()) {
    const auto at = rest.find('@');
    if (at == std::string::npos || at == 0 || at + 1 == rest.size()) {
      return Status::InvalidArgument("validator \"" + spec +
                                     "\": expected KEY=name@host:port after the key");
    }
    v.name = rest.substr(0, at);
    v.address = rest.substr(at + 1);
  }
  return v;
}

Result<std::vector<types::RegisterIssuer>> ReadIssuers(const std::string& path) {
  LAUREL_ASSIGN_OR_RETURN(std::string text, ReadInput(path));
  auto issuers = ledger::ParseIssuersJson(text);
  if (!issuers.ok())
    return Status(issuers.status().code(), path + ": " + issuers.status().message());
  return issuers;
}

int RunGenesis(const GenesisOptions& o) {
  ledger::Genesis g;
  g.chain_id = o.chain_id;
  g.threshold = o.threshold;
  g.genesis_time_ms =
      o.time_ms ? *o.time_ms
                : static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count());
  // Flags name keys on the command line: a bad one is a usage error (2).
  for (const auto& spec : o.validators) {
    auto v = ParseValidator(spec, /*key_is_file=*/false);
    if (!v.ok()) return Fail(kExitUsage, "--validator: " + v.status().message());
    g.validators.push_back(std::move(v).value());
  }
  for (const auto& spec : o.validator_keys) {
    auto v = ParseValidator(spec, /*key_is_file=*/true);
    if (!v.ok()) return Fail(kExitUsage, "--validator-key: " + v.status().message());
    g.validators.push_back(std::move(v).value());
  }
  for (const auto& hex : o.admins) {
    auto k = ParsePublicKeyHex(hex);
    if (!k.ok()) return Fail(kExitUsage, "--admin: " + k.status().message());
    g.admin_keys.push_back(std::move(k).value());
  }
  for (const auto& path : o.admin_keys) {
    auto k = ReadPublicKeyOfKeyFile(path);
    if (!k.ok()) return Fail(kExitUsage, "--admin-key: " + k.status().message());
    g.admin_keys.push_back(std::move(k).value());
  }
  if (g.validators.empty()) return Fail(kExitUsage, "give at least one --validator");
  if (g.admin_keys.empty()) return Fail(kExitUsage, "give at least one --admin");
  if (o.issuers_file) {
    auto issuers = ReadIssuers(*o.issuers_file);
    if (!issuers.ok()) {
      const bool io = issuers.status().code() == StatusCode::kNotFound ||
                      issuers.status().code() == StatusCode::kIoError;
      return Fail(io ? kExitUsage : kExitInvalid, issuers.status());
    }
    g.issuers = std::move(issuers).value();
  }
  // GenesisToJson validates (kInvalidArgument); the write never replaces a file (kAlreadyExists).
  auto json = ledger::GenesisToJson(g);
  const Status st = json.ok() ? WriteOutput(o.out, *json, /*exclusive=*/true, 0644) : json.status();
  if (!st.ok()) {
    return Fail(st.code() == StatusCode::kInvalidArgument ? kExitInvalid : kExitUsage, st);
  }
  std::cout << "wrote " << o.out << ": chain " << g.chain_id << ", " << g.validators.size()
            << " validators, " << g.admin_keys.size() << " admins (threshold " << g.threshold
            << "), " << g.issuers.size() << " issuers\n";
  return kExitOk;
}

}  // namespace

void RegisterGenesisCommands(CLI::App& app, CommandRun& run) {
  auto o = std::make_shared<GenesisOptions>();
  auto* cmd = app.add_subcommand("genesis", "Write a validated genesis document (JSON)");
  cmd->add_option("--chain-id", o->chain_id, "Chain id")->required();
  cmd->add_option("--validator", o->validators,
                  "Validator public key in hex, optionally =name@host:port (repeat)");
  cmd->add_option("--validator-key", o->validator_keys,
                  "Validator key file, optionally =name@host:port (repeat)");
  cmd->add_option("--admin", o->admins, "Governance admin public key in hex (repeat)");
  cmd->add_option("--admin-key", o->admin_keys, "Governance admin key file (repeat)");
  cmd->add_option("--threshold", o->threshold, "Admin signatures needed for governance actions")
      ->required();
  cmd->add_option("--issuers", o->issuers_file,
                  "Initial issuers: JSON array of laurel.v1.RegisterIssuer");
  cmd->add_option("--time-ms", o->time_ms, "Genesis time in unix milliseconds (default: now)");
  cmd->add_option("--out", o->out, "Genesis file to create (never overwritten)")->required();
  cmd->callback([o, &run] { run = [o] { return RunGenesis(*o); }; });
}

}  // namespace laurel::cli
