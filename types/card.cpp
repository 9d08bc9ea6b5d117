#include "types/card.h"

#include <algorithm>
#include <cctype>

#include "common/base45.h"
#include "crypto/sha256.h"
#include "laurel/v1/card.pb.h"
#include "types/proto_util.h"

namespace laurel::types {

namespace pb = ::laurel::v1;

Bytes EncodeCardBody(const CardBody& b) {
  pb::CardBody m;
  m.set_chain_id(b.chain_id);
  m.set_credential_id(b.credential_id);
  m.set_issuer_id(b.issuer_id);
  m.set_key_version(b.key_version);
  m.set_type(static_cast<pb::CredentialType>(b.type));
  m.set_level(static_cast<pb::Level>(b.level));
  m.set_holder_name(b.holder_name);
  m.set_member_no(b.member_no);
  m.set_salt(ToString(b.salt));
  m.set_valid_from(b.valid_from);
  m.set_valid_until(b.valid_until);
  if (!b.holder_key.empty()) m.set_holder_key(ToString(b.holder_key));
  return SerializeDeterministic(m);
}

Result<CardBody> DecodeCardBody(ByteView body) {
  if (body.size() > kMaxCardBytes) return Status::InvalidArgument("card body too large");
  pb::CardBody m;
  LAUREL_RETURN_IF_ERROR(ParseCanonical(body, &m, "card body"));
  CardBody b;
  b.chain_id = m.chain_id();
  b.credential_id = m.credential_id();
  b.issuer_id = m.issuer_id();
  b.key_version = m.key_version();
  LAUREL_ASSIGN_OR_RETURN(b.type, CheckedEnum<CredentialType>(m.type(), 2, "card type"));
  LAUREL_ASSIGN_OR_RETURN(b.level, CheckedEnum<Level>(m.level(), 5, "card level"));
  b.holder_name = m.holder_name();
  b.member_no = m.member_no();
  b.salt = ToBytes(m.salt());
  b.valid_from = m.valid_from();
  b.valid_until = m.valid_until();
  b.holder_key = ToBytes(m.holder_key());
  if (!b.holder_key.empty() && b.holder_key.size() != crypto::kPublicKeySize) {
    return Status::InvalidArgument("card body: holder_key must be 32 bytes");
  }
  if (b.salt.size() != kCardSaltSize) {
    return Status::InvalidArgument("card body: salt must be 16 bytes");
  }
  return b;
}

Card SignCard(const CardBody& body, const crypto::PrivateKey& issuer_key) {
  Card c;
  c.body = EncodeCardBody(body);
  const auto sig = crypto::SignWithDomain(issuer_key, kCardSignDomain, c.body);
  c.signature.assign(sig.begin(), sig.end());
  return c;
}

bool VerifyCardSignature(const Card& card, ByteView issuer_public_key) {
  return crypto::VerifyWithDomain(issuer_public_key, kCardSignDomain, card.body, card.signature);
}

Hash32 CardDigest(ByteView card_body) { return crypto::TaggedHash(kCardDigestDomain, card_body); }

Bytes EncodeCard(const Card& card) {
  pb::Card m;
  m.set_body(ToString(card.body));
  m.set_signature(ToString(card.signature));
  return SerializeDeterministic(m);
}

Result<Card> DecodeCard(ByteView bytes) {
  if (bytes.size() > kMaxCardBytes) return Status::InvalidArgument("card too large");
  pb::Card m;
  LAUREL_RETURN_IF_ERROR(ParseCanonical(bytes, &m, "card"));
  if (m.signature().size() != crypto::kSignatureSize) {
    return Status::InvalidArgument("card: signature must be 64 bytes");
  }
  return Card{ToBytes(m.body()), ToBytes(m.signature())};
}

std::string CardToText(const Card& card) {
  return std::string(kCardPrefix) + Base45Encode(EncodeCard(card));
}

Result<Card> CardFromText(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  if (text.size() > kMaxCardBytes * 3 / 2 + kCardPrefix.size() + 2) {
    return Status::InvalidArgument("card text too long");
  }
  if (text.substr(0, kCardPrefix.size()) != kCardPrefix) {
    return Status::InvalidArgument("card text must start with \"LC1:\"");
  }
  LAUREL_ASSIGN_OR_RETURN(Bytes raw, Base45Decode(text.substr(kCardPrefix.size())));
  return DecodeCard(raw);
}

}  // namespace laurel::types
