// verifier::CheckReceipt: a receipt built the way a node builds it (rpc/receipts.cpp) holds for
// every position of a block; any flipped bit of any of its byte fields, and any other height,
// time, position, count or code, is refused with the part named.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "crypto/merkle.h"
#include "ledger/codes.h"
#include "ledger/executor.h"
#include "node/wire.h"
#include "types/tx.h"
#include "tests/unit/verifier/verifier_fixture.h"
#include "verifier/verifier.h"

namespace laurel::verifier {
namespace {

using test::Key;

types::Tx SignedTx(int n, const crypto::PrivateKey& signer) {
  types::TxBody body;
  body.chain_id = "laurel-test";
  body.nonce = ToBytes("receipt-nonce-" + std::to_string(n));
  body.expires_at_height = 100;
  body.action =
      types::SetIssuerStatus{"fed-" + std::to_string(n), types::IssuerStatus::kSuspended, "check"};
  types::Tx tx = types::MakeTx(body);
  types::SignTx(tx, signer);
  return tx;
}

struct Block : test::FourValidators {
  std::vector<types::Tx> txs;
  std::vector<ledger::TxCode> codes;
  std::vector<Hash32> leaves;
  Certificate cert;

  explicit Block(size_t n) {
    const auto signer = Key(9);
    for (size_t i = 0; i < n; ++i) {
      txs.push_back(SignedTx(static_cast<int>(i), signer));
      codes.push_back(i % 3 == 2 ? ledger::TxCode::kUnknownIssuer : ledger::TxCode::kOk);
    }
    Seal();
  }
  // Leaves, tx_root and a certificate signed by all four validators.
  void Seal() {
    leaves.clear();
    for (size_t i = 0; i < txs.size(); ++i) {
      leaves.push_back(crypto::MerkleLeafHash(ledger::TxRootLeaf(types::TxId(txs[i]), codes[i])));
    }
    cert = Certificate{};
    cert.height = 42;
    cert.block_id[0] = 0xb1;
    cert.state_root[0] = 0x5e;
    cert.tx_root = crypto::MerkleRoot(leaves);
    cert.time_ms = 1'764'900'000'000;
    for (uint32_t s = 0; s < 4; ++s) {
      cert.signatures.emplace_back(s, keys[s].Sign(CertificateSignBytes(set.chain_id, cert)));
    }
  }
  // The JSON a node serves (proto3 JSON: 64-bit integers as strings).
  nlohmann::json Receipt(uint32_t pos) const {
    nlohmann::json j;
    j["tx_id"] = HexEncode(types::TxId(txs[pos]));
    j["tx"] = HexEncode(types::EncodeTx(txs[pos]));
    j["height"] = std::to_string(cert.height);
    j["position"] = pos;
    j["code"] = static_cast<uint32_t>(codes[pos]);
    j["result"] = ledger::TxCodeName(codes[pos]);
    j["tx_count"] = txs.size();
    j["audit_path"] = nlohmann::json::array();
    for (const auto& h : crypto::MerkleInclusionProof(leaves, pos)) {
      j["audit_path"].push_back(HexEncode(h));
    }
    j["tx_root"] = HexEncode(cert.tx_root);
    j["block_id"] = HexEncode(cert.block_id);
    j["time_ms"] = std::to_string(cert.time_ms);
    j["certificate"] = HexEncode(Encode(cert));
    j["epoch_changes"] = nlohmann::json::array();
    return j;
  }
};

std::string Why(const Result<ProvenReceipt>& r) { return r.ok() ? "" : r.status().message(); }

// Every copy of hex field `value` with one bit flipped.
std::vector<std::string> BitFlips(const std::string& hex) {
  const Bytes b = *HexDecode(hex);
  std::vector<std::string> out;
  for (size_t i = 0; i < b.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      Bytes c = b;
      c[i] ^= static_cast<uint8_t>(1u << bit);
      out.push_back(HexEncode(c));
    }
  }
  return out;
}

}  // namespace

