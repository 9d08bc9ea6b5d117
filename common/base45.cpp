#include "common/base45.h"

namespace laurel {
namespace {
constexpr std::string_view kAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

int CharValue(char c) {
  const auto pos = kAlphabet.find(c);
  return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}
}  // namespace

std::string Base45Encode(ByteView data) {
  std::string out;
  out.reserve(data.size() / 2 * 3 + 2);
  size_t i = 0;
  for (; i + 1 < data.size(); i += 2) {
    unsigned n = data[i] * 256u + data[i + 1];
    out.push_back(kAlphabet[n % 45]);
    n /= 45;
    out.push_back(kAlphabet[n % 45]);
    out.push_back(kAlphabet[n / 45]);
  }
  if (i < data.size()) {
    const unsigned n = data[i];
    out.push_back(kAlphabet[n % 45]);
    out.push_back(kAlphabet[n / 45]);
  }
  return out;
}

Result<Bytes> Base45Decode(std::string_view text) {
  if (text.size() % 3 == 1) {
    return Status::InvalidArgument("base45: length " + std::to_string(text.size()) +
                                   " leaves a dangling character");
  }
  Bytes out;
  out.reserve(text.size() / 3 * 2 + 1);
  for (size_t i = 0; i < text.size(); i += 3) {
    const size_t chunk = std::min<size_t>(3, text.size() - i);
    unsigned n = 0;
    unsigned mul = 1;
    for (size_t j = 0; j < chunk; ++j) {
      const int v = CharValue(text[i + j]);
      if (v < 0) {
        return Status::InvalidArgument("base45: invalid character at offset " +
                                       std::to_string(i + j));
      }
      n += static_cast<unsigned>(v) * mul;
      mul *= 45;
    }
    if (chunk == 3) {
      if (n > 0xFFFF) return Status::InvalidArgument("base45: chunk value out of range");
      out.push_back(static_cast<uint8_t>(n >> 8));
      out.push_back(static_cast<uint8_t>(n & 0xFF));
    } else {
      if (n > 0xFF) return Status::InvalidArgument("base45: final chunk value out of range");
      out.push_back(static_cast<uint8_t>(n));
    }
  }
  return out;
}

}  // namespace laurel
