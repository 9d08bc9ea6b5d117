// The derived indexes written by CommitBlock (docs/storage.md, "Derived indexes"): an issuer's
// credential list with filters and pages, the counters, the state as of a past height, the
// history by signer; and their build on a store committed without them. Both stores.
#include <rocksdb/db.h>

#include <catch2/catch.hpp>

#include "crypto/ed25519.h"
#include "laurel/v1/state.pb.h"
#include "ledger/executor.h"
#include "storage/keys.h"
#include "tests/unit/storage/chain_util.h"
#include "tests/unit/storage/store_test_util.h"

using namespace laurel;
using namespace laurel::storage;
using laurel::storage::test::AnyStore;
using laurel::storage::test::TempDir;
using types::CredentialStatus;
using types::CredentialType;
using types::Level;

namespace {

constexpr const char* kChain = "index-test";

crypto::PrivateKey KeyOf(uint8_t tag) {
  return crypto::PrivateKey::FromSeed(Bytes(32, tag)).value();
}
Bytes PubOf(const crypto::PrivateKey& k) {
  return Bytes(k.public_key().begin(), k.public_key().end());
}

std::vector<types::TypeGrant> AllGrants() {
  return {{CredentialType::kMember, {}},
          {CredentialType::kModelWorker,
           {Level::kNational, Level::kProvincial, Level::kMunicipal, Level::kDistrict,
            Level::kEnterprise}}};
}

// A chain on a store: genesis with city-fed (2-of-3 admins), blocks of signed transactions.
struct IndexedChain {
  Store& store;
  ledger::Genesis genesis;
  ledger::Executor exec{kChain};
  crypto::PrivateKey a1 = KeyOf(1), a2 = KeyOf(2), a3 = KeyOf(3), fed = KeyOf(10),
                     district = KeyOf(11), district2 = KeyOf(12);
  Hash32 tip{};
  uint64_t nonce = 0;

  explicit IndexedChain(Store& s, bool resume = false) : store(s) {
    genesis.chain_id = kChain;
    genesis.genesis_time_ms = 1'700'000'000'000;
    genesis.validators = {types::Validator{PubOf(KeyOf(100)), "v0", "127.0.0.1:9000"}};
    genesis.admin_keys = {PubOf(a1), PubOf(a2), PubOf(a3)};
    genesis.threshold = 2;
    genesis.issuers = {
        types::RegisterIssuer{"city-fed", "City Federation", "", PubOf(fed), AllGrants(), true}};
    if (resume) {  // a store this chain committed before: go on from its tip
      tip = store.GetBlock(store.Height()).value()->block_id;
      nonce = 1000;
      return;
    }
    REQUIRE(test::CommitGenesis(store, genesis).ok());
    tip = store.GetBlock(0).value()->block_id;
  }

  types::Tx Make(types::Action action, std::vector<const crypto::PrivateKey*> signers) {
    types::TxBody body;
    body.chain_id = kChain;
    body.nonce = Bytes(16, 0);
    const uint64_t n = ++nonce;
    for (int i = 0; i < 8; ++i) body.nonce[i] = static_cast<uint8_t>(n >> (8 * i));
    body.expires_at_height = 100000;
    body.action = std::move(action);
    types::Tx tx = types::MakeTx(body);
    for (const auto* k : signers) types::SignTx(tx, *k);
    return tx;
  }

