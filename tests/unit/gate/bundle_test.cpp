// The gate bundle (gate/bundle.h) and the offline decision (gate/offline.h): built from a real
// executed state and a signed certificate, checked against the validator set alone; every
// reason decided offline equals VerifyCard's on the node's state; any changed byte, missing or
// stale record is refused; a delta over an old bundle equals a fresh full bundle.
#include "gate/bundle.h"

#include <functional>

#include "crypto/sha256.h"
#include "gate/offline.h"
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
constexpr uint64_t kNow = 1'750'000'000;

types::CardBody Body(const std::string& id, const std::string& issuer = "city-fed", uint32_t kv = 1,
                     uint64_t from = kFrom, uint64_t until = kUntil) {
  types::CardBody b;
  b.chain_id = Chain::kChainId;
  b.credential_id = id;
  b.issuer_id = issuer;
  b.key_version = kv;
  b.type = CredentialType::kModelWorker;
  b.level = Level::kMunicipal;
  b.holder_name = "李伟";
  b.member_no = "MW-0001";
  b.salt = Bytes(types::kCardSaltSize, 0x5a);
  b.valid_from = from;
  b.valid_until = until;
  return b;
}

Bytes DigestOf(const types::CardBody& b) {
  const Hash32 d = types::CardDigest(types::EncodeCardBody(b));
  return Bytes(d.begin(), d.end());
}

std::string IssueCard(Chain& c, const types::CardBody& b, const crypto::PrivateKey& key) {
  REQUIRE(c.Run(types::IssueCredential{b.credential_id, b.issuer_id, b.type, b.level, DigestOf(b),
                                       b.valid_from, b.valid_until},
                {&key}) == TxCode::kOk);
  return types::CardToText(types::SignCard(b, key));
}

// The chain's one validator (KeyFrom(100)) certifies the chain's current height (state.md §6).
struct Certifier {
  crypto::PrivateKey key = KeyFrom(100);
  verifier::ValidatorSet Set() const {
    verifier::ValidatorSet s;
    s.chain_id = Chain::kChainId;
    s.keys = {Pub(key)};
    s.names = {"v0"};
    s.addresses = {"127.0.0.1:9000"};
    return s;
  }
  Bytes Certify(Chain& c, uint64_t time_ms) const {
    verifier::Certificate cert;
    cert.height = c.height();
    cert.block_id[0] = static_cast<uint8_t>(c.height());
    cert.state_root = c.root();
    cert.time_ms = time_ms;
    cert.signatures = {{0, key.Sign(verifier::CertificateSignBytes(Chain::kChainId, cert))}};
    return verifier::EncodeCertificate(cert);
  }
};

using ReadFn = std::function<std::optional<std::string>(const std::string&)>;

::laurel::v1::GateBundle Build(Chain& c, const Certifier& v, uint64_t since,
                               uint64_t time_ms = kNow * 1000, ReadFn read_since = nullptr) {
  gate::BundleSource src;
  src.chain_id = Chain::kChainId;
  src.height = c.height();
  src.time_ms = time_ms;
  src.certificate = v.Certify(c, time_ms);
  const uint64_t h = c.height();
  src.read = [&c](const std::string& k) { return c.state().GetState(k); };
  src.prove = [&c, h](const std::string& k) { return ProveState(c.state(), h, k); };
  src.read_since = std::move(read_since);
  auto b = gate::BuildBundle(src, since);
  REQUIRE(b.ok());
  return std::move(b).value();
}

// A chain with a card in each state the gate meets.
struct World {
  Chain c;
  Certifier v;
  crypto::PrivateKey local = KeyFrom(20), local2 = KeyFrom(21), rotated = KeyFrom(22);
  std::map<std::string, std::string> cards;  // what -> card text

