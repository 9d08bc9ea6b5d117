// Block payloads (node/payload.h) as a Byzantine leader may propose them: decoding never
// crashes, only canonical encodings are accepted, and every transaction of an accepted payload
// decodes within the limits.
#include "fuzz/fuzz_util.h"
#include "node/payload.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace laurel;
  const ByteView in = fuzz::View(data, size);
  auto txs = node::DecodePayload(in);
  if (!txs) return 0;
  FUZZ_CHECK(fuzz::SameBytes(node::EncodePayload(*txs), in));
  for (const auto& tx : *txs) {
    FUZZ_CHECK(tx.signatures.size() <= types::kMaxSignatures);
    (void)types::DecodeTxBody(tx.body);
  }
  return 0;
}
