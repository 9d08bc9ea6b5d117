// Cards as `LC1:` text (what a gate scans, POST /v1/verify): the decoder never crashes, a decoded
// card is canonical and its text decodes back to it. Signature checks run on whatever decodes.
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
  auto card = types::CardFromText(std::string_view(reinterpret_cast<const char*>(data), size));
  if (card.ok()) CheckCard(*card, {});
  return 0;
}
