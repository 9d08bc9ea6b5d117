// Base45 (the `LC1:` card alphabet): decoding never crashes; what decodes re-encodes to text
// that decodes to the same bytes; any bytes encode to text that decodes back to them.
#include "common/base45.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace laurel;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto decoded = Base45Decode(text);
  if (decoded.ok()) {
    const std::string again = Base45Encode(*decoded);
    auto redecoded = Base45Decode(again);
    FUZZ_CHECK(redecoded.ok() && *redecoded == *decoded);
  }
  const std::string encoded = Base45Encode(fuzz::View(data, size));
  auto back = Base45Decode(encoded);
  FUZZ_CHECK(back.ok() && fuzz::SameBytes(*back, fuzz::View(data, size)));
  return 0;
}
