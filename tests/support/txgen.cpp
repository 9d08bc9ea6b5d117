#include "tests/support/txgen.h"

#include <algorithm>
#include <functional>
#include <sstream>

#include "crypto/ed25519.h"
#include "crypto/sha256.h"
#include "ledger/state.h"

namespace laurel::test {
namespace {

using crypto::PrivateKey;
using ledger::TxCode;
using types::CredentialStatus;
using types::CredentialType;
using types::IssuerStatus;
using types::Level;
using types::TypeGrant;

using KeyPtr = std::shared_ptr<const PrivateKey>;

constexpr Level kAllLevels[] = {Level::kNational, Level::kProvincial, Level::kMunicipal,
                                Level::kDistrict, Level::kEnterprise};
constexpr int kMaxDepth = 3;
constexpr size_t kSpentRing = 64;

// SplitMix64: a tiny generator with a fixed, documented output on every platform.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : Next() % n; }
  bool Chance(double p) { return static_cast<double>(Next() >> 11) * 0x1.0p-53 < p; }
  Bytes RandomBytes(size_t n) {
    Bytes b(n);
    for (auto& x : b) x = static_cast<uint8_t>(Next());
    return b;
  }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Below(v.size())];
  }

 private:
  uint64_t s_;
};

KeyPtr DeriveKey(uint64_t seed, const std::string& label) {
  std::string material;
  AppendU64BE(material, seed);
  material += label;
  const Hash32 h = crypto::Sha256Of(material);
  auto k = PrivateKey::FromSeed(h);
  LAUREL_CHECK(k.ok(), "key derivation failed");
  return std::make_shared<const PrivateKey>(std::move(k).value());
}

Bytes PublicOf(const KeyPtr& k) { return Bytes(k->public_key().begin(), k->public_key().end()); }

struct IssuerM {
  std::string id;
  std::string parent;
  std::vector<TypeGrant> grants;
  bool can_delegate = false;
  IssuerStatus status = IssuerStatus::kActive;
  ledger::Authority auth = ledger::Authority::kNone;  // who set `status`
  uint32_t key_version = 1;
  KeyPtr key;
  KeyPtr old_key;  // the previous key, if any
  int depth = 0;
};

struct CredM {
  std::string issuer;
  CredentialType type = CredentialType::kMember;
  Level level = Level::kUnspecified;
  CredentialStatus status = CredentialStatus::kActive;
  ledger::Authority auth = ledger::Authority::kNone;  // who set `status`
};

// The generator's picture of the ledger state. While a block is generated, every change is
// journaled so that Observe can roll the optimistic changes back and apply only those of the
// transactions that committed (copying the whole model per block would grow with the chain).
struct Model {
  std::map<std::string, IssuerM> issuers;
  std::vector<std::string> issuer_ids;  // in creation order (for random picks)
  std::map<std::string, CredM> creds;
  std::vector<std::string> cred_ids;
  bool journaling = false;
  std::vector<std::function<void(Model&)>> undo;

  void AddIssuer(IssuerM m) {
    if (journaling) {
      undo.push_back([id = m.id](Model& x) {
        x.issuers.erase(id);
        x.issuer_ids.pop_back();
      });
    }
    issuer_ids.push_back(m.id);
    issuers[m.id] = std::move(m);
  }
  void AddCred(const std::string& id, CredM c) {
    if (journaling) {
      undo.push_back([id](Model& x) {
        x.creds.erase(id);
        x.cred_ids.pop_back();
      });
    }
    cred_ids.push_back(id);
    creds[id] = std::move(c);
  }
  IssuerM& MutIssuer(const std::string& id) {
    IssuerM& m = issuers.at(id);
    if (journaling) undo.push_back([id, old = m](Model& x) { x.issuers.at(id) = old; });
    return m;
  }
  CredM& MutCred(const std::string& id) {
    CredM& c = creds.at(id);
    if (journaling) undo.push_back([id, old = c](Model& x) { x.creds.at(id) = old; });
    return c;
  }
  void Rollback() {
    journaling = false;
    while (!undo.empty()) {
      auto f = std::move(undo.back());
      undo.pop_back();
      f(*this);
    }
  }
};

using Effect = std::function<void(Model&)>;

// A transaction before signing.
struct Draft {
  types::TxBody body;
  std::vector<KeyPtr> signers;
  Effect effect;  // applied when it commits with kOk
  TxCode expected = TxCode::kOk;
  std::string what;
};

