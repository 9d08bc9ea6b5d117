#include "ledger/state.h"

#include <algorithm>

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
