#include "types/tx.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <iostream>
#include <random>

#include "crypto/sha256.h"
#include "laurel/v1/tx.pb.h"
#include "types/proto_util.h"

using namespace laurel;
using namespace laurel::types;
namespace pb = ::laurel::v1;

namespace {

Bytes Key(uint8_t fill) { return Bytes(32, fill); }

// One body per action, every field set to a non-default value.
std::vector<TxBody> BodiesForEveryAction() {
  const Bytes nonce = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  const Bytes digest(32, 0xd1);
  std::vector<Action> actions = {
      RegisterIssuer{
          "qd-jimo",
          "Jimo District Union",
          "qd",
          Key(0x11),
          {TypeGrant{CredentialType::kMember, {}},
           TypeGrant{CredentialType::kModelWorker, {Level::kDistrict, Level::kEnterprise}}},
          true},
      RotateIssuerKey{"qd-jimo", Key(0x22)},
      SetIssuerStatus{"qd-jimo", IssuerStatus::kSuspended, "audit pending"},
      IssueCredential{"qd-jimo/MW/2024/000123", "qd-jimo", CredentialType::kModelWorker,
                      Level::kDistrict, digest, 1704067200, 1861920000},
      SetCredentialStatus{"qd-jimo/MW/2024/000123", CredentialStatus::kRevoked, "left union"},
      RenewCredential{"qd-jimo/MW/2024/000123", digest, 1861920000, 1893456000},
      UpdateGovernance{{Key(0x31), Key(0x32), Key(0x33)}, 2},
      UpdateValidatorSet{{Validator{Key(0x41), "v0", "10.0.0.1:7000"},
                          Validator{Key(0x42), "v1", "10.0.0.2:7000"}}},
  };
  std::vector<TxBody> out;
  for (auto& a : actions) out.push_back(TxBody{"laurel-test", nonce, 4242, std::move(a)});
  return out;
}

template <class T>
bool SameFields(const T& a, const T& b);
template <>
bool SameFields(const RegisterIssuer& a, const RegisterIssuer& b) {
  return a.issuer_id == b.issuer_id && a.name == b.name && a.parent_id == b.parent_id &&
         a.public_key == b.public_key && a.grants == b.grants && a.can_delegate == b.can_delegate;
}
template <>
bool SameFields(const RotateIssuerKey& a, const RotateIssuerKey& b) {
  return a.issuer_id == b.issuer_id && a.new_public_key == b.new_public_key;
}
template <>
bool SameFields(const SetIssuerStatus& a, const SetIssuerStatus& b) {
  return a.issuer_id == b.issuer_id && a.status == b.status && a.reason == b.reason;
}
template <>
bool SameFields(const IssueCredential& a, const IssueCredential& b) {
  return a.credential_id == b.credential_id && a.issuer_id == b.issuer_id && a.type == b.type &&
         a.level == b.level && a.card_digest == b.card_digest && a.valid_from == b.valid_from &&
         a.valid_until == b.valid_until;
}
template <>
bool SameFields(const SetCredentialStatus& a, const SetCredentialStatus& b) {
  return a.credential_id == b.credential_id && a.status == b.status && a.reason == b.reason;
}
template <>
bool SameFields(const RenewCredential& a, const RenewCredential& b) {
  return a.credential_id == b.credential_id && a.card_digest == b.card_digest &&
         a.valid_from == b.valid_from && a.valid_until == b.valid_until;
}
template <>
bool SameFields(const UpdateGovernance& a, const UpdateGovernance& b) {
  return a.admin_keys == b.admin_keys && a.threshold == b.threshold;
}
template <>
bool SameFields(const UpdateValidatorSet& a, const UpdateValidatorSet& b) {
  return a.validators == b.validators;
}

bool SameBody(const TxBody& a, const TxBody& b) {
  if (a.chain_id != b.chain_id || a.nonce != b.nonce ||
      a.expires_at_height != b.expires_at_height || a.action.index() != b.action.index()) {
    return false;
  }
  return std::visit(
      [&](const auto& x) { return SameFields(x, std::get<std::decay_t<decltype(x)>>(b.action)); },
      a.action);
}

Bytes Cat(std::initializer_list<ByteView> parts) {
  Bytes out;
  for (auto p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// Seed for random tests: LAUREL_TEST_SEED replays a run; otherwise fresh, and printed.
uint64_t TestSeed(const char* test) {
  uint64_t seed = std::random_device{}();
  if (const char* s = std::getenv("LAUREL_TEST_SEED")) seed = std::strtoull(s, nullptr, 10);
  std::cerr << test << ": seed " << seed << " (replay with LAUREL_TEST_SEED=" << seed << ")\n";
  return seed;
}

}  // namespace

TEST_CASE("every action round-trips through EncodeTxBody and DecodeTxBody", "[tx]") {
  for (const TxBody& body : BodiesForEveryAction()) {
    INFO(ActionName(body.action));
    const Bytes bytes = EncodeTxBody(body);
    auto back = DecodeTxBody(bytes);
    REQUIRE(back.ok());
    CHECK(SameBody(*back, body));
    CHECK(ActionName(back->action) == std::string(ActionName(body.action)));
    CHECK(EncodeTxBody(*back) == bytes);
  }
}

TEST_CASE("ActionName gives the protobuf field name of each action", "[tx]") {
  const auto bodies = BodiesForEveryAction();
  const char* expected[] = {"register_issuer",   "rotate_issuer_key",     "set_issuer_status",
                            "issue_credential",  "set_credential_status", "renew_credential",
                            "update_governance", "update_validator_set"};
  REQUIRE(bodies.size() == 8);
  for (size_t i = 0; i < bodies.size(); ++i) {
    CHECK(std::string(ActionName(bodies[i].action)) == expected[i]);
    // The protobuf field carrying the action has that name.
    pb::TxBody m;
    REQUIRE(m.ParseFromString(ToString(EncodeTxBody(bodies[i]))));
    const auto* field = m.GetDescriptor()->FindFieldByNumber(10 + static_cast<int>(i));
    REQUIRE(field != nullptr);
    CHECK(field->name() == expected[i]);
    CHECK(m.GetReflection()->HasField(m, field));
  }
}

TEST_CASE("a signed tx round-trips and keeps its exact body bytes and signatures", "[tx]") {
  const auto k1 = crypto::PrivateKey::Generate();
  const auto k2 = crypto::PrivateKey::Generate();
  for (const TxBody& body : BodiesForEveryAction()) {
    Tx tx = MakeTx(body);
    CHECK(tx.body == EncodeTxBody(body));
    CHECK(tx.signatures.empty());
    SignTx(tx, k1);
    SignTx(tx, k2);
    REQUIRE(tx.signatures.size() == 2);
    const Bytes wire = EncodeTx(tx);
    auto back = DecodeTx(wire);
    REQUIRE(back.ok());
    CHECK(back->body == tx.body);
    REQUIRE(back->signatures.size() == 2);
    CHECK(back->signatures[0].public_key == Bytes(k1.public_key().begin(), k1.public_key().end()));
    CHECK(back->signatures[1].public_key == Bytes(k2.public_key().begin(), k2.public_key().end()));
    for (const auto& s : back->signatures) {
      CHECK(s.signature.size() == crypto::kSignatureSize);
      // Over the domain tag followed by the body, and nothing else.
      const Bytes msg = Cat({AsBytes(kTxSignDomain), back->body});
      CHECK(crypto::Verify(s.public_key, msg, s.signature));
      CHECK_FALSE(crypto::Verify(s.public_key, back->body, s.signature));
    }
    CHECK(TxId(*back) == crypto::Sha256Of(tx.body));
    CHECK(EncodeTx(*back) == wire);
  }
}

TEST_CASE("an unsigned tx round-trips with no signatures", "[tx]") {
  const Tx tx = MakeTx(BodiesForEveryAction()[3]);
  auto back = DecodeTx(EncodeTx(tx));
  REQUIRE(back.ok());
  CHECK(back->body == tx.body);
  CHECK(back->signatures.empty());
}

TEST_CASE("tx_id depends on the body only, not on the signatures", "[tx]") {
  Tx tx = MakeTx(BodiesForEveryAction()[0]);
  const Hash32 before = TxId(tx);
  SignTx(tx, crypto::PrivateKey::Generate());
  CHECK(TxId(tx) == before);
  TxBody other = BodiesForEveryAction()[0];
  other.nonce[0] ^= 1;
  CHECK(TxId(MakeTx(other)) != before);
}

TEST_CASE("every proper prefix of a tx body is rejected", "[tx][badinput]") {
  for (const TxBody& body : BodiesForEveryAction()) {
    const Bytes bytes = EncodeTxBody(body);
    for (size_t n = 0; n < bytes.size(); ++n) {
      INFO(ActionName(body.action) << " prefix of " << n << " of " << bytes.size() << " bytes");
      CHECK_FALSE(DecodeTxBody(ByteView(bytes.data(), n)).ok());
    }
  }
}

TEST_CASE("a truncated tx either fails or is the same body with fewer signatures",
          "[tx][badinput]") {
  // The envelope is not signed: cutting it at a signature boundary leaves a valid Tx with
  // fewer signatures (the ledger then refuses it for missing signatures). Anything else fails.
  Tx tx = MakeTx(BodiesForEveryAction()[6]);
  SignTx(tx, crypto::PrivateKey::Generate());
  SignTx(tx, crypto::PrivateKey::Generate());
  const Bytes wire = EncodeTx(tx);
  size_t accepted = 0;
  for (size_t n = 0; n < wire.size(); ++n) {
    INFO("prefix of " << n << " of " << wire.size() << " bytes");
    auto r = DecodeTx(ByteView(wire.data(), n));
    if (!r.ok()) continue;
    ++accepted;
    if (n == 0) {
      CHECK(r->body.empty());
      continue;
    }
    CHECK(r->body == tx.body);
    REQUIRE(r->signatures.size() < 2);
    for (size_t i = 0; i < r->signatures.size(); ++i) {
      CHECK(r->signatures[i].signature == tx.signatures[i].signature);
    }
  }
  // The empty string, body only, body + one signature.
  CHECK(accepted == 3);
}

TEST_CASE("random bytes never decode into a body that re-encodes differently", "[tx][badinput]") {
  std::mt19937_64 rng(TestSeed("tx random bytes"));
  std::uniform_int_distribution<size_t> len(0, 300);
  std::uniform_int_distribution<int> byte(0, 255);
  size_t bodies_accepted = 0;
  for (int i = 0; i < 5000; ++i) {
    Bytes b(len(rng));
    for (auto& x : b) x = static_cast<uint8_t>(byte(rng));
    auto body = DecodeTxBody(b);
    if (body.ok()) {
      ++bodies_accepted;
      CHECK(EncodeTxBody(*body) == b);
    }
    auto tx = DecodeTx(b);
    if (tx.ok()) CHECK(tx->signatures.size() <= kMaxSignatures);
  }
  // Random bytes are almost never a canonical body with an action.
  CHECK(bodies_accepted < 50);
}

TEST_CASE("mutated bodies are rejected or are canonical encodings of another body",
          "[tx][badinput]") {
  std::mt19937_64 rng(TestSeed("tx mutations"));
  const auto bodies = BodiesForEveryAction();
  size_t rejected = 0;
  for (int i = 0; i < 8000; ++i) {
    Bytes b = EncodeTxBody(bodies[static_cast<size_t>(i) % bodies.size()]);
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      const size_t pos = rng() % b.size();
      switch (rng() % 3) {
        case 0:
          b[pos] = static_cast<uint8_t>(rng());
          break;
        case 1:
          b.erase(b.begin() + static_cast<std::ptrdiff_t>(pos));
          break;
        default:
          b.insert(b.begin() + static_cast<std::ptrdiff_t>(pos), static_cast<uint8_t>(rng()));
      }
      if (b.empty()) b.push_back(0);
    }
    auto r = DecodeTxBody(b);
    if (!r.ok()) {
      ++rejected;
      CHECK(r.status().code() == StatusCode::kInvalidArgument);
    } else {
      CHECK(EncodeTxBody(*r) == b);
    }
  }
  CHECK(rejected > 1000);
}

TEST_CASE("a body with an unknown field appended is rejected as non-canonical", "[tx][badinput]") {
  for (const TxBody& body : BodiesForEveryAction()) {
    // Field 99, varint 1: tag = (99 << 3) | 0 = 792 = 0x98 0x06.
    const Bytes bytes = Cat({EncodeTxBody(body), Bytes{0x98, 0x06, 0x01}});
    auto r = DecodeTxBody(bytes);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("canonical") != std::string::npos);
  }
  // An unknown field inside the action message too.
  pb::TxBody m;
  REQUIRE(m.ParseFromString(ToString(EncodeTxBody(BodiesForEveryAction()[1]))));
  std::string inner = m.rotate_issuer_key().SerializeAsString() + std::string("\x98\x06\x01", 3);
  std::string raw;
  m.clear_rotate_issuer_key();
  raw = ToString(SerializeDeterministic(m));
  raw += '\x5a';  // field 11 (rotate_issuer_key), length-delimited
  raw += static_cast<char>(inner.size());
  raw += inner;
  CHECK_FALSE(DecodeTxBody(AsBytes(raw)).ok());
}

