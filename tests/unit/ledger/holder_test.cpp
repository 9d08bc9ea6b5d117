// Holder binding (ledger::CheckHolder, ApplyHolderCheck): a card bound to a device key passes
// a gate only with a fresh presentation signed by that key for that gate; an unbound card
// passes, marked unbound, unless the gate requires binding for its type.
#include <catch2/catch.hpp>

#include "ledger/verify.h"
#include "tests/unit/ledger/ledger_fixture.h"
#include "types/card.h"
#include "types/presentation.h"

using namespace laurel;
using namespace laurel::ledger;
using namespace laurel::ledger::test;

namespace {

constexpr uint64_t kFrom = 1'700'000'000;
constexpr uint64_t kUntil = 1'800'000'000;
constexpr uint64_t kNow = 1'750'000'005;  // 5 s into a slot
constexpr const char* kGate = "PEK-T3-G12";

struct Bound {
  Chain c;
  crypto::PrivateKey device = KeyFrom(40);
  crypto::PrivateKey other_device = KeyFrom(41);
  std::string bound_card, unbound_card, member_card;

  types::CardBody Body(const std::string& id, types::CredentialType type, bool bind) {
    types::CardBody b;
    b.chain_id = Chain::kChainId;
    b.credential_id = id;
    b.issuer_id = "city-fed";
    b.key_version = 1;
    b.type = type;
    b.level = type == types::CredentialType::kModelWorker ? types::Level::kMunicipal
                                                          : types::Level::kUnspecified;
    b.holder_name = "王芳";
    b.member_no = "HN-0001";
    b.salt = Bytes(types::kCardSaltSize, 0x11);
    b.valid_from = kFrom;
    b.valid_until = kUntil;
    if (bind) b.holder_key = Pub(device);
    return b;
  }
  std::string Issue(const types::CardBody& b) {
    const Hash32 d = types::CardDigest(types::EncodeCardBody(b));
    REQUIRE(c.Run(types::IssueCredential{b.credential_id, b.issuer_id, b.type, b.level,
                                         Bytes(d.begin(), d.end()), b.valid_from, b.valid_until},
                  {&c.fed_}) == TxCode::kOk);
    return types::CardToText(types::SignCard(b, c.fed_));
  }
  Bound() {
    bound_card = Issue(Body("city-fed/MW/1", types::CredentialType::kModelWorker, true));
    unbound_card = Issue(Body("city-fed/MW/2", types::CredentialType::kModelWorker, false));
    member_card = Issue(Body("city-fed/M/3", types::CredentialType::kMember, false));
  }

  std::string Present(const crypto::PrivateKey& key, uint64_t at, const std::string& gate = kGate,
                      const std::string& id = "city-fed/MW/1") {
    types::PresentationBody p;
    p.credential_id = id;
    p.gate_id = gate;
    p.kind = types::ChallengeKind::kSlot;
    p.slot = types::SlotOf(at);
    return types::PresentationToText(types::SignPresentation(p, key).value());
  }
  std::string PresentNonce(const Bytes& nonce, const std::string& gate = kGate) {
    types::PresentationBody p;
    p.credential_id = "city-fed/MW/1";
    p.gate_id = gate;
    p.kind = types::ChallengeKind::kNonce;
    p.nonce = nonce;
    return types::PresentationToText(types::SignPresentation(p, device).value());
  }
  VerifyResult Check(const std::string& card, const std::optional<std::string>& presentation,
                     const HolderPolicy& policy, uint64_t now = kNow) {
    return ApplyHolderCheck(VerifyCard(c.state(), Chain::kChainId, card, now), presentation, policy,
                            now);
  }
};

HolderPolicy Gate() {
  HolderPolicy p;
  p.gate_id = kGate;
  return p;
}

}  // namespace

