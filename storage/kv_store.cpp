// The Store logic shared by the RocksDB and the memory store (see kv.h).
#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "crypto/sha256.h"
#include "crypto/smt.h"
#include "laurel/v1/state.pb.h"
#include "laurel/v1/tx.pb.h"
#include "storage/kv.h"

namespace laurel::storage {
namespace {

namespace pb = ::laurel::v1;
using keys::Cf;
using keys::HistoryKind;

constexpr size_t kMaxHistoryLimit = 1000;

// A read failure behind an interface without an error channel (StateView, optional
// look-ups): answering "absent" could make a node re-issue a credential or re-accept a
// transaction, so the node stops instead.
[[noreturn]] void FatalRead(const char* what, const Status& st) {
  const std::string msg = std::string(what) + ": " + st.ToString();
  ::laurel::detail::CheckFailed("store read succeeded", msg.c_str(), __FILE__, __LINE__);
}

std::string Serialize(const google::protobuf::MessageLite& m) {
  std::string out;
  LAUREL_CHECK(m.SerializeToString(&out), "protobuf serialization failed");
  return out;
}

std::string HashString(const Hash32& h) { return std::string(h.begin(), h.end()); }

bool ToHash(const std::string& s, Hash32* out) {
  if (s.size() != out->size()) return false;
  std::copy(s.begin(), s.end(), out->begin());
  return true;
}

Status Corrupt(const std::string& what) { return Status::Corruption("store: " + what); }

// The state tree's nodes down to this depth are kept in memory (KvStore::live_nodes_): at most
// 2^17 - 1 nodes (about 25 MB), which at 100k-1M records is all interior nodes above the
// last few levels.
constexpr size_t kCachedTreeDepth = 16;

// The depth a tree node key names (ledger::TreeNodeKey: u64be version || u16be depth || path):
// 0..256, or kOddDepth for a key too short or too deep.
constexpr size_t kOddDepth = crypto::smt::kKeyBits + 1;
size_t TreeKeyDepth(std::string_view node_key) {
  if (node_key.size() < 10) return kOddDepth;
  const size_t depth = (static_cast<size_t>(static_cast<uint8_t>(node_key[8])) << 8) |
                       static_cast<uint8_t>(node_key[9]);
  return std::min(depth, kOddDepth);
}

// The nodes of the newest committed tree at depth <= kCachedTreeDepth, one slot per position
// (depth, path). A tree has one node per position at most, so a slot holds the newest node
// there under its full key (version || depth || path), and a look-up of any other key misses:
// a found node is always the stored one. Finding a slot is arithmetic on the key (no hashing),
// and a slot keeps its buffers, so replacing a node allocates nothing once the slot is warm.
class TreeTop {
 public:
  const std::string* Find(std::string_view key) const {
    const auto at = SlotOf(key);
    if (!at || levels_[at->first].empty()) return nullptr;
    const Entry& e = levels_[at->first][at->second];
    return e.key == key ? &e.value : nullptr;
  }
  void Erase(std::string_view key) {
    const auto at = SlotOf(key);
    if (!at || levels_[at->first].empty()) return;
    Entry& e = levels_[at->first][at->second];
    if (e.key == key) e.key.clear();  // an empty key is never a node key (10 bytes at least)
  }
  void Put(std::string_view key, std::string_view value) {
    const auto at = SlotOf(key);
    if (!at) return;
    auto& level = levels_[at->first];
    if (level.empty()) level.resize(size_t{1} << at->first);
    Entry& e = level[at->second];
    e.key.assign(key);
    e.value.assign(value);
  }

 private:
  struct Entry {
    std::string key;  // empty: no node
    std::string value;
  };
  // (depth, the path's index among the depth's 2^depth positions), or nullopt for a key deeper
  // than kCachedTreeDepth or not of a node key's length.
  static std::optional<std::pair<size_t, size_t>> SlotOf(std::string_view key) {
    const size_t depth = TreeKeyDepth(key);
    if (depth > kCachedTreeDepth) return std::nullopt;
    const size_t path_bytes = (depth + 7) / 8;
    if (key.size() != 10 + path_bytes) return std::nullopt;
    size_t bits = 0;
    for (size_t i = 0; i < path_bytes; ++i) bits = (bits << 8) | static_cast<uint8_t>(key[10 + i]);
    return std::pair{depth, bits >> (8 * path_bytes - depth)};
  }
  std::array<std::vector<Entry>, kCachedTreeDepth + 1> levels_;  // each filled on first use
};

// ---- value encodings (laurel.v1 records of state.proto) ----

void FillMeta(const BlockRecord& b, const ledger::BlockResult& r, pb::BlockMeta* m) {
  m->set_height(b.height);
  m->set_block_id(HashString(b.block_id));
  m->set_parent_id(HashString(b.parent_id));
  m->set_time_ms(b.time_ms);
  m->set_tx_count(static_cast<uint32_t>(b.txs.size()));
  m->set_state_root(HashString(r.state_root));
  m->set_tx_root(HashString(r.tx_root));
}

std::string EncodeBlock(const BlockRecord& b, const ledger::BlockResult& r) {
  pb::StoredBlock m;
  FillMeta(b, r, m.mutable_meta());
  for (const auto& tx : b.txs) {
    auto* t = m.add_txs();
    t->set_body(ToString(tx.body));
    for (const auto& s : tx.signatures) {
      auto* ps = t->add_signatures();
      ps->set_public_key(ToString(s.public_key));
      ps->set_signature(ToString(s.signature));
    }
  }
  m.set_header(ToString(b.header));
  m.set_certificate(ToString(b.certificate));
  for (const auto& o : r.outcomes) m.add_results(static_cast<uint32_t>(o.code));
  return Serialize(m);
}

Result<BlockRecord> DecodeBlock(std::string_view bytes, uint64_t height) {
  pb::StoredBlock m;
  if (!m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Corrupt("block " + std::to_string(height) + " does not decode");
  }
  BlockRecord b;
  const auto& meta = m.meta();
  b.height = meta.height();
  b.time_ms = meta.time_ms();
  if (b.height != height || !ToHash(meta.block_id(), &b.block_id) ||
      !ToHash(meta.parent_id(), &b.parent_id) || !ToHash(meta.state_root(), &b.state_root) ||
      !ToHash(meta.tx_root(), &b.tx_root) ||
      meta.tx_count() != static_cast<uint32_t>(m.txs_size()) || m.results_size() != m.txs_size()) {
    return Corrupt("block " + std::to_string(height) + " has an inconsistent meta record");
  }
  b.txs.reserve(m.txs_size());
  for (const auto& t : m.txs()) {
    types::Tx tx;
    tx.body = ToBytes(t.body());
    for (const auto& s : t.signatures()) {
      tx.signatures.push_back({ToBytes(s.public_key()), ToBytes(s.signature())});
    }
    b.txs.push_back(std::move(tx));
  }
  b.header = ToBytes(m.header());
  b.certificate = ToBytes(m.certificate());
  for (uint32_t code : m.results()) {
    if (code > ledger::kMaxTxCode) {
      return Corrupt("block " + std::to_string(height) + " has an unknown result code");
    }
    b.results.push_back(static_cast<ledger::TxCode>(code));
  }
  return b;
}

// Whether a committed transaction with this result code used up its id: the ledger's rule
// (ledger::ConsumesTxId). A copy that failed to decode or whose signatures are missing or do
// not verify does not, so nobody can burn a pending transaction's id with a forged copy.
bool SpendsId(ledger::TxCode code) { return ledger::ConsumesTxId(code); }

struct Tip {
  uint64_t height = 0;
  Hash32 block_id{};
  Hash32 state_root{};
};

std::string EncodeTip(const BlockRecord& b, const ledger::BlockResult& r) {
  pb::BlockMeta m;
  FillMeta(b, r, &m);
  return Serialize(m);
}

Result<Tip> DecodeTip(std::string_view bytes) {
  pb::BlockMeta m;
  Tip t;
  if (!m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) ||
      !ToHash(m.block_id(), &t.block_id) || !ToHash(m.state_root(), &t.state_root)) {
    return Corrupt("the tip record does not decode");
  }
  t.height = m.height();
  return t;
}

std::string EncodeTxLocation(uint64_t height, uint32_t position, ledger::TxCode code) {
  pb::TxLocation m;
  m.set_height(height);
  m.set_position(position);
  m.set_result(static_cast<uint32_t>(code));
  return Serialize(m);
}

std::string EncodeHistory(const BlockRecord& b, uint32_t position, const ledger::TxOutcome& o) {
  pb::HistoryEntry m;
  m.set_height(b.height);
  m.set_position(position);
  m.set_tx_id(HashString(o.tx_id));
  m.set_action(o.action);
  m.set_signer(ToString(o.signer));
  m.set_result(static_cast<uint32_t>(o.code));
  m.set_time_ms(b.time_ms);
  if (!o.credential_ids.empty()) m.set_credential_id(o.credential_ids.front());
  m.set_issuer_id(o.issuer_id);
  m.set_type(static_cast<uint32_t>(o.type));
  m.set_level(static_cast<uint32_t>(o.level));
  m.set_new_status(o.new_status);
  m.set_reason(o.reason);
  m.set_valid_from(o.valid_from);
  m.set_valid_until(o.valid_until);
  m.set_key_version(o.key_version);
  m.set_signed_as(static_cast<uint32_t>(o.signed_as));
  m.set_signer_issuer_id(o.signer_issuer_id);
  m.set_signer_key_version(o.signer_key_version);
  for (const auto& k : o.signer_admins) m.add_signer_admins(ToString(k));
  return Serialize(m);
}

Result<HistoryEntry> DecodeHistory(std::string_view bytes) {
  pb::HistoryEntry m;
  HistoryEntry e;
  if (!m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) ||
      !ToHash(m.tx_id(), &e.tx_id) || m.result() > ledger::kMaxTxCode) {
    return Corrupt("a history entry does not decode");
  }
  e.height = m.height();
  e.position = m.position();
  e.action = m.action();
  e.signer = ToBytes(m.signer());
  e.code = static_cast<ledger::TxCode>(m.result());
  e.time_ms = m.time_ms();
  if (m.type() > 2 || m.level() > 5 || m.new_status() > 3 ||
      m.signed_as() > static_cast<uint32_t>(ledger::Authority::kGovernance)) {
    return Corrupt("a history entry has an unknown enum value");
  }
  e.credential_id = m.credential_id();
  e.issuer_id = m.issuer_id();
  e.type = static_cast<types::CredentialType>(m.type());
  e.level = static_cast<types::Level>(m.level());
  e.new_status = m.new_status();
  e.reason = m.reason();
  e.valid_from = m.valid_from();
  e.valid_until = m.valid_until();
  e.key_version = m.key_version();
  e.signed_as = static_cast<ledger::Authority>(m.signed_as());
  e.signer_issuer_id = m.signer_issuer_id();
  e.signer_key_version = m.signer_key_version();
  for (const auto& k : m.signer_admins()) e.signer_admins.push_back(ToBytes(k));
  return e;
}