struct Pending {
  types::Tx tx;
  types::TxBody body;
  std::vector<KeyPtr> signers;
  Effect effect;
  TxCode expected;
  std::string what;
  std::string action;
};

bool Allows(const std::vector<TypeGrant>& grants, CredentialType t, Level l) {
  for (const auto& g : grants) {
    if (g.type != t) continue;
    if (t == CredentialType::kMember) return l == Level::kUnspecified;
    return std::find(g.levels.begin(), g.levels.end(), l) != g.levels.end();
  }
  return false;
}

const char* StatusName(CredentialStatus s) { return types::CredentialStatusName(s); }

}  // namespace

struct TxGen::Impl {
  uint64_t seed;
  TxGenOptions opt;
  Rng rng;
  ledger::Genesis genesis;
  std::vector<KeyPtr> admins;
  KeyPtr stranger;
  Model model;
  std::vector<Pending> pending;
  // Recent committed valid transactions (body and signers), for exact replays.
  std::vector<std::pair<types::TxBody, std::vector<KeyPtr>>> spent;
  size_t spent_next = 0;
  TxGenStats stats;
  std::vector<std::string> mismatches;
  // Name counters advance on generation whatever the outcome, so names are never reused.
  uint64_t next_issuer = 0;
  uint64_t next_validator = 0;
  std::map<std::string, uint64_t> next_cred;
  uint64_t next_ghost = 0;
  uint64_t height = 0;
  bool sign = true;

  Impl(uint64_t s, TxGenOptions o) : seed(s), opt(o), rng(s ^ 0x6c617572656c2d67ULL) {
    genesis.chain_id = "laurel-test";
    genesis.genesis_time_ms = opt.genesis_time_ms;
    for (int i = 0; i < 4; ++i) {
      auto k = DeriveKey(seed, "validator/" + std::to_string(i));
      genesis.validators.push_back(types::Validator{PublicOf(k), "v" + std::to_string(i),
                                                    "127.0.0.1:" + std::to_string(26650 + i)});
    }
    for (size_t i = 0; i < opt.admins; ++i) {
      admins.push_back(DeriveKey(seed, "admin/" + std::to_string(i)));
      genesis.admin_keys.push_back(PublicOf(admins.back()));
    }
    genesis.threshold = opt.threshold;
    stranger = DeriveKey(seed, "stranger");

    IssuerM root;
    root.id = "root";
    root.grants = {TypeGrant{CredentialType::kMember, {}},
                   TypeGrant{CredentialType::kModelWorker,
                             std::vector<Level>(std::begin(kAllLevels), std::end(kAllLevels))}};
    root.can_delegate = true;
    root.key = DeriveKey(seed, "issuer/root/1");
    IssuerM rm;
    rm.id = "rm";
    rm.parent = "root";
    rm.grants = {TypeGrant{CredentialType::kMember, {}}};
    rm.key = DeriveKey(seed, "issuer/rm/1");
    rm.depth = 1;
    for (const IssuerM* m : {&root, &rm}) {
      genesis.issuers.push_back(types::RegisterIssuer{
          m->id, "Issuer " + m->id, m->parent, PublicOf(m->key), m->grants, m->can_delegate});
    }
    model.AddIssuer(root);
    model.AddIssuer(rm);
  }

  // ---- helpers over the working model ----

  types::TxBody Body(types::Action a) {
    types::TxBody b;
    b.chain_id = genesis.chain_id;
    b.nonce = rng.RandomBytes(8 + rng.Below(25));
    b.expires_at_height = height + rng.Below(50);
    b.action = std::move(a);
    return b;
  }

  std::vector<KeyPtr> GovernanceSigners(size_t n) {
    std::vector<KeyPtr> pool = admins;
    std::vector<KeyPtr> out;
    for (size_t i = 0; i < n && !pool.empty(); ++i) {
      const size_t j = rng.Below(pool.size());
      out.push_back(pool[j]);
      pool.erase(pool.begin() + static_cast<std::ptrdiff_t>(j));
    }
    return out;
  }

  // A random issuer id from the model satisfying `pred`, or "" (a few random tries, then a
  // scan from a random start so the choice stays deterministic and cheap).
  // Active, and so is every ancestor (the ledger's FirstInactiveOnChain finds none).
  static bool EffActive(const Model& w, const std::string& id) {
    for (std::string cur = id; !cur.empty(); cur = w.issuers.at(cur).parent) {
      if (w.issuers.at(cur).status != IssuerStatus::kActive) return false;
    }
    return true;
  }

