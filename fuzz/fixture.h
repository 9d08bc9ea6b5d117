// A small, deterministic chain shared by the targets that need one (rpc, audit) and by the
// seed generator (seeds.cpp): a chain with 4 validators, an admin, the top-level issuer
// "city-fed" and, in block 1, the credential "c-1" whose card FixtureCard() returns; and a
// NodeApi over it that answers at once.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/check.h"
#include "crypto/ed25519.h"
#include "ledger/executor.h"
#include "node/node_api.h"
#include "storage/store.h"
#include "tests/unit/storage/chain_util.h"
#include "types/card.h"
#include "types/tx.h"

namespace laurel::fuzz {

inline constexpr char kChainId[] = "fuzz-chain";

// Key i (seed of 32 bytes i): validators 1..4, admin 5, the issuer 9.
inline crypto::PrivateKey Key(uint8_t i) { return crypto::PrivateKey::FromSeed(Bytes(32, i)).value(); }
inline Bytes PublicKeyBytes(uint8_t i) {
  const auto k = Key(i);
  return Bytes(k.public_key().begin(), k.public_key().end());
}

inline ledger::Genesis FixtureGenesis() {
  ledger::Genesis g;
  g.chain_id = kChainId;
  g.genesis_time_ms = 1'700'000'000'000;
  for (uint8_t i = 1; i <= 4; ++i) {
    g.validators.push_back(types::Validator{PublicKeyBytes(i), "v" + std::to_string(i),
                                            "127.0.0.1:" + std::to_string(9000 + i)});
  }
  g.admin_keys.push_back(PublicKeyBytes(5));
  g.threshold = 1;
  g.issuers.push_back(types::RegisterIssuer{
      "city-fed", "City Federation 市总工会", "", PublicKeyBytes(9),
      {types::TypeGrant{types::CredentialType::kMember, {}},
       types::TypeGrant{types::CredentialType::kModelWorker,
                        {types::Level::kMunicipal, types::Level::kDistrict}}},
      true});
  return g;
}

inline types::CardBody FixtureCardBody() {
  types::CardBody b;
  b.chain_id = kChainId;
  b.credential_id = "c-1";
  b.issuer_id = "city-fed";
  b.key_version = 1;
  b.type = types::CredentialType::kMember;
  b.holder_name = "张三";
  b.member_no = "M-0001";
  b.salt = Bytes(types::kCardSaltSize, 3);
  b.valid_from = 0;
  b.valid_until = 4'000'000'000'000;
  return b;
}

inline types::Card FixtureCard() { return types::SignCard(FixtureCardBody(), Key(9)); }

// The transactions of block 1: the issuance of "c-1".
inline std::vector<types::Tx> FixtureBlock1() {
  const types::CardBody cb = FixtureCardBody();
  const Hash32 digest = types::CardDigest(types::EncodeCardBody(cb));
  types::TxBody body;
  body.chain_id = kChainId;
  body.nonce = ToBytes("fuzz-nonce-1");
  body.expires_at_height = 1000;
  body.action = types::IssueCredential{"c-1", "city-fed", types::CredentialType::kMember,
                                       types::Level::kUnspecified,
                                       Bytes(digest.begin(), digest.end()), cb.valid_from,
                                       cb.valid_until};
  types::Tx tx = types::MakeTx(body);
  types::SignTx(tx, Key(9));
  return {tx};
}

// A memory store holding the genesis and block 1.
inline std::unique_ptr<storage::Store> FixtureStore() {
  auto store = storage::NewMemoryStore();
  const auto g = FixtureGenesis();
  LAUREL_CHECK(storage::test::CommitGenesis(*store, g).ok(), "fixture genesis");
  auto g0 = store->GetBlock(0);
  LAUREL_CHECK(g0.ok() && g0->has_value(), "fixture genesis block");
  ledger::Executor exec(g.chain_id);
  auto r = storage::test::ExecuteAndCommit(*store, exec, g, (*g0)->block_id, FixtureBlock1());
  LAUREL_CHECK(r.ok(), "fixture block 1");
  return store;
}

// Answers at once, from the calling thread: nothing is ever pending or committed later.
class FuzzNode : public node::NodeApi {
 public:
  FuzzNode() : genesis_(fuzz::FixtureGenesis()), store_(fuzz::FixtureStore()) {}
  void SubmitTx(types::Tx tx, std::function<void(node::AdmitResult)> done) override {
    node::AdmitResult r;
    r.tx_id = types::TxId(tx);
    if (tx.body.empty()) {
      r.code = node::AdmitCode::kInvalid;
      r.tx_code = ledger::TxCode::kMalformed;
      r.message = "empty body";
    }
    done(r);
  }
  void WaitForCommit(const Hash32& tx_id, std::chrono::milliseconds,
                     std::function<void(std::optional<storage::TxLocation>)> done) override {
    done(store_->GetTxLocation(tx_id));
  }
  bool IsPending(const Hash32&) const override { return false; }
  node::NodeStatus Status() const override {
    node::NodeStatus s;
    s.chain_id = genesis_.chain_id;
    s.height = store_->Height();
    s.ready = true;
    return s;
  }
  const storage::Store& store() const override { return *store_; }
  const ledger::Genesis& genesis() const override { return genesis_; }
  bool Ready() const override { return true; }

 private:
  ledger::Genesis genesis_;
  std::unique_ptr<storage::Store> store_;
};

}  // namespace laurel::fuzz
