#include "ledger/executor.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <type_traits>
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
      "HELD_BY_HIGHER_AUTHORITY",
      "UNSAFE_TEXT",
  };
  const auto i = static_cast<uint32_t>(code);
  return i <= kMaxTxCode ? kNames[i] : "UNKNOWN_CODE";
}

namespace {

constexpr size_t kMinNonce = 8;
constexpr size_t kMaxNonce = 32;

// Reads through the writes made so far in this block, then the base state.
class OverlayView final : public StateView {
 public:
  explicit OverlayView(const StateView& base) : base_(base) {}
  std::optional<std::string> GetState(std::string_view key) const override {
    auto it = writes_.find(key);
    if (it != writes_.end()) return it->second;
    return base_.GetState(key);
  }
  bool HasTx(const Hash32& tx_id) const override {
    return in_block_.count(tx_id) > 0 || base_.HasTx(tx_id);
  }
  std::optional<std::string> GetTreeNode(std::string_view node_key) const override {
    return base_.GetTreeNode(node_key);
  }
  void Put(std::string key, std::string value) {
    if (key == kGovernanceKey) ++governance_writes_;
    writes_[std::move(key)] = std::move(value);
  }
  void AddTx(const Hash32& tx_id) { in_block_.insert(tx_id); }
  std::map<std::string, std::string> TakeWrites() {
    // Node handles move between maps of other comparators: no key or value is copied.
    std::map<std::string, std::string> out;
    while (!writes_.empty()) out.insert(out.end(), writes_.extract(writes_.begin()));
    return out;
  }
  // How many times the governance record was written through this overlay.
  uint64_t governance_writes() const { return governance_writes_; }

 private:
  struct HashOf {
    size_t operator()(const Hash32& h) const {
      size_t v;
      std::memcpy(&v, h.data(), sizeof v);
      return v;
    }
  };
  const StateView& base_;
  std::map<std::string, std::string, std::less<>> writes_;  // looked up by string_view
  std::unordered_set<Hash32, HashOf> in_block_;
  uint64_t governance_writes_ = 0;
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

// The depth of `issuer` (a root federation is 1), at most kMaxIssuerDepth + 1.
size_t DepthOf(const StateView& state, const IssuerRecord& issuer) {
  size_t depth = 1;
  std::string parent = issuer.parent_id;
  while (!parent.empty() && depth <= kMaxIssuerDepth) {
    auto p = ReadIssuer(state, parent);
    if (!p) break;
    parent = p->parent_id;
    ++depth;
  }
  return depth;
}

// The status chunks a block changes, kept decoded until the block ends: each issuance or status
// change would otherwise decode and re-encode its issuer's whole chunk (up to 1024 slots). Each
// chunk is written once, by Flush, with the same bytes the per-transaction writes ended with.
class StatusChunkCache {
 public:
  explicit StatusChunkCache(const StateView& view) : view_(view) {}
  // The chunk, read from the view on first use; a new empty one with `create`, else nullptr when
  // the state has none.
  StatusChunk* Find(const std::string& issuer_id, uint64_t chunk_no, bool create) {
    std::string key = StatusChunkKeyOf(issuer_id, chunk_no);
    auto it = chunks_.find(key);
    if (it == chunks_.end()) {
      auto c = ReadStatusChunk(view_, issuer_id, chunk_no);
      if (!c) {
        if (!create) return nullptr;
        c = StatusChunk{issuer_id, chunk_no, 0, {}, {}};
      }
      it = chunks_.emplace(std::move(key), std::move(*c)).first;
    }
    return &it->second;
  }
  void Flush(OverlayView& view) {
    for (const auto& [key, chunk] : chunks_) view.Put(key, EncodeStatusChunk(chunk));
    chunks_.clear();
  }

