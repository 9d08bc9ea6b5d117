// Who checks a peer's batch on receipt, and what the check (which an acknowledgement attests)
// refuses (node/batch_check.h, docs/spec/batches.md §2.1).
#include "node/batch_check.h"

#include <catch2/catch.hpp>
#include <set>

using namespace laurel;
using namespace laurel::node;

namespace {

crypto::PrivateKey Key(uint8_t tag) {
  return crypto::PrivateKey::FromSeed(Bytes(32, static_cast<uint8_t>(tag + 1))).value();
}

types::Tx SignedTx(uint64_t serial, uint8_t key = 1) {
  types::TxBody body;
  body.chain_id = "batch-check 工会";
  body.nonce = Bytes(16, 0);
  for (int k = 0; k < 8; ++k) body.nonce[k] = static_cast<uint8_t>(serial >> (8 * k));
  body.expires_at_height = 100;
  body.action = types::SetCredentialStatus{"fed/M/2026/" + std::to_string(serial),
                                           types::CredentialStatus::kRevoked, "工会"};
  types::Tx tx = types::MakeTx(body);
  types::SignTx(tx, Key(key));
  return tx;
}

std::vector<Bytes> Wires(const std::vector<types::Tx>& txs) {
  std::vector<Bytes> out;
  for (const auto& tx : txs) out.push_back(types::EncodeTx(tx));
  return out;
}

}  // namespace

TEST_CASE("each batch has exactly f designated checkers: the validators after its author",
          "[batch]") {
  for (uint32_t n : {1u, 3u, 4u, 7u, 10u}) {
    const uint32_t f = (n - 1) / 3;
    for (uint32_t author = 0; author < n; ++author) {
      std::set<uint32_t> checkers;
      for (uint32_t me = 0; me < n; ++me) {
        if (BatchCheckPolicy::Designated(author, me, n)) checkers.insert(me);
      }
      CHECK(checkers.size() == f);
      CHECK(checkers.count(author) == 0);
      for (uint32_t k = 1; k <= f; ++k) CHECK(checkers.count((author + k) % n) == 1);
    }
  }
  // The author plus its f checkers are f+1 acknowledgements: a proof without anyone else.
  CHECK(BatchCheckPolicy::Designated(3, 0, 4));
  CHECK_FALSE(BatchCheckPolicy::Designated(3, 1, 4));
  CHECK_FALSE(BatchCheckPolicy::Designated(0, 5, 4));  // not a validator of this set
  CHECK_FALSE(BatchCheckPolicy::Designated(7, 0, 4));
}

TEST_CASE("a held author's batches are checked on receipt after one went unproven", "[batch]") {
  BatchCheckPolicy p(/*me=*/2, /*n=*/4, {/*defer_ms=*/200, /*eager_ms=*/10'000});
  CHECK(p.CheckOnReceipt(1, 0));        // designated for author 1
  CHECK_FALSE(p.CheckOnReceipt(0, 0));  // held
  CHECK_FALSE(p.CheckOnReceipt(3, 0));
  CHECK(p.CheckOnReceipt(9, 0));  // an index this set does not have: checked, never held
  p.OnNoProofInTime(0, 1'000);
  CHECK(p.CheckOnReceipt(0, 1'000));
  CHECK(p.CheckOnReceipt(0, 10'999));
  CHECK_FALSE(p.CheckOnReceipt(0, 11'000));
  CHECK_FALSE(p.CheckOnReceipt(3, 5'000));  // only that author
  p.OnNoProofInTime(0, 500);                // an older event never shortens the window
  CHECK(p.CheckOnReceipt(0, 10'999));
}

TEST_CASE("the checked batch: every transaction canonical and every signature valid", "[batch]") {
  std::vector<types::Tx> txs = {SignedTx(1), SignedTx(2), SignedTx(3, 2)};
  SECTION("a good batch gives each transaction's signature digest") {
    auto r = CheckBatchTxs(Wires(txs), true);
    REQUIRE(r.ok());
    REQUIRE(r->size() == 3);
    for (size_t i = 0; i < 3; ++i) CHECK((*r)[i] == SigDigest(txs[i], types::TxId(txs[i])));
  }
  SECTION("one forged signature refuses the whole batch, so no honest ack proves it") {
    txs[1].signatures[0].signature[5] ^= 1;
    auto r = CheckBatchTxs(Wires(txs), true);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("transaction 1") != std::string::npos);
    CHECK(r.status().message().find("signature") != std::string::npos);
  }
  SECTION("a signature by another key over the body is refused too") {
    txs[2].signatures[0].public_key = txs[0].signatures[0].public_key;
    CHECK_FALSE(CheckBatchTxs(Wires(txs), true).ok());
  }
  SECTION("an unsigned transaction is refused") {
    txs[0].signatures.clear();
    auto r = CheckBatchTxs(Wires(txs), true);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("not signed") != std::string::npos);
  }
  SECTION("the transactions' ids come with the check, held batch or not") {
    for (const bool verify : {true, false}) {
      std::vector<Hash32> ids = {Hash32{}};  // cleared first
      REQUIRE(CheckBatchTxs(Wires(txs), verify, &ids).ok());
      REQUIRE(ids.size() == 3);
      for (size_t i = 0; i < 3; ++i) CHECK(ids[i] == types::TxId(txs[i]));
    }
  }
  SECTION("a held batch is checked for its encodings only") {
    txs[1].signatures[0].signature[5] ^= 1;
    auto r = CheckBatchTxs(Wires(txs), false);
    REQUIRE(r.ok());
    CHECK(r->empty());
    auto wires = Wires(txs);
    wires[2].push_back(0);  // trailing byte: not the canonical encoding
    auto bad = CheckBatchTxs(wires, false);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.status().message().find("transaction 2 is not a canonical encoding") !=
          std::string::npos);
  }
}
