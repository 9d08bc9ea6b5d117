#include "ledger/state.h"

#include <algorithm>

#include "crypto/sha256.h"
#include "laurel/v1/state.pb.h"
#include "types/proto_util.h"

namespace laurel::ledger {

namespace pb = ::laurel::v1;
using types::CredentialType;
using types::Level;

const IssuerKey* IssuerRecord::key(uint32_t version) const {
  for (const auto& k : keys) {
    if (k.key_version == version) return &k;
  }
  return nullptr;
}

bool IssuerRecord::Allows(CredentialType type, Level level) const {
  for (const auto& g : grants) {
    if (g.type != type) continue;
    if (type == CredentialType::kMember) return level == Level::kUnspecified;
    return std::find(g.levels.begin(), g.levels.end(), level) != g.levels.end();
  }
  return false;
}

const char* AuthorityName(Authority a) {
  switch (a) {
    case Authority::kNone:
      return "none";
    case Authority::kIssuer:
      return "issuer";
    case Authority::kParent:
      return "parent";
    case Authority::kGovernance:
      return "governance";
  }
  return "unknown";
}

std::string IssuerKeyOf(std::string_view issuer_id) { return "i/" + std::string(issuer_id); }
std::string CredentialKeyOf(std::string_view credential_id) {
  return "c/" + std::string(credential_id);
}

std::string StatusChunkKeyOf(std::string_view issuer_id, uint64_t chunk) {
  return "s/" + std::string(issuer_id) + "/" + std::to_string(chunk);
}

uint32_t GateBucketOf(std::string_view issuer_id) { return crypto::Sha256Of(issuer_id)[0]; }

std::string GateIndexKeyOf(uint32_t bucket) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string k = "x/";
  k += kHex[(bucket >> 4) & 15];
  k += kHex[bucket & 15];
  return k;
}

std::optional<std::string> GateListedIssuer(std::string_view key) {
  if (key.size() > 2 && key.substr(0, 2) == "i/") return std::string(key.substr(2));
  if (key.size() > 2 && key.substr(0, 2) == "s/") {
    const size_t slash = key.rfind('/');
    if (slash <= 2) return std::nullopt;
    return std::string(key.substr(2, slash - 2));
  }
  return std::nullopt;
}

SlotStatus SlotStatusOf(types::CredentialStatus s) {
  switch (s) {
    case types::CredentialStatus::kSuspended:
      return SlotStatus::kSuspended;
    case types::CredentialStatus::kRevoked:
      return SlotStatus::kRevoked;
    default:
      return SlotStatus::kActive;
  }
}

namespace {
void PutU32(crypto::Sha256& h, uint32_t v) {
  uint8_t b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
  h.Update(ByteView(b, 4));
}
void PutU64(crypto::Sha256& h, uint64_t v) {
  uint8_t b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(v >> (56 - 8 * i));
  h.Update(ByteView(b, 8));
}
}  // namespace

StatusFingerprint FingerprintOf(std::string_view credential_id, ByteView card_digest,
                                uint32_t key_version, types::CredentialType type,
                                types::Level level, uint64_t valid_from, uint64_t valid_until) {
  thread_local crypto::Sha256 h;
  h.Reset();
  h.Update(kStatusFingerprintDomain);
  PutU32(h, static_cast<uint32_t>(credential_id.size()));
  h.Update(credential_id);
  h.Update(card_digest);
  PutU32(h, key_version);
  PutU32(h, static_cast<uint32_t>(type));
  PutU32(h, static_cast<uint32_t>(level));
  PutU64(h, valid_from);
  PutU64(h, valid_until);
  const Hash32 d = h.Finish();
  StatusFingerprint fp;
  std::copy(d.begin(), d.begin() + kStatusFingerprintSize, fp.begin());
  return fp;
}

StatusFingerprint FingerprintOf(const CredentialRecord& c) {
  return FingerprintOf(c.credential_id, c.card_digest, c.key_version, c.type, c.level,
                       c.valid_from, c.valid_until);
}

