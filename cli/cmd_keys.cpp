// laurel keygen --out KEYFILE [--passphrase-file F]
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "crypto/keyfile.h"

namespace laurel::cli {
namespace {

struct KeygenOptions {
  std::string out;
  std::optional<std::string> passphrase_file;
};

int RunKeygen(const KeygenOptions& o) { return GenerateKeyFile(o.out, o.passphrase_file); }

}  // namespace

void RegisterKeyCommands(CLI::App& app, CommandRun& run) {
  auto o = std::make_shared<KeygenOptions>();
  auto* cmd = app.add_subcommand("keygen",
                                 "Create an Ed25519 key file (mode 0600); print the "
                                 "public key in hex");
  cmd->add_option("--out", o->out, "Key file to create (never overwritten)")->required();
  cmd->add_option("--passphrase-file", o->passphrase_file,
                  "Encrypt the key with the passphrase in this file (Argon2id)");
  cmd->callback([o, &run] { run = [o] { return RunKeygen(*o); }; });
}

}  // namespace laurel::cli
