// What the card commands share (cmd_card.cpp defines them; the batch commands of
// cmd_card_batch.cpp use them): making a card's text, reading the display fields and validity
// the way `card issue` does, and the CSV column names of `card issue-csv` / `issue-batch`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cli/rpc_client.h"
#include "common/bytes.h"
#include "common/status.h"
#include "crypto/ed25519.h"
#include "types/card.h"

namespace laurel::cli {

// A holder's device public key as given to --holder-key: 64 hex characters, a laurel key
// file (its public_key, no passphrase needed), or a file holding the 64 hex characters.
Result<Bytes> ParseHolderKeyArg(const std::string& arg);

// kAlreadyExists when `path` exists ("-" and nullopt are free).
Status CheckFree(const std::string& flag, const std::optional<std::string>& path);

// The key version to put in a card of `issuer_id` signed by `key`: the issuer's current one,
// after checking that `key` is that version's public key (`override_version`: used unchecked).
Result<uint32_t> KeyVersionFor(RpcClient& c, const std::string& issuer_id,
                               const crypto::PrivateKey& key,
                               std::optional<uint32_t> override_version);

struct Validity {
  uint64_t from = 0;
  uint64_t until = 0;
};
// --valid-from (default now) and --valid-until: YYYY-MM-DD (UTC) or unix seconds; until > from.
Result<Validity> ParseValidity(const std::optional<std::string>& from, const std::string& until);

// A holder name or member number as typed: UTF-8 (refused otherwise), NFC, spaces trimmed.
Result<std::string> DisplayInput(const std::string& what, std::string_view s);

// Signs the card and returns its text ("LC1:..."); refuses one too large or breaking the
// display-text rules. The salt is `salt` when given (kCardSaltSize bytes), else fresh random.
Result<std::string> MakeCardText(types::CardBody body, const crypto::PrivateKey& key,
                                 const std::optional<Bytes>& salt = std::nullopt);

// The column a CSV header names (holder_name/姓名, member_no/会员号, id/credential_id/证书编号,
// type/类型, level/级别, valid_from, valid_until), case-insensitive; "" when unknown.
std::string ColumnOf(std::string header);

// A credential id as a file name stem: "harbour-north/M/2026/000002" ->
// "harbour-north_M_2026_000002".
std::string FileStemOf(const std::string& id);

}  // namespace laurel::cli
