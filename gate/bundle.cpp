#include "gate/bundle.h"

#include <zlib.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "crypto/sha256.h"
#include "types/proto_json.h"
#include "types/proto_util.h"

namespace laurel::gate {

namespace pb = ::laurel::v1;

namespace {

Status Refused(std::string what) { return Status::PermissionDenied(std::move(what)); }

std::string Str(const Hash32& h) {
  return std::string(reinterpret_cast<const char*>(h.data()), 32);
}

std::optional<Hash32> HashOf(const std::string& s) {
  if (s.size() != 32) return std::nullopt;
  Hash32 h;
  std::copy(s.begin(), s.end(), h.begin());
  return h;
}

// The bucket of a gate-listed key ("i/<id>", "s/<id>/<n>"); nullopt for any other key.
std::optional<uint32_t> BucketOfKey(std::string_view key) {
  auto issuer = ledger::GateListedIssuer(key);
  if (!issuer) return std::nullopt;
  return ledger::GateBucketOf(*issuer);
}

// Whether `value` is what EncodeGateIndex writes for it (then a gate can rebuild it).
bool Canonical(const std::string& value, const ledger::GateIndex& g) {
  return ledger::EncodeGateIndex(g) == value;
}

// `base` with `patch` applied, or why it does not apply.
Result<std::string> ApplyPatch(const std::string& key, const std::string& base,
                               const pb::StatusChunkPatch& patch) {
  auto c = ledger::DecodeStatusChunk(base);
  if (!c.ok()) return Refused("record '" + key + "' held is not a status chunk");
  const size_t n = static_cast<size_t>(patch.slots_size());
  if (patch.count() < c->count || patch.count() > ledger::kStatusChunkSlots) {
    return Refused("the patch of '" + key + "' gives " + std::to_string(patch.count()) +
                   " slots, the chunk held has " + std::to_string(c->count));
  }
  if (patch.statuses().size() != n ||
      patch.fingerprints().size() != n * ledger::kStatusFingerprintSize) {
    return Refused("the patch of '" + key + "': its statuses or fingerprints are not one per slot");
  }
  const uint32_t old_count = c->count;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t slot = patch.slots(static_cast<int>(i));
    if (slot >= patch.count() || (i > 0 && slot <= patch.slots(static_cast<int>(i - 1)))) {
      return Refused("the patch of '" + key + "': slots not ascending below its count");
    }
    const auto st = static_cast<uint8_t>(patch.statuses()[i]);
    if (st > 3) return Refused("the patch of '" + key + "': a status is not 0-3");
    ledger::StatusFingerprint fp;
    std::copy_n(patch.fingerprints().begin() + static_cast<std::ptrdiff_t>(i * fp.size()),
                fp.size(), fp.begin());
    if (slot < old_count) {
      c->SetStatus(slot, static_cast<ledger::SlotStatus>(st));
      c->SetFingerprint(slot, fp);
    } else {
      if (slot != c->count) return Refused("the patch of '" + key + "' skips an appended slot");
      c->Append(static_cast<ledger::SlotStatus>(st), fp);
    }
  }
  if (c->count != patch.count()) {
    return Refused("the patch of '" + key + "' does not list every appended slot");
  }
  return ledger::EncodeStatusChunk(*c);
}

// The patch turning status chunk `base` into `now`, if applying it gives `now` byte for byte.
std::optional<pb::StatusChunkPatch> PatchOf(const std::string& key, const std::string& base,
                                            const std::string& now) {
  auto b = ledger::DecodeStatusChunk(base);
  auto n = ledger::DecodeStatusChunk(now);
  if (!b.ok() || !n.ok() || n->count < b->count || b->issuer_id != n->issuer_id ||
      b->chunk != n->chunk) {
    return std::nullopt;
  }
  pb::StatusChunkPatch p;
  p.set_count(n->count);
  std::string statuses, fps;
  for (uint32_t j = 0; j < n->count; ++j) {
    const auto fp = n->fingerprint(j);
    if (j < b->count && b->status(j) == n->status(j) && b->fingerprint(j) == fp) continue;
    p.add_slots(j);
    statuses.push_back(static_cast<char>(n->status(j)));
    fps.append(reinterpret_cast<const char*>(fp.data()), fp.size());
  }
  p.set_statuses(std::move(statuses));
  p.set_fingerprints(std::move(fps));
  auto applied = ApplyPatch(key, base, p);
  if (!applied.ok() || *applied != now) return std::nullopt;
  return p;
}

}  // namespace

