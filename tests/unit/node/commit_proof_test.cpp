// State certificates as a hostile peer could send them with synced blocks (and as `laurel
// audit` reads them from a node): only a quorum of genuine signatures of the epoch's set passes.
#include "node/commit_proof.h"

#include <catch2/catch.hpp>

#include "crypto/ed25519.h"

using namespace laurel;
using namespace laurel::node;

namespace {

constexpr std::string_view kChain = "laurel-test";

struct Fixture {
  std::vector<crypto::PrivateKey> keys;
  std::vector<crypto::PublicKey> pubs;
  consensus::DirectSignatureChecker checker;
  std::unique_ptr<consensus::ValidatorSet> set;

  Fixture() {
    for (uint8_t i = 0; i < 4; ++i) {
      Bytes seed(crypto::kSeedSize, static_cast<uint8_t>(0x40 + i));
      auto k = crypto::PrivateKey::FromSeed(seed);
      REQUIRE(k.ok());
      keys.push_back(*k);
      pubs.push_back(k->public_key());
    }
    set = std::make_unique<consensus::ValidatorSet>(3, pubs, consensus::BlockId{}, &checker);
  }

  StateCertificate Certificate(std::vector<uint32_t> signers) const {
    StateCertificate c;
    c.data.epoch = 3;
    c.data.height = 42;
    c.data.block_id.fill(1);
    c.data.state_root.fill(2);
    c.data.tx_root.fill(3);
    c.data.time_ms = 1700000000000;
    const Bytes msg = AttestationSignBytes(kChain, c.data);
    for (uint32_t s : signers) c.signatures.emplace_back(s, keys.at(s).Sign(msg));
    return c;
  }
};

}  // namespace

TEST_CASE("a state certificate passes only with a quorum of genuine, ordered signatures",
          "[commit_proof][byzantine]") {
  Fixture fx;
  CHECK(VerifyStateCertificate(*fx.set, kChain, fx.Certificate({0, 1, 2})).ok());
  CHECK(VerifyStateCertificate(*fx.set, kChain, fx.Certificate({0, 1, 2, 3})).ok());

  SECTION("below the quorum") {
    const Status st = VerifyStateCertificate(*fx.set, kChain, fx.Certificate({0, 2}));
    CHECK(st.code() == StatusCode::kInvalidArgument);
    CHECK(st.message().find("below the quorum of 3") != std::string::npos);
  }
  SECTION("one signer counted twice") {
    auto c = fx.Certificate({0, 1, 1});
    CHECK(VerifyStateCertificate(*fx.set, kChain, c).message().find("strictly increasing") !=
          std::string::npos);
  }
  SECTION("a signer outside the set") {
    auto c = fx.Certificate({0, 1, 2});
    c.signatures[2].first = 9;
    CHECK(VerifyStateCertificate(*fx.set, kChain, c).message().find("not a validator") !=
          std::string::npos);
  }
  SECTION("another state root under genuine signatures (a forged certificate)") {
    auto c = fx.Certificate({0, 1, 2});
    c.data.state_root.fill(9);
    CHECK(VerifyStateCertificate(*fx.set, kChain, c).message().find("bad signature") !=
          std::string::npos);
  }
  SECTION("signatures of another chain") {
    auto c = fx.Certificate({0, 1, 2});
    CHECK_FALSE(VerifyStateCertificate(*fx.set, "laurel-other", c).ok());
  }
  SECTION("signatures of another epoch's data") {
    auto c = fx.Certificate({0, 1, 2});
    c.data.epoch = 4;
    CHECK_FALSE(VerifyStateCertificate(*fx.set, kChain, c).ok());
  }
}