 private:
  const StateView& view_;
  std::map<std::string, StatusChunk> chunks_;
};

// One transaction's state transition. Holds the overlay and the block context.
//
// Authority (docs/issuer.md, "Who may change a status"): a signer acts as the highest of
// governance (k-of-n admins), the issuer's parent (its current key) and the issuer itself (its
// current key) that signed; a key of an issuer that is not active, or that has an inactive
// ancestor, counts for nothing. A status set by one authority is lifted (back to ACTIVE) only
// by it or a higher one.
class TxApplier {
 public:
  // kExecute applies everything. kAdmit (CheckAdmission) decides by the same rules but skips
  // the status list bookkeeping: its writes are discarded anyway, and the view it reads may
  // straddle a commit (the node admits beside its commits), where the list's invariants with
  // the issuer record need not hold.
  enum class Mode { kExecute, kAdmit };
  // kExecute keeps the status lists in `chunks` (flushed by the caller at the block's end).
  TxApplier(OverlayView& view, const BlockContext& ctx, const GovernanceRecord& gov,
            const Signers& signers, TxOutcome& out, Mode mode, StatusChunkCache* chunks)
      : view_(view),
        ctx_(ctx),
        gov_(gov),
        signers_(signers),
        out_(out),
        mode_(mode),
        chunks_(chunks) {
    LAUREL_CHECK(mode_ == Mode::kAdmit || chunks_ != nullptr, "execution without its status lists");
  }

  // Whether the signer was shown to have authority over the records the tx names (history).
  bool authorized() const { return authorized_; }

  TxCode operator()(const types::RegisterIssuer& a) {
    std::optional<IssuerRecord> parent;
    if (!a.parent_id.empty()) {
      parent = ReadIssuer(view_, a.parent_id);
      if (!parent) return TxCode::kUnknownIssuer;
    }
    const TxCode gov_auth = GovernanceAuth(signers_, gov_);
    const bool by_parent = parent && SignedBy(signers_, parent->current_key().public_key);
    if (gov_auth != TxCode::kOk && !by_parent) return gov_auth;
    Authorize({a.issuer_id, a.parent_id});
    if (gov_auth == TxCode::kOk) {
      SignedAs(Authority::kGovernance, nullptr);
    } else {
      SignedAs(Authority::kParent, &*parent);
    }
    if (ReadIssuer(view_, a.issuer_id)) return TxCode::kIssuerExists;
    if (parent) {
      if (FirstInactiveOnChain(view_, *parent)) return TxCode::kIssuerInactive;
      if (gov_auth != TxCode::kOk && !parent->can_delegate) return TxCode::kCannotDelegate;
      if (DepthOf(view_, *parent) >= kMaxIssuerDepth) return TxCode::kCannotDelegate;
      if (!GrantsWithin(a.grants, parent->grants)) return TxCode::kScopeNotAllowed;
    }
    view_.Put(IssuerKeyOf(a.issuer_id), EncodeIssuer(NewIssuer(a, ctx_.height)));
    return TxCode::kOk;
  }

  TxCode operator()(const types::RotateIssuerKey& a) {
    auto issuer = ReadIssuer(view_, a.issuer_id);
    if (!issuer) return TxCode::kUnknownIssuer;
    // The issuer's own key, or governance (e.g. after the key was compromised and the issuer
    // suspended: the suspended key cannot rotate itself out of governance's reach).
    const TxCode gov_auth = GovernanceAuth(signers_, gov_);
    const bool by_self = SignedBy(signers_, issuer->current_key().public_key);
    if (gov_auth != TxCode::kOk && !by_self) return gov_auth;
    Authorize({a.issuer_id});
    if (gov_auth == TxCode::kOk) {
      SignedAs(Authority::kGovernance, nullptr);
    } else {
      SignedAs(Authority::kIssuer, &*issuer);
    }
    if (issuer->status == IssuerStatus::kRetired) return TxCode::kIssuerInactive;
    if (gov_auth != TxCode::kOk && FirstInactiveOnChain(view_, *issuer)) {
      return TxCode::kIssuerInactive;
    }
    for (const auto& k : issuer->keys) {
      if (k.public_key == a.new_public_key) return TxCode::kBadKey;
    }
    issuer->keys.back().to_height = ctx_.height;
    const uint32_t version = issuer->keys.back().key_version + 1;
    issuer->keys.push_back(IssuerKey{version, a.new_public_key, ctx_.height, 0});
    out_.key_version = version;
    issuer->updated_height = ctx_.height;
    view_.Put(IssuerKeyOf(a.issuer_id), EncodeIssuer(*issuer));
    return TxCode::kOk;
  }

