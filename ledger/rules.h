// Stateless validation of action fields (identifier forms, key sizes, validity windows).
// Shared by the executor, genesis validation and clients that want to pre-check input.
#pragma once

#include <string_view>
#include <vector>

#include "ledger/codes.h"
#include "types/tx.h"

namespace laurel::ledger {

inline constexpr size_t kMaxCredentialIdLength = 128;
inline constexpr size_t kMaxNameLength = 256;
inline constexpr size_t kMaxReasonLength = 512;

// [a-z0-9-]{2,64}
bool IsValidIssuerId(std::string_view id);
// "<issuer_id>/<rest>", rest non-empty printable ASCII without spaces, at most 128 bytes.
bool IsValidCredentialId(std::string_view credential_id, std::string_view issuer_id);
// Grants: each type specified once; MEMBER with no levels; MODEL_WORKER with distinct,
// specified levels (at least one).
bool AreValidGrants(const std::vector<types::TypeGrant>& grants);
// Every (type, level) of `child` is within `parent`.
bool GrantsWithin(const std::vector<types::TypeGrant>& child,
                  const std::vector<types::TypeGrant>& parent);

// Field checks of one action; kOk when well-formed.
TxCode CheckActionForm(const types::Action& action);

}  // namespace laurel::ledger
