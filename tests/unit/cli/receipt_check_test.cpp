// cli::CheckReceiptAnswer (what `laurel receipt verify` prints): the statement for a good
// receipt, and a `result` name that is not the certified code's refused.
#include "cli/receipt_check.h"

#include <catch2/catch.hpp>

#include "crypto/merkle.h"
#include "node/wire.h"
#include "types/tx.h"

namespace laurel::cli {
namespace {

crypto::PrivateKey Key(uint8_t tag) { return crypto::PrivateKey::FromSeed(Bytes(32, tag)).value(); }

}  // namespace

TEST_CASE(
    "a receipt check states what was proven, and refuses a result name that is not the "
    "certified code's",
    "[cli][receipt]") {
  ledger::Genesis g;
  g.chain_id = "receipt-chain";
  std::vector<crypto::PrivateKey> keys = {Key(1), Key(2), Key(3), Key(4)};
  for (size_t i = 0; i < keys.size(); ++i) {
    g.validators.push_back(
        types::Validator{Bytes(keys[i].public_key().begin(), keys[i].public_key().end()),
                         "节点" + std::to_string(i), "127.0.0.1:" + std::to_string(7000 + i)});
  }
  types::TxBody body;
  body.chain_id = g.chain_id;
  body.nonce = ToBytes("receipt-check-nonce");
  body.expires_at_height = 9;
  body.action = types::SetIssuerStatus{"fed", types::IssuerStatus::kSuspended, "test"};
  types::Tx tx = types::MakeTx(body);
  types::SignTx(tx, Key(7));
  const Hash32 id = types::TxId(tx);
  std::vector<Hash32> leaves = {
      crypto::MerkleLeafHash(ledger::TxRootLeaf(Hash32{}, ledger::TxCode::kOk)),
      crypto::MerkleLeafHash(ledger::TxRootLeaf(id, ledger::TxCode::kIssuerInactive)),
      crypto::MerkleLeafHash(ledger::TxRootLeaf(Hash32{1}, ledger::TxCode::kOk))};
  node::StateCertificate c;
  c.data.height = 12;
  c.data.block_id.fill(0xbb);
  c.data.tx_root = crypto::MerkleRoot(leaves);
  c.data.time_ms = 1'764'905'000'123;
  for (uint32_t s : {0u, 1u, 3u}) {
    c.signatures.emplace_back(s, keys[s].Sign(node::AttestationSignBytes(g.chain_id, c.data)));
  }
  Json r = {{"tx_id", HexEncode(id)},
            {"tx", HexEncode(types::EncodeTx(tx))},
            {"height", "12"},
            {"position", 1},
            {"code", 11},
            {"result", "ISSUER_INACTIVE"},
            {"tx_count", 3},
            {"audit_path", Json::array()},
            {"tx_root", HexEncode(c.data.tx_root)},
            {"block_id", HexEncode(c.data.block_id)},
            {"time_ms", "1764905000123"},
            {"certificate", HexEncode(node::EncodeStateCertificate(c))}};
  for (const auto& h : crypto::MerkleInclusionProof(leaves, 1)) {
    r["audit_path"].push_back(HexEncode(h));
  }
  const auto ok = CheckReceiptAnswer(r, g);
  INFO(ok.why);
  REQUIRE(ok.ok);
  CHECK(ok.statement == "proven: tx " + HexEncode(id) +
                            " committed at height 12 position 1 with result ISSUER_INACTIVE, by "
                            "validators 节点0,节点1,节点3");
  CHECK(ok.detail.find("3 of 4 validators; set_issuer_status on chain 'receipt-chain'") !=
        std::string::npos);

  auto renamed = r;
  renamed["result"] = "OK";
  const auto bad = CheckReceiptAnswer(renamed, g);
  CHECK_FALSE(bad.ok);
  CHECK(bad.why ==
        "the receipt's result 'OK' is not ISSUER_INACTIVE, the name of its certified "
        "code 11");
  auto recoded = r;
  recoded["code"] = 0;
  recoded["result"] = "OK";
  CHECK(CheckReceiptAnswer(recoded, g).why.find("audit path does not lead") != std::string::npos);
}

}  // namespace laurel::cli
