#include "types/presentation.h"

#include <cctype>

#include "common/base45.h"

namespace laurel::types {

namespace {

Status CheckBody(const PresentationBody& b) {
  if (b.credential_id.empty() || b.credential_id.size() > kMaxPresentationIdBytes) {
    return Status::InvalidArgument("presentation: credential id must be 1 to 128 bytes");
  }
  if (b.gate_id.empty() || b.gate_id.size() > kMaxGateIdBytes) {
    return Status::InvalidArgument("presentation: gate id must be 1 to 64 bytes");
  }
  switch (b.kind) {
    case ChallengeKind::kNonce:
      if (b.nonce.size() < kMinNonceBytes || b.nonce.size() > kMaxNonceBytes) {
        return Status::InvalidArgument("presentation: nonce must be 8 to 32 bytes");
      }
      return Status::Ok();
    case ChallengeKind::kSlot:
      if (!b.nonce.empty()) return Status::InvalidArgument("presentation: a slot has no nonce");
      return Status::Ok();
  }
  return Status::InvalidArgument("presentation: unknown challenge kind");
}

void PutString(Bytes& out, std::string_view s) {
  out.push_back(static_cast<uint8_t>(s.size()));
  out.insert(out.end(), s.begin(), s.end());
}

}  // namespace

Result<Bytes> EncodePresentationBody(const PresentationBody& b) {
  LAUREL_RETURN_IF_ERROR(CheckBody(b));
  Bytes out;
  out.reserve(kMaxPresentationBytes);
  out.push_back(kPresentationVersion);
  out.push_back(static_cast<uint8_t>(b.kind));
  PutString(out, b.credential_id);
  PutString(out, b.gate_id);
  if (b.kind == ChallengeKind::kNonce) {
    out.push_back(static_cast<uint8_t>(b.nonce.size()));
    out.insert(out.end(), b.nonce.begin(), b.nonce.end());
  } else {
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.push_back(static_cast<uint8_t>(b.slot >> shift));
    }
  }
  return out;
}

Result<Presentation> DecodePresentation(ByteView bytes) {
  if (bytes.size() > kMaxPresentationBytes)
    return Status::InvalidArgument("presentation too large");
  size_t at = 0;
  auto need = [&](size_t n) { return bytes.size() - at >= n; };
  auto take_string = [&](std::string* s) {
    if (!need(1)) return false;
    const size_t n = bytes[at++];
    if (!need(n)) return false;
    s->assign(reinterpret_cast<const char*>(bytes.data() + at), n);
    at += n;
    return true;
  };
  auto truncated = [] { return Status::InvalidArgument("presentation: truncated"); };
  if (!need(2)) return truncated();
  if (bytes[0] != kPresentationVersion) {
    return Status::InvalidArgument("presentation: unknown version " + std::to_string(bytes[0]));
  }
  Presentation p;
  const uint8_t kind = bytes[1];
  if (kind != static_cast<uint8_t>(ChallengeKind::kNonce) &&
      kind != static_cast<uint8_t>(ChallengeKind::kSlot)) {
    return Status::InvalidArgument("presentation: unknown challenge kind " + std::to_string(kind));
  }
  p.body.kind = static_cast<ChallengeKind>(kind);
  at = 2;
  if (!take_string(&p.body.credential_id) || !take_string(&p.body.gate_id)) return truncated();
  if (p.body.kind == ChallengeKind::kNonce) {
    std::string nonce;
    if (!take_string(&nonce)) return truncated();
    p.body.nonce.assign(nonce.begin(), nonce.end());
  } else {
    if (!need(8)) return truncated();
    for (int i = 0; i < 8; ++i) p.body.slot = (p.body.slot << 8) | bytes[at++];
  }
  LAUREL_RETURN_IF_ERROR(CheckBody(p.body));
  if (bytes.size() - at != crypto::kSignatureSize) {
    return Status::InvalidArgument("presentation: the signature must be the last 64 bytes");
  }
  p.signature.assign(bytes.begin() + static_cast<std::ptrdiff_t>(at), bytes.end());
  return p;
}

Bytes EncodePresentation(const Presentation& p) {
  auto body = EncodePresentationBody(p.body);
  Bytes out = body.ok() ? std::move(body).value() : Bytes{};
  out.insert(out.end(), p.signature.begin(), p.signature.end());
  return out;
}

Result<Presentation> SignPresentation(const PresentationBody& body,
                                      const crypto::PrivateKey& device_key) {
  LAUREL_ASSIGN_OR_RETURN(Bytes bytes, EncodePresentationBody(body));
  const auto sig = crypto::SignWithDomain(device_key, kPresentationSignDomain, bytes);
  return Presentation{body, Bytes(sig.begin(), sig.end())};
}

bool VerifyPresentationSignature(const Presentation& p, ByteView device_public_key) {
  auto bytes = EncodePresentationBody(p.body);
  if (!bytes.ok()) return false;
  return crypto::VerifyWithDomain(device_public_key, kPresentationSignDomain, *bytes, p.signature);
}

std::string PresentationToText(const Presentation& p) {
  return std::string(kPresentationPrefix) + Base45Encode(EncodePresentation(p));
}

Result<Presentation> PresentationFromText(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  if (text.size() > kMaxPresentationBytes * 3 / 2 + kPresentationPrefix.size() + 2) {
    return Status::InvalidArgument("presentation text too long");
  }
  if (text.substr(0, kPresentationPrefix.size()) != kPresentationPrefix) {
    return Status::InvalidArgument("presentation text must start with \"LP1:\"");
  }
  LAUREL_ASSIGN_OR_RETURN(Bytes raw, Base45Decode(text.substr(kPresentationPrefix.size())));
  return DecodePresentation(raw);
}

}  // namespace laurel::types
