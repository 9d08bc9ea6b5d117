// The fixed inputs and the computation of the holder-binding golden vectors of
// docs/spec/holder.md: a card bound to a device key, and two presentations of it. Shared by
// holder_golden_gen.cpp (which writes tests/data/golden/holder.json) and presentation_test.cpp
// (which recomputes every value and compares it with that file and with the spec).
#pragma once

#include <nlohmann/json.hpp>

#include "tests/unit/types/golden_inputs.h"
#include "types/presentation.h"

namespace laurel::golden {

// The holder's device key: seed = 21 22 ... 40.
inline crypto::PrivateKey HolderDeviceKey() {
  return crypto::PrivateKey::FromSeed(Counting(32, 0x21)).value();
}

// The golden card of signing.md, bound to the device key.
inline types::CardBody BoundCardBody() {
  types::CardBody c = GoldenCardBody();
  const auto pk = HolderDeviceKey().public_key();
  c.holder_key.assign(pk.begin(), pk.end());
  return c;
}

inline constexpr const char* kGoldenGateId = "PEK-T3-G12";
inline constexpr uint64_t kGoldenPresentTime = 1735689615;  // 2025-01-01T00:00:15Z

inline types::PresentationBody SlotPresentationBody() {
  types::PresentationBody p;
  p.credential_id = GoldenCardBody().credential_id;
  p.gate_id = kGoldenGateId;
  p.kind = types::ChallengeKind::kSlot;
  p.slot = types::SlotOf(kGoldenPresentTime);
  return p;
}

inline types::PresentationBody NoncePresentationBody() {
  types::PresentationBody p;
  p.credential_id = GoldenCardBody().credential_id;
  p.gate_id = kGoldenGateId;
  p.kind = types::ChallengeKind::kNonce;
  p.nonce = Counting(16, 0xc0);
  return p;
}

inline nlohmann::ordered_json PresentationJson(const types::PresentationBody& body) {
  const auto p = types::SignPresentation(body, HolderDeviceKey()).value();
  nlohmann::ordered_json j;
  j["body"] = HexEncode(types::EncodePresentationBody(body).value());
  j["signature"] = HexEncode(p.signature);
  j["presentation"] = HexEncode(types::EncodePresentation(p));
  j["lp1"] = types::PresentationToText(p);
  return j;
}

inline nlohmann::ordered_json ComputeHolderGolden() {
  nlohmann::ordered_json out;
  const auto device = HolderDeviceKey();
  out["device_key"] = {{"seed", HexEncode(Counting(32, 0x21))},
                       {"public_key", HexEncode(device.public_key())}};
  const types::Card card = types::SignCard(BoundCardBody(), GoldenKey());
  out["bound_card"] = {{"body", HexEncode(card.body)},
                       {"signature", HexEncode(card.signature)},
                       {"digest", HexEncode(types::CardDigest(card.body))},
                       {"card", HexEncode(types::EncodeCard(card))},
                       {"lc1", types::CardToText(card)}};
  out["slot_presentation"] = PresentationJson(SlotPresentationBody());
  out["nonce_presentation"] = PresentationJson(NoncePresentationBody());
  return out;
}

}  // namespace laurel::golden