TEST_CASE(
    "a receipt holds for every position of blocks of 1 to 9 transactions and names what "
    "it proves",
    "[verifier][receipt]") {
  for (size_t n = 1; n <= 9; ++n) {
    Block b(n);
    for (uint32_t pos = 0; pos < n; ++pos) {
      INFO(n << " txs, position " << pos);
      auto r = CheckReceipt(b.Receipt(pos), b.set);
      REQUIRE(r.ok());
      CHECK(r->tx_id == types::TxId(b.txs[pos]));
      CHECK(r->height == 42);
      CHECK(r->position == pos);
      CHECK(r->tx_count == n);
      CHECK(r->code == static_cast<uint32_t>(b.codes[pos]));
      CHECK(r->body == b.txs[pos].body);
      CHECK(r->signers == std::vector<std::string>{"v0", "v1", "v2", "v3"});
      CHECK(r->validators == 4);
    }
  }
}

TEST_CASE(
    "any flipped bit of a receipt's transaction, id, path, roots, block or certificate "
    "is refused",
    "[verifier][receipt]") {
  Block b(5);
  const nlohmann::json good = b.Receipt(3);
  REQUIRE(CheckReceipt(good, b.set).ok());
  std::vector<std::string> fields = {"tx", "tx_id", "tx_root", "block_id", "certificate"};
  size_t tried = 0;
  for (const auto& field : fields) {
    for (const auto& flipped : BitFlips(good[field].get<std::string>())) {
      auto bad = good;
      bad[field] = flipped;
      INFO(field << " = " << flipped);
      CHECK_FALSE(CheckReceipt(bad, b.set).ok());
      ++tried;
    }
  }
  for (size_t i = 0; i < good["audit_path"].size(); ++i) {
    for (const auto& flipped : BitFlips(good["audit_path"][i].get<std::string>())) {
      auto bad = good;
      bad["audit_path"][i] = flipped;
      INFO("audit_path[" << i << "] = " << flipped);
      CHECK(Why(CheckReceipt(bad, b.set)).find("audit path does not lead") != std::string::npos);
      ++tried;
    }
  }
  CHECK(tried > 3000);
}

TEST_CASE(
    "a receipt with another position, count, code, height or time is refused, saying "
    "which",
    "[verifier][receipt]") {
  Block b(6);
  const nlohmann::json good = b.Receipt(4);
  for (uint32_t pos = 0; pos < 8; ++pos) {
    if (pos == 4) continue;
    auto bad = good;
    bad["position"] = pos;
    INFO("position " << pos);
    const std::string why = Why(CheckReceipt(bad, b.set));
    CHECK((why.find("audit path does not lead") != std::string::npos ||
           why.find("outside a block") != std::string::npos));
  }
  for (uint32_t count : {1u, 5u, 7u, 8u, 12u}) {
    auto bad = good;
    bad["tx_count"] = count;
    INFO("tx_count " << count);
    CHECK_FALSE(CheckReceipt(bad, b.set).ok());
  }
  for (uint32_t code = 0; code <= ledger::kMaxTxCode + 1; ++code) {
    if (code == static_cast<uint32_t>(b.codes[4])) continue;
    auto bad = good;
    bad["code"] = code;
    INFO("code " << code);
    const std::string why = Why(CheckReceipt(bad, b.set));
    CHECK(why.find("result code " + std::to_string(code)) != std::string::npos);
  }
  auto h = good;
  h["height"] = "43";
  CHECK(Why(CheckReceipt(h, b.set)).find("certificate is of height 42") != std::string::npos);
  auto t = good;
  t["time_ms"] = std::to_string(b.cert.time_ms + 1);
  CHECK(Why(CheckReceipt(t, b.set)).find("block time") != std::string::npos);
  // The leaf of another transaction of the same block, with this one's path.
  auto other = good;
  other["tx"] = HexEncode(types::EncodeTx(b.txs[5]));
  other["tx_id"] = HexEncode(types::TxId(b.txs[5]));
  CHECK(Why(CheckReceipt(other, b.set)).find("audit path does not lead") != std::string::npos);
  for (const char* field : {"tx", "tx_id", "height", "position", "code", "tx_count", "audit_path",
                            "tx_root", "block_id", "time_ms", "certificate"}) {
    auto missing = good;
    missing.erase(field);
    INFO("without " << field);
    CHECK_FALSE(CheckReceipt(missing, b.set).ok());
  }
}

