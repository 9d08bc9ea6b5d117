// The Store logic shared by the RocksDB and the memory store (see kv.h).
#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "crypto/sha256.h"
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
  return e;
}

std::optional<TxLocation> ReadTxLocation(const Kv& kv, const Hash32& tx_id) {
  auto r = kv.Get(Cf::kTxIndex, HashString(tx_id));
  if (!r.ok()) FatalRead("tx index", r.status());
  if (!r->has_value()) return std::nullopt;
  pb::TxLocation m;
  const std::string& v = **r;
  if (!m.ParseFromArray(v.data(), static_cast<int>(v.size())) ||
      m.result() > ledger::kMaxTxCode) {
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

class KvStore final : public Store {
 public:
  struct ViewHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using NodeCache = std::unordered_map<std::string, std::string, ViewHash, std::equal_to<>>;

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
    std::lock_guard lock(tip_mu_);
    empty_ = false;
    tip_ = tip;
    return Status::Ok();
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
    // The nodes the last commit wrote are those the next block reads most (the top of the
    // tree is rewritten by every block): served from memory. Nodes never change once written,
    // so a cached one is always the stored one.
    std::shared_ptr<const NodeCache> recent;
    {
      std::lock_guard lock(tip_mu_);
      recent = recent_nodes_;
    }
    if (recent) {
      auto it = recent->find(key);
      if (it != recent->end()) return it->second;
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

  Status CommitBlock(const BlockRecord& block, const ledger::BlockResult& result) override {
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
    ops.reserve(4 + result.writes.size() + 3 * result.outcomes.size());
    ops.push_back({Cf::kBlocks, keys::BlockKey(block.height), EncodeBlock(block, result)});
    std::string height_value;
    AppendU64BE(height_value, block.height);
    ops.push_back({Cf::kBlockIndex, HashString(block.block_id), height_value});
    for (const auto& [k, v] : result.writes) ops.push_back({Cf::kState, k, v});
    for (const auto& [k, v] : result.tree.new_nodes) ops.push_back({Cf::kTree, k, v});
    // The nodes this height replaced, as one record: pruning deletes them once no kept height
    // reads them (PruneStateTree).
    std::string stale;
    for (const auto& k : result.tree.stale_nodes) {
      AppendU32BE(stale, static_cast<uint32_t>(k.size()));
      stale += k;
    }
    ops.push_back({Cf::kTreeStale, keys::BlockKey(block.height), stale});

    // The tx index keeps the occurrence that spent the id (see SpendsId); until one exists,
    // the first occurrence. A later duplicate never moves it.
    std::map<Hash32, bool> indexed;  // tx id -> whether this block's entry spends it
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
      const std::string entry = EncodeHistory(block, pos, o);
      for (const auto& id : o.credential_ids) {
        if (!keys::IndexableHistoryId(id)) continue;
        ops.push_back({Cf::kHistory,
                       keys::HistoryKey(HistoryKind::kCredential, id, block.height, pos), entry});
      }
      for (const auto& id : o.issuer_ids) {
        if (!keys::IndexableHistoryId(id)) continue;
        ops.push_back(
            {Cf::kHistory, keys::HistoryKey(HistoryKind::kIssuer, id, block.height, pos), entry});
      }
    }
    ops.push_back({Cf::kMeta, std::string(keys::kTipKey), EncodeTip(block, result)});
    LAUREL_RETURN_IF_ERROR(kv_->Write(ops, /*sync=*/true));

    auto recent = std::make_shared<NodeCache>(result.tree.new_nodes.begin(),
                                              result.tree.new_nodes.end());
    std::lock_guard lock(tip_mu_);
    empty_ = false;
    tip_ = Tip{block.height, block.block_id, result.state_root};
    recent_nodes_ = std::move(recent);
    return Status::Ok();
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
    LAUREL_RETURN_IF_ERROR(kv_->Scan(Cf::kState, start, [&](std::string_view k, std::string_view v) {
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

 private:
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
          auto e = DecodeHistory(v);
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
  // The state tree nodes of the last commit (see GetTreeNode); guarded by tip_mu_.
  std::shared_ptr<const NodeCache> recent_nodes_;
};

}  // namespace

Result<std::unique_ptr<Store>> NewKvStore(std::unique_ptr<Kv> kv) {
  auto store = std::make_unique<KvStore>(std::move(kv));
  LAUREL_RETURN_IF_ERROR(store->Load());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace laurel::storage