  std::string PickIssuer(const Model& w, const std::function<bool(const IssuerM&)>& pred) {
    const size_t n = w.issuer_ids.size();
    const size_t start = rng.Below(n);
    for (size_t i = 0; i < n; ++i) {
      const auto& id = w.issuer_ids[(start + i) % n];
      if (pred(w.issuers.at(id))) return id;
    }
    return "";
  }
  std::string PickCred(const Model& w, const std::function<bool(const CredM&)>& pred) {
    const size_t n = w.cred_ids.size();
    if (n == 0) return "";
    for (int tries = 0; tries < 16; ++tries) {
      const auto& id = w.cred_ids[rng.Below(n)];
      if (pred(w.creds.at(id))) return id;
    }
    return "";
  }

  std::vector<TypeGrant> RandomGrants(const std::vector<TypeGrant>& within) {
    std::vector<TypeGrant> out;
    for (const auto& g : within) {
      if (!rng.Chance(0.7)) continue;
      TypeGrant t{g.type, {}};
      for (Level l : g.levels) {
        if (rng.Chance(0.6)) t.levels.push_back(l);
      }
      if (g.type == CredentialType::kModelWorker && t.levels.empty())
        t.levels.push_back(g.levels[0]);
      out.push_back(std::move(t));
    }
    if (out.empty()) {
      const auto& g = within[rng.Below(within.size())];
      out.push_back(TypeGrant{
          g.type, g.levels.empty() ? std::vector<Level>{} : std::vector<Level>{g.levels.back()}});
    }
    return out;
  }

  std::string NewCredId(const std::string& issuer, CredentialType t) {
    return issuer + (t == CredentialType::kMember ? "/m/" : "/mw/") +
           std::to_string(++next_cred[issuer]);
  }

  types::IssueCredential IssueAction(const IssuerM& is) {
    const auto& g = is.grants[rng.Below(is.grants.size())];
    types::IssueCredential a;
    a.issuer_id = is.id;
    a.type = g.type;
    a.level = g.levels.empty() ? Level::kUnspecified : g.levels[rng.Below(g.levels.size())];
    a.credential_id = NewCredId(is.id, a.type);
    a.card_digest = rng.RandomBytes(32);
    a.valid_from = 1'700'000'000 + rng.Below(100'000'000);
    a.valid_until = a.valid_from + 86'400 * (1 + rng.Below(1000));
    return a;
  }

  // ---- valid drafts (expected kOk against the working model) ----

  std::optional<Draft> ValidIssue(const Model& w) {
    const auto id = PickIssuer(w, [&](const IssuerM& m) { return EffActive(w, m.id); });
    if (id.empty()) return std::nullopt;
    const auto& is = w.issuers.at(id);
    auto a = IssueAction(is);
    Draft d{Body(a), {is.key}, nullptr, TxCode::kOk, "issue " + a.credential_id};
    d.effect = [a](Model& m) { m.AddCred(a.credential_id, CredM{a.issuer_id, a.type, a.level}); };
    return d;
  }

  std::optional<Draft> ValidSetStatus(const Model& w) {
    const auto id =
        PickCred(w, [](const CredM& c) { return c.status != CredentialStatus::kRevoked; });
    if (id.empty()) return std::nullopt;
    const auto& c = w.creds.at(id);
    const auto& is = w.issuers.at(c.issuer);
    CredentialStatus to;
    if (c.status == CredentialStatus::kActive) {
      to = rng.Chance(0.7) ? CredentialStatus::kSuspended : CredentialStatus::kRevoked;
    } else {
      to = rng.Chance(0.6) ? CredentialStatus::kActive : CredentialStatus::kRevoked;
    }
    std::vector<KeyPtr> signers;
    const uint64_t who = rng.Below(100);
    std::string by = "issuer";
    ledger::Authority auth = ledger::Authority::kIssuer;
    bool signer_active = EffActive(w, c.issuer);
    if (who < 15 && !is.parent.empty()) {
      signers = {w.issuers.at(is.parent).key};
      by = "parent";
      auth = ledger::Authority::kParent;
      signer_active = EffActive(w, is.parent);
    } else if (who < 30) {
      signers = GovernanceSigners(opt.threshold);
      by = "governance";
      auth = ledger::Authority::kGovernance;
      signer_active = true;
    } else {
      signers = {is.key};
    }
    Draft d{Body(types::SetCredentialStatus{id, to, "reason " + std::to_string(rng.Below(100))}),
            signers, nullptr, TxCode::kOk,
            std::string("set ") + id + " " + StatusName(c.status) + "->" + StatusName(to) + " by " +
                by};
    if (!signer_active) {  // a key of an inactive issuer (or below one) acts on nothing
      d.expected = TxCode::kIssuerInactive;
      return d;
    }
    if (to == CredentialStatus::kActive && auth < c.auth) {
      d.expected = TxCode::kHeldByHigherAuthority;
      return d;
    }
    if (to == CredentialStatus::kActive && !EffActive(w, c.issuer)) {
      d.expected = TxCode::kIssuerInactive;
      return d;
    }
    d.effect = [id, to, auth](Model& m) {
      auto& x = m.MutCred(id);
      x.status = to;
      x.auth = to == CredentialStatus::kActive ? ledger::Authority::kNone : auth;
    };
    return d;
  }

