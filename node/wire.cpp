#include "node/wire.h"

#include "consensus/codec.h"
#include "types/tx.h"

namespace laurel::node {

using consensus::Reader;
using consensus::Writer;
namespace cs = consensus;

namespace {

enum class Kind : uint8_t {
  kProposal = 1,
  kVote = 2,
  kTimeout = 3,
  kSync = 4,
  kFetchRequest = 10,
  kFetchResponse = 11,
  kTxBatch = 12,
  kSyncRequest = 13,
  kSyncResponse = 14,
  kAttestation = 15,
  kHello = 16,
  kBatch = 17,
  kBatchAck = 18,
  kBatchRequest = 19,
  kBatchResponse = 20,
  kProof = 21,
};

constexpr size_t kMaxTxBytes = types::kMaxTxBytes;

void EncodeTimeoutVote(Writer& w, const cs::TimeoutVote& t) {
  w.U64(t.epoch);
  w.U64(t.round);
  cs::EncodeQc(w, t.high_qc);
  w.U32(t.signer);
  w.Fixed(t.signature);
}

Result<cs::TimeoutVote> DecodeTimeoutVote(Reader& r) {
  cs::TimeoutVote t;
  LAUREL_ASSIGN_OR_RETURN(t.epoch, r.U64());
  LAUREL_ASSIGN_OR_RETURN(t.round, r.U64());
  LAUREL_ASSIGN_OR_RETURN(t.high_qc, cs::DecodeQc(r));
  LAUREL_ASSIGN_OR_RETURN(t.signer, r.U32());
  LAUREL_RETURN_IF_ERROR(r.Fixed(t.signature.data(), t.signature.size()));
  return t;
}

void EncodeSyncInfo(Writer& w, const cs::SyncInfo& s) {
  cs::EncodeQc(w, s.highest_qc);
  cs::EncodeQc(w, s.highest_commit_qc);
  w.U8(s.highest_tc ? 1 : 0);
  if (s.highest_tc) cs::EncodeTc(w, *s.highest_tc);
}

Result<cs::SyncInfo> DecodeSyncInfo(Reader& r) {
  cs::SyncInfo s;
  LAUREL_ASSIGN_OR_RETURN(s.highest_qc, cs::DecodeQc(r));
  LAUREL_ASSIGN_OR_RETURN(s.highest_commit_qc, cs::DecodeQc(r));
  LAUREL_ASSIGN_OR_RETURN(uint8_t has_tc, r.U8());
  if (has_tc > 1) return Status::Corruption("bad TC flag");
  if (has_tc) {
    LAUREL_ASSIGN_OR_RETURN(cs::TimeoutCert tc, cs::DecodeTc(r));
    s.highest_tc = std::move(tc);
  }
  return s;
}

// A state certificate: the attestation fields, a count, and per signer 4 + 64 bytes.
constexpr size_t kMaxCertificateBytes = 256 + cs::kMaxSigners * 68;

void EncodeAttestationFields(Writer& w, const StateAttestation& a) {
  w.U64(a.epoch);
  w.U64(a.height);
  w.Fixed(a.block_id);
  w.Fixed(a.state_root);
  w.Fixed(a.tx_root);
  w.U64(a.time_ms);
  w.Fixed(a.next_validators);
}

Status DecodeAttestationFields(Reader& r, StateAttestation* a) {
  LAUREL_ASSIGN_OR_RETURN(a->epoch, r.U64());
  LAUREL_ASSIGN_OR_RETURN(a->height, r.U64());
  LAUREL_RETURN_IF_ERROR(r.Fixed(a->block_id.data(), 32));
  LAUREL_RETURN_IF_ERROR(r.Fixed(a->state_root.data(), 32));
  LAUREL_RETURN_IF_ERROR(r.Fixed(a->tx_root.data(), 32));
  LAUREL_ASSIGN_OR_RETURN(a->time_ms, r.U64());
  LAUREL_RETURN_IF_ERROR(r.Fixed(a->next_validators.data(), 32));
  return Status::Ok();
}

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

void EncodeConsensus(Writer& w, const cs::Message& m) {
  std::visit(Overloaded{
                 [&](const cs::ProposalMsg& p) {
                   w.U8(static_cast<uint8_t>(Kind::kProposal));
                   cs::EncodeBlock(w, p.block);
                   EncodeSyncInfo(w, p.sync);
                 },
                 [&](const cs::VoteMsg& v) {
                   w.U8(static_cast<uint8_t>(Kind::kVote));
                   cs::EncodeVote(w, v.vote);
                   EncodeSyncInfo(w, v.sync);
                 },
                 [&](const cs::TimeoutMsg& t) {
                   w.U8(static_cast<uint8_t>(Kind::kTimeout));
                   EncodeTimeoutVote(w, t.timeout);
                   EncodeSyncInfo(w, t.sync);
                 },
                 [&](const cs::SyncMsg& s) {
                   w.U8(static_cast<uint8_t>(Kind::kSync));
                   EncodeSyncInfo(w, s.sync);
                 },
             },
             m);
}

}  // namespace

Bytes AttestationSignBytes(std::string_view chain_id, const StateAttestation& a) {
  Writer w;
  w.Fixed(AsBytes(kAttestationDomain));
  w.Var(AsBytes(chain_id));
  EncodeAttestationFields(w, a);
  return w.Take();
}

Bytes EncodeStateCertificate(const StateCertificate& c) {
  Writer w;
  EncodeAttestationFields(w, c.data);
  w.U32(static_cast<uint32_t>(c.signatures.size()));
  for (const auto& [signer, sig] : c.signatures) {
    w.U32(signer);
    w.Fixed(sig);
  }
  return w.Take();
}

Result<StateCertificate> DecodeStateCertificate(ByteView b) {
  Reader r(b);
  StateCertificate c;
  LAUREL_RETURN_IF_ERROR(DecodeAttestationFields(r, &c.data));
  LAUREL_ASSIGN_OR_RETURN(uint32_t n, r.U32());
  if (n > cs::kMaxSigners) return Status::Corruption("too many certificate signatures");
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t signer = 0;
    crypto::Signature sig{};
    LAUREL_ASSIGN_OR_RETURN(signer, r.U32());
    LAUREL_RETURN_IF_ERROR(r.Fixed(sig.data(), sig.size()));
    c.signatures.emplace_back(signer, sig);
  }
  if (!r.done()) return Status::Corruption("trailing bytes after a state certificate");
  return c;
}