  World() {
    c.RegisterChild("local-1", "city-fed", c.fed_, local, AllGrants());
    c.RegisterChild("local-2", "city-fed", c.fed_, local2, AllGrants());
    cards["active"] = IssueCard(c, Body("local-1/1", "local-1"), local);
    cards["suspended"] = IssueCard(c, Body("local-1/2", "local-1"), local);
    REQUIRE(
        c.Run(types::SetCredentialStatus{"local-1/2", types::CredentialStatus::kSuspended, "lost"},
              {&local}) == TxCode::kOk);
    cards["revoked"] = IssueCard(c, Body("local-1/3", "local-1"), local);
    REQUIRE(
        c.Run(types::SetCredentialStatus{"local-1/3", types::CredentialStatus::kRevoked, "left"},
              {&local}) == TxCode::kOk);
    cards["expired"] = IssueCard(c, Body("local-1/4", "local-1", 1, kFrom, kNow - 10), local);
    cards["not_yet_valid"] =
        IssueCard(c, Body("local-1/5", "local-1", 1, kNow + 10, kUntil), local);
    // Signed, never recorded.
    cards["not_on_ledger"] =
        types::CardToText(types::SignCard(Body("local-1/99", "local-1"), local));
    // An issuer that does not exist.
    cards["unknown_issuer"] =
        types::CardToText(types::SignCard(Body("nowhere/1", "nowhere"), local));
    // A key version the issuer never had.
    cards["bad_key_version"] =
        types::CardToText(types::SignCard(Body("local-1/6", "local-1", 7), local));
    // Signed by another key than the issuer's.
    cards["forged"] = types::CardToText(types::SignCard(Body("local-1/1", "local-1"), local2));
    // The issuer suspended: its cards refused.
    cards["issuer_suspended"] = IssueCard(c, Body("local-2/1", "local-2"), local2);
    REQUIRE(c.Run(types::SetIssuerStatus{"local-2", types::IssuerStatus::kSuspended, "audit"},
                  {&c.fed_}) == TxCode::kOk);
    // After a rotation, a card of the old key stays valid.
    cards["old_key_still_valid"] = IssueCard(c, Body("local-1/7", "local-1"), local);
    REQUIRE(c.Run(types::RotateIssuerKey{"local-1", Pub(rotated)}, {&local}) == TxCode::kOk);
    cards["new_key"] = IssueCard(c, Body("local-1/8", "local-1", 2), rotated);
    cards["malformed"] = "LC1:nonsense";
  }
};

}  // namespace

TEST_CASE("gzip round-trips and refuses what is not gzip, truncated or too big") {
  const std::string data(100000, 'x');
  const std::string gz = gate::Gzip(data);
  CHECK(gz.size() < 1000);
  CHECK(gate::Gunzip(gz).value() == data);
  CHECK_FALSE(gate::Gunzip("not gzip").ok());
  CHECK_FALSE(gate::Gunzip(gz.substr(0, gz.size() / 2)).ok());
  CHECK_FALSE(gate::Gunzip(gz, 1000).ok());
  CHECK_FALSE(gate::Gunzip(gz + "x").ok());
}

TEST_CASE("offline decisions equal the node's for a card in every state") {
  World w;
  const auto bundle = Build(w.c, w.v, 0);
  auto checked = gate::CheckBundle(bundle, w.v.Set());
  REQUIRE(checked.ok());
  CHECK(checked->height == w.c.height());
  const gate::OfflineGate g(*checked);
  CHECK(g.issuers() == 3);
  CHECK(g.credentials() == 8);
  std::map<std::string, std::string> want = {{"active", "VALID"},
                                             {"suspended", "SUSPENDED"},
                                             {"revoked", "REVOKED"},
                                             {"expired", "EXPIRED"},
                                             {"not_yet_valid", "NOT_YET_VALID"},
                                             {"not_on_ledger", "NOT_ON_LEDGER"},
                                             {"unknown_issuer", "UNKNOWN_ISSUER"},
                                             {"bad_key_version", "BAD_SIGNATURE"},
                                             {"forged", "BAD_SIGNATURE"},
                                             {"issuer_suspended", "ISSUER_SUSPENDED"},
                                             {"old_key_still_valid", "VALID"},
                                             {"new_key", "VALID"},
                                             {"malformed", "MALFORMED"}};
  for (const auto& [what, text] : w.cards) {
    INFO(what);
    const VerifyResult online = VerifyCard(w.c.state(), Chain::kChainId, text, kNow);
    const VerifyResult offline = g.Verify(text, kNow);
    CHECK(VerifyReasonName(online.reason) == want.at(what));
    CHECK(VerifyReasonName(offline.reason) == VerifyReasonName(online.reason));
    if (online.credential && offline.credential) {
      CHECK(offline.credential->status == online.credential->status);
      CHECK(offline.credential->status_index == online.credential->status_index);
    }
  }
}

