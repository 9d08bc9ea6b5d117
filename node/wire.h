// The messages validators exchange over the P2P transport, and their one binary encoding:
// a kind byte followed by fixed big-endian fields and u32-length-prefixed strings (the
// consensus codec's Writer/Reader). Decoding is total: garbage gives kCorruption, never a
// crash, and every list and string has a cap.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "consensus/types.h"
#include "node/batch.h"

namespace laurel::node {

inline constexpr std::string_view kAttestationDomain{"laurel/attestation/v2\0", 22};

// A validator's signed statement of the state after executing a committed block.
struct StateAttestation {
  uint64_t epoch = 0;  // the epoch the block belongs to (its signer is of that epoch's set)
  uint64_t height = 0;
  Hash32 block_id{};
  Hash32 state_root{};
  Hash32 tx_root{};
  uint64_t time_ms = 0;  // the block's timestamp
  // Zero, or on the epoch's last block the ValidatorSetHash of the next epoch's set: the
  // certificate of that height is the epoch-change proof (docs/spec/consensus.md §13).
  Hash32 next_validators{};
  uint32_t signer = 0;  // validator index
  crypto::Signature signature{};
};
// "laurel/attestation/v2\0" || u32be(len chain_id) || chain_id || u64be epoch || u64be height ||
// block_id || state_root || tx_root || u64be time_ms || next_validators
Bytes AttestationSignBytes(std::string_view chain_id, const StateAttestation& a);

// 2f+1 attestations agreeing on one (height, block, state root, tx root, time).
struct StateCertificate {
  StateAttestation data;                                           // signer/signature unused
  std::vector<std::pair<uint32_t, crypto::Signature>> signatures;  // increasing signer
};
Bytes EncodeStateCertificate(const StateCertificate& c);
Result<StateCertificate> DecodeStateCertificate(ByteView b);

// A committed block as sync serves it: the full block (with payload) and its commit proof.
struct SyncBlock {
  consensus::Block block;
  consensus::QuorumCert block_qc;
  consensus::QuorumCert commit_qc;
  // The height's state certificate when the server holds one: a node that syncs a height
  // checks it against its own execution and keeps it (an epoch's last block: the epoch-change
  // proof).
  std::optional<StateCertificate> certificate;
  // A block with a version-2 (batch digest) payload: the transactions (Tx wire encodings) of
  // each proof the block executes (valid and not expired at its height), in payload order, so
  // that the receiver executes it without any batch store. It checks each list against its
  // proof's digest (docs/spec/batches.md §6). Empty for a version-1 block.
  std::vector<std::vector<Bytes>> batches;
};

struct FetchRequestMsg {
  consensus::BlockId id{};
  uint32_t count = 0;
};
struct FetchResponseMsg {
  std::vector<consensus::Block> blocks;
};
struct TxBatchMsg {
  std::vector<Bytes> txs;  // Tx wire encodings
};
struct SyncRequestMsg {
  uint64_t from_height = 0;
  uint32_t max_blocks = 0;
};
struct SyncResponseMsg {
  uint64_t peer_height = 0;
  std::vector<SyncBlock> blocks;
};
struct AttestationMsg {
  StateAttestation attestation;
};
// Sent on connect and periodically: the sender's committed height.
struct HelloMsg {
  uint64_t height = 0;
};

// Digest batches (docs/spec/batches.md, node/batch.h): a batch pushed by its author; a
// validator's signed acknowledgement of it, sent to the author; a request for the batch of one
// info (to the author or a signer of its proof) and the answer, the batch or, when the peer
// does not hold it, none.
struct BatchMsg {
  Batch batch;
};
struct BatchAckMsg {
  BatchAck ack;
};
struct BatchRequestMsg {
  BatchInfo info;
};
struct BatchResponseMsg {
  BatchInfo info;              // what was asked for
  std::optional<Batch> batch;  // nullopt: not held
};
// A proof of availability its batch's author broadcasts once it has f+1 acknowledgements, so
// that any leader can propose it (kind 21).
struct ProofMsg {
  ProofOfAvailability proof;
};

using WireMessage =
    std::variant<consensus::Message, FetchRequestMsg, FetchResponseMsg, TxBatchMsg, SyncRequestMsg,
                 SyncResponseMsg, AttestationMsg, HelloMsg, BatchMsg, BatchAckMsg, BatchRequestMsg,
                 BatchResponseMsg, ProofMsg>;

inline constexpr size_t kMaxBatchTxs = 20000;
inline constexpr size_t kMaxFetchBlocks = 256;

Bytes EncodeWire(const WireMessage& m);
Result<WireMessage> DecodeWire(ByteView b);

// Commit certificate bytes as stored with a block: Encode(block_qc) || Encode(commit_qc).
Bytes EncodeCommitProof(const consensus::QuorumCert& block_qc,
                        const consensus::QuorumCert& commit_qc);
Status DecodeCommitProof(ByteView b, consensus::QuorumCert* block_qc,
                         consensus::QuorumCert* commit_qc);
// Block header bytes as stored: u8 flag || EncodeBlock(block). Flag 0: the payload was
// stripped (it is the canonical encoding of the stored txs); 1: the payload is kept.
Bytes EncodeStoredHeader(const consensus::Block& b, bool keep_payload);
Result<consensus::Block> DecodeStoredHeader(ByteView b, bool* payload_kept);

}  // namespace laurel::node
