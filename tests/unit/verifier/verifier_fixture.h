// What the verifier's tests share: four validators with fixed keys, and certificates encoded
// the way nodes encode them.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/check.h"
#include "crypto/ed25519.h"
#include "ledger/state_tree.h"
#include "node/wire.h"
#include "verifier/verifier.h"

namespace laurel::verifier::test {

// A key that is the same in every run, by its tag.
inline crypto::PrivateKey Key(uint8_t tag) {
  return crypto::PrivateKey::FromSeed(Bytes(32, tag)).value();
}

// The validators v0..v3 of chain "laurel-test", epoch 0, with keys Key(1)..Key(4).
struct FourValidators {
  std::vector<crypto::PrivateKey> keys = {Key(1), Key(2), Key(3), Key(4)};
  ValidatorSet set;

  FourValidators() {
    set.chain_id = "laurel-test";
    for (size_t i = 0; i < keys.size(); ++i) {
      set.keys.emplace_back(keys[i].public_key().begin(), keys[i].public_key().end());
      set.names.push_back("v" + std::to_string(i));
    }
  }

  // The node's own encoding (node/wire.h): the verifier must read what nodes serve.
  static Bytes Encode(const Certificate& c) {
    node::StateCertificate n;
    n.data.epoch = c.epoch;
    n.data.height = c.height;
    n.data.block_id = c.block_id;
    n.data.state_root = c.state_root;
    n.data.tx_root = c.tx_root;
    n.data.time_ms = c.time_ms;
    n.data.next_validators = c.next_validators;
    n.signatures = c.signatures;
    return node::EncodeStateCertificate(n);
  }
};

// One record of a StateProofView in its JSON form, as a node serves it: `key`'s value (or its
// absence) with its path in version 0 of `tree`.
inline nlohmann::json RecordJson(const ledger::TreeReader& tree, const std::string& key) {
  auto sp = ledger::ProveState(tree, 0, key);
  LAUREL_CHECK(sp.ok(), "no proof of a test record");
  nlohmann::json r;
  r["key"] = key;
  if (sp->value) r["value"] = HexEncode(AsBytes(*sp->value));
  r["siblings"] = nlohmann::json::array();
  for (const auto& s : sp->proof.siblings) r["siblings"].push_back(HexEncode(s));
  if (sp->proof.leaf) {
    r["leaf_key_hash"] = HexEncode(sp->proof.leaf->key_hash);
    r["leaf_value_hash"] = HexEncode(sp->proof.leaf->value_hash);
  }
  return r;
}

}  // namespace laurel::verifier::test