Bytes EncodeWire(const WireMessage& m) {
  Writer w;
  std::visit(Overloaded{
                 [&](const cs::Message& c) { EncodeConsensus(w, c); },
                 [&](const FetchRequestMsg& f) {
                   w.U8(static_cast<uint8_t>(Kind::kFetchRequest));
                   w.Fixed(f.id);
                   w.U32(f.count);
                 },
                 [&](const FetchResponseMsg& f) {
                   w.U8(static_cast<uint8_t>(Kind::kFetchResponse));
                   w.U32(static_cast<uint32_t>(f.blocks.size()));
                   for (const auto& b : f.blocks) cs::EncodeBlock(w, b);
                 },
                 [&](const TxBatchMsg& t) {
                   w.U8(static_cast<uint8_t>(Kind::kTxBatch));
                   w.U32(static_cast<uint32_t>(t.txs.size()));
                   for (const auto& tx : t.txs) w.Var(tx);
                 },
                 [&](const SyncRequestMsg& s) {
                   w.U8(static_cast<uint8_t>(Kind::kSyncRequest));
                   w.U64(s.from_height);
                   w.U32(s.max_blocks);
                 },
                 [&](const SyncResponseMsg& s) {
                   w.U8(static_cast<uint8_t>(Kind::kSyncResponse));
                   w.U64(s.peer_height);
                   w.U32(static_cast<uint32_t>(s.blocks.size()));
                   for (const auto& b : s.blocks) {
                     cs::EncodeBlock(w, b.block);
                     cs::EncodeQc(w, b.block_qc);
                     cs::EncodeQc(w, b.commit_qc);
                     // Flags: 1 a certificate follows, 2 the batches' transactions follow.
                     w.U8(static_cast<uint8_t>((b.certificate ? 1 : 0) |
                                               (b.batches.empty() ? 0 : 2)));
                     if (b.certificate) w.Var(EncodeStateCertificate(*b.certificate));
                     if (!b.batches.empty()) {
                       w.U32(static_cast<uint32_t>(b.batches.size()));
                       for (const auto& txs : b.batches) {
                         w.U32(static_cast<uint32_t>(txs.size()));
                         for (const Bytes& tx : txs) w.Var(tx);
                       }
                     }
                   }
                 },
                 [&](const AttestationMsg& a) {
                   w.U8(static_cast<uint8_t>(Kind::kAttestation));
                   EncodeAttestationFields(w, a.attestation);
                   w.U32(a.attestation.signer);
                   w.Fixed(a.attestation.signature);
                 },
                 [&](const HelloMsg& h) {
                   w.U8(static_cast<uint8_t>(Kind::kHello));
                   w.U64(h.height);
                 },
                 [&](const BatchMsg& b) {
                   w.U8(static_cast<uint8_t>(Kind::kBatch));
                   EncodeBatch(w, b.batch);
                 },
                 [&](const BatchAckMsg& a) {
                   w.U8(static_cast<uint8_t>(Kind::kBatchAck));
                   EncodeBatchInfo(w, a.ack.info);
                   w.U32(a.ack.signer);
                   w.Fixed(a.ack.signature);
                 },
                 [&](const BatchRequestMsg& q) {
                   w.U8(static_cast<uint8_t>(Kind::kBatchRequest));
                   EncodeBatchInfo(w, q.info);
                 },
                 [&](const BatchResponseMsg& a) {
                   w.U8(static_cast<uint8_t>(Kind::kBatchResponse));
                   EncodeBatchInfo(w, a.info);
                   w.U8(a.batch ? 1 : 0);
                   if (a.batch) EncodeBatch(w, *a.batch);
                 },
                 [&](const ProofMsg& p) {
                   w.U8(static_cast<uint8_t>(Kind::kProof));
                   EncodeProof(w, p.proof);
                 },
             },
             m);
  return w.Take();
}