// The entry of a history index key: its value, or, when that is empty, the transaction's one
// record (keys::HistoryRecordKey), which the same batch wrote.
Result<HistoryEntry> ReadHistoryEntry(const Kv& kv, std::string_view suffix,
                                      std::string_view value) {
  if (!value.empty()) return DecodeHistory(value);
  LAUREL_ASSIGN_OR_RETURN(auto record, kv.Get(Cf::kHistory, keys::HistoryRecordKey(suffix)));
  if (!record) return Corrupt("a history key names a history record that is missing");
  return DecodeHistory(*record);
}

// ---- derived indexes (Cf::kIndex) ----

// 2: a transaction's history entry stored once (keys::HistoryRecordKey) when it has two or
// more index keys. A version-1 store (every key holds its entry) reads the same: its meta
// record is rewritten to 2 on open, so a release that reads only version 1 refuses the store
// instead of misreading its empty keys.
constexpr uint32_t kIndexVersion = 2;
constexpr uint32_t kIndexVersionEveryKeyHoldsEntry = 1;
constexpr size_t kRebuildBatch = 10'000;

std::string EncodeCount(uint64_t n) {
  std::string v;
  AppendU64BE(v, n);
  return v;
}

Result<uint64_t> DecodeCount(std::string_view v) {
  if (v.size() != 8) return Corrupt("an index count is not 8 bytes");
  return ReadU64BE(reinterpret_cast<const uint8_t*>(v.data()));
}

keys::Cell CellOf(const ledger::CredentialRecord& c) {
  return {static_cast<uint8_t>(c.status), static_cast<uint8_t>(c.type),
          static_cast<uint8_t>(c.level)};
}

// Every (status, type, level) a credential can be in that matches `f`, in key order: MEMBER
// cards have no level; MODEL_WORKER cards one of the five.
std::vector<keys::Cell> CellsMatching(const CredentialFilter& f) {
  std::vector<keys::Cell> out;
  for (uint8_t st = 1; st <= 3; ++st) {
    if (f.status && static_cast<uint8_t>(*f.status) != st) continue;
    for (uint8_t ty = 1; ty <= 2; ++ty) {
      if (f.type && static_cast<uint8_t>(*f.type) != ty) continue;
      const uint8_t lo = ty == 1 ? 0 : 1;
      const uint8_t hi = ty == 1 ? 0 : 5;
      for (uint8_t lv = lo; lv <= hi; ++lv) {
        if (f.level && static_cast<uint8_t>(*f.level) != lv) continue;
        out.push_back({st, ty, lv});
      }
    }
  }
  return out;
}

std::vector<CountCell> CellsOfCounts(const std::vector<std::pair<keys::Cell, uint64_t>>& raw) {
  std::vector<CountCell> out;
  for (const auto& [c, n] : raw) {
    if (n == 0) continue;
    out.push_back({static_cast<types::CredentialStatus>(c.status),
                   static_cast<types::CredentialType>(c.type), static_cast<types::Level>(c.level),
                   n});
  }
  return out;
}

// Reads every count under `prefix` (cell keys).
Result<std::vector<std::pair<keys::Cell, uint64_t>>> ReadCounts(const Kv& kv,
                                                                std::string_view prefix) {
  std::vector<std::pair<keys::Cell, uint64_t>> out;
  Status bad;
  LAUREL_RETURN_IF_ERROR(kv.Scan(Cf::kIndex, prefix, [&](std::string_view k, std::string_view v) {
    if (!k.starts_with(prefix)) return false;
    if (k.size() != prefix.size() + 3) {
      bad = Corrupt("an index count key has the wrong length");
      return false;
    }
    auto n = DecodeCount(v);
    if (!n.ok()) {
      bad = n.status();
      return false;
    }
    out.emplace_back(keys::CellOfKey(k), *n);
    return true;
  }));
  LAUREL_RETURN_IF_ERROR(bad);
  return out;
}

// The index changes of one committed block, built from the state writes and the store as it
// was before them: credential list entries moved between cells, counters adjusted by the
// block's net change, a version of every written record, the block's time. Appended to `ops`,
// which go into the commit's one batch.
class IndexDelta {
 public:
  IndexDelta(const Kv& kv, const std::map<std::string, std::string>& writes)
      : kv_(kv), writes_(writes) {}

