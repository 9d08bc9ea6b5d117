#include "node/payload.h"

#include <algorithm>

namespace laurel::node {

namespace {
void PutU32(Bytes& out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
uint32_t GetU32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
}  // namespace

Bytes EncodePayload(const std::vector<types::Tx>& txs) {
  Bytes out;
  if (txs.empty()) return out;
  PutU32(out, static_cast<uint32_t>(txs.size()));
  for (const auto& tx : txs) {
    const Bytes wire = types::EncodeTx(tx);
    PutU32(out, static_cast<uint32_t>(wire.size()));
    out.insert(out.end(), wire.begin(), wire.end());
  }
  return out;
}

std::optional<std::vector<types::Tx>> DecodePayload(ByteView payload) {
  std::vector<types::Tx> txs;
  if (payload.empty()) return txs;
  if (payload.size() < 4) return std::nullopt;
  const uint32_t n = GetU32(payload.data());
  if (n == 0 || n > payload.size() / 4) return std::nullopt;
  size_t pos = 4;
  txs.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    if (payload.size() - pos < 4) return std::nullopt;
    const uint32_t len = GetU32(payload.data() + pos);
    pos += 4;
    if (payload.size() - pos < len) return std::nullopt;
    const ByteView wire = payload.subspan(pos, len);
    auto tx = types::DecodeTx(wire);
    if (!tx.ok()) return std::nullopt;
    const Bytes again = types::EncodeTx(*tx);
    if (again.size() != wire.size() || !std::equal(again.begin(), again.end(), wire.begin())) {
      return std::nullopt;
    }
    txs.push_back(std::move(tx).value());
    pos += len;
  }
  if (pos != payload.size()) return std::nullopt;
  return txs;
}

}  // namespace laurel::node

namespace laurel::node {

namespace {
constexpr size_t kBatchPayloadHeader = 5;  // u32be(0) || u8 version
}

bool IsBatchPayload(ByteView payload) {
  return payload.size() >= kBatchPayloadHeader && payload[0] == 0 && payload[1] == 0 &&
         payload[2] == 0 && payload[3] == 0 && payload[4] == kBatchPayloadVersion;
}

Bytes EncodeBatchPayload(const std::vector<ProofOfAvailability>& proofs) {
  consensus::Writer w;
  w.U32(0);
  w.U8(kBatchPayloadVersion);
  w.U32(static_cast<uint32_t>(proofs.size()));
  for (const auto& p : proofs) EncodeProof(w, p);
  return w.Take();
}

Result<std::vector<ProofOfAvailability>> DecodeBatchPayload(ByteView payload) {
  if (!IsBatchPayload(payload)) {
    return Status::Corruption("not a version-2 (batch digest) payload");
  }
  consensus::Reader r(payload.subspan(kBatchPayloadHeader));
  LAUREL_ASSIGN_OR_RETURN(uint32_t n, r.U32());
  if (n == 0) return Status::Corruption("batch payload with no batches");
  if (n > kMaxPayloadBatches) {
    return Status::Corruption("batch payload with " + std::to_string(n) + " batches, at most " +
                              std::to_string(kMaxPayloadBatches));
  }
  std::vector<ProofOfAvailability> proofs;
  proofs.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    LAUREL_ASSIGN_OR_RETURN(ProofOfAvailability p, DecodeProof(r));
    for (const auto& q : proofs) {
      if (q.info.digest == p.info.digest) {
        return Status::Corruption("batch payload names one batch twice");
      }
    }
    proofs.push_back(std::move(p));
  }
  if (!r.done()) return Status::Corruption("trailing bytes after a batch payload");
  return proofs;
}

namespace {

// The rule ResolveBatchPayload and SplitBatchTxs share: a proof contributes its batch when it
// verifies, has not expired at `height`, and its bytes keep the block's running total
// (`bytes`, raised here) within kMaxBlockBatchBytes.
bool UsableProof(std::string_view chain_id, uint64_t epoch,
                 const std::vector<crypto::PublicKey>& keys, uint64_t height,
                 const ProofOfAvailability& p, uint64_t& bytes) {
  if (p.info.expires_at_height <= height) return false;
  if (p.info.num_bytes > kMaxBlockBatchBytes - bytes) return false;
  if (!VerifyProof(chain_id, epoch, keys, p).ok()) return false;
  bytes += p.info.num_bytes;
  return true;
}

}  // namespace

Result<ResolvedPayload> ResolveBatchPayload(
    const std::vector<ProofOfAvailability>& proofs, std::string_view chain_id, uint64_t epoch,
    const std::vector<crypto::PublicKey>& keys, uint64_t height,
    const std::function<const Batch*(const Hash32&)>& lookup) {
  ResolvedPayload out;
  std::vector<const Batch*> batches;
  uint64_t bytes = 0;
  for (const auto& p : proofs) {
    if (!UsableProof(chain_id, epoch, keys, height, p, bytes)) {
      out.skipped.push_back(p.info.digest);
      batches.push_back(nullptr);
      continue;
    }
    const Batch* b = lookup ? lookup(p.info.digest) : nullptr;
    if (b == nullptr) {
      return Status::Unavailable("batch " + HexEncode(p.info.digest) + " of validator " +
                                 std::to_string(p.info.author) + " is not held");
    }
    // The store checked the digest when it took the batch (BatchStore's invariant), so the
    // bytes are not hashed again here; a lookup that returns another batch is a bug that would
    // fork this node: refuse.
    if (b->author != p.info.author || b->batch_id != p.info.batch_id ||
        b->txs.size() != p.info.num_txs) {
      return Status::Corruption("batch held for digest " + HexEncode(p.info.digest) +
                                " does not hash to it");
    }
    batches.push_back(b);
    out.used.push_back(p.info.digest);
  }
  for (const Batch* b : batches) {
    if (b != nullptr) out.txs.insert(out.txs.end(), b->txs.begin(), b->txs.end());
  }
  return out;
}

Result<std::vector<std::vector<Bytes>>> SplitBatchTxs(
    const std::vector<ProofOfAvailability>& proofs, std::string_view chain_id, uint64_t epoch,
    const std::vector<crypto::PublicKey>& keys, uint64_t height, const std::vector<Bytes>& txs) {
  std::vector<std::vector<Bytes>> out;
  size_t pos = 0;
  uint64_t bytes = 0;
  for (const auto& p : proofs) {
    if (!UsableProof(chain_id, epoch, keys, height, p, bytes)) continue;
    if (txs.size() - pos < p.info.num_txs) {
      return Status::InvalidArgument("the block's transactions end inside batch " +
                                     HexEncode(p.info.digest));
    }
    Batch b{p.info.epoch, p.info.author, p.info.batch_id, p.info.expires_at_height, {}};
    b.txs.assign(txs.begin() + static_cast<ptrdiff_t>(pos),
                 txs.begin() + static_cast<ptrdiff_t>(pos + p.info.num_txs));
    pos += p.info.num_txs;
    if (!(InfoOf(chain_id, b) == p.info)) {
      return Status::InvalidArgument("the block's transactions of batch " +
                                     HexEncode(p.info.digest) + " do not hash to its digest");
    }
    out.push_back(std::move(b.txs));
  }
  if (pos != txs.size()) {
    return Status::InvalidArgument("the block holds " + std::to_string(txs.size() - pos) +
                                   " transactions beyond its batches");
  }
  return out;
}

}  // namespace laurel::node
