// Scanned QR images (`laurel card verify --qr FILE`): PNG bytes from outside. Decoding never
// crashes; an image that decodes gives text that is then read as a card.
#include "cli/qr.h"
#include "fuzz/fuzz_util.h"
#include "types/card.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace laurel;
  auto text = cli::DecodeQrPng(std::string_view(reinterpret_cast<const char*>(data), size));
  if (text.ok()) (void)types::CardFromText(*text);
  return 0;
}
