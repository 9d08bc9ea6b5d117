// laurel issuer register|rotate-key|set-status|show|list.
#include <CLI/CLI.hpp>

#include "cli/commands.h"

namespace laurel::cli {

void RegisterIssuerCommands(CLI::App& app, CommandRun& run) {
  (void)app;
  (void)run;
}

}  // namespace laurel::cli
