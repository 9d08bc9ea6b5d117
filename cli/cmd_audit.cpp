// laurel audit.
#include <CLI/CLI.hpp>

#include "cli/commands.h"

namespace laurel::cli {

void RegisterAuditCommands(CLI::App& app, CommandRun& run) {
  (void)app;
  (void)run;
}

}  // namespace laurel::cli
