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

std::string Str(const Hash32& h) { return std::string(reinterpret_cast<const char*>(h.data()), 32); }

std::optional<Hash32> HashOf(const std::string& s) {
  if (s.size() != 32) return std::nullopt;
  Hash32 h;
  std::copy(s.begin(), s.end(), h.begin());
  return h;
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
    bool changed = false;
    for (const auto& e : index->entries) {
      if (e.height > since || since == 0) {
        changed = true;
        keys.push_back(e.key);
      }
    }
    if (changed) {
      ip->set_value(*p.value);
    } else {
      ip->set_unchanged(true);
    }
  }
  std::sort(keys.begin(), keys.end());
  for (const auto& k : keys) {
    auto v = src.read(k);
    if (!v) return Status::Internal("state record '" + k + "' is in the gate index but absent");
    auto* r = b.add_records();
    r->set_key(k);
    r->set_value(std::move(*v));
  }
  return b;
}

Result<CheckedBundle> CheckBundle(const pb::GateBundle& b, const verifier::ValidatorSet& genesis,
                                  const CheckedBundle* base) {
  if (b.format() != kBundleFormat) {
    return Refused("bundle format " + std::to_string(b.format()) + " is not " +
                   std::to_string(kBundleFormat));
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
  // Every key the index lists, with its hash and height.
  std::map<std::string, ledger::GateIndexEntry> listed;
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
        value = base->index[i];
      } else {
        value = ip.value();
      }
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
  // The records: the delta's over the ones held, then each must be the one its index lists.
  if (delta) out.records = base->records;
  std::string prev;
  for (const auto& r : b.records()) {
    if (!prev.empty() && !(prev < r.key())) return Refused("the bundle's records are not sorted");
    prev = r.key();
    out.records[r.key()] = r.value();
  }
  for (const auto& [k, v] : out.records) {
    auto it = listed.find(k);
    if (it == listed.end()) return Refused("record '" + k + "' is in no gate index record");
    if (crypto::Sha256Of(v) != it->second.value_hash) {
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
  // The whole bundle, as a full one of this height would be.
  out.full = b;
  out.full.set_since(0);
  out.full.clear_records();
  crypto::Sha256 h;
  for (uint32_t i = 0; i < ledger::kGateBuckets; ++i) {
    auto* ip = out.full.mutable_index(static_cast<int>(i));
    ip->set_unchanged(false);
    std::string len;
    if (out.index[i]) {
      ip->set_value(*out.index[i]);
      AppendU32BE(len, static_cast<uint32_t>(out.index[i]->size()));
      h.Update(std::string_view("\1", 1)).Update(len).Update(*out.index[i]);
    } else {
      ip->clear_value();
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