  std::optional<Draft> ValidRenew(const Model& w) {
    const auto id = PickCred(w, [&](const CredM& c) {
      return c.status != CredentialStatus::kRevoked && EffActive(w, c.issuer);
    });
    if (id.empty()) return std::nullopt;
    const auto& is = w.issuers.at(w.creds.at(id).issuer);
    types::RenewCredential a{id, rng.RandomBytes(32), 0, 0};
    a.valid_from = 1'700'000'000 + rng.Below(100'000'000);
    a.valid_until = a.valid_from + 1 + rng.Below(100'000'000);
    return Draft{Body(a), {is.key}, [](Model&) {}, TxCode::kOk, "renew " + id};
  }

  Draft RegisterTop() {
    const std::string id = "u" + std::to_string(++next_issuer);
    IssuerM m;
    m.id = id;
    m.grants = RandomGrants(model.issuers.at("root").grants);
    m.can_delegate = rng.Chance(0.6);
    m.key = DeriveKey(seed, "issuer/" + id + "/1");
    types::RegisterIssuer a{id, "Union " + id, "", PublicOf(m.key), m.grants, m.can_delegate};
    const size_t n = opt.threshold + rng.Below(opt.admins - opt.threshold + 1);
    Draft d{Body(a), GovernanceSigners(n), nullptr, TxCode::kOk,
            "register " + id + " by " + std::to_string(n) + " admins"};
    d.effect = [m](Model& w) { w.AddIssuer(m); };
    return d;
  }

  std::optional<Draft> RegisterDelegated(const Model& w) {
    const auto pid = PickIssuer(w, [&](const IssuerM& m) {
      return EffActive(w, m.id) && m.can_delegate && m.depth < kMaxDepth;
    });
    if (pid.empty()) return std::nullopt;
    const auto& p = w.issuers.at(pid);
    IssuerM m;
    m.id = pid + "-" + std::to_string(++next_issuer);
    m.parent = pid;
    m.depth = p.depth + 1;
    m.grants = RandomGrants(p.grants);
    m.can_delegate = rng.Chance(0.5);
    m.key = DeriveKey(seed, "issuer/" + m.id + "/1");
    types::RegisterIssuer a{m.id, "Union " + m.id, pid, PublicOf(m.key), m.grants, m.can_delegate};
    Draft d{Body(a), {p.key}, nullptr, TxCode::kOk, "register " + m.id + " under " + pid};
    d.effect = [m](Model& x) { x.AddIssuer(m); };
    return d;
  }

  std::optional<Draft> Rotate(const Model& w) {
    const auto id =
        PickIssuer(w, [](const IssuerM& m) { return m.status != IssuerStatus::kRetired; });
    if (id.empty()) return std::nullopt;
    const auto& is = w.issuers.at(id);
    const uint32_t v = is.key_version + 1;
    KeyPtr nk = DeriveKey(seed, "issuer/" + id + "/" + std::to_string(v));
    const bool by_gov = rng.Chance(0.2);
    Draft d{Body(types::RotateIssuerKey{id, PublicOf(nk)}),
            by_gov ? GovernanceSigners(opt.threshold) : std::vector<KeyPtr>{is.key}, nullptr,
            TxCode::kOk, "rotate " + id + " to v" + std::to_string(v)};
    if (!by_gov && !EffActive(w, id)) {  // a suspended issuer's key cannot rotate itself
      d.expected = TxCode::kIssuerInactive;
      return d;
    }
    d.effect = [id, nk, v](Model& m) {
      auto& x = m.MutIssuer(id);
      x.old_key = x.key;
      x.key = nk;
      x.key_version = v;
    };
    return d;
  }