  Status AddWrites(uint64_t height, std::vector<KvOp>& ops) {
    for (const auto& [k, v] : writes_) {
      ops.push_back({Cf::kIndex, keys::VersionKey(k, height), {}, false, &v});
      if (k.starts_with("c/")) {
        LAUREL_RETURN_IF_ERROR(Credential(k, v, ops));
      } else if (k.starts_with("i/")) {
        LAUREL_RETURN_IF_ERROR(Issuer(k, v));
      }
    }
    return Status::Ok();
  }

  // Adds the counter writes (after AddWrites).
  Status Finish(uint64_t tx_count, uint64_t ok_count, std::vector<KvOp>& ops) {
    std::map<std::string, int64_t> deltas;
    for (const auto& [key, d] : own_) {
      const auto& [issuer, cell] = key;
      if (d == 0) continue;
      deltas[keys::CellKey(keys::OwnCountPrefix(issuer), cell)] += d;
      deltas[keys::CellKey(std::string(keys::kChainCountPrefix), cell)] += d;
      // The issuer and its ancestors (parents never change; the chain is bounded).
      std::string at = issuer;
      for (size_t depth = 0; !at.empty() && depth <= ledger::kMaxIssuerDepth; ++depth) {
        deltas[keys::CellKey(keys::TreeCountPrefix(at), cell)] += d;
        LAUREL_ASSIGN_OR_RETURN(auto rec, ReadIssuerRecord(at));
        if (!rec) break;
        at = rec->parent_id;
      }
    }
    for (const auto& [status, d] : issuer_status_) {
      if (d == 0) continue;
      std::string k(keys::kIssuerCountPrefix);
      k.push_back(static_cast<char>(status));
      deltas[k] += d;
    }
    if (tx_count) deltas[std::string(keys::kTxCountKey)] += static_cast<int64_t>(tx_count);
    if (ok_count) deltas[std::string(keys::kTxOkCountKey)] += static_cast<int64_t>(ok_count);
    for (const auto& [k, d] : deltas) {
      if (d == 0) continue;
      LAUREL_ASSIGN_OR_RETURN(auto raw, kv_.Get(Cf::kIndex, k));
      uint64_t n = 0;
      if (raw) {
        LAUREL_ASSIGN_OR_RETURN(n, DecodeCount(*raw));
      }
      if (d < 0 && n < static_cast<uint64_t>(-d)) return Corrupt("an index count would go below 0");
      n = static_cast<uint64_t>(static_cast<int64_t>(n) + d);
      if (n == 0) {
        ops.push_back({Cf::kIndex, k, "", /*erase=*/true});
      } else {
        ops.push_back({Cf::kIndex, k, EncodeCount(n)});
      }
    }
    return Status::Ok();
  }

 private:
  // Values that do not decode as records (only ever written by tests of the store itself,
  // which treats state values as opaque bytes) are not indexed.
  Status Credential(const std::string& key, const std::string& value, std::vector<KvOp>& ops) {
    auto now = ledger::DecodeCredential(value);
    LAUREL_ASSIGN_OR_RETURN(auto raw_before, kv_.Get(Cf::kState, key));
    std::optional<ledger::CredentialRecord> before;
    if (raw_before) {
      if (auto b = ledger::DecodeCredential(*raw_before); b.ok()) before = std::move(b).value();
    }
    if (before && now.ok() && CellOf(*before) == CellOf(*now) &&
        before->issuer_id == now->issuer_id) {
      return Status::Ok();
    }
    if (before) {
      const keys::Cell old_cell = CellOf(*before);
      ops.push_back({Cf::kIndex,
                     keys::CredentialListPrefix(before->issuer_id, old_cell) + before->credential_id,
                     "", /*erase=*/true});
      own_[{before->issuer_id, old_cell}] -= 1;
    }
    if (now.ok()) {
      const keys::Cell cell = CellOf(*now);
      ops.push_back(
          {Cf::kIndex, keys::CredentialListPrefix(now->issuer_id, cell) + now->credential_id, ""});
      own_[{now->issuer_id, cell}] += 1;
    }
    return Status::Ok();
  }

  Status Issuer(const std::string& key, const std::string& value) {
    auto now = ledger::DecodeIssuer(value);
    LAUREL_ASSIGN_OR_RETURN(auto raw_before, kv_.Get(Cf::kState, key));
    std::optional<ledger::IssuerRecord> before;
    if (raw_before) {
      if (auto b = ledger::DecodeIssuer(*raw_before); b.ok()) before = std::move(b).value();
    }
    if (before && now.ok() && before->status == now->status) return Status::Ok();
    if (before) issuer_status_[static_cast<uint8_t>(before->status)] -= 1;
    if (now.ok()) issuer_status_[static_cast<uint8_t>(now->status)] += 1;
    return Status::Ok();
  }

  // An issuer record as of after the block (its writes, else the store).
  Result<std::optional<ledger::IssuerRecord>> ReadIssuerRecord(const std::string& id) {
    const std::string key = ledger::IssuerKeyOf(id);
    std::optional<std::string> raw;
    if (auto it = writes_.find(key); it != writes_.end()) {
      raw = it->second;
    } else {
      LAUREL_ASSIGN_OR_RETURN(raw, kv_.Get(Cf::kState, key));
    }
    if (!raw) return std::optional<ledger::IssuerRecord>();
    auto r = ledger::DecodeIssuer(*raw);
    if (!r.ok()) return std::optional<ledger::IssuerRecord>();
    return std::optional<ledger::IssuerRecord>(std::move(r).value());
  }

  const Kv& kv_;
  const std::map<std::string, std::string>& writes_;
  std::map<std::pair<std::string, keys::Cell>, int64_t> own_;
  std::map<uint8_t, int64_t> issuer_status_;
};

std::string EncodeIndexMeta(uint64_t retained_from) {
  pb::IndexMeta m;
  m.set_version(kIndexVersion);
  m.set_retained_from(retained_from);
  return Serialize(m);
}

std::optional<TxLocation> ReadTxLocation(const Kv& kv, const Hash32& tx_id) {
  auto r = kv.Get(Cf::kTxIndex, HashString(tx_id));
  if (!r.ok()) FatalRead("tx index", r.status());
  if (!r->has_value()) return std::nullopt;
  pb::TxLocation m;
  const std::string& v = **r;
  if (!m.ParseFromArray(v.data(), static_cast<int>(v.size())) || m.result() > ledger::kMaxTxCode) {
    FatalRead("tx index", Corrupt("a tx index value does not decode"));
  }
  return TxLocation{m.height(), m.position(), static_cast<ledger::TxCode>(m.result())};
}

// Store::Snapshot over a pinned engine view.
class KvSnapshot final : public StateSnapshot {
 public:
  explicit KvSnapshot(std::unique_ptr<Kv> kv) : kv_(std::move(kv)) {
    auto raw_tip = kv_->Get(Cf::kMeta, keys::kTipKey);
    if (!raw_tip.ok()) FatalRead("tip", raw_tip.status());
    if (raw_tip->has_value()) {
      auto tip = DecodeTip(**raw_tip);
      if (!tip.ok()) FatalRead("tip", tip.status());
      height_ = tip->height;
    }
  }
  std::optional<std::string> GetState(std::string_view key) const override {
    auto r = kv_->Get(Cf::kState, key);
    if (!r.ok()) FatalRead("state", r.status());
    return std::move(r).value();
  }
  bool HasTx(const Hash32& tx_id) const override {
    const auto loc = ReadTxLocation(*kv_, tx_id);
    return loc && SpendsId(loc->code);
  }
  std::optional<std::string> GetTreeNode(std::string_view key) const override {
    auto r = kv_->Get(Cf::kTree, key);
    if (!r.ok()) FatalRead("state tree", r.status());
    return std::move(r).value();
  }
  uint64_t Height() const override { return height_; }

 private:
  std::unique_ptr<Kv> kv_;
  uint64_t height_ = 0;
};

