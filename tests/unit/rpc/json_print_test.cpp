// rpc/json_print.h against the protobuf library's JSON printer: for every message of the API
// (api.proto, chain.proto), filled at random many times, both give the same JSON value with
// the keys in the same order.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>

#include <catch2/catch.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "laurel/v1/api.pb.h"
#include "laurel/v1/chain.pb.h"
#include "rpc/json_print.h"

namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

const std::vector<std::string> kStrings = {
    "",
    "city-fed/MW/2026/000001",
    "王芳 劳动模范",
    "quote \" backslash \\ slash / tab \t newline \n",
    std::string("nul \0 and \x01 \x1f \x7f", 15),
    "<script>&amp;</script>",
    "emoji \xF0\x9F\x98\x80 and U+2028 \xE2\x80\xA8",
};

void Fill(Message* m, std::mt19937_64& rng, int depth) {
  const Descriptor* d = m->GetDescriptor();
  const Reflection* r = m->GetReflection();
  auto coin = [&](int pct) { return static_cast<int>(rng() % 100) < pct; };
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (!coin(70)) continue;
    const int n = f->is_repeated() ? static_cast<int>(rng() % 4) : 1;
    for (int k = 0; k < n; ++k) {
      const bool rep = f->is_repeated();
      switch (f->cpp_type()) {
        case FieldDescriptor::CPPTYPE_INT32: {
          const auto v = static_cast<int32_t>(rng());
          rep ? r->AddInt32(m, f, v) : r->SetInt32(m, f, coin(20) ? 0 : v);
          break;
        }
        case FieldDescriptor::CPPTYPE_UINT32: {
          const auto v = static_cast<uint32_t>(rng());
          rep ? r->AddUInt32(m, f, v) : r->SetUInt32(m, f, coin(20) ? 0 : v);
          break;
        }
        case FieldDescriptor::CPPTYPE_INT64: {
          const auto v = static_cast<int64_t>(rng());
          rep ? r->AddInt64(m, f, v) : r->SetInt64(m, f, coin(20) ? 0 : v);
          break;
        }
        case FieldDescriptor::CPPTYPE_UINT64: {
          const uint64_t v = coin(50) ? rng() : rng() % 1000;
          rep ? r->AddUInt64(m, f, v) : r->SetUInt64(m, f, coin(20) ? 0 : v);
          break;
        }
        case FieldDescriptor::CPPTYPE_BOOL:
          rep ? r->AddBool(m, f, coin(50)) : r->SetBool(m, f, coin(50));
          break;
        case FieldDescriptor::CPPTYPE_ENUM: {
          const auto* e = f->enum_type();
          const int v = e->value(static_cast<int>(rng() % e->value_count()))->number();
          rep ? r->AddEnumValue(m, f, v) : r->SetEnumValue(m, f, v);
          break;
        }
        case FieldDescriptor::CPPTYPE_STRING: {
          std::string s;
          if (f->type() == FieldDescriptor::TYPE_BYTES) {
            s.resize(rng() % 70);
            for (char& c : s) c = static_cast<char>(rng());
          } else {
            s = kStrings[rng() % kStrings.size()];
          }
          rep ? r->AddString(m, f, s) : r->SetString(m, f, s);
          break;
        }
        case FieldDescriptor::CPPTYPE_MESSAGE:
          if (depth < 4) {
            Fill(rep ? r->AddMessage(m, f) : r->MutableMessage(m, f), rng, depth + 1);
          }
          break;
        default:
          break;
      }
    }
  }
}

std::string LibraryJson(const Message& m) {
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  o.always_print_primitive_fields = true;
  std::string out;
  REQUIRE(google::protobuf::util::MessageToJsonString(m, &out, o).ok());
  return out;
}

std::vector<const Descriptor*> ApiMessages() {
  std::vector<const Descriptor*> out;
  for (const auto* file : {laurel::v1::VerifyResponse::descriptor()->file(),
                           laurel::v1::BlockRange::descriptor()->file()}) {
    for (int i = 0; i < file->message_type_count(); ++i) out.push_back(file->message_type(i));
  }
  return out;
}

}  // namespace

TEST_CASE("the fast JSON printer writes what protobuf's JSON mapping writes, for every API "
          "message",
          "[rpc][json]") {
  std::mt19937_64 rng(20261129);
  auto* factory = google::protobuf::MessageFactory::generated_factory();
  const auto messages = ApiMessages();
  REQUIRE(messages.size() >= 10);
  for (const Descriptor* d : messages) {
    INFO("message " << d->full_name());
    for (int round = 0; round < 200; ++round) {
      std::unique_ptr<Message> m(factory->GetPrototype(d)->New());
      if (round > 0) Fill(m.get(), rng, 0);
      std::string mine;
      REQUIRE(laurel::rpc::AppendMessageJson(*m, &mine));
      const std::string lib = LibraryJson(*m);
      INFO("library: " << lib);
      INFO("fast:    " << mine);
      const auto a = nlohmann::ordered_json::parse(mine);
      const auto b = nlohmann::ordered_json::parse(lib);
      REQUIRE(a == b);  // the same value, keys in the same order
    }
  }
}

TEST_CASE("a string that is not UTF-8 goes to the library's printer", "[rpc][json]") {
  laurel::v1::CardView card;
  for (const char* bad : {"bad \xC3\x28 utf-8", "\xC0\x80", "\xED\xA0\x80", "\xF4\x90\x80\x80",
                          "\xE2\x82"}) {
    card.set_holder_name(bad);
    std::string out;
    CHECK_FALSE(laurel::rpc::AppendMessageJson(card, &out));
  }
}
