// Compact, bounds-checked binary encoding of consensus objects (big-endian fixed-width fields,
// u32-length-prefixed byte strings and lists). Decoding returns Corruption on any truncation,
// trailing byte or oversized list; it never aborts on garbage.
#pragma once

#include "common/status.h"
#include "consensus/types.h"

namespace laurel::consensus {

class Writer {
 public:
  void U8(uint8_t v) { out_.push_back(v); }
  void U32(uint32_t v);
  void U64(uint64_t v);
  void Fixed(ByteView b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void Var(ByteView b);
  Bytes Take() { return std::move(out_); }

 private:
  Bytes out_;
};

class Reader {
 public:
  explicit Reader(ByteView in) : in_(in) {}
  Result<uint8_t> U8();
  Result<uint32_t> U32();
  Result<uint64_t> U64();
  Status Fixed(uint8_t* dst, size_t n);
  Result<Bytes> Var(size_t max_len);
  bool done() const { return pos_ == in_.size(); }

 private:
  ByteView in_;
  size_t pos_ = 0;
};

inline constexpr size_t kMaxSigners = 1024;
inline constexpr size_t kMaxPayload = 16 << 20;

void EncodeVoteData(Writer& w, const VoteData& d);
Result<VoteData> DecodeVoteData(Reader& r);
void EncodeQc(Writer& w, const QuorumCert& qc);
Result<QuorumCert> DecodeQc(Reader& r);
void EncodeVote(Writer& w, const Vote& v);
Result<Vote> DecodeVote(Reader& r);
void EncodeTc(Writer& w, const TimeoutCert& tc);
Result<TimeoutCert> DecodeTc(Reader& r);
void EncodeBlock(Writer& w, const Block& b);
// Recomputes the id from the decoded fields.
Result<Block> DecodeBlock(Reader& r);

}  // namespace laurel::consensus
