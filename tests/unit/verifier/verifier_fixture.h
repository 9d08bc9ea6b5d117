// What the verifier's tests share: four validators with fixed keys, and certificates encoded
// the way nodes encode them.
#pragma once

#include <string>
#include <vector>

#include "crypto/ed25519.h"
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

}  // namespace laurel::verifier::test
