#include "verifier/verifier.h"

#include <nlohmann/json.hpp>
#include <set>

#include "crypto/sha256.h"

namespace laurel::verifier {
namespace {

constexpr uint32_t kMaxSignatures = 1024;

Status Refused(std::string what) { return Status::PermissionDenied(std::move(what)); }

void AppendHash(Bytes& out, const Hash32& h) { out.insert(out.end(), h.begin(), h.end()); }
void AppendU64(Bytes& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void AppendU32(Bytes& out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

class Reader {
 public:
  explicit Reader(ByteView b) : b_(b) {}
  bool U64(uint64_t* v) {
    if (b_.size() < 8) return false;
    *v = ReadU64BE(b_.data());
    b_ = b_.subspan(8);
    return true;
  }
  bool U32(uint32_t* v) {
    if (b_.size() < 4) return false;
    *v = (uint32_t{b_[0]} << 24) | (uint32_t{b_[1]} << 16) | (uint32_t{b_[2]} << 8) | b_[3];
    b_ = b_.subspan(4);
    return true;
  }
  template <size_t N>
  bool Fixed(std::array<uint8_t, N>* out) {
    if (b_.size() < N) return false;
    std::copy(b_.begin(), b_.begin() + N, out->begin());
    b_ = b_.subspan(N);
    return true;
  }
  bool done() const { return b_.empty(); }

 private:
  ByteView b_;
};

// A JSON field as a string (proto3 JSON prints 64-bit integers as strings).
std::optional<std::string> Str(const nlohmann::json& j, const char* name) {
  if (!j.is_object() || !j.contains(name) || !j[name].is_string()) return std::nullopt;
  return j[name].get<std::string>();
}
std::optional<uint64_t> U64Field(const nlohmann::json& j, const char* name) {
  if (!j.is_object() || !j.contains(name)) return std::nullopt;
  const auto& v = j[name];
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s.empty() || s.size() > 20 || s.find_first_not_of("0123456789") != std::string::npos) {
      return std::nullopt;
    }
    return std::stoull(s);
  }
  return std::nullopt;
}
std::optional<Hash32> HashField(const nlohmann::json& j, const char* name) {
  auto s = Str(j, name);
  if (!s) return std::nullopt;
  return HexDecode32(*s);
}

}  // namespace

Result<Certificate> DecodeCertificate(ByteView bytes) {
  Reader r(bytes);
  Certificate c;
  uint32_t n = 0;
  if (!r.U64(&c.epoch) || !r.U64(&c.height) || !r.Fixed(&c.block_id) ||
      !r.Fixed(&c.state_root) || !r.Fixed(&c.tx_root) || !r.U64(&c.time_ms) ||
      !r.Fixed(&c.next_validators) || !r.U32(&n)) {
    return Refused("the state certificate is truncated");
  }
  if (n > kMaxSignatures) return Refused("the state certificate lists too many signatures");
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t signer = 0;
    crypto::Signature sig{};
    if (!r.U32(&signer) || !r.Fixed(&sig)) return Refused("the state certificate is truncated");
    c.signatures.emplace_back(signer, sig);
  }
  if (!r.done()) return Refused("the state certificate has trailing bytes");
  return c;
}

Bytes CertificateSignBytes(std::string_view chain_id, const Certificate& c) {
  Bytes out(kAttestationDomain.begin(), kAttestationDomain.end());
  AppendU32(out, static_cast<uint32_t>(chain_id.size()));
  out.insert(out.end(), chain_id.begin(), chain_id.end());
  AppendU64(out, c.epoch);
  AppendU64(out, c.height);
  AppendHash(out, c.block_id);
  AppendHash(out, c.state_root);
  AppendHash(out, c.tx_root);
  AppendU64(out, c.time_ms);
  AppendHash(out, c.next_validators);
  return out;
}

Hash32 ValidatorSetHash(const ValidatorSet& set) {
  Bytes b(kValidatorSetDomain.begin(), kValidatorSetDomain.end());
  AppendU32(b, static_cast<uint32_t>(set.keys.size()));
  for (size_t i = 0; i < set.keys.size(); ++i) {
    b.insert(b.end(), set.keys[i].begin(), set.keys[i].end());
    const std::string name = i < set.names.size() ? set.names[i] : std::string();
    const std::string address = i < set.addresses.size() ? set.addresses[i] : std::string();
    AppendU32(b, static_cast<uint32_t>(name.size()));
    b.insert(b.end(), name.begin(), name.end());
    AppendU32(b, static_cast<uint32_t>(address.size()));
    b.insert(b.end(), address.begin(), address.end());
  }
  return crypto::Sha256Of(b);
}