TEST_CASE("a card replaced by a renewal is refused offline as not on the ledger") {
  World w;
  const types::CardBody old_body = Body("local-1/1", "local-1");
  types::CardBody renewed = old_body;
  renewed.valid_until = kUntil + 1000;
  renewed.key_version = 2;
  REQUIRE(w.c.Run(types::RenewCredential{"local-1/1", DigestOf(renewed), renewed.valid_from,
                                         renewed.valid_until},
                  {&w.rotated}) == TxCode::kOk);
  auto checked = gate::CheckBundle(Build(w.c, w.v, 0), w.v.Set());
  REQUIRE(checked.ok());
  const gate::OfflineGate g(*checked);
  CHECK(g.Verify(w.cards["active"], kNow).reason == VerifyReason::kNotOnLedger);
  CHECK(VerifyCard(w.c.state(), Chain::kChainId, w.cards["active"], kNow).reason ==
        VerifyReason::kDigestMismatch);
  const std::string fresh = types::CardToText(types::SignCard(renewed, w.rotated));
  CHECK(g.Verify(fresh, kNow).reason == VerifyReason::kValid);
}

TEST_CASE("a changed byte, a missing or extra record, another chain or signer is refused") {
  World w;
  const auto good = Build(w.c, w.v, 0);
  REQUIRE(gate::CheckBundle(good, w.v.Set()).ok());
  auto refused = [&](const ::laurel::v1::GateBundle& b) {
    auto r = gate::CheckBundle(b, w.v.Set());
    if (r.ok()) return false;
    CHECK(r.status().code() == StatusCode::kPermissionDenied);
    return true;
  };
  // Every byte of every record, one at a time.
  for (int i = 0; i < good.records_size(); ++i) {
    const std::string& v = good.records(i).value();
    for (size_t j = 0; j < v.size(); ++j) {
      auto b = good;
      (*b.mutable_records(i)->mutable_value())[j] ^= 0x01;
      INFO(good.records(i).key() << " byte " << j);
      CHECK(refused(b));
    }
  }
  {  // a status flipped back to active
    auto b = good;
    for (auto& r : *b.mutable_records()) {
      if (r.key() != "s/local-1/0") continue;
      auto chunk = DecodeStatusChunk(r.value()).value();
      chunk.SetStatus(2, SlotStatus::kActive);
      r.set_value(EncodeStatusChunk(chunk));
    }
    CHECK(refused(b));
  }
  {  // a record left out
    auto b = good;
    b.mutable_records()->DeleteSubrange(1, 1);
    CHECK(refused(b));
  }
  {  // a record added
    auto b = good;
    auto* r = b.add_records();
    r->set_key("s/zzz/0");
    r->set_value(EncodeStatusChunk(StatusChunk{"zzz", 0, 0, {}, {}}));
    CHECK(refused(b));
  }
  {  // an index record rebuilt with a changed height, one height more or fewer
    int present = 0;
    for (const auto& ip : good.index()) {
      if (!ip.present()) continue;
      ++present;
      CHECK(ip.rebuilt());  // format 2: no index record is sent, each entry's height is
      CHECK(ip.value().empty());
    }
    CHECK(present > 0);
    for (int change = 0; change < 3; ++change) {
      auto b = good;
      for (auto& ip : *b.mutable_index()) {
        if (!ip.present()) continue;
        if (change == 0) ip.set_heights(0, ip.heights(0) + 1);
        if (change == 1) ip.add_heights(1);
        if (change == 2) ip.mutable_heights()->RemoveLast();
        break;
      }
      INFO("change " << change);
      CHECK(refused(b));
    }
  }
  {  // an index record sent whole (format 1's way) but altered
    auto b = good;
    auto checked = gate::CheckBundle(good, w.v.Set());
    REQUIRE(checked.ok());
    for (uint32_t i = 0; static_cast<int>(i) < b.index_size(); ++i) {
      auto* ip = b.mutable_index(static_cast<int>(i));
      if (!ip->present()) continue;
      ip->set_rebuilt(false);
      ip->clear_heights();
      ip->set_value(*checked->index[i]);
      CHECK(gate::CheckBundle(b, w.v.Set()).ok());  // sent whole, it checks as well
      (*ip->mutable_value())[0] ^= 1;
      break;
    }
    CHECK(refused(b));
  }
  {  // a certificate byte
    auto b = good;
    (*b.mutable_certificate())[100] ^= 1;
    CHECK(refused(b));
  }
  {  // another height than the certificate's
    auto b = good;
    b.set_height(b.height() + 1);
    CHECK(refused(b));
  }
  {  // another chain
    auto b = good;
    b.set_chain_id("other");
    CHECK(refused(b));
  }
  {  // a bucket's proof dropped
    auto b = good;
    b.mutable_index()->RemoveLast();
    CHECK(refused(b));
  }
  {  // the gzip bytes past its 10-byte header (time and OS bytes are not checked by gzip):
     // a flipped byte anywhere is refused by the CRC, the length or the check, or changes
     // nothing
    const std::string gz = gate::EncodeBundle(good);
    int refused_count = 0, tried = 0;
    for (size_t j = 10; j < gz.size(); j += 7, ++tried) {
      std::string bad = gz;
      bad[j] ^= 0x20;
      auto d = gate::DecodeBundle(bad);
      // A flip in the padding bits after deflate's last block changes nothing decoded: the
      // bundle is then the same one, byte for byte.
      if (!d.ok() || !gate::CheckBundle(*d, w.v.Set()).ok() ||
          d->SerializeAsString() == good.SerializeAsString()) {
        ++refused_count;
      }
    }
    CHECK(tried > 10);
    CHECK(refused_count == tried);  // refused, or decoded to the very same bundle
  }
}