  std::optional<Draft> IssuerStatusChange(const Model& w) {
    const auto id = PickIssuer(
        w, [](const IssuerM& m) { return m.status != IssuerStatus::kRetired && m.id != "root"; });
    if (id.empty()) return std::nullopt;
    const auto& is = w.issuers.at(id);
    IssuerStatus to =
        is.status == IssuerStatus::kActive ? IssuerStatus::kSuspended : IssuerStatus::kActive;
    if (rng.Chance(0.05)) to = IssuerStatus::kRetired;
    std::vector<KeyPtr> signers = GovernanceSigners(opt.threshold);
    ledger::Authority auth = ledger::Authority::kGovernance;
    if (!is.parent.empty() && rng.Chance(0.5)) {
      signers = {w.issuers.at(is.parent).key};
      auth = ledger::Authority::kParent;
    }
    Draft d{Body(types::SetIssuerStatus{id, to, "review"}), signers, nullptr, TxCode::kOk,
            std::string("issuer ") + id + " -> " + types::IssuerStatusName(to) + " by " +
                ledger::AuthorityName(auth)};
    if (auth == ledger::Authority::kParent && !EffActive(w, is.parent)) {
      d.expected = TxCode::kIssuerInactive;
      return d;
    }
    if (to == IssuerStatus::kActive && auth < is.auth) {
      d.expected = TxCode::kHeldByHigherAuthority;
      return d;
    }
    d.effect = [id, to, auth](Model& m) {
      auto& x = m.MutIssuer(id);
      x.status = to;
      x.auth = to == IssuerStatus::kActive ? ledger::Authority::kNone : auth;
    };
    return d;
  }

  Draft ValidatorSet() {
    std::vector<types::Validator> vs;
    for (int i = 0; i < 4; ++i) {
      auto k = DeriveKey(seed, "validator/" + std::to_string(4 + next_validator++));
      vs.push_back({PublicOf(k), "v" + std::to_string(i), "10.0.0." + std::to_string(i)});
    }
    return Draft{Body(types::UpdateValidatorSet{vs}), GovernanceSigners(opt.threshold),
                 [](Model&) {}, TxCode::kOk, "validator set"};
  }

  Draft Valid(const Model& w) {
    const uint64_t r = rng.Below(100);
    std::optional<Draft> d;
    if (r < 35) {
      d = ValidIssue(w);
    } else if (r < 55) {
      d = ValidSetStatus(w);
    } else if (r < 65) {
      d = ValidRenew(w);
    } else if (r < 71) {
      d = RegisterTop();
    } else if (r < 83) {
      d = RegisterDelegated(w);
    } else if (r < 90) {
      d = Rotate(w);
    } else if (r < 97) {
      d = IssuerStatusChange(w);
    } else {
      d = ValidatorSet();
    }
    if (!d) d = ValidIssue(w);
    if (!d) d = RegisterTop();
    return std::move(*d);
  }

  // ---- invalid drafts ----

