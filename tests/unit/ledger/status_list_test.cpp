// Status lists and the gate index (docs/spec/state.md §13): the chunk encoding, and execution
// keeping them current through issue, suspend, resume, revoke and renew.
#include "crypto/sha256.h"
#include "tests/unit/ledger/ledger_fixture.h"

using namespace laurel;
using namespace laurel::ledger;
using namespace laurel::ledger::test;

namespace {

StatusFingerprint Fp(uint8_t tag) {
  StatusFingerprint fp;
  fp.fill(tag);
  return fp;
}

std::optional<GateIndex> IndexOf(Chain& c, const std::string& issuer) {
  auto v = c.state().GetState(GateIndexKeyOf(GateBucketOf(issuer)));
  if (!v) return std::nullopt;
  auto d = DecodeGateIndex(*v);
  REQUIRE(d.ok());
  return std::move(d).value();
}

const GateIndexEntry* EntryOf(const GateIndex& g, const std::string& key) {
  for (const auto& e : g.entries) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("a status chunk packs 2 bits per slot, low bits first, and round-trips") {
  StatusChunk c{"城市工会", 3, 0, {}, {}};
  for (int i = 0; i < 6; ++i) c.Append(SlotStatus::kActive, Fp(static_cast<uint8_t>(i)));
  c.SetStatus(1, SlotStatus::kSuspended);
  c.SetStatus(2, SlotStatus::kRevoked);
  c.SetStatus(5, SlotStatus::kSpare);
  REQUIRE(c.count == 6);
  REQUIRE(c.statuses.size() == 2);
  // slot 1 -> bits 2-3 of byte 0, slot 2 -> bits 4-5, slot 5 -> bits 2-3 of byte 1.
  CHECK(c.statuses[0] == ((1 << 2) | (2 << 4)));
  CHECK(c.statuses[1] == (3 << 2));
  CHECK(c.fingerprints.size() == 6 * kStatusFingerprintSize);
  CHECK(c.fingerprint(4) == Fp(4));
  c.SetStatus(1, SlotStatus::kActive);
  CHECK(c.status(1) == SlotStatus::kActive);
  CHECK(c.status(2) == SlotStatus::kRevoked);

  auto back = DecodeStatusChunk(EncodeStatusChunk(c));
  REQUIRE(back.ok());
  CHECK(back->issuer_id == "城市工会");
  CHECK(back->chunk == 3);
  CHECK(back->count == 6);
  CHECK(back->statuses == c.statuses);
  CHECK(back->fingerprints == c.fingerprints);
  CHECK(StatusChunkKeyOf("城市工会", 3) == "s/城市工会/3");
  CHECK(GateListedIssuer("s/a/b/7") == std::optional<std::string>("a/b"));
  CHECK(GateListedIssuer("i/a/b") == std::optional<std::string>("a/b"));
  CHECK_FALSE(GateListedIssuer("c/a/1").has_value());
  CHECK_FALSE(GateListedIssuer("s/").has_value());
}

TEST_CASE("a status chunk whose sizes disagree with its count does not decode") {
  StatusChunk c{"fed", 0, 0, {}, {}};
  c.Append(SlotStatus::kActive, Fp(1));
  StatusChunk bad = c;
  bad.count = 2;
  CHECK_FALSE(DecodeStatusChunk(EncodeStatusChunk(bad)).ok());
  bad = c;
  bad.fingerprints.pop_back();
  CHECK_FALSE(DecodeStatusChunk(EncodeStatusChunk(bad)).ok());
  bad = c;
  bad.statuses.push_back(0);
  CHECK_FALSE(DecodeStatusChunk(EncodeStatusChunk(bad)).ok());
}

TEST_CASE("execution keeps an issuer's status list and the gate index current") {
  Chain c;
  // Genesis indexes the genesis issuer.
  auto g0 = IndexOf(c, "city-fed");
  REQUIRE(g0.has_value());
  const GateIndexEntry* ie = EntryOf(*g0, "i/city-fed");
  REQUIRE(ie != nullptr);
  CHECK(ie->height == 0);
  CHECK(ie->value_hash == crypto::Sha256Of(*c.state().GetState("i/city-fed")));

  REQUIRE(c.Issue("city-fed/1", "city-fed", c.fed_, CredentialType::kMember, Level::kUnspecified,
                  1) == TxCode::kOk);
  REQUIRE(c.Issue("city-fed/2", "city-fed", c.fed_, CredentialType::kMember, Level::kUnspecified,
                  2) == TxCode::kOk);
  auto chunk = ReadStatusChunk(c.state(), "city-fed", 0);
  REQUIRE(chunk.has_value());
  REQUIRE(chunk->count == 2);
  CHECK(chunk->fingerprint(0) == FingerprintOf(*c.Credential("city-fed/1")));
  CHECK(chunk->fingerprint(1) == FingerprintOf(*c.Credential("city-fed/2")));
  CHECK(chunk->status(1) == SlotStatus::kActive);
  auto g = IndexOf(c, "city-fed");
  const GateIndexEntry* se = EntryOf(*g, "s/city-fed/0");
  REQUIRE(se != nullptr);
  CHECK(se->height == c.height());
  CHECK(se->value_hash == crypto::Sha256Of(*c.state().GetState("s/city-fed/0")));
  // Issuing rewrote the issuer record (its next status index): listed anew.
  CHECK(EntryOf(*g, "i/city-fed")->height == c.height());

  auto set = [&](types::CredentialStatus s) {
    return c.Run(types::SetCredentialStatus{"city-fed/2", s, "test"}, {&c.fed_});
  };
  REQUIRE(set(types::CredentialStatus::kSuspended) == TxCode::kOk);
  CHECK(ReadStatusChunk(c.state(), "city-fed", 0)->status(1) == SlotStatus::kSuspended);
  CHECK(ReadStatusChunk(c.state(), "city-fed", 0)->status(0) == SlotStatus::kActive);
  REQUIRE(set(types::CredentialStatus::kActive) == TxCode::kOk);
  CHECK(ReadStatusChunk(c.state(), "city-fed", 0)->status(1) == SlotStatus::kActive);
  REQUIRE(set(types::CredentialStatus::kRevoked) == TxCode::kOk);
  CHECK(ReadStatusChunk(c.state(), "city-fed", 0)->status(1) == SlotStatus::kRevoked);
  // A refused transition changes no slot and no index entry.
  const uint64_t before = EntryOf(*IndexOf(c, "city-fed"), "s/city-fed/0")->height;
  REQUIRE(set(types::CredentialStatus::kActive) == TxCode::kIllegalTransition);
  CHECK(ReadStatusChunk(c.state(), "city-fed", 0)->status(1) == SlotStatus::kRevoked);
  CHECK(EntryOf(*IndexOf(c, "city-fed"), "s/city-fed/0")->height == before);

  // Renewal: the slot's fingerprint becomes the new record's.
  const StatusFingerprint old_fp = ReadStatusChunk(c.state(), "city-fed", 0)->fingerprint(0);
  REQUIRE(c.Run(types::RenewCredential{"city-fed/1", Digest(9), 150, 300}, {&c.fed_}) ==
          TxCode::kOk);
  const StatusFingerprint new_fp = ReadStatusChunk(c.state(), "city-fed", 0)->fingerprint(0);
  CHECK(new_fp != old_fp);
  CHECK(new_fp == FingerprintOf(*c.Credential("city-fed/1")));
}

TEST_CASE("the 1025th credential of an issuer opens its second chunk") {
  Chain c;
  std::vector<types::Tx> txs;
  for (int i = 0; i < 1025; ++i) {
    txs.push_back(c.Make(
        types::IssueCredential{"city-fed/" + std::to_string(i), "city-fed", CredentialType::kMember,
                               Level::kUnspecified, Digest(7), 100, 200},
        {&c.fed_}));
  }
  const BlockResult r = c.RunBlock(txs);
  for (const auto& o : r.outcomes) REQUIRE(o.code == TxCode::kOk);
  CHECK(ReadStatusChunk(c.state(), "city-fed", 0)->count == 1024);
  auto second = ReadStatusChunk(c.state(), "city-fed", 1);
  REQUIRE(second.has_value());
  CHECK(second->count == 1);
  CHECK(c.Credential("city-fed/1024")->status_index == 1024);
  CHECK(second->fingerprint(0) == FingerprintOf(*c.Credential("city-fed/1024")));
  // One block: each chunk and the index written once, the chunk record ~6 KB.
  CHECK(r.writes.count("s/city-fed/0") == 1);
  CHECK(r.writes.at("s/city-fed/0").size() < 1024 * 7 + 64);
  auto g = IndexOf(c, "city-fed");
  CHECK(EntryOf(*g, "s/city-fed/1") != nullptr);
}

// Admission runs beside commits. A view whose reads straddle a commit — the issuer record
// after it (next status index N+1), the status chunk before it (N slots) — must give a
// decision, never stop the node: the status list is execution's bookkeeping, and admission
// neither reads nor writes it.
TEST_CASE("admission decides on a view that straddles a commit, and never aborts") {
  Chain c;
  REQUIRE(c.Issue("city-fed/1", "city-fed", c.fed_) == TxCode::kOk);
  MapState before = c.state();
  REQUIRE(c.Issue("city-fed/2", "city-fed", c.fed_) == TxCode::kOk);

  class Straddling final : public StateView {
   public:
    Straddling(const MapState& old_state, const MapState& new_state)
        : old_(old_state), new_(new_state) {}
    std::optional<std::string> GetState(std::string_view key) const override {
      return key.starts_with("s/") ? old_.GetState(key) : new_.GetState(key);
    }
    bool HasTx(const Hash32& id) const override { return new_.HasTx(id); }
    std::optional<std::string> GetTreeNode(std::string_view key) const override {
      return new_.GetTreeNode(key);
    }

   private:
    const MapState& old_;
    const MapState& new_;
  } mixed(before, c.state());
  REQUIRE(ReadStatusChunk(mixed, "city-fed", 0)->count == 1);
  REQUIRE(ReadIssuer(mixed, "city-fed")->next_status_index == 2);

  const types::Tx tx =
      c.Make(types::IssueCredential{"city-fed/3", "city-fed", CredentialType::kMember,
                                    Level::kUnspecified, Digest(7), 100, 200},
             {&c.fed_});
  CHECK(c.exec().CheckAdmission(mixed, tx, c.height() + 1) == TxCode::kOk);
  const types::Tx suspend =
      c.Make(types::SetCredentialStatus{"city-fed/2", types::CredentialStatus::kSuspended, "test"},
             {&c.fed_});
  CHECK(c.exec().CheckAdmission(mixed, suspend, c.height() + 1) == TxCode::kOk);
  // Execution on a consistent state still keeps the list.
  REQUIRE(c.Run(tx) == TxCode::kOk);
  CHECK(ReadStatusChunk(c.state(), "city-fed", 0)->count == 3);
}
