#include "ledger/rules.h"

#include <algorithm>
#include <set>

#include "crypto/ed25519.h"
#include "types/text_rules.h"

namespace laurel::ledger {

using types::CredentialType;
using types::Level;

bool IsValidIssuerId(std::string_view id) {
  if (id.size() < 2 || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

bool IsValidCredentialId(std::string_view credential_id, std::string_view issuer_id) {
  if (credential_id.size() > kMaxCredentialIdLength) return false;
  if (credential_id.size() <= issuer_id.size() + 1) return false;
  if (credential_id.substr(0, issuer_id.size()) != issuer_id ||
      credential_id[issuer_id.size()] != '/') {
    return false;
  }
  return std::all_of(credential_id.begin(), credential_id.end(),
                     [](char c) { return c > 0x20 && c < 0x7f; });
}

bool AreValidGrants(const std::vector<types::TypeGrant>& grants) {
  std::set<CredentialType> seen;
  for (const auto& g : grants) {
    if (g.type == CredentialType::kUnspecified || !seen.insert(g.type).second) return false;
    if (g.type == CredentialType::kMember && !g.levels.empty()) return false;
    if (g.type == CredentialType::kModelWorker) {
      if (g.levels.empty()) return false;
      std::set<Level> levels(g.levels.begin(), g.levels.end());
      if (levels.size() != g.levels.size() || levels.count(Level::kUnspecified)) return false;
    }
  }
  return true;
}

bool GrantsWithin(const std::vector<types::TypeGrant>& child,
                  const std::vector<types::TypeGrant>& parent) {
  for (const auto& c : child) {
    auto it = std::find_if(parent.begin(), parent.end(),
                           [&](const types::TypeGrant& p) { return p.type == c.type; });
    if (it == parent.end()) return false;
    for (Level l : c.levels) {
      if (std::find(it->levels.begin(), it->levels.end(), l) == it->levels.end()) return false;
    }
  }
  return true;
}

namespace {

bool IsKey(const Bytes& k) { return k.size() == crypto::kPublicKeySize; }

bool ValidValidity(uint64_t from, uint64_t until) { return until > from; }

// Issuer names and status reasons are shown at gates and in histories: the display-text rules
// (types/text_rules.h) hold for them, empty allowed; their byte limits are checked before.
bool IsSafeLedgerText(const std::string& s) {
  return types::CheckDisplayText("text", s, 0, /*allow_empty=*/true).ok();
}

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace

TxCode CheckActionForm(const types::Action& action) {
  using C = TxCode;
  return std::visit(
      Overloaded{
          [](const types::RegisterIssuer& a) {
            if (!IsValidIssuerId(a.issuer_id)) return C::kBadIssuerId;
            if (!a.parent_id.empty() && !IsValidIssuerId(a.parent_id)) return C::kBadIssuerId;
            if (a.parent_id == a.issuer_id) return C::kBadIssuerId;
            if (a.name.size() > kMaxNameLength) return C::kMalformed;
            if (!IsSafeLedgerText(a.name)) return C::kUnsafeText;
            if (!IsKey(a.public_key)) return C::kBadKey;
            if (a.grants.empty() || !AreValidGrants(a.grants)) return C::kMalformed;
            return C::kOk;
          },
          [](const types::RotateIssuerKey& a) {
            if (!IsValidIssuerId(a.issuer_id)) return C::kBadIssuerId;
            if (!IsKey(a.new_public_key)) return C::kBadKey;
            return C::kOk;
          },
          [](const types::SetIssuerStatus& a) {
            if (!IsValidIssuerId(a.issuer_id)) return C::kBadIssuerId;
            if (a.status == types::IssuerStatus::kUnspecified) return C::kMalformed;
            if (a.reason.size() > kMaxReasonLength) return C::kMalformed;
            if (!IsSafeLedgerText(a.reason)) return C::kUnsafeText;
            return C::kOk;
          },
          [](const types::IssueCredential& a) {
            if (!IsValidIssuerId(a.issuer_id)) return C::kBadIssuerId;
            if (!IsValidCredentialId(a.credential_id, a.issuer_id)) return C::kBadCredentialId;
            if (a.type == CredentialType::kUnspecified) return C::kMalformed;
            if ((a.type == CredentialType::kMember) != (a.level == Level::kUnspecified)) {
              return C::kMalformed;
            }
            if (a.card_digest.size() != 32) return C::kBadDigest;
            if (!ValidValidity(a.valid_from, a.valid_until)) return C::kBadValidity;
            return C::kOk;
          },
          [](const types::SetCredentialStatus& a) {
            if (a.credential_id.empty() || a.credential_id.size() > kMaxCredentialIdLength) {
              return C::kBadCredentialId;
            }
            if (a.status == types::CredentialStatus::kUnspecified) return C::kMalformed;
            if (a.reason.size() > kMaxReasonLength) return C::kMalformed;
            if (!IsSafeLedgerText(a.reason)) return C::kUnsafeText;
            return C::kOk;
          },
          [](const types::RenewCredential& a) {
            if (a.credential_id.empty() || a.credential_id.size() > kMaxCredentialIdLength) {
              return C::kBadCredentialId;
            }
            if (a.card_digest.size() != 32) return C::kBadDigest;
            if (!ValidValidity(a.valid_from, a.valid_until)) return C::kBadValidity;
            return C::kOk;
          },
          [](const types::UpdateGovernance& a) {
            std::set<Bytes> keys;
            for (const auto& k : a.admin_keys) {
              if (!IsKey(k) || !keys.insert(k).second) return C::kBadKey;
            }
            if (a.threshold == 0 || a.threshold > a.admin_keys.size()) return C::kBadThreshold;
            return C::kOk;
          },
          [](const types::UpdateValidatorSet& a) {
            if (a.validators.empty()) return C::kBadValidatorSet;
            std::set<Bytes> keys;
            for (const auto& v : a.validators) {
              if (!IsKey(v.public_key) || !keys.insert(v.public_key).second) {
                return C::kBadValidatorSet;
              }
            }
            return C::kOk;
          },
      },
      action);
}

}  // namespace laurel::ledger
