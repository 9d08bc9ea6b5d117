// Checking a proven answer (?proof=true) on the client, trusting no node: the state
// certificate against the genesis validator set, every record against the certified state
// root, the age, and then the answer itself recomputed from the proven records alone.
#pragma once

#include <optional>
#include <string>

#include "cli/cli_util.h"
#include "cli/rpc_client.h"
#include "ledger/executor.h"
#include "verifier/verifier.h"

namespace laurel::cli {

// The default of --max-age: a proof older than this is stale.
inline constexpr uint64_t kDefaultProofMaxAgeS = 300;

verifier::ValidatorSet ValidatorSetOf(const ledger::Genesis& g);

struct ProofCheck {
  bool ok = false;
  std::string why;            // when !ok: what failed
  std::string statement;      // when ok: what was proven, for people
  verifier::ProvenState state;
};

// Checks `answer` (the JSON of POST /v1/verify, GET /v1/credentials/{id}, GET /v1/issuers/{id}
// or GET /v1/governance with ?proof=true). `card_code` (LC1:...) is needed for a verify
// answer: the decision is recomputed from it and the proven records and must equal the node's.
// `now_s` is the time the validity and the age are checked at.
ProofCheck CheckProvenAnswer(const Json& answer, const ledger::Genesis& genesis,
                             const std::optional<std::string>& card_code, uint64_t now_s,
                             uint64_t max_age_s);

}  // namespace laurel::cli
