// Digest batches (node/batch.h, node/batch_store.h) and version-2 payloads (node/payload.h) as
// a Byzantine validator may send or propose them. Selector byte 0: a version-2 payload —
// decoding never crashes, what decodes re-encodes to the same bytes, and resolving it against
// a 4-validator set with no batch held never crashes and executes nothing (no input carries
// real signatures, so every proof is skipped). Selector 1: a batch — what decodes re-encodes to
// the same bytes, and the batch store takes it or refuses it without breaking its quota
// bookkeeping.
#include "consensus/codec.h"
#include "fuzz/fixture.h"
#include "fuzz/fuzz_util.h"
#include "node/batch_store.h"
#include "node/payload.h"

namespace {
using namespace laurel;

const std::vector<crypto::PublicKey>& Keys() {
  static const std::vector<crypto::PublicKey> keys = [] {
    std::vector<crypto::PublicKey> k;
    for (uint8_t i = 1; i <= 4; ++i) k.push_back(fuzz::Key(i).public_key());
    return k;
  }();
  return keys;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const ByteView in = fuzz::View(data + 1, size - 1);
  if (data[0] % 2 == 0) {
    auto proofs = node::DecodeBatchPayload(in);
    if (!proofs.ok()) return 0;
    FUZZ_CHECK(fuzz::SameBytes(node::EncodeBatchPayload(*proofs), in));
    auto resolved = node::ResolveBatchPayload(*proofs, fuzz::kChainId, 1, Keys(), 5,
                                              [](const Hash32&) { return nullptr; });
    FUZZ_CHECK(resolved.ok() && resolved->txs.empty());
    return 0;
  }
  consensus::Reader r(in);
  auto batch = node::DecodeBatch(r);
  if (!batch.ok() || !r.done()) return 0;
  consensus::Writer w;
  node::EncodeBatch(w, *batch);
  FUZZ_CHECK(fuzz::SameBytes(w.Take(), in));
  node::BatchStore store(fuzz::kChainId, 1, Keys(), 0, {});
  auto info = store.Insert(batch->author, *batch, 3);
  FUZZ_CHECK(info.ok() == (store.size() == 1));
  if (info.ok()) {
    FUZZ_CHECK(store.Get(info->digest) != nullptr);
    FUZZ_CHECK(store.bytes_of(batch->author) == info->num_bytes);
    store.OnCommitted(batch->expires_at_height);
    FUZZ_CHECK(store.size() == 0 && store.bytes_of(batch->author) == 0);
  }
  return 0;
}
