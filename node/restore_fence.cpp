#include "node/restore_fence.h"

#include <algorithm>

#include "consensus/engine.h"
#include "consensus/safety_rules.h"

namespace laurel::node {
namespace {

static_assert(kProposerClockAheadMs == consensus::Engine::kMaxBlockTimeAheadMs,
              "the fence must allow for the block time bound honest validators vote under");

constexpr uint8_t kFenceVersion = 1;
constexpr size_t kFenceBytes = 1 + 3 * 8;

void PutU64(Bytes& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
uint64_t GetU64(ByteView b, size_t at) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | b[at + i];
  return v;
}

}  // namespace

Bytes EncodeRestoreFence(const RestoreFence& f) {
  Bytes out;
  out.reserve(kFenceBytes);
  out.push_back(kFenceVersion);
  PutU64(out, f.backup_height);
  PutU64(out, f.backup_last_voted_round);
  PutU64(out, f.wait_ms);
  return out;
}

Result<RestoreFence> DecodeRestoreFence(ByteView b) {
  if (b.size() != kFenceBytes || b[0] != kFenceVersion) {
    return Status::Corruption("restore fence record: " + std::to_string(b.size()) +
                              " bytes, expected version 1 of " + std::to_string(kFenceBytes));
  }
  return RestoreFence{GetU64(b, 1), GetU64(b, 9), GetU64(b, 17)};
}

Result<Bytes> RaiseSafetyRecord(const std::optional<Bytes>& stored, const RestoreFence& fence,
                                uint64_t epoch, consensus::Round block_round,
                                const consensus::QuorumCert& block_qc) {
  const consensus::Round floor = std::max(block_round, fence.backup_last_voted_round) + 1;
  consensus::SafetyRecord rec;
  bool fresh = true;
  if (stored) {
    LAUREL_ASSIGN_OR_RETURN(rec, consensus::DecodeSafetyRecord(*stored));
    if (rec.epoch > epoch) {
      return Status::Corruption("the safety record is of epoch " + std::to_string(rec.epoch) +
                                ", later than the chain's " + std::to_string(epoch));
    }
    fresh = rec.epoch < epoch;
  }
  if (fresh) {
    rec = consensus::SafetyRecord{};
    rec.epoch = epoch;
    rec.one_chain_round = block_qc.round();
    rec.one_chain_qc = block_qc;
  }
  rec.last_voted_round = std::max(rec.last_voted_round, floor);
  rec.highest_timeout_round = std::max(rec.highest_timeout_round, floor);
  return consensus::EncodeSafetyRecord(rec);
}

}  // namespace laurel::node