TEST_CASE("a delta over an old bundle equals a fresh full bundle") {
  World w;
  const auto old_full = Build(w.c, w.v, 0);
  auto old_checked = gate::CheckBundle(old_full, w.v.Set());
  REQUIRE(old_checked.ok());
  const uint64_t since = w.c.height();
  // A day's changes: issues, a suspension, a resumption, a revocation, a new issuer.
  const crypto::PrivateKey local3 = KeyFrom(23);
  w.c.RegisterChild("local-3", "city-fed", w.c.fed_, local3, AllGrants());
  IssueCard(w.c, Body("local-3/1", "local-3"), local3);
  IssueCard(w.c, Body("local-1/20", "local-1", 2), w.rotated);
  REQUIRE(w.c.Run(types::SetCredentialStatus{"local-1/2", types::CredentialStatus::kActive, ""},
                  {&w.rotated}) == TxCode::kOk);
  REQUIRE(w.c.Run(types::SetCredentialStatus{"local-1/1", types::CredentialStatus::kRevoked, "x"},
                  {&w.rotated}) == TxCode::kOk);

  const auto delta = Build(w.c, w.v, since, (kNow + 60) * 1000);
  const auto fresh = Build(w.c, w.v, 0, (kNow + 60) * 1000);
  CHECK(delta.ByteSizeLong() < fresh.ByteSizeLong());
  CHECK(delta.records_size() < fresh.records_size());
  // Without the bundle it applies to, or over another one, a delta is refused.
  CHECK_FALSE(gate::CheckBundle(delta, w.v.Set()).ok());
  auto applied = gate::CheckBundle(delta, w.v.Set(), &*old_checked);
  REQUIRE(applied.ok());
  auto full = gate::CheckBundle(fresh, w.v.Set());
  REQUIRE(full.ok());
  CHECK(applied->content_digest == full->content_digest);
  CHECK(applied->records == full->records);
  CHECK(gate::EncodeBundle(applied->full) == gate::EncodeBundle(full->full));
  // The merged bundle stands alone, as a full one.
  CHECK(gate::CheckBundle(applied->full, w.v.Set()).ok());
  // Decisions follow the changes.
  const gate::OfflineGate g(*applied);
  CHECK(g.Verify(w.cards["suspended"], kNow).reason == VerifyReason::kValid);
  CHECK(g.Verify(w.cards["active"], kNow).reason == VerifyReason::kRevoked);
  // A delta whose changed record is withheld is refused (the index lists its new hash).
  auto withheld = delta;
  withheld.mutable_records()->RemoveLast();
  CHECK_FALSE(gate::CheckBundle(withheld, w.v.Set(), &*old_checked).ok());
}

