#include "node/attestation_book.h"

#include <catch2/catch.hpp>

using namespace laurel;
using namespace laurel::node;

namespace {

// Four validators (quorum 3); this node is 0. `root` picks the state root attested.
StateAttestation At(uint64_t height, uint32_t signer, uint8_t root = 1) {
  StateAttestation a;
  a.height = height;
  a.block_id.fill(static_cast<uint8_t>(height));
  a.state_root.fill(root);
  a.tx_root.fill(7);
  a.time_ms = 1000 + height;
  a.signer = signer;
  a.signature.fill(static_cast<uint8_t>(signer + 1));
  return a;
}

struct Book {
  AttestationBook book{"laurel-test", 3};
  uint64_t local = 10;
  AttestationBook::Outputs Add(const StateAttestation& a) {
    AttestationBook::Outputs out;
    book.Add(a, local, out);
    return out;
  }
  AttestationBook::Outputs Own(const StateAttestation& a) {
    AttestationBook::Outputs out;
    book.AddOwn(a, local, out);
    return out;
  }
};

}  // namespace

TEST_CASE("2f+1 matching attestations form a certificate once our own result matches",
          "[attestation]") {
  Book b;
  CHECK(b.Add(At(10, 1)).certified.empty());
  CHECK(b.Add(At(10, 2)).certified.empty());
  auto out = b.Own(At(10, 0));
  CHECK_FALSE(out.mismatch);
  REQUIRE(out.certified.size() == 1);
  const StateCertificate& c = out.certified[0];
  CHECK(c.data.height == 10);
  CHECK(c.data.state_root == At(10, 0).state_root);
  CHECK(c.data.signer == 0);
  CHECK(c.data.signature == crypto::Signature{});
  REQUIRE(c.signatures.size() == 3);
  for (uint32_t i = 0; i < 3; ++i) {
    CHECK(c.signatures[i].first == i);
    CHECK(c.signatures[i].second == At(10, i).signature);
  }
  CHECK(b.book.certified_height() == 10);
  CHECK(b.book.heights_held() == 0);
  // Settled: a late attestation for it is not kept, and nothing is stored twice.
  out = b.Add(At(10, 3));
  CHECK(out.certified.empty());
  CHECK(b.book.heights_held() == 0);
}

TEST_CASE("a certificate formed before our own result waits for it", "[attestation]") {
  Book b;
  b.Add(At(11, 1));
  b.Add(At(11, 2));
  CHECK(b.Add(At(11, 3)).certified.empty());  // formed, but nothing to compare with yet
  CHECK(b.book.certified_height() == 0);
  b.local = 11;
  auto out = b.Own(At(11, 0));
  REQUIRE(out.certified.size() == 1);
  CHECK(out.certified[0].signatures.size() == 3);  // as formed: signers 1, 2, 3
  CHECK(out.certified[0].signatures[0].first == 1);
  CHECK(b.book.certified_height() == 11);
}

TEST_CASE("a certificate that differs from our own result reports a mismatch",
          "[attestation][byzantine]") {
  Book b;
  b.Own(At(10, 0, /*root=*/1));
  b.Add(At(10, 1, 2));
  auto out = b.Add(At(10, 2, 2));
  CHECK(out.certified.empty());
  CHECK_FALSE(out.mismatch);  // two of four: no quorum yet
  out = b.Add(At(10, 3, 2));
  REQUIRE(out.mismatch);
  CHECK(out.mismatch->find("state root mismatch at height 10") != std::string::npos);
  CHECK(out.certified.empty());
  CHECK(b.book.certified_height() == 0);
  // Halted: nothing is certified afterwards.
  b.local = 11;
  b.Add(At(11, 1));
  b.Add(At(11, 2));
  CHECK(b.Own(At(11, 0)).certified.empty());
}

TEST_CASE("another block, tx root or time is a mismatch too", "[attestation]") {
  for (int field = 0; field < 3; ++field) {
    Book b;
    StateAttestation theirs = At(10, 1);
    if (field == 0) theirs.block_id.fill(0xEE);
    if (field == 1) theirs.tx_root.fill(0xEE);
    if (field == 2) theirs.time_ms += 1;
    for (uint32_t s = 1; s <= 3; ++s) {
      theirs.signer = s;
      b.Add(theirs);
    }
    CHECK(b.Own(At(10, 0)).mismatch);
  }
}

TEST_CASE("one attestation per signer and height counts", "[attestation][byzantine]") {
  Book b;
  // Signer 1 attests root 2, then root 1: only the first counts.
  b.Add(At(10, 1, 2));
  b.Add(At(10, 1, 1));
  // The same attestation again counts once.
  b.Add(At(10, 2, 1));
  b.Add(At(10, 2, 1));
  auto out = b.Own(At(10, 0, 1));  // root 1: signers 0 and 2
  CHECK(out.certified.empty());
  CHECK_FALSE(out.mismatch);
  CHECK(b.book.certified_height() == 0);
  out = b.Add(At(10, 3, 1));  // the third distinct signer
  REQUIRE(out.certified.size() == 1);
  CHECK(out.certified[0].signatures.size() == 3);
  CHECK(b.book.certified_height() == 10);
}

TEST_CASE("attestations for heights outside the window are ignored", "[attestation][byzantine]") {
  Book b;
  b.local = 1000;
  b.Add(At(1000 - kAttestationWindow - 1, 1));      // too old
  b.Add(At(1000 + 4 * kAttestationWindow + 1, 1));  // too far ahead
  CHECK(b.book.heights_held() == 0);
  b.Add(At(1000 - kAttestationWindow, 1));
  b.Add(At(1000 + 4 * kAttestationWindow, 1));
  CHECK(b.book.heights_held() == 2);
  // As the local height moves on, old heights are dropped.
  b.local = 1001;
  b.Add(At(1001, 1));
  CHECK(b.book.heights_held() == 2);  // 1000 + 1024 and 1001
}

TEST_CASE("Wants tells the host, before any signature check, what Add would drop",
          "[attestation][byzantine]") {
  Book b;
  b.local = 1000;
  CHECK_FALSE(b.book.Wants(1000 - kAttestationWindow - 1, b.local));
  CHECK_FALSE(b.book.Wants(1000 + 4 * kAttestationWindow + 1, b.local));
  CHECK(b.book.Wants(1000, b.local));
  // A certified, settled height is not wanted again.
  b.Add(At(1000, 1));
  b.Add(At(1000, 2));
  CHECK(b.Own(At(1000, 0)).certified.size() == 1);
  CHECK_FALSE(b.book.Wants(1000, b.local));
  CHECK(b.book.Wants(1001, b.local));
}