// The committed height recorded in `kv` (0 when it holds none).
uint64_t TipHeightOf(const Kv& kv) {
  auto raw = kv.Get(Cf::kMeta, keys::kTipKey);
  if (!raw.ok()) FatalRead("tip", raw.status());
  if (!raw->has_value()) return 0;
  auto tip = DecodeTip(**raw);
  if (!tip.ok()) FatalRead("tip", tip.status());
  return tip->height;
}

// Store::StateAt: the record versions of the index, read through a pinned engine view.
class VersionSnapshot final : public StateSnapshot {
 public:
  VersionSnapshot(std::unique_ptr<Kv> kv, uint64_t height) : kv_(std::move(kv)), height_(height) {}
  std::optional<std::string> GetState(std::string_view key) const override {
    const std::string prefix = keys::VersionPrefix(key);
    std::optional<std::string> found;
    auto st = kv_->Scan(Cf::kIndex, keys::VersionKey(key, height_),
                        [&](std::string_view k, std::string_view v) {
                          if (k.starts_with(prefix) && k.size() == prefix.size() + 8) {
                            found = std::string(v);
                          }
                          return false;
                        });
    if (!st.ok()) FatalRead("state version", st);
    return found;
  }
  bool HasTx(const Hash32& tx_id) const override {
    const auto loc = ReadTxLocation(*kv_, tx_id);
    return loc && loc->height <= height_ && SpendsId(loc->code);
  }
  // Tree nodes are keyed by the version that wrote them: a past height reads them as they are.
  std::optional<std::string> GetTreeNode(std::string_view key) const override {
    auto r = kv_->Get(Cf::kTree, key);
    if (!r.ok()) FatalRead("state tree", r.status());
    return std::move(r).value();
  }
  uint64_t Height() const override { return height_; }

 private:
  std::unique_ptr<Kv> kv_;
  uint64_t height_ = 0;
};

class KvStore final : public Store {
 public:
  explicit KvStore(std::unique_ptr<Kv> kv) : kv_(std::move(kv)) {}

  // Loads the tip and checks it against the block store.
  Status Load() {
    LAUREL_ASSIGN_OR_RETURN(auto raw_tip, kv_->Get(Cf::kMeta, keys::kTipKey));
    std::optional<std::string> first_block;
    LAUREL_RETURN_IF_ERROR(kv_->Scan(Cf::kBlocks, "", [&](std::string_view k, std::string_view) {
      first_block = std::string(k);
      return false;
    }));
    if (!raw_tip) {
      if (first_block) return Corrupt("blocks are stored but the tip record is missing");
      return Status::Ok();
    }
    LAUREL_ASSIGN_OR_RETURN(Tip tip, DecodeTip(*raw_tip));
    const std::string h = std::to_string(tip.height);
    if (first_block != keys::BlockKey(0)) return Corrupt("genesis block (height 0) is missing");
    LAUREL_ASSIGN_OR_RETURN(auto last, GetBlock(tip.height));
    if (!last) return Corrupt("the tip names height " + h + " but that block is missing");
    if (last->block_id != tip.block_id || last->state_root != tip.state_root) {
      return Corrupt("the tip record and block " + h + " disagree (block id or state root)");
    }
    LAUREL_ASSIGN_OR_RETURN(auto beyond, kv_->Get(Cf::kBlocks, keys::BlockKey(tip.height + 1)));
    if (beyond) return Corrupt("a block is stored above the tip height " + h);
    {
      std::lock_guard lock(tip_mu_);
      empty_ = false;
      tip_ = tip;
    }
    return LoadIndexes(tip.height);
  }

  // ---- StateView ----
  std::optional<std::string> GetState(std::string_view key) const override {
    auto r = kv_->Get(Cf::kState, key);
    if (!r.ok()) FatalRead("state", r.status());
    return std::move(r).value();
  }
  bool HasTx(const Hash32& tx_id) const override {
    const auto loc = GetTxLocation(tx_id);
    return loc && SpendsId(loc->code);
  }
  std::optional<std::string> GetTreeNode(std::string_view key) const override {
    // The top of the newest tree is read by every block (each new key's path starts there):
    // served from memory (see live_nodes_). Nodes never change once written, so a cached one
    // is always the stored one.
    if (TreeKeyDepth(key) <= kCachedTreeDepth) {
      std::shared_lock lock(tree_mu_);
      if (const std::string* v = live_nodes_.Find(key)) return *v;
    }
    auto r = kv_->Get(Cf::kTree, key);
    if (!r.ok()) FatalRead("state tree", r.status());
    return std::move(r).value();
  }

  // ---- Store ----
  bool Empty() const override {
    std::lock_guard lock(tip_mu_);
    return empty_;
  }
  uint64_t Height() const override {
    std::lock_guard lock(tip_mu_);
    return tip_.height;
  }
  Hash32 StateRoot() const override {
    std::lock_guard lock(tip_mu_);
    return tip_.state_root;
  }
  std::unique_ptr<StateSnapshot> Snapshot() const override {
    return std::make_unique<KvSnapshot>(kv_->Snapshot());
  }

