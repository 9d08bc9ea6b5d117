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
