#include "ledger/executor.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <unordered_set>

#include "crypto/ed25519.h"
#include "crypto/merkle.h"
#include "crypto/sha256.h"
#include "ledger/rules.h"

namespace laurel::ledger {

using types::CredentialStatus;
using types::IssuerStatus;

const char* TxCodeName(TxCode code) {
  static constexpr const char* kNames[] = {
      "OK",
      "MALFORMED",
      "WRONG_CHAIN",
      "EXPIRED",
      "DUPLICATE_TX",
      "MISSING_SIGNATURE",
      "BAD_SIGNATURE",
      "UNAUTHORIZED",
      "INSUFFICIENT_SIGNATURES",
      "UNKNOWN_ISSUER",
      "ISSUER_EXISTS",
      "ISSUER_INACTIVE",
      "CANNOT_DELEGATE",
      "SCOPE_NOT_ALLOWED",
      "CREDENTIAL_EXISTS",
      "UNKNOWN_CREDENTIAL",
      "ILLEGAL_TRANSITION",
      "BAD_VALIDITY",
      "BAD_CREDENTIAL_ID",
      "BAD_KEY",
      "BAD_THRESHOLD",
      "BAD_ISSUER_ID",
      "BAD_DIGEST",
      "BAD_VALIDATOR_SET",
  };
  const auto i = static_cast<uint32_t>(code);
  return i <= kMaxTxCode ? kNames[i] : "UNKNOWN_CODE";
}

namespace {

constexpr std::string_view kStateRootDomain{"laurel/state-root/v1\0", 21};
constexpr size_t kMinNonce = 8;
constexpr size_t kMaxNonce = 32;

// Reads through the writes made so far in this block, then the base state.
class OverlayView final : public StateView {
 public:
  explicit OverlayView(const StateView& base) : base_(base) {}
  std::optional<std::string> GetState(std::string_view key) const override {
    auto it = writes_.find(std::string(key));
    if (it != writes_.end()) return it->second;
    return base_.GetState(key);
  }
  bool HasTx(const Hash32& tx_id) const override {
    return in_block_.count(tx_id) > 0 || base_.HasTx(tx_id);
  }
  void Put(std::string key, std::string value) { writes_[std::move(key)] = std::move(value); }
  void AddTx(const Hash32& tx_id) { in_block_.insert(tx_id); }
  std::map<std::string, std::string> TakeWrites() { return std::move(writes_); }

 private:
  struct HashOf {
    size_t operator()(const Hash32& h) const {
      size_t v;
      std::memcpy(&v, h.data(), sizeof v);
      return v;
    }
  };
  const StateView& base_;
  std::map<std::string, std::string> writes_;
  std::unordered_set<Hash32, HashOf> in_block_;
};

// The record of a newly registered issuer (key version 1 from `height`).
IssuerRecord NewIssuer(const types::RegisterIssuer& a, uint64_t height) {
  IssuerRecord r;
  r.issuer_id = a.issuer_id;
  r.name = a.name;
  r.parent_id = a.parent_id;
  r.grants = a.grants;
  r.can_delegate = a.can_delegate;
  r.status = IssuerStatus::kActive;
  r.keys.push_back(IssuerKey{1, a.public_key, height, 0});
  r.created_height = r.updated_height = height;
  return r;
}

// The set of distinct keys that signed a transaction (all signatures already verified).
using Signers = std::set<Bytes>;

bool SignedBy(const Signers& s, const Bytes& key) { return s.count(key) > 0; }

size_t AdminSignatures(const Signers& s, const GovernanceRecord& g) {
  size_t n = 0;
  for (const auto& k : g.admin_keys) n += s.count(k);
  return n;
}

// Governance authorisation: kOk, or why not.
TxCode GovernanceAuth(const Signers& s, const GovernanceRecord& g) {
  const size_t n = AdminSignatures(s, g);
  if (n >= g.threshold) return TxCode::kOk;
  return n == 0 ? TxCode::kUnauthorized : TxCode::kInsufficientSignatures;
}

// One transaction's state transition. Holds the overlay and the block context.
class TxApplier {
 public:
  TxApplier(OverlayView& view, const BlockContext& ctx, const GovernanceRecord& gov,
            const Signers& signers, TxOutcome& out)
      : view_(view), ctx_(ctx), gov_(gov), signers_(signers), out_(out) {}

