// Frame codec for the P2P transport: a frame is a u32 big-endian payload length followed by
// that many payload bytes. Payloads are opaque (the node puts protobuf messages in them).
//
// The codec is pure (no sockets, no clocks) so it can be unit-tested and fuzzed directly.
//
// Thread safety: a FrameDecoder is not thread-safe; each connection owns one. The free
// functions are safe to call concurrently.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"

namespace laurel::net {

constexpr size_t kFrameHeaderSize = 4;
constexpr uint32_t kDefaultMaxFrameSize = 4u << 20;  // 4 MiB

// The 4-byte header for a payload of `payload_size` bytes.
std::array<uint8_t, kFrameHeaderSize> EncodeFrameHeader(uint32_t payload_size);

// Header followed by payload. kInvalidArgument if the payload exceeds max_frame_size.
Result<Bytes> EncodeFrame(ByteView payload, uint32_t max_frame_size = kDefaultMaxFrameSize);

// Incremental decoder: feed it bytes as they arrive in any split (a header may be cut anywhere,
// several frames may arrive in one read) and it returns each complete payload once.
//
// A declared length above max_frame_size is the only malformed input a length prefix can carry;
// it is reported as kInvalidArgument ("the peer sent garbage") as soon as the 4 header bytes are
// in, without waiting for (or buffering) the payload. After an error the decoder is poisoned:
// every later Feed returns the same error and yields nothing, so the caller must drop the
// connection. Memory held is bounded by max_frame_size plus the header.
class FrameDecoder {
 public:
  explicit FrameDecoder(uint32_t max_frame_size = kDefaultMaxFrameSize);

  // Consumes all of `data`. Appends every payload completed by it to `frames`, in order, and
  // returns OK; or returns the error, after appending the payloads that completed before the
  // bad header.
  Status Feed(ByteView data, std::vector<Bytes>& frames);

  uint32_t max_frame_size() const { return max_frame_size_; }
  // Bytes received but not yet returned as a frame (partial header plus partial payload).
  size_t buffered() const { return header_filled_ + payload_.size(); }
  bool failed() const { return !error_.ok(); }

 private:
  uint32_t max_frame_size_;
  std::array<uint8_t, kFrameHeaderSize> header_{};
  size_t header_filled_ = 0;
  uint32_t payload_size_ = 0;  // valid once header_filled_ == kFrameHeaderSize
  Bytes payload_;
  Status error_;
};

}  // namespace laurel::net