  // Commits one block; returns its outcomes' codes.
  std::vector<ledger::TxCode> Block(std::vector<types::Tx> txs) {
    auto r = test::ExecuteAndCommit(store, exec, genesis, tip, std::move(txs), &tip);
    REQUIRE(r.ok());
    std::vector<ledger::TxCode> codes;
    for (const auto& o : r->outcomes) codes.push_back(o.code);
    return codes;
  }
  void Ok(types::Action a, std::vector<const crypto::PrivateKey*> signers) {
    REQUIRE(Block({Make(std::move(a), std::move(signers))}) ==
            std::vector<ledger::TxCode>{ledger::TxCode::kOk});
  }
  types::Tx Issue(const std::string& id, const std::string& issuer, const crypto::PrivateKey& k,
                  CredentialType type = CredentialType::kMember,
                  Level level = Level::kUnspecified) {
    return Make(types::IssueCredential{id, issuer, type, level, Bytes(32, 7), 100, 2'000'000'000},
                {&k});
  }
};

std::vector<std::string> Ids(const CredentialPage& p) {
  std::vector<std::string> out;
  for (const auto& c : p.credentials) out.push_back(c.credential_id);
  return out;
}

uint64_t Count(const std::vector<CountCell>& cells, std::optional<CredentialStatus> status,
               std::optional<CredentialType> type = std::nullopt,
               std::optional<Level> level = std::nullopt) {
  uint64_t n = 0;
  for (const auto& c : cells) {
    if ((!status || c.status == *status) && (!type || c.type == *type) &&
        (!level || c.level == *level)) {
      n += c.count;
    }
  }
  return n;
}

// Runs the shared scenario: city-fed issues five cards over two blocks, delegates
// district-7, which issues two; city-fed (the parent) suspends one of district-7's cards; the
// district suspends and then revokes one of its own... Heights: 1 issue x3, 2 issue x2,
// 3 register district-7, 4 district issues x2, 5 parent suspends, 6 city-fed revokes one.
void Scenario(IndexedChain& c) {
  c.Block({c.Issue("city-fed/M/0003", "city-fed", c.fed),
           c.Issue("city-fed/M/0001", "city-fed", c.fed),
           c.Issue("city-fed/MW/0002", "city-fed", c.fed, CredentialType::kModelWorker,
                   Level::kMunicipal)});
  c.Block({c.Issue("city-fed/MW/0005", "city-fed", c.fed, CredentialType::kModelWorker,
                   Level::kDistrict),
           c.Issue("city-fed/M/0004", "city-fed", c.fed)});
  c.Ok(types::RegisterIssuer{"district-7", "第七区工会", "city-fed", PubOf(c.district), AllGrants(),
                             false},
       {&c.fed});
  c.Block({c.Issue("district-7/M/1", "district-7", c.district),
           c.Issue("district-7/MW/2", "district-7", c.district, CredentialType::kModelWorker,
                   Level::kEnterprise)});
  c.Ok(types::SetCredentialStatus{"district-7/M/1", CredentialStatus::kSuspended, "核查中"},
       {&c.fed});
  c.Ok(types::SetCredentialStatus{"city-fed/M/0001", CredentialStatus::kRevoked, "left"}, {&c.fed});
}

}  // namespace

TEST_CASE("an issuer's credential list is in id order, filtered by status, type and level",
          "[storage][index]") {
  crypto::Init();
  for (const char* kind : {"memory", "rocksdb"}) {
    SECTION(kind) {
      AnyStore s(kind);
      IndexedChain c(*s);
      Scenario(c);
      auto all = s->ListIssuerCredentials("city-fed", {}, "", 100);
      REQUIRE(all.ok());
      CHECK(Ids(*all) == std::vector<std::string>{"city-fed/M/0001", "city-fed/M/0003",
                                                  "city-fed/M/0004", "city-fed/MW/0002",
                                                  "city-fed/MW/0005"});
      CHECK(all->next_page_token.empty());
      CHECK(all->height == 6);
      // The revocation moved it between cells; the child's cards are not the parent's.
      auto revoked =
          s->ListIssuerCredentials("city-fed", {CredentialStatus::kRevoked, {}, {}}, "", 100);
      CHECK(Ids(*revoked) == std::vector<std::string>{"city-fed/M/0001"});
      CHECK(revoked->credentials[0].status == CredentialStatus::kRevoked);
      auto active =
          s->ListIssuerCredentials("city-fed", {CredentialStatus::kActive, {}, {}}, "", 100);
      CHECK(active->credentials.size() == 4);
      auto district = s->ListIssuerCredentials(
          "city-fed", {{}, CredentialType::kModelWorker, Level::kDistrict}, "", 100);
      CHECK(Ids(*district) == std::vector<std::string>{"city-fed/MW/0005"});
      auto members =
          s->ListIssuerCredentials("city-fed", {{}, CredentialType::kMember, {}}, "", 100);
      CHECK(members->credentials.size() == 3);
      auto child =
          s->ListIssuerCredentials("district-7", {CredentialStatus::kSuspended, {}, {}}, "", 100);
      CHECK(Ids(*child) == std::vector<std::string>{"district-7/M/1"});
      CHECK(s->ListIssuerCredentials("no-such", {}, "", 100)->credentials.empty());

      // Pages of 2 walk the same list; each token continues after the last id.
      std::vector<std::string> walked;
      std::string token;
      int pages = 0;
      do {
        auto p = s->ListIssuerCredentials("city-fed", {}, token, 2);
        REQUIRE(p.ok());
        CHECK(p->credentials.size() <= 2);
        for (const auto& id : Ids(*p)) walked.push_back(id);
        token = p->next_page_token;
        ++pages;
      } while (!token.empty() && pages < 10);
      CHECK(walked == Ids(*all));
      CHECK(pages == 3);

      for (const char* bad : {"zz", "0", "00", "6100"}) {
        CHECK(s->ListIssuerCredentials("city-fed", {}, bad, 10).status().code() ==
              StatusCode::kInvalidArgument);
      }
    }
  }
}

TEST_CASE("counts follow issuance and status changes, per issuer, with descendants, chain-wide",
          "[storage][index]") {
  crypto::Init();
  for (const char* kind : {"memory", "rocksdb"}) {
    SECTION(kind) {
      AnyStore s(kind);
      IndexedChain c(*s);
      Scenario(c);
      auto fed = s->IssuerStats("city-fed");
      REQUIRE(fed.ok());
      CHECK(fed->height == 6);
      CHECK(Count(fed->own, {}) == 5);
      CHECK(Count(fed->own, CredentialStatus::kActive) == 4);
      CHECK(Count(fed->own, CredentialStatus::kRevoked) == 1);
      CHECK(Count(fed->own, {}, CredentialType::kModelWorker, Level::kMunicipal) == 1);
      CHECK(Count(fed->subtree, {}) == 7);
      CHECK(Count(fed->subtree, CredentialStatus::kSuspended) == 1);
      CHECK(Count(fed->subtree, {}, CredentialType::kModelWorker, Level::kEnterprise) == 1);
      auto d7 = s->IssuerStats("district-7");
      CHECK(Count(d7->own, {}) == 2);
      CHECK(Count(d7->subtree, {}) == 2);
      CHECK(Count(d7->own, CredentialStatus::kSuspended) == 1);
      auto none = s->IssuerStats("no-such");
      CHECK(none->own.empty());

      auto chain = s->ChainStats();
      REQUIRE(chain.ok());
      CHECK(Count(chain->credentials, {}) == 7);
      CHECK(Count(chain->credentials, CredentialStatus::kRevoked) == 1);
      CHECK(chain->issuers == std::vector<std::pair<types::IssuerStatus, uint64_t>>{
                                  {types::IssuerStatus::kActive, 2}});
      CHECK(chain->transactions == 10);
      CHECK(chain->transactions_ok == 10);

      // A rejected transaction counts as a transaction, not as a card.
      c.Block({c.Issue("city-fed/M/0003", "city-fed", c.fed)});
      chain = s->ChainStats();
      CHECK(chain->transactions == 11);
      CHECK(chain->transactions_ok == 10);
      CHECK(Count(chain->credentials, {}) == 7);
      // Suspending the district changes the issuer counts.
      c.Ok(types::SetIssuerStatus{"district-7", types::IssuerStatus::kSuspended, "audit"},
           {&c.fed});
      chain = s->ChainStats();
      CHECK(chain->issuers ==
            std::vector<std::pair<types::IssuerStatus, uint64_t>>{
                {types::IssuerStatus::kActive, 1}, {types::IssuerStatus::kSuspended, 1}});
    }
  }
}

TEST_CASE("the state at a past height has the records as they were then", "[storage][index]") {
  crypto::Init();
  for (const char* kind : {"memory", "rocksdb"}) {
    SECTION(kind) {
      AnyStore s(kind);
      IndexedChain c(*s);
      Scenario(c);
      auto at4 = s->StateAt(4);
      REQUIRE(at4.ok());
      CHECK((*at4)->Height() == 4);
      CHECK(ledger::ReadCredential(**at4, "district-7/M/1")->status == CredentialStatus::kActive);
      auto at5 = s->StateAt(5);
      CHECK(ledger::ReadCredential(**at5, "district-7/M/1")->status ==
            CredentialStatus::kSuspended);
      CHECK(ledger::ReadCredential(**at5, "district-7/M/1")->status_reason == "核查中");
      auto at3 = s->StateAt(3);
      CHECK_FALSE(ledger::ReadCredential(**at3, "district-7/M/1").has_value());
      CHECK(ledger::ReadIssuer(**at3, "district-7").has_value());
      auto at2 = s->StateAt(2);
      CHECK_FALSE(ledger::ReadIssuer(**at2, "district-7").has_value());
      CHECK(ledger::ReadGovernance(**at2).has_value());
      auto at0 = s->StateAt(0);
      CHECK_FALSE(ledger::ReadCredential(**at0, "city-fed/M/0001").has_value());
      // A later write at the same key does not leak into an older height.
      CHECK(ledger::ReadCredential(**s->StateAt(5), "city-fed/M/0001")->status ==
            CredentialStatus::kActive);
      CHECK(ledger::ReadCredential(**s->StateAt(6), "city-fed/M/0001")->status ==
            CredentialStatus::kRevoked);
      CHECK(s->StateAt(7).status().code() == StatusCode::kInvalidArgument);
      CHECK(s->RetainedFrom() == 0);

      // Block times are genesis + height seconds (chain_util.h).
      const uint64_t t0 = c.genesis.genesis_time_ms;
      CHECK(s->HeightAtTime(t0 + 4000).value() == std::optional<uint64_t>(4));
      CHECK(s->HeightAtTime(t0 + 4999).value() == std::optional<uint64_t>(4));
      CHECK(s->HeightAtTime(t0 + 99'000).value() == std::optional<uint64_t>(6));
      CHECK(s->HeightAtTime(t0).value() == std::optional<uint64_t>(0));
      CHECK_FALSE(s->HeightAtTime(t0 - 1).value().has_value());
    }
  }
}

TEST_CASE(
    "history entries say what happened and who signed, a parent's history shows what it "
    "signed on a child's card",
    "[storage][index]") {
  crypto::Init();
  for (const char* kind : {"memory", "rocksdb"}) {
    SECTION(kind) {
      AnyStore s(kind);
      IndexedChain c(*s);
      Scenario(c);
      auto cred = s->CredentialHistory("district-7/M/1", "", 100);
      REQUIRE(cred.ok());
      REQUIRE(cred->entries.size() == 2);
      const HistoryEntry& issue = cred->entries[0];
      CHECK(issue.action == "issue_credential");
      CHECK(issue.credential_id == "district-7/M/1");
      CHECK(issue.issuer_id == "district-7");
      CHECK(issue.type == CredentialType::kMember);
      CHECK(issue.valid_until == 2'000'000'000);
      CHECK(issue.signed_as == ledger::Authority::kIssuer);
      CHECK(issue.signer_issuer_id == "district-7");
      CHECK(issue.signer_key_version == 1);
      const HistoryEntry& suspend = cred->entries[1];
      CHECK(suspend.action == "set_credential_status");
      CHECK(suspend.new_status == static_cast<uint32_t>(CredentialStatus::kSuspended));
      CHECK(suspend.reason == "核查中");
      CHECK(suspend.signed_as == ledger::Authority::kParent);
      CHECK(suspend.signer_issuer_id == "city-fed");

      // The parent: not in what concerns it, but in what it signed and in both together.
      auto concerning = s->IssuerHistoryOf("city-fed", IssuerHistoryScope::kConcerning, "", 100);
      auto signed_by = s->IssuerHistoryOf("city-fed", IssuerHistoryScope::kSignedBy, "", 100);
      auto both = s->IssuerHistoryOf("city-fed", IssuerHistoryScope::kAll, "", 100);
      REQUIRE((concerning.ok() && signed_by.ok() && both.ok()));
      auto has_suspend = [](const HistoryPage& p) {
        for (const auto& e : p.entries) {
          if (e.credential_id == "district-7/M/1" && e.action == "set_credential_status") {
            return true;
          }
        }
        return false;
      };
      CHECK_FALSE(has_suspend(*concerning));
      CHECK(has_suspend(*signed_by));
      CHECK(has_suspend(*both));
      // issue x5, register district-7, suspend (signed), revoke: 8, each once, in order.
      CHECK(both->entries.size() == 8);
      for (size_t i = 1; i < both->entries.size(); ++i) {
        const auto& a = both->entries[i - 1];
        const auto& b = both->entries[i];
        CHECK((a.height < b.height || (a.height == b.height && a.position < b.position)));
      }
      // The same in pages of 3.
      std::vector<std::pair<uint64_t, uint32_t>> walked;
      std::string token;
      do {
        auto p = s->IssuerHistoryOf("city-fed", IssuerHistoryScope::kAll, token, 3);
        REQUIRE(p.ok());
        for (const auto& e : p->entries) walked.emplace_back(e.height, e.position);
        token = p->next_page_token;
      } while (!token.empty() && walked.size() < 100);
      CHECK(walked.size() == 8);
      // Governance's signature is resolved to its admins.
      c.Ok(types::SetIssuerStatus{"district-7", types::IssuerStatus::kSuspended, "审计"},
           {&c.a1, &c.a3});
      auto d7 = s->IssuerHistoryOf("district-7", IssuerHistoryScope::kAll, "", 100);
      const HistoryEntry& gov = d7->entries.back();
      CHECK(gov.action == "set_issuer_status");
      CHECK(gov.signed_as == ledger::Authority::kGovernance);
      CHECK(gov.signer_admins == std::vector<Bytes>{PubOf(c.a1), PubOf(c.a3)});
      CHECK(gov.signer_issuer_id.empty());
      CHECK(gov.new_status == static_cast<uint32_t>(types::IssuerStatus::kSuspended));
      CHECK(s->IssuerHistoryOf("city-fed", IssuerHistoryScope::kAll, "xyz", 3).status().code() ==
            StatusCode::kInvalidArgument);
    }
  }
}

TEST_CASE("a store committed without the indexes gets them built on open, counted from its state",
          "[storage][index]") {
  crypto::Init();
  TempDir dir;
  uint64_t tip = 0;
  {
    auto s = OpenRocksStore(dir.db());
    REQUIRE(s.ok());
    IndexedChain c(**s);
    Scenario(c);
    tip = (*s)->Height();
  }
  {  // What a version without the indexes left: no index column family content at all.
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (size_t i = 0; i < keys::kNumCfs; ++i) {
      cfs.emplace_back(keys::CfName(static_cast<keys::Cf>(i)), rocksdb::ColumnFamilyOptions());
    }
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    REQUIRE(rocksdb::DB::Open(rocksdb::DBOptions(), dir.db(), cfs, &handles, &raw).ok());
    auto* index = handles[static_cast<size_t>(keys::Cf::kIndex)];
    REQUIRE(raw->DeleteRange(rocksdb::WriteOptions(), index, std::string(1, '\0'),
                             std::string(1, '\xff'))
                .ok());
    for (auto* h : handles) (void)raw->DestroyColumnFamilyHandle(h);
    delete raw;
  }
  auto s = OpenRocksStore(dir.db());
  REQUIRE(s.ok());
  CHECK((*s)->RetainedFrom() == tip);
  auto fed = (*s)->IssuerStats("city-fed");
  CHECK(Count(fed->own, {}) == 5);
  CHECK(Count(fed->subtree, {}) == 7);
  CHECK(Count(fed->subtree, CredentialStatus::kSuspended) == 1);
  auto list = (*s)->ListIssuerCredentials("city-fed", {CredentialStatus::kRevoked, {}, {}}, "", 10);
  CHECK(Ids(*list) == std::vector<std::string>{"city-fed/M/0001"});
  CHECK((*s)->ChainStats()->issuers ==
        std::vector<std::pair<types::IssuerStatus, uint64_t>>{{types::IssuerStatus::kActive, 2}});
  // Older heights are not known; the tip is.
  CHECK((*s)->StateAt(tip - 1).status().code() == StatusCode::kNotFound);
  auto at_tip = (*s)->StateAt(tip);
  REQUIRE(at_tip.ok());
  CHECK(ledger::ReadCredential(**at_tip, "city-fed/M/0001")->status == CredentialStatus::kRevoked);
}

namespace {

// Every history page of the scenario's ids and issuers, as text (one line per entry).
std::string AllHistory(Store& s) {
  std::string out;
  const auto add = [&](const std::string& what, const Result<HistoryPage>& page) {
    REQUIRE(page.ok());
    for (const auto& e : page->entries) {
      out += what + " " + std::to_string(e.height) + "/" + std::to_string(e.position) + " " +
             HexEncode(e.tx_id) + " " + e.action + " " + std::to_string(static_cast<int>(e.code)) +
             " " + e.credential_id + " " + e.issuer_id + " " + e.reason + " " + e.signer_issuer_id +
             " " + std::to_string(static_cast<int>(e.signed_as)) + " " +
             std::to_string(e.signer_admins.size()) + "\n";
    }
  };
  for (const char* id : {"city-fed/M/0001", "city-fed/M/0003", "city-fed/MW/0005", "district-7/M/1",
                         "district-7/MW/2", "city-fed/M/0009"}) {
    add(std::string("c ") + id, s.CredentialHistory(id, "", 1000));
  }
  for (const char* id : {"city-fed", "district-7"}) {
    add(std::string("i ") + id, s.IssuerHistory(id, "", 1000));
    for (auto scope : {IssuerHistoryScope::kConcerning, IssuerHistoryScope::kSignedBy,
                       IssuerHistoryScope::kAll}) {
      add(std::string("o ") + id + std::to_string(static_cast<int>(scope)),
          s.IssuerHistoryOf(id, scope, "", 1000));
    }
  }
  return out;
}

// The raw history and index families of a closed RocksDB store.
struct RawHistory {
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  explicit RawHistory(const std::string& path) {
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (size_t i = 0; i < keys::kNumCfs; ++i) {
      cfs.emplace_back(keys::CfName(static_cast<keys::Cf>(i)), rocksdb::ColumnFamilyOptions());
    }
    REQUIRE(rocksdb::DB::Open(rocksdb::DBOptions(), path, cfs, &handles, &db).ok());
  }
  ~RawHistory() {
    for (auto* h : handles) (void)db->DestroyColumnFamilyHandle(h);
    delete db;
  }
  RawHistory(const RawHistory&) = delete;
  RawHistory& operator=(const RawHistory&) = delete;
  rocksdb::ColumnFamilyHandle* Cf(keys::Cf cf) { return handles[static_cast<size_t>(cf)]; }
  std::vector<std::pair<std::string, std::string>> History() {
    std::vector<std::pair<std::string, std::string>> out;
    std::unique_ptr<rocksdb::Iterator> it(
        db->NewIterator(rocksdb::ReadOptions(), Cf(keys::Cf::kHistory)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      out.emplace_back(it->key().ToString(), it->value().ToString());
    }
    REQUIRE(it->status().ok());
    return out;
  }
  laurel::v1::IndexMeta Meta() {
    std::string v;
    REQUIRE(db->Get(rocksdb::ReadOptions(), Cf(keys::Cf::kIndex), keys::kIndexMetaKey, &v).ok());
    laurel::v1::IndexMeta m;
    REQUIRE(m.ParseFromString(v));
    return m;
  }
  void SetMetaVersion(uint32_t version) {
    laurel::v1::IndexMeta m = Meta();
    m.set_version(version);
    REQUIRE(db->Put(rocksdb::WriteOptions(), Cf(keys::Cf::kIndex), keys::kIndexMetaKey,
                    m.SerializeAsString())
                .ok());
  }
};

}  // namespace

TEST_CASE(
    "a transaction's history entry is stored once, and a store whose history keys each "
    "hold their entry (index layout 1) reads the same and is marked layout 2 on open",
    "[storage][index][history]") {
  crypto::Init();
  TempDir dir;
  std::string before;
  {
    auto s = OpenRocksStore(dir.db());
    REQUIRE(s.ok());
    IndexedChain c(**s);
    Scenario(c);
    before = AllHistory(**s);
  }
  REQUIRE(before.find("issue_credential") != std::string::npos);
  {
    RawHistory raw(dir.db());
    CHECK(raw.Meta().version() == 2);
    // An issue has three index keys (credential, issuer, signer): one record, keys empty.
    // Every empty key has its record; a record is never empty.
    size_t records = 0, empty_keys = 0;
    std::map<std::string, std::string> record_of;
    for (const auto& [k, v] : raw.History()) {
      if (k[0] == keys::kHistoryRecordTag) {
        CHECK(k.size() == 1 + keys::kHistorySuffixSize);
        CHECK_FALSE(v.empty());
        record_of[k.substr(1)] = v;
        ++records;
      }
    }
    CHECK(records >= 7);  // the scenario's seven issues at least
    for (const auto& [k, v] : raw.History()) {
      if (k[0] == keys::kHistoryRecordTag || !v.empty()) continue;
      ++empty_keys;
      CHECK(record_of.count(k.substr(k.size() - keys::kHistorySuffixSize)) == 1);
    }
    CHECK(empty_keys >= 2 * records);
    // Back to layout 1, as the releases before it wrote it: every key holds its entry.
    for (const auto& [k, v] : raw.History()) {
      auto* h = raw.Cf(keys::Cf::kHistory);
      if (k[0] == keys::kHistoryRecordTag) {
        REQUIRE(raw.db->Delete(rocksdb::WriteOptions(), h, k).ok());
      } else if (v.empty()) {
        REQUIRE(raw.db
                    ->Put(rocksdb::WriteOptions(), h, k,
                          record_of.at(k.substr(k.size() - keys::kHistorySuffixSize)))
                    .ok());
      }
    }
    raw.SetMetaVersion(1);
  }
  {
    auto s = OpenRocksStore(dir.db());
    REQUIRE(s.ok());
    CHECK(AllHistory(**s) == before);
  }
  {
    RawHistory raw(dir.db());
    CHECK(raw.Meta().version() == 2);  // so that a layout-1 release refuses it from now on
    for (const auto& [k, v] : raw.History()) CHECK(k[0] != keys::kHistoryRecordTag);
  }
  // New blocks on the converted store are written in layout 2 and read beside the old ones.
  {
    auto s = OpenRocksStore(dir.db());
    REQUIRE(s.ok());
    IndexedChain c(**s, /*resume=*/true);
    c.Ok(types::IssueCredential{"city-fed/M/0009", "city-fed", CredentialType::kMember,
                                Level::kUnspecified, Bytes(32, 7), 100, 2'000'000'000},
         {&c.fed});
    const std::string after = AllHistory(**s);
    CHECK(after.size() > before.size());
    CHECK(after.find("c city-fed/M/0009 7/0") != std::string::npos);
    auto fed = (*s)->IssuerHistory("city-fed", "", 1000);
    REQUIRE(fed.ok());
    CHECK(fed->entries.back().credential_id == "city-fed/M/0009");
  }
  // A layout this release does not know is refused, not misread.
  {
    RawHistory raw(dir.db());
    raw.SetMetaVersion(3);
  }
  auto refused = OpenRocksStore(dir.db());
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == StatusCode::kCorruption);
  CHECK(refused.status().message().find("version 3") != std::string::npos);
}
