// What `laurel verify` and `laurel gate verify` share: reading the card, and printing a
// decision in the shape of POST /v1/verify's answer (cli/cmd_query.cpp).
#pragma once

#include <optional>
#include <string>

#include "cli/cli_util.h"
#include "cli/rpc_client.h"
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

}  // namespace laurel::cli
