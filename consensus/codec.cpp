#include "consensus/codec.h"

namespace laurel::consensus {

void Writer::U32(uint32_t v) {
  for (int i = 3; i >= 0; --i) out_.push_back(static_cast<uint8_t>((v >> (8 * i)) & 0xff));
}
void Writer::U64(uint64_t v) {
  for (int i = 7; i >= 0; --i) out_.push_back(static_cast<uint8_t>((v >> (8 * i)) & 0xff));
}
void Writer::Var(ByteView b) {
  U32(static_cast<uint32_t>(b.size()));
  Fixed(b);
}

Result<uint8_t> Reader::U8() {
  if (in_.size() - pos_ < 1) return Status::Corruption("truncated u8");
  return in_[pos_++];
}
Result<uint32_t> Reader::U32() {
  if (in_.size() - pos_ < 4) return Status::Corruption("truncated u32");
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | in_[pos_++];
  return v;
}
Result<uint64_t> Reader::U64() {
  if (in_.size() - pos_ < 8) return Status::Corruption("truncated u64");
  uint64_t v = ReadU64BE(in_.data() + pos_);
  pos_ += 8;
  return v;
}
Status Reader::Fixed(uint8_t* dst, size_t n) {
  if (in_.size() - pos_ < n) return Status::Corruption("truncated field");
  std::copy(in_.begin() + pos_, in_.begin() + pos_ + n, dst);
  pos_ += n;
  return Status::Ok();
}
Result<Bytes> Reader::Var(size_t max_len) {
  LAUREL_ASSIGN_OR_RETURN(uint32_t n, U32());
  if (n > max_len) return Status::Corruption("byte string too long");
  // The bytes must be there before anything is allocated for them.
  if (in_.size() - pos_ < n) return Status::Corruption("truncated field");
  Bytes b(n);
  LAUREL_RETURN_IF_ERROR(Fixed(b.data(), n));
  return b;
}

void EncodeVoteData(Writer& w, const VoteData& d) {
  w.U64(d.epoch);
  w.U64(d.round);
  w.Fixed(d.block_id);
  w.U64(d.parent_round);
  w.Fixed(d.parent_id);
}

Result<VoteData> DecodeVoteData(Reader& r) {
  VoteData d;
  LAUREL_ASSIGN_OR_RETURN(d.epoch, r.U64());
  LAUREL_ASSIGN_OR_RETURN(d.round, r.U64());
  LAUREL_RETURN_IF_ERROR(r.Fixed(d.block_id.data(), 32));
  LAUREL_ASSIGN_OR_RETURN(d.parent_round, r.U64());
  LAUREL_RETURN_IF_ERROR(r.Fixed(d.parent_id.data(), 32));
  return d;
}

void EncodeQc(Writer& w, const QuorumCert& qc) {
  EncodeVoteData(w, qc.data);
  w.U32(static_cast<uint32_t>(qc.signatures.size()));
  for (const auto& [signer, sig] : qc.signatures) {
    w.U32(signer);
    w.Fixed(sig);
  }
}

Result<QuorumCert> DecodeQc(Reader& r) {
  QuorumCert qc;
  LAUREL_ASSIGN_OR_RETURN(qc.data, DecodeVoteData(r));
  LAUREL_ASSIGN_OR_RETURN(uint32_t n, r.U32());
  if (n > kMaxSigners) return Status::Corruption("too many QC signatures");
  qc.signatures.resize(n);
  for (auto& [signer, sig] : qc.signatures) {
    LAUREL_ASSIGN_OR_RETURN(signer, r.U32());
    LAUREL_RETURN_IF_ERROR(r.Fixed(sig.data(), sig.size()));
  }
  return qc;
}

void EncodeVote(Writer& w, const Vote& v) {
  EncodeVoteData(w, v.data);
  w.U32(v.signer);
  w.Fixed(v.signature);
}

Result<Vote> DecodeVote(Reader& r) {
  Vote v;
  LAUREL_ASSIGN_OR_RETURN(v.data, DecodeVoteData(r));
  LAUREL_ASSIGN_OR_RETURN(v.signer, r.U32());
  LAUREL_RETURN_IF_ERROR(r.Fixed(v.signature.data(), v.signature.size()));
  return v;
}

void EncodeTc(Writer& w, const TimeoutCert& tc) {
  w.U64(tc.epoch);
  w.U64(tc.round);
  EncodeQc(w, tc.high_qc);
  w.U32(static_cast<uint32_t>(tc.entries.size()));
  for (const TimeoutEntry& e : tc.entries) {
    w.U32(e.signer);
    w.U64(e.hqc_round);
    w.Fixed(e.signature);
  }
}

Result<TimeoutCert> DecodeTc(Reader& r) {
  TimeoutCert tc;
  LAUREL_ASSIGN_OR_RETURN(tc.epoch, r.U64());
  LAUREL_ASSIGN_OR_RETURN(tc.round, r.U64());
  LAUREL_ASSIGN_OR_RETURN(tc.high_qc, DecodeQc(r));
  LAUREL_ASSIGN_OR_RETURN(uint32_t n, r.U32());
  if (n > kMaxSigners) return Status::Corruption("too many TC entries");
  tc.entries.resize(n);
  for (TimeoutEntry& e : tc.entries) {
    LAUREL_ASSIGN_OR_RETURN(e.signer, r.U32());
    LAUREL_ASSIGN_OR_RETURN(e.hqc_round, r.U64());
    LAUREL_RETURN_IF_ERROR(r.Fixed(e.signature.data(), e.signature.size()));
  }
  return tc;
}

void EncodeBlock(Writer& w, const Block& b) {
  w.U64(b.epoch);
  w.U64(b.round);
  w.U64(b.height);
  w.Fixed(b.parent_id);
  EncodeQc(w, b.qc);
  w.Var(b.payload);
  w.U64(b.timestamp_ms);
  w.U32(b.proposer);
  w.Fixed(b.signature);
}

Result<Block> DecodeBlock(Reader& r) {
  Block b;
  LAUREL_ASSIGN_OR_RETURN(b.epoch, r.U64());
  LAUREL_ASSIGN_OR_RETURN(b.round, r.U64());
  LAUREL_ASSIGN_OR_RETURN(b.height, r.U64());
  LAUREL_RETURN_IF_ERROR(r.Fixed(b.parent_id.data(), 32));
  LAUREL_ASSIGN_OR_RETURN(b.qc, DecodeQc(r));
  LAUREL_ASSIGN_OR_RETURN(b.payload, r.Var(kMaxPayload));
  LAUREL_ASSIGN_OR_RETURN(b.timestamp_ms, r.U64());
  LAUREL_ASSIGN_OR_RETURN(b.proposer, r.U32());
  LAUREL_RETURN_IF_ERROR(r.Fixed(b.signature.data(), b.signature.size()));
  b.id = ComputeBlockId(b);
  return b;
}

}  // namespace laurel::consensus