std::string Gzip(std::string_view data) {
  z_stream zs{};
  // 15 + 16: a gzip header and trailer; level 6 (zlib's default trade-off).
  if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    LAUREL_CHECK(false, "deflateInit2 failed");
  }
  std::string out;
  out.resize(deflateBound(&zs, data.size()) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  LAUREL_CHECK(rc == Z_STREAM_END, "deflate did not finish in its bound");
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

Result<std::string> Gunzip(std::string_view data, size_t max_out) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return Status::Internal("inflateInit2 failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buf[1 << 16];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return Status::InvalidArgument("the bundle is not valid gzip data");
    }
    out.append(buf, sizeof buf - zs.avail_out);
    if (out.size() > max_out) {
      inflateEnd(&zs);
      return Status::InvalidArgument("the bundle inflates beyond " + std::to_string(max_out) +
                                     " bytes");
    }
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
      inflateEnd(&zs);
      return Status::InvalidArgument("the bundle's gzip data is truncated");
    }
  }
  const bool trailing = zs.avail_in != 0;
  inflateEnd(&zs);
  if (trailing) return Status::InvalidArgument("bytes after the bundle's gzip data");
  return out;
}

Result<pb::GateBundle> DecodeBundle(std::string_view gz) {
  LAUREL_ASSIGN_OR_RETURN(std::string raw, Gunzip(gz));
  pb::GateBundle b;
  if (!b.ParseFromString(raw)) return Status::InvalidArgument("the bundle does not decode");
  return b;
}

std::string EncodeBundle(const pb::GateBundle& b) {
  return Gzip(ToString(types::SerializeDeterministic(b)));
}

Result<pb::GateBundle> BuildBundle(const BundleSource& src, uint64_t since) {
  if (since != 0 && since >= src.height) {
    return Status::InvalidArgument("since must be below the bundle's height " +
                                   std::to_string(src.height));
  }
  pb::GateBundle b;
  b.set_format(kBundleFormat);
  b.set_chain_id(src.chain_id);
  b.set_height(src.height);
  b.set_time_ms(src.time_ms);
  b.set_certificate(ToString(src.certificate));
  for (const auto& e : src.epoch_changes) *b.add_epoch_changes() = e;
  b.set_since(since);
  // A delta without the records of `since` sends whole records, as format 1 did.
  const bool patches = since == 0 || static_cast<bool>(src.read_since);
  std::vector<std::string> keys;
  for (uint32_t bucket = 0; bucket < ledger::kGateBuckets; ++bucket) {
    const std::string key = ledger::GateIndexKeyOf(bucket);
    LAUREL_ASSIGN_OR_RETURN(ledger::StateProof p, src.prove(key));
    auto* ip = b.add_index();
    ip->set_bucket(bucket);
    ip->set_present(p.value.has_value());
    for (const auto& s : p.proof.siblings) ip->add_siblings(Str(s));
    if (p.proof.leaf) {
      ip->set_leaf_key_hash(Str(p.proof.leaf->key_hash));
      ip->set_leaf_value_hash(Str(p.proof.leaf->value_hash));
    }
    if (!p.value) continue;
    auto index = ledger::DecodeGateIndex(*p.value);
    if (!index.ok()) return index.status();
    std::vector<uint64_t> heights;
    for (const auto& e : index->entries) {
      if (e.height > since || since == 0) {
        keys.push_back(e.key);
        heights.push_back(e.height);
      }
    }
    if (heights.empty()) {
      ip->set_unchanged(true);
      continue;
    }
    // Rebuilt by the gate when it gives these very bytes: the entries it will hold are the
    // ones listed (a delta: its own entries of height <= since, which are the index's then).
    bool rebuild = patches && Canonical(*p.value, *index);
    if (rebuild && since != 0) {
      std::optional<std::string> old = src.read_since(key);
      std::map<std::string, uint64_t> held;
      if (old) {
        auto oi = ledger::DecodeGateIndex(*old);
        if (!oi.ok()) return oi.status();
        for (const auto& e : oi->entries) held[e.key] = e.height;
      }
      for (const auto& e : index->entries) {
        if (e.height <= since) {
          auto it = held.find(e.key);
          rebuild = rebuild && it != held.end() && it->second == e.height;
        }
        held.erase(e.key);
      }
      rebuild = rebuild && held.empty();  // nothing the gate holds left out
    }
    if (rebuild) {
      ip->set_rebuilt(true);
      for (uint64_t h : heights) ip->add_heights(h);
    } else {
      ip->set_value(*p.value);
    }
  }
  std::sort(keys.begin(), keys.end());
  for (const auto& k : keys) {
    auto v = src.read(k);
    if (!v) return Status::Internal("state record '" + k + "' is in the gate index but absent");
    auto* r = b.add_records();
    r->set_key(k);
    if (since != 0 && patches && k[0] == 's') {
      if (auto old = src.read_since(k)) {
        if (auto patch = PatchOf(k, *old, *v)) {
          *r->mutable_patch() = std::move(*patch);
          continue;
        }
      }
    }
    r->set_value(std::move(*v));
  }
  return b;
}

