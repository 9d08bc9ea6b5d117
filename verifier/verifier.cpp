#include "verifier/verifier.h"

#include <charconv>
#include <nlohmann/json.hpp>
#include <set>

#include "crypto/merkle.h"
#include "crypto/merkle_log.h"
#include "crypto/sha256.h"

namespace laurel::verifier {
namespace {

// Milliseconds as seconds for a person, rounded up to a tenth (whole seconds plainly), so that an
// age just over a bound never reads as equal to it ("4.1 s", not "4 s").
std::string SecondsText(uint64_t ms) {
  const uint64_t tenths = ms / 100 + (ms % 100 != 0 ? 1 : 0);
  if (tenths % 10 == 0) return std::to_string(tenths / 10);
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10);
}

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
    // Decimal digits only, and no more than fit: a value above 2^64 - 1 is not a number here
    // (never an exception out of the verifier).
    const std::string s = v.get<std::string>();
    uint64_t n = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (s.empty() || s.front() == '+' || ec != std::errc() || end != s.data() + s.size()) {
      return std::nullopt;
    }
    return n;
  }
  return std::nullopt;
}
std::optional<Hash32> HashField(const nlohmann::json& j, const char* name) {
  auto s = Str(j, name);
  if (!s) return std::nullopt;
  return HexDecode32(*s);
}

// A protobuf length-delimited field (wire type 2) of `field`, with a minimal varint length.
bool ReadLengthDelimited(ByteView& b, uint8_t field, ByteView* out) {
  if (b.empty() || b[0] != static_cast<uint8_t>((field << 3) | 2)) return false;
  size_t i = 1;
  uint64_t len = 0;
  for (int shift = 0;; shift += 7) {
    if (i >= b.size() || shift > 28) return false;
    const uint8_t byte = b[i++];
    len |= uint64_t{byte & 0x7fu} << shift;
    if (!(byte & 0x80)) {
      if (byte == 0 && shift > 0) return false;  // not minimal
      break;
    }
  }
  if (len > b.size() - i) return false;
  *out = b.subspan(i, len);
  b = b.subspan(i + len);
  return true;
}

struct TxParts {
  Bytes body;
  std::vector<std::pair<Bytes, Bytes>> signatures;  // key, signature
};

// laurel.v1.Tx {bytes body = 1; repeated Signature signatures = 2;} with Signature {bytes
// public_key = 1; bytes signature = 2;}, in the canonical form nodes serve (fields in order,
// none repeated or unknown, empty ones left out): any other byte string is refused, so that a
// changed byte cannot leave the meaning unchanged.
std::optional<TxParts> ParseCanonicalTx(ByteView b) {
  constexpr size_t kMaxTxBytes = 64 * 1024;
  constexpr size_t kMaxTxSignatures = 32;
  if (b.size() > kMaxTxBytes) return std::nullopt;
  TxParts out;
  ByteView field;
  if (ReadLengthDelimited(b, 1, &field)) {
    if (field.empty()) return std::nullopt;
    out.body.assign(field.begin(), field.end());
  }
  while (!b.empty()) {
    ByteView sig;
    if (!ReadLengthDelimited(b, 2, &sig) || out.signatures.size() == kMaxTxSignatures) {
      return std::nullopt;
    }
    std::pair<Bytes, Bytes> s;
    if (ReadLengthDelimited(sig, 1, &field)) {
      if (field.empty()) return std::nullopt;
      s.first.assign(field.begin(), field.end());
    }
    if (ReadLengthDelimited(sig, 2, &field)) {
      if (field.empty()) return std::nullopt;
      s.second.assign(field.begin(), field.end());
    }
    if (!sig.empty()) return std::nullopt;
    out.signatures.push_back(std::move(s));
  }
  return out;
}

// Strict Ed25519 over "laurel/tx/v1\0" || body (docs/spec/signing.md), as execution checks.
bool TxSignatureVerifies(const std::pair<Bytes, Bytes>& s, const Bytes& body) {
  static constexpr std::string_view kTxDomain{"laurel/tx/v1\0", 13};
  return crypto::VerifyWithDomain(s.first, kTxDomain, body, s.second);
}

}  // namespace

