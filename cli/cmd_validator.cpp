// laurel validator list | add | remove | rotate | set-address: the validator set (docs/operator.md,
// "Changing the validators").
//
// add/remove/rotate read the current set from the node (GET /v1/epochs), change one entry and
// build one UpdateValidatorSet transaction carrying the whole new list (cli/net_tx.h: signed
// by every --key, submitted and waited for, or written with --out for more admins to sign).
// Once it commits, the block that holds it is the last of its epoch: the next block is decided
// by the new set (docs/spec/consensus.md §13).
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/net_tx.h"
#include "node/config.h"

namespace laurel::cli {
namespace {

struct Current {
  uint64_t epoch = 0;
  uint64_t start_height = 0;
  std::vector<types::Validator> validators;
};

Result<Current> ReadCurrentSet(Node& node) {
  LAUREL_ASSIGN_OR_RETURN(RpcClient * c, node.Get());
  LAUREL_ASSIGN_OR_RETURN(Json j, c->Get("/v1/epochs"));
  if (!j.contains("epochs") || !j["epochs"].is_array() || j["epochs"].empty()) {
    return Status::InvalidArgument("the node's /v1/epochs answer lists no epoch");
  }
  const Json& e = j["epochs"].back();
  Current cur;
  auto u64 = [](const Json& v) -> uint64_t {
    if (v.is_number_unsigned()) return v.get<uint64_t>();
    if (v.is_string()) return std::stoull(v.get<std::string>());
    return 0;
  };
  cur.epoch = e.contains("epoch") ? u64(e["epoch"]) : 0;
  cur.start_height = e.contains("start_height") ? u64(e["start_height"]) : 0;
  for (const Json& v : e.value("validators", Json::array())) {
    types::Validator val;
    auto key = ParsePublicKeyHex(v.value("public_key", ""));
    if (!key.ok()) return Status::InvalidArgument("the node sent a bad validator key");
    val.public_key = std::move(key).value();
    val.name = v.value("name", "");
    val.address = v.value("address", "");
    cur.validators.push_back(std::move(val));
  }
  if (cur.validators.empty()) return Status::InvalidArgument("the node's current set is empty");
  return cur;
}

// The index of the validator named by --name or --public-key (exactly one given).
Result<size_t> FindValidator(const std::vector<types::Validator>& set, const std::string& name,
                             const std::string& public_key) {
  if (name.empty() == public_key.empty()) {
    return Status::InvalidArgument("name the validator with exactly one of --name and --public-key");
  }
  Bytes key;
  if (!public_key.empty()) {
    LAUREL_ASSIGN_OR_RETURN(key, ParsePublicKeyHex(public_key));
  }
  for (size_t i = 0; i < set.size(); ++i) {
    if ((!name.empty() && set[i].name == name) || (!key.empty() && set[i].public_key == key)) {
      return i;
    }
  }
  return Status::NotFound("no validator " + (name.empty() ? public_key : name) +
                          " in the current set");
}

Status CheckAddress(const std::string& address) {
  if (!node::ParseHostPort(address).ok()) {
    return Status::InvalidArgument("--address \"" + address + "\": want host:port");
  }
  return Status::Ok();
}

Result<Bytes> KeyFrom(const std::string& key_file, const std::string& hex, const char* file_flag,
                      const char* hex_flag) {
  if (key_file.empty() == hex.empty()) {
    return Status::InvalidArgument(std::string("give exactly one of ") + file_flag + " and " +
                                   hex_flag);
  }
  if (!key_file.empty()) return ReadPublicKeyOfKeyFile(key_file);
  return ParsePublicKeyHex(hex);
}

struct ChangeOptions {
  NetOptions net;
  TxOptions tx;
  std::string name;
  std::string public_key;
  std::string key_file;
  std::string address;
  std::string new_key_file;
  std::string new_public_key;
  bool dry_run = false;
};

void PrintSet(const char* title, const std::vector<types::Validator>& set) {
  std::cout << title << " (" << set.size() << " validators, tolerates "
            << (set.size() - 1) / 3 << " faulty):\n";
  for (size_t i = 0; i < set.size(); ++i) {
    std::cout << "  " << i << "  " << set[i].name << "  " << set[i].address << "  "
              << HexEncode(set[i].public_key) << "\n";
  }
}

int Submit(const ChangeOptions& o, std::vector<types::Validator> next,
           const std::string& what) {
  if (!o.net.json) {
    std::cout << what << "\n";
    PrintSet("new set", next);
  }
  if (o.dry_run) return kExitOk;
  return RunTxCommand(o.net, o.tx, types::UpdateValidatorSet{std::move(next)});
}

int RunAdd(const ChangeOptions& o) {
  Node node(o.net.rpc);
  auto cur = ReadCurrentSet(node);
  if (!cur.ok()) return FailFor(cur.status());
  auto key = KeyFrom(o.key_file, o.public_key, "--key-file", "--public-key");
  if (!key.ok()) return Fail(kExitUsage, key.status());
  if (Status st = CheckAddress(o.address); !st.ok()) return Fail(kExitUsage, st);
  if (o.name.empty()) return Fail(kExitUsage, "--name is required");
  for (const auto& v : cur->validators) {
    if (v.public_key == *key) return Fail(kExitUsage, "that key is already validator " + v.name);
    if (v.name == o.name) return Fail(kExitUsage, "a validator is already named " + o.name);
  }
  auto next = cur->validators;
  next.push_back(types::Validator{*key, o.name, o.address});
  return Submit(o, std::move(next),
                "epoch " + std::to_string(cur->epoch) + ": adding " + o.name + " at " + o.address);
}

int RunRemove(const ChangeOptions& o) {
  Node node(o.net.rpc);
  auto cur = ReadCurrentSet(node);
  if (!cur.ok()) return FailFor(cur.status());
  auto i = FindValidator(cur->validators, o.name, o.public_key);
  if (!i.ok()) return Fail(kExitUsage, i.status());
  if (cur->validators.size() == 1) return Fail(kExitUsage, "cannot remove the last validator");
  auto next = cur->validators;
  const std::string name = next[*i].name;
  next.erase(next.begin() + static_cast<std::ptrdiff_t>(*i));
  return Submit(o, std::move(next),
                "epoch " + std::to_string(cur->epoch) + ": removing " + name);
}

int RunRotate(const ChangeOptions& o) {
  Node node(o.net.rpc);
  auto cur = ReadCurrentSet(node);
  if (!cur.ok()) return FailFor(cur.status());
  auto i = FindValidator(cur->validators, o.name, o.public_key);
  if (!i.ok()) return Fail(kExitUsage, i.status());
  auto key = KeyFrom(o.new_key_file, o.new_public_key, "--new-key-file", "--new-public-key");
  if (!key.ok()) return Fail(kExitUsage, key.status());
  for (const auto& v : cur->validators) {
    if (v.public_key == *key) return Fail(kExitUsage, "the new key is already validator " + v.name);
  }
  auto next = cur->validators;
  next[*i].public_key = *key;
  if (!o.address.empty()) {
    if (Status st = CheckAddress(o.address); !st.ok()) return Fail(kExitUsage, st);
    next[*i].address = o.address;
  }
  return Submit(o, std::move(next),
                "epoch " + std::to_string(cur->epoch) + ": new consensus key for " +
                    next[*i].name + " " + HexEncode(*key));
}

int RunSetAddress(const ChangeOptions& o) {
  Node node(o.net.rpc);
  auto cur = ReadCurrentSet(node);
  if (!cur.ok()) return FailFor(cur.status());
  auto i = FindValidator(cur->validators, o.name, o.public_key);
  if (!i.ok()) return Fail(kExitUsage, i.status());
  if (Status st = CheckAddress(o.address); !st.ok()) return Fail(kExitUsage, st);
  if (cur->validators[*i].address == o.address) {
    return Fail(kExitUsage, cur->validators[*i].name + " is already at " + o.address);
  }
  auto next = cur->validators;
  next[*i].address = o.address;
  return Submit(o, std::move(next),
                "epoch " + std::to_string(cur->epoch) + ": " + next[*i].name + " moves to " +
                    o.address);
}

struct ListOptions {
  NetOptions net;
};

int RunList(const ListOptions& o) {
  Node node(o.net.rpc);
  auto c = node.Get();
  if (!c.ok()) return FailFor(c.status());
  auto j = (*c)->Get("/v1/epochs");
  if (!j.ok()) return FailFor(j.status());
  if (o.net.json) {
    PrintJson(*j);
    return kExitOk;
  }
  auto cur = ReadCurrentSet(node);
  if (!cur.ok()) return FailFor(cur.status());
  std::cout << "epoch " << cur->epoch << " since height " << cur->start_height << "\n";
  PrintSet("current set", cur->validators);
  return kExitOk;
}

void AddChangeOptions(CLI::App* cmd, ChangeOptions& o) {
  cmd->add_flag("--dry-run", o.dry_run, "Print the new set; build and send nothing");
  AddTxOptions(cmd, o.tx, "Signer: governance admin keys (k of n; or --out and tx sign)");
  AddNetOptions(cmd, o.net);
}

}  // namespace

void RegisterValidatorCommands(CLI::App& app, CommandRun& run) {
  auto* val = app.add_subcommand(
      "validator", "List the validators; add, remove or re-key one (governance, k of n)");
  val->require_subcommand(1);

  auto l = std::make_shared<ListOptions>();
  auto* list = val->add_subcommand("list", "The current epoch's validators (GET /v1/epochs)");
  AddNetOptions(list, l->net);
  list->callback([l, &run] { run = [l] { return RunList(*l); }; });

  auto a = std::make_shared<ChangeOptions>();
  auto* add = val->add_subcommand("add", "Add a validator; it votes from the next epoch");
  add->add_option("--name", a->name, "Its name (unique in the set)")->required();
  add->add_option("--key-file", a->key_file, "Its consensus key file (public part read)");
  add->add_option("--public-key", a->public_key, "Its consensus public key (hex)");
  add->add_option("--address", a->address, "host:port of its P2P listener")->required();
  AddChangeOptions(add, *a);
  add->callback([a, &run] { run = [a] { return RunAdd(*a); }; });

  auto r = std::make_shared<ChangeOptions>();
  auto* rm = val->add_subcommand("remove", "Remove a validator; it stops voting at the next epoch");
  rm->add_option("--name", r->name, "The validator's name");
  rm->add_option("--public-key", r->public_key, "... or its public key (hex)");
  AddChangeOptions(rm, *r);
  rm->callback([r, &run] { run = [r] { return RunRemove(*r); }; });

  auto m = std::make_shared<ChangeOptions>();
  auto* mv = val->add_subcommand("set-address", "Record a validator's new P2P address");
  mv->add_option("--name", m->name, "The validator's name");
  mv->add_option("--public-key", m->public_key, "... or its public key (hex)");
  mv->add_option("--address", m->address, "Its new host:port")->required();
  AddChangeOptions(mv, *m);
  mv->callback([m, &run] { run = [m] { return RunSetAddress(*m); }; });

  auto k = std::make_shared<ChangeOptions>();
  auto* rot = val->add_subcommand("rotate", "Give a validator a new consensus key (same operator)");
  rot->add_option("--name", k->name, "The validator's name");
  rot->add_option("--public-key", k->public_key, "... or its current public key (hex)");
  rot->add_option("--new-key-file", k->new_key_file, "The new key file (public part read)");
  rot->add_option("--new-public-key", k->new_public_key, "The new public key (hex)");
  rot->add_option("--address", k->address, "A new host:port, if it moves too");
  AddChangeOptions(rot, *k);
  rot->callback([k, &run] { run = [k] { return RunRotate(*k); }; });
}

}  // namespace laurel::cli