TEST_CASE("a body with reordered, repeated or padded fields is rejected", "[tx][badinput]") {
  const TxBody body = BodiesForEveryAction()[3];
  const Bytes canonical = EncodeTxBody(body);
  // The encoding starts with field 1 (chain_id) then field 2 (nonce).
  REQUIRE(canonical[0] == 0x0a);
  const size_t f1 = 2 + canonical[1];
  REQUIRE(canonical[f1] == 0x12);
  const size_t f2 = f1 + 2 + canonical[f1 + 1];
  const ByteView all(canonical);
  const Bytes swapped = Cat({all.subspan(f1, f2 - f1), all.subspan(0, f1), all.subspan(f2)});
  REQUIRE(swapped.size() == canonical.size());
  {
    // Protobuf itself accepts the reordering; only the canonical check refuses it.
    pb::TxBody m;
    REQUIRE(m.ParseFromArray(swapped.data(), static_cast<int>(swapped.size())));
    auto r = DecodeTxBody(swapped);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("canonical") != std::string::npos);
  }
  // chain_id twice (the last one would win in plain protobuf).
  CHECK_FALSE(DecodeTxBody(Cat({all.subspan(0, f1), all})).ok());
  // expires_at_height (field 3) written as a non-minimal varint: 4242 = 0x92 0x21 -> 0x92 0xa1
  // 0x00.
  pb::TxBody m;
  REQUIRE(m.ParseFromArray(canonical.data(), static_cast<int>(canonical.size())));
  REQUIRE(m.expires_at_height() == 4242);
  const Bytes padded_varint = [&] {
    Bytes b = canonical;
    for (size_t i = f2; i + 2 < b.size(); ++i) {
      if (b[i] == 0x18 && b[i + 1] == 0x92 && b[i + 2] == 0x21) {
        b[i + 2] = 0xa1;
        b.insert(b.begin() + static_cast<std::ptrdiff_t>(i + 3), 0x00);
        return b;
      }
    }
    FAIL("expires_at_height not found in the encoding");
    return b;
  }();
  CHECK_FALSE(DecodeTxBody(padded_varint).ok());
  // A default value written explicitly (expires_at_height = 0 as 0x18 0x00).
  TxBody zero = body;
  zero.expires_at_height = 0;
  const Bytes z = EncodeTxBody(zero);
  REQUIRE(DecodeTxBody(z).ok());
  const Bytes explicit_zero =
      Cat({ByteView(z).subspan(0, f2), Bytes{0x18, 0x00}, ByteView(z).subspan(f2)});
  CHECK_FALSE(DecodeTxBody(explicit_zero).ok());
}

