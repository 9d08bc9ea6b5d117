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

int RunKeygen(const KeygenOptions& o) {
  std::optional<std::string> passphrase;
  if (o.passphrase_file) {
    auto p = ReadPassphraseFile(*o.passphrase_file);
    if (!p.ok()) return Fail(kExitUsage, p.status());
    passphrase = std::move(p).value();
  }
  const auto key = crypto::PrivateKey::Generate();
  const Status st = crypto::WriteKeyFile(o.out, key, passphrase);
  if (!st.ok()) {
    if (st.code() == StatusCode::kAlreadyExists) {
      return Fail(kExitUsage, o.out + " already exists; not overwriting a key file");
    }
    return Fail(kExitUsage, st);
  }
  std::cout << HexEncode(key.public_key()) << "\n";
  return kExitOk;
}

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
