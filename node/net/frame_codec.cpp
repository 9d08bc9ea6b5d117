#include "node/net/frame_codec.h"

#include <algorithm>
#include <string>

namespace laurel::net {
namespace {
// The payload buffer grows with the data actually received instead of being reserved at the
// declared length, so a peer cannot make us allocate max_frame_size by sending a header alone.
constexpr size_t kInitialReserve = size_t{64} * 1024;
}  // namespace

std::array<uint8_t, kFrameHeaderSize> EncodeFrameHeader(uint32_t payload_size) {
  return {static_cast<uint8_t>(payload_size >> 24), static_cast<uint8_t>(payload_size >> 16),
          static_cast<uint8_t>(payload_size >> 8), static_cast<uint8_t>(payload_size)};
}

Result<Bytes> EncodeFrame(ByteView payload, uint32_t max_frame_size) {
  if (payload.size() > max_frame_size) {
    return Status::InvalidArgument("frame payload of " + std::to_string(payload.size()) +
                                   " bytes exceeds the maximum of " +
                                   std::to_string(max_frame_size));
  }
  const auto header = EncodeFrameHeader(static_cast<uint32_t>(payload.size()));
  Bytes out;
  out.reserve(kFrameHeaderSize + payload.size());
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

FrameDecoder::FrameDecoder(uint32_t max_frame_size) : max_frame_size_(max_frame_size) {}

Status FrameDecoder::Feed(ByteView data, std::vector<Bytes>& frames) {
  if (!error_.ok()) return error_;
  size_t pos = 0;
  while (pos < data.size()) {
    if (header_filled_ < kFrameHeaderSize) {
      const size_t n = std::min(kFrameHeaderSize - header_filled_, data.size() - pos);
      std::copy_n(data.begin() + static_cast<std::ptrdiff_t>(pos), n,
                  header_.begin() + static_cast<std::ptrdiff_t>(header_filled_));
      header_filled_ += n;
      pos += n;
      if (header_filled_ < kFrameHeaderSize) break;
      payload_size_ = (uint32_t{header_[0]} << 24) | (uint32_t{header_[1]} << 16) |
                      (uint32_t{header_[2]} << 8) | uint32_t{header_[3]};
      if (payload_size_ > max_frame_size_) {
        error_ =
            Status::InvalidArgument("frame length " + std::to_string(payload_size_) +
                                    " exceeds the maximum of " + std::to_string(max_frame_size_));
        payload_.clear();
        return error_;
      }
      payload_.clear();
      payload_.reserve(std::min<size_t>(payload_size_, kInitialReserve));
    }
    const size_t n = std::min<size_t>(payload_size_ - payload_.size(), data.size() - pos);
    payload_.insert(payload_.end(), data.begin() + static_cast<std::ptrdiff_t>(pos),
                    data.begin() + static_cast<std::ptrdiff_t>(pos + n));
    pos += n;
    if (payload_.size() == payload_size_) {
      frames.push_back(std::move(payload_));
      payload_ = Bytes();
      header_filled_ = 0;
      payload_size_ = 0;
    }
  }
  return Status::Ok();
}

}  // namespace laurel::net