// What a checked bundle held: the records of its height (the node reads them from its state
// at `since`).
ReadFn HeldReader(const gate::CheckedBundle& held) {
  return [&held](const std::string& k) -> std::optional<std::string> {
    if (k.substr(0, 2) == "x/") {
      return held.index[std::stoul(k.substr(2), nullptr, 16)];
    }
    auto it = held.records.find(k);
    if (it == held.records.end()) return std::nullopt;
    return it->second;
  };
}

// A chain with a bundle checked at `since`, then a day of changes.
struct Day {
  World w;
  gate::CheckedBundle old;
  uint64_t since = 0;
  crypto::PrivateKey local3 = KeyFrom(23);
  Day() {
    auto c = gate::CheckBundle(Build(w.c, w.v, 0), w.v.Set());
    REQUIRE(c.ok());
    old = std::move(c).value();
    since = w.c.height();
    w.c.RegisterChild("local-3", "city-fed", w.c.fed_, local3, AllGrants());
    IssueCard(w.c, Body("local-3/1", "local-3"), local3);
    IssueCard(w.c, Body("local-1/20", "local-1", 2), w.rotated);
    REQUIRE(w.c.Run(types::SetCredentialStatus{"local-1/2", types::CredentialStatus::kActive, ""},
                    {&w.rotated}) == TxCode::kOk);
    REQUIRE(w.c.Run(types::SetCredentialStatus{"local-1/1", types::CredentialStatus::kRevoked, "x"},
                    {&w.rotated}) == TxCode::kOk);
  }
  ::laurel::v1::GateBundle Delta() {
    return Build(w.c, w.v, since, (kNow + 60) * 1000, HeldReader(old));
  }
};

TEST_CASE("a delta patches the slots that changed and rebuilds the index, equal to a full bundle") {
  Day d;
  const auto delta = d.Delta();
  const auto whole = Build(d.w.c, d.w.v, d.since, (kNow + 60) * 1000);  // no records of `since`
  const auto fresh = Build(d.w.c, d.w.v, 0, (kNow + 60) * 1000);
  int patches = 0;
  for (const auto& r : delta.records()) {
    if (!r.has_patch()) continue;
    ++patches;
    CHECK(r.key().substr(0, 2) == "s/");
    CHECK(r.value().empty());
    // local-1/0 changed two statuses and gained a slot: 3 slots listed, not 6 or 7.
    if (r.key() == "s/local-1/0") CHECK(r.patch().slots_size() == 3);
  }
  CHECK(patches == 1);  // local-1's chunk; local-3's is new, sent whole
  for (const auto& r : whole.records()) CHECK_FALSE(r.has_patch());
  for (const auto& ip : delta.index()) {
    if (ip.present() && !ip.unchanged()) {
      CHECK(ip.rebuilt());
      CHECK(ip.value().empty());
    }
  }
  CHECK(delta.ByteSizeLong() < whole.ByteSizeLong());
  auto applied = gate::CheckBundle(delta, d.w.v.Set(), &d.old);
  REQUIRE(applied.ok());
  auto applied_whole = gate::CheckBundle(whole, d.w.v.Set(), &d.old);
  REQUIRE(applied_whole.ok());
  auto full = gate::CheckBundle(fresh, d.w.v.Set());
  REQUIRE(full.ok());
  CHECK(applied->content_digest == full->content_digest);
  CHECK(applied_whole->content_digest == full->content_digest);
  CHECK(applied->records == full->records);
  CHECK(gate::EncodeBundle(applied->full) == gate::EncodeBundle(full->full));
  CHECK(gate::EncodeBundle(full->full) == gate::EncodeBundle(fresh));  // served == kept
  const gate::OfflineGate g(*applied);
  CHECK(g.Verify(d.w.cards["suspended"], kNow).reason == VerifyReason::kValid);
  CHECK(g.Verify(d.w.cards["active"], kNow).reason == VerifyReason::kRevoked);
}

