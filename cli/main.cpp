// laurel: the command-line client (docs/cli.md). Parses the command line, runs one command,
// and turns every failure into "laurel: <message>" on stderr and exit code 1 or 2.
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

#include "cli/commands.h"
#include "crypto/ed25519.h"

int main(int argc, char** argv) {
  using namespace laurel::cli;
  CLI::App app{"laurel: client for the laurel credential ledger"};
  app.name("laurel");
  CommandRun run;
  for (RegisterFn group : kCommandGroups) group(app, run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help on a subcommand, --version
    return Fail(kExitUsage, std::string(e.what()) + " (see --help)");
  }
  if (!run) return Fail(kExitUsage, "no command given (see --help)");
  try {
    laurel::crypto::Init();
    return run();
  } catch (const std::exception& e) {
    return Fail(kExitUsage, std::string("unexpected error: ") + e.what());
  }
}
