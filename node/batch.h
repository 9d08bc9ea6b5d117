// Transaction batches for digest-carrying proposals (docs/spec/batches.md): a validator
// disseminates the transactions it admitted as batches, each named by a digest; the other
// validators store a batch and sign an acknowledgement of it; f+1 acknowledgements of one batch
// make a proof of availability (at least one honest validator holds the batch), and a proposal
// may then carry the proof (about 100 bytes plus 68 per signer) instead of the transactions.
//
// This header holds the objects, their digests and sign-bytes, their one binary encoding (the
// consensus codec's Writer/Reader: fixed big-endian fields, u32-length-prefixed strings) and
// the checks every receiver runs. Decoding is total: garbage gives kCorruption, never a crash,
// and every list and string has a cap. Verification never aborts: it returns InvalidArgument
// naming what is wrong.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "consensus/codec.h"
#include "consensus/types.h"

namespace laurel::node {

inline constexpr std::string_view kBatchDigestDomain{"laurel/batch/v1\0", 16};
inline constexpr std::string_view kBatchAckDomain{"laurel/batch-ack/v1\0", 20};

// At most this many transactions, and this many bytes of transactions, in one batch.
inline constexpr size_t kMaxBatchTxCount = 2000;
inline constexpr size_t kMaxBatchBytes = 4 << 20;
// At most this many proofs in one proposal's payload.
inline constexpr size_t kMaxPayloadBatches = 256;
// At most this many bytes of transactions (the sum of the usable proofs' num_bytes, in payload
// order) execute from one version-2 block; a proof beyond it is skipped on every node alike.
// Keeps a committed block within one block-sync frame whatever a Byzantine leader proposes
// (votes do not look at batches, so a block of 256 proofs of 4 MiB batches could commit).
inline constexpr uint64_t kMaxBlockBatchBytes = 3u << 20;

// What identifies a batch and what a proof of availability certifies. The digest covers every
// other field and the transactions (BatchDigest), so equal digests mean equal batches.
struct BatchInfo {
  uint64_t epoch = 0;
  uint32_t author = 0;             // validator index in the epoch's set
  uint64_t batch_id = 0;           // the author's sequence number, increasing
  uint64_t expires_at_height = 0;  // not proposed, not executed, not kept at or above it
  uint32_t num_txs = 0;
  uint64_t num_bytes = 0;  // sum of the transactions' wire sizes
  Hash32 digest{};

  bool operator==(const BatchInfo&) const = default;
};

// A batch as its author sends it: the fields of BatchInfo but the digest, and the transactions
// (Tx wire encodings, in order).
struct Batch {
  uint64_t epoch = 0;
  uint32_t author = 0;
  uint64_t batch_id = 0;
  uint64_t expires_at_height = 0;
  std::vector<Bytes> txs;

  bool operator==(const Batch&) const = default;
};

// SHA-256("laurel/batch/v1\0" || u32be(len chain_id) || chain_id || u64be epoch || u32be author
// || u64be batch_id || u64be expires_at_height || u32be count || per tx: u32be(len) || tx)
Hash32 BatchDigest(std::string_view chain_id, const Batch& b);
// The batch's info (its digest computed).
BatchInfo InfoOf(std::string_view chain_id, const Batch& b);

// A validator's signed statement "I store this batch": over
// "laurel/batch-ack/v1\0" || u32be(len chain_id) || chain_id || the BatchInfo fields.
struct BatchAck {
  BatchInfo info;
  uint32_t signer = 0;
  crypto::Signature signature{};
};
Bytes BatchAckSignBytes(std::string_view chain_id, const BatchInfo& info);

// f+1 acknowledgements of one BatchInfo, by distinct validators, in increasing signer order.
struct ProofOfAvailability {
  BatchInfo info;
  std::vector<std::pair<uint32_t, crypto::Signature>> signatures;

  bool operator==(const ProofOfAvailability&) const = default;
};

// Checks a proof against the epoch's keys (index = validator index): the epoch matches, the
// author is a validator, at least f+1 (f = (n-1)/3) signers, strictly increasing, each a
// validator with a valid signature over BatchAckSignBytes. Checks no height (see
// ProofUsableAt).
Status VerifyProof(std::string_view chain_id, uint64_t epoch,
                   const std::vector<crypto::PublicKey>& keys, const ProofOfAvailability& p);
// An acknowledgement's signature by validator `ack.signer` of `keys`.
Status VerifyAck(std::string_view chain_id, const std::vector<crypto::PublicKey>& keys,
                 const BatchAck& ack);

// Encodings (also used inside wire messages and payloads).
void EncodeBatchInfo(consensus::Writer& w, const BatchInfo& i);
Result<BatchInfo> DecodeBatchInfo(consensus::Reader& r);
void EncodeBatch(consensus::Writer& w, const Batch& b);
Result<Batch> DecodeBatch(consensus::Reader& r);
void EncodeProof(consensus::Writer& w, const ProofOfAvailability& p);
Result<ProofOfAvailability> DecodeProof(consensus::Reader& r);

}  // namespace laurel::node