  TxCode operator()(const types::SetIssuerStatus& a) {
    auto issuer = ReadIssuer(view_, a.issuer_id);
    if (!issuer) return TxCode::kUnknownIssuer;
    auto who = AuthorityOver(*issuer, /*self_counts=*/false);
    if (!who.ok()) return who.code;
    Authorize({a.issuer_id});
    SignedAs(who.authority, who.signer ? &*who.signer : nullptr);
    if (issuer->status == IssuerStatus::kRetired) return TxCode::kIllegalTransition;
    if (TxCode c = CheckStatusChange(issuer->status == a.status, a.status == IssuerStatus::kActive,
                                     issuer->status_authority, who.authority);
        c != TxCode::kOk) {
      return c;
    }
    issuer->status = a.status;
    issuer->status_reason = a.reason;
    issuer->status_authority = a.status == IssuerStatus::kActive ? Authority::kNone : who.authority;
    issuer->updated_height = ctx_.height;
    view_.Put(IssuerKeyOf(a.issuer_id), EncodeIssuer(*issuer));
    return TxCode::kOk;
  }

  TxCode operator()(const types::IssueCredential& a) {
    auto issuer = ReadIssuer(view_, a.issuer_id);
    if (!issuer) return TxCode::kUnknownIssuer;
    if (!SignedBy(signers_, issuer->current_key().public_key)) return TxCode::kUnauthorized;
    Authorize({a.issuer_id});
    SignedAs(Authority::kIssuer, &*issuer);
    out_.credential_ids.push_back(a.credential_id);
    if (FirstInactiveOnChain(view_, *issuer)) return TxCode::kIssuerInactive;
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
    if (mode_ == Mode::kExecute) {
      StatusChunk* chunk =
          chunks_->Find(a.issuer_id, c.status_index / kStatusChunkSlots, /*create=*/true);
      LAUREL_CHECK(chunk->count == c.status_index % kStatusChunkSlots,
                   "status list out of step with the issuer's next status index");
      chunk->Append(SlotStatus::kActive, FingerprintOf(c));
    }
    view_.Put(CredentialKeyOf(c.credential_id), EncodeCredential(c));
    view_.Put(IssuerKeyOf(a.issuer_id), EncodeIssuer(*issuer));
    return TxCode::kOk;
  }

  TxCode operator()(const types::SetCredentialStatus& a) {
    std::optional<CredentialRecord> cred;
    std::optional<IssuerRecord> issuer;
    if (!LoadCredential(a.credential_id, cred, issuer)) return TxCode::kUnknownCredential;
    auto who = AuthorityOver(*issuer, /*self_counts=*/true);
    if (!who.ok()) return who.code;
    Authorize({cred->issuer_id});
    SignedAs(who.authority, who.signer ? &*who.signer : nullptr);
    out_.credential_ids.push_back(a.credential_id);
    Describe(*cred);
    if (cred->status == CredentialStatus::kRevoked) return TxCode::kIllegalTransition;
    if (TxCode c =
            CheckStatusChange(cred->status == a.status, a.status == CredentialStatus::kActive,
                              cred->status_authority, who.authority);
        c != TxCode::kOk) {
      return c;
    }
    // A card of an inactive issuer is refused at the gate whatever its status; reinstating it
    // would only look like a repair.
    if (a.status == CredentialStatus::kActive && FirstInactiveOnChain(view_, *issuer)) {
      return TxCode::kIssuerInactive;
    }
    cred->status = a.status;
    cred->status_reason = a.reason;
    cred->status_authority =
        a.status == CredentialStatus::kActive ? Authority::kNone : who.authority;
    cred->updated_height = ctx_.height;
    view_.Put(CredentialKeyOf(a.credential_id), EncodeCredential(*cred));
    UpdateSlot(*cred);
    return TxCode::kOk;
  }

  TxCode operator()(const types::RenewCredential& a) {
    std::optional<CredentialRecord> cred;
    std::optional<IssuerRecord> issuer;
    if (!LoadCredential(a.credential_id, cred, issuer)) return TxCode::kUnknownCredential;
    if (!SignedBy(signers_, issuer->current_key().public_key)) return TxCode::kUnauthorized;
    Authorize({cred->issuer_id});
    SignedAs(Authority::kIssuer, &*issuer);
    out_.credential_ids.push_back(a.credential_id);
    Describe(*cred);
    if (FirstInactiveOnChain(view_, *issuer)) return TxCode::kIssuerInactive;
    if (cred->status == CredentialStatus::kRevoked) return TxCode::kIllegalTransition;
    cred->card_digest = a.card_digest;
    cred->valid_from = a.valid_from;
    cred->valid_until = a.valid_until;
    cred->key_version = issuer->current_key().key_version;
    cred->updated_height = ctx_.height;
    view_.Put(CredentialKeyOf(a.credential_id), EncodeCredential(*cred));
    UpdateSlot(*cred);
    return TxCode::kOk;
  }

