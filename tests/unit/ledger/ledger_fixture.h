// A small chain for ledger tests: a map-backed state, genesis with 3 admins (threshold 2),
// a top-level federation issuer that can delegate, and helpers that build, sign and execute
// one-transaction blocks.
#pragma once

#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "crypto/ed25519.h"
#include "ledger/executor.h"

namespace laurel::ledger::test {

using types::CredentialStatus;
using types::CredentialType;
using types::IssuerStatus;
using types::Level;

class MapState final : public StateView {
 public:
  std::optional<std::string> GetState(std::string_view key) const override {
    auto it = state_.find(std::string(key));
    if (it == state_.end()) return std::nullopt;
    return it->second;
  }
  bool HasTx(const Hash32& tx_id) const override { return spent_.count(tx_id) > 0; }
  std::optional<std::string> GetTreeNode(std::string_view key) const override {
    auto it = tree_.find(std::string(key));
    if (it == tree_.end()) return std::nullopt;
    return it->second;
  }
  void Apply(const BlockResult& r) {
    for (const auto& [k, v] : r.writes) state_[k] = v;
    for (const auto& [k, v] : r.tree.new_nodes) tree_[k] = v;
    for (const auto& o : r.outcomes) {
      if (ConsumesTxId(o.code)) spent_.insert(o.tx_id);
    }
  }
  const std::map<std::string, std::string>& all() const { return state_; }

 private:
  std::map<std::string, std::string> state_;
  std::map<std::string, std::string> tree_;  // every version's nodes (never pruned)
  std::set<Hash32> spent_;
};

inline crypto::PrivateKey KeyFrom(uint8_t tag) {
  Bytes seed(32, tag);
  return crypto::PrivateKey::FromSeed(seed).value();
}
inline Bytes Pub(const crypto::PrivateKey& k) {
  return Bytes(k.public_key().begin(), k.public_key().end());
}
inline Bytes Digest(uint8_t tag) { return Bytes(32, tag); }

inline std::vector<types::TypeGrant> AllGrants() {
  return {{CredentialType::kMember, {}},
          {CredentialType::kModelWorker,
           {Level::kNational, Level::kProvincial, Level::kMunicipal, Level::kDistrict,
            Level::kEnterprise}}};
}
inline std::vector<types::TypeGrant> MemberOnly() { return {{CredentialType::kMember, {}}}; }

class Chain {
 public:
  static constexpr const char* kChainId = "laurel-test";

  Chain() : exec_(kChainId), admin1_(KeyFrom(1)), admin2_(KeyFrom(2)), admin3_(KeyFrom(3)),
            fed_(KeyFrom(10)) {
    Genesis g;
    g.chain_id = kChainId;
    g.validators = {types::Validator{Pub(KeyFrom(100)), "v0", "127.0.0.1:9000"}};
    g.admin_keys = {Pub(admin1_), Pub(admin2_), Pub(admin3_)};
    g.threshold = 2;
    g.issuers = {types::RegisterIssuer{"city-fed", "City Federation", "", Pub(fed_), AllGrants(),
                                       true}};
    REQUIRE(ValidateGenesis(g).ok());
    const BlockResult r = ExecuteGenesis(g);
    state_.Apply(r);
    root_ = r.state_root;
  }

  // Builds a tx (fresh nonce), signs it with each key in `signers`.
  types::Tx Make(types::Action action, std::vector<const crypto::PrivateKey*> signers,
                 std::string chain = kChainId, uint64_t expires = 1000) {
    types::TxBody body;
    body.chain_id = std::move(chain);
    body.nonce = Bytes(16, 0);
    const uint64_t n = ++nonce_;
    for (int i = 0; i < 8; ++i) body.nonce[i] = static_cast<uint8_t>(n >> (8 * i));
    body.expires_at_height = expires;
    body.action = std::move(action);
    types::Tx tx = types::MakeTx(body);
    for (const auto* k : signers) types::SignTx(tx, *k);
    return tx;
  }

  // Executes one block of transactions at the next height and applies it.
  BlockResult RunBlock(const std::vector<types::Tx>& txs) {
    BlockContext ctx{++height_, 1700000000000 + height_, root_};
    BlockResult r = exec_.ExecuteBlock(state_, ctx, txs);
    state_.Apply(r);
    root_ = r.state_root;
    return r;
  }
  TxCode Run(const types::Tx& tx) { return RunBlock({tx}).outcomes.at(0).code; }
  TxCode Run(types::Action a, std::vector<const crypto::PrivateKey*> signers) {
    return Run(Make(std::move(a), std::move(signers)));
  }

  // Governance registers a top-level issuer (2 of 3 admins).
  void RegisterTop(const std::string& id, const crypto::PrivateKey& key,
                   std::vector<types::TypeGrant> grants, bool can_delegate) {
    REQUIRE(Run(types::RegisterIssuer{id, id, "", Pub(key), std::move(grants), can_delegate},
                {&admin1_, &admin2_}) == TxCode::kOk);
  }
  // `parent_key` delegates a child issuer.
  void RegisterChild(const std::string& id, const std::string& parent,
                     const crypto::PrivateKey& parent_key, const crypto::PrivateKey& key,
                     std::vector<types::TypeGrant> grants, bool can_delegate = false) {
    REQUIRE(Run(types::RegisterIssuer{id, id, parent, Pub(key), std::move(grants), can_delegate},
                {&parent_key}) == TxCode::kOk);
  }
  TxCode Issue(const std::string& cred_id, const std::string& issuer,
               const crypto::PrivateKey& key, CredentialType type = CredentialType::kMember,
               Level level = Level::kUnspecified, uint8_t digest = 7) {
    return Run(types::IssueCredential{cred_id, issuer, type, level, Digest(digest), 100, 200},
               {&key});
  }

  std::optional<CredentialRecord> Credential(const std::string& id) {
    return ReadCredential(state_, id);
  }
  std::optional<IssuerRecord> Issuer(const std::string& id) { return ReadIssuer(state_, id); }
  std::optional<GovernanceRecord> Gov() { return ReadGovernance(state_); }

  const Hash32& root() const { return root_; }
  uint64_t height() const { return height_; }
  MapState& state() { return state_; }
  const Executor& exec() const { return exec_; }

  Executor exec_;
  crypto::PrivateKey admin1_, admin2_, admin3_, fed_;

 private:
  MapState state_;
  Hash32 root_{};
  uint64_t height_ = 0;
  uint64_t nonce_ = 0;
};

}  // namespace laurel::ledger::test