Result<Certificate> DecodeCertificate(ByteView bytes) {
  Reader r(bytes);
  Certificate c;
  uint32_t n = 0;
  if (!r.U64(&c.epoch) || !r.U64(&c.height) || !r.Fixed(&c.block_id) || !r.Fixed(&c.state_root) ||
      !r.Fixed(&c.tx_root) || !r.U64(&c.time_ms) || !r.Fixed(&c.next_validators) || !r.U32(&n)) {
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

Bytes EncodeCertificate(const Certificate& c) {
  Bytes out;
  AppendU64(out, c.epoch);
  AppendU64(out, c.height);
  AppendHash(out, c.block_id);
  AppendHash(out, c.state_root);
  AppendHash(out, c.tx_root);
  AppendU64(out, c.time_ms);
  AppendHash(out, c.next_validators);
  AppendU32(out, static_cast<uint32_t>(c.signatures.size()));
  for (const auto& [signer, sig] : c.signatures) {
    AppendU32(out, signer);
    out.insert(out.end(), sig.begin(), sig.end());
  }
  return out;
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

namespace {
// A certificate of an epoch's set is of a height in that epoch (at or after its start).
Status CheckInEpoch(const Certificate& c, const ValidatorSet& set) {
  if (c.height < set.start_height) {
    return Refused("the state certificate of height " + std::to_string(c.height) + " is of epoch " +
                   std::to_string(set.epoch) + ", which starts at height " +
                   std::to_string(set.start_height));
  }
  return Status::Ok();
}
}  // namespace

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
  uint64_t prev_start = 0;  // the start height of the epoch walked last (0: not known)
  for (size_t i = 0; i < changes.size(); ++i) {
    const auto& ch = changes[i];
    const uint64_t next = cur.epoch + 1;
    const std::string what = "the change to epoch " + std::to_string(next);
    // The change names the epoch it begins and its first height: they must be the ones walked
    // (epoch numbers one after another, each starting right after the certified last block of
    // the epoch before, later than that epoch's own start).
    const auto named = U64Field(ch, "epoch");
    if (!named)
      return Refused(what + " (epoch change " + std::to_string(i + 1) + ") names no epoch");
    if (*named != next) {
      return Refused("epoch change " + std::to_string(i + 1) + " names epoch " +
                     std::to_string(*named) + " where epoch " + std::to_string(next) +
                     " follows epoch " + std::to_string(cur.epoch) +
                     (*named <= cur.epoch ? " (an epoch repeated)" : " (an epoch skipped)"));
    }
    const auto start = U64Field(ch, "start_height");
    if (!start || *start == 0) return Refused(what + " names no start height");
    auto hex = Str(ch, "certificate");
    auto bytes = hex ? HexDecode(*hex) : std::nullopt;
    if (!bytes) return Refused(what + " carries no certificate");
    auto cert = DecodeCertificate(*bytes);
    if (!cert.ok()) return Refused(what + ": " + cert.status().message());
    if (cert->height + 1 != *start) {
      return Refused(what + " starts at height " + std::to_string(*start) +
                     ", which does not follow its certificate of epoch " +
                     std::to_string(cur.epoch) + "'s last block (height " +
                     std::to_string(cert->height) + ")");
    }
    if (*start <= prev_start) {
      return Refused(what + " starts at height " + std::to_string(*start) + ", not after epoch " +
                     std::to_string(cur.epoch) + "'s start height " + std::to_string(prev_start));
    }
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
    n.start_height = *start;
    cur = std::move(n);
    prev_start = *start;
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
  LAUREL_RETURN_IF_ERROR(CheckInEpoch(cert, epoch_set));
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
                   SecondsText(now_ms - cert.time_ms) + " s old, more than the " +
                   SecondsText(max_age_ms) + " s allowed");
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

Result<ProvenReceipt> CheckReceipt(const nlohmann::json& receipt, const ValidatorSet& set) {
  if (!receipt.is_object()) return Refused("the receipt is not a JSON object");
  ProvenReceipt out;

  // The transaction and its id.
  auto tx_hex = Str(receipt, "tx");
  auto tx_bytes = tx_hex ? HexDecode(*tx_hex) : std::nullopt;
  if (!tx_bytes || tx_bytes->empty()) return Refused("the receipt carries no transaction bytes");
  auto tx = ParseCanonicalTx(*tx_bytes);
  if (!tx) return Refused("the receipt's transaction bytes are not a canonical laurel.v1.Tx");
  auto tx_id = HashField(receipt, "tx_id");
  if (!tx_id) return Refused("the receipt has no tx_id of 64 hex characters");
  if (crypto::Sha256Of(tx->body) != *tx_id) {
    return Refused("the receipt's tx_id " + HexEncode(*tx_id) +
                   " is not the SHA-256 of the transaction's body");
  }
  out.tx_id = *tx_id;

  // Where, and with what result.
  const auto height = U64Field(receipt, "height");
  const auto time_ms = U64Field(receipt, "time_ms");
  const auto position = U64Field(receipt, "position");
  const auto tx_count = U64Field(receipt, "tx_count");
  const auto code = U64Field(receipt, "code");
  const auto block_id = HashField(receipt, "block_id");
  const auto tx_root = HashField(receipt, "tx_root");
  if (!height) return Refused("the receipt has no height");
  if (!time_ms) return Refused("the receipt has no block time");
  if (!position || *position > UINT32_MAX) return Refused("the receipt has no position");
  if (!tx_count || *tx_count > UINT32_MAX) return Refused("the receipt has no tx_count");
  if (!code || *code > UINT32_MAX) return Refused("the receipt has no result code");
  if (!block_id) return Refused("the receipt has no block_id of 64 hex characters");
  if (!tx_root) return Refused("the receipt has no tx_root of 64 hex characters");
  if (*position >= *tx_count) {
    return Refused("position " + std::to_string(*position) + " is outside a block of " +
                   std::to_string(*tx_count) + " transaction(s)");
  }
  std::vector<Bytes> path;
  if (!receipt.contains("audit_path") || !receipt["audit_path"].is_array() ||
      receipt["audit_path"].size() > 64) {
    return Refused("the receipt has no audit path");
  }
  for (const auto& e : receipt["audit_path"]) {
    auto h = e.is_string() ? HexDecode32(e.get<std::string>()) : std::nullopt;
    if (!h) {
      return Refused("audit path element " + std::to_string(path.size()) +
                     " is not a 32-byte hex hash");
    }
    path.emplace_back(h->begin(), h->end());
  }

  // The certificate: the validators', of this block.
  auto cert_hex = Str(receipt, "certificate");
  auto cert_bytes = cert_hex ? HexDecode(*cert_hex) : std::nullopt;
  if (!cert_bytes || cert_bytes->empty()) {
    return Refused("the receipt carries no state certificate");
  }
  LAUREL_ASSIGN_OR_RETURN(Certificate cert, DecodeCertificate(*cert_bytes));
  static const nlohmann::json kNoChanges = nlohmann::json::array();
  LAUREL_ASSIGN_OR_RETURN(
      ValidatorSet epoch_set,
      WalkEpochs(set, cert.epoch,
                 receipt.contains("epoch_changes") ? receipt["epoch_changes"] : kNoChanges));
  LAUREL_RETURN_IF_ERROR(CheckInEpoch(cert, epoch_set));
  LAUREL_ASSIGN_OR_RETURN(out.signers, CheckCertificate(cert, epoch_set));
  if (cert.height != *height) {
    return Refused("the state certificate is of height " + std::to_string(cert.height) +
                   ", the receipt names height " + std::to_string(*height));
  }
  if (cert.block_id != *block_id) {
    return Refused("the receipt's block_id is not the block the certificate of height " +
                   std::to_string(cert.height) + " names");
  }
  if (cert.time_ms != *time_ms) {
    return Refused("the receipt's block time is not the certified time of height " +
                   std::to_string(cert.height));
  }
  if (cert.tx_root != *tx_root) {
    return Refused("the receipt's tx_root is not the certified tx_root of height " +
                   std::to_string(cert.height));
  }

  // The leaf tx_id || u32be(code) at `position` of the certified tx_root.
  Bytes leaf(tx_id->begin(), tx_id->end());
  AppendU32(leaf, static_cast<uint32_t>(*code));
  if (!crypto::VerifyMerkleInclusion(*position, *tx_count, crypto::MerkleLeafHash(leaf), path,
                                     cert.tx_root)) {
    return Refused("the audit path does not lead from the leaf (tx " + HexEncode(*tx_id) +
                   ", result code " + std::to_string(*code) + ") at position " +
                   std::to_string(*position) + " of " + std::to_string(*tx_count) +
                   " to the certified tx_root of height " + std::to_string(cert.height));
  }

  // The signatures are not in the leaf; they must agree with the certified code.
  size_t failing = 0;
  for (size_t i = 0; i < tx->signatures.size(); ++i) {
    if (!TxSignatureVerifies(tx->signatures[i], tx->body)) {
      ++failing;
      if (*code != kCodeMalformed && *code != kCodeBadSignature) {
        return Refused("signature " + std::to_string(i) +
                       " of the transaction does not verify, yet its certified result code " +
                       std::to_string(*code) + " says every signature did");
      }
    }
  }
  if (*code == kCodeMissingSignature && !tx->signatures.empty()) {
    return Refused(
        "the transaction carries signatures, yet its certified result is "
        "MISSING_SIGNATURE");
  }
  if (*code == kCodeBadSignature && failing == 0) {
    return Refused(
        "every signature of the transaction verifies, yet its certified result is "
        "BAD_SIGNATURE");
  }
  if (*code != kCodeMalformed && *code != kCodeMissingSignature && tx->signatures.empty()) {
    return Refused("the transaction carries no signature, yet its certified result code " +
                   std::to_string(*code) + " says it was signed");
  }

  out.body = std::move(tx->body);
  for (auto& s : tx->signatures) out.signer_keys.push_back(std::move(s.first));
  out.height = cert.height;
  out.time_ms = cert.time_ms;
  out.block_id = cert.block_id;
  out.tx_root = cert.tx_root;
  out.position = static_cast<uint32_t>(*position);
  out.tx_count = static_cast<uint32_t>(*tx_count);
  out.code = static_cast<uint32_t>(*code);
  out.epoch = cert.epoch;
  out.validators = epoch_set.keys.size();
  return out;
}

// ---- The transaction log ----

Result<ProvenLogHead> CheckLogHead(const nlohmann::json& answer, const ValidatorSet& set,
                                   uint64_t now_ms, uint64_t max_age_ms) {
  if (!answer.is_object()) return Refused("the log head answer is not a JSON object");
  if (!answer.contains("proof")) {
    return Refused("the log head answer carries no proof (ask GET /v1/log?proof=true)");
  }
  LAUREL_ASSIGN_OR_RETURN(ProvenState st,
                          CheckStateProof(answer["proof"], set, now_ms, max_age_ms));
  const auto it = st.records.find(std::string(kTxLogStateKey));
  if (it == st.records.end()) return Refused("the proof does not prove the log head record 'l'");
  if (!it->second) return Refused("the proof shows no log head record 'l' at the certified height");
  auto head = crypto::DecodeLogHead(*it->second);
  if (!head.ok()) return Refused("the certified log head record: " + head.status().message());
  const auto size = U64Field(answer, "size");
  const auto root = HashField(answer, "root");
  const auto height = U64Field(answer, "height");
  if (!height || *height != st.height) {
    return Refused("the answer's height is not the certified height " + std::to_string(st.height));
  }
  if (!size || *size != head->size) {
    return Refused("the answer's log size is not the certified size " + std::to_string(head->size));
  }
  if (!root || *root != head->root) {
    return Refused("the answer's log root is not the certified root " + HexEncode(head->root));
  }
  ProvenLogHead out;
  out.size = head->size;
  out.root = head->root;
  out.state = std::move(st);
  return out;
}

Status CheckLogInclusion(uint64_t index, uint64_t size, const Hash32& leaf_hash,
                         const std::vector<Bytes>& path, const Hash32& root) {
  if (index >= size) {
    return Refused("the inclusion proof names leaf " + std::to_string(index) +
                   ", not below the log size " + std::to_string(size));
  }
  if (!crypto::VerifyMerkleInclusion(index, size, leaf_hash, path, root)) {
    return Refused("the inclusion proof of leaf " + std::to_string(index) + " in the log of " +
                   std::to_string(size) + " leaves does not lead to the root " + HexEncode(root));
  }
  return Status::Ok();
}

Status CheckLogConsistency(uint64_t first, uint64_t second, const std::vector<Bytes>& proof,
                           const Hash32& first_root, const Hash32& second_root) {
  if (first == 0) return Refused("a consistency proof from the empty log proves nothing");
  if (first > second) {
    return Refused("the consistency proof goes from size " + std::to_string(first) +
                   " down to size " + std::to_string(second) + ": a log never shrinks");
  }
  if (!crypto::VerifyMerkleConsistency(first, second, proof, first_root, second_root)) {
    return Refused("the consistency proof from size " + std::to_string(first) + " (root " +
                   HexEncode(first_root) + ") to size " + std::to_string(second) + " (root " +
                   HexEncode(second_root) +
                   ") does not verify: the second log does not extend "
                   "the first");
  }
  return Status::Ok();
}

Result<uint64_t> CheckLogInclusionAnswer(const nlohmann::json& answer, uint64_t size,
                                         const Hash32& root) {
  if (!answer.is_object()) return Refused("the inclusion answer is not a JSON object");
  const auto index = U64Field(answer, "index");
  const auto answer_size = U64Field(answer, "size");
  const auto leaf = HashField(answer, "leaf_hash");
  if (!index) return Refused("the inclusion answer has no leaf index");
  if (!answer_size) return Refused("the inclusion answer has no log size");
  if (!leaf) return Refused("the inclusion answer has no 32-byte hex leaf_hash");
  if (*answer_size != size) {
    return Refused("the inclusion answer is of a log of " + std::to_string(*answer_size) +
                   " leaves, not of the trusted head's " + std::to_string(size));
  }
  if (answer.contains("tx_id")) {
    const auto tx_id = HashField(answer, "tx_id");
    const auto code = answer.contains("code") ? U64Field(answer, "code") : uint64_t{0};
    if (!tx_id) return Refused("the inclusion answer's tx_id is not a 32-byte hex hash");
    if (!code || *code > 0xffffffffULL) return Refused("the inclusion answer's code is not a u32");
    Bytes leaf_bytes;
    AppendHash(leaf_bytes, *tx_id);
    AppendU32(leaf_bytes, static_cast<uint32_t>(*code));
    if (crypto::MerkleLeafHash(leaf_bytes) != *leaf) {
      return Refused("the inclusion answer's leaf_hash is not the leaf of tx " + HexEncode(*tx_id) +
                     " with result code " + std::to_string(*code));
    }
  }
  LAUREL_ASSIGN_OR_RETURN(
      auto path,
      HexHashList(answer.contains("audit_path") ? answer["audit_path"] : nlohmann::json(),
                  "the inclusion answer's audit_path"));
  LAUREL_RETURN_IF_ERROR(CheckLogInclusion(*index, size, *leaf, path, root));
  return *index;
}

Status CheckLogConsistencyAnswer(const nlohmann::json& answer, uint64_t first,
                                 const Hash32& first_root, uint64_t second,
                                 const Hash32& second_root) {
  if (!answer.is_object()) return Refused("the consistency answer is not a JSON object");
  const auto a = U64Field(answer, "first");
  const auto b = U64Field(answer, "second");
  if (!a || *a != first || !b || *b != second) {
    return Refused("the consistency answer is not from size " + std::to_string(first) +
                   " to size " + std::to_string(second));
  }
  LAUREL_ASSIGN_OR_RETURN(auto proof,
                          HexHashList(answer.contains("proof") ? answer["proof"] : nlohmann::json(),
                                      "the consistency proof"));
  return CheckLogConsistency(first, second, proof, first_root, second_root);
}

Result<std::vector<Bytes>> HexHashList(const nlohmann::json& list, const std::string& what) {
  std::vector<Bytes> out;
  if (list.is_null()) return out;
  if (!list.is_array()) return Refused(what + " is not a list of hashes");
  for (const auto& h : list) {
    auto b = h.is_string() ? HexDecode32(h.get<std::string>()) : std::nullopt;
    if (!b) return Refused(what + ": an element is not a 32-byte hex hash");
    out.emplace_back(b->begin(), b->end());
  }
  return out;
}

}  // namespace laurel::verifier
