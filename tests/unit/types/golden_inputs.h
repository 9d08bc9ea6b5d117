// The fixed inputs of the golden vectors of docs/spec/signing.md. Shared by the generator
// (golden_gen.cpp, which writes tests/data/golden/signing.json) and golden_test.cpp (which
// recomputes every value from these inputs). Changing anything here changes the vectors.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/base45.h"
#include "common/bytes.h"
#include "crypto/ed25519.h"
#include "crypto/merkle.h"
#include "crypto/sha256.h"
#include "types/card.h"
#include "types/tx.h"

namespace laurel::golden {

inline constexpr const char* kChainId = "laurel-golden";

// seed = 01 02 03 ... 20 (32 bytes).
inline Bytes GoldenSeed() {
  Bytes seed(32);
  for (size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<uint8_t>(i + 1);
  return seed;
}

inline crypto::PrivateKey GoldenKey() { return crypto::PrivateKey::FromSeed(GoldenSeed()).value(); }

// n bytes first, first+1, ...
inline Bytes Counting(size_t n, uint8_t first) {
  Bytes out(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(first + i);
  return out;
}

// A top-level issuer registered by governance; the golden key is its key.
inline types::TxBody RegisterIssuerBody() {
  const auto key = GoldenKey();
  types::RegisterIssuer a;
  a.issuer_id = "golden-fed";
  a.name = "Golden Federation";
  a.parent_id = "";
  a.public_key.assign(key.public_key().begin(), key.public_key().end());
  a.grants = {types::TypeGrant{types::CredentialType::kMember, {}},
              types::TypeGrant{types::CredentialType::kModelWorker,
                               {types::Level::kProvincial, types::Level::kMunicipal}}};
  a.can_delegate = true;
  return types::TxBody{kChainId, Counting(16, 0xa0), 1000, a};
}

// The card the issuer hands to a holder (salt = 40 41 ... 4f).
inline types::CardBody GoldenCardBody() {
  types::CardBody c;
  c.chain_id = kChainId;
  c.credential_id = "golden-fed/MW/2024/000001";
  c.issuer_id = "golden-fed";
  c.key_version = 1;
  c.type = types::CredentialType::kModelWorker;
  c.level = types::Level::kMunicipal;
  c.holder_name = "Holder One";
  c.member_no = "M-000001";
  c.salt = Counting(16, 0x40);
  c.valid_from = 1704067200;   // 2024-01-01T00:00:00Z
  c.valid_until = 1861920000;  // 2029-01-01T00:00:00Z
  return c;
}

// The issuance of that card on the ledger.
inline types::TxBody IssueCredentialBody(const Hash32& card_digest) {
  const types::CardBody c = GoldenCardBody();
  types::IssueCredential a;
  a.credential_id = c.credential_id;
  a.issuer_id = c.issuer_id;
  a.type = c.type;
  a.level = c.level;
  a.card_digest.assign(card_digest.begin(), card_digest.end());
  a.valid_from = c.valid_from;
  a.valid_until = c.valid_until;
  return types::TxBody{kChainId, Counting(16, 0xb0), 1000, a};
}

// A signed transaction vector: body bytes, tx_id, the golden key's signature, and the wire Tx.
inline nlohmann::ordered_json TxVector(const types::TxBody& body, const crypto::PrivateKey& key) {
  types::Tx tx = types::MakeTx(body);
  types::SignTx(tx, key);
  nlohmann::ordered_json j;
  j["body"] = HexEncode(tx.body);
  j["tx_id"] = HexEncode(types::TxId(tx));
  j["signature"] = HexEncode(tx.signatures.at(0).signature);
  j["tx"] = HexEncode(types::EncodeTx(tx));
  return j;
}

// The example block of the tx_root vector: the two golden transactions with these codes.
inline constexpr uint32_t kRootCodes[2] = {0 /* OK */, 9 /* UNKNOWN_ISSUER */};

// Every golden value, in the layout of tests/data/golden/signing.json.
inline nlohmann::ordered_json ComputeGolden() {
  const auto key = GoldenKey();
  nlohmann::ordered_json j;
  j["key"]["seed"] = HexEncode(GoldenSeed());
  j["key"]["public_key"] = HexEncode(key.public_key());

  j["register_issuer"] = TxVector(RegisterIssuerBody(), key);

  const types::Card card = types::SignCard(GoldenCardBody(), key);
  const Hash32 digest = types::CardDigest(card.body);
  j["card"]["body"] = HexEncode(card.body);
  j["card"]["signature"] = HexEncode(card.signature);
  j["card"]["digest"] = HexEncode(digest);
  j["card"]["card"] = HexEncode(types::EncodeCard(card));
  j["card"]["lc1"] = types::CardToText(card);

  j["issue_credential"] = TxVector(IssueCredentialBody(digest), key);

  std::vector<Hash32> leaf_hashes;
  const types::Tx txs[2] = {types::MakeTx(RegisterIssuerBody()),
                            types::MakeTx(IssueCredentialBody(digest))};
  for (size_t i = 0; i < 2; ++i) {
    const Hash32 id = types::TxId(txs[i]);
    std::string leaf(reinterpret_cast<const char*>(id.data()), id.size());
    AppendU32BE(leaf, kRootCodes[i]);
    j["tx_root"]["leaves"].push_back(HexEncode(AsBytes(leaf)));
    leaf_hashes.push_back(crypto::MerkleLeafHash(AsBytes(leaf)));
  }
  j["tx_root"]["root"] = HexEncode(crypto::MerkleRoot(leaf_hashes));

  return j;
}

}  // namespace laurel::golden
