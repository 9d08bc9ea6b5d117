// laurel issuer register | rotate-key | set-status | show | list.
//
// register/rotate-key/set-status build one transaction each (cli/net_tx.h: signed by every
// --key, submitted with ?wait=commit, or written with --out for more signatures). show/list
// read GET /v1/issuers[/{id}].
#include <CLI/CLI.hpp>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/commands.h"
#include "cli/net_tx.h"
#include "ledger/rules.h"

namespace laurel::cli {
namespace {

// "member" or "model_worker:municipal,district".
Result<types::TypeGrant> ParseGrant(std::string_view text) {
  types::TypeGrant g;
  const auto colon = text.find(':');
  LAUREL_ASSIGN_OR_RETURN(g.type, ParseCredentialType(text.substr(0, colon)));
  if (colon != std::string_view::npos) {
    std::string_view rest = text.substr(colon + 1);
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      LAUREL_ASSIGN_OR_RETURN(types::Level l, ParseLevel(rest.substr(0, comma)));
      g.levels.push_back(l);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
  if (g.type == types::CredentialType::kModelWorker && g.levels.empty()) {
    return Status::InvalidArgument("--grant " + std::string(text) +
                                   ": model_worker needs its levels, e.g. "
                                   "model_worker:municipal,district");
  }
  if (g.type == types::CredentialType::kMember && !g.levels.empty()) {
    return Status::InvalidArgument("--grant " + std::string(text) + ": member cards have no level");
  }
  return g;
}

// The public key from exactly one of a key file (public part only) or hex.
Result<Bytes> PublicKeyFrom(const std::optional<std::string>& key_file,
                            const std::optional<std::string>& hex, const std::string& file_flag,
                            const std::string& hex_flag) {
  if (key_file.has_value() == hex.has_value()) {
    return Status::InvalidArgument("give exactly one of " + file_flag + " and " + hex_flag);
  }
  if (key_file) return ReadPublicKeyOfKeyFile(*key_file);
  auto k = ParsePublicKeyHex(*hex);
  if (!k.ok()) return Status::InvalidArgument(hex_flag + ": " + k.status().message());
  return k;
}

Status CheckIssuerId(const std::string& flag, const std::string& id) {
  if (!ledger::IsValidIssuerId(id)) {
    return Status::InvalidArgument(flag + " \"" + id +
                                   "\": an issuer id is 2 to 64 of a-z, 0-9 and '-'");
  }
  return Status::Ok();
}

// ---- register ----

struct RegisterOptions {
  NetOptions net;
  TxOptions tx;
  std::string id;
  std::string name;
  std::optional<std::string> issuer_key;
  std::optional<std::string> public_key;
  std::string parent;
  std::vector<std::string> grants;
  bool can_delegate = false;
};

int RunRegister(const RegisterOptions& o) {
  types::RegisterIssuer a;
  if (Status st = CheckIssuerId("--id", o.id); !st.ok()) return Fail(kExitUsage, st);
  if (!o.parent.empty()) {
    if (Status st = CheckIssuerId("--parent", o.parent); !st.ok()) return Fail(kExitUsage, st);
  }
  a.issuer_id = o.id;
  a.name = o.name;
  a.parent_id = o.parent;
  a.can_delegate = o.can_delegate;
  auto pk = PublicKeyFrom(o.issuer_key, o.public_key, "--issuer-key", "--public-key");
  if (!pk.ok()) return Fail(kExitUsage, pk.status());
  a.public_key = std::move(pk).value();
  for (const auto& g : o.grants) {
    auto grant = ParseGrant(g);
    if (!grant.ok()) return Fail(kExitUsage, grant.status());
    a.grants.push_back(std::move(grant).value());
  }
  if (!ledger::AreValidGrants(a.grants)) {
    return Fail(kExitUsage, "--grant: each type at most once, levels distinct");
  }
  return RunTxCommand(o.net, o.tx, std::move(a));
}

// ---- rotate-key ----

struct RotateOptions {
  NetOptions net;
  TxOptions tx;
  std::string id;
  std::optional<std::string> new_key;
  std::optional<std::string> new_public_key;
};

int RunRotate(const RotateOptions& o) {
  if (Status st = CheckIssuerId("--id", o.id); !st.ok()) return Fail(kExitUsage, st);
  auto pk = PublicKeyFrom(o.new_key, o.new_public_key, "--new-key", "--new-public-key");
  if (!pk.ok()) return Fail(kExitUsage, pk.status());
  return RunTxCommand(o.net, o.tx, types::RotateIssuerKey{o.id, std::move(pk).value()});
}

// ---- set-status ----

struct SetStatusOptions {
  NetOptions net;
  TxOptions tx;
  std::string id;
  std::string status;
  std::string reason;
};

int RunSetStatus(const SetStatusOptions& o) {
  if (Status st = CheckIssuerId("--id", o.id); !st.ok()) return Fail(kExitUsage, st);
  types::SetIssuerStatus a;
  a.issuer_id = o.id;
  a.reason = o.reason;
  if (o.status == "active") {
    a.status = types::IssuerStatus::kActive;
  } else if (o.status == "suspended") {
    a.status = types::IssuerStatus::kSuspended;
  } else if (o.status == "retired") {
    a.status = types::IssuerStatus::kRetired;
  } else {
    return Fail(kExitUsage, "--status must be active, suspended or retired");
  }
  return RunTxCommand(o.net, o.tx, std::move(a));
}

// ---- show / list ----

std::string GrantsText(const Json& issuer) {
  std::string out;
  if (!issuer.contains("grants") || !issuer["grants"].is_array()) return out;
  for (const auto& g : issuer["grants"]) {
    if (!out.empty()) out += "; ";
    out += JsonStr(g, "type");
    if (g.contains("levels") && g["levels"].is_array() && !g["levels"].empty()) {
      out += ":";
      bool first = true;
      for (const auto& l : g["levels"]) {
        out += (first ? " " : ", ") + (l.is_string() ? l.get<std::string>() : l.dump());
        first = false;
      }
    }
  }
  return out;
}

void PrintIssuer(const Json& j) {
  std::ostringstream s;
  auto line = [&](const std::string& k, const std::string& v) {
    s << std::left << std::setw(15) << k << v << "\n";
  };
  line("issuer_id", JsonStr(j, "issuer_id"));
  line("name", JsonStr(j, "name"));
  const std::string parent = JsonStr(j, "parent_id");
  line("parent_id", parent.empty() ? "(none: top-level)" : parent);
  const std::string reason = JsonStr(j, "status_reason");
  line("status", JsonStr(j, "status") + (reason.empty() ? "" : " (" + reason + ")"));
  line("grants", GrantsText(j));
  line("can_delegate", j.value("can_delegate", false) ? "yes" : "no");
  const uint64_t current = JsonU64Or0(j, "current_key_version");
  line("key_version", std::to_string(current) + " (current)");
  if (j.contains("keys") && j["keys"].is_array()) {
    for (const auto& k : j["keys"]) {
      const uint64_t v = JsonU64Or0(k, "key_version");
      const uint64_t to = JsonU64Or0(k, "to_height");
      std::string text = "v" + std::to_string(v) + " " + JsonStr(k, "public_key") +
                         " from height " + std::to_string(JsonU64Or0(k, "from_height"));
      if (to != 0) text += " to " + std::to_string(to);
      if (v == current) text += " (current)";
      line("key", text);
    }
  }
  line("created", "height " + std::to_string(JsonU64Or0(j, "created_height")));
  line("updated", "height " + std::to_string(JsonU64Or0(j, "updated_height")));
  std::cout << s.str();
}

struct ShowOptions {
  NetOptions net;
  std::string id;
};

int RunShow(const ShowOptions& o) {
  Node node(o.net.rpc);
  auto c = node.Get();
  if (!c.ok()) return FailFor(c.status());
  auto j = (*c)->Get("/v1/issuers/" + UrlEscape(o.id));
  if (!j.ok()) return FailFor(j.status());
  if (o.net.json) {
    PrintJson(*j);
  } else {
    PrintIssuer(*j);
  }
  return kExitOk;
}

struct ListOptions {
  NetOptions net;
  uint64_t limit = 0;
};

int RunList(const ListOptions& o) {
  Node node(o.net.rpc);
  auto c = node.Get();
  if (!c.ok()) return FailFor(c.status());
  Json all = Json::array();
  std::string token;
  do {
    std::string target = "/v1/issuers?limit=" + std::to_string(o.limit == 0 ? 1000 : o.limit);
    if (!token.empty()) target += "&page_token=" + UrlEscape(token);
    auto j = (*c)->Get(target);
    if (!j.ok()) return FailFor(j.status());
    if (j->contains("issuers") && (*j)["issuers"].is_array()) {
      for (auto& i : (*j)["issuers"]) all.push_back(std::move(i));
    }
    const std::string next = JsonStr(*j, "next_page_token");
    if (next == token) break;  // a server that repeats itself must not loop us forever
    token = next;
  } while (!token.empty());
  if (o.net.json) {
    PrintJson({{"issuers", all}, {"next_page_token", ""}});
    return kExitOk;
  }
  std::ostringstream s;
  s << std::left << std::setw(24) << "ISSUER" << std::setw(18) << "STATUS" << std::setw(20)
    << "PARENT" << std::setw(5) << "KEY"
    << "NAME\n";
  for (const auto& i : all) {
    const std::string parent = JsonStr(i, "parent_id");
    s << std::left << std::setw(24) << JsonStr(i, "issuer_id") << std::setw(18)
      << JsonStr(i, "status") << std::setw(20) << (parent.empty() ? "-" : parent) << std::setw(5)
      << ("v" + std::to_string(JsonU64Or0(i, "current_key_version"))) << JsonStr(i, "name") << "\n";
  }
  std::cout << s.str();
  return kExitOk;
}

}  // namespace

void RegisterIssuerCommands(CLI::App& app, CommandRun& run) {
  auto* issuer = app.add_subcommand("issuer", "Register and manage issuers (unions, federations)");
  issuer->require_subcommand(1);

  auto r = std::make_shared<RegisterOptions>();
  auto* reg = issuer->add_subcommand(
      "register", "Register an issuer (signed by k-of-n governance admins, or by the parent)");
  reg->add_option("--id", r->id, "New issuer id ([a-z0-9-]{2,64})")->required();
  reg->add_option("--name", r->name, "Display name")->required();
  reg->add_option("--issuer-key", r->issuer_key, "The new issuer's key file (public part read)");
  reg->add_option("--public-key", r->public_key, "The new issuer's public key (hex)");
  reg->add_option("--parent", r->parent, "Parent issuer (delegation); empty: top-level");
  reg->add_option("--grant", r->grants,
                  "A type it may issue: member, or model_worker:LEVEL[,LEVEL...] (repeatable)")
      ->required();
  reg->add_flag("--can-delegate", r->can_delegate, "May register sub-issuers itself");
  AddTxOptions(reg, r->tx, "Signer: a governance admin key, or the parent issuer's key");
  AddNetOptions(reg, r->net);
  reg->callback([r, &run] { run = [r] { return RunRegister(*r); }; });

  auto k = std::make_shared<RotateOptions>();
  auto* rot = issuer->add_subcommand(
      "rotate-key", "Give an issuer a new key (signed by its current key, or governance)");
  rot->add_option("--id", k->id, "Issuer id")->required();
  rot->add_option("--new-key", k->new_key, "Key file of the new key (public part read)");
  rot->add_option("--new-public-key", k->new_public_key, "The new public key (hex)");
  AddTxOptions(rot, k->tx, "Signer: the issuer's current key, or governance admin keys");
  AddNetOptions(rot, k->net);
  rot->callback([k, &run] { run = [k] { return RunRotate(*k); }; });

  auto st = std::make_shared<SetStatusOptions>();
  auto* set = issuer->add_subcommand(
      "set-status", "Suspend, reactivate or retire an issuer (governance or the parent)");
  set->add_option("--id", st->id, "Issuer id")->required();
  set->add_option("--status", st->status, "active, suspended or retired")->required();
  set->add_option("--reason", st->reason, "Why (recorded on the ledger)");
  AddTxOptions(set, st->tx, "Signer: governance admin keys, or the parent issuer's key");
  AddNetOptions(set, st->net);
  set->callback([st, &run] { run = [st] { return RunSetStatus(*st); }; });

  auto sh = std::make_shared<ShowOptions>();
  auto* show = issuer->add_subcommand("show", "Show one issuer: grants, status, key history");
  show->add_option("id", sh->id, "Issuer id")->required();
  AddNetOptions(show, sh->net);
  show->callback([sh, &run] { run = [sh] { return RunShow(*sh); }; });

  auto l = std::make_shared<ListOptions>();
  auto* list = issuer->add_subcommand("list", "List every issuer (follows all pages)");
  list->add_option("--limit", l->limit, "Page size asked of the node (default 1000)");
  AddNetOptions(list, l->net);
  list->callback([l, &run] { run = [l] { return RunList(*l); }; });
}

}  // namespace laurel::cli