TEST_CASE("a bound card with a fresh presentation from its device is valid, marked bound") {
  Bound w;
  const VerifyResult r = w.Check(w.bound_card, w.Present(w.device, kNow), Gate());
  CHECK(VerifyReasonName(r.reason) == std::string("VALID"));
  CHECK(r.holder == HolderBinding::kBound);
  REQUIRE(r.card);
  CHECK(r.card->holder_key == Pub(w.device));
}

TEST_CASE("the slot window: one slot either side passes, further is PRESENTATION_EXPIRED") {
  Bound w;
  const uint64_t slot_start = types::SlotOf(kNow) * types::kSlotSeconds;
  CHECK(w.Check(w.bound_card, w.Present(w.device, slot_start - 30), Gate()).valid());
  CHECK(w.Check(w.bound_card, w.Present(w.device, slot_start + 30), Gate()).valid());
  for (const uint64_t at : {slot_start - 31, slot_start + 60, slot_start - 3600}) {
    INFO(at);
    const VerifyResult r = w.Check(w.bound_card, w.Present(w.device, at), Gate());
    CHECK(r.reason == VerifyReason::kPresentationExpired);
    CHECK(r.holder == HolderBinding::kBound);
    CHECK(r.message.find("出示码已过期") != std::string::npos);
  }
  HolderPolicy strict = Gate();
  strict.slot_skew = 0;
  CHECK(w.Check(w.bound_card, w.Present(w.device, slot_start - 1), strict).reason ==
        VerifyReason::kPresentationExpired);
  CHECK(w.Check(w.bound_card, w.Present(w.device, slot_start + 29), strict).valid());
}

TEST_CASE("a screenshot replayed at a later slot is PRESENTATION_EXPIRED") {
  Bound w;
  const std::string shot = w.Present(w.device, kNow);
  CHECK(w.Check(w.bound_card, shot, Gate(), kNow).valid());
  CHECK(w.Check(w.bound_card, shot, Gate(), kNow + 30).valid());  // the skew of one slot
  CHECK(w.Check(w.bound_card, shot, Gate(), kNow + 90).reason ==
        VerifyReason::kPresentationExpired);
  CHECK(w.Check(w.bound_card, shot, Gate(), kNow + 86400).reason ==
        VerifyReason::kPresentationExpired);
}

TEST_CASE("a nonce presentation passes only with this gate's current nonce and id") {
  Bound w;
  const Bytes nonce(16, 0x7e);
  HolderPolicy gate = Gate();
  gate.nonce = nonce;
  CHECK(w.Check(w.bound_card, w.PresentNonce(nonce), gate).valid());
  // The nonce of a moment ago (the gate has moved on), and none at all.
  HolderPolicy moved = gate;
  moved.nonce = Bytes(16, 0x7f);
  CHECK(w.Check(w.bound_card, w.PresentNonce(nonce), moved).reason ==
        VerifyReason::kPresentationExpired);
  HolderPolicy no_nonce = Gate();
  CHECK(w.Check(w.bound_card, w.PresentNonce(nonce), no_nonce).reason ==
        VerifyReason::kPresentationExpired);
  // The same nonce, answered for another gate.
  const VerifyResult r = w.Check(w.bound_card, w.PresentNonce(nonce, "PEK-T3-G13"), gate);
  CHECK(r.reason == VerifyReason::kPresentationExpired);
  CHECK(r.message.find("PEK-T3-G13") != std::string::npos);
  // A slot presentation for another gate.
  CHECK(w.Check(w.bound_card, w.Present(w.device, kNow, "SHA-HQ-01"), Gate()).reason ==
        VerifyReason::kPresentationExpired);
  // A gate without an id takes no presentation.
  CHECK(w.Check(w.bound_card, w.Present(w.device, kNow), HolderPolicy{}).reason ==
        VerifyReason::kPresentationExpired);
}

