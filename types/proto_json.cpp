#include "types/proto_json.h"

#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>

#include <nlohmann/json.hpp>

namespace laurel::types {

Status JsonToMessage(std::string_view json, google::protobuf::Message* m) {
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = false;
  const auto st = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), m, opts);
  if (!st.ok()) {
    return Status::InvalidArgument("not a " + m->GetDescriptor()->full_name() +
                                   " in JSON: " + std::string(st.message()));
  }
  return Status::Ok();
}

std::string MessageToJson(const google::protobuf::Message& m, bool pretty) {
  google::protobuf::util::JsonPrintOptions opts;
  opts.add_whitespace = false;
  opts.always_print_primitive_fields = true;
  opts.preserve_proto_field_names = true;
  std::string out;
  // Printing a valid message cannot fail (only unresolvable Any types can).
  (void)google::protobuf::util::MessageToJsonString(m, &out, opts);
  if (!pretty) return out;
  // protobuf indents by one space; re-indent by two (the order of fields is kept).
  const auto j = nlohmann::ordered_json::parse(out, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? out : j.dump(2);
}

}  // namespace laurel::types
