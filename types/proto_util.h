// Internal helpers for the protobuf codecs of types/ (not part of the public API).
#pragma once

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/message.h>
#include <google/protobuf/message_lite.h>

#include <string>

#include "common/bytes.h"
#include "common/status.h"

namespace laurel::types {

// Deterministic protobuf serialization (fields in number order, defaults omitted).
inline Bytes SerializeDeterministic(const google::protobuf::MessageLite& m) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream sos(&out);
    google::protobuf::io::CodedOutputStream cos(&sos);
    cos.SetSerializationDeterministic(true);
    m.SerializeToCodedStream(&cos);
  }
  return Bytes(out.begin(), out.end());
}

// Parses `bytes` into `m` and requires them to be the canonical encoding of the result:
// re-encoding gives the same bytes. This rejects unknown fields, duplicated or reordered
// fields and non-minimal varints, so signed bytes and decoded values correspond one to one.
inline Status ParseCanonical(ByteView bytes, google::protobuf::MessageLite* m, const char* what) {
  if (!m->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status::InvalidArgument(std::string(what) + ": not a valid protobuf encoding");
  }
  // Parsing keeps unknown fields and serializing writes them back, so without this an unknown
  // field appended at the end would pass the comparison below.
  if (auto* full = dynamic_cast<google::protobuf::Message*>(m)) full->DiscardUnknownFields();
  const Bytes again = SerializeDeterministic(*m);
  if (again.size() != bytes.size() || !std::equal(again.begin(), again.end(), bytes.begin())) {
    return Status::InvalidArgument(std::string(what) +
                                   ": not in canonical encoding (unknown, repeated or "
                                   "out-of-order fields)");
  }
  return Status::Ok();
}

// Converts a protobuf enum value to ours, rejecting values outside [0, max].
template <typename E>
Result<E> CheckedEnum(int v, int max, const char* what) {
  if (v < 0 || v > max) {
    return Status::InvalidArgument(std::string("unknown ") + what + " value " + std::to_string(v));
  }
  return static_cast<E>(v);
}

}  // namespace laurel::types