  using Store::CommitBlock;
  Status CommitBlock(const BlockRecord& block, const ledger::BlockResult& result,
                     Durability durability) override {
    std::lock_guard write_lock(write_mu_);
    uint64_t expected = 0;
    {
      std::lock_guard lock(tip_mu_);
      expected = empty_ ? 0 : tip_.height + 1;
    }
    if (block.height != expected) {
      return Status::InvalidArgument("commit of height " + std::to_string(block.height) +
                                     " refused: the next height is " + std::to_string(expected));
    }
    if (result.outcomes.size() != block.txs.size()) {
      return Status::InvalidArgument("commit refused: " + std::to_string(block.txs.size()) +
                                     " transactions but " + std::to_string(result.outcomes.size()) +
                                     " outcomes");
    }
    for (size_t i = 0; i < block.txs.size(); ++i) {
      if (types::TxId(block.txs[i]) != result.outcomes[i].tx_id) {
        return Status::InvalidArgument("commit refused: outcome " + std::to_string(i) +
                                       " is not for the transaction at that position");
      }
    }
    if (HeightOfBlock(block.block_id)) {
      return Status::InvalidArgument("commit refused: block id already stored");
    }

    std::vector<KvOp> ops;
    ops.reserve(8 + 3 * result.writes.size() + result.tree.new_nodes.size() +
                5 * result.outcomes.size());
    ops.push_back({Cf::kBlocks, keys::BlockKey(block.height), EncodeBlock(block, result)});
    std::string height_value;
    AppendU64BE(height_value, block.height);
    ops.push_back({Cf::kBlockIndex, HashString(block.block_id), height_value});
    // Values that the block's result keeps are written without a copy (value_ref).
    for (const auto& [k, v] : result.writes) ops.push_back({Cf::kState, k, {}, false, &v});
    // The derived indexes, read against the store before this block (this writer holds
    // write_mu_, so nothing else commits meanwhile).
    IndexDelta delta(*kv_, result.writes);
    LAUREL_RETURN_IF_ERROR(delta.AddWrites(block.height, ops));
    uint64_t ok_count = 0;
    for (const auto& o : result.outcomes) ok_count += o.code == ledger::TxCode::kOk;
    LAUREL_RETURN_IF_ERROR(delta.Finish(result.outcomes.size(), ok_count, ops));
    ops.push_back({Cf::kIndex, keys::TimeKey(block.time_ms, block.height), ""});
    if (block.height == 0) {
      ops.push_back({Cf::kIndex, std::string(keys::kIndexMetaKey), EncodeIndexMeta(0)});
    }
    // The tree nodes in key order (height, depth, path): the update lists each depth's nodes
    // left to right, so ordering them by depth (a stable counting sort) sorts them, and the
    // engine inserts a sorted run cheaply. Any order would store the same nodes.
    {
      const auto& nodes = result.tree.new_nodes;
      std::array<size_t, kOddDepth + 2> start{};
      for (const auto& [k, v] : nodes) ++start[TreeKeyDepth(k) + 1];
      for (size_t d = 1; d < start.size(); ++d) start[d] += start[d - 1];
      std::vector<const std::pair<std::string, std::string>*> sorted(nodes.size());
      for (const auto& n : nodes) sorted[start[TreeKeyDepth(n.first)]++] = &n;
      for (const auto* n : sorted) ops.push_back({Cf::kTree, n->first, {}, false, &n->second});
    }
    // The nodes this height replaced, as one record: pruning deletes them once no kept height
    // reads them (PruneStateTree).
    std::string stale;
    for (const auto& k : result.tree.stale_nodes) {
      AppendU32BE(stale, static_cast<uint32_t>(k.size()));
      stale += k;
    }
    ops.push_back({Cf::kTreeStale, keys::BlockKey(block.height), stale});
    // The transaction log's subtrees completed by this block, and its size after it.
    for (const auto& n : result.log_nodes) {
      ops.push_back({Cf::kTxLog, keys::TxLogNodeKey(n.level, n.index), HashString(n.hash)});
    }
    std::string log_size;
    AppendU64BE(log_size, result.log.size);
    ops.push_back({Cf::kTxLog, keys::TxLogSizeKey(block.height), log_size});

    // The tx index keeps the occurrence that spent the id (see SpendsId); until one exists,
    // the first occurrence. A later duplicate never moves it.
    std::map<Hash32, bool> indexed;  // tx id -> whether this block's entry spends it
    // One history entry per transaction (docs/storage.md): in its index key when it has one,
    // else written once as its record ('t', height, position) and its keys left empty.
    std::vector<std::string> entries;
    entries.reserve(result.outcomes.size());
    std::vector<std::pair<HistoryKind, const std::string*>> ids;
    for (size_t i = 0; i < result.outcomes.size(); ++i) {
      const auto& o = result.outcomes[i];
      const auto pos = static_cast<uint32_t>(i);
      auto it = indexed.find(o.tx_id);
      if (it == indexed.end()) {
        const auto existing = GetTxLocation(o.tx_id);
        if (existing) it = indexed.emplace(o.tx_id, SpendsId(existing->code)).first;
      }
      if (it == indexed.end() || (!it->second && SpendsId(o.code))) {
        indexed[o.tx_id] = SpendsId(o.code);
        ops.push_back(
            {Cf::kTxIndex, HashString(o.tx_id), EncodeTxLocation(block.height, pos, o.code)});
      }
      ids.clear();
      const auto index = [&](HistoryKind kind, const std::string& id) {
        if (keys::IndexableHistoryId(id)) ids.emplace_back(kind, &id);
      };
      for (const auto& id : o.credential_ids) index(HistoryKind::kCredential, id);
      for (const auto& id : o.issuer_ids) index(HistoryKind::kIssuer, id);
      index(HistoryKind::kSignedBy, o.signer_issuer_id);
      if (ids.empty()) continue;
      // An entry is never empty (it holds the tx id), so an empty value means "see the record".
      const std::string& entry = entries.emplace_back(EncodeHistory(block, pos, o));
      const std::string* in_key = &entry;
      if (ids.size() > 1) {
        std::string suffix;
        AppendU64BE(suffix, block.height);
        AppendU32BE(suffix, pos);
        ops.push_back({Cf::kHistory, keys::HistoryRecordKey(suffix), {}, false, &entry});
        in_key = nullptr;
      }
      for (const auto& [kind, id] : ids) {
        ops.push_back(
            {Cf::kHistory, keys::HistoryKey(kind, *id, block.height, pos), {}, false, in_key});
      }
    }
    for (const auto& [name, value] : block.consensus_puts) {
      ops.push_back({Cf::kConsensus, name, ToString(value)});
    }
    for (const auto& name : block.consensus_erases) {
      ops.push_back({Cf::kConsensus, name, "", /*erase=*/true});
    }
    ops.push_back({Cf::kMeta, std::string(keys::kTipKey), EncodeTip(block, result)});
    LAUREL_RETURN_IF_ERROR(kv_->Write(ops, /*sync=*/durability == Durability::kSynced));

    {
      // The replaced nodes leave the cache, the new ones near the root enter it: it holds
      // nodes of the newest tree only, at most 2^(kCachedTreeDepth + 1) - 1 of them.
      std::unique_lock lock(tree_mu_);
      for (const auto& k : result.tree.stale_nodes) live_nodes_.Erase(k);
      for (const auto& [k, v] : result.tree.new_nodes) live_nodes_.Put(k, v);
    }
    std::lock_guard lock(tip_mu_);
    empty_ = false;
    tip_ = Tip{block.height, block.block_id, result.state_root};
    return Status::Ok();
  }

  Status Sync() override { return kv_->Sync(); }

  Result<HistoryPage> IssuerHistoryOf(std::string_view issuer_id, IssuerHistoryScope scope,
                                      std::string_view page_token, size_t limit) const override {
    switch (scope) {
      case IssuerHistoryScope::kConcerning:
        return History(HistoryKind::kIssuer, issuer_id, page_token, limit);
      case IssuerHistoryScope::kSignedBy:
        return History(HistoryKind::kSignedBy, issuer_id, page_token, limit);
      case IssuerHistoryScope::kAll:
        break;
    }
    // Both ranges share the (height, position) suffix: read up to limit+1 of each from the
    // token on, merge, and keep one entry per transaction.
    if (!keys::IndexableHistoryId(issuer_id)) {
      return Status::InvalidArgument("history id is empty or contains a NUL byte");
    }
    limit = std::clamp<size_t>(limit, 1, kMaxHistoryLimit);
    std::optional<std::string> after;
    if (!page_token.empty()) {
      after = keys::DecodePageToken(page_token);
      if (!after) return Status::InvalidArgument("malformed page token");
    }
    const auto snap = kv_->Snapshot();
    std::map<std::string, HistoryEntry> merged;
    for (HistoryKind kind : {HistoryKind::kIssuer, HistoryKind::kSignedBy}) {
      std::vector<std::pair<std::string, HistoryEntry>> got;
      LAUREL_RETURN_IF_ERROR(ScanHistory(*snap, kind, issuer_id, after, limit + 1, got));
      for (auto& [suffix, e] : got) merged.emplace(suffix, std::move(e));
    }
    HistoryPage page;
    std::string last;
    for (auto& [suffix, e] : merged) {
      if (page.entries.size() == limit) {
        page.next_page_token = keys::EncodePageToken(last);
        break;
      }
      page.entries.push_back(std::move(e));
      last = suffix;
    }
    return page;
  }

