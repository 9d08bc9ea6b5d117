// The transaction envelope (laurel.v1.Tx, as POST /v1/txs and gossip carry it) and its signed
// body. A decoded envelope re-encodes to an envelope that decodes the same; a decoded body is
// canonical, so it re-encodes to exactly the input bytes.
#include "fuzz/fuzz_util.h"
#include "types/tx.h"

namespace {
using namespace laurel;

void CheckBody(ByteView bytes) {
  auto body = types::DecodeTxBody(bytes);
  if (!body.ok()) return;
  FUZZ_CHECK(fuzz::SameBytes(types::EncodeTxBody(*body), bytes));
  FUZZ_CHECK(types::ActionName(body->action) != nullptr);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteView in = fuzz::View(data, size);
  auto tx = types::DecodeTx(in);
  if (tx.ok()) {
    FUZZ_CHECK(tx->signatures.size() <= types::kMaxSignatures);
    const Bytes again = types::EncodeTx(*tx);
    auto tx2 = types::DecodeTx(again);
    FUZZ_CHECK(tx2.ok() && tx2->body == tx->body && tx2->signatures == tx->signatures);
    (void)types::TxId(*tx);
    CheckBody(tx->body);
  }
  CheckBody(in);
  return 0;
}
