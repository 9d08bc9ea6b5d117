// Conversions between laurel's values and the RPC wire forms: the laurel.v1 API messages
// (proto/laurel/v1/api.proto), sent as protobuf's JSON mapping (proto field names, defaults
// printed, 64-bit integers as strings) or as binary protobuf; hashes, ids and keys in
// lower-case hex. Internal to rpc/ (it pulls in generated protobuf headers).
// Thread safety: pure functions.
#pragma once

#include <google/protobuf/message.h>

#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"
#include "laurel/v1/api.pb.h"
#include "ledger/state.h"
#include "ledger/verify.h"
#include "node/node_api.h"
#include "rpc/router.h"
#include "storage/store.h"

namespace laurel::rpc {

inline constexpr std::string_view kJsonMediaType = "application/json";
inline constexpr std::string_view kProtobufMediaType = "application/x-protobuf";

// Lower-case hex of a 32-byte hash.
std::string HashHex(const Hash32& h);

// Whether the answer to `req` is binary protobuf: its Accept names application/x-protobuf, or it
// has no Accept (or only "*/*") and its body is application/x-protobuf. Any other Accept is JSON.
bool WantsProtobuf(const HttpRequest& req);
// `m` with `status`: binary protobuf when WantsProtobuf(req), else protobuf's JSON mapping
// (proto field names, default values printed).
HttpResponse MessageResponse(int status, const google::protobuf::Message& m,
                             const HttpRequest& req);
// The JSON form only (for answers that do not depend on Accept, and tests).
std::string MessageJson(const google::protobuf::Message& m);

// Parses a request body into `m`: protobuf's JSON mapping (either field name style; unknown
// fields refused) for application/json, binary for application/x-protobuf. nullopt on success,
// else the answer to send: 411 LENGTH_REQUIRED without body framing, 415
// UNSUPPORTED_MEDIA_TYPE for another Content-Type, 400 MALFORMED_BODY when it does not parse.
std::optional<HttpResponse> ParseBody(const HttpRequest& req, google::protobuf::Message* m);

// The wire bytes of a laurel.v1.Tx given in protobuf's JSON mapping (camelCase or original
// field names, bytes in base64). Unknown fields are refused. kInvalidArgument on bad JSON or
// on a document that is not a Tx. The bytes are not checked against types::DecodeTx limits.
Result<Bytes> TxWireFromJson(std::string_view json);

::laurel::v1::TxStatusView CommittedTxView(const Hash32& tx_id, const storage::TxLocation& loc);
::laurel::v1::TxStatusView PendingTxView(const Hash32& tx_id);
::laurel::v1::StatusView StatusViewOf(const node::NodeStatus& s, bool ready);
::laurel::v1::BlockView BlockViewOf(const storage::BlockRecord& b);
::laurel::v1::CredentialView CredentialViewOf(const ledger::CredentialRecord& c);
::laurel::v1::CardView CardViewOf(const types::CardBody& b);
::laurel::v1::IssuerView IssuerViewOf(const ledger::IssuerRecord& r);
::laurel::v1::HistoryPage HistoryPageOf(const storage::HistoryPage& p);
::laurel::v1::VerifyResponse::Reason ReasonOf(ledger::VerifyReason r);
::laurel::v1::CredentialCounts CountsOf(const std::vector<storage::CountCell>& cells);
::laurel::v1::ChainStatsView ChainStatsOf(const storage::ChainCounts& c);

// A stored block as serialized laurel.v1.StoredBlock (meta without results_root, which the
// BlockRecord does not carry): the bytes auditors re-verify.
std::string BlockProtoBytes(const storage::BlockRecord& b);

}  // namespace laurel::rpc
