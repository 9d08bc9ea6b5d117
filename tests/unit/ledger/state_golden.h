// The fixed inputs and computed values of the state tree's golden vectors
// (docs/spec/state.md §5, tests/data/golden/state.json). Shared by the generator
// (state_golden_gen.cpp) and state_tree_test.cpp. Changing anything here changes the vectors.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "crypto/sha256.h"
#include "crypto/smt.h"
#include "ledger/memory_tree.h"
#include "ledger/state_tree.h"

namespace laurel::golden {

// Every version's nodes, never pruned.
using MapTree = ledger::MemoryTree;

// The writes of heights 0, 1 and 2 (state keys as the ledger names them; values arbitrary).
inline std::vector<std::map<std::string, std::string>> StateGoldenWrites() {
  return {
      {{"g", "governance v0"}, {"i/golden-fed", "issuer v0"}},
      {{"i/golden-fed", "issuer v1"},
       {"c/golden-fed/MW/2024/000001", "credential 1"},
       {"c/总工会/会员/000001", "会员卡 1"}},
      {},
  };
}
// Asked about at height 1 besides the keys written: absent.
inline std::vector<std::string> StateGoldenAbsent() { return {"c/golden-fed/MW/2024/999999", "i/"}; }

inline nlohmann::ordered_json ProofJson(const ledger::StateProof& p) {
  nlohmann::ordered_json j;
  j["key"] = HexEncode(AsBytes(p.key));
  j["key_hash"] = HexEncode(crypto::smt::KeyHash(p.key));
  if (p.value) {
    j["value"] = HexEncode(AsBytes(*p.value));
  } else {
    j["value"] = nullptr;
  }
  j["siblings"] = nlohmann::ordered_json::array();
  for (const auto& s : p.proof.siblings) j["siblings"].push_back(HexEncode(s));
  if (p.proof.leaf) {
    j["leaf"]["key_hash"] = HexEncode(p.proof.leaf->key_hash);
    j["leaf"]["value_hash"] = HexEncode(p.proof.leaf->value_hash);
  } else {
    j["leaf"] = nullptr;
  }
  return j;
}

inline nlohmann::ordered_json ComputeStateGolden() {
  nlohmann::ordered_json j;
  MapTree tree;
  const auto writes = StateGoldenWrites();
  std::map<std::string, std::string> all;
  for (uint64_t v = 0; v < writes.size(); ++v) {
    const auto u = ledger::UpdateStateTree(tree, v, writes[v]);
    tree.Apply(u);
    nlohmann::ordered_json h;
    h["height"] = v;
    h["writes"] = nlohmann::ordered_json::array();
    for (const auto& [k, val] : writes[v]) {
      h["writes"].push_back({HexEncode(AsBytes(k)), HexEncode(AsBytes(val))});
      all[k] = val;
    }
    h["root"] = HexEncode(u.root);
    j["heights"].push_back(h);
  }
  for (const auto& [k, val] : all) {
    nlohmann::ordered_json l;
    l["key"] = HexEncode(AsBytes(k));
    l["key_hash"] = HexEncode(crypto::smt::KeyHash(k));
    l["value_hash"] = HexEncode(crypto::Sha256Of(val));
    l["leaf_hash"] =
        HexEncode(crypto::smt::LeafHash(crypto::smt::KeyHash(k), crypto::Sha256Of(val)));
    j["leaves_at_height_1"].push_back(l);
  }
  std::vector<std::string> asked;
  for (const auto& [k, val] : all) asked.push_back(k);
  for (const auto& k : StateGoldenAbsent()) asked.push_back(k);
  for (const auto& k : asked) {
    auto p = ledger::ProveState(tree, 1, k);
    if (p.ok()) j["proofs_at_height_1"].push_back(ProofJson(*p));
  }
  // A proof at height 0 of a key written only at height 1: absent then.
  auto p0 = ledger::ProveState(tree, 0, "c/golden-fed/MW/2024/000001");
  if (p0.ok()) j["proofs_at_height_0"].push_back(ProofJson(*p0));
  return j;
}

}  // namespace laurel::golden