  TxCode operator()(const types::UpdateGovernance& a) {
    if (TxCode auth = GovernanceAuth(signers_, gov_); auth != TxCode::kOk) return auth;
    authorized_ = true;
    SignedAs(Authority::kGovernance, nullptr);
    GovernanceRecord g = gov_;
    g.admin_keys = a.admin_keys;
    g.threshold = a.threshold;
    view_.Put(std::string(kGovernanceKey), EncodeGovernance(g));
    return TxCode::kOk;
  }

  TxCode operator()(const types::UpdateValidatorSet& a) {
    if (TxCode auth = GovernanceAuth(signers_, gov_); auth != TxCode::kOk) return auth;
    authorized_ = true;
    SignedAs(Authority::kGovernance, nullptr);
    GovernanceRecord g = gov_;
    g.validators = a.validators;
    g.validators_from_height = ctx_.height + 1;
    view_.Put(std::string(kGovernanceKey), EncodeGovernance(g));
    return TxCode::kOk;
  }

 private:
  struct Who {
    Authority authority = Authority::kNone;
    TxCode code = TxCode::kUnauthorized;                // why not, when authority is kNone
    std::optional<IssuerRecord> signer = std::nullopt;  // kParent, kIssuer: whose key signed
    bool ok() const { return authority != Authority::kNone; }
  };

  // Records who signed (history): the authority, and the issuer whose current key it was or
  // the admin keys that signed.
  void SignedAs(Authority a, const IssuerRecord* signer) {
    out_.signed_as = a;
    if (a == Authority::kGovernance) {
      for (const auto& k : gov_.admin_keys) {
        if (SignedBy(signers_, k)) out_.signer_admins.push_back(k);
      }
    } else if (signer != nullptr) {
      out_.signer_issuer_id = signer->issuer_id;
      out_.signer_key_version = signer->current_key().key_version;
    }
  }

  // The credential's kind, for the history entry of a status change or renewal.
  void Describe(const CredentialRecord& c) {
    out_.type = c.type;
    out_.level = c.level;
    out_.issuer_id = c.issuer_id;
  }

  // The highest authority over `issuer` (and its credentials, when `self_counts`) among the
  // signers. A key of an inactive issuer (or one below an inactive ancestor) counts for
  // nothing; when such a key is all there is, the answer is ISSUER_INACTIVE.
  Who AuthorityOver(const IssuerRecord& issuer, bool self_counts) {
    const TxCode gov_auth = GovernanceAuth(signers_, gov_);
    if (gov_auth == TxCode::kOk) return {Authority::kGovernance, TxCode::kOk};
    bool inactive_signer = false;
    if (!issuer.parent_id.empty()) {
      auto parent = ReadIssuer(view_, issuer.parent_id);
      if (parent && SignedBy(signers_, parent->current_key().public_key)) {
        if (!FirstInactiveOnChain(view_, *parent)) {
          return {Authority::kParent, TxCode::kOk, std::move(parent)};
        }
        inactive_signer = true;
      }
    }
    if (self_counts && SignedBy(signers_, issuer.current_key().public_key)) {
      if (!FirstInactiveOnChain(view_, issuer)) return {Authority::kIssuer, TxCode::kOk, issuer};
      inactive_signer = true;
    }
    return {Authority::kNone, inactive_signer ? TxCode::kIssuerInactive : gov_auth};
  }

  // A status change by `by` of a status held by `held`. Lifting a status (to ACTIVE) needs an
  // authority at least as high as the one that set it. Setting the status a record already has
  // is illegal, except that a higher authority may take over a status (so that the lower one
  // can no longer lift it).
  static TxCode CheckStatusChange(bool same_status, bool to_active, Authority held, Authority by) {
    if (same_status) {
      return !to_active && by > held ? TxCode::kOk : TxCode::kIllegalTransition;
    }
    if (to_active && by < held) return TxCode::kHeldByHigherAuthority;
    return TxCode::kOk;
  }

  // The signer has authority over these issuers: the tx enters their histories even when it
  // is rejected later (e.g. an illegal transition by the issuer itself).
  void Authorize(std::initializer_list<std::string_view> issuer_ids) {
    authorized_ = true;
    for (auto id : issuer_ids) {
      if (!id.empty()) out_.issuer_ids.emplace_back(id);
    }
  }

