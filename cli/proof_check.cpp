#include "cli/proof_check.h"

#include <set>

#include "ledger/verify.h"

namespace laurel::cli {
namespace {

// The proven records as a state: a read of any record the proof does not cover is noted (and
// answered absent), so that an answer resting on an unproven record is refused.
class ProvenRecords final : public ledger::StateView {
 public:
  explicit ProvenRecords(const verifier::ProvenState& s) : s_(s) {}
  std::optional<std::string> GetState(std::string_view key) const override {
    auto it = s_.records.find(std::string(key));
    if (it == s_.records.end()) {
      missing_.insert(std::string(key));
      return std::nullopt;
    }
    return it->second;
  }
  bool HasTx(const Hash32&) const override { return false; }
  std::optional<std::string> GetTreeNode(std::string_view) const override { return std::nullopt; }
  const std::set<std::string>& missing() const { return missing_; }

 private:
  const verifier::ProvenState& s_;
  mutable std::set<std::string> missing_;
};

ProofCheck Refuse(std::string why) {
  ProofCheck c;
  c.why = std::move(why);
  return c;
}

std::string Signers(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

// Every issuer from `id` up to its root federation is proven (present), and decodes.
std::optional<std::string> ChainUnproven(const ProvenRecords& view, std::string id) {
  for (size_t depth = 0; !id.empty() && depth <= ledger::kMaxIssuerDepth; ++depth) {
    auto v = view.GetState(ledger::IssuerKeyOf(id));
    if (!v) return "issuer '" + id + "' of the chain is not proven";
    auto r = ledger::DecodeIssuer(*v);
    if (!r.ok()) return "issuer '" + id + "': the proven record does not decode";
    id = r->parent_id;
  }
  return std::nullopt;
}

}  // namespace

verifier::ValidatorSet ValidatorSetOf(const ledger::Genesis& g) {
  verifier::ValidatorSet s;
  s.chain_id = g.chain_id;
  for (const auto& v : g.validators) {
    s.keys.push_back(v.public_key);
    s.names.push_back(v.name);
    s.addresses.push_back(v.address);
  }
  return s;
}

ProofCheck CheckProvenAnswer(const Json& answer, const ledger::Genesis& genesis,
                             const std::optional<std::string>& card_code, uint64_t now_s,
                             uint64_t max_age_s) {
  if (!answer.is_object() || !answer.contains("proof")) {
    return Refuse("the answer carries no proof (the node was not asked, or left it out)");
  }
  auto proven = verifier::CheckStateProof(nlohmann::json::parse(answer["proof"].dump()),
                                          ValidatorSetOf(genesis), now_s * 1000,
                                          max_age_s * 1000);
  if (!proven.ok()) return Refuse(proven.status().message());
  ProvenRecords view(*proven);
  std::string what;
  if (answer.contains("valid")) {
    // POST /v1/verify: recompute the decision from the card and the proven records.
    if (!card_code) return Refuse("a verify answer is checked against its card: give the card");
    const auto r = ledger::VerifyCard(view, genesis.chain_id, *card_code, now_s);
    if (!view.missing().empty()) {
      return Refuse("the decision needs record '" + *view.missing().begin() +
                    "', which the proof does not cover");
    }
    const bool node_valid = answer["valid"].is_boolean() && answer["valid"].get<bool>();
    if (r.valid() != node_valid) {
      return Refuse(std::string("the node answered ") + (node_valid ? "VALID" : "REFUSED") +
                    " but the proven records give " +
                    (r.valid() ? "VALID" : std::string("REFUSED ") +
                                               ledger::VerifyReasonName(r.reason)));
    }
    what = r.valid() ? std::string("the card is VALID")
                     : std::string("the card is REFUSED ") + ledger::VerifyReasonName(r.reason) +
                           " (" + r.message + ")";
  } else if (answer.contains("admin_keys")) {
    auto g = ledger::ReadGovernance(view);
    if (!g) return Refuse("the governance record is not proven");
    what = "the governance record (threshold " + std::to_string(g->threshold) + " of " +
           std::to_string(g->admin_keys.size()) + " admins, " +
           std::to_string(g->validators.size()) + " validators)";
  } else if (answer.contains("issuer_id") && !answer.contains("credential_id")) {
    const std::string id = JsonStr(answer, "issuer_id");
    if (id.empty()) return Refuse("the answer names no issuer");
    auto i = ledger::ReadIssuer(view, id);
    if (!i) return Refuse("issuer '" + id + "' is not proven");
    if (i->name != JsonStr(answer, "name") || i->parent_id != JsonStr(answer, "parent_id")) {
      return Refuse("the answer's issuer '" + id + "' differs from the proven record");
    }
    if (auto bad = ChainUnproven(view, id)) return Refuse(*bad);
    what = "issuer '" + id + "' (" + i->name + ") and its chain up to the root federation";
  } else if (answer.contains("credential_id")) {
    const std::string id = JsonStr(answer, "credential_id");
    auto c = ledger::ReadCredential(view, id);
    if (!c) return Refuse("credential '" + id + "' is not proven");
    const std::string status = JsonStr(answer, "status");
    if (c->issuer_id != JsonStr(answer, "issuer_id") ||
        HexEncode(c->card_digest) != JsonStr(answer, "card_digest") ||
        c->valid_until != JsonU64Or0(answer, "valid_until") ||
        status.find(types::CredentialStatusName(c->status)) == std::string::npos) {
      return Refuse("the answer's credential '" + id + "' differs from the proven record");
    }
    if (auto bad = ChainUnproven(view, c->issuer_id)) return Refuse(*bad);
    what = "credential '" + id + "' (" + types::CredentialStatusName(c->status) +
           ") and its issuer chain";
  } else if (JsonStr(answer, "code") == "NOT_FOUND") {
    // A 404 with a proof: every record it carries must be proven absent.
    if (proven->records.empty()) return Refuse("the NOT_FOUND answer proves no record absent");
    std::string keys;
    for (const auto& [key, value] : proven->records) {
      if (value) return Refuse("the node answered NOT_FOUND but record '" + key + "' exists");
      keys += (keys.empty() ? "'" : ", '") + key + "'";
    }
    what = "the absence of " + keys;
  } else {
    return Refuse("the answer is not one this check knows (verify, credential, issuer, "
                  "governance)");
  }
  ProofCheck ok;
  ok.ok = true;
  ok.statement = "proven: " + what + ", at height " + std::to_string(proven->height) + " (" +
                 FormatUnixTime(proven->time_ms / 1000) + ") by validators " +
                 Signers(proven->signers) + " (" + std::to_string(proven->signers.size()) +
                 " of " + std::to_string(proven->validators) + (proven->epoch > 0 ? ", epoch " + std::to_string(proven->epoch) : std::string()) + ")";
  ok.state = std::move(proven).value();
  return ok;
}

}  // namespace laurel::cli
