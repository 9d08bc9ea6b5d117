#include "verifier/verifier.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "crypto/sha256.h"
#include "ledger/state_tree.h"
#include "node/epochs.h"
#include "node/wire.h"
#include "tests/unit/ledger/state_golden.h"
#include "tests/unit/verifier/verifier_fixture.h"

namespace laurel::verifier {
namespace {

using test::Key;

struct Fixture : test::FourValidators {
  golden::MapTree tree;
  Hash32 root{};
  Fixture() {
    auto u =
        ledger::UpdateStateTree(tree, 0, {{"g", "gov"}, {"i/fed", "fed"}, {"c/fed/1", "card"}});
    tree.Apply(u);
    root = u.root;
  }
  Certificate Cert(std::vector<uint32_t> signers, uint64_t time_ms = 1000000) const {
    return CertBy(keys, set, signers, time_ms);
  }
  // A certificate of `s`'s epoch signed with `ks` (index i signs with ks[i]).
  Certificate CertBy(const std::vector<crypto::PrivateKey>& ks, const ValidatorSet& s,
                     std::vector<uint32_t> signers, uint64_t time_ms = 1000000, Hash32 next = {},
                     uint64_t height = 7) const {
    Certificate c;
    c.epoch = s.epoch;
    c.next_validators = next;
    c.height = height;
    c.block_id[0] = 1;
    c.state_root = root;
    c.time_ms = time_ms;
    for (uint32_t s : signers) {
      c.signatures.emplace_back(s, ks[s].Sign(CertificateSignBytes(set.chain_id, c)));
    }
    return c;
  }
  nlohmann::json Answer(const Certificate& c, std::vector<std::string> keys_asked) const {
    nlohmann::json p;
    p["height"] = std::to_string(c.height);
    p["time_ms"] = std::to_string(c.time_ms);
    p["state_root"] = HexEncode(c.state_root);
    p["certificate"] = HexEncode(Encode(c));
    p["records"] = nlohmann::json::array();
    for (const auto& k : keys_asked) p["records"].push_back(test::RecordJson(tree, k));
    return p;
  }
};

std::string Why(const Result<ProvenState>& r) { return r.ok() ? "" : r.status().message(); }

}  // namespace

TEST_CASE("a certificate with a quorum of valid signatures is accepted and names its signers",
          "[verifier]") {
  Fixture f;
  CHECK(f.set.Quorum() == 3);
  auto c = DecodeCertificate(Fixture::Encode(f.Cert({0, 2, 3})));
  REQUIRE(c.ok());
  auto names = CheckCertificate(*c, f.set);
  REQUIRE(names.ok());
  CHECK(*names == std::vector<std::string>{"v0", "v2", "v3"});
}

TEST_CASE(
    "a certificate short of a quorum, with a repeated, unknown or bad signer, or for "
    "another chain is refused, saying why",
    "[verifier]") {
  Fixture f;
  auto two = CheckCertificate(f.Cert({0, 1}), f.set);
  CHECK(two.status().message().find("2 valid signatures; 3 of 4") != std::string::npos);
  auto dup = f.Cert({0, 1});
  dup.signatures.push_back(dup.signatures[0]);
  CHECK(CheckCertificate(dup, f.set).status().message().find("twice") != std::string::npos);
  auto unknown = f.Cert({0, 1, 2});
  unknown.signatures[2].first = 9;
  CHECK(CheckCertificate(unknown, f.set).status().message().find("does not have") !=
        std::string::npos);
  auto bad = f.Cert({0, 1, 2});
  bad.signatures[1].second[5] ^= 1;
  CHECK(CheckCertificate(bad, f.set).status().message().find("validator 1 does not verify") !=
        std::string::npos);
  ValidatorSet other = f.set;
  other.chain_id = "laurel-other";
  CHECK_FALSE(CheckCertificate(f.Cert({0, 1, 2}), other).ok());
  auto moved = f.Cert({0, 1, 2});
  moved.height = 8;  // signatures were over height 7
  CHECK_FALSE(CheckCertificate(moved, f.set).ok());
  // Truncated and padded encodings.
  Bytes enc = Fixture::Encode(f.Cert({0, 1, 2}));
  CHECK_FALSE(DecodeCertificate(ByteView(enc).first(enc.size() - 1)).ok());
  enc.push_back(0);
  CHECK_FALSE(DecodeCertificate(enc).ok());
}

TEST_CASE("a proven answer holds, and a changed record, sibling, root, height or an old one fails",
          "[verifier]") {
  Fixture f;
  const Certificate c = f.Cert({1, 2, 3});
  const auto good = f.Answer(c, {"c/fed/1", "i/fed", "c/absent"});
  auto ok = CheckStateProof(good, f.set, c.time_ms + 1000, 60000);
  REQUIRE(ok.ok());
  CHECK(ok->height == 7);
  CHECK(ok->records.at("c/fed/1") == std::optional<std::string>("card"));
  CHECK(ok->records.at("c/absent") == std::nullopt);

  auto value = good;
  value["records"][0]["value"] = HexEncode(AsBytes(std::string("cart")));
  CHECK(Why(CheckStateProof(value, f.set, c.time_ms, 0)).find("value hash") != std::string::npos);
  auto absent = good;
  absent["records"][0].erase("value");  // claims the credential is absent
  CHECK_FALSE(CheckStateProof(absent, f.set, c.time_ms, 0).ok());
  auto sibling = good;
  std::string s = sibling["records"][1]["siblings"][0];
  s[0] = s[0] == '0' ? '1' : '0';
  sibling["records"][1]["siblings"][0] = s;
  CHECK(Why(CheckStateProof(sibling, f.set, c.time_ms, 0)).find("state root") != std::string::npos);
  auto root = good;
  root["state_root"] = HexEncode(Hash32{});
  CHECK_FALSE(CheckStateProof(root, f.set, c.time_ms, 0).ok());
  auto height = good;
  height["height"] = "6";
  CHECK_FALSE(CheckStateProof(height, f.set, c.time_ms, 0).ok());
  CHECK(Why(CheckStateProof(good, f.set, c.time_ms + 61000, 60000)).find("stale") !=
        std::string::npos);
  CHECK(Why(CheckStateProof(nlohmann::json::object(), f.set, 0, 0)).find("no proof") !=
        std::string::npos);
  auto garbage = good;
  garbage["records"][0]["siblings"][0] = "zz";
  CHECK_FALSE(CheckStateProof(garbage, f.set, c.time_ms, 0).ok());
}

TEST_CASE("the verifier's sign-bytes, certificate layout and validator-set hash are the node's",
          "[verifier]") {
  Fixture f;
  Certificate c = f.Cert({0, 1, 2});
  c.epoch = 3;
  c.tx_root[4] = 9;
  c.next_validators[31] = 7;
  node::StateAttestation a;
  a.epoch = c.epoch;
  a.height = c.height;
  a.block_id = c.block_id;
  a.state_root = c.state_root;
  a.tx_root = c.tx_root;
  a.time_ms = c.time_ms;
  a.next_validators = c.next_validators;
  CHECK(CertificateSignBytes(f.set.chain_id, c) == node::AttestationSignBytes(f.set.chain_id, a));
  CHECK(EncodeCertificate(c) == Fixture::Encode(c));
  auto back = DecodeCertificate(Fixture::Encode(c));
  REQUIRE(back.ok());
  CHECK(EncodeCertificate(*back) == Fixture::Encode(c));
  CHECK(back->epoch == 3);
  CHECK(back->next_validators == c.next_validators);
  CHECK(back->tx_root == c.tx_root);
  std::vector<types::Validator> vs;
  ValidatorSet s;
  for (size_t i = 0; i < f.keys.size(); ++i) {
    types::Validator v;
    v.public_key.assign(f.keys[i].public_key().begin(), f.keys[i].public_key().end());
    v.name = "工会验证者" + std::to_string(i);
    v.address = "10.0.0." + std::to_string(i) + ":7000";
    vs.push_back(v);
    s.keys.push_back(v.public_key);
    s.names.push_back(v.name);
    s.addresses.push_back(v.address);
  }
  CHECK(ValidatorSetHash(s) == node::ValidatorSetHash(vs));
  s.addresses[2] = "10.0.0.9:7000";
  CHECK(ValidatorSetHash(s) != node::ValidatorSetHash(vs));
}

TEST_CASE("a proof of a later epoch is accepted only through certified epoch changes",
          "[verifier]") {
  Fixture f;  // epoch 0: keys 1..4
  // Epoch 1: keys 5..8, named by epoch 0's last certificate.
  std::vector<crypto::PrivateKey> keys1 = {Key(5), Key(6), Key(7), Key(8)};
  ValidatorSet set1;
  set1.chain_id = f.set.chain_id;
  set1.epoch = 1;
  nlohmann::json validators = nlohmann::json::array();
  for (size_t i = 0; i < keys1.size(); ++i) {
    set1.keys.emplace_back(keys1[i].public_key().begin(), keys1[i].public_key().end());
    set1.names.push_back("w" + std::to_string(i));
    set1.addresses.push_back("127.0.0.1:" + std::to_string(9000 + i));
    validators.push_back({{"public_key", HexEncode(set1.keys.back())},
                          {"name", set1.names.back()},
                          {"address", set1.addresses.back()}});
  }
  const Certificate change =
      f.CertBy(f.keys, f.set, {0, 1, 2}, 900000, ValidatorSetHash(set1), /*height=*/4);
  const Certificate c = f.CertBy(keys1, set1, {0, 1, 3});
  auto answer = f.Answer(c, {"c/fed/1"});
  nlohmann::json ch = {{"epoch", "1"},
                       {"start_height", "5"},
                       {"certificate", HexEncode(Fixture::Encode(change))},
                       {"validators", validators}};
  answer["epoch_changes"] = nlohmann::json::array({ch});
  auto ok = CheckStateProof(answer, f.set, c.time_ms, 0);
  REQUIRE(ok.ok());
  CHECK(ok->epoch == 1);
  CHECK(ok->signers == std::vector<std::string>{"w0", "w1", "w3"});

  // Without the change the genesis set cannot check an epoch-1 certificate.
  auto missing = answer;
  missing.erase("epoch_changes");
  CHECK(Why(CheckStateProof(missing, f.set, c.time_ms, 0)).find("epoch change") !=
        std::string::npos);
  // A list other than the certified one (one key swapped for an attacker's).
  auto swapped = answer;
  const auto attacker = Key(66).public_key();
  swapped["epoch_changes"][0]["validators"][2]["public_key"] =
      HexEncode(Bytes(attacker.begin(), attacker.end()));
  CHECK(Why(CheckStateProof(swapped, f.set, c.time_ms, 0)).find("not the ones") !=
        std::string::npos);
  // A change certificate signed by the new keys instead of the old ones.
  auto self = answer;
  ValidatorSet as0 = f.set;
  const Certificate forged =
      f.CertBy(keys1, as0, {0, 1, 2}, 900000, ValidatorSetHash(set1), /*height=*/4);
  self["epoch_changes"][0]["certificate"] = HexEncode(Fixture::Encode(forged));
  CHECK(Why(CheckStateProof(self, f.set, c.time_ms, 0)).find("does not verify") !=
        std::string::npos);
  // An epoch-1 certificate checked directly against the genesis set.
  CHECK(CheckCertificate(c, f.set).status().message().find("epoch 1") != std::string::npos);
}

namespace {

// An epoch's set of four validators with keys tag..tag+3, and its list as a change names it.
struct EpochSet {
  std::vector<crypto::PrivateKey> keys;
  ValidatorSet set;
  nlohmann::json list = nlohmann::json::array();
  EpochSet(const std::string& chain_id, uint64_t epoch, uint8_t tag) {
    set.chain_id = chain_id;
    set.epoch = epoch;
    for (uint8_t i = 0; i < 4; ++i) {
      keys.push_back(Key(tag + i));
      const auto pk = keys.back().public_key();
      set.keys.emplace_back(pk.begin(), pk.end());
      set.names.push_back("e" + std::to_string(epoch) + "v" + std::to_string(i));
      set.addresses.push_back("127.0.0.1:" + std::to_string(9000 + 10 * epoch + i));
      list.push_back({{"public_key", HexEncode(set.keys.back())},
                      {"name", set.names.back()},
                      {"address", set.addresses.back()}});
    }
  }
};

nlohmann::json Change(uint64_t epoch, uint64_t start_height, const Certificate& c,
                      const nlohmann::json& validators) {
  return {{"epoch", std::to_string(epoch)},
          {"start_height", std::to_string(start_height)},
          {"certificate", HexEncode(Fixture::Encode(c))},
          {"validators", validators}};
}

std::string WalkWhy(const Result<ValidatorSet>& r) { return r.ok() ? "" : r.status().message(); }

}  // namespace

TEST_CASE("an epoch change must name the epoch and start height the walk reaches", "[verifier]") {
  Fixture f;  // epoch 0: keys 1..4
  const EpochSet e1(f.set.chain_id, 1, 5), e2(f.set.chain_id, 2, 9);
  // Epoch 0's last block is height 4 (epoch 1 starts at 5); epoch 1's is 6 (epoch 2 at 7).
  const Certificate last0 = f.CertBy(f.keys, f.set, {0, 1, 2}, 900000, ValidatorSetHash(e1.set), 4);
  const Certificate last1 =
      f.CertBy(e1.keys, e1.set, {0, 1, 2}, 950000, ValidatorSetHash(e2.set), 6);
  const nlohmann::json good = {Change(1, 5, last0, e1.list), Change(2, 7, last1, e2.list)};

  auto walked = WalkEpochs(f.set, 2, good);
  REQUIRE(walked.ok());
  CHECK(walked->epoch == 2);
  CHECK(walked->start_height == 7);
  CHECK(walked->names == e2.set.names);

  // An epoch skipped: the second change names epoch 3 where epoch 2 comes.
  auto skipped = good;
  skipped[1]["epoch"] = "3";
  CHECK(WalkWhy(WalkEpochs(f.set, 2, skipped)) ==
        "epoch change 2 names epoch 3 where epoch 2 follows epoch 1 (an epoch skipped)");
  // An epoch repeated: the second change names epoch 1 again.
  auto repeated = good;
  repeated[1]["epoch"] = "1";
  CHECK(WalkWhy(WalkEpochs(f.set, 2, repeated)) ==
        "epoch change 2 names epoch 1 where epoch 2 follows epoch 1 (an epoch repeated)");
  // The same change twice (the list is as long as needed, the numbers give it away).
  const nlohmann::json twice = {good[0], good[0]};
  CHECK(WalkWhy(WalkEpochs(f.set, 2, twice)).find("epoch change 2 names epoch 1") !=
        std::string::npos);
  // No epoch number, or not a number.
  auto unnamed = good;
  unnamed[0].erase("epoch");
  CHECK(WalkWhy(WalkEpochs(f.set, 2, unnamed)) ==
        "the change to epoch 1 (epoch change 1) names no epoch");
  auto garbled = good;
  garbled[0]["epoch"] = "one";
  CHECK(WalkWhy(WalkEpochs(f.set, 2, garbled)).find("names no epoch") != std::string::npos);

  // A start height that does not follow the certified last block of the epoch before.
  auto late = good;
  late[1]["start_height"] = "8";
  CHECK(WalkWhy(WalkEpochs(f.set, 2, late)) ==
        "the change to epoch 2 starts at height 8, which does not follow its certificate of "
        "epoch 1's last block (height 6)");
  auto early = good;
  early[0]["start_height"] = "4";
  CHECK(WalkWhy(WalkEpochs(f.set, 2, early)).find("the change to epoch 1 starts at height 4") !=
        std::string::npos);
  auto nostart = good;
  nostart[1].erase("start_height");
  CHECK(WalkWhy(WalkEpochs(f.set, 2, nostart)) == "the change to epoch 2 names no start height");
  // Epoch 1's "last block" before epoch 1 began (height 3, epoch 1 starting at 5): validly
  // signed by epoch 1's set, but epoch 2 would start at 4, before epoch 1 did.
  const Certificate back1 =
      f.CertBy(e1.keys, e1.set, {0, 1, 2}, 950000, ValidatorSetHash(e2.set), 3);
  const nlohmann::json backwards = {good[0], Change(2, 4, back1, e2.list)};
  CHECK(WalkWhy(WalkEpochs(f.set, 2, backwards)) ==
        "the change to epoch 2 starts at height 4, not after epoch 1's start height 5");

  // A state certificate of epoch 2 must be of a height in epoch 2 (7 or later).
  const Certificate in2 = f.CertBy(e2.keys, e2.set, {0, 1, 2}, 1000000, {}, 7);
  auto answer = f.Answer(in2, {"c/fed/1"});
  answer["epoch_changes"] = good;
  auto ok = CheckStateProof(answer, f.set, in2.time_ms, 0);
  REQUIRE(ok.ok());
  CHECK(ok->epoch == 2);
  const Certificate before2 = f.CertBy(e2.keys, e2.set, {0, 1, 2}, 1000000, {}, 6);
  auto early_answer = f.Answer(before2, {"c/fed/1"});
  early_answer["epoch_changes"] = good;
  CHECK(Why(CheckStateProof(early_answer, f.set, before2.time_ms, 0)) ==
        "the state certificate of height 6 is of epoch 2, which starts at height 7");
}

}  // namespace laurel::verifier