Result<std::vector<std::string>> CheckCertificate(const Certificate& c, const ValidatorSet& set) {
  if (set.keys.empty()) return Refused("no validator set to check the certificate against");
  if (c.epoch != set.epoch) {
    return Refused("the state certificate is of epoch " + std::to_string(c.epoch) +
                   ", the validator set of epoch " + std::to_string(set.epoch));
  }
  const Bytes msg = CertificateSignBytes(set.chain_id, c);
  std::set<uint32_t> seen;
  std::vector<std::string> names;
  for (const auto& [signer, sig] : c.signatures) {
    if (signer >= set.keys.size()) {
      return Refused("the state certificate names validator " + std::to_string(signer) +
                     ", which the validator set does not have");
    }
    if (!seen.insert(signer).second) {
      return Refused("the state certificate lists validator " + std::to_string(signer) + " twice");
    }
    if (!crypto::Verify(set.keys[signer], msg, sig)) {
      return Refused("the state certificate's signature of validator " + std::to_string(signer) +
                     " does not verify (for chain '" + set.chain_id + "', height " +
                     std::to_string(c.height) + ")");
    }
    const std::string& name = signer < set.names.size() ? set.names[signer] : std::string();
    names.push_back(name.empty() ? "validator " + std::to_string(signer) : name);
  }
  if (seen.size() < set.Quorum()) {
    return Refused("the state certificate has " + std::to_string(seen.size()) +
                   " valid signatures; " + std::to_string(set.Quorum()) + " of " +
                   std::to_string(set.keys.size()) + " validators are needed");
  }
  return names;
}

Status CheckRecord(const Hash32& root, const RecordProof& r) {
  std::optional<Hash32> vh;
  if (r.value) vh = crypto::Sha256Of(*r.value);
  std::string why;
  if (!crypto::smt::VerifyProof(root, crypto::smt::KeyHash(r.key), vh, r.proof, &why)) {
    return Refused("record '" + r.key + "': " + why);
  }
  return Status::Ok();
}

Result<ValidatorSet> WalkEpochs(const ValidatorSet& set, uint64_t epoch,
                                const nlohmann::json& changes) {
  if (epoch < set.epoch) {
    return Refused("the state certificate is of epoch " + std::to_string(epoch) +
                   ", before the validator set's epoch " + std::to_string(set.epoch));
  }
  if (epoch == set.epoch) return set;
  if (epoch - set.epoch > kMaxEpochChanges) return Refused("too many epoch changes to walk");
  if (!changes.is_array() || changes.size() != epoch - set.epoch) {
    return Refused("the state certificate is of epoch " + std::to_string(epoch) +
                   " and the proof does not carry the " + std::to_string(epoch - set.epoch) +
                   " epoch change(s) from epoch " + std::to_string(set.epoch));
  }
  ValidatorSet cur = set;
  for (const auto& ch : changes) {
    const uint64_t next = cur.epoch + 1;
    const std::string what = "the change to epoch " + std::to_string(next);
    auto hex = Str(ch, "certificate");
    auto bytes = hex ? HexDecode(*hex) : std::nullopt;
    if (!bytes) return Refused(what + " carries no certificate");
    auto cert = DecodeCertificate(*bytes);
    if (!cert.ok()) return Refused(what + ": " + cert.status().message());
    auto signers = CheckCertificate(*cert, cur);
    if (!signers.ok()) return Refused(what + ": " + signers.status().message());
    ValidatorSet n;
    n.chain_id = cur.chain_id;
    n.epoch = next;
    if (!ch.contains("validators") || !ch["validators"].is_array() || ch["validators"].empty() ||
        ch["validators"].size() > kMaxSignatures) {
      return Refused(what + " lists no validators");
    }
    for (const auto& v : ch["validators"]) {
      auto key = Str(v, "public_key");
      auto kb = key ? HexDecode(*key) : std::nullopt;
      if (!kb || kb->size() != 32) return Refused(what + ": a validator key is not 32 hex bytes");
      n.keys.push_back(*kb);
      n.names.push_back(Str(v, "name").value_or(""));
      n.addresses.push_back(Str(v, "address").value_or(""));
    }
    if (cert->next_validators != ValidatorSetHash(n)) {
      return Refused(what + ": the validators listed are not the ones epoch " +
                     std::to_string(cur.epoch) + "'s last certificate names");
    }
    cur = std::move(n);
  }
  return cur;
}