TEST_CASE("a body without an action is rejected", "[tx][badinput]") {
  pb::TxBody m;
  m.set_chain_id("laurel-test");
  m.set_nonce("0123456789abcdef");
  m.set_expires_at_height(10);
  auto r = DecodeTxBody(SerializeDeterministic(m));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("no action") != std::string::npos);
  CHECK_FALSE(DecodeTxBody(Bytes{}).ok());
}

TEST_CASE("unknown enum values in a body are rejected", "[tx][badinput]") {
  auto check = [](const pb::TxBody& m, const char* what) {
    INFO(what);
    auto r = DecodeTxBody(SerializeDeterministic(m));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    CHECK(r.status().message().find("unknown") != std::string::npos);
  };
  pb::TxBody base;
  base.set_chain_id("laurel-test");
  base.set_nonce("0123456789abcdef");
  {
    pb::TxBody m = base;
    auto* a = m.mutable_issue_credential();
    a->set_credential_id("x/1");
    a->set_type(static_cast<pb::CredentialType>(3));
    check(m, "credential type 3");
    a->set_type(pb::MODEL_WORKER);
    a->set_level(static_cast<pb::Level>(6));
    check(m, "level 6");
    a->set_level(static_cast<pb::Level>(-1));
    check(m, "level -1");
  }
  {
    pb::TxBody m = base;
    m.mutable_set_credential_status()->set_status(static_cast<pb::CredentialStatus>(4));
    check(m, "credential status 4");
  }
  {
    pb::TxBody m = base;
    m.mutable_set_issuer_status()->set_status(static_cast<pb::IssuerStatus>(9));
    check(m, "issuer status 9");
  }
  {
    pb::TxBody m = base;
    auto* g = m.mutable_register_issuer()->add_grants();
    g->set_type(pb::MODEL_WORKER);
    g->add_levels(static_cast<pb::Level>(42));
    check(m, "grant level 42");
    g->clear_levels();
    g->set_type(static_cast<pb::CredentialType>(100));
    check(m, "grant type 100");
  }
}