SlotStatus StatusChunk::status(uint32_t slot) const {
  return static_cast<SlotStatus>((statuses[slot / 4] >> (2 * (slot % 4))) & 3);
}

StatusFingerprint StatusChunk::fingerprint(uint32_t slot) const {
  StatusFingerprint fp;
  std::copy_n(fingerprints.begin() + slot * kStatusFingerprintSize, kStatusFingerprintSize,
              fp.begin());
  return fp;
}

void StatusChunk::SetStatus(uint32_t slot, SlotStatus s) {
  LAUREL_CHECK(slot < count, "status slot out of range");
  uint8_t& b = statuses[slot / 4];
  const int shift = 2 * (slot % 4);
  b = static_cast<uint8_t>((b & ~(3 << shift)) | (static_cast<uint8_t>(s) << shift));
}

void StatusChunk::SetFingerprint(uint32_t slot, const StatusFingerprint& fp) {
  LAUREL_CHECK(slot < count, "status slot out of range");
  std::copy(fp.begin(), fp.end(), fingerprints.begin() + slot * kStatusFingerprintSize);
}

void StatusChunk::Append(SlotStatus s, const StatusFingerprint& fp) {
  LAUREL_CHECK(count < kStatusChunkSlots, "status chunk full");
  if (count % 4 == 0) statuses.push_back(0);
  fingerprints.insert(fingerprints.end(), fp.begin(), fp.end());
  ++count;
  SetStatus(count - 1, s);
}

namespace {

std::string Serialize(const google::protobuf::MessageLite& m) {
  return ToString(types::SerializeDeterministic(m));
}

void GrantsToProto(const std::vector<types::TypeGrant>& grants,
                   google::protobuf::RepeatedPtrField<pb::TypeGrant>* out) {
  for (const auto& g : grants) {
    auto* pg = out->Add();
    pg->set_type(static_cast<pb::CredentialType>(g.type));
    for (Level l : g.levels) pg->add_levels(static_cast<pb::Level>(l));
  }
}

std::vector<types::TypeGrant> GrantsFromProto(
    const google::protobuf::RepeatedPtrField<pb::TypeGrant>& in) {
  std::vector<types::TypeGrant> out;
  for (const auto& pg : in) {
    types::TypeGrant g;
    g.type = static_cast<CredentialType>(pg.type());
    for (int l : pg.levels()) g.levels.push_back(static_cast<Level>(l));
    out.push_back(std::move(g));
  }
  return out;
}

template <typename M>
Status ParseStored(std::string_view bytes, M* m, const char* what) {
  if (!m->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status::Corruption(std::string("stored ") + what + " record does not decode");
  }
  return Status::Ok();
}

}  // namespace

std::string EncodeGovernance(const GovernanceRecord& r) {
  pb::GovernanceRecord m;
  m.set_chain_id(r.chain_id);
  for (const auto& k : r.admin_keys) m.add_admin_keys(ToString(k));
  m.set_threshold(r.threshold);
  for (const auto& v : r.validators) {
    auto* pv = m.add_validators();
    pv->set_public_key(ToString(v.public_key));
    pv->set_name(v.name);
    pv->set_address(v.address);
  }
  m.set_validators_from_height(r.validators_from_height);
  return Serialize(m);
}

Result<GovernanceRecord> DecodeGovernance(std::string_view bytes) {
  pb::GovernanceRecord m;
  LAUREL_RETURN_IF_ERROR(ParseStored(bytes, &m, "governance"));
  GovernanceRecord r;
  r.chain_id = m.chain_id();
  for (const auto& k : m.admin_keys()) r.admin_keys.push_back(ToBytes(k));
  r.threshold = m.threshold();
  for (const auto& v : m.validators()) {
    r.validators.push_back(types::Validator{ToBytes(v.public_key()), v.name(), v.address()});
  }
  r.validators_from_height = m.validators_from_height();
  return r;
}

