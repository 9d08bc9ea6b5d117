// Checking a proven answer (?proof=true) on the client, trusting no node: the state
// certificate against the genesis validator set, every record against the certified state
// root, the age, and then the answer itself recomputed from the proven records alone.
#pragma once

#include <optional>
#include <string>

#include "cli/cli_util.h"
#include "cli/rpc_client.h"
#include "ledger/executor.h"
#include "ledger/verify.h"
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
  // A verify answer: the card's decision recomputed from the card and the proven records (what
  // a gate acts on, whatever the node said).
  std::optional<ledger::VerifyResult> decision;
};

// Which route a verify answer came from: POST /v1/verify (the node had the whole card and made
// the whole decision), POST /v1/verify/status (the node had the credential id and card digest
// only: its decision is the status half, the signature and card fields are checked here), or
// not known (a saved answer): then the node's decision must be one of the two.
enum class VerifyRoute { kEither, kCard, kStatus };

// Checks `answer` (the JSON of POST /v1/verify, POST /v1/verify/status, GET
// /v1/credentials/{id}, GET /v1/issuers/{id} or GET /v1/governance with ?proof=true).
// `card_code` (LC1:...) is needed for a verify answer: the decision is recomputed from it and
// the proven records, and the node's must agree with it (`route`). `now_s` is the time the
// validity and the age are checked at. The statement names the height, its time and its age.
ProofCheck CheckProvenAnswer(const Json& answer, const ledger::Genesis& genesis,
                             const std::optional<std::string>& card_code, uint64_t now_s,
                             uint64_t max_age_s, VerifyRoute route = VerifyRoute::kEither);

}  // namespace laurel::cli