  TxCode operator()(const types::RegisterIssuer& a) {
    out_.issuer_ids.push_back(a.issuer_id);
    if (ReadIssuer(view_, a.issuer_id)) return TxCode::kIssuerExists;
    std::optional<IssuerRecord> parent;
    if (!a.parent_id.empty()) {
      out_.issuer_ids.push_back(a.parent_id);
      parent = ReadIssuer(view_, a.parent_id);
      if (!parent) return TxCode::kUnknownIssuer;
    }
    const TxCode gov_auth = GovernanceAuth(signers_, gov_);
    if (!parent) {
      if (gov_auth != TxCode::kOk) return gov_auth;
    } else {
      const bool by_parent = SignedBy(signers_, parent->current_key().public_key);
      if (!by_parent && gov_auth != TxCode::kOk) return gov_auth;
      if (parent->status != IssuerStatus::kActive) return TxCode::kIssuerInactive;
      if (gov_auth != TxCode::kOk && !parent->can_delegate) return TxCode::kCannotDelegate;
      if (!GrantsWithin(a.grants, parent->grants)) return TxCode::kScopeNotAllowed;
    }
    view_.Put(IssuerKeyOf(a.issuer_id), EncodeIssuer(NewIssuer(a, ctx_.height)));
    return TxCode::kOk;
  }

  TxCode operator()(const types::RotateIssuerKey& a) {
    out_.issuer_ids.push_back(a.issuer_id);
    auto issuer = ReadIssuer(view_, a.issuer_id);
    if (!issuer) return TxCode::kUnknownIssuer;
    if (!SignedBy(signers_, issuer->current_key().public_key)) {
      const TxCode gov_auth = GovernanceAuth(signers_, gov_);
      if (gov_auth != TxCode::kOk) return gov_auth;
    }
    if (issuer->status == IssuerStatus::kRetired) return TxCode::kIssuerInactive;
    for (const auto& k : issuer->keys) {
      if (k.public_key == a.new_public_key) return TxCode::kBadKey;
    }
    issuer->keys.back().to_height = ctx_.height;
    const uint32_t version = issuer->keys.back().key_version + 1;
    issuer->keys.push_back(IssuerKey{version, a.new_public_key, ctx_.height, 0});
    issuer->updated_height = ctx_.height;
    view_.Put(IssuerKeyOf(a.issuer_id), EncodeIssuer(*issuer));
    return TxCode::kOk;
  }

  TxCode operator()(const types::SetIssuerStatus& a) {
    out_.issuer_ids.push_back(a.issuer_id);
    auto issuer = ReadIssuer(view_, a.issuer_id);
    if (!issuer) return TxCode::kUnknownIssuer;
    if (TxCode auth = ParentOrGovernance(*issuer); auth != TxCode::kOk) return auth;
    if (issuer->status == IssuerStatus::kRetired || issuer->status == a.status) {
      return TxCode::kIllegalTransition;
    }
    issuer->status = a.status;
    issuer->status_reason = a.reason;
    issuer->updated_height = ctx_.height;
    view_.Put(IssuerKeyOf(a.issuer_id), EncodeIssuer(*issuer));
    return TxCode::kOk;
  }

