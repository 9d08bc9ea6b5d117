// The genesis document on disk: JSON in the protobuf JSON mapping of laurel.v1.Genesis
// (proto field names, bytes as base64, enums by name). Written by `laurel genesis`, read by
// every node at start-up.
//
// Both directions check the document with ledger::ValidateGenesis, so a loaded Genesis is
// always valid and an invalid one is never written.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "ledger/executor.h"

namespace laurel::cli {

// Parses and validates a genesis document. kInvalidArgument on bad JSON, unknown fields,
// unknown enum values or a failed validation.
Result<ledger::Genesis> ParseGenesisJson(std::string_view json);
// The document for `g` (pretty-printed, ends with a newline). Validates `g` first.
Result<std::string> GenesisToJson(const ledger::Genesis& g);

// A JSON array of laurel.v1.RegisterIssuer objects (the `--issuers` file of `laurel genesis`).
Result<std::vector<types::RegisterIssuer>> ParseIssuersJson(std::string_view json);

// ParseGenesisJson of a file. kNotFound / kIoError when it cannot be read.
Result<ledger::Genesis> LoadGenesis(const std::string& path);
// Validates and writes `g` to `path` (mode 0644). Never overwrites: kAlreadyExists.
Status WriteGenesis(const std::string& path, const ledger::Genesis& g);

}  // namespace laurel::cli