std::string EncodeIssuer(const IssuerRecord& r) {
  pb::IssuerRecord m;
  m.set_issuer_id(r.issuer_id);
  m.set_name(r.name);
  m.set_parent_id(r.parent_id);
  GrantsToProto(r.grants, m.mutable_grants());
  m.set_can_delegate(r.can_delegate);
  m.set_status(static_cast<pb::IssuerStatus>(r.status));
  m.set_status_reason(r.status_reason);
  m.set_status_authority(static_cast<uint32_t>(r.status_authority));
  for (const auto& k : r.keys) {
    auto* pk = m.add_keys();
    pk->set_key_version(k.key_version);
    pk->set_public_key(ToString(k.public_key));
    pk->set_from_height(k.from_height);
    pk->set_to_height(k.to_height);
  }
  m.set_next_status_index(r.next_status_index);
  m.set_created_height(r.created_height);
  m.set_updated_height(r.updated_height);
  return Serialize(m);
}

Result<IssuerRecord> DecodeIssuer(std::string_view bytes) {
  pb::IssuerRecord m;
  LAUREL_RETURN_IF_ERROR(ParseStored(bytes, &m, "issuer"));
  IssuerRecord r;
  r.issuer_id = m.issuer_id();
  r.name = m.name();
  r.parent_id = m.parent_id();
  r.grants = GrantsFromProto(m.grants());
  r.can_delegate = m.can_delegate();
  r.status = static_cast<types::IssuerStatus>(m.status());
  r.status_reason = m.status_reason();
  if (m.status_authority() > static_cast<uint32_t>(Authority::kGovernance)) {
    return Status::Corruption("stored record has an unknown status authority");
  }
  r.status_authority = static_cast<Authority>(m.status_authority());
  for (const auto& pk : m.keys()) {
    r.keys.push_back(
        IssuerKey{pk.key_version(), ToBytes(pk.public_key()), pk.from_height(), pk.to_height()});
  }
  if (r.keys.empty()) return Status::Corruption("stored issuer record has no key");
  r.next_status_index = m.next_status_index();
  r.created_height = m.created_height();
  r.updated_height = m.updated_height();
  return r;
}

std::string EncodeCredential(const CredentialRecord& r) {
  pb::CredentialRecord m;
  m.set_credential_id(r.credential_id);
  m.set_type(static_cast<pb::CredentialType>(r.type));
  m.set_level(static_cast<pb::Level>(r.level));
  m.set_issuer_id(r.issuer_id);
  m.set_key_version(r.key_version);
  m.set_card_digest(ToString(r.card_digest));
  m.set_valid_from(r.valid_from);
  m.set_valid_until(r.valid_until);
  m.set_status(static_cast<pb::CredentialStatus>(r.status));
  m.set_status_reason(r.status_reason);
  m.set_status_authority(static_cast<uint32_t>(r.status_authority));
  m.set_status_index(r.status_index);
  m.set_created_height(r.created_height);
  m.set_updated_height(r.updated_height);
  return Serialize(m);
}

Result<CredentialRecord> DecodeCredential(std::string_view bytes) {
  pb::CredentialRecord m;
  LAUREL_RETURN_IF_ERROR(ParseStored(bytes, &m, "credential"));
  CredentialRecord r;
  r.credential_id = m.credential_id();
  r.type = static_cast<CredentialType>(m.type());
  r.level = static_cast<Level>(m.level());
  r.issuer_id = m.issuer_id();
  r.key_version = m.key_version();
  r.card_digest = ToBytes(m.card_digest());
  r.valid_from = m.valid_from();
  r.valid_until = m.valid_until();
  r.status = static_cast<types::CredentialStatus>(m.status());
  r.status_reason = m.status_reason();
  if (m.status_authority() > static_cast<uint32_t>(Authority::kGovernance)) {
    return Status::Corruption("stored record has an unknown status authority");
  }
  r.status_authority = static_cast<Authority>(m.status_authority());
  r.status_index = m.status_index();
  r.created_height = m.created_height();
  r.updated_height = m.updated_height();
  return r;
}

