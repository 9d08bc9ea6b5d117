// The command groups of `laurel`. Each Register* adds its subcommands to the app; main()
// calls them all (kCommandGroups), parses, then runs the chosen command. A new group
// (issuer, card issue, verify, history, audit, status, testnet) is one more file with one
// more Register* function listed here.
#pragma once

#include "cli/cli_util.h"

namespace laurel::cli {

void RegisterKeyCommands(CLI::App& app, CommandRun& run);      // keygen
void RegisterGenesisCommands(CLI::App& app, CommandRun& run);  // genesis
void RegisterTxCommands(CLI::App& app, CommandRun& run);       // tx build|sign|inspect
void RegisterCardCommands(CLI::App& app, CommandRun& run);     // card inspect

inline constexpr RegisterFn kCommandGroups[] = {
    RegisterKeyCommands,
    RegisterGenesisCommands,
    RegisterTxCommands,
    RegisterCardCommands,
};

}  // namespace laurel::cli
