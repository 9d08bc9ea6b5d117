#include <catch2/catch.hpp>
#include <random>

#include "crypto/sha256.h"
#include "crypto/smt.h"
#include "ledger/state_tree.h"
#include "tests/support/vectors.h"
#include "tests/unit/ledger/state_golden.h"

namespace laurel::ledger {
namespace {

namespace smt = crypto::smt;
using golden::MapTree;

// The root of the set by the definition in docs/spec/state.md §2, written independently of
// the versioned node store: empty -> zeros, one key -> its leaf, else a node over the halves.
Hash32 RootBySpec(std::vector<std::pair<Hash32, Hash32>> kv, size_t depth = 0) {
  if (kv.empty()) return Hash32{};
  if (kv.size() == 1) return smt::LeafHash(kv[0].first, kv[0].second);
  std::vector<std::pair<Hash32, Hash32>> l, r;
  for (auto& e : kv) (smt::Bit(e.first, depth) ? r : l).push_back(e);
  return smt::NodeHash(RootBySpec(l, depth + 1), RootBySpec(r, depth + 1));
}
Hash32 RootBySpec(const std::map<std::string, std::string>& state) {
  std::vector<std::pair<Hash32, Hash32>> kv;
  for (const auto& [k, v] : state) kv.emplace_back(smt::KeyHash(k), crypto::Sha256Of(v));
  return RootBySpec(kv);
}

Hash32 H(const nlohmann::json& v) { return *HexDecode32(v.get<std::string>()); }
std::string S(const nlohmann::json& v) { return ToString(*HexDecode(v.get<std::string>())); }

smt::Proof ProofFrom(const nlohmann::json& j) {
  smt::Proof p;
  for (const auto& s : j["siblings"]) p.siblings.push_back(H(s));
  if (!j["leaf"].is_null()) p.leaf = smt::ProofLeaf{H(j["leaf"]["key_hash"]), H(j["leaf"]["value_hash"])};
  return p;
}

std::optional<Hash32> ValueHash(const std::optional<std::string>& v) {
  if (!v) return std::nullopt;
  return crypto::Sha256Of(*v);
}

bool Verifies(const Hash32& root, std::string_view key, const std::optional<std::string>& value,
              const smt::Proof& p) {
  return smt::VerifyProof(root, smt::KeyHash(key), ValueHash(value), p);
}

}  // namespace

TEST_CASE("the state tree golden vectors match the code and the file", "[state][golden]") {
  const auto expected = nlohmann::ordered_json::parse(
      test::ReadFileOrThrow(test::TestDataDir() + "/golden/state.json"));
  const auto computed = golden::ComputeStateGolden();
  for (const auto& [section, value] : expected.items()) {
    INFO(section);
    REQUIRE(computed.contains(section));
    CHECK(computed[section] == value);
  }
  CHECK(computed == expected);
}

TEST_CASE("the golden roots are the roots the spec defines over the whole state",
          "[state][golden]") {
  const auto j = nlohmann::json::parse(
      test::ReadFileOrThrow(test::TestDataDir() + "/golden/state.json"));
  std::map<std::string, std::string> state;
  REQUIRE(j["heights"].size() == 3);
  for (const auto& h : j["heights"]) {
    for (const auto& w : h["writes"]) state[S(w[0])] = S(w[1]);
    CHECK(RootBySpec(state) == H(h["root"]));
  }
  // Height 2 wrote nothing: its root is height 1's.
  CHECK(j["heights"][2]["root"] == j["heights"][1]["root"]);
}

TEST_CASE("every golden proof verifies against its root, and each tampering fails",
          "[state][golden]") {
  const auto j = nlohmann::json::parse(
      test::ReadFileOrThrow(test::TestDataDir() + "/golden/state.json"));
  const Hash32 root1 = H(j["heights"][1]["root"]);
  const Hash32 root0 = H(j["heights"][0]["root"]);
  REQUIRE(j["proofs_at_height_1"].size() == 6);
  size_t members = 0;
  for (const auto& pj : j["proofs_at_height_1"]) {
    const std::string key = S(pj["key"]);
    INFO(key);
    const std::optional<std::string> value =
        pj["value"].is_null() ? std::nullopt : std::optional<std::string>(S(pj["value"]));
    members += value.has_value();
    const smt::Proof p = ProofFrom(pj);
    std::string why;
    CHECK(smt::VerifyProof(root1, smt::KeyHash(key), ValueHash(value), p, &why));
    CHECK(why.empty());
    // Wrong root (height 0's).
    CHECK_FALSE(Verifies(root0, key, value, p));
    // Wrong key (for an absence proof another key may well share the empty spot, so only
    // membership is asked).
    if (value) CHECK_FALSE(Verifies(root1, key + "x", value, p));
    // Claiming the opposite.
    CHECK_FALSE(Verifies(root1, key, value ? std::nullopt : std::optional<std::string>("x"), p));
    if (value) CHECK_FALSE(Verifies(root1, key, *value + " ", p));
    // Every flipped bit of every sibling.
    for (size_t i = 0; i < p.siblings.size(); ++i) {
      for (size_t bit = 0; bit < 256; bit += 37) {
        smt::Proof t = p;
        t.siblings[i][bit / 8] ^= static_cast<uint8_t>(1 << (bit % 8));
        CHECK_FALSE(Verifies(root1, key, value, t));
      }
    }
    // A sibling too few, one too many.
    if (!p.siblings.empty()) {
      smt::Proof t = p;
      t.siblings.pop_back();
      CHECK_FALSE(Verifies(root1, key, value, t));
    }
    smt::Proof longer = p;
    longer.siblings.push_back(Hash32{});
    CHECK_FALSE(Verifies(root1, key, value, longer));
    // The leaf dropped or tampered.
    if (p.leaf) {
      smt::Proof t = p;
      t.leaf.reset();
      CHECK_FALSE(Verifies(root1, key, value, t));
      t = p;
      t.leaf->value_hash[0] ^= 1;
      CHECK_FALSE(Verifies(root1, key, value, t));
    }
  }
  CHECK(members == 4);
  // At height 0 the credential was not there yet; the same claim fails against height 1.
  const auto& pj0 = j["proofs_at_height_0"][0];
  CHECK(pj0["value"].is_null());
  CHECK(Verifies(root0, S(pj0["key"]), std::nullopt, ProofFrom(pj0)));
  CHECK_FALSE(Verifies(root1, S(pj0["key"]), std::nullopt, ProofFrom(pj0)));
}

TEST_CASE("a non-membership proof ending at a leaf off the key's path is refused", "[state]") {
  MapTree tree;
  tree.Apply(UpdateStateTree(tree, 0, {{"a", "1"}, {"b", "2"}, {"c", "3"}}));
  auto p = ProveState(tree, 0, "zzz");
  REQUIRE(p.ok());
  // Swap in another leaf from the tree whose key is not on zzz's path.
  for (const char* other : {"a", "b", "c"}) {
    auto q = ProveState(tree, 0, other);
    REQUIRE(q.ok());
    smt::Proof forged = p->proof;
    forged.leaf = q->proof.leaf;
    std::string why;
    if (forged.leaf && forged.leaf != p->proof.leaf) {
      CHECK_FALSE(smt::VerifyProof(p->root, smt::KeyHash("zzz"), std::nullopt, forged, &why));
      CHECK_FALSE(why.empty());
    }
  }
}

TEST_CASE("random states: the stored tree's root is the spec's, and every proof verifies at "
          "every kept height", "[state][property]") {
  const uint64_t seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  MapTree tree;
  std::map<std::string, std::string> state;
  std::vector<std::map<std::string, std::string>> states;
  std::vector<Hash32> roots;
  for (uint64_t v = 0; v < 40; ++v) {
    std::map<std::string, std::string> writes;
    const size_t n = rng() % 30;
    for (size_t i = 0; i < n; ++i) {
      // Few enough keys that some are overwritten.
      writes["c/" + std::to_string(rng() % 400)] = std::to_string(rng());
    }
    const auto u = UpdateStateTree(tree, v, writes);
    tree.Apply(u);
    for (const auto& [k, val] : writes) state[k] = val;
    REQUIRE(u.root == RootBySpec(state));
    states.push_back(state);
    roots.push_back(u.root);
  }
  for (int i = 0; i < 300; ++i) {
    const uint64_t v = rng() % states.size();
    const std::string key = "c/" + std::to_string(rng() % 450);
    auto p = ProveState(tree, v, key);
    REQUIRE(p.ok());
    CHECK(p->root == roots[v]);
    auto it = states[v].find(key);
    const std::optional<std::string> expect =
        it == states[v].end() ? std::nullopt : std::optional<std::string>(it->second);
    CHECK(p->value == expect);
    CHECK(Verifies(roots[v], key, expect, p->proof));
    // Any flipped bit anywhere in the proof fails.
    if (!p->proof.siblings.empty()) {
      smt::Proof t = p->proof;
      const size_t bit = rng() % (256 * t.siblings.size());
      t.siblings[bit / 256][(bit % 256) / 8] ^= static_cast<uint8_t>(1 << (bit % 8));
      CHECK_FALSE(Verifies(roots[v], key, expect, t));
    }
    if (p->proof.leaf) {
      smt::Proof t = p->proof;
      t.leaf->key_hash[rng() % 32] ^= static_cast<uint8_t>(1 << (rng() % 8));
      CHECK_FALSE(Verifies(roots[v], key, expect, t));
    }
  }
}

TEST_CASE("the root depends on the final state only, not on how writes were grouped",
          "[state]") {
  MapTree one, many;
  std::map<std::string, std::string> all;
  for (int i = 0; i < 200; ++i) all["i/" + std::to_string(i)] = "v" + std::to_string(i * 7);
  const Hash32 r1 = UpdateStateTree(one, 0, all).root;
  uint64_t v = 0;
  Hash32 r2{};
  for (auto it = all.rbegin(); it != all.rend(); ++it, ++v) {
    // Each key first with a wrong value, then corrected in the next version.
    auto u = UpdateStateTree(many, v, {{it->first, "draft"}});
    many.Apply(u);
  }
  for (const auto& [k, val] : all) {
    auto u = UpdateStateTree(many, v++, {{k, val}});
    many.Apply(u);
    r2 = u.root;
  }
  CHECK(r1 == r2);
  CHECK(r1 == RootBySpec(all));
}

TEST_CASE("deleting the stale nodes keeps every later height provable and the earlier ones not",
          "[state][prune]") {
  MapTree tree;
  std::vector<TreeUpdate> updates;
  for (uint64_t v = 0; v < 10; ++v) {
    std::map<std::string, std::string> w;
    for (int i = 0; i < 5; ++i) w["k" + std::to_string((v * 3 + i) % 17)] = std::to_string(v);
    updates.push_back(UpdateStateTree(tree, v, w));
    tree.Apply(updates.back());
  }
  // Keep heights >= 6: delete nodes replaced at heights <= 6.
  for (uint64_t v = 0; v <= 6; ++v) {
    for (const auto& k : updates[v].stale_nodes) tree.Erase(k);
  }
  for (uint64_t v = 6; v < 10; ++v) {
    for (int i = 0; i < 17; ++i) {
      auto p = ProveState(tree, v, "k" + std::to_string(i));
      REQUIRE(p.ok());
      CHECK(p->root == updates[v].root);
      CHECK(Verifies(p->root, "k" + std::to_string(i), p->value, p->proof));
    }
  }
  for (uint64_t v = 0; v < 6; ++v) {
    auto p = ProveState(tree, v, "k1");
    CHECK(p.status().code() == StatusCode::kNotFound);
  }
}

TEST_CASE("a proof for a height never written is NOT_FOUND", "[state]") {
  MapTree tree;
  tree.Apply(UpdateStateTree(tree, 0, {{"g", "x"}}));
  CHECK(ProveState(tree, 1, "g").status().code() == StatusCode::kNotFound);
  auto p = ProveState(tree, 0, "g");
  REQUIRE(p.ok());
  // A one-key tree: the root is the leaf, the path has no siblings.
  CHECK(p->proof.siblings.empty());
  CHECK(p->root == smt::LeafHash(smt::KeyHash("g"), crypto::Sha256Of(std::string("x"))));
}

}  // namespace laurel::ledger