TEST_CASE("a delta's altered patch or height is refused") {
  Day d;
  const auto delta = d.Delta();
  REQUIRE(gate::CheckBundle(delta, d.w.v.Set(), &d.old).ok());
  auto refused = [&](const ::laurel::v1::GateBundle& b, const gate::CheckedBundle* base) {
    auto r = gate::CheckBundle(b, d.w.v.Set(), base);
    if (r.ok()) return false;
    CHECK(r.status().code() == StatusCode::kPermissionDenied);
    return true;
  };
  int at = -1;
  for (int i = 0; i < delta.records_size(); ++i) {
    if (delta.records(i).has_patch()) at = i;
  }
  REQUIRE(at >= 0);
  using Edit = std::function<void(::laurel::v1::StatusChunkPatch&)>;
  const std::vector<std::pair<std::string, Edit>> edits = {
      {"a status", [](auto& p) { (*p.mutable_statuses())[0] ^= 1; }},
      {"a status above 3", [](auto& p) { (*p.mutable_statuses())[0] = 4; }},
      {"a fingerprint byte", [](auto& p) { (*p.mutable_fingerprints())[0] ^= 1; }},
      {"the appended slot dropped",
       [](auto& p) {
         p.mutable_slots()->RemoveLast();
         p.mutable_statuses()->pop_back();
         p.mutable_fingerprints()->resize(p.fingerprints().size() - ledger::kStatusFingerprintSize);
       }},
      {"one slot fewer in use", [](auto& p) { p.set_count(p.count() - 1); }},
      {"one more slot in use", [](auto& p) { p.set_count(p.count() + 1); }},
      {"beyond 1024 slots", [](auto& p) { p.set_count(5000); }},
      {"slots out of order",
       [](auto& p) { std::swap(*p.mutable_slots()->Mutable(0), *p.mutable_slots()->Mutable(1)); }},
      {"a slot twice", [](auto& p) { p.set_slots(1, p.slots(0)); }},
      {"a status short", [](auto& p) { p.mutable_statuses()->pop_back(); }},
      {"an unchanged slot listed with another status",
       [](auto& p) {
         p.add_slots(p.count() - 1 + 0);  // not ascending past the last: refused either way
         p.mutable_statuses()->push_back(2);
         p.mutable_fingerprints()->append(ledger::kStatusFingerprintSize, '\0');
       }},
  };
  for (const auto& [what, edit] : edits) {
    auto b = delta;
    edit(*b.mutable_records(at)->mutable_patch());
    INFO(what);
    CHECK(refused(b, &d.old));
  }
  {  // a value beside the patch
    auto b = delta;
    b.mutable_records(at)->set_value("x");
    CHECK(refused(b, &d.old));
  }
  {  // a patch of a chunk the gate does not hold (it holds an older bundle without it)
    auto b = delta;
    auto* r = b.add_records();
    r->set_key("s/local-2/7");
    *r->mutable_patch() = delta.records(at).patch();
    std::sort(b.mutable_records()->begin(), b.mutable_records()->end(),
              [](const auto& x, const auto& y) { return x.key() < y.key(); });
    CHECK(refused(b, &d.old));
  }
  {  // a patch in a full bundle
    auto b = delta;
    b.set_since(0);
    CHECK(refused(b, nullptr));
  }
  {  // a rebuilt record's height changed, or a height more
    for (int change = 0; change < 2; ++change) {
      auto b = delta;
      for (auto& ip : *b.mutable_index()) {
        if (!ip.rebuilt()) continue;
        if (change == 0) ip.set_heights(0, ip.heights(0) - 1);
        if (change == 1) ip.add_heights(1);
        break;
      }
      CHECK(refused(b, &d.old));
    }
  }
  {  // a changed bucket said unchanged
    auto b = delta;
    for (auto& ip : *b.mutable_index()) {
      if (!ip.rebuilt()) continue;
      ip.set_rebuilt(false);
      ip.clear_heights();
      ip.set_unchanged(true);
      break;
    }
    CHECK(refused(b, &d.old));
  }
}