  Result<CredentialPage> ListIssuerCredentials(std::string_view issuer_id,
                                               const CredentialFilter& filter,
                                               std::string_view page_token,
                                               size_t limit) const override {
    if (!keys::IndexableHistoryId(issuer_id)) {
      return Status::InvalidArgument("issuer id is empty or contains a NUL byte");
    }
    limit = std::clamp<size_t>(limit, 1, kMaxHistoryLimit);
    std::string after;
    if (!page_token.empty()) {
      auto raw = HexDecode(page_token);
      if (!raw || raw->empty() || raw->size() > 256) {
        return Status::InvalidArgument("malformed page token");
      }
      after = ToString(*raw);
      if (after.find('\0') != std::string::npos) {
        return Status::InvalidArgument("malformed page token");
      }
    }
    const auto snap = kv_->Snapshot();
    // Each cell's ids are in order: take up to limit+1 of each after the token, then the
    // smallest ids of all of them.
    std::vector<std::string> ids;
    for (const keys::Cell& cell : CellsMatching(filter)) {
      const std::string prefix = keys::CredentialListPrefix(issuer_id, cell);
      std::string start = prefix;
      if (!after.empty()) {
        start += after;
        start.push_back('\0');
      }
      size_t taken = 0;
      LAUREL_RETURN_IF_ERROR(snap->Scan(Cf::kIndex, start, [&](std::string_view k, std::string_view) {
        if (!k.starts_with(prefix) || taken == limit + 1) return false;
        ids.emplace_back(k.substr(prefix.size()));
        ++taken;
        return true;
      }));
    }
    std::sort(ids.begin(), ids.end());
    CredentialPage page;
    page.height = TipHeightOf(*snap);
    for (const std::string& id : ids) {
      if (page.credentials.size() == limit) {
        page.next_page_token = HexEncode(AsBytes(page.credentials.back().credential_id));
        break;
      }
      LAUREL_ASSIGN_OR_RETURN(auto raw, snap->Get(Cf::kState, ledger::CredentialKeyOf(id)));
      if (!raw) return Corrupt("credential index names " + id + ", which is not in state");
      auto c = ledger::DecodeCredential(*raw);
      if (!c.ok()) return Corrupt("credential record " + id + " does not decode");
      page.credentials.push_back(std::move(c).value());
    }
    return page;
  }

  Result<IssuerCounts> IssuerStats(std::string_view issuer_id) const override {
    if (!keys::IndexableHistoryId(issuer_id)) {
      return Status::InvalidArgument("issuer id is empty or contains a NUL byte");
    }
    const auto snap = kv_->Snapshot();
    IssuerCounts out;
    out.height = TipHeightOf(*snap);
    LAUREL_ASSIGN_OR_RETURN(auto own, ReadCounts(*snap, keys::OwnCountPrefix(issuer_id)));
    LAUREL_ASSIGN_OR_RETURN(auto tree, ReadCounts(*snap, keys::TreeCountPrefix(issuer_id)));
    out.own = CellsOfCounts(own);
    out.subtree = CellsOfCounts(tree);
    return out;
  }

  Result<ChainCounts> ChainStats() const override {
    const auto snap = kv_->Snapshot();
    ChainCounts out;
    out.height = TipHeightOf(*snap);
    LAUREL_ASSIGN_OR_RETURN(auto cells, ReadCounts(*snap, keys::kChainCountPrefix));
    out.credentials = CellsOfCounts(cells);
    Status bad;
    LAUREL_RETURN_IF_ERROR(
        snap->Scan(Cf::kIndex, keys::kIssuerCountPrefix, [&](std::string_view k, std::string_view v) {
          if (!k.starts_with(keys::kIssuerCountPrefix)) return false;
          auto n = DecodeCount(v);
          if (k.size() != 2 || !n.ok()) {
            bad = Corrupt("an issuer count does not decode");
            return false;
          }
          out.issuers.emplace_back(static_cast<types::IssuerStatus>(k[1]), *n);
          return true;
        }));
    LAUREL_RETURN_IF_ERROR(bad);
    for (auto [key, field] : {std::pair{keys::kTxCountKey, &out.transactions},
                              std::pair{keys::kTxOkCountKey, &out.transactions_ok}}) {
      LAUREL_ASSIGN_OR_RETURN(auto raw, snap->Get(Cf::kIndex, key));
      if (raw) {
        LAUREL_ASSIGN_OR_RETURN(*field, DecodeCount(*raw));
      }
    }
    return out;
  }

  uint64_t RetainedFrom() const override {
    std::lock_guard lock(tip_mu_);
    return retained_from_;
  }

  Result<std::unique_ptr<StateSnapshot>> StateAt(uint64_t height) const override {
    auto snap = kv_->Snapshot();
    const uint64_t tip = TipHeightOf(*snap);
    if (Empty() || height > tip) {
      return Status::InvalidArgument("height " + std::to_string(height) +
                                     " is above the committed height " + std::to_string(tip));
    }
    const uint64_t from = RetainedFrom();
    if (height < from) {
      return Status::NotFound("height " + std::to_string(height) +
                              " is below the lowest height this node keeps state for (" +
                              std::to_string(from) + ")");
    }
    return std::unique_ptr<StateSnapshot>(std::make_unique<VersionSnapshot>(std::move(snap), height));
  }

  Result<std::optional<uint64_t>> HeightAtTime(uint64_t time_ms) const override {
    std::optional<uint64_t> found;
    // Newest first: the first key at or after (~time_ms, ~max) is the highest block at or
    // before time_ms.
    std::string start = "H";
    AppendU64BE(start, ~time_ms);
    AppendU64BE(start, 0);
    LAUREL_RETURN_IF_ERROR(kv_->Scan(Cf::kIndex, start, [&](std::string_view k, std::string_view) {
      if (k.size() == keys::kTimeKeySize && k[0] == 'H') {
        found = ~ReadU64BE(reinterpret_cast<const uint8_t*>(k.data()) + 9);
      }
      return false;
    }));
    if (found && *found < RetainedFrom()) return std::optional<uint64_t>();
    return found;
  }

  Result<std::optional<BlockRecord>> GetBlock(uint64_t height) const override {
    LAUREL_ASSIGN_OR_RETURN(auto raw, kv_->Get(Cf::kBlocks, keys::BlockKey(height)));
    if (!raw) return std::optional<BlockRecord>();
    LAUREL_ASSIGN_OR_RETURN(BlockRecord b, DecodeBlock(*raw, height));
    return std::optional<BlockRecord>(std::move(b));
  }

  std::optional<uint64_t> HeightOfBlock(const Hash32& block_id) const override {
    auto r = kv_->Get(Cf::kBlockIndex, HashString(block_id));
    if (!r.ok()) FatalRead("block index", r.status());
    if (!r->has_value()) return std::nullopt;
    const std::string& v = **r;
    if (v.size() != 8) FatalRead("block index", Corrupt("a block index value is not 8 bytes"));
    return ReadU64BE(reinterpret_cast<const uint8_t*>(v.data()));
  }

  std::optional<TxLocation> GetTxLocation(const Hash32& tx_id) const override {
    return ReadTxLocation(*kv_, tx_id);
  }

  Result<HistoryPage> CredentialHistory(std::string_view credential_id, std::string_view page_token,
                                        size_t limit) const override {
    return History(HistoryKind::kCredential, credential_id, page_token, limit);
  }
  Result<HistoryPage> IssuerHistory(std::string_view issuer_id, std::string_view page_token,
                                    size_t limit) const override {
    return History(HistoryKind::kIssuer, issuer_id, page_token, limit);
  }

  Result<IssuerPage> ListIssuers(std::string_view page_token, size_t limit) const override {
    limit = std::clamp<size_t>(limit, 1, kMaxHistoryLimit);
    const std::string prefix = ledger::IssuerKeyOf("");
    std::string start = prefix;
    if (!page_token.empty()) {
      auto last = HexDecode(page_token);
      if (!last || last->empty()) return Status::InvalidArgument("malformed page token");
      // The smallest key after the last one returned.
      start += ToString(*last);
      start.push_back('\0');
    }
    IssuerPage page;
    std::string last_id;
    bool more = false;
    Status decode_status;
    LAUREL_RETURN_IF_ERROR(
        kv_->Scan(Cf::kState, start, [&](std::string_view k, std::string_view v) {
          if (!k.starts_with(prefix)) return false;
          if (page.issuers.size() == limit) {
            more = true;
            return false;
          }
          auto r = ledger::DecodeIssuer(v);
          if (!r.ok()) {
            decode_status = Corrupt("issuer record " + std::string(k) + " does not decode");
            return false;
          }
          page.issuers.push_back(std::move(r).value());
          last_id = std::string(k.substr(prefix.size()));
          return true;
        }));
    LAUREL_RETURN_IF_ERROR(decode_status);
    if (more) page.next_page_token = HexEncode(AsBytes(last_id));
    return page;
  }

