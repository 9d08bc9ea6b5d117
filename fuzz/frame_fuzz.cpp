// The P2P frame decoder (node/net/frame_codec.h) fed the bytes of a connection in arbitrary
// splits. It never crashes, never buffers more than the frame limit, yields the same frames
// whatever the split, and the frames it yields re-encode to a prefix of the stream.
#include "fuzz/fuzz_util.h"
#include "node/net/frame_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace laurel;
  if (size < 2) return 0;
  // A small limit (64..319 bytes) so that over-limit headers are reachable.
  const uint32_t max_frame = 64 + data[0];
  const uint8_t split_seed = data[1];
  const ByteView stream = fuzz::View(data + 2, size - 2);

  net::FrameDecoder whole(max_frame);
  std::vector<Bytes> frames_whole;
  const Status st_whole = whole.Feed(stream, frames_whole);

  net::FrameDecoder pieces(max_frame);
  std::vector<Bytes> frames_pieces;
  Status st_pieces;
  size_t off = 0, step = 1 + split_seed % 7;
  while (off < stream.size()) {
    const size_t n = std::min(step, stream.size() - off);
    st_pieces = pieces.Feed(stream.subspan(off, n), frames_pieces);
    FUZZ_CHECK(pieces.buffered() <= max_frame + net::kFrameHeaderSize);
    off += n;
    step = 1 + (step * 5 + split_seed) % 13;
  }
  FUZZ_CHECK(st_whole.ok() == !pieces.failed());
  FUZZ_CHECK(frames_whole == frames_pieces);

  Bytes again;
  for (const auto& f : frames_whole) {
    auto enc = net::EncodeFrame(f, max_frame);
    FUZZ_CHECK(enc.ok());
    again.insert(again.end(), enc->begin(), enc->end());
  }
  FUZZ_CHECK(again.size() <= stream.size() &&
             std::equal(again.begin(), again.end(), stream.begin()));
  return 0;
}
