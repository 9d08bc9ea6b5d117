#include "rpc/json_print.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <algorithm>
#include <charconv>
#include <string_view>
#include <vector>

#include "common/bytes.h"

namespace laurel::rpc {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr int kMaxDepth = 64;

// Whether `s` is well-formed UTF-8 (no overlong forms, surrogates or values past U+10FFFF).
bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n = 0;
    uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

bool AppendString(std::string_view s, std::string* out) {
  if (!ValidUtf8(s)) return false;
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xF]);
        } else {
          out->push_back(ch);
        }
    }
  }
  out->push_back('"');
  return true;
}

template <class Int>
void AppendInt(Int v, std::string* out, bool quoted) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;  // 24 characters hold any 64-bit integer
  if (quoted) out->push_back('"');
  out->append(buf, end);
  if (quoted) out->push_back('"');
}

bool AppendMessage(const Message& m, std::string* out, int depth);

// One value of field `f` (element `index` of a repeated field, or the singular value).
bool AppendValue(const Message& m, const Reflection& r, const FieldDescriptor* f, int index,
                 std::string* out, int depth) {
  const bool rep = f->is_repeated();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      AppendInt(rep ? r.GetRepeatedInt32(m, f, index) : r.GetInt32(m, f), out, false);
      return true;
    case FieldDescriptor::CPPTYPE_UINT32:
      AppendInt(rep ? r.GetRepeatedUInt32(m, f, index) : r.GetUInt32(m, f), out, false);
      return true;
    case FieldDescriptor::CPPTYPE_INT64:
      AppendInt(rep ? r.GetRepeatedInt64(m, f, index) : r.GetInt64(m, f), out, true);
      return true;
    case FieldDescriptor::CPPTYPE_UINT64:
      AppendInt(rep ? r.GetRepeatedUInt64(m, f, index) : r.GetUInt64(m, f), out, true);
      return true;
    case FieldDescriptor::CPPTYPE_BOOL:
      out->append((rep ? r.GetRepeatedBool(m, f, index) : r.GetBool(m, f)) ? "true" : "false");
      return true;
    case FieldDescriptor::CPPTYPE_ENUM: {
      const int v = rep ? r.GetRepeatedEnumValue(m, f, index) : r.GetEnumValue(m, f);
      const auto* ev = f->enum_type()->FindValueByNumber(v);
      if (ev != nullptr) return AppendString(ev->name(), out);
      AppendInt(v, out, false);
      return true;
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;
      const std::string& s = rep ? r.GetRepeatedStringReference(m, f, index, &scratch)
                                 : r.GetStringReference(m, f, &scratch);
      if (f->type() == FieldDescriptor::TYPE_BYTES) {
        out->push_back('"');
        out->append(Base64Encode(AsBytes(s)));
        out->push_back('"');
        return true;
      }
      return AppendString(s, out);
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return AppendMessage(rep ? r.GetRepeatedMessage(m, f, index) : r.GetMessage(m, f), out,
                           depth + 1);
    case FieldDescriptor::CPPTYPE_FLOAT:
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return false;  // shortest round-trip formatting is left to the library
  }
  return false;
}

bool AppendField(const Message& m, const Reflection& r, const FieldDescriptor* f, bool* first,
                 std::string* out, int depth) {
  if (f->is_map()) return false;
  if (!*first) out->push_back(',');
  *first = false;
  out->push_back('"');
  out->append(f->name());
  out->append("\":");
  if (!f->is_repeated()) return AppendValue(m, r, f, -1, out, depth);
  out->push_back('[');
  const int n = r.FieldSize(m, f);
  for (int k = 0; k < n; ++k) {
    if (k > 0) out->push_back(',');
    if (!AppendValue(m, r, f, k, out, depth)) return false;
  }
  out->push_back(']');
  return true;
}

// The library's order: the fields outside any oneof in declaration order (unset messages
// left out), then the set members of oneofs (proto3 `optional` fields included) by number.
bool AppendMessage(const Message& m, std::string* out, int depth) {
  if (depth > kMaxDepth) return false;
  const Descriptor* d = m.GetDescriptor();
  if (d->file()->package() == "google.protobuf") return false;  // well-known types
  const Reflection& r = *m.GetReflection();
  out->push_back('{');
  bool first = true;
  bool any_oneof = false;
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->containing_oneof() != nullptr) {
      any_oneof = true;
      continue;
    }
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !f->is_repeated() &&
        !r.HasField(m, f)) {
      continue;
    }
    if (!AppendField(m, r, f, &first, out, depth)) return false;
  }
  if (any_oneof) {
    std::vector<const FieldDescriptor*> set;
    for (int i = 0; i < d->field_count(); ++i) {
      const FieldDescriptor* f = d->field(i);
      if (f->containing_oneof() != nullptr && r.HasField(m, f)) set.push_back(f);
    }
    std::sort(set.begin(), set.end(),
              [](const FieldDescriptor* a, const FieldDescriptor* b) {
                return a->number() < b->number();
              });
    for (const FieldDescriptor* f : set) {
      if (!AppendField(m, r, f, &first, out, depth)) return false;
    }
  }
  out->push_back('}');
  return true;
}

}  // namespace

bool AppendMessageJson(const Message& m, std::string* out) { return AppendMessage(m, out, 0); }

}  // namespace laurel::rpc
