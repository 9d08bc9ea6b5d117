// The validator set the verifier targets check against (proof, log, receipt): four validators
// of fixed seeds on chain "laurel-local". No fuzz input carries their signatures, so no proof,
// head or receipt resting on a certificate may ever pass.
#pragma once

#include <string>

#include "crypto/ed25519.h"
#include "verifier/verifier.h"

namespace laurel::fuzz {

inline const verifier::ValidatorSet& FuzzValidatorSet() {
  static const verifier::ValidatorSet set = [] {
    verifier::ValidatorSet s;
    s.chain_id = "laurel-local";
    for (uint8_t i = 1; i <= 4; ++i) {
      const auto key = crypto::PrivateKey::FromSeed(Bytes(32, i)).value();
      s.keys.emplace_back(key.public_key().begin(), key.public_key().end());
      s.names.push_back("node" + std::to_string(i - 1));
      s.addresses.push_back("127.0.0.1:" + std::to_string(7000 + i));
    }
    return s;
  }();
  return set;
}

}  // namespace laurel::fuzz