TEST_CASE("staleness is the bundle's certified time against the window") {
  CHECK_FALSE(gate::BundleStale(1000'000, 1000'000 + 86400'000, 86400));
  CHECK(gate::BundleStale(1000'000, 1000'000 + 86400'001, 86400));
  CHECK_FALSE(gate::BundleStale(5000'000, 1000'000, 60));  // a bundle from the future is not stale
}

TEST_CASE("holder binding: offline decisions equal the node's, reason for reason") {
  World w;
  const crypto::PrivateKey device = KeyFrom(50);
  types::CardBody bound = Body("local-1/40", "local-1", 2);
  bound.holder_key = Pub(device);
  const std::string bound_card = IssueCard(w.c, bound, w.rotated);
  const std::string unbound_card = w.cards["new_key"];
  const auto bundle = Build(w.c, w.v, 0);
  auto checked = gate::CheckBundle(bundle, w.v.Set());
  REQUIRE(checked.ok());
  const gate::OfflineGate g(*checked);

  auto present = [&](uint64_t at, const std::string& gate_id) {
    types::PresentationBody p;
    p.credential_id = "local-1/40";
    p.gate_id = gate_id;
    p.kind = types::ChallengeKind::kSlot;
    p.slot = types::SlotOf(at);
    return types::PresentationToText(types::SignPresentation(p, device).value());
  };
  HolderPolicy gate;
  gate.gate_id = "G1";
  HolderPolicy strict = gate;
  strict.require_binding = {CredentialType::kModelWorker};
  std::string tampered = present(kNow, "G1");
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';

  struct Case {
    const char* what;
    std::string card;
    std::optional<std::string> presentation;
    HolderPolicy policy;
    const char* want;
    const char* holder;
  };
  const std::vector<Case> cases = {
      {"fresh", bound_card, present(kNow, "G1"), gate, "VALID", "BOUND"},
      {"replayed later", bound_card, present(kNow - 300, "G1"), gate, "PRESENTATION_EXPIRED",
       "BOUND"},
      {"another gate", bound_card, present(kNow, "G2"), gate, "PRESENTATION_EXPIRED", "BOUND"},
      {"tampered", bound_card, tampered, gate, "BAD_HOLDER_SIGNATURE", "BOUND"},
      {"missing", bound_card, std::nullopt, gate, "PRESENTATION_MISSING", "BOUND"},
      {"unbound", unbound_card, std::nullopt, gate, "VALID", "UNBOUND"},
      {"unbound, binding required", unbound_card, std::nullopt, strict, "BINDING_REQUIRED",
       "UNBOUND"},
      {"revoked stays revoked", w.cards["revoked"], std::nullopt, strict, "REVOKED", "UNBOUND"},
      {"malformed", "LC1:nonsense", std::nullopt, gate, "MALFORMED", ""},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    const VerifyResult online = ApplyHolderCheck(
        VerifyCard(w.c.state(), Chain::kChainId, c.card, kNow), c.presentation, c.policy, kNow);
    const VerifyResult offline = g.Verify(c.card, kNow, c.presentation, c.policy);
    CHECK(VerifyReasonName(online.reason) == std::string(c.want));
    CHECK(VerifyReasonName(offline.reason) == std::string(c.want));
    CHECK(HolderBindingName(offline.holder) == std::string(c.holder));
    // (A status message offline carries no status reason: "credential revoked" for
    // "credential revoked: left"; every holder message is the same.)
    if (offline.reason != VerifyReason::kRevoked) CHECK(offline.message == online.message);
  }
}
