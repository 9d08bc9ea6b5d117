// A fast printer of protobuf messages in protobuf's JSON mapping, for the API's responses.
//
// It writes what google::protobuf::util::MessageToJsonString writes with
// preserve_proto_field_names and always_print_primitive_fields, as a JSON value: proto field
// names; every singular scalar, string, bytes and enum field, default or not, except a proto3
// `optional` field that is unset; unset message fields left out; repeated fields always (as
// []); uint64/int64 as decimal strings; bytes in standard base64; enums by name (a number not
// in the enum as a number). Keys come in the library's order: fields outside any oneof in
// declaration order, then the set oneof members (proto3 `optional` fields are in synthetic
// oneofs) by field number. The protobuf library's printer builds a tree of
// intermediate objects per message and costs several times more than the gate verification
// it reports; this one walks the message once through reflection into one string.
//
// Not supported (AppendMessageJson returns false, and the caller falls back to the library):
// map fields, float and double fields, well-known types (Any, Timestamp, Struct, wrappers...),
// and strings that are not valid UTF-8 (the library logs an error for those and prints them
// its own way).
//
// Thread safety: pure functions.
#pragma once

#include <string>

namespace google::protobuf {
class Message;
}

namespace laurel::rpc {

// Appends the JSON of `m` to `out`. On false, `out` holds a partial document: discard it.
bool AppendMessageJson(const google::protobuf::Message& m, std::string* out);

}  // namespace laurel::rpc
