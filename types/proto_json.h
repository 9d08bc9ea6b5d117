// Protobuf's JSON mapping with laurel's options for documents people read and write (genesis,
// transaction files, the CLI's output): proto field names, enums by name, bytes as base64,
// default values printed, unknown fields refused on input.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace google::protobuf {
class Message;
}

namespace laurel::types {

// Parses `json` into `m`; kInvalidArgument ("not a <type> in JSON: ...") on bad JSON, unknown
// fields or values of the wrong type.
Status JsonToMessage(std::string_view json, google::protobuf::Message* m);
// `pretty` indents by two spaces (so that a document written once reads back byte for byte the
// same); otherwise one line.
std::string MessageToJson(const google::protobuf::Message& m, bool pretty = true);

}  // namespace laurel::types
