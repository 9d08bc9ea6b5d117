// The consensus codec's objects one by one (consensus/codec.h), chosen by the first byte: vote
// data, QC, vote, TC, block. Decoding never crashes and a decoded object re-encodes to exactly
// the bytes it was read from.
#include "consensus/codec.h"
#include "fuzz/fuzz_util.h"

namespace {
using namespace laurel;
namespace cs = laurel::consensus;

template <class T, class Dec, class Enc>
void RoundTrip(ByteView in, Dec decode, Enc encode) {
  cs::Reader r(in);
  Result<T> v = decode(r);
  if (!v.ok() || !r.done()) return;
  cs::Writer w;
  encode(w, *v);
  FUZZ_CHECK(fuzz::SameBytes(w.Take(), in));
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const ByteView in = fuzz::View(data + 1, size - 1);
  switch (data[0] % 5) {
    case 0:
      RoundTrip<cs::VoteData>(in, cs::DecodeVoteData, cs::EncodeVoteData);
      break;
    case 1:
      RoundTrip<cs::QuorumCert>(in, cs::DecodeQc, cs::EncodeQc);
      break;
    case 2:
      RoundTrip<cs::Vote>(in, cs::DecodeVote, cs::EncodeVote);
      break;
    case 3:
      RoundTrip<cs::TimeoutCert>(in, cs::DecodeTc, cs::EncodeTc);
      break;
    case 4:
      RoundTrip<cs::Block>(in, cs::DecodeBlock, cs::EncodeBlock);
      break;
  }
  return 0;
}