  // Sets the credential's slot in its issuer's status list to its record's status and
  // fingerprint.
  void UpdateSlot(const CredentialRecord& c) {
    if (mode_ == Mode::kAdmit) return;
    StatusChunk* chunk =
        chunks_->Find(c.issuer_id, c.status_index / kStatusChunkSlots, /*create=*/false);
    LAUREL_CHECK(chunk != nullptr && c.status_index % kStatusChunkSlots < chunk->count,
                 "credential without its status list slot");
    const auto slot = static_cast<uint32_t>(c.status_index % kStatusChunkSlots);
    chunk->SetStatus(slot, SlotStatusOf(c.status));
    chunk->SetFingerprint(slot, FingerprintOf(c));
  }

  // Reads a credential and its issuer.
  bool LoadCredential(const std::string& id, std::optional<CredentialRecord>& cred,
                      std::optional<IssuerRecord>& issuer) {
    cred = ReadCredential(view_, id);
    if (!cred) return false;
    issuer = ReadIssuer(view_, cred->issuer_id);
    LAUREL_CHECK(issuer.has_value(), "credential without its issuer in state");
    return true;
  }

  OverlayView& view_;
  const BlockContext& ctx_;
  const GovernanceRecord& gov_;
  const Signers& signers_;
  TxOutcome& out_;
  const Mode mode_;
  StatusChunkCache* chunks_;
  bool authorized_ = false;
};

// The history fields a transaction's body gives (the applier adds what the records give).
void DescribeAction(const types::Action& action, TxOutcome& out) {
  std::visit(
      [&out](const auto& a) {
        using A = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<A, types::RegisterIssuer> ||
                      std::is_same_v<A, types::RotateIssuerKey>) {
          out.issuer_id = a.issuer_id;
        } else if constexpr (std::is_same_v<A, types::SetIssuerStatus>) {
          out.issuer_id = a.issuer_id;
          out.new_status = static_cast<uint32_t>(a.status);
          out.reason = a.reason;
        } else if constexpr (std::is_same_v<A, types::IssueCredential>) {
          out.issuer_id = a.issuer_id;
          out.type = a.type;
          out.level = a.level;
          out.valid_from = a.valid_from;
          out.valid_until = a.valid_until;
        } else if constexpr (std::is_same_v<A, types::SetCredentialStatus>) {
          out.new_status = static_cast<uint32_t>(a.status);
          out.reason = a.reason;
        } else if constexpr (std::is_same_v<A, types::RenewCredential>) {
          out.valid_from = a.valid_from;
          out.valid_until = a.valid_until;
        }
      },
      action);
}

}  // namespace

std::optional<IssuerRecord> FirstInactiveOnChain(const StateView& state,
                                                 const IssuerRecord& issuer) {
  if (issuer.status != IssuerStatus::kActive) return issuer;
  std::string parent = issuer.parent_id;
  for (size_t depth = 1; !parent.empty() && depth <= kMaxIssuerDepth; ++depth) {
    auto p = ReadIssuer(state, parent);
    LAUREL_CHECK(p.has_value(), "issuer whose parent is not in state");
    if (p->status != IssuerStatus::kActive) return p;
    parent = p->parent_id;
  }
  return std::nullopt;
}

