// Hex, base64 and page tokens (query parameters of the HTTP API): decoders never crash and
// round-trip with their encoders.
#include "common/bytes.h"
#include "fuzz/fuzz_util.h"
#include "storage/keys.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace laurel;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto hex = HexDecode(text)) {
    auto again = HexDecode(HexEncode(*hex));
    FUZZ_CHECK(again && *again == *hex);
    FUZZ_CHECK(HexDecode32(text).has_value() == (hex->size() == 32));
  }
  if (auto b64 = Base64Decode(text)) {
    auto again = Base64Decode(Base64Encode(*b64));
    FUZZ_CHECK(again && *again == *b64);
  }
  auto round = Base64Decode(Base64Encode(fuzz::View(data, size)));
  FUZZ_CHECK(round && fuzz::SameBytes(*round, fuzz::View(data, size)));
  auto hround = HexDecode(HexEncode(fuzz::View(data, size)));
  FUZZ_CHECK(hround && fuzz::SameBytes(*hround, fuzz::View(data, size)));
  (void)storage::keys::DecodePageToken(text);
  return 0;
}
