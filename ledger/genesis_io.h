// The genesis document on disk: JSON in the protobuf JSON mapping of laurel.v1.Genesis
// (proto field names, bytes as base64, enums by name). Written by `laurel genesis`, read by
// every node at start-up, served by GET /v1/genesis and checked by `laurel audit`. It lives in
// ledger/, beside Genesis, so that the node and the HTTP API need not link the CLI.
//
// Both directions check the document with ValidateGenesis, so a parsed Genesis is always valid
// and an invalid one is never turned into a document.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "ledger/executor.h"

namespace laurel::ledger {

// Parses and validates a genesis document. kInvalidArgument on bad JSON, unknown fields,
// unknown enum values or a failed validation.
Result<Genesis> ParseGenesisJson(std::string_view json);
// The document for `g` (pretty-printed, ends with a newline). Validates `g` first.
Result<std::string> GenesisToJson(const Genesis& g);

// A JSON array of laurel.v1.RegisterIssuer objects (the `--issuers` file of `laurel genesis`).
Result<std::vector<types::RegisterIssuer>> ParseIssuersJson(std::string_view json);

// ParseGenesisJson of a file; error messages start with `path`. kNotFound / kIoError when it
// cannot be read. (Writing is the CLI's: GenesisToJson, then its exclusive atomic write.)
Result<Genesis> LoadGenesis(const std::string& path);

}  // namespace laurel::ledger
