// Validator-set epochs (docs/spec/consensus.md §13): which validators decide which heights.
//
// Epoch 0 is the genesis set and starts at height 1. A committed block whose execution leaves
// the governance record with another validator list than its epoch's is the epoch's last
// block: the next epoch, with that list, starts at the following height, and its consensus
// starts afresh (round 1) on that block as its root. Every node derives the same boundary from
// the committed chain alone.
//
// EpochHistory is the node's record of the epochs it has seen begin (kept in the store's
// consensus records, "epoch/" || u64be(epoch)); it is a pure value type: no I/O, no threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "consensus/types.h"
#include "types/tx.h"

namespace laurel::node {

inline constexpr std::string_view kValidatorSetDomain{"laurel/validators/v1\0", 21};
inline constexpr std::string_view kEpochRecordPrefix = "epoch/";

struct Epoch {
  uint64_t epoch = 0;
  uint64_t start_height = 1;   // the epoch's first block
  consensus::BlockId root_id{};  // the block at start_height - 1 (the genesis block for epoch 0)
  std::vector<types::Validator> validators;
  bool operator==(const Epoch&) const = default;
};

// SHA-256("laurel/validators/v1\0" || u32be(n) || per validator: key [32] || u32be(len name) ||
// name || u32be(len address) || address): what a state attestation names as the next set.
Hash32 ValidatorSetHash(const std::vector<types::Validator>& validators);
// The consensus keys of a validator list, in order. Keys of another length than 32 bytes are
// refused by the ledger (UpdateValidatorSet), so they never reach here.
std::vector<crypto::PublicKey> ValidatorKeys(const std::vector<types::Validator>& validators);

// u8 version (1) | u64 epoch | u64 start_height | root_id [32] | u32 n | per validator:
// key [32] | var name | var address.
Bytes EncodeEpoch(const Epoch& e);
Result<Epoch> DecodeEpoch(ByteView b);
std::string EpochRecordName(uint64_t epoch);

class EpochHistory {
 public:
  // Appends the next epoch: kInvalidArgument unless e.epoch is one more than the last one's
  // (or 0 when empty) and e.start_height is above the last one's.
  Status Add(Epoch e);
  bool empty() const { return epochs_.empty(); }
  const Epoch& current() const { return epochs_.back(); }
  const std::vector<Epoch>& all() const { return epochs_; }
  // The epoch that decides `height` (>= 1) as far as this history knows: the last epoch whose
  // start is at or below it. Null when empty or height is 0.
  const Epoch* ForHeight(uint64_t height) const;
  const Epoch* Get(uint64_t epoch) const {
    return epoch < epochs_.size() ? &epochs_[epoch] : nullptr;
  }
  // The last block of `epoch`, when a later epoch has begun.
  std::optional<uint64_t> EndHeight(uint64_t epoch) const;

 private:
  std::vector<Epoch> epochs_;
};

}  // namespace laurel::node
