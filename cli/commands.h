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
void RegisterCardCommands(CLI::App& app, CommandRun& run);     // card inspect|issue|renew|...
// card issue-batch|revoke-batch|status-batch (adds to the card group: registered after it)
void RegisterCardBatchCommands(CLI::App& app, CommandRun& run);
void RegisterIssuerCommands(CLI::App& app, CommandRun& run);   // issuer register|rotate-key|...
void RegisterQueryCommands(CLI::App& app, CommandRun& run);    // verify, history, status
void RegisterAuditCommands(CLI::App& app, CommandRun& run);    // audit
void RegisterValidatorCommands(CLI::App& app, CommandRun& run);  // validator list|add|...
// card list, issuer stats, stats (adds to the card and issuer groups: registered after them)
void RegisterReportCommands(CLI::App& app, CommandRun& run);
void RegisterProofCommands(CLI::App& app, CommandRun& run);    // proof get|check
void RegisterReceiptCommands(CLI::App& app, CommandRun& run);  // receipt get|verify
void RegisterGateCommands(CLI::App& app, CommandRun& run);     // gate sync|verify
void RegisterHolderCommands(CLI::App& app, CommandRun& run);   // holder keygen|present

inline constexpr RegisterFn kCommandGroups[] = {
    RegisterKeyCommands,
    RegisterGenesisCommands,
    RegisterTxCommands,
    RegisterCardCommands,
    RegisterCardBatchCommands,
    RegisterIssuerCommands,
    RegisterQueryCommands,
    RegisterAuditCommands,
    RegisterValidatorCommands,
    RegisterReportCommands,
    RegisterProofCommands,
    RegisterReceiptCommands,
    RegisterGateCommands,
    RegisterHolderCommands,
};

}  // namespace laurel::cli
