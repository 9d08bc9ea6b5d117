#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "crypto/sha256.h"
#include "ledger/state_tree.h"
#include "tests/unit/ledger/state_golden.h"
#include "verifier/verifier.h"

namespace laurel::verifier {
namespace {

crypto::PrivateKey Key(uint8_t tag) { return crypto::PrivateKey::FromSeed(Bytes(32, tag)).value(); }

struct Fixture {
  std::vector<crypto::PrivateKey> keys = {Key(1), Key(2), Key(3), Key(4)};
  ValidatorSet set;
  golden::MapTree tree;
  Hash32 root{};
  Fixture() {
    set.chain_id = "laurel-test";
    for (size_t i = 0; i < keys.size(); ++i) {
      set.keys.emplace_back(keys[i].public_key().begin(), keys[i].public_key().end());
      set.names.push_back("v" + std::to_string(i));
    }
    auto u = ledger::UpdateStateTree(tree, 0, {{"g", "gov"}, {"i/fed", "fed"}, {"c/fed/1", "card"}});
    tree.Apply(u);
    root = u.root;
  }
  Certificate Cert(std::vector<uint32_t> signers, uint64_t time_ms = 1000000) const {
    Certificate c;
    c.height = 7;
    c.block_id[0] = 1;
    c.state_root = root;
    c.time_ms = time_ms;
    for (uint32_t s : signers) {
      c.signatures.emplace_back(s, keys[s].Sign(CertificateSignBytes(set.chain_id, c)));
    }
    return c;
  }
  static Bytes Encode(const Certificate& c) {
    Bytes out;
    auto u64 = [&](uint64_t v) {
      for (int i = 7; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
    };
    auto u32 = [&](uint32_t v) {
      for (int i = 3; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
    };
    u64(c.height);
    out.insert(out.end(), c.block_id.begin(), c.block_id.end());
    out.insert(out.end(), c.state_root.begin(), c.state_root.end());
    out.insert(out.end(), c.tx_root.begin(), c.tx_root.end());
    u64(c.time_ms);
    u32(static_cast<uint32_t>(c.signatures.size()));
    for (const auto& [s, sig] : c.signatures) {
      u32(s);
      out.insert(out.end(), sig.begin(), sig.end());
    }
    return out;
  }
  nlohmann::json Answer(const Certificate& c, std::vector<std::string> keys_asked) const {
    nlohmann::json p;
    p["height"] = std::to_string(c.height);
    p["time_ms"] = std::to_string(c.time_ms);
    p["state_root"] = HexEncode(c.state_root);
    p["certificate"] = HexEncode(Encode(c));
    p["records"] = nlohmann::json::array();
    for (const auto& k : keys_asked) {
      auto sp = ledger::ProveState(tree, 0, k);
      REQUIRE(sp.ok());
      nlohmann::json r;
      r["key"] = k;
      if (sp->value) r["value"] = HexEncode(AsBytes(*sp->value));
      r["siblings"] = nlohmann::json::array();
      for (const auto& s : sp->proof.siblings) r["siblings"].push_back(HexEncode(s));
      if (sp->proof.leaf) {
        r["leaf_key_hash"] = HexEncode(sp->proof.leaf->key_hash);
        r["leaf_value_hash"] = HexEncode(sp->proof.leaf->value_hash);
      }
      p["records"].push_back(r);
    }
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

TEST_CASE("a certificate short of a quorum, with a repeated, unknown or bad signer, or for "
          "another chain is refused, saying why", "[verifier]") {
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

}  // namespace laurel::verifier