Result<CheckedBundle> CheckBundle(const pb::GateBundle& b, const verifier::ValidatorSet& genesis,
                                  const CheckedBundle* base) {
  if (b.format() < kOldestBundleFormat || b.format() > kBundleFormat) {
    return Refused("bundle format " + std::to_string(b.format()) + " is not one this gate reads (" +
                   std::to_string(kOldestBundleFormat) + " to " + std::to_string(kBundleFormat) +
                   ")");
  }
  if (b.chain_id() != genesis.chain_id) {
    return Refused("the bundle is of chain '" + b.chain_id() + "', genesis says '" +
                   genesis.chain_id + "'");
  }
  const bool delta = b.since() != 0;
  if (delta) {
    if (base == nullptr) return Refused("a delta bundle needs the bundle it applies to");
    if (base->height != b.since()) {
      return Refused("the delta applies to height " + std::to_string(b.since()) +
                     ", the bundle held is of height " + std::to_string(base->height));
    }
    if (b.height() <= b.since()) return Refused("the delta does not move forward");
  }
  auto cert = verifier::DecodeCertificate(AsBytes(b.certificate()));
  if (!cert.ok()) return Refused("the bundle's certificate: " + cert.status().message());
  nlohmann::json changes = nlohmann::json::array();
  for (const auto& e : b.epoch_changes()) {
    changes.push_back(nlohmann::json::parse(types::MessageToJson(e, false)));
  }
  auto set = verifier::WalkEpochs(genesis, cert->epoch, changes);
  if (!set.ok()) return set.status();
  auto signers = verifier::CheckCertificate(*cert, *set);
  if (!signers.ok()) return signers.status();
  if (cert->height != b.height() || cert->time_ms != b.time_ms()) {
    return Refused("the bundle's height or time is not its certificate's");
  }
  CheckedBundle out;
  out.chain_id = b.chain_id();
  out.height = b.height();
  out.time_ms = b.time_ms();
  out.epoch = cert->epoch;
  out.state_root = cert->state_root;
  out.signers = std::move(signers).value();
  if (b.index_size() != static_cast<int>(ledger::kGateBuckets)) {
    return Refused("the bundle carries " + std::to_string(b.index_size()) +
                   " gate index proofs, not 256");
  }

  // The records: the delta's over the ones held (a patch over the chunk held). `carried`:
  // the keys this bundle carries, by bucket, in key order.
  if (delta) out.records = base->records;
  std::array<std::vector<std::string>, ledger::kGateBuckets> carried;
  std::string prev;
  for (const auto& r : b.records()) {
    if (!prev.empty() && !(prev < r.key())) return Refused("the bundle's records are not sorted");
    prev = r.key();
    auto bucket = BucketOfKey(r.key());
    if (!bucket) return Refused("record '" + r.key() + "' is not an issuer record or status chunk");
    carried[*bucket].push_back(r.key());
    if (r.has_patch()) {
      if (b.format() < 2 || !delta || r.key()[0] != 's') {
        return Refused("record '" + r.key() + "' is a patch outside a delta's status chunk");
      }
      auto held = base->records.find(r.key());
      if (held == base->records.end()) {
        return Refused("record '" + r.key() + "' is a patch of a chunk the gate does not hold");
      }
      if (!r.value().empty()) return Refused("record '" + r.key() + "' has a value and a patch");
      LAUREL_ASSIGN_OR_RETURN(std::string v, ApplyPatch(r.key(), held->second, r.patch()));
      out.records[r.key()] = std::move(v);
    } else {
      out.records[r.key()] = r.value();
    }
  }

  // The index: each bucket's record (sent, kept, or rebuilt from the records and heights)
  // proven against the certified root; then every key it lists, with its hash and height.
  std::map<std::string, ledger::GateIndexEntry> listed;
  std::array<bool, ledger::kGateBuckets> rebuilt{};
  std::array<std::vector<std::string>, ledger::kGateBuckets> held_keys;  // records by bucket
  if (b.format() >= 2) {
    for (const auto& [k, v] : out.records) {
      auto bucket = BucketOfKey(k);
      if (!bucket) return Refused("record '" + k + "' is not an issuer record or status chunk");
      held_keys[*bucket].push_back(k);
    }
  }
  for (uint32_t i = 0; i < ledger::kGateBuckets; ++i) {
    const pb::GateIndexProof& ip = b.index(static_cast<int>(i));
    const std::string key = ledger::GateIndexKeyOf(i);
    if (ip.bucket() != i) return Refused("gate index proof " + std::to_string(i) + " out of order");
    std::optional<std::string> value;
    if (ip.present()) {
      if (ip.unchanged()) {
        if (!delta || !base->index[i]) {
          return Refused("record '" + key + "' is said unchanged but there is nothing to keep");
        }
        if (!carried[i].empty()) {
          return Refused("record '" + key +
                         "' is said unchanged but the bundle changes its records");
        }
        value = base->index[i];
      } else if (ip.rebuilt()) {
        if (b.format() < 2 || !ip.value().empty()) {
          return Refused("record '" + key + "' is both sent and to be rebuilt");
        }
        if (static_cast<size_t>(ip.heights_size()) != carried[i].size()) {
          return Refused("record '" + key + "' gives " + std::to_string(ip.heights_size()) +
                         " heights for the " + std::to_string(carried[i].size()) +
                         " records the bundle carries in its bucket");
        }
        std::map<std::string, uint64_t> old_heights;
        if (delta && base->index[i]) {
          auto old = ledger::DecodeGateIndex(*base->index[i]);
          if (!old.ok()) return Refused("the held record '" + key + "' does not decode");
          for (const auto& e : old->entries) old_heights[e.key] = e.height;
        }
        ledger::GateIndex g;
        g.bucket = i;
        size_t next = 0;  // carried[i] and held_keys[i] are both in key order
        for (const auto& k : held_keys[i]) {
          ledger::GateIndexEntry e;
          e.key = k;
          e.value_hash = crypto::Sha256Of(out.records.at(k));
          if (next < carried[i].size() && carried[i][next] == k) {
            e.height = ip.heights(static_cast<int>(next++));
          } else {
            auto it = old_heights.find(k);
            if (it == old_heights.end()) {
              return Refused("record '" + k + "' has no height to rebuild '" + key + "' with");
            }
            e.height = it->second;
          }
          g.entries.push_back(std::move(e));
        }
        value = ledger::EncodeGateIndex(g);
        rebuilt[i] = true;
      } else {
        value = ip.value();
      }
    } else if (ip.rebuilt() || ip.unchanged() || !ip.value().empty() || ip.heights_size() != 0) {
      return Refused("record '" + key + "' is absent but the bundle gives it");
    }
    verifier::RecordProof rp;
    rp.key = key;
    rp.value = value;
    for (const auto& s : ip.siblings()) {
      auto h = HashOf(s);
      if (!h) return Refused("record '" + key + "': a sibling is not 32 bytes");
      rp.proof.siblings.push_back(*h);
    }
    if (!ip.leaf_key_hash().empty() || !ip.leaf_value_hash().empty()) {
      auto kh = HashOf(ip.leaf_key_hash());
      auto vh = HashOf(ip.leaf_value_hash());
      if (!kh || !vh) return Refused("record '" + key + "': a leaf hash is not 32 bytes");
      rp.proof.leaf = crypto::smt::ProofLeaf{*kh, *vh};
    }
    LAUREL_RETURN_IF_ERROR(verifier::CheckRecord(out.state_root, rp));
    out.index[i] = value;
    if (!value) continue;
    auto index = ledger::DecodeGateIndex(*value);
    if (!index.ok() || index->bucket != i) {
      return Refused("record '" + key + "' is not a gate index record of its bucket");
    }
    for (auto& e : index->entries) {
      auto issuer = ledger::GateListedIssuer(e.key);
      if (!issuer || ledger::GateBucketOf(*issuer) != i) {
        return Refused("record '" + key + "' lists '" + e.key + "', not of its bucket");
      }
      std::string k = e.key;
      listed.emplace(std::move(k), std::move(e));
    }
  }
  // Each record must be the one its index lists (a rebuilt index lists the records' own
  // hashes: proven, it vouches for them).
  for (const auto& [k, v] : out.records) {
    auto it = listed.find(k);
    if (it == listed.end()) return Refused("record '" + k + "' is in no gate index record");
    auto bucket = BucketOfKey(k);
    if (!bucket) return Refused("record '" + k + "' is not an issuer record or status chunk");
    if (!rebuilt[*bucket] && crypto::Sha256Of(v) != it->second.value_hash) {
      return Refused("record '" + k + "' is not the one the certified gate index lists");
    }
    if (k[0] == 's') {
      auto c = ledger::DecodeStatusChunk(v);
      if (!c.ok() || ledger::StatusChunkKeyOf(c->issuer_id, c->chunk) != k) {
        return Refused("record '" + k + "' is not a status chunk of that key");
      }
    } else {
      auto is = ledger::DecodeIssuer(v);
      if (!is.ok() || ledger::IssuerKeyOf(is->issuer_id) != k) {
        return Refused("record '" + k + "' is not an issuer record of that key");
      }
    }
  }
  if (listed.size() != out.records.size()) {
    for (const auto& [k, e] : listed) {
      if (!out.records.count(k)) return Refused("record '" + k + "' is missing from the bundle");
    }
  }
  // The whole bundle, as a full one of this height is served (format 2: the index rebuilt from
  // the records and heights where it re-encodes to its bytes).
  out.full = b;
  out.full.set_format(kBundleFormat);
  out.full.set_since(0);
  out.full.clear_records();
  crypto::Sha256 h;
  for (uint32_t i = 0; i < ledger::kGateBuckets; ++i) {
    auto* ip = out.full.mutable_index(static_cast<int>(i));
    ip->set_unchanged(false);
    ip->set_rebuilt(false);
    ip->clear_heights();
    ip->clear_value();
    std::string len;
    if (out.index[i]) {
      auto g = ledger::DecodeGateIndex(*out.index[i]);  // decoded above
      if (g.ok() && Canonical(*out.index[i], *g)) {
        ip->set_rebuilt(true);
        for (const auto& e : g->entries) ip->add_heights(e.height);
      } else {
        ip->set_value(*out.index[i]);
      }
      AppendU32BE(len, static_cast<uint32_t>(out.index[i]->size()));
      h.Update(std::string_view("\1", 1)).Update(len).Update(*out.index[i]);
    } else {
      h.Update(std::string_view("\0", 1));
    }
  }
  for (const auto& [k, v] : out.records) {
    auto* r = out.full.add_records();
    r->set_key(k);
    r->set_value(v);
    std::string lens;
    AppendU32BE(lens, static_cast<uint32_t>(k.size()));
    h.Update(lens).Update(k);
    lens.clear();
    AppendU32BE(lens, static_cast<uint32_t>(v.size()));
    h.Update(lens).Update(v);
  }
  out.content_digest = h.Finish();
  return out;
}

}  // namespace laurel::gate