  TxCode operator()(const types::IssueCredential& a) {
    out_.credential_ids.push_back(a.credential_id);
    out_.issuer_ids.push_back(a.issuer_id);
    auto issuer = ReadIssuer(view_, a.issuer_id);
    if (!issuer) return TxCode::kUnknownIssuer;
    if (!SignedBy(signers_, issuer->current_key().public_key)) return TxCode::kUnauthorized;
    if (issuer->status != IssuerStatus::kActive) return TxCode::kIssuerInactive;
    if (!issuer->Allows(a.type, a.level)) return TxCode::kScopeNotAllowed;
    if (view_.GetState(CredentialKeyOf(a.credential_id))) return TxCode::kCredentialExists;
    CredentialRecord c;
    c.credential_id = a.credential_id;
    c.type = a.type;
    c.level = a.level;
    c.issuer_id = a.issuer_id;
    c.key_version = issuer->current_key().key_version;
    c.card_digest = a.card_digest;
    c.valid_from = a.valid_from;
    c.valid_until = a.valid_until;
    c.status = CredentialStatus::kActive;
    c.status_index = issuer->next_status_index++;
    c.created_height = c.updated_height = ctx_.height;
    view_.Put(CredentialKeyOf(c.credential_id), EncodeCredential(c));
    view_.Put(IssuerKeyOf(a.issuer_id), EncodeIssuer(*issuer));
    return TxCode::kOk;
  }

  TxCode operator()(const types::SetCredentialStatus& a) {
    std::optional<CredentialRecord> cred;
    std::optional<IssuerRecord> issuer;
    if (!LoadCredential(a.credential_id, cred, issuer)) return TxCode::kUnknownCredential;
    if (!SignedBy(signers_, issuer->current_key().public_key)) {
      if (TxCode auth = ParentOrGovernance(*issuer); auth != TxCode::kOk) return auth;
    }
    if (cred->status == CredentialStatus::kRevoked || cred->status == a.status) {
      return TxCode::kIllegalTransition;
    }
    if (a.status == CredentialStatus::kActive && issuer->status != IssuerStatus::kActive) {
      return TxCode::kIssuerInactive;
    }
    cred->status = a.status;
    cred->status_reason = a.reason;
    cred->updated_height = ctx_.height;
    view_.Put(CredentialKeyOf(a.credential_id), EncodeCredential(*cred));
    return TxCode::kOk;
  }

  TxCode operator()(const types::RenewCredential& a) {
    std::optional<CredentialRecord> cred;
    std::optional<IssuerRecord> issuer;
    if (!LoadCredential(a.credential_id, cred, issuer)) return TxCode::kUnknownCredential;
    if (!SignedBy(signers_, issuer->current_key().public_key)) return TxCode::kUnauthorized;
    if (issuer->status != IssuerStatus::kActive) return TxCode::kIssuerInactive;
    if (cred->status == CredentialStatus::kRevoked) return TxCode::kIllegalTransition;
    cred->card_digest = a.card_digest;
    cred->valid_from = a.valid_from;
    cred->valid_until = a.valid_until;
    cred->key_version = issuer->current_key().key_version;
    cred->updated_height = ctx_.height;
    view_.Put(CredentialKeyOf(a.credential_id), EncodeCredential(*cred));
    return TxCode::kOk;
  }

  TxCode operator()(const types::UpdateGovernance& a) {
    if (TxCode auth = GovernanceAuth(signers_, gov_); auth != TxCode::kOk) return auth;
    GovernanceRecord g = gov_;
    g.admin_keys = a.admin_keys;
    g.threshold = a.threshold;
    view_.Put(std::string(kGovernanceKey), EncodeGovernance(g));
    return TxCode::kOk;
  }

  TxCode operator()(const types::UpdateValidatorSet& a) {
    if (TxCode auth = GovernanceAuth(signers_, gov_); auth != TxCode::kOk) return auth;
    GovernanceRecord g = gov_;
    g.validators = a.validators;
    g.validators_from_height = ctx_.height + 1;
    view_.Put(std::string(kGovernanceKey), EncodeGovernance(g));
    return TxCode::kOk;
  }

 private:
  // Reads a credential and its issuer, noting both for the history indexes.
  bool LoadCredential(const std::string& id, std::optional<CredentialRecord>& cred,
                      std::optional<IssuerRecord>& issuer) {
    out_.credential_ids.push_back(id);
    cred = ReadCredential(view_, id);
    if (!cred) return false;
    out_.issuer_ids.push_back(cred->issuer_id);
    issuer = ReadIssuer(view_, cred->issuer_id);
    LAUREL_CHECK(issuer.has_value(), "credential without its issuer in state");
    return true;
  }