Result<ProvenState> CheckStateProof(const nlohmann::json& proof, const ValidatorSet& set,
                                    uint64_t now_ms, uint64_t max_age_ms) {
  if (!proof.is_object() || proof.empty()) {
    return Refused("the answer carries no proof (ask with ?proof=true)");
  }
  auto cert_hex = Str(proof, "certificate");
  auto cert_bytes = cert_hex ? HexDecode(*cert_hex) : std::nullopt;
  if (!cert_bytes || cert_bytes->empty()) return Refused("the proof carries no state certificate");
  LAUREL_ASSIGN_OR_RETURN(Certificate cert, DecodeCertificate(*cert_bytes));
  static const nlohmann::json kNoChanges = nlohmann::json::array();
  LAUREL_ASSIGN_OR_RETURN(
      ValidatorSet epoch_set,
      WalkEpochs(set, cert.epoch,
                 proof.contains("epoch_changes") ? proof["epoch_changes"] : kNoChanges));
  LAUREL_ASSIGN_OR_RETURN(auto signers, CheckCertificate(cert, epoch_set));
  ProvenState out;
  out.epoch = cert.epoch;
  out.validators = epoch_set.keys.size();
  out.height = cert.height;
  out.time_ms = cert.time_ms;
  out.state_root = cert.state_root;
  out.signers = std::move(signers);
  const auto height = U64Field(proof, "height");
  const auto root = HashField(proof, "state_root");
  if (!height || *height != cert.height) {
    return Refused("the proof's height is not the certified height " + std::to_string(cert.height));
  }
  if (!root || *root != cert.state_root) {
    return Refused("the proof's state root is not the certified state root");
  }
  if (max_age_ms > 0 && now_ms > cert.time_ms && now_ms - cert.time_ms > max_age_ms) {
    return Refused("the proof is stale: height " + std::to_string(cert.height) + " is " +
                   std::to_string((now_ms - cert.time_ms) / 1000) + " s old, more than the " +
                   std::to_string(max_age_ms / 1000) + " s allowed");
  }
  if (!proof.contains("records") || !proof["records"].is_array()) {
    return Refused("the proof carries no records");
  }
  for (const auto& rj : proof["records"]) {
    RecordProof r;
    auto key = Str(rj, "key");
    if (!key) return Refused("a proven record has no key");
    r.key = *key;
    if (auto v = Str(rj, "value")) {
      auto b = HexDecode(*v);
      if (!b) return Refused("record '" + r.key + "': the value is not hex");
      r.value = ToString(*b);
    }
    if (rj.contains("siblings")) {
      if (!rj["siblings"].is_array()) return Refused("record '" + r.key + "': bad siblings");
      for (const auto& s : rj["siblings"]) {
        auto h = s.is_string() ? HexDecode32(s.get<std::string>()) : std::nullopt;
        if (!h) return Refused("record '" + r.key + "': a sibling is not a 32-byte hex hash");
        r.proof.siblings.push_back(*h);
      }
    }
    const auto lk = HashField(rj, "leaf_key_hash");
    const auto lv = HashField(rj, "leaf_value_hash");
    if (lk.has_value() != lv.has_value() || (Str(rj, "leaf_key_hash") && !lk)) {
      return Refused("record '" + r.key + "': a malformed leaf");
    }
    if (lk) r.proof.leaf = crypto::smt::ProofLeaf{*lk, *lv};
    LAUREL_RETURN_IF_ERROR(CheckRecord(cert.state_root, r));
    if (out.records.count(r.key)) return Refused("record '" + r.key + "' is proven twice");
    out.records[r.key] = r.value;
  }
  return out;
}

}  // namespace laurel::verifier