Result<WireMessage> DecodeWire(ByteView b) {
  Reader r(b);
  LAUREL_ASSIGN_OR_RETURN(uint8_t kind_byte, r.U8());
  WireMessage out;
  switch (static_cast<Kind>(kind_byte)) {
    case Kind::kProposal: {
      cs::ProposalMsg p;
      LAUREL_ASSIGN_OR_RETURN(p.block, cs::DecodeBlock(r));
      LAUREL_ASSIGN_OR_RETURN(p.sync, DecodeSyncInfo(r));
      out = cs::Message(std::move(p));
      break;
    }
    case Kind::kVote: {
      cs::VoteMsg v;
      LAUREL_ASSIGN_OR_RETURN(v.vote, cs::DecodeVote(r));
      LAUREL_ASSIGN_OR_RETURN(v.sync, DecodeSyncInfo(r));
      out = cs::Message(std::move(v));
      break;
    }
    case Kind::kTimeout: {
      cs::TimeoutMsg t;
      LAUREL_ASSIGN_OR_RETURN(t.timeout, DecodeTimeoutVote(r));
      LAUREL_ASSIGN_OR_RETURN(t.sync, DecodeSyncInfo(r));
      out = cs::Message(std::move(t));
      break;
    }
    case Kind::kSync: {
      cs::SyncMsg s;
      LAUREL_ASSIGN_OR_RETURN(s.sync, DecodeSyncInfo(r));
      out = cs::Message(std::move(s));
      break;
    }
    case Kind::kFetchRequest: {
      FetchRequestMsg f;
      LAUREL_RETURN_IF_ERROR(r.Fixed(f.id.data(), 32));
      LAUREL_ASSIGN_OR_RETURN(f.count, r.U32());
      out = f;
      break;
    }
    case Kind::kFetchResponse: {
      FetchResponseMsg f;
      LAUREL_ASSIGN_OR_RETURN(uint32_t n, r.U32());
      if (n > kMaxFetchBlocks) return Status::Corruption("too many blocks in a fetch response");
      for (uint32_t i = 0; i < n; ++i) {
        LAUREL_ASSIGN_OR_RETURN(cs::Block blk, cs::DecodeBlock(r));
        f.blocks.push_back(std::move(blk));
      }
      out = std::move(f);
      break;
    }
    case Kind::kTxBatch: {
      TxBatchMsg t;
      LAUREL_ASSIGN_OR_RETURN(uint32_t n, r.U32());
      if (n > kMaxBatchTxs) return Status::Corruption("too many transactions in a batch");
      for (uint32_t i = 0; i < n; ++i) {
        LAUREL_ASSIGN_OR_RETURN(Bytes tx, r.Var(kMaxTxBytes));
        t.txs.push_back(std::move(tx));
      }
      out = std::move(t);
      break;
    }
    case Kind::kSyncRequest: {
      SyncRequestMsg s;
      LAUREL_ASSIGN_OR_RETURN(s.from_height, r.U64());
      LAUREL_ASSIGN_OR_RETURN(s.max_blocks, r.U32());
      out = s;
      break;
    }
    case Kind::kSyncResponse: {
      SyncResponseMsg s;
      LAUREL_ASSIGN_OR_RETURN(s.peer_height, r.U64());
      LAUREL_ASSIGN_OR_RETURN(uint32_t n, r.U32());
      if (n > kMaxFetchBlocks) return Status::Corruption("too many blocks in a sync response");
      for (uint32_t i = 0; i < n; ++i) {
        SyncBlock sb;
        LAUREL_ASSIGN_OR_RETURN(sb.block, cs::DecodeBlock(r));
        LAUREL_ASSIGN_OR_RETURN(sb.block_qc, cs::DecodeQc(r));
        LAUREL_ASSIGN_OR_RETURN(sb.commit_qc, cs::DecodeQc(r));
        LAUREL_ASSIGN_OR_RETURN(uint8_t flags, r.U8());
        if (flags > 3) return Status::Corruption("bad flags in a sync response");
        if ((flags & 1) != 0) {
          LAUREL_ASSIGN_OR_RETURN(Bytes cert, r.Var(kMaxCertificateBytes));
          LAUREL_ASSIGN_OR_RETURN(sb.certificate, DecodeStateCertificate(cert));
        }
        if ((flags & 2) != 0) {
          LAUREL_ASSIGN_OR_RETURN(uint32_t nb, r.U32());
          if (nb == 0 || nb > kMaxPayloadBatches) {
            return Status::Corruption("bad batch count in a sync response");
          }
          for (uint32_t j = 0; j < nb; ++j) {
            LAUREL_ASSIGN_OR_RETURN(uint32_t nt, r.U32());
            if (nt == 0 || nt > kMaxBatchTxCount) {
              return Status::Corruption("bad transaction count of a batch in a sync response");
            }
            std::vector<Bytes> txs;
            size_t bytes = 0;
            for (uint32_t k = 0; k < nt; ++k) {
              LAUREL_ASSIGN_OR_RETURN(Bytes tx, r.Var(kMaxTxBytes));
              bytes += tx.size();
              if (bytes > kMaxBatchBytes) {
                return Status::Corruption("a batch over its size cap in a sync response");
              }
              txs.push_back(std::move(tx));
            }
            sb.batches.push_back(std::move(txs));
          }
        }
        s.blocks.push_back(std::move(sb));
      }
      out = std::move(s);
      break;
    }
    case Kind::kAttestation: {
      AttestationMsg a;
      LAUREL_RETURN_IF_ERROR(DecodeAttestationFields(r, &a.attestation));
      LAUREL_ASSIGN_OR_RETURN(a.attestation.signer, r.U32());
      LAUREL_RETURN_IF_ERROR(
          r.Fixed(a.attestation.signature.data(), a.attestation.signature.size()));
      out = a;
      break;
    }
    case Kind::kHello: {
      HelloMsg h;
      LAUREL_ASSIGN_OR_RETURN(h.height, r.U64());
      out = h;
      break;
    }
    case Kind::kBatch: {
      BatchMsg m;
      LAUREL_ASSIGN_OR_RETURN(m.batch, DecodeBatch(r));
      out = std::move(m);
      break;
    }
    case Kind::kBatchAck: {
      BatchAckMsg a;
      LAUREL_ASSIGN_OR_RETURN(a.ack.info, DecodeBatchInfo(r));
      LAUREL_ASSIGN_OR_RETURN(a.ack.signer, r.U32());
      LAUREL_RETURN_IF_ERROR(r.Fixed(a.ack.signature.data(), a.ack.signature.size()));
      out = a;
      break;
    }
    case Kind::kBatchRequest: {
      BatchRequestMsg q;
      LAUREL_ASSIGN_OR_RETURN(q.info, DecodeBatchInfo(r));
      out = q;
      break;
    }
    case Kind::kBatchResponse: {
      BatchResponseMsg a;
      LAUREL_ASSIGN_OR_RETURN(a.info, DecodeBatchInfo(r));
      LAUREL_ASSIGN_OR_RETURN(uint8_t has_batch, r.U8());
      if (has_batch > 1) return Status::Corruption("bad batch flag in a batch response");
      if (has_batch == 1) {
        LAUREL_ASSIGN_OR_RETURN(Batch b, DecodeBatch(r));
        a.batch = std::move(b);
      }
      out = std::move(a);
      break;
    }
    case Kind::kProof: {
      ProofMsg p;
      LAUREL_ASSIGN_OR_RETURN(p.proof, DecodeProof(r));
      out = std::move(p);
      break;
    }
    default:
      return Status::Corruption("unknown message kind " + std::to_string(kind_byte));
  }
  if (!r.done()) return Status::Corruption("trailing bytes after a message");
  return out;
}