TEST_CASE("a receipt needs a quorum of the validator set of its certificate's epoch",
          "[verifier][receipt]") {
  Block b(3);
  b.cert.signatures.resize(2);
  CHECK(Why(CheckReceipt(b.Receipt(1), b.set)).find("2 valid signatures; 3 of 4") !=
        std::string::npos);
  Block e(3);
  e.cert.epoch = 1;
  e.cert.signatures.clear();
  for (uint32_t s = 0; s < 4; ++s) {
    e.cert.signatures.emplace_back(s, e.keys[s].Sign(CertificateSignBytes(e.set.chain_id, e.cert)));
  }
  CHECK(Why(CheckReceipt(e.Receipt(0), e.set)).find("epoch change") != std::string::npos);
  ValidatorSet other = b.set;
  other.chain_id = "laurel-other";
  CHECK(Why(CheckReceipt(Block(3).Receipt(0), other)).find("does not verify") != std::string::npos);
}

TEST_CASE("a receipt's signatures must agree with its certified code", "[verifier][receipt]") {
  Block b(4);
  // A forged signature on a transaction certified OK: the bytes were altered after the fact.
  b.txs[1].signatures[0].signature[10] ^= 0x40;
  b.codes[1] = ledger::TxCode::kOk;
  b.Seal();
  CHECK(Why(CheckReceipt(b.Receipt(1), b.set))
            .find("signature 0 of the transaction does not "
                  "verify") != std::string::npos);
  // The same transaction certified BAD_SIGNATURE is what execution records: that holds.
  b.codes[1] = ledger::TxCode::kBadSignature;
  b.Seal();
  CHECK(CheckReceipt(b.Receipt(1), b.set).ok());
  // BAD_SIGNATURE while every signature verifies, MISSING_SIGNATURE with a signature.
  b.codes[2] = ledger::TxCode::kBadSignature;
  b.codes[3] = ledger::TxCode::kMissingSignature;
  b.Seal();
  CHECK(Why(CheckReceipt(b.Receipt(2), b.set))
            .find("every signature of the transaction "
                  "verifies") != std::string::npos);
  CHECK(Why(CheckReceipt(b.Receipt(3), b.set)).find("MISSING_SIGNATURE") != std::string::npos);
  // An unsigned transaction is MISSING_SIGNATURE (holds) and nothing else (refused).
  b.txs[0].signatures.clear();
  b.codes[0] = ledger::TxCode::kMissingSignature;
  b.Seal();
  CHECK(CheckReceipt(b.Receipt(0), b.set).ok());
  b.codes[0] = ledger::TxCode::kUnknownIssuer;
  b.Seal();
  CHECK(Why(CheckReceipt(b.Receipt(0), b.set)).find("carries no signature") != std::string::npos);
}

TEST_CASE(
    "transaction bytes that are not the canonical encoding are refused, whatever they "
    "carry",
    "[verifier][receipt]") {
  Block b(2);
  auto r = b.Receipt(0);
  Bytes wire = types::EncodeTx(b.txs[0]);
  // An unknown field appended: protobuf parsers skip it, the receipt check does not.
  Bytes extra = wire;
  extra.insert(extra.end(), {0x1a, 0x01, 0x00});
  r["tx"] = HexEncode(extra);
  CHECK(Why(CheckReceipt(r, b.set)).find("not a canonical laurel.v1.Tx") != std::string::npos);
  // A length written with a redundant continuation byte.
  Bytes padded = {0x0a, static_cast<uint8_t>(0x80 | b.txs[0].body.size()), 0x00};
  REQUIRE(b.txs[0].body.size() < 0x80);
  padded.insert(padded.end(), wire.begin() + 2, wire.end());
  r["tx"] = HexEncode(padded);
  CHECK(Why(CheckReceipt(r, b.set)).find("not a canonical laurel.v1.Tx") != std::string::npos);
}

TEST_CASE("the receipt check's result codes are the ledger's", "[verifier][receipt]") {
  CHECK(kCodeMalformed == static_cast<uint32_t>(ledger::TxCode::kMalformed));
  CHECK(kCodeMissingSignature == static_cast<uint32_t>(ledger::TxCode::kMissingSignature));
  CHECK(kCodeBadSignature == static_cast<uint32_t>(ledger::TxCode::kBadSignature));
}

}  // namespace laurel::verifier
