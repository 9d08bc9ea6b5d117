#include "node/batch.h"

#include <string>

#include "crypto/ed25519.h"
#include "crypto/sha256.h"
#include "types/tx.h"

namespace laurel::node {

using consensus::Reader;
using consensus::Writer;

namespace {
void PutU32(crypto::Sha256& h, uint32_t v) {
  const uint8_t b[4] = {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
                        static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
  h.Update(ByteView(b, 4));
}
void PutU64(crypto::Sha256& h, uint64_t v) {
  PutU32(h, static_cast<uint32_t>(v >> 32));
  PutU32(h, static_cast<uint32_t>(v));
}
}  // namespace

Hash32 BatchDigest(std::string_view chain_id, const Batch& b) {
  crypto::Sha256 h;
  h.Update(kBatchDigestDomain);
  PutU32(h, static_cast<uint32_t>(chain_id.size()));
  h.Update(chain_id);
  PutU64(h, b.epoch);
  PutU32(h, b.author);
  PutU64(h, b.batch_id);
  PutU64(h, b.expires_at_height);
  PutU32(h, static_cast<uint32_t>(b.txs.size()));
  for (const Bytes& tx : b.txs) {
    PutU32(h, static_cast<uint32_t>(tx.size()));
    h.Update(tx);
  }
  return h.Finish();
}

BatchInfo InfoOf(std::string_view chain_id, const Batch& b) {
  BatchInfo i;
  i.epoch = b.epoch;
  i.author = b.author;
  i.batch_id = b.batch_id;
  i.expires_at_height = b.expires_at_height;
  i.num_txs = static_cast<uint32_t>(b.txs.size());
  for (const Bytes& tx : b.txs) i.num_bytes += tx.size();
  i.digest = BatchDigest(chain_id, b);
  return i;
}

void EncodeBatchInfo(Writer& w, const BatchInfo& i) {
  w.U64(i.epoch);
  w.U32(i.author);
  w.U64(i.batch_id);
  w.U64(i.expires_at_height);
  w.U32(i.num_txs);
  w.U64(i.num_bytes);
  w.Fixed(i.digest);
}

Result<BatchInfo> DecodeBatchInfo(Reader& r) {
  BatchInfo i;
  LAUREL_ASSIGN_OR_RETURN(i.epoch, r.U64());
  LAUREL_ASSIGN_OR_RETURN(i.author, r.U32());
  LAUREL_ASSIGN_OR_RETURN(i.batch_id, r.U64());
  LAUREL_ASSIGN_OR_RETURN(i.expires_at_height, r.U64());
  LAUREL_ASSIGN_OR_RETURN(i.num_txs, r.U32());
  LAUREL_ASSIGN_OR_RETURN(i.num_bytes, r.U64());
  LAUREL_RETURN_IF_ERROR(r.Fixed(i.digest.data(), i.digest.size()));
  if (i.num_txs > kMaxBatchTxCount) return Status::Corruption("batch info: too many transactions");
  if (i.num_bytes > kMaxBatchBytes) return Status::Corruption("batch info: too many bytes");
  return i;
}

Bytes BatchAckSignBytes(std::string_view chain_id, const BatchInfo& info) {
  Writer w;
  w.Fixed(AsBytes(kBatchAckDomain));
  w.Var(AsBytes(chain_id));
  EncodeBatchInfo(w, info);
  return w.Take();
}

void EncodeBatch(Writer& w, const Batch& b) {
  w.U64(b.epoch);
  w.U32(b.author);
  w.U64(b.batch_id);
  w.U64(b.expires_at_height);
  w.U32(static_cast<uint32_t>(b.txs.size()));
  for (const Bytes& tx : b.txs) w.Var(tx);
}

Result<Batch> DecodeBatch(Reader& r) {
  Batch b;
  LAUREL_ASSIGN_OR_RETURN(b.epoch, r.U64());
  LAUREL_ASSIGN_OR_RETURN(b.author, r.U32());
  LAUREL_ASSIGN_OR_RETURN(b.batch_id, r.U64());
  LAUREL_ASSIGN_OR_RETURN(b.expires_at_height, r.U64());
  LAUREL_ASSIGN_OR_RETURN(uint32_t n, r.U32());
  if (n > kMaxBatchTxCount) return Status::Corruption("batch: too many transactions");
  size_t bytes = 0;
  for (uint32_t i = 0; i < n; ++i) {
    LAUREL_ASSIGN_OR_RETURN(Bytes tx, r.Var(types::kMaxTxBytes));
    bytes += tx.size();
    if (bytes > kMaxBatchBytes) return Status::Corruption("batch: too many bytes");
    b.txs.push_back(std::move(tx));
  }
  return b;
}

void EncodeProof(Writer& w, const ProofOfAvailability& p) {
  EncodeBatchInfo(w, p.info);
  w.U32(static_cast<uint32_t>(p.signatures.size()));
  for (const auto& [signer, sig] : p.signatures) {
    w.U32(signer);
    w.Fixed(sig);
  }
}

Result<ProofOfAvailability> DecodeProof(Reader& r) {
  ProofOfAvailability p;
  LAUREL_ASSIGN_OR_RETURN(p.info, DecodeBatchInfo(r));
  LAUREL_ASSIGN_OR_RETURN(uint32_t n, r.U32());
  if (n > consensus::kMaxSigners) return Status::Corruption("proof: too many signatures");
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t signer = 0;
    crypto::Signature sig{};
    LAUREL_ASSIGN_OR_RETURN(signer, r.U32());
    LAUREL_RETURN_IF_ERROR(r.Fixed(sig.data(), sig.size()));
    p.signatures.emplace_back(signer, sig);
  }
  return p;
}

Status VerifyAck(std::string_view chain_id, const std::vector<crypto::PublicKey>& keys,
                 const BatchAck& ack) {
  if (ack.signer >= keys.size()) {
    return Status::InvalidArgument("batch ack: signer " + std::to_string(ack.signer) +
                                   " is not a validator");
  }
  if (!crypto::Verify(keys[ack.signer], BatchAckSignBytes(chain_id, ack.info), ack.signature)) {
    return Status::InvalidArgument("batch ack: bad signature by validator " +
                                   std::to_string(ack.signer));
  }
  return Status::Ok();
}

Status VerifyProof(std::string_view chain_id, uint64_t epoch,
                   const std::vector<crypto::PublicKey>& keys, const ProofOfAvailability& p) {
  if (keys.empty()) return Status::InvalidArgument("proof of availability: no validators");
  if (p.info.epoch != epoch) {
    return Status::InvalidArgument("proof of availability: epoch " + std::to_string(p.info.epoch) +
                                   ", expected " + std::to_string(epoch));
  }
  if (p.info.author >= keys.size()) {
    return Status::InvalidArgument("proof of availability: author is not a validator");
  }
  const size_t needed = (keys.size() - 1) / 3 + 1;
  if (p.signatures.size() < needed) {
    return Status::InvalidArgument("proof of availability: " + std::to_string(p.signatures.size()) +
                                   " signatures, " + std::to_string(needed) + " needed");
  }
  const Bytes msg = BatchAckSignBytes(chain_id, p.info);
  for (size_t i = 0; i < p.signatures.size(); ++i) {
    const auto& [signer, sig] = p.signatures[i];
    if (signer >= keys.size()) {
      return Status::InvalidArgument("proof of availability: signer " + std::to_string(signer) +
                                     " is not a validator");
    }
    if (i > 0 && signer <= p.signatures[i - 1].first) {
      return Status::InvalidArgument("proof of availability: signers not strictly increasing");
    }
    if (!crypto::Verify(keys[signer], msg, sig)) {
      return Status::InvalidArgument("proof of availability: bad signature by validator " +
                                     std::to_string(signer));
    }
  }
  return Status::Ok();
}

}  // namespace laurel::node