void IndexGateRecords(const std::function<std::optional<std::string>(const std::string&)>& read,
                      uint64_t height, std::map<std::string, std::string>& writes) {
  std::map<uint32_t, std::vector<std::pair<std::string, Hash32>>> by_bucket;
  for (const auto& [key, value] : writes) {
    auto issuer = GateListedIssuer(key);
    if (!issuer) continue;
    by_bucket[GateBucketOf(*issuer)].emplace_back(key, crypto::Sha256Of(value));
  }
  for (auto& [bucket, changed] : by_bucket) {
    const std::string key = GateIndexKeyOf(bucket);
    GateIndex index;
    index.bucket = bucket;
    if (auto old = read(key)) {
      auto d = DecodeGateIndex(*old);
      LAUREL_CHECK(d.ok(), "corrupt gate index record in state");
      index = std::move(d).value();
    }
    std::map<std::string, GateIndexEntry> entries;
    for (auto& e : index.entries) entries.emplace(e.key, std::move(e));
    for (auto& [k, h] : changed) entries[k] = GateIndexEntry{k, h, height};
    index.entries.clear();
    for (auto& [k, e] : entries) index.entries.push_back(std::move(e));
    writes[key] = EncodeGateIndex(index);
  }
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

std::shared_ptr<const GovernanceRecord> Executor::GovernanceOf(const StateView& state) const {
  auto raw = state.GetState(kGovernanceKey);
  if (!raw) return nullptr;
  std::shared_ptr<const CachedGovernance> cached;
  {
    std::lock_guard lock(gov_mu_);
    cached = gov_cache_;
  }
  if (!cached || cached->raw != *raw) {
    auto r = DecodeGovernance(*raw);
    LAUREL_CHECK(r.ok(), "corrupt governance record in state");
    cached = std::make_shared<const CachedGovernance>(
        CachedGovernance{std::move(*raw), std::move(r).value()});
    std::lock_guard lock(gov_mu_);
    gov_cache_ = cached;
  }
  // Shares ownership with the cache entry: a later record replaces the entry, never this one.
  return std::shared_ptr<const GovernanceRecord>(cached, &cached->record);
}

TxCode Executor::CheckAdmission(const StateView& state, const types::Tx& tx, uint64_t next_height,
                                types::TxBody* body_out) const {
  types::TxBody body;
  TxCode code = CheckStateless(tx, next_height, &body);
  if (code != TxCode::kOk) return code;
  OverlayView view(state);  // the writes are discarded with it
  auto gov = GovernanceOf(view);
  LAUREL_CHECK(gov != nullptr, "admission on a state without genesis");
  Signers signers;
  for (const auto& s : tx.signatures) signers.insert(s.public_key);
  TxOutcome out;
  const BlockContext ctx{next_height, 0, Hash32{}};
  TxApplier apply(view, ctx, *gov, signers, out, TxApplier::Mode::kAdmit, nullptr);
  code = std::visit(apply, body.action);
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
  StatusChunkCache chunks(view);
  // The governance record, read again only after a transaction of this block wrote it.
  std::shared_ptr<const GovernanceRecord> gov;
  uint64_t gov_read_at = 0;  // view.governance_writes() when `gov` was read
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
      DescribeAction(body.action, out);
      if (!gov || gov_read_at != view.governance_writes()) {
        gov = GovernanceOf(view);
        gov_read_at = view.governance_writes();
      }
      LAUREL_CHECK(gov != nullptr, "executing a block on a state without genesis");
      Signers signers;
      for (const auto& s : tx.signatures) signers.insert(s.public_key);
      // Each action returns before its first Put on any failure, so a rejected
      // transaction changes nothing.
      TxApplier apply(view, ctx, *gov, signers, out, TxApplier::Mode::kExecute, &chunks);
      out.code = std::visit(apply, body.action);
      LAUREL_CHECK(out.code != TxCode::kOk || apply.authorized(), "OK without authority");
    }
    leaves.push_back(crypto::MerkleLeafHash(TxRootLeaf(out.tx_id, out.code)));
    result.outcomes.push_back(std::move(out));
  }
  chunks.Flush(view);
  result.writes = view.TakeWrites();
  // The transaction log: every transaction of the block, in block order, appended with the
  // same leaf as the tx_root's. Its head is a state record, so the state root certifies it.
  const auto log_record = state.GetState(kTxLogKey);
  LAUREL_CHECK(log_record.has_value(),
               "the state has no transaction log record 'l': the store was written by a release "
               "before the transaction log (start a new chain, docs/operator.md)");
  auto head = crypto::DecodeLogHead(*log_record);
  LAUREL_CHECK(head.ok(), "the state's transaction log record 'l' does not decode");
  result.log = std::move(head).value();
  if (!leaves.empty()) {
    crypto::AppendToLog(result.log, leaves, &result.log_nodes);
    result.writes[std::string(kTxLogKey)] = crypto::EncodeLogHead(result.log);
  }
  IndexGateRecords([&state](const std::string& k) { return state.GetState(k); }, ctx.height,
                   result.writes);
  result.tree = UpdateStateTree(state, ctx.height, result.writes);
  result.state_root = result.tree.root;
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
  result.log = crypto::EmptyLogHead();
  result.writes[std::string(kTxLogKey)] = crypto::EncodeLogHead(result.log);
  IndexGateRecords([](const std::string&) { return std::optional<std::string>(); }, 0,
                   result.writes);
  struct NoTree final : TreeReader {
    std::optional<std::string> GetTreeNode(std::string_view) const override { return std::nullopt; }
  };
  result.tree = UpdateStateTree(NoTree{}, 0, result.writes);
  result.state_root = result.tree.root;
  result.tx_root = crypto::MerkleRoot({});
  return result;
}

}  // namespace laurel::ledger
