// Cards in binary (laurel.v1.Card and CardBody): decoders never crash, decoded values are
// canonical (re-encode to the same bytes), and a card's `LC1:` text decodes back to the card.
// Signature checks run on whatever decodes.
#include "crypto/ed25519.h"
#include "fuzz/fuzz_util.h"
#include "types/card.h"

namespace {
using namespace laurel;

void CheckCard(const types::Card& card, ByteView raw) {
  if (!raw.empty()) FUZZ_CHECK(fuzz::SameBytes(types::EncodeCard(card), raw));
  auto text = types::CardFromText(types::CardToText(card));
  FUZZ_CHECK(text.ok() && text->body == card.body && text->signature == card.signature);
  auto body = types::DecodeCardBody(card.body);
  if (body.ok()) FUZZ_CHECK(fuzz::SameBytes(types::EncodeCardBody(*body), card.body));
  static const auto key = crypto::PrivateKey::FromSeed(Bytes(32, 7)).value();
  (void)types::VerifyCardSignature(card, key.public_key());
  (void)types::CardDigest(card.body);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteView in = fuzz::View(data, size);
  auto card = types::DecodeCard(in);
  if (card.ok()) CheckCard(*card, in);
  auto body = types::DecodeCardBody(in);
  if (body.ok()) FUZZ_CHECK(fuzz::SameBytes(types::EncodeCardBody(*body), in));
  return 0;
}
