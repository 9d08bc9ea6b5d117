#include "node/epochs.h"

#include <algorithm>

#include "consensus/codec.h"
#include "crypto/sha256.h"

namespace laurel::node {

namespace {
constexpr uint8_t kEpochVersion = 1;
constexpr size_t kMaxValidators = 1024;
constexpr size_t kMaxField = 1024;

void PutValidator(consensus::Writer& w, const types::Validator& v) {
  w.Fixed(v.public_key);
  w.Var(AsBytes(v.name));
  w.Var(AsBytes(v.address));
}
}  // namespace

Hash32 ValidatorSetHash(const std::vector<types::Validator>& validators) {
  consensus::Writer w;
  w.Fixed(AsBytes(kValidatorSetDomain));
  w.U32(static_cast<uint32_t>(validators.size()));
  for (const auto& v : validators) PutValidator(w, v);
  const Bytes b = w.Take();
  return crypto::Sha256Of(b);
}

std::vector<crypto::PublicKey> ValidatorKeys(const std::vector<types::Validator>& validators) {
  std::vector<crypto::PublicKey> keys;
  keys.reserve(validators.size());
  for (const auto& v : validators) {
    crypto::PublicKey k{};
    std::copy_n(v.public_key.begin(), std::min(v.public_key.size(), k.size()), k.begin());
    keys.push_back(k);
  }
  return keys;
}

Bytes EncodeEpoch(const Epoch& e) {
  consensus::Writer w;
  w.U8(kEpochVersion);
  w.U64(e.epoch);
  w.U64(e.start_height);
  w.Fixed(e.root_id);
  w.U32(static_cast<uint32_t>(e.validators.size()));
  for (const auto& v : e.validators) PutValidator(w, v);
  return w.Take();
}

Result<Epoch> DecodeEpoch(ByteView b) {
  consensus::Reader r(b);
  LAUREL_ASSIGN_OR_RETURN(uint8_t version, r.U8());
  if (version != kEpochVersion) return Status::Corruption("unknown epoch record version");
  Epoch e;
  LAUREL_ASSIGN_OR_RETURN(e.epoch, r.U64());
  LAUREL_ASSIGN_OR_RETURN(e.start_height, r.U64());
  LAUREL_RETURN_IF_ERROR(r.Fixed(e.root_id.data(), e.root_id.size()));
  LAUREL_ASSIGN_OR_RETURN(uint32_t n, r.U32());
  if (n == 0 || n > kMaxValidators) return Status::Corruption("epoch record: bad validator count");
  for (uint32_t i = 0; i < n; ++i) {
    types::Validator v;
    v.public_key.resize(32);
    LAUREL_RETURN_IF_ERROR(r.Fixed(v.public_key.data(), 32));
    LAUREL_ASSIGN_OR_RETURN(Bytes name, r.Var(kMaxField));
    LAUREL_ASSIGN_OR_RETURN(Bytes address, r.Var(kMaxField));
    v.name.assign(name.begin(), name.end());
    v.address.assign(address.begin(), address.end());
    e.validators.push_back(std::move(v));
  }
  if (!r.done()) return Status::Corruption("epoch record: trailing bytes");
  return e;
}

std::string EpochRecordName(uint64_t epoch) {
  std::string name(kEpochRecordPrefix);
  AppendU64BE(name, epoch);
  return name;
}

Status EpochHistory::Add(Epoch e) {
  const uint64_t want = epochs_.empty() ? 0 : epochs_.back().epoch + 1;
  if (e.epoch != want) {
    return Status::InvalidArgument("epoch " + std::to_string(e.epoch) + " is not the next one (" +
                                   std::to_string(want) + ")");
  }
  if (!epochs_.empty() && e.start_height <= epochs_.back().start_height) {
    return Status::InvalidArgument("epoch " + std::to_string(e.epoch) +
                                   " does not start above the previous one");
  }
  if (e.validators.empty()) return Status::InvalidArgument("epoch without validators");
  epochs_.push_back(std::move(e));
  return Status::Ok();
}

const Epoch* EpochHistory::ForHeight(uint64_t height) const {
  if (height == 0) return nullptr;
  for (auto it = epochs_.rbegin(); it != epochs_.rend(); ++it) {
    if (it->start_height <= height) return &*it;
  }
  return nullptr;
}

std::optional<uint64_t> EpochHistory::EndHeight(uint64_t epoch) const {
  if (epoch + 1 >= epochs_.size()) return std::nullopt;
  return epochs_[epoch + 1].start_height - 1;
}

}  // namespace laurel::node