Bytes EncodeCommitProof(const cs::QuorumCert& block_qc, const cs::QuorumCert& commit_qc) {
  Writer w;
  cs::EncodeQc(w, block_qc);
  cs::EncodeQc(w, commit_qc);
  return w.Take();
}

Status DecodeCommitProof(ByteView b, cs::QuorumCert* block_qc, cs::QuorumCert* commit_qc) {
  Reader r(b);
  LAUREL_ASSIGN_OR_RETURN(*block_qc, cs::DecodeQc(r));
  LAUREL_ASSIGN_OR_RETURN(*commit_qc, cs::DecodeQc(r));
  if (!r.done()) return Status::Corruption("trailing bytes after a commit proof");
  return Status::Ok();
}

Bytes EncodeStoredHeader(const cs::Block& b, bool keep_payload) {
  Writer w;
  w.U8(keep_payload ? 1 : 0);
  if (keep_payload) {
    cs::EncodeBlock(w, b);
  } else {
    cs::Block stripped = b;
    stripped.payload.clear();
    cs::EncodeBlock(w, stripped);
  }
  return w.Take();
}

Result<cs::Block> DecodeStoredHeader(ByteView b, bool* payload_kept) {
  Reader r(b);
  LAUREL_ASSIGN_OR_RETURN(uint8_t flag, r.U8());
  if (flag > 1) return Status::Corruption("bad stored header flag");
  *payload_kept = flag == 1;
  LAUREL_ASSIGN_OR_RETURN(cs::Block blk, cs::DecodeBlock(r));
  if (!r.done()) return Status::Corruption("trailing bytes after a stored header");
  if (flag == 0 && !blk.payload.empty()) {
    return Status::Corruption("stored header flagged stripped carries a payload");
  }
  return blk;
}

}  // namespace laurel::node
