// Conversions between laurel's values and the RPC wire forms: JSON documents (snake_case keys,
// hashes and keys in lower-case hex, opaque bytes in base64, tx bodies through protobuf's JSON
// mapping) and binary protobuf. Internal to rpc/. Thread safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"
#include "node/node_api.h"
#include "storage/store.h"

namespace laurel::rpc {

// Lower-case hex of a 32-byte hash.
std::string HashHex(const Hash32& h);

// The wire bytes of a laurel.v1.Tx given in protobuf's JSON mapping (camelCase or original
// field names, bytes in base64). Unknown fields are refused. kInvalidArgument on bad JSON or
// on a document that is not a Tx. The bytes are not checked against types::DecodeTx limits.
Result<Bytes> TxWireFromJson(std::string_view json);

// {"tx_id", "status": "committed", "height", "position", "result"}.
nlohmann::json CommittedTxJson(const Hash32& tx_id, const storage::TxLocation& loc);

// NodeStatus as a JSON object (hashes and keys in hex).
nlohmann::json StatusJson(const node::NodeStatus& s);

// A stored block as a JSON object: height, block_id, parent_id, time_ms, state_root, tx_root,
// header and certificate (base64), and txs: each with tx_id, result, body (base64), the body
// decoded through protobuf's JSON mapping as "decoded_body" when it parses, and signatures
// ({public_key, signature} in base64).
nlohmann::json BlockJson(const storage::BlockRecord& b);

// A stored block as serialized laurel.v1.StoredBlock (meta without results_root, which the
// BlockRecord does not carry).
std::string BlockProtoBytes(const storage::BlockRecord& b);

}  // namespace laurel::rpc
