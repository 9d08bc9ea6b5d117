// laurel: the command-line client (docs/cli.md). Parses the command line, runs one command,
// and turns every failure into "laurel: <message>" on stderr and exit code 1 or 2.
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "crypto/ed25519.h"

namespace {

// The common flags may come before the command as well as after it (`laurel --rpc URL status`
// is `laurel status --rpc URL`): --rpc URL / --rpc=URL and --json given before the first
// command word are moved to the end of the command line, where the command reads them.
std::vector<std::string> GlobalFlagsLast(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  std::vector<std::string> head{args[0]}, moved;
  size_t i = 1;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if ((a == "--rpc" || a == "--cacert") && i + 1 < args.size()) {
      moved.push_back(a);
      moved.push_back(args[++i]);
    } else if (a.rfind("--rpc=", 0) == 0 || a.rfind("--cacert=", 0) == 0 || a == "--json") {
      moved.push_back(a);
    } else {
      break;
    }
  }
  if (moved.empty() || i == args.size()) return args;  // nothing moved, or no command given
  head.insert(head.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  head.insert(head.end(), moved.begin(), moved.end());
  return head;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace laurel::cli;
  CLI::App app{"laurel: client for the laurel credential ledger"};
  app.name("laurel");
  CommandRun run;
  for (RegisterFn group : kCommandGroups) group(app, run);
  try {
    std::vector<std::string> args = GlobalFlagsLast(argc, argv);
    std::vector<char*> ptrs;
    for (std::string& a : args) ptrs.push_back(a.data());
    app.parse(static_cast<int>(ptrs.size()), ptrs.data());
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