TEST_CASE("a tx exactly at the size limit decodes and one byte more does not", "[tx][badinput]") {
  TxBody body = BodiesForEveryAction()[2];
  auto& a = std::get<SetIssuerStatus>(body.action);
  // Grow the reason until the envelope is exactly kMaxTxBytes.
  a.reason.assign(kMaxTxBytes - 200, 'r');
  Tx tx = MakeTx(body);
  while (EncodeTx(tx).size() < kMaxTxBytes) {
    a.reason.push_back('r');
    tx = MakeTx(body);
  }
  if (EncodeTx(tx).size() > kMaxTxBytes) {
    // A varint length grew by a byte: shrink by one.
    a.reason.pop_back();
    tx = MakeTx(body);
  }
  const Bytes wire = EncodeTx(tx);
  REQUIRE(wire.size() == kMaxTxBytes);
  CHECK(DecodeTx(wire).ok());
  CHECK(DecodeTxBody(tx.body).ok());
  Bytes over = wire;
  over.push_back(0);
  auto r = DecodeTx(over);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("limit") != std::string::npos);
  // A body over the limit is refused before parsing.
  a.reason.assign(kMaxTxBytes, 'r');
  CHECK_FALSE(DecodeTxBody(EncodeTxBody(body)).ok());
}

TEST_CASE("a tx with more than 32 signatures is rejected", "[tx][badinput]") {
  Tx tx = MakeTx(BodiesForEveryAction()[1]);
  const auto key = crypto::PrivateKey::Generate();
  for (size_t i = 0; i < kMaxSignatures; ++i) SignTx(tx, key);
  CHECK(DecodeTx(EncodeTx(tx)).ok());
  SignTx(tx, key);
  auto r = DecodeTx(EncodeTx(tx));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("signatures") != std::string::npos);
}

TEST_CASE("a signature of the wrong size is carried as received and never verifies",
          "[tx][badinput]") {
  Tx tx = MakeTx(BodiesForEveryAction()[0]);
  SignTx(tx, crypto::PrivateKey::Generate());
  const Bytes msg = Cat({AsBytes(kTxSignDomain), tx.body});
  REQUIRE(crypto::Verify(tx.signatures[0].public_key, msg, tx.signatures[0].signature));
  for (size_t size : {size_t{0}, size_t{63}, size_t{65}}) {
    Tx bad = tx;
    bad.signatures[0].signature.resize(size, 0);
    auto back = DecodeTx(EncodeTx(bad));
    REQUIRE(back.ok());
    CHECK(back->signatures[0].signature.size() == size);
    CHECK_FALSE(crypto::Verify(back->signatures[0].public_key, msg, back->signatures[0].signature));
  }
  // A 31-byte public key never verifies either.
  Tx bad = tx;
  bad.signatures[0].public_key.pop_back();
  CHECK_FALSE(crypto::Verify(bad.signatures[0].public_key, msg, bad.signatures[0].signature));
}
