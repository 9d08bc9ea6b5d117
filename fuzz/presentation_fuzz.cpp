// Holder presentations (types/presentation.h): the binary and the "LP1:" decoders never crash,
// whatever decodes re-encodes to the same bytes and round-trips through its text, and the
// gate's holder check (ledger::CheckHolder) answers one of its reasons for any input.
#include "fuzz/fuzz_util.h"
#include "ledger/verify.h"
#include "types/card.h"
#include "types/presentation.h"

namespace {
using namespace laurel;

const types::CardBody& BoundCard() {
  static const types::CardBody b = [] {
    types::CardBody c;
    c.chain_id = "laurel-fuzz";
    c.credential_id = "c-1";
    c.issuer_id = "city-fed";
    c.key_version = 1;
    c.type = types::CredentialType::kModelWorker;
    c.level = types::Level::kMunicipal;
    c.salt = Bytes(types::kCardSaltSize, 1);
    c.valid_until = 1;
    const auto device = crypto::PrivateKey::FromSeed(Bytes(32, 5)).value();
    c.holder_key.assign(device.public_key().begin(), device.public_key().end());
    return c;
  }();
  return b;
}

void CheckPresentation(const types::Presentation& p, ByteView raw) {
  if (!raw.empty()) FUZZ_CHECK(fuzz::SameBytes(types::EncodePresentation(p), raw));
  auto back = types::PresentationFromText(types::PresentationToText(p));
  FUZZ_CHECK(back.ok() && back->signature == p.signature &&
             back->body.credential_id == p.body.credential_id &&
             back->body.gate_id == p.body.gate_id && back->body.kind == p.body.kind &&
             back->body.slot == p.body.slot && back->body.nonce == p.body.nonce);
  (void)types::VerifyPresentationSignature(p, BoundCard().holder_key);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteView in = fuzz::View(data, size);
  auto p = types::DecodePresentation(in);
  if (p.ok()) CheckPresentation(*p, in);
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto t = types::PresentationFromText(text);
  if (t.ok()) CheckPresentation(*t, {});
  ledger::HolderPolicy policy;
  policy.gate_id = "G1";
  policy.nonce = Bytes(16, 3);
  auto refusal = ledger::CheckHolder(BoundCard(), text, policy, 1'750'000'000);
  FUZZ_CHECK(!refusal || refusal->first == ledger::VerifyReason::kBadHolderSignature ||
             refusal->first == ledger::VerifyReason::kPresentationExpired ||
             refusal->first == ledger::VerifyReason::kPresentationMissing);
  return 0;
}
