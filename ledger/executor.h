// Deterministic execution of an ordered list of transactions against a state.
//
// Execution never fails as a whole: each transaction gets a TxCode; an invalid one is
// recorded and changes nothing. Same state + same block => same writes, codes and roots on
// every node, whatever the proposer put in the block.
//
// Thread safety: an Executor is immutable after construction; ExecuteBlock may run
// concurrently on different states.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "crypto/merkle_log.h"
#include "ledger/codes.h"
#include "ledger/state.h"
#include "types/tx.h"

namespace laurel::ledger {

struct BlockContext {
  uint64_t height = 0;
  uint64_t time_ms = 0;
  Hash32 prev_state_root{};  // the root after height - 1 (the tree itself is read from the state)
};

// What one transaction did (for the tx index and the history indexes).
struct TxOutcome {
  Hash32 tx_id{};
  TxCode code = TxCode::kOk;
  std::string action;  // "issue_credential", ... or "" if malformed
  Bytes signer;        // first signature's key, or empty
  // Credentials and issuers it concerns, for their histories. A rejected transaction is
  // entered only where its signer had authority (an issuer's own key, its parent's, or
  // governance): a stranger cannot write into the history of records it has no power over.
  std::vector<std::string> credential_ids;
  std::vector<std::string> issuer_ids;

  // What it did, for the history entries (node-local indexes; not hashed into any root).
  // Filled from the body once it decodes and from the records it touched; zero/empty where an
  // action has no such field.
  std::string issuer_id;  // the issuer acted on (registered, rotated, set, issuing, owning)
  types::CredentialType type = types::CredentialType::kUnspecified;
  types::Level level = types::Level::kUnspecified;
  uint32_t new_status = 0;  // types::CredentialStatus or types::IssuerStatus (by action)
  std::string reason;
  uint64_t valid_from = 0;  // issue and renew: the new validity
  uint64_t valid_until = 0;
  uint32_t key_version = 0;  // rotate: the new key version
  // Who signed, resolved: the authority the signer acted as (kNone when it had none), the
  // issuer whose current key that was (kIssuer, kParent) and its key version, or the
  // governance admin keys that signed (kGovernance).
  Authority signed_as = Authority::kNone;
  std::string signer_issuer_id;
  uint32_t signer_key_version = 0;
  std::vector<Bytes> signer_admins;
};

// The longest chain of parents an issuer may have (registration refuses deeper ones); also
// bounds every walk up the hierarchy.
inline constexpr size_t kMaxIssuerDepth = 16;

// The first issuer on the chain from `issuer` up to its root federation (itself included) that
// is not active, or nullopt when all are. A card or a key of an issuer below a suspended or
// retired union acts as that union's would: not at all.
std::optional<IssuerRecord> FirstInactiveOnChain(const StateView& state,
                                                 const IssuerRecord& issuer);

// Adds to `writes` (a block's final writes) the gate index records (state.h) of the issuer
// records and status chunks among them, with `height` as their entries' height; `read` gives
// the state before the block. Part of execution (ExecuteBlock and ExecuteGenesis call it).
void IndexGateRecords(const std::function<std::optional<std::string>(const std::string&)>& read,
                      uint64_t height, std::map<std::string, std::string>& writes);

struct BlockResult {
  std::map<std::string, std::string> writes;  // state key -> final value, sorted
  std::vector<TxOutcome> outcomes;            // one per transaction, in block order
  // The state tree's nodes for this height (new ones to store, replaced ones to prune).
  TreeUpdate tree;
  Hash32 state_root{};  // == tree.root
  Hash32 tx_root{};     // RFC 6962 root; leaf i = tx_id_i || u32be(code_i)
  // The transaction log after this block (the state record "l", also in `writes` when the
  // block has transactions) and the log subtrees its transactions completed, leaves included
  // (docs/spec/state.md §12).
  crypto::LogHead log;
  std::vector<crypto::LogNode> log_nodes;
};

// Genesis parameters (from the genesis document).
struct Genesis {
  std::string chain_id;
  uint64_t genesis_time_ms = 0;
  std::vector<types::Validator> validators;
  std::vector<Bytes> admin_keys;
  uint32_t threshold = 0;
  std::vector<types::RegisterIssuer> issuers;
};

// Checks a genesis document (keys, threshold, issuer ids and scopes).
Status ValidateGenesis(const Genesis& g);
// The state at height 0. Requires ValidateGenesis(g).ok().
BlockResult ExecuteGenesis(const Genesis& g);

// The state root is the root of the sparse Merkle tree over every state record
// (crypto/smt.h, ledger/state_tree.h, docs/spec/state.md), computed from the tree at the
// previous height (read through the StateView) and the block's writes.
// The leaf of the tx_root for one transaction.
Bytes TxRootLeaf(const Hash32& tx_id, TxCode code);

class Executor {
 public:
  // `already_verified`, when set, returns true for a transaction whose every signature this
  // node has already verified (e.g. at mempool admission); those are not verified again.
  using VerifiedCheck = std::function<bool(const types::Tx&, const Hash32& tx_id)>;

  explicit Executor(std::string chain_id, VerifiedCheck already_verified = nullptr);

  BlockResult ExecuteBlock(const StateView& state, const BlockContext& ctx,
                           std::span<const types::Tx> txs) const;

  // Stateless checks only (decode, signatures, chain, expiry, field forms), in the order
  // ExecuteBlock applies them; used by the mempool. Returns the code and, when OK, the
  // decoded body. `next_height` is the height the tx would be executed at.
  TxCode CheckStateless(const types::Tx& tx, uint64_t next_height,
                        types::TxBody* body_out = nullptr) const;

  // CheckStateless, then the state rules against `state` (authority, issuer status, scope,
  // existence), with the transaction's writes discarded: what ExecuteBlock would answer if the
  // transaction were executed alone on `state` at `next_height`, except that a spent tx id is
  // not checked (the caller answers a resubmission itself). Used by mempool admission so that
  // what cannot succeed is refused before it is gossiped; execution re-checks everything.
  TxCode CheckAdmission(const StateView& state, const types::Tx& tx, uint64_t next_height,
                        types::TxBody* body_out = nullptr) const;

  const std::string& chain_id() const { return chain_id_; }

 private:
  // Decode, nonce form and signatures: the checks after which a tx id counts as spent.
  TxCode CheckSigned(const types::Tx& tx, const Hash32& tx_id, types::TxBody* body_out) const;
  // Chain, expiry and field forms.
  TxCode CheckBody(const types::TxBody& body, uint64_t height) const;

  // The governance record of `state`, decoded once per distinct record: every transaction reads
  // it, and it changes only with a governance transaction. Keyed by the record's bytes, so a
  // state with another record never gets a stale decode.
  std::shared_ptr<const GovernanceRecord> GovernanceOf(const StateView& state) const;

  std::string chain_id_;
  VerifiedCheck already_verified_;
  struct CachedGovernance {
    std::string raw;
    GovernanceRecord record;
  };
  mutable std::mutex gov_mu_;
  mutable std::shared_ptr<const CachedGovernance> gov_cache_;
};

}  // namespace laurel::ledger