TEST_CASE("a forged, altered or foreign presentation is BAD_HOLDER_SIGNATURE") {
  Bound w;
  // Another device's key.
  CHECK(w.Check(w.bound_card, w.Present(w.other_device, kNow), Gate()).reason ==
        VerifyReason::kBadHolderSignature);
  // One bit of the signature flipped.
  auto p = types::PresentationFromText(w.Present(w.device, kNow));
  REQUIRE(p.ok());
  p->signature[10] ^= 0x01;
  CHECK(w.Check(w.bound_card, types::PresentationToText(*p), Gate()).reason ==
        VerifyReason::kBadHolderSignature);
  // The slot changed after signing (a replay moved forward).
  p->signature[10] ^= 0x01;
  p->body.slot += 10;
  CHECK(w.Check(w.bound_card, types::PresentationToText(*p), Gate()).reason ==
        VerifyReason::kBadHolderSignature);
  // Signed for another credential of the same holder.
  CHECK(w.Check(w.bound_card, w.Present(w.device, kNow, kGate, "city-fed/MW/2"), Gate()).reason ==
        VerifyReason::kBadHolderSignature);
  // Not a presentation at all.
  for (const std::string junk : {"LP1:%%%", "LC1:ABC", "hello", "LP1:"}) {
    INFO(junk);
    CHECK(w.Check(w.bound_card, junk, Gate()).reason == VerifyReason::kBadHolderSignature);
  }
}

TEST_CASE("a bound card without a presentation is PRESENTATION_MISSING") {
  Bound w;
  for (const auto& none : {std::optional<std::string>{}, std::optional<std::string>{""}}) {
    const VerifyResult r = w.Check(w.bound_card, none, Gate());
    CHECK(r.reason == VerifyReason::kPresentationMissing);
    CHECK(r.holder == HolderBinding::kBound);
    CHECK(r.card.has_value());
  }
}

TEST_CASE("an unbound card verifies marked unbound, and is refused where binding is required") {
  Bound w;
  const VerifyResult r = w.Check(w.unbound_card, std::nullopt, Gate());
  CHECK(r.valid());
  CHECK(r.holder == HolderBinding::kUnbound);
  CHECK(HolderBindingName(r.holder) == std::string("UNBOUND"));
  HolderPolicy mw = Gate();
  mw.require_binding = {types::CredentialType::kModelWorker};
  const VerifyResult refused = w.Check(w.unbound_card, std::nullopt, mw);
  CHECK(refused.reason == VerifyReason::kBindingRequired);
  CHECK(refused.holder == HolderBinding::kUnbound);
  // A presentation does not help an unbound card.
  CHECK(w.Check(w.unbound_card, w.Present(w.device, kNow, kGate, "city-fed/MW/2"), mw).reason ==
        VerifyReason::kBindingRequired);
  // The policy names model-worker cards only: a member card still passes.
  CHECK(w.Check(w.member_card, std::nullopt, mw).valid());
  // A bound card under the policy passes with its presentation.
  CHECK(w.Check(w.bound_card, w.Present(w.device, kNow), mw).valid());
}

TEST_CASE("an earlier refusal stands: the holder check runs only on an otherwise valid card") {
  Bound w;
  // Expired by the card's validity: the presentation is not looked at.
  const VerifyResult r = w.Check(w.bound_card, std::nullopt, Gate(), kUntil + 1);
  CHECK(r.reason == VerifyReason::kExpired);
  CHECK(r.holder == HolderBinding::kBound);
  // Malformed: no card, no binding.
  const VerifyResult m = w.Check("LC1:nonsense", std::nullopt, Gate());
  CHECK(m.reason == VerifyReason::kMalformed);
  CHECK(m.holder == HolderBinding::kNone);
}

TEST_CASE("binding type names") {
  CHECK(BindingTypeFromName("model-worker") == types::CredentialType::kModelWorker);
  CHECK(BindingTypeFromName("MODEL_WORKER") == types::CredentialType::kModelWorker);
  CHECK(BindingTypeFromName("member") == types::CredentialType::kMember);
  CHECK(!BindingTypeFromName("worker"));
}
