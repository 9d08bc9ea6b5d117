// Block payloads: the ordered transactions of a block, as consensus carries them.
//
// Encoding: empty for no transactions; otherwise u32be(count) then, per transaction,
// u32be(len) || Tx wire bytes (types::EncodeTx). Only the canonical encoding is a valid
// payload: a Byzantine leader's payload that does not decode, or that re-encodes to other
// bytes, is committed (consensus orders opaque bytes) but executes as a block with no
// transactions, identically on every node.
#pragma once

#include <optional>
#include <vector>

#include "common/bytes.h"
#include "types/tx.h"

namespace laurel::node {

Bytes EncodePayload(const std::vector<types::Tx>& txs);
// The transactions of a payload, or nullopt when it is not a canonical encoding.
std::optional<std::vector<types::Tx>> DecodePayload(ByteView payload);

}  // namespace laurel::node
