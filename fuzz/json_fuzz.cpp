// Small text parsers of the HTTP API and the CLI, chosen by the first byte: transactions in
// protobuf's JSON mapping (POST /v1/txs with JSON, `laurel tx` files), IP addresses (client
// limits), percent-encoding and media types. None crashes; a JSON transaction that converts
// gives wire bytes that convert back to the same bytes through protobuf's JSON printer.
#include "fuzz/fuzz_util.h"
#include "laurel/v1/tx.pb.h"
#include "rpc/convert.h"
#include "rpc/limits.h"
#include "rpc/router.h"
#include "types/proto_json.h"
#include "types/tx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace laurel;
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 4) {
    case 0:
      if (auto wire = rpc::TxWireFromJson(text); wire.ok()) {
        v1::Tx m;
        FUZZ_CHECK(m.ParseFromArray(wire->data(), static_cast<int>(wire->size())));
        auto again = rpc::TxWireFromJson(types::MessageToJson(m, false));
        FUZZ_CHECK(again.ok() && *again == *wire);
        (void)types::DecodeTx(*wire);
      }
      break;
    case 1: {
      v1::TxBody m;
      if (types::JsonToMessage(text, &m).ok()) {
        v1::TxBody m2;
        FUZZ_CHECK(types::JsonToMessage(types::MessageToJson(m), &m2).ok());
        FUZZ_CHECK(m2.SerializeAsString() == m.SerializeAsString());
      }
      break;
    }
    case 2:
      if (auto ip = rpc::ParseIp(text)) (void)*ip;
      (void)rpc::MediaType(text);
      break;
    case 3:
      for (bool plus : {false, true}) {
        if (auto s = rpc::PercentDecode(text, plus)) FUZZ_CHECK(s->size() <= text.size());
      }
      break;
  }
  return 0;
}