  Result<ledger::StateProof> ProveState(uint64_t height, std::string_view state_key) const override {
    {
      std::lock_guard lock(tip_mu_);
      if (empty_ || height > tip_.height) {
        return Status::NotFound("height " + std::to_string(height) + " is not committed yet");
      }
    }
    // A pinned view: pruning running meanwhile cannot take nodes away halfway down the path.
    auto snap = kv_->Snapshot();
    struct Reader final : ledger::TreeReader {
      const Kv& kv;
      explicit Reader(const Kv& k) : kv(k) {}
      std::optional<std::string> GetTreeNode(std::string_view key) const override {
        auto r = kv.Get(Cf::kTree, key);
        if (!r.ok()) FatalRead("state tree", r.status());
        return std::move(r).value();
      }
    } reader(*snap);
    return ledger::ProveState(reader, height, state_key);
  }

  Result<uint64_t> TxLogSize(uint64_t height) const override {
    {
      std::lock_guard lock(tip_mu_);
      if (empty_ || height > tip_.height) {
        return Status::NotFound("height " + std::to_string(height) + " is not committed yet");
      }
    }
    LAUREL_ASSIGN_OR_RETURN(auto raw, kv_->Get(Cf::kTxLog, keys::TxLogSizeKey(height)));
    if (!raw || raw->size() != 8) {
      return Status::Corruption("the transaction log size of height " + std::to_string(height) +
                                " is missing or malformed");
    }
    return ReadU64BE(reinterpret_cast<const uint8_t*>(raw->data()));
  }

  std::optional<Hash32> GetTxLogNode(uint8_t level, uint64_t index) const override {
    auto r = kv_->Get(Cf::kTxLog, keys::TxLogNodeKey(level, index));
    if (!r.ok()) FatalRead("transaction log", r.status());
    if (!r->has_value() || (*r)->size() != 32) return std::nullopt;
    Hash32 h;
    std::memcpy(h.data(), (*r)->data(), 32);
    return h;
  }

  Status PruneStateTree(uint64_t keep_from) override {
    std::lock_guard lock(prune_mu_);
    if (keep_from <= pruned_through_ + 1 && pruned_through_ != kNothingPruned) {
      return Status::Ok();
    }
    std::vector<KvOp> ops;
    uint64_t last = kNothingPruned;
    Status bad;
    const std::string start =
        keys::BlockKey(pruned_through_ == kNothingPruned ? 0 : pruned_through_ + 1);
    LAUREL_RETURN_IF_ERROR(kv_->Scan(Cf::kTreeStale, start, [&](std::string_view k,
                                                                 std::string_view v) {
      const auto h = keys::ParseBlockKey(k);
      if (!h) {
        bad = Corrupt("a stale-node list has a malformed key");
        return false;
      }
      // Nodes replaced at height h are read only by heights below h.
      if (*h > keep_from) return false;
      while (!v.empty()) {
        if (v.size() < 4) {
          bad = Corrupt("a stale-node list does not decode");
          return false;
        }
        const auto* p = reinterpret_cast<const uint8_t*>(v.data());
        const uint32_t n = (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) |
                           (uint32_t{p[2]} << 8) | uint32_t{p[3]};
        v.remove_prefix(4);
        if (v.size() < n) {
          bad = Corrupt("a stale-node list does not decode");
          return false;
        }
        ops.push_back({Cf::kTree, std::string(v.substr(0, n)), "", /*erase=*/true});
        v.remove_prefix(n);
      }
      ops.push_back({Cf::kTreeStale, std::string(k), "", /*erase=*/true});
      last = *h;
      return true;
    }));
    LAUREL_RETURN_IF_ERROR(bad);
    if (last == kNothingPruned) return Status::Ok();
    // Not synced: a delete lost in a crash leaves nodes that a later pruning never revisits,
    // which costs disk space, never correctness.
    LAUREL_RETURN_IF_ERROR(kv_->Write(ops, /*sync=*/false));
    pruned_through_ = last;
    return Status::Ok();
  }

  Status PutConsensusRecord(std::string_view name, ByteView value, bool sync) override {
    if (name.empty()) return Status::InvalidArgument("consensus record name is empty");
    return kv_->Write({{Cf::kConsensus, std::string(name), ToString(value)}}, sync);
  }
  Status PutConsensusRecords(const std::vector<std::pair<std::string, Bytes>>& records,
                             bool sync) override {
    std::vector<KvOp> ops;
    ops.reserve(records.size());
    for (const auto& [name, value] : records) {
      if (name.empty()) return Status::InvalidArgument("consensus record name is empty");
      ops.push_back({Cf::kConsensus, name, ToString(value)});
    }
    return kv_->Write(ops, sync);
  }
  Result<std::optional<Bytes>> GetConsensusRecord(std::string_view name) const override {
    if (name.empty()) return Status::InvalidArgument("consensus record name is empty");
    LAUREL_ASSIGN_OR_RETURN(auto raw, kv_->Get(Cf::kConsensus, name));
    if (!raw) return std::optional<Bytes>();
    return std::optional<Bytes>(ToBytes(*raw));
  }

  Status DeleteConsensusRecords(const std::vector<std::string>& names) override {
    std::vector<KvOp> ops;
    for (const auto& n : names) ops.push_back({Cf::kConsensus, n, "", /*erase=*/true});
    if (ops.empty()) return Status::Ok();
    // Not synced: the records deleted are saved blocks at or below the committed height; a
    // delete lost in a crash leaves stale records, which the next load deletes again.
    return kv_->Write(ops, /*sync=*/false);
  }
  Result<std::vector<std::pair<std::string, Bytes>>> ListConsensusRecords(
      std::string_view prefix) const override {
    std::vector<std::pair<std::string, Bytes>> out;
    LAUREL_RETURN_IF_ERROR(
        kv_->Scan(Cf::kConsensus, prefix, [&](std::string_view k, std::string_view v) {
          if (k.substr(0, prefix.size()) != prefix) return false;
          out.emplace_back(std::string(k), ToBytes(v));
          return true;
        }));
    return out;
  }

  Status PutStateCertificate(uint64_t height, ByteView certificate) override {
    // Not synced: a certificate lost in a crash is formed again from peers' attestations.
    return kv_->Write({{Cf::kAttestations, keys::BlockKey(height), ToString(certificate)}},
                      /*sync=*/false);
  }
  Result<std::optional<Bytes>> GetStateCertificate(uint64_t height) const override {
    LAUREL_ASSIGN_OR_RETURN(auto raw, kv_->Get(Cf::kAttestations, keys::BlockKey(height)));
    if (!raw) return std::optional<Bytes>();
    return std::optional<Bytes>(ToBytes(*raw));
  }

  Status CreateCheckpoint(const std::string& dir) const override { return kv_->Checkpoint(dir); }

 private:
  // Up to `max` entries of one id's range after the suffix `after`, with their key suffixes.
  static Status ScanHistory(const Kv& kv, HistoryKind kind, std::string_view id,
                            const std::optional<std::string>& after, size_t max,
                            std::vector<std::pair<std::string, HistoryEntry>>& out) {
    const std::string prefix = keys::HistoryPrefix(kind, id);
    std::string start = prefix;
    if (after) {
      start += *after;
      start.push_back('\0');
    }
    Status bad;
    LAUREL_RETURN_IF_ERROR(kv.Scan(Cf::kHistory, start, [&](std::string_view k, std::string_view v) {
      if (!k.starts_with(prefix) || out.size() == max) return false;
      if (k.size() != prefix.size() + keys::kHistorySuffixSize) {
        bad = Corrupt("a history key has the wrong length");
        return false;
      }
      auto e = ReadHistoryEntry(kv, k.substr(prefix.size()), v);
      if (!e.ok()) {
        bad = e.status();
        return false;
      }
      out.emplace_back(std::string(k.substr(prefix.size())), std::move(e).value());
      return true;
    }));
    return bad;
  }