  // A draft of `kind`, or nullopt when the model has nothing to build it from.
  std::optional<Draft> Invalid(const Model& w, int kind) {
    auto active = [&](const IssuerM& m) { return EffActive(w, m.id); };
    switch (kind) {
      case 0: {  // wrong chain
        Draft d = Valid(w);
        d.body.chain_id = "laurel-other";
        return Reject(std::move(d), TxCode::kWrongChain, "wrong chain");
      }
      case 1: {  // expired
        Draft d = Valid(w);
        d.body.expires_at_height = height - 1;
        return Reject(std::move(d), TxCode::kExpired, "expired");
      }
      case 2: {  // no signatures
        Draft d = Valid(w);
        d.signers.clear();
        return Reject(std::move(d), TxCode::kMissingSignature, "unsigned");
      }
      case 3: {  // signed by someone without authority
        auto d = ValidIssue(w);
        if (!d) return std::nullopt;
        d->signers = {stranger};
        return Reject(std::move(*d), TxCode::kUnauthorized, "stranger signs");
      }
      case 4: {  // a rotated-out key
        const auto id = PickIssuer(w, [&](const IssuerM& m) { return active(m) && m.old_key; });
        if (id.empty()) return std::nullopt;
        const auto& is = w.issuers.at(id);
        auto a = IssueAction(is);
        return Draft{Body(a),
                     {is.old_key},
                     nullptr,
                     TxCode::kUnauthorized,
                     "issue with the old key of " + id};
      }
      case 5: {  // governance below threshold, or one admin signing k times
        if (opt.threshold < 2) return std::nullopt;
        Draft d = RegisterTop();
        if (rng.Chance(0.5)) {
          d.signers.resize(opt.threshold - 1);
        } else {
          d.signers.assign(opt.threshold, d.signers[0]);
        }
        return Reject(std::move(d), TxCode::kInsufficientSignatures, "too few admins");
      }
      case 7: {  // unknown issuer
        const std::string ghost = "ghost-" + std::to_string(++next_ghost);
        types::IssueCredential a{ghost + "/m/1",
                                 ghost,
                                 CredentialType::kMember,
                                 Level::kUnspecified,
                                 rng.RandomBytes(32),
                                 1'700'000'000,
                                 1'800'000'000};
        return Draft{Body(a), {stranger}, nullptr, TxCode::kUnknownIssuer, "issue by " + ghost};
      }
      case 8: {  // unknown credential
        const auto id = PickIssuer(w, active);
        if (id.empty()) return std::nullopt;
        const auto& is = w.issuers.at(id);
        const std::string cid = id + "/m/none-" + std::to_string(++next_ghost);
        return Draft{Body(types::SetCredentialStatus{cid, CredentialStatus::kSuspended, "x"}),
                     {is.key},
                     nullptr,
                     TxCode::kUnknownCredential,
                     "suspend " + cid};
      }
      case 9: {  // illegal transition: same status, or anything after REVOKED
        // By the issuer itself (the lowest authority: it can take over no status).
        const auto cid = PickCred(w, [&](const CredM& c) { return EffActive(w, c.issuer); });
        if (cid.empty()) return std::nullopt;
        const auto& c = w.creds.at(cid);
        CredentialStatus to = c.status;
        if (c.status == CredentialStatus::kRevoked && rng.Chance(0.5))
          to = CredentialStatus::kActive;
        return Draft{
            Body(types::SetCredentialStatus{cid, to, "again"}),
            {w.issuers.at(c.issuer).key},
            nullptr,
            TxCode::kIllegalTransition,
            std::string("set ") + cid + " " + StatusName(c.status) + "->" + StatusName(to)};
      }
      case 10: {  // type or level outside the grants
        const auto id = PickIssuer(w, [&](const IssuerM& m) {
          if (!active(m)) return false;
          if (!Allows(m.grants, CredentialType::kMember, Level::kUnspecified)) return true;
          for (Level l : kAllLevels) {
            if (!Allows(m.grants, CredentialType::kModelWorker, l)) return true;
          }
          return false;
        });
        if (id.empty()) return std::nullopt;
        const auto& is = w.issuers.at(id);
        types::IssueCredential a = IssueAction(is);
        if (!Allows(is.grants, CredentialType::kMember, Level::kUnspecified) && rng.Chance(0.5)) {
          a.type = CredentialType::kMember;
          a.level = Level::kUnspecified;
        } else {
          a.type = CredentialType::kModelWorker;
          a.level = Level::kUnspecified;
          for (Level l : kAllLevels) {
            if (!Allows(is.grants, CredentialType::kModelWorker, l)) a.level = l;
          }
          if (a.level == Level::kUnspecified) {
            a.type = CredentialType::kMember;
          }
        }
        return Draft{
            Body(a), {is.key}, nullptr, TxCode::kScopeNotAllowed, "issue out of scope by " + id};
      }
      case 11: {  // an id that already exists
        const auto cid = PickCred(w, [&](const CredM& c) { return EffActive(w, c.issuer); });
        if (cid.empty()) return std::nullopt;
        const auto& c = w.creds.at(cid);
        const auto& is = w.issuers.at(c.issuer);
        types::IssueCredential a = IssueAction(is);
        a.credential_id = cid;
        a.type = c.type;
        a.level = c.level;
        return Draft{Body(a), {is.key}, nullptr, TxCode::kCredentialExists, "reissue " + cid};
      }
      case 12: {  // valid_until <= valid_from
        auto d = ValidIssue(w);
        if (!d) return std::nullopt;
        auto& a = std::get<types::IssueCredential>(d->body.action);
        a.valid_until = a.valid_from - rng.Below(2);
        return Reject(std::move(*d), TxCode::kBadValidity, "bad validity");
      }
      case 13: {  // credential id not under the issuer
        auto d = ValidIssue(w);
        if (!d) return std::nullopt;
        auto& a = std::get<types::IssueCredential>(d->body.action);
        a.credential_id =
            rng.Chance(0.5) ? "elsewhere/" + a.credential_id : a.issuer_id + "/with space";
        return Reject(std::move(*d), TxCode::kBadCredentialId, "bad credential id");
      }
      case 14: {  // digest of the wrong size
        auto d = ValidIssue(w);
        if (!d) return std::nullopt;
        std::get<types::IssueCredential>(d->body.action).card_digest.resize(31);
        return Reject(std::move(*d), TxCode::kBadDigest, "short digest");
      }
      case 15: {  // an issuer id that exists
        const auto id = PickIssuer(w, [](const IssuerM&) { return true; });
        Draft d = RegisterTop();
        std::get<types::RegisterIssuer>(d.body.action).issuer_id = id;
        return Reject(std::move(d), TxCode::kIssuerExists, "register existing " + id);
      }
      case 16: {  // delegation by a parent without can_delegate
        const auto pid =
            PickIssuer(w, [&](const IssuerM& m) { return active(m) && !m.can_delegate; });
        if (pid.empty()) return std::nullopt;
        const auto& p = w.issuers.at(pid);
        const std::string id = pid + "-" + std::to_string(++next_issuer);
        types::RegisterIssuer a{id,
                                "x",
                                pid,
                                PublicOf(DeriveKey(seed, "issuer/" + id + "/1")),
                                RandomGrants(p.grants),
                                false};
        return Draft{Body(a),
                     {p.key},
                     nullptr,
                     TxCode::kCannotDelegate,
                     "register " + id + " under non-delegating " + pid};
      }
      case 17: {  // issue by a suspended issuer
        const auto id =
            PickIssuer(w, [](const IssuerM& m) { return m.status == IssuerStatus::kSuspended; });
        if (id.empty()) return std::nullopt;
        const auto& is = w.issuers.at(id);
        return Draft{Body(IssueAction(is)),
                     {is.key},
                     nullptr,
                     TxCode::kIssuerInactive,
                     "issue by suspended " + id};
      }
      case 18: {  // rotate to the key already in use
        const auto id = PickIssuer(w, active);
        if (id.empty()) return std::nullopt;
        const auto& is = w.issuers.at(id);
        return Draft{Body(types::RotateIssuerKey{id, PublicOf(is.key)}),
                     {is.key},
                     nullptr,
                     TxCode::kBadKey,
                     "rotate " + id + " to its own key"};
      }
      case 19: {  // a nonce too short
        Draft d = Valid(w);
        d.body.nonce.resize(4);
        return Reject(std::move(d), TxCode::kMalformed, "short nonce");
      }
      default:
        return std::nullopt;
    }
  }

  static Draft Reject(Draft d, TxCode code, const std::string& why) {
    d.effect = nullptr;
    d.expected = code;
    d.what = why + " (" + d.what + ")";
    return d;
  }

  types::Tx Sign(const Draft& d) {
    types::Tx tx = types::MakeTx(d.body);
    for (const auto& k : d.signers) {
      if (sign) {
        types::SignTx(tx, *k);
      } else {
        tx.signatures.push_back({PublicOf(k), Bytes(crypto::kSignatureSize, 0)});
      }
    }
    return tx;
  }

  void Add(Model& w, Draft d, types::Tx tx) {
    if (d.effect) d.effect(w);
    std::string action = types::ActionName(d.body.action);
    pending.push_back(Pending{std::move(tx), std::move(d.body), std::move(d.signers),
                              std::move(d.effect), d.expected, std::move(d.what),
                              std::move(action)});
  }

  void GenerateOne(Model& w) {
    if (!rng.Chance(opt.invalid_fraction)) {
      Draft d = Valid(w);
      types::Tx tx = Sign(d);
      Add(w, std::move(d), std::move(tx));
      return;
    }
    // Envelope corruptions that need a signed transaction.
    const uint64_t kind = rng.Below(24);
    if (kind == 20 || kind == 21) {  // a flipped byte in a signature
      Draft d = Valid(w);
      types::Tx tx = Sign(d);
      const size_t which = rng.Below(tx.signatures.size());
      const size_t byte = rng.Below(crypto::kSignatureSize);
      tx.signatures[which].signature[byte] ^= static_cast<uint8_t>(1 + rng.Below(255));
      Add(w, Reject(std::move(d), TxCode::kBadSignature, "flipped signature"), std::move(tx));
      return;
    }
    if (kind == 22) {  // a body that is not a TxBody, validly signed
      Draft d = Valid(w);
      types::Tx tx;
      tx.body = rng.RandomBytes(1 + rng.Below(64));
      tx.body[0] = 0xff;  // an invalid protobuf tag
      for (const auto& k : d.signers) {
        if (sign) {
          types::SignTx(tx, *k);
        } else {
          tx.signatures.push_back({PublicOf(k), Bytes(crypto::kSignatureSize, 0)});
        }
      }
      Add(w, Reject(std::move(d), TxCode::kMalformed, "garbage body"), std::move(tx));
      return;
    }
    if (kind == 23 || kind == 6) {  // an exact replay of a committed transaction
      if (!spent.empty()) {
        // Ed25519 signing is deterministic, so this re-creates the committed bytes exactly.
        const auto& [body, signers] = spent[rng.Below(spent.size())];
        Draft d{body, signers, nullptr, TxCode::kDuplicateTx, "replay"};
        types::Tx tx = Sign(d);
        Add(w, std::move(d), std::move(tx));
        return;
      }
    }
    auto d = Invalid(w, static_cast<int>(kind));
    if (!d) {
      Draft v = Valid(w);
      v.body.chain_id = "laurel-other";
      d = Reject(std::move(v), TxCode::kWrongChain, "wrong chain (fallback)");
    }
    types::Tx tx = Sign(*d);
    Add(w, std::move(*d), std::move(tx));
  }
};

TxGen::TxGen(uint64_t seed, TxGenOptions options) : impl_(std::make_unique<Impl>(seed, options)) {}
TxGen::~TxGen() = default;

const ledger::Genesis& TxGen::genesis() const { return impl_->genesis; }
const std::string& TxGen::chain_id() const { return impl_->genesis.chain_id; }
const TxGenStats& TxGen::stats() const { return impl_->stats; }
const std::vector<std::string>& TxGen::Mismatches() const { return impl_->mismatches; }

std::vector<types::Tx> TxGen::NextBlock(uint64_t height, bool sign) {
  auto& im = *impl_;
  LAUREL_CHECK(im.pending.empty(), "NextBlock called twice without Observe");
  LAUREL_CHECK(height > 0, "block heights start at 1 after genesis");
  im.height = height;
  im.sign = sign;
  im.model.journaling = true;
  for (size_t i = 0; i < im.opt.txs_per_block; ++i) im.GenerateOne(im.model);
  im.model.journaling = false;
  std::vector<types::Tx> out;
  out.reserve(im.pending.size());
  for (const auto& p : im.pending) out.push_back(p.tx);
  return out;
}

void TxGen::Observe(std::span<const TxCode> codes) {
  auto& im = *impl_;
  LAUREL_CHECK(codes.size() == im.pending.size(), "Observe: one code per generated tx");
  im.model.Rollback();
  for (size_t i = 0; i < codes.size(); ++i) {
    auto& p = im.pending[i];
    const TxCode code = codes[i];
    ++im.stats.txs;
    ++im.stats.by_code[code];
    if (code == TxCode::kOk) {
      ++im.stats.ok;
      ++im.stats.ok_by_action[p.action];
      if (p.effect) p.effect(im.model);
    } else {
      ++im.stats.rejected;
    }
    if (code != p.expected) {
      ++im.stats.unexpected;
      if (im.mismatches.size() < 20) {
        im.mismatches.push_back("height " + std::to_string(im.height) + " tx " + std::to_string(i) +
                                ": " + p.what + ": expected " + ledger::TxCodeName(p.expected) +
                                ", got " + ledger::TxCodeName(code));
      }
    }
    if (code == TxCode::kOk) {
      auto entry = std::make_pair(p.body, p.signers);
      if (im.spent.size() < kSpentRing) {
        im.spent.push_back(std::move(entry));
      } else {
        im.spent[im.spent_next++ % kSpentRing] = std::move(entry);
      }
    }
  }
  im.pending.clear();
}

void TxGen::Observe(const ledger::BlockResult& result) {
  std::vector<TxCode> codes;
  codes.reserve(result.outcomes.size());
  for (const auto& o : result.outcomes) codes.push_back(o.code);
  Observe(codes);
}

std::string Describe(const TxGenStats& s) {
  std::ostringstream out;
  out << "txs=" << s.txs << " ok=" << s.ok << " rejected=" << s.rejected
      << " unexpected=" << s.unexpected << " codes{";
  for (const auto& [code, n] : s.by_code) out << " " << ledger::TxCodeName(code) << "=" << n;
  out << " } ok_actions{";
  for (const auto& [a, n] : s.ok_by_action) out << " " << a << "=" << n;
  out << " }";
  return out.str();
}

}  // namespace laurel::test