  // Authorised by the issuer's parent's current key or by governance.
  TxCode ParentOrGovernance(const IssuerRecord& issuer) {
    if (!issuer.parent_id.empty()) {
      auto parent = ReadIssuer(view_, issuer.parent_id);
      if (parent && SignedBy(signers_, parent->current_key().public_key)) return TxCode::kOk;
    }
    return GovernanceAuth(signers_, gov_);
  }

  OverlayView& view_;
  const BlockContext& ctx_;
  const GovernanceRecord& gov_;
  const Signers& signers_;
  TxOutcome& out_;
};

}  // namespace

Hash32 ComputeStateRoot(const Hash32& prev_root, uint64_t height,
                        const std::map<std::string, std::string>& writes) {
  crypto::Sha256 h;
  h.Update(kStateRootDomain).Update(prev_root);
  std::string buf;
  AppendU64BE(buf, height);
  h.Update(buf);
  for (const auto& [k, v] : writes) {
    buf.clear();
    AppendU32BE(buf, static_cast<uint32_t>(k.size()));
    h.Update(buf).Update(k);
    buf.clear();
    AppendU32BE(buf, static_cast<uint32_t>(v.size()));
    h.Update(buf).Update(v);
  }
  return h.Finish();
}

Bytes TxRootLeaf(const Hash32& tx_id, TxCode code) {
  Bytes leaf(tx_id.begin(), tx_id.end());
  const auto c = static_cast<uint32_t>(code);
  for (int i = 3; i >= 0; --i) leaf.push_back(static_cast<uint8_t>(c >> (8 * i)));
  return leaf;
}

Executor::Executor(std::string chain_id, VerifiedCheck already_verified)
    : chain_id_(std::move(chain_id)), already_verified_(std::move(already_verified)) {}

TxCode Executor::CheckSigned(const types::Tx& tx, const Hash32& tx_id,
                             types::TxBody* body_out) const {
  auto body = types::DecodeTxBody(tx.body);
  if (!body.ok()) return TxCode::kMalformed;
  if (body->nonce.size() < kMinNonce || body->nonce.size() > kMaxNonce) return TxCode::kMalformed;
  if (tx.signatures.empty()) return TxCode::kMissingSignature;
  if (!already_verified_ || !already_verified_(tx, tx_id)) {
    for (const auto& s : tx.signatures) {
      if (!crypto::VerifyWithDomain(s.public_key, types::kTxSignDomain, tx.body, s.signature)) {
        return TxCode::kBadSignature;
      }
    }
  }
  *body_out = std::move(body).value();
  return TxCode::kOk;
}

TxCode Executor::CheckBody(const types::TxBody& body, uint64_t height) const {
  if (body.chain_id != chain_id_) return TxCode::kWrongChain;
  if (body.expires_at_height == 0 || height > body.expires_at_height) return TxCode::kExpired;
  return CheckActionForm(body.action);
}

TxCode Executor::CheckStateless(const types::Tx& tx, uint64_t height,
                                types::TxBody* body_out) const {
  types::TxBody body;
  TxCode code = CheckSigned(tx, crypto::Sha256Of(tx.body), &body);
  if (code == TxCode::kOk) code = CheckBody(body, height);
  if (code == TxCode::kOk && body_out) *body_out = std::move(body);
  return code;
}

BlockResult Executor::ExecuteBlock(const StateView& state, const BlockContext& ctx,
                                   std::span<const types::Tx> txs) const {
  BlockResult result;
  OverlayView view(state);
  std::vector<Hash32> leaves;
  leaves.reserve(txs.size());
  result.outcomes.reserve(txs.size());
  for (const types::Tx& tx : txs) {
    TxOutcome out;
    out.tx_id = crypto::Sha256Of(tx.body);
    if (!tx.signatures.empty()) out.signer = tx.signatures.front().public_key;
    types::TxBody body;
    out.code = CheckSigned(tx, out.tx_id, &body);
    // Only a transaction whose signatures verify spends its id: otherwise anyone could burn
    // a pending transaction's id by relaying its body with a forged signature.
    if (out.code == TxCode::kOk && view.HasTx(out.tx_id)) out.code = TxCode::kDuplicateTx;
    if (out.code == TxCode::kOk) {
      view.AddTx(out.tx_id);
      out.code = CheckBody(body, ctx.height);
    }
    if (out.code == TxCode::kOk) {
      out.action = types::ActionName(body.action);
      auto gov = ReadGovernance(view);
      LAUREL_CHECK(gov.has_value(), "executing a block on a state without genesis");
      Signers signers;
      for (const auto& s : tx.signatures) signers.insert(s.public_key);
      // Each action returns before its first Put on any failure, so a rejected
      // transaction changes nothing.
      out.code = std::visit(TxApplier(view, ctx, *gov, signers, out), body.action);
    }
    leaves.push_back(crypto::MerkleLeafHash(TxRootLeaf(out.tx_id, out.code)));
    result.outcomes.push_back(std::move(out));
  }
  result.writes = view.TakeWrites();
  result.state_root = ComputeStateRoot(ctx.prev_state_root, ctx.height, result.writes);
  result.tx_root = crypto::MerkleRoot(leaves);
  return result;
}

Status ValidateGenesis(const Genesis& g) {
  if (g.chain_id.empty() || g.chain_id.size() > 64 ||
      !std::all_of(g.chain_id.begin(), g.chain_id.end(),
                   [](char c) { return c > 0x20 && c < 0x7f; })) {
    return Status::InvalidArgument("genesis: chain_id must be 1-64 printable ASCII characters");
  }
  if (g.validators.empty()) return Status::InvalidArgument("genesis: no validators");
  if (CheckActionForm(types::UpdateValidatorSet{g.validators}) != TxCode::kOk) {
    return Status::InvalidArgument("genesis: validator keys must be 32 bytes and distinct");
  }
  const TxCode gov = CheckActionForm(types::UpdateGovernance{g.admin_keys, g.threshold});
  if (gov == TxCode::kBadKey || g.admin_keys.empty()) {
    return Status::InvalidArgument("genesis: admin keys must be 32 bytes, distinct, at least one");
  }
  if (gov != TxCode::kOk) {
    return Status::InvalidArgument("genesis: threshold must be between 1 and the number of admins");
  }
  std::map<std::string, const types::RegisterIssuer*> seen;
  for (const auto& r : g.issuers) {
    const TxCode form = CheckActionForm(r);
    if (form != TxCode::kOk) {
      return Status::InvalidArgument("genesis: issuer '" + r.issuer_id + "': " + TxCodeName(form));
    }
    if (seen.count(r.issuer_id)) {
      return Status::InvalidArgument("genesis: issuer '" + r.issuer_id + "' listed twice");
    }
    if (!r.parent_id.empty()) {
      auto it = seen.find(r.parent_id);
      if (it == seen.end()) {
        return Status::InvalidArgument("genesis: issuer '" + r.issuer_id + "': parent '" +
                                       r.parent_id + "' must be listed before it");
      }
      if (!GrantsWithin(r.grants, it->second->grants)) {
        return Status::InvalidArgument("genesis: issuer '" + r.issuer_id +
                                       "': grants exceed its parent's");
      }
    }
    seen[r.issuer_id] = &r;
  }
  return Status::Ok();
}

BlockResult ExecuteGenesis(const Genesis& g) {
  LAUREL_CHECK(ValidateGenesis(g).ok(), "ExecuteGenesis on an invalid genesis");
  BlockResult result;
  GovernanceRecord gov;
  gov.chain_id = g.chain_id;
  gov.admin_keys = g.admin_keys;
  gov.threshold = g.threshold;
  gov.validators = g.validators;
  gov.validators_from_height = 0;
  result.writes[std::string(kGovernanceKey)] = EncodeGovernance(gov);
  for (const auto& a : g.issuers) {
    result.writes[IssuerKeyOf(a.issuer_id)] = EncodeIssuer(NewIssuer(a, 0));
  }
  result.state_root = ComputeStateRoot(Hash32{}, 0, result.writes);
  result.tx_root = crypto::MerkleRoot({});
  return result;
}

}  // namespace laurel::ledger
