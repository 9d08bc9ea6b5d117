// Block payloads: the ordered transactions of a block, as consensus carries them.
//
// Encoding: empty for no transactions; otherwise u32be(count) then, per transaction,
// u32be(len) || Tx wire bytes (types::EncodeTx). Only the canonical encoding is a valid
// payload: a Byzantine leader's payload that does not decode, or that re-encodes to other
// bytes, is committed (consensus orders opaque bytes) but executes as a block with no
// transactions, identically on every node.
//
// Version 2, digest payloads (docs/spec/batches.md): u32be(0) || u8(2) || u32be(count) ||
// count proofs of availability (node/batch.h EncodeProof), 1 <= count <= kMaxPayloadBatches,
// distinct digests. The leading u32be(0) is never a valid version-1 payload (a count of 0 is
// refused), so the two forms cannot be confused and DecodePayload keeps reading version 1 only.
#pragma once

#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "node/batch.h"
#include "types/tx.h"

namespace laurel::node {

Bytes EncodePayload(const std::vector<types::Tx>& txs);
// The transactions of a payload, or nullopt when it is not a canonical encoding.
std::optional<std::vector<types::Tx>> DecodePayload(ByteView payload);

inline constexpr uint8_t kBatchPayloadVersion = 2;
// True when `payload` starts with the version-2 marker (it may still not decode).
bool IsBatchPayload(ByteView payload);
Bytes EncodeBatchPayload(const std::vector<ProofOfAvailability>& proofs);
// The proofs of a version-2 payload; kCorruption naming what is wrong when it is not the
// canonical encoding (no proofs, too many, a repeated digest, trailing bytes, ...).
Result<std::vector<ProofOfAvailability>> DecodeBatchPayload(ByteView payload);

// What a committed version-2 payload executes, as every node computes it from the payload and
// the batches its digests name (the digest fixes the bytes, so every node resolves the same):
// in payload order, each proof that verifies (VerifyProof against the epoch's keys) and whose
// batch has not expired at `height` (expires_at_height > height) contributes its batch's
// transactions; any other proof is skipped, identically on every node. `lookup` returns the
// stored batch of a digest or nullptr. When a batch a usable proof names is not held, the
// result is kUnavailable listing the first missing digest and nothing is executed: the node
// fetches it (from the author or a signer of the proof) and tries again.
struct ResolvedPayload {
  std::vector<Bytes> txs;       // Tx wire encodings, in execution order
  std::vector<Hash32> used;     // digests of the batches that contributed
  std::vector<Hash32> skipped;  // digests of the proofs skipped (invalid or expired)
};
Result<ResolvedPayload> ResolveBatchPayload(
    const std::vector<ProofOfAvailability>& proofs, std::string_view chain_id, uint64_t epoch,
    const std::vector<crypto::PublicKey>& keys, uint64_t height,
    const std::function<const Batch*(const Hash32&)>& lookup);

// The transactions a committed version-2 block executed (as stored: Tx wire encodings, in
// order), split by batch and checked against its proofs: in payload order, each proof that
// ResolveBatchPayload uses (it verifies, and its batch has not expired at `height`) takes its
// num_txs next transactions, which with the proof's info must hash to its digest; nothing may
// be left over. kInvalidArgument naming the first batch that does not match. Block sync and
// `laurel audit` check stored blocks with it.
Result<std::vector<std::vector<Bytes>>> SplitBatchTxs(
    const std::vector<ProofOfAvailability>& proofs, std::string_view chain_id, uint64_t epoch,
    const std::vector<crypto::PublicKey>& keys, uint64_t height, const std::vector<Bytes>& txs);

}  // namespace laurel::node
