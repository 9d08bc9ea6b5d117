#include "cli/proof_check.h"

#include <set>

#include "ledger/verify.h"
#include "types/card.h"

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

// The first field of the credential an answer shows (`shown`, a CredentialView) that is not
// the proven record's, or nullopt: a node must not show other facts beside a proof.
std::optional<std::string> ShownDiffers(const Json& shown, const ledger::CredentialRecord& c) {
  const std::string level = JsonStr(shown, "level");
  const bool level_same = c.level == types::Level::kUnspecified
                              ? level.empty() || level == "LEVEL_UNSPECIFIED"
                              : level == types::LevelName(c.level);
  if (JsonStr(shown, "credential_id") != c.credential_id) return "credential_id";
  if (JsonStr(shown, "issuer_id") != c.issuer_id) return "issuer_id";
  if (JsonStr(shown, "type") != types::CredentialTypeName(c.type)) return "type";
  if (!level_same) return "level";
  if (JsonStr(shown, "card_digest") != HexEncode(c.card_digest)) return "card_digest";
  if (JsonU64Or0(shown, "valid_from") != c.valid_from) return "valid_from";
  if (JsonU64Or0(shown, "valid_until") != c.valid_until) return "valid_until";
  if (JsonStr(shown, "status").find(types::CredentialStatusName(c.status)) == std::string::npos) {
    return "status";
  }
  if (JsonStr(shown, "status_reason") != c.status_reason) return "status_reason";
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
                             uint64_t max_age_s, VerifyRoute route) {
  if (!answer.is_object() || !answer.contains("proof")) {
    return Refuse("the answer carries no proof (the node was not asked, or left it out)");
  }
  auto proven = verifier::CheckStateProof(nlohmann::json::parse(answer["proof"].dump()),
                                          ValidatorSetOf(genesis), now_s * 1000,
                                          max_age_s * 1000);
  if (!proven.ok()) return Refuse(proven.status().message());
  ProvenRecords view(*proven);
  std::string what;
  std::optional<ledger::VerifyResult> decision;
  if (answer.contains("valid")) {
    // POST /v1/verify[/status]: recompute the decision from the card and the proven records.
    if (!card_code) return Refuse("a verify answer is checked against its card: give the card");
    const auto r = ledger::VerifyCard(view, genesis.chain_id, *card_code, now_s);
    // The node's half of the private check (what /v1/verify/status decides), from the same
    // records: the card's credential id, issuer, key version and digest.
    // Read through a view of its own: on a saved answer of either route, what it needs beyond
    // the card's decision only rules the status decision out.
    std::optional<ledger::VerifyResult> status;
    if (route != VerifyRoute::kCard) {
      auto card = types::CardFromText(*card_code);
      auto body = card.ok() ? types::DecodeCardBody(card->body) : Result<types::CardBody>(card.status());
      if (body.ok()) {
        const ledger::StatusQuery q{body->credential_id, body->issuer_id, body->key_version,
                                    types::CardDigest(card->body)};
        ProvenRecords status_view(*proven);
        status = ledger::VerifyStatus(status_view, q, now_s);
        if (!status_view.missing().empty()) {
          if (route == VerifyRoute::kStatus) {
            return Refuse("the decision needs record '" + *status_view.missing().begin() +
                          "', which the proof does not cover");
          }
          status.reset();
        }
      } else if (route == VerifyRoute::kStatus) {
        return Refuse("the card does not decode, so no status answer can be about it");
      }
    }
    // The record the answer shows beside the decision must be the proven one.
    std::optional<ledger::CredentialRecord> shown_record;
    const bool shows_record = answer.contains("credential") && answer["credential"].is_object();
    if (shows_record) {
      shown_record = ledger::ReadCredential(view, JsonStr(answer["credential"], "credential_id"));
    }
    if (!view.missing().empty()) {
      return Refuse("the decision needs record '" + *view.missing().begin() +
                    "', which the proof does not cover");
    }
    if (shows_record) {
      if (!shown_record) return Refuse("the answer shows a credential record the proof proves absent");
      if (auto field = ShownDiffers(answer["credential"], *shown_record)) {
        return Refuse("the answer's credential '" + shown_record->credential_id +
                      "' differs from the proven record (" + *field + ")");
      }
    }
    const bool node_valid = answer["valid"].is_boolean() && answer["valid"].get<bool>();
    const bool agrees_card = r.valid() == node_valid;
    const bool agrees_status = status && status->valid() == node_valid;
    const bool agrees = route == VerifyRoute::kCard     ? agrees_card
                        : route == VerifyRoute::kStatus ? agrees_status
                                                        : agrees_card || agrees_status;
    if (!agrees) {
      // Name the decision the node should have made on its route.
      const ledger::VerifyResult& should = route == VerifyRoute::kStatus ? *status : r;
      return Refuse(std::string("the node answered ") + (node_valid ? "VALID" : "REFUSED") +
                    " but the proven records give " +
                    (should.valid() ? "VALID" : std::string("REFUSED ") +
                                                    ledger::VerifyReasonName(should.reason)));
    }
    what = r.valid() ? std::string("the card is VALID")
                     : std::string("the card is REFUSED ") + ledger::VerifyReasonName(r.reason) +
                           " (" + r.message + ")";
    decision = r;
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
    if (auto field = ShownDiffers(answer, *c)) {
      return Refuse("the answer's credential '" + id + "' differs from the proven record (" +
                    *field + ")");
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
  ok.decision = std::move(decision);
  // The height, its time and its age when checked: how stale the answer is, in plain words.
  const uint64_t proven_s = proven->time_ms / 1000;
  const std::string age =
      now_s >= proven_s ? std::to_string(now_s - proven_s) + " s old"
                         : std::to_string(proven_s - now_s) + " s ahead of this clock";
  ok.statement = "proven: " + what + ", at height " + std::to_string(proven->height) + " (" +
                 FormatUnixTime(proven_s) + ", " + age + ") by validators " +
                 Signers(proven->signers) + " (" + std::to_string(proven->signers.size()) +
                 " of " + std::to_string(proven->validators) + (proven->epoch > 0 ? ", epoch " + std::to_string(proven->epoch) : std::string()) + ")";
  ok.state = std::move(proven).value();
  return ok;
}

}  // namespace laurel::cli