std::string EncodeStatusChunk(const StatusChunk& c) {
  pb::StatusChunkRecord m;
  m.set_issuer_id(c.issuer_id);
  m.set_chunk(c.chunk);
  m.set_count(c.count);
  m.set_statuses(ToString(c.statuses));
  m.set_fingerprints(ToString(c.fingerprints));
  return Serialize(m);
}

Result<StatusChunk> DecodeStatusChunk(std::string_view bytes) {
  pb::StatusChunkRecord m;
  LAUREL_RETURN_IF_ERROR(ParseStored(bytes, &m, "status chunk"));
  StatusChunk c;
  c.issuer_id = m.issuer_id();
  c.chunk = m.chunk();
  c.count = m.count();
  c.statuses = ToBytes(m.statuses());
  c.fingerprints = ToBytes(m.fingerprints());
  if (c.count > kStatusChunkSlots || c.statuses.size() != (c.count + 3) / 4 ||
      c.fingerprints.size() != size_t{c.count} * kStatusFingerprintSize) {
    return Status::Corruption("status chunk sizes do not agree with its count");
  }
  return c;
}

std::string EncodeGateIndex(const GateIndex& g) {
  pb::GateIndexRecord m;
  m.set_bucket(g.bucket);
  for (const auto& e : g.entries) {
    auto* pe = m.add_entries();
    pe->set_key(e.key);
    pe->set_value_hash(std::string(reinterpret_cast<const char*>(e.value_hash.data()), 32));
    pe->set_height(e.height);
  }
  return Serialize(m);
}

Result<GateIndex> DecodeGateIndex(std::string_view bytes) {
  pb::GateIndexRecord m;
  LAUREL_RETURN_IF_ERROR(ParseStored(bytes, &m, "gate index"));
  GateIndex g;
  g.bucket = m.bucket();
  for (const auto& pe : m.entries()) {
    if (pe.value_hash().size() != 32) return Status::Corruption("gate index hash not 32 bytes");
    GateIndexEntry e;
    e.key = pe.key();
    std::copy(pe.value_hash().begin(), pe.value_hash().end(), e.value_hash.begin());
    e.height = pe.height();
    if (!g.entries.empty() && !(g.entries.back().key < e.key)) {
      return Status::Corruption("gate index entries not sorted");
    }
    g.entries.push_back(std::move(e));
  }
  return g;
}

std::optional<StatusChunk> ReadStatusChunk(const StateView& s, std::string_view issuer_id,
                                           uint64_t chunk) {
  auto v = s.GetState(StatusChunkKeyOf(issuer_id, chunk));
  if (!v) return std::nullopt;
  auto r = DecodeStatusChunk(*v);
  LAUREL_CHECK(r.ok(), "corrupt status chunk in state");
  return std::move(r).value();
}

std::optional<GovernanceRecord> ReadGovernance(const StateView& s) {
  auto v = s.GetState(kGovernanceKey);
  if (!v) return std::nullopt;
  auto r = DecodeGovernance(*v);
  LAUREL_CHECK(r.ok(), "corrupt governance record in state");
  return std::move(r).value();
}

std::optional<IssuerRecord> ReadIssuer(const StateView& s, std::string_view issuer_id) {
  auto v = s.GetState(IssuerKeyOf(issuer_id));
  if (!v) return std::nullopt;
  auto r = DecodeIssuer(*v);
  LAUREL_CHECK(r.ok(), "corrupt issuer record in state");
  return std::move(r).value();
}

std::optional<CredentialRecord> ReadCredential(const StateView& s,
                                               std::string_view credential_id) {
  auto v = s.GetState(CredentialKeyOf(credential_id));
  if (!v) return std::nullopt;
  auto r = DecodeCredential(*v);
  LAUREL_CHECK(r.ok(), "corrupt credential record in state");
  return std::move(r).value();
}

}  // namespace laurel::ledger
