// What `laurel verify` and `laurel gate verify` share: reading the card, and printing a
// decision in the shape of POST /v1/verify's answer (cli/cmd_query.cpp).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/cli_util.h"
#include "cli/rpc_client.h"
#include "ledger/verify.h"
#include "types/card.h"

namespace laurel::cli {

// The card text from exactly one of --code, --file (- for stdin) or --qr (a PNG).
Result<std::string> CardTextFrom(const std::optional<std::string>& code,
                                 const std::optional<std::string>& file,
                                 const std::optional<std::string>& qr);

// "VALID <id> (<kind>)" or "REFUSED <REASON>: <message>", then the card's and record's lines.
void PrintVerdict(const Json& j);

// The card as the API's CardView prints it.
Json CardJson(const types::CardBody& b);

// Holder binding at a gate (docs/gate.md "Holder binding"): the presentation shown with a
// bound card, this gate's id and challenge, and the types it refuses unbound. Shared by
// `laurel verify` and `laurel gate verify`.
struct HolderOptions {
  std::optional<std::string> presentation;       // LP1:...
  std::optional<std::string> presentation_file;  // - for stdin
  std::optional<std::string> presentation_qr;    // a PNG
  std::string gate_id;
  std::optional<std::string> nonce;  // hex
  std::vector<std::string> require_binding;
  uint64_t slot_skew = 1;
};
void AddHolderOptions(CLI::App* cmd, HolderOptions& o);
struct HolderInput {
  std::optional<std::string> presentation;
  ledger::HolderPolicy policy;
};
// Usage errors (a presentation without --gate-id, a bad nonce or type) as InvalidArgument.
Result<HolderInput> HolderInputOf(const HolderOptions& o);
// The presentation and policy as POST /v1/verify's request fields.
void AddHolderFields(const HolderInput& h, Json& request);

}  // namespace laurel::cli