  // The indexes' meta record: written with genesis; a store committed by a version without
  // the indexes gets them built once, from its state, here (before any commit).
  Status LoadIndexes(uint64_t tip_height) {
    LAUREL_ASSIGN_OR_RETURN(auto raw, kv_->Get(Cf::kIndex, keys::kIndexMetaKey));
    if (raw) {
      pb::IndexMeta m;
      if (!m.ParseFromArray(raw->data(), static_cast<int>(raw->size()))) {
        return Corrupt("the index meta record does not decode");
      }
      if (m.version() == kIndexVersionEveryKeyHoldsEntry) {
        // Its history keys all hold their entries, which this version reads as they are; from
        // here on it writes version-2 history, so the record says so (synced, before a commit).
        LAUREL_RETURN_IF_ERROR(kv_->Write(
            {{Cf::kIndex, std::string(keys::kIndexMetaKey), EncodeIndexMeta(m.retained_from())}},
            /*sync=*/true));
      } else if (m.version() != kIndexVersion) {
        return Corrupt("the index layout is version " + std::to_string(m.version()) +
                       "; this release reads versions 1 and 2 (docs/storage.md)");
      }
      std::lock_guard lock(tip_mu_);
      retained_from_ = m.retained_from();
      return Status::Ok();
    }
    return RebuildIndexes(tip_height);
  }

  // Builds the indexes from the state at the tip: credential lists and counts, issuer counts,
  // a version of every record at the tip height (older heights are not known: retained_from is
  // the tip), the tip block's time. Lists and versions go in unsynced batches (rewriting them
  // gives the same keys); the counts and the meta record go last, in one synced batch, so a
  // crash before it only makes the next open rebuild again.
  Status RebuildIndexes(uint64_t tip_height) {
    std::vector<KvOp> ops;
    std::map<std::pair<std::string, keys::Cell>, uint64_t> own;
    std::map<uint8_t, uint64_t> issuers;
    std::map<std::string, std::string> parent_of;
    Status bad;
    auto flush = [&]() -> Status {
      if (ops.size() < kRebuildBatch) return Status::Ok();
      Status st = kv_->Write(ops, /*sync=*/false);
      ops.clear();
      return st;
    };
    LAUREL_RETURN_IF_ERROR(kv_->Scan(Cf::kState, "", [&](std::string_view k, std::string_view v) {
      ops.push_back({Cf::kIndex, keys::VersionKey(k, tip_height), std::string(v)});
      if (k.starts_with("c/")) {
        auto c = ledger::DecodeCredential(v);
        if (!c.ok()) return true;  // not a record (see IndexDelta)
        ops.push_back(
            {Cf::kIndex, keys::CredentialListPrefix(c->issuer_id, CellOf(*c)) + c->credential_id, ""});
        own[{c->issuer_id, CellOf(*c)}] += 1;
      } else if (k.starts_with("i/")) {
        auto i = ledger::DecodeIssuer(v);
        if (!i.ok()) return true;
        issuers[static_cast<uint8_t>(i->status)] += 1;
        parent_of[i->issuer_id] = i->parent_id;
      }
      bad = flush();
      return bad.ok();
    }));
    LAUREL_RETURN_IF_ERROR(bad);
    LAUREL_RETURN_IF_ERROR(kv_->Write(ops, /*sync=*/false));
    ops.clear();
    std::map<std::string, uint64_t> counts;
    for (const auto& [key, n] : own) {
      const auto& [issuer, cell] = key;
      counts[keys::CellKey(keys::OwnCountPrefix(issuer), cell)] += n;
      counts[keys::CellKey(std::string(keys::kChainCountPrefix), cell)] += n;
      std::string at = issuer;
      for (size_t depth = 0; !at.empty() && depth <= ledger::kMaxIssuerDepth; ++depth) {
        counts[keys::CellKey(keys::TreeCountPrefix(at), cell)] += n;
        auto it = parent_of.find(at);
        at = it == parent_of.end() ? std::string() : it->second;
      }
    }
    for (const auto& [status, n] : issuers) {
      counts[std::string(keys::kIssuerCountPrefix) + static_cast<char>(status)] += n;
    }
    for (const auto& [k, n] : counts) ops.push_back({Cf::kIndex, k, EncodeCount(n)});
    LAUREL_ASSIGN_OR_RETURN(auto tip_block, GetBlock(tip_height));
    if (tip_block) ops.push_back({Cf::kIndex, keys::TimeKey(tip_block->time_ms, tip_height), ""});
    ops.push_back({Cf::kIndex, std::string(keys::kIndexMetaKey), EncodeIndexMeta(tip_height)});
    LAUREL_RETURN_IF_ERROR(kv_->Write(ops, /*sync=*/true));
    std::lock_guard lock(tip_mu_);
    retained_from_ = tip_height;
    return Status::Ok();
  }

  Result<HistoryPage> History(HistoryKind kind, std::string_view id, std::string_view page_token,
                              size_t limit) const {
    if (!keys::IndexableHistoryId(id)) {
      return Status::InvalidArgument("history id is empty or contains a NUL byte");
    }
    limit = std::clamp<size_t>(limit, 1, kMaxHistoryLimit);
    const std::string prefix = keys::HistoryPrefix(kind, id);
    std::string start = prefix;
    if (!page_token.empty()) {
      auto suffix = keys::DecodePageToken(page_token);
      if (!suffix) return Status::InvalidArgument("malformed page token");
      // The smallest key after the last one returned (all keys here have the same length).
      start += *suffix;
      start.push_back('\0');
    }
    HistoryPage page;
    std::string last_suffix;
    bool more = false;
    Status decode_status;
    LAUREL_RETURN_IF_ERROR(
        kv_->Scan(Cf::kHistory, start, [&](std::string_view k, std::string_view v) {
          if (!k.starts_with(prefix)) return false;
          if (k.size() != prefix.size() + keys::kHistorySuffixSize) {
            decode_status = Corrupt("a history key has the wrong length");
            return false;
          }
          if (page.entries.size() == limit) {
            more = true;
            return false;
          }
          auto e = ReadHistoryEntry(*kv_, k.substr(prefix.size()), v);
          if (!e.ok()) {
            decode_status = e.status();
            return false;
          }
          page.entries.push_back(std::move(e).value());
          last_suffix = std::string(k.substr(prefix.size()));
          return true;
        }));
    LAUREL_RETURN_IF_ERROR(decode_status);
    if (more) page.next_page_token = keys::EncodePageToken(last_suffix);
    return page;
  }

  static constexpr uint64_t kNothingPruned = ~uint64_t{0};

  std::unique_ptr<Kv> kv_;
  std::mutex prune_mu_;
  uint64_t pruned_through_ = kNothingPruned;  // the last height whose stale nodes are gone
  std::mutex write_mu_;  // one CommitBlock at a time
  mutable std::mutex tip_mu_;
  bool empty_ = true;
  Tip tip_;
  uint64_t retained_from_ = 0;
  // The nodes of the newest committed tree at depth <= kCachedTreeDepth, by node key: every
  // block reads and replaces the nodes on its keys' paths from the root, so these are read
  // from memory instead of the engine. Filled by commits (a node read from the engine is
  // always replaced by the same block), emptied of each replaced node.
  mutable std::shared_mutex tree_mu_;
  TreeTop live_nodes_;
};

}  // namespace

Result<std::unique_ptr<Store>> NewKvStore(std::unique_ptr<Kv> kv) {
  auto store = std::make_unique<KvStore>(std::move(kv));
  LAUREL_RETURN_IF_ERROR(store->Load());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace laurel::storage
