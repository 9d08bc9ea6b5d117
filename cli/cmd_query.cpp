// laurel verify, history, status.
#include <CLI/CLI.hpp>

#include "cli/commands.h"

namespace laurel::cli {

void RegisterQueryCommands(CLI::App& app, CommandRun& run) {
  (void)app;
  (void)run;
}

}  // namespace laurel::cli
