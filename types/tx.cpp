#include "types/tx.h"

#include <string>

#include "crypto/sha256.h"
#include "laurel/v1/tx.pb.h"
#include "types/proto_util.h"

namespace laurel::types {
namespace {

namespace pb = ::laurel::v1;

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

void ToProto(const TypeGrant& g, pb::TypeGrant* out) {
  out->set_type(static_cast<pb::CredentialType>(g.type));
  for (Level l : g.levels) out->add_levels(static_cast<pb::Level>(l));
}

Result<TypeGrant> FromProto(const pb::TypeGrant& g) {
  TypeGrant out;
  LAUREL_ASSIGN_OR_RETURN(out.type, CheckedEnum<CredentialType>(g.type(), 2, "grant type"));
  for (int l : g.levels()) {
    LAUREL_ASSIGN_OR_RETURN(Level lv, CheckedEnum<Level>(l, 5, "grant level"));
    out.levels.push_back(lv);
  }
  return out;
}

void ToProto(const Validator& v, pb::Validator* out) {
  out->set_public_key(ToString(v.public_key));
  out->set_name(v.name);
  out->set_address(v.address);
}

Validator FromProto(const pb::Validator& v) {
  return Validator{ToBytes(v.public_key()), v.name(), v.address()};
}

void ToProto(const Action& action, pb::TxBody* out) {
  std::visit(
      Overloaded{
          [&](const RegisterIssuer& a) {
            auto* m = out->mutable_register_issuer();
            m->set_issuer_id(a.issuer_id);
            m->set_name(a.name);
            m->set_parent_id(a.parent_id);
            m->set_public_key(ToString(a.public_key));
            for (const auto& g : a.grants) ToProto(g, m->add_grants());
            m->set_can_delegate(a.can_delegate);
          },
          [&](const RotateIssuerKey& a) {
            auto* m = out->mutable_rotate_issuer_key();
            m->set_issuer_id(a.issuer_id);
            m->set_new_public_key(ToString(a.new_public_key));
          },
          [&](const SetIssuerStatus& a) {
            auto* m = out->mutable_set_issuer_status();
            m->set_issuer_id(a.issuer_id);
            m->set_status(static_cast<pb::IssuerStatus>(a.status));
            m->set_reason(a.reason);
          },
          [&](const IssueCredential& a) {
            auto* m = out->mutable_issue_credential();
            m->set_credential_id(a.credential_id);
            m->set_issuer_id(a.issuer_id);
            m->set_type(static_cast<pb::CredentialType>(a.type));
            m->set_level(static_cast<pb::Level>(a.level));
            m->set_card_digest(ToString(a.card_digest));
            m->set_valid_from(a.valid_from);
            m->set_valid_until(a.valid_until);
          },
          [&](const SetCredentialStatus& a) {
            auto* m = out->mutable_set_credential_status();
            m->set_credential_id(a.credential_id);
            m->set_status(static_cast<pb::CredentialStatus>(a.status));
            m->set_reason(a.reason);
          },
          [&](const RenewCredential& a) {
            auto* m = out->mutable_renew_credential();
            m->set_credential_id(a.credential_id);
            m->set_card_digest(ToString(a.card_digest));
            m->set_valid_from(a.valid_from);
            m->set_valid_until(a.valid_until);
          },
          [&](const UpdateGovernance& a) {
            auto* m = out->mutable_update_governance();
            for (const auto& k : a.admin_keys) m->add_admin_keys(ToString(k));
            m->set_threshold(a.threshold);
          },
          [&](const UpdateValidatorSet& a) {
            auto* m = out->mutable_update_validator_set();
            for (const auto& v : a.validators) ToProto(v, m->add_validators());
          },
      },
      action);
}

Result<Action> ActionFromProto(const pb::TxBody& b) {
  switch (b.action_case()) {
    case pb::TxBody::kRegisterIssuer: {
      const auto& m = b.register_issuer();
      RegisterIssuer a{m.issuer_id(), m.name(), m.parent_id(), ToBytes(m.public_key()), {},
                       m.can_delegate()};
      for (const auto& g : m.grants()) {
        LAUREL_ASSIGN_OR_RETURN(TypeGrant tg, FromProto(g));
        a.grants.push_back(std::move(tg));
      }
      return Action(std::move(a));
    }
    case pb::TxBody::kRotateIssuerKey: {
      const auto& m = b.rotate_issuer_key();
      return Action(RotateIssuerKey{m.issuer_id(), ToBytes(m.new_public_key())});
    }
    case pb::TxBody::kSetIssuerStatus: {
      const auto& m = b.set_issuer_status();
      LAUREL_ASSIGN_OR_RETURN(auto st, CheckedEnum<IssuerStatus>(m.status(), 3, "issuer status"));
      return Action(SetIssuerStatus{m.issuer_id(), st, m.reason()});
    }
    case pb::TxBody::kIssueCredential: {
      const auto& m = b.issue_credential();
      LAUREL_ASSIGN_OR_RETURN(auto type, CheckedEnum<CredentialType>(m.type(), 2, "type"));
      LAUREL_ASSIGN_OR_RETURN(auto level, CheckedEnum<Level>(m.level(), 5, "level"));
      return Action(IssueCredential{m.credential_id(), m.issuer_id(), type, level,
                                    ToBytes(m.card_digest()), m.valid_from(), m.valid_until()});
    }
    case pb::TxBody::kSetCredentialStatus: {
      const auto& m = b.set_credential_status();
      LAUREL_ASSIGN_OR_RETURN(auto st,
                              CheckedEnum<CredentialStatus>(m.status(), 3, "credential status"));
      return Action(SetCredentialStatus{m.credential_id(), st, m.reason()});
    }
    case pb::TxBody::kRenewCredential: {
      const auto& m = b.renew_credential();
      return Action(RenewCredential{m.credential_id(), ToBytes(m.card_digest()), m.valid_from(),
                                    m.valid_until()});
    }
    case pb::TxBody::kUpdateGovernance: {
      const auto& m = b.update_governance();
      UpdateGovernance a;
      for (const auto& k : m.admin_keys()) a.admin_keys.push_back(ToBytes(k));
      a.threshold = m.threshold();
      return Action(std::move(a));
    }
    case pb::TxBody::kUpdateValidatorSet: {
      UpdateValidatorSet a;
      for (const auto& v : b.update_validator_set().validators()) a.validators.push_back(FromProto(v));
      return Action(std::move(a));
    }
    case pb::TxBody::ACTION_NOT_SET:
      break;
  }
  return Status::InvalidArgument("tx body has no action");
}

}  // namespace

const char* CredentialTypeName(CredentialType t) {
  switch (t) {
    case CredentialType::kMember: return "MEMBER";
    case CredentialType::kModelWorker: return "MODEL_WORKER";
    default: return "UNSPECIFIED";
  }
}
const char* LevelName(Level l) {
  switch (l) {
    case Level::kNational: return "NATIONAL";
    case Level::kProvincial: return "PROVINCIAL";
    case Level::kMunicipal: return "MUNICIPAL";
    case Level::kDistrict: return "DISTRICT";
    case Level::kEnterprise: return "ENTERPRISE";
    default: return "UNSPECIFIED";
  }
}
const char* CredentialStatusName(CredentialStatus s) {
  switch (s) {
    case CredentialStatus::kActive: return "ACTIVE";
    case CredentialStatus::kSuspended: return "SUSPENDED";
    case CredentialStatus::kRevoked: return "REVOKED";
    default: return "UNSPECIFIED";
  }
}
const char* IssuerStatusName(IssuerStatus s) {
  switch (s) {
    case IssuerStatus::kActive: return "ACTIVE";
    case IssuerStatus::kSuspended: return "SUSPENDED";
    case IssuerStatus::kRetired: return "RETIRED";
    default: return "UNSPECIFIED";
  }
}

const char* ActionName(const Action& a) {
  static constexpr const char* kNames[] = {
      "register_issuer",       "rotate_issuer_key", "set_issuer_status", "issue_credential",
      "set_credential_status", "renew_credential",  "update_governance", "update_validator_set"};
  return kNames[a.index()];
}

Bytes EncodeTx(const Tx& tx) {
  pb::Tx m;
  m.set_body(ToString(tx.body));
  for (const auto& s : tx.signatures) {
    auto* ps = m.add_signatures();
    ps->set_public_key(ToString(s.public_key));
    ps->set_signature(ToString(s.signature));
  }
  return SerializeDeterministic(m);
}

Result<Tx> DecodeTx(ByteView wire) {
  if (wire.size() > kMaxTxBytes) {
    return Status::InvalidArgument("tx is " + std::to_string(wire.size()) + " bytes, over the " +
                                   std::to_string(kMaxTxBytes) + "-byte limit");
  }
  pb::Tx m;
  if (!m.ParseFromArray(wire.data(), static_cast<int>(wire.size()))) {
    return Status::InvalidArgument("tx: not a valid laurel.v1.Tx encoding");
  }
  if (m.signatures_size() > static_cast<int>(kMaxSignatures)) {
    return Status::InvalidArgument("tx: more than " + std::to_string(kMaxSignatures) +
                                   " signatures");
  }
  Tx tx;
  tx.body = ToBytes(m.body());
  for (const auto& s : m.signatures()) {
    tx.signatures.push_back(TxSignature{ToBytes(s.public_key()), ToBytes(s.signature())});
  }
  return tx;
}

Bytes EncodeTxBody(const TxBody& body) {
  pb::TxBody m;
  m.set_chain_id(body.chain_id);
  m.set_nonce(ToString(body.nonce));
  m.set_expires_at_height(body.expires_at_height);
  ToProto(body.action, &m);
  return SerializeDeterministic(m);
}

Result<TxBody> DecodeTxBody(ByteView body) {
  if (body.size() > kMaxTxBytes) return Status::InvalidArgument("tx body too large");
  pb::TxBody m;
  LAUREL_RETURN_IF_ERROR(ParseCanonical(body, &m, "tx body"));
  TxBody out;
  out.chain_id = m.chain_id();
  out.nonce = ToBytes(m.nonce());
  out.expires_at_height = m.expires_at_height();
  LAUREL_ASSIGN_OR_RETURN(out.action, ActionFromProto(m));
  return out;
}

Hash32 TxId(const Tx& tx) { return crypto::Sha256Of(tx.body); }

void SignTx(Tx& tx, const crypto::PrivateKey& key) {
  const auto sig = crypto::SignWithDomain(key, kTxSignDomain, tx.body);
  tx.signatures.push_back(TxSignature{Bytes(key.public_key().begin(), key.public_key().end()),
                                      Bytes(sig.begin(), sig.end())});
}

Tx MakeTx(const TxBody& body) { return Tx{EncodeTxBody(body), {}}; }

}  // namespace laurel::types
