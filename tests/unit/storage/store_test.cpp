#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "crypto/sha256.h"
#include "tests/unit/storage/store_test_util.h"

using namespace laurel;
using namespace laurel::storage;
using laurel::storage::test::AnyStore;
using laurel::storage::test::TempDir;

namespace {

struct FakeTx {
  std::string body;
  ledger::TxCode code = ledger::TxCode::kOk;
  std::vector<std::string> credential_ids;
  std::vector<std::string> issuer_ids;
};

Hash32 HashOf(const std::string& s) { return crypto::Sha256Of(s); }

// A block as the node would commit it, with a result made up for the test (the store does not
// re-execute, so any writes and roots will do).
struct TestBlock {
  BlockRecord record;
  ledger::BlockResult result;
};

TestBlock MakeBlock(uint64_t height, const std::vector<FakeTx>& txs,
                    std::map<std::string, std::string> writes = {}) {
  TestBlock b;
  b.record.height = height;
  b.record.block_id = HashOf("block " + std::to_string(height));
  b.record.parent_id = height == 0 ? Hash32{} : HashOf("block " + std::to_string(height - 1));
  b.record.time_ms = 1'700'000'000'000 + height * 1000;
  b.record.header = ToBytes("header " + std::to_string(height));
  b.record.certificate = ToBytes("cert " + std::to_string(height));
  for (const auto& f : txs) {
    types::Tx tx;
    tx.body = ToBytes(f.body);
    tx.signatures.push_back({Bytes(32, static_cast<uint8_t>(height)), Bytes(64, 0xab)});
    ledger::TxOutcome o;
    o.tx_id = types::TxId(tx);
    o.code = f.code;
    o.action = "issue_credential";
    o.signer = tx.signatures[0].public_key;
    o.credential_ids = f.credential_ids;
    o.issuer_ids = f.issuer_ids;
    b.record.txs.push_back(std::move(tx));
    b.result.outcomes.push_back(std::move(o));
  }
  b.result.writes = std::move(writes);
  b.result.state_root = HashOf("root " + std::to_string(height));
  b.result.tx_root = HashOf("txroot " + std::to_string(height));
  return b;
}

Status Commit(Store& s, const TestBlock& b) { return s.CommitBlock(b.record, b.result); }

// Genesis plus three blocks with state writes, history and a rejected transaction.
std::vector<TestBlock> SmallChain() {
  std::vector<TestBlock> chain;
  chain.push_back(MakeBlock(0, {}, {{"g", "governance v0"}, {"i/root", "root issuer"}}));
  chain.push_back(MakeBlock(1,
                            {{"tx 1.0", ledger::TxCode::kOk, {"root/1"}, {"root"}},
                             {"tx 1.1", ledger::TxCode::kBadSignature, {"root/2"}, {"root"}}},
                            {{"c/root/1", "credential 1"}}));
  chain.push_back(MakeBlock(2, {}, {}));
  chain.push_back(MakeBlock(3, {{"tx 3.0", ledger::TxCode::kOk, {"root/1"}, {"root"}}},
                            {{"c/root/1", "credential 1 suspended"}, {"g", "governance v1"}}));
  return chain;
}

void CheckSmallChain(Store& s) {
  const auto chain = SmallChain();
  REQUIRE_FALSE(s.Empty());
  CHECK(s.Height() == 3);
  CHECK(s.StateRoot() == chain[3].result.state_root);
  for (const auto& b : chain) {
    auto got = s.GetBlock(b.record.height);
    REQUIRE(got.ok());
    REQUIRE(got->has_value());
    const BlockRecord& r = **got;
    CHECK(r.height == b.record.height);
    CHECK(r.block_id == b.record.block_id);
    CHECK(r.parent_id == b.record.parent_id);
    CHECK(r.time_ms == b.record.time_ms);
    CHECK(r.header == b.record.header);
    CHECK(r.certificate == b.record.certificate);
    CHECK(r.state_root == b.result.state_root);
    CHECK(r.tx_root == b.result.tx_root);
    REQUIRE(r.txs.size() == b.record.txs.size());
    REQUIRE(r.results.size() == b.record.txs.size());
    for (size_t i = 0; i < r.txs.size(); ++i) {
      CHECK(r.txs[i].body == b.record.txs[i].body);
      REQUIRE(r.txs[i].signatures.size() == 1);
      CHECK(r.txs[i].signatures[0].public_key == b.record.txs[i].signatures[0].public_key);
      CHECK(r.txs[i].signatures[0].signature == b.record.txs[i].signatures[0].signature);
      CHECK(r.results[i] == b.result.outcomes[i].code);
    }
    CHECK(s.HeightOfBlock(b.record.block_id) == b.record.height);
  }
  auto above = s.GetBlock(4);
  REQUIRE(above.ok());
  CHECK_FALSE(above->has_value());
  CHECK_FALSE(s.HeightOfBlock(HashOf("block 4")).has_value());

  auto loc = s.GetTxLocation(chain[1].result.outcomes[1].tx_id);
  REQUIRE(loc.has_value());
  CHECK(loc->height == 1);
  CHECK(loc->position == 1);
  CHECK(loc->code == ledger::TxCode::kBadSignature);
  loc = s.GetTxLocation(chain[3].result.outcomes[0].tx_id);
  REQUIRE(loc.has_value());
  CHECK(loc->height == 3);
  CHECK(loc->position == 0);
  CHECK(loc->code == ledger::TxCode::kOk);
  CHECK(s.HasTx(chain[1].result.outcomes[0].tx_id));
  CHECK_FALSE(s.HasTx(HashOf("never sent")));
  CHECK_FALSE(s.GetTxLocation(HashOf("never sent")).has_value());

  CHECK(s.GetState("g") == "governance v1");
  CHECK(s.GetState("i/root") == "root issuer");
  CHECK(s.GetState("c/root/1") == "credential 1 suspended");
  CHECK_FALSE(s.GetState("c/root/2").has_value());

  auto h = s.CredentialHistory("root/1", "", 10);
  REQUIRE(h.ok());
  REQUIRE(h->entries.size() == 2);
  CHECK(h->entries[0].height == 1);
  CHECK(h->entries[0].position == 0);
  CHECK(h->entries[0].tx_id == chain[1].result.outcomes[0].tx_id);
  CHECK(h->entries[0].action == "issue_credential");
  CHECK(h->entries[0].signer == chain[1].record.txs[0].signatures[0].public_key);
  CHECK(h->entries[0].time_ms == chain[1].record.time_ms);
  CHECK(h->entries[1].height == 3);
  CHECK(h->next_page_token.empty());
  auto ih = s.IssuerHistory("root", "", 10);
  REQUIRE(ih.ok());
  REQUIRE(ih->entries.size() == 3);
  CHECK(ih->entries[1].code == ledger::TxCode::kBadSignature);
}

}  // namespace

TEST_CASE("a store commits genesis and blocks and reads back blocks, txs, state and history",
          "[store]") {
  AnyStore s(GENERATE(as<std::string>{}, "memory", "rocksdb"));
  INFO("store " << s.kind);
  CHECK(s->Empty());
  CHECK(s->StateRoot() == Hash32{});
  for (const auto& b : SmallChain()) REQUIRE(Commit(*s, b).ok());
  CheckSmallChain(*s);
}

TEST_CASE("a store refuses out-of-order heights and inconsistent commits and stays unchanged",
          "[store]") {
  AnyStore s(GENERATE(as<std::string>{}, "memory", "rocksdb"));
  INFO("store " << s.kind);
  // An empty store takes only genesis.
  auto st = Commit(*s, MakeBlock(1, {}));
  CHECK(st.code() == StatusCode::kInvalidArgument);
  CHECK(s->Empty());
  REQUIRE(Commit(*s, MakeBlock(0, {})).ok());
  CHECK(Commit(*s, MakeBlock(0, {})).code() == StatusCode::kInvalidArgument);
  CHECK(Commit(*s, MakeBlock(2, {{"skipped", ledger::TxCode::kOk, {"x/1"}, {}}})).code() ==
        StatusCode::kInvalidArgument);
  // Outcomes that do not match the transactions.
  auto bad = MakeBlock(1, {{"a", ledger::TxCode::kOk, {}, {}}});
  bad.result.outcomes.clear();
  CHECK(Commit(*s, bad).code() == StatusCode::kInvalidArgument);
  bad = MakeBlock(1, {{"a", ledger::TxCode::kOk, {}, {}}});
  bad.result.outcomes[0].tx_id = HashOf("another");
  CHECK(Commit(*s, bad).code() == StatusCode::kInvalidArgument);
  // A block id that is already stored.
  bad = MakeBlock(1, {});
  bad.record.block_id = HashOf("block 0");
  CHECK(Commit(*s, bad).code() == StatusCode::kInvalidArgument);

  CHECK(s->Height() == 0);
  CHECK(s->StateRoot() == HashOf("root 0"));
  auto b2 = s->GetBlock(2);
  REQUIRE(b2.ok());
  CHECK_FALSE(b2->has_value());
  CHECK_FALSE(s->HasTx(types::TxId(types::Tx{ToBytes("skipped"), {}})));
  auto h = s->CredentialHistory("x/1", "", 10);
  REQUIRE(h.ok());
  CHECK(h->entries.empty());
  REQUIRE(Commit(*s, MakeBlock(1, {})).ok());
  CHECK(s->Height() == 1);
}

TEST_CASE("a duplicate transaction keeps the location of its first occurrence", "[store]") {
  AnyStore s(GENERATE(as<std::string>{}, "memory", "rocksdb"));
  INFO("store " << s.kind);
  REQUIRE(Commit(*s, MakeBlock(0, {})).ok());
  REQUIRE(Commit(*s, MakeBlock(1, {{"filler", ledger::TxCode::kOk, {}, {}},
                                   {"same", ledger::TxCode::kOk, {}, {}},
                                   {"same", ledger::TxCode::kDuplicateTx, {}, {}}}))
              .ok());
  REQUIRE(Commit(*s, MakeBlock(2, {{"same", ledger::TxCode::kDuplicateTx, {}, {}}})).ok());
  auto loc = s->GetTxLocation(types::TxId(types::Tx{ToBytes("same"), {}}));
  REQUIRE(loc.has_value());
  CHECK(loc->height == 1);
  CHECK(loc->position == 1);
  CHECK(loc->code == ledger::TxCode::kOk);
}

TEST_CASE("a copy with a bad signature does not spend the id, the valid copy does", "[store]") {
  AnyStore s(GENERATE(as<std::string>{}, "memory", "rocksdb"));
  INFO("store " << s.kind);
  const Hash32 id = types::TxId(types::Tx{ToBytes("body"), {}});
  REQUIRE(Commit(*s, MakeBlock(0, {})).ok());
  REQUIRE(Commit(*s, MakeBlock(1, {{"body", ledger::TxCode::kBadSignature, {}, {}}})).ok());
  CHECK_FALSE(s->HasTx(id));
  auto loc = s->GetTxLocation(id);
  REQUIRE(loc.has_value());
  CHECK(loc->code == ledger::TxCode::kBadSignature);
  CHECK(loc->height == 1);
  // Same block: a forged copy, then the real one, then a replay.
  REQUIRE(Commit(*s, MakeBlock(2, {{"body", ledger::TxCode::kMissingSignature, {}, {}},
                                   {"body", ledger::TxCode::kUnknownIssuer, {}, {}},
                                   {"body", ledger::TxCode::kDuplicateTx, {}, {}}}))
              .ok());
  CHECK(s->HasTx(id));
  loc = s->GetTxLocation(id);
  REQUIRE(loc.has_value());
  CHECK(loc->height == 2);
  CHECK(loc->position == 1);
  CHECK(loc->code == ledger::TxCode::kUnknownIssuer);
  REQUIRE(Commit(*s, MakeBlock(3, {{"body", ledger::TxCode::kBadSignature, {}, {}}})).ok());
  loc = s->GetTxLocation(id);
  REQUIRE(loc.has_value());
  CHECK(loc->height == 2);
  CHECK(s->HasTx(id));
}

TEST_CASE("history pages run oldest first and never mix ids that are prefixes of each other",
          "[store][history]") {
  AnyStore s(GENERATE(as<std::string>{}, "memory", "rocksdb"));
  INFO("store " << s.kind);
  REQUIRE(Commit(*s, MakeBlock(0, {})).ok());
  // Heights 1..25: "a/1" in every block at position h % 3; "a/10" every third block;
  // issuer "ab" always, issuer "a" every fifth block.
  for (uint64_t h = 1; h <= 25; ++h) {
    std::vector<FakeTx> txs;
    for (uint32_t p = 0; p < h % 3; ++p)
      txs.push_back({"pad " + std::to_string(h) + "/" + std::to_string(p)});
    std::vector<std::string> creds = {"a/1"};
    if (h % 3 == 0) creds.push_back("a/10");
    std::vector<std::string> issuers = {"ab"};
    if (h % 5 == 0) issuers.push_back("a");
    txs.push_back({"tx " + std::to_string(h), ledger::TxCode::kOk, creds, issuers});
    REQUIRE(Commit(*s, MakeBlock(h, txs)).ok());
  }

  std::vector<HistoryEntry> all;
  std::string token;
  int pages = 0;
  do {
    auto page = s->CredentialHistory("a/1", token, 10);
    REQUIRE(page.ok());
    ++pages;
    CHECK(page->entries.size() == (pages < 3 ? 10u : 5u));
    all.insert(all.end(), page->entries.begin(), page->entries.end());
    token = page->next_page_token;
  } while (!token.empty() && pages < 10);
  CHECK(pages == 3);
  REQUIRE(all.size() == 25);
  for (uint64_t h = 1; h <= 25; ++h) {
    CHECK(all[h - 1].height == h);
    CHECK(all[h - 1].position == h % 3);
  }

  auto a10 = s->CredentialHistory("a/10", "", 1000);
  REQUIRE(a10.ok());
  REQUIRE(a10->entries.size() == 8);
  CHECK(a10->entries.front().height == 3);
  CHECK(a10->entries.back().height == 24);
  CHECK(a10->next_page_token.empty());
  auto none = s->CredentialHistory("a/", "", 1000);
  REQUIRE(none.ok());
  CHECK(none->entries.empty());

  auto issuer_a = s->IssuerHistory("a", "", 1000);
  REQUIRE(issuer_a.ok());
  CHECK(issuer_a->entries.size() == 5);
  auto issuer_ab = s->IssuerHistory("ab", "", 1000);
  REQUIRE(issuer_ab.ok());
  CHECK(issuer_ab->entries.size() == 25);
  // Credential and issuer histories are separate key spaces.
  auto cred_ab = s->CredentialHistory("ab", "", 1000);
  REQUIRE(cred_ab.ok());
  CHECK(cred_ab->entries.empty());

  // A page that ends exactly at the last entry has no next token.
  auto exact = s->CredentialHistory("a/10", "", 8);
  REQUIRE(exact.ok());
  CHECK(exact->entries.size() == 8);
  CHECK(exact->next_page_token.empty());
  // Limit 0 is clamped to 1.
  auto one = s->CredentialHistory("a/10", "", 0);
  REQUIRE(one.ok());
  CHECK(one->entries.size() == 1);
  CHECK_FALSE(one->next_page_token.empty());
  auto next = s->CredentialHistory("a/10", one->next_page_token, 1);
  REQUIRE(next.ok());
  REQUIRE(next->entries.size() == 1);
  CHECK(next->entries[0].height == 6);
}

TEST_CASE("history limits above 1000 are clamped to 1000", "[store][history]") {
  AnyStore s(GENERATE(as<std::string>{}, "memory", "rocksdb"));
  INFO("store " << s.kind);
  REQUIRE(Commit(*s, MakeBlock(0, {})).ok());
  std::vector<FakeTx> txs;
  for (int i = 0; i < 1003; ++i) {
    txs.push_back({"bulk " + std::to_string(i), ledger::TxCode::kOk, {}, {"bulk"}});
  }
  REQUIRE(Commit(*s, MakeBlock(1, txs)).ok());
  auto page = s->IssuerHistory("bulk", "", 5000);
  REQUIRE(page.ok());
  CHECK(page->entries.size() == 1000);
  REQUIRE_FALSE(page->next_page_token.empty());
  auto rest = s->IssuerHistory("bulk", page->next_page_token, 5000);
  REQUIRE(rest.ok());
  REQUIRE(rest->entries.size() == 3);
  CHECK(rest->entries[0].position == 1000);
  CHECK(rest->next_page_token.empty());
}

TEST_CASE("a malformed page token or an empty id is refused as an invalid argument",
          "[store][history]") {
  AnyStore s(GENERATE(as<std::string>{}, "memory", "rocksdb"));
  INFO("store " << s.kind);
  REQUIRE(Commit(*s, MakeBlock(0, {})).ok());
  REQUIRE(Commit(*s, MakeBlock(1, {{"t", ledger::TxCode::kOk, {"x/1"}, {"x"}}})).ok());
  auto page = s->CredentialHistory("x/1", "", 1);
  REQUIRE(page.ok());
  REQUIRE(page->entries.size() == 1);
  for (const std::string& bad : std::vector<std::string>{
           "zz", "0", "00000000000000010000000", "000000000000000100000000ff",
           "00000000000000010000000g", "not a token at all, really", std::string(24, ' ')}) {
    INFO("token '" << bad << "'");
    CHECK(s->CredentialHistory("x/1", bad, 10).status().code() == StatusCode::kInvalidArgument);
    CHECK(s->IssuerHistory("x", bad, 10).status().code() == StatusCode::kInvalidArgument);
  }
  CHECK(s->CredentialHistory("", "", 10).status().code() == StatusCode::kInvalidArgument);
  CHECK(s->CredentialHistory(std::string("x\0y", 3), "", 10).status().code() ==
        StatusCode::kInvalidArgument);
  // A well-formed token past the end gives an empty last page.
  auto past = s->CredentialHistory("x/1", std::string(24, 'f'), 10);
  REQUIRE(past.ok());
  CHECK(past->entries.empty());
  CHECK(past->next_page_token.empty());
}

TEST_CASE("issuers are listed in id order across pages, and only issuers", "[store][issuers]") {
  AnyStore s(GENERATE(as<std::string>{}, "memory", "rocksdb"));
  INFO("store " << s.kind);
  // 23 issuers whose ids are prefixes of each other, among governance and credential keys.
  std::map<std::string, std::string> writes = {
      {"g", "governance"}, {"c/a/1", "credential"}, {"h", "not an issuer"}};
  std::vector<std::string> ids;
  for (int i = 0; i < 23; ++i) {
    std::string id = "u" + std::to_string(i);
    if (i % 4 == 0) id = "u" + std::to_string(i / 4);  // "u0", "u1", ... also plain
    if (std::find(ids.begin(), ids.end(), id) != ids.end()) id += "-x";
    ids.push_back(id);
    ledger::IssuerRecord r;
    r.issuer_id = id;
    r.name = "Issuer " + id;
    r.keys.push_back({1, Bytes(32, static_cast<uint8_t>(i)), 0, 0});
    writes[ledger::IssuerKeyOf(id)] = ledger::EncodeIssuer(r);
  }
  std::sort(ids.begin(), ids.end());
  REQUIRE(Commit(*s, MakeBlock(0, {}, writes)).ok());

  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    auto page = s->ListIssuers(token, 10);
    REQUIRE(page.ok());
    ++pages;
    CHECK(page->issuers.size() == (pages < 3 ? 10u : 3u));
    for (const auto& r : page->issuers) {
      seen.push_back(r.issuer_id);
      CHECK(r.name == "Issuer " + r.issuer_id);
    }
    token = page->next_page_token;
  } while (!token.empty() && pages < 10);
  CHECK(pages == 3);
  CHECK(seen == ids);

  // Exactly one page: no token. Limit 0 is clamped to 1; over 1000 to 1000.
  auto all = s->ListIssuers("", 23);
  REQUIRE(all.ok());
  CHECK(all->issuers.size() == 23);
  CHECK(all->next_page_token.empty());
  auto one = s->ListIssuers("", 0);
  REQUIRE(one.ok());
  CHECK(one->issuers.size() == 1);
  CHECK(one->next_page_token == HexEncode(AsBytes(ids[0])));
  auto big = s->ListIssuers("", 5000);
  REQUIRE(big.ok());
  CHECK(big->issuers.size() == 23);
  // A token past the last id gives an empty last page; a malformed one is refused.
  auto past = s->ListIssuers(HexEncode(AsBytes("zzz")), 10);
  REQUIRE(past.ok());
  CHECK(past->issuers.empty());
  CHECK(past->next_page_token.empty());
  for (const char* bad : {"zz", "abc", "0"}) {
    INFO("token '" << bad << "'");
    CHECK(s->ListIssuers(bad, 10).status().code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("an empty store lists no issuers", "[store][issuers]") {
  AnyStore s("memory");
  auto page = s->ListIssuers("", 100);
  REQUIRE(page.ok());
  CHECK(page->issuers.empty());
  CHECK(page->next_page_token.empty());
}

TEST_CASE("consensus records round-trip and overwrite", "[store]") {
  AnyStore s(GENERATE(as<std::string>{}, "memory", "rocksdb"));
  INFO("store " << s.kind);
  auto missing = s->GetConsensusRecord("safety");
  REQUIRE(missing.ok());
  CHECK_FALSE(missing->has_value());
  const Bytes v1 = {0, 1, 2, 0, 255};
  REQUIRE(s->PutConsensusRecord("safety", v1).ok());
  REQUIRE(s->PutConsensusRecord("high_qc", ToBytes("qc")).ok());
  auto got = s->GetConsensusRecord("safety");
  REQUIRE(got.ok());
  REQUIRE(got->has_value());
  CHECK(**got == v1);
  REQUIRE(s->PutConsensusRecord("safety", ToBytes("v2")).ok());
  got = s->GetConsensusRecord("safety");
  REQUIRE(got.ok());
  CHECK(**got == ToBytes("v2"));
  REQUIRE(s->PutConsensusRecord("empty", Bytes{}).ok());
  got = s->GetConsensusRecord("empty");
  REQUIRE(got.ok());
  REQUIRE(got->has_value());
  CHECK((*got)->empty());
  CHECK(s->PutConsensusRecord("", v1).code() == StatusCode::kInvalidArgument);
  // Consensus records are not state and do not make the store non-empty.
  CHECK(s->Empty());
  CHECK_FALSE(s->GetState("safety").has_value());
}

TEST_CASE("readers concurrent with commits only ever see whole blocks", "[store][rocksdb]") {
  AnyStore s("rocksdb");
  REQUIRE(Commit(*s, MakeBlock(0, {}, {{"counter", "0"}})).ok());
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::atomic<int> reads{0};
  std::thread reader([&] {
    while (!done.load()) {
      const uint64_t h = s->Height();
      auto b = s->GetBlock(h);
      if (!b.ok() || !b->has_value()) ++bad;
      // Each block's tx and its state write land together.
      auto counter = s->GetState("counter");
      if (!counter) {
        ++bad;
        continue;
      }
      const uint64_t c = std::stoull(*counter);
      if (c < h) ++bad;
      if (c > 0 && !s->HasTx(types::TxId(types::Tx{ToBytes("inc " + std::to_string(c)), {}}))) {
        ++bad;
      }
      ++reads;
    }
  });
  for (uint64_t h = 1; h <= 200; ++h) {
    REQUIRE(
        Commit(*s, MakeBlock(h, {{"inc " + std::to_string(h)}}, {{"counter", std::to_string(h)}}))
            .ok());
  }
  done = true;
  reader.join();
  CHECK(bad.load() == 0);
  CHECK(reads.load() > 0);
}

// ---- RocksDB only ----

TEST_CASE("a reopened RocksDB store shows every block, index, state, history and record",
          "[store][rocksdb]") {
  TempDir dir;
  {
    auto s = OpenRocksStore(dir.db());
    REQUIRE(s.ok());
    for (const auto& b : SmallChain()) REQUIRE(Commit(**s, b).ok());
    REQUIRE((*s)->PutConsensusRecord("safety", ToBytes("round 7")).ok());
  }
  auto s = OpenRocksStore(dir.db());
  REQUIRE(s.ok());
  CheckSmallChain(**s);
  auto rec = (*s)->GetConsensusRecord("safety");
  REQUIRE(rec.ok());
  REQUIRE(rec->has_value());
  CHECK(**rec == ToBytes("round 7"));
  // And it continues at the next height.
  CHECK(Commit(**s, MakeBlock(3, {})).code() == StatusCode::kInvalidArgument);
  REQUIRE(Commit(**s, MakeBlock(4, {})).ok());
  CHECK((*s)->Height() == 4);
}

TEST_CASE("a RocksDB store that cannot be opened gives an IoError, not an exception",
          "[store][rocksdb]") {
  TempDir dir;
  {
    auto first = OpenRocksStore(dir.db());
    REQUIRE(first.ok());
    auto second = OpenRocksStore(dir.db());
    REQUIRE_FALSE(second.ok());
    CHECK(second.status().code() == StatusCode::kIoError);
    CHECK(second.status().message().find(dir.db()) != std::string::npos);
    CHECK(second.status().message().find("lock") != std::string::npos);
  }
  const std::string file = (dir.path / "plain-file").string();
  {
    std::FILE* f = std::fopen(file.c_str(), "w");
    REQUIRE(f != nullptr);
    std::fclose(f);
  }
  auto on_file = OpenRocksStore(file);
  REQUIRE_FALSE(on_file.ok());
  CHECK(on_file.status().code() == StatusCode::kIoError);
}

TEST_CASE("a snapshot keeps reading the height it was taken at while blocks commit", "[store]") {
  AnyStore s(GENERATE(as<std::string>{}, "memory", "rocksdb"));
  INFO("store " << s.kind);
  {
    auto empty = s->Snapshot();
    CHECK(empty->Height() == 0);
    CHECK_FALSE(empty->GetState("c/x").has_value());
  }
  REQUIRE(Commit(*s, MakeBlock(0, {}, {{"c/x", "v0"}, {"i/a", "a0"}})).ok());
  auto at0 = s->Snapshot();
  REQUIRE(Commit(*s, MakeBlock(1, {{"spend me", ledger::TxCode::kOk, {}, {}}},
                               {{"c/x", "v1"}, {"i/a", "a1"}, {"c/y", "y1"}}))
              .ok());
  auto at1 = s->Snapshot();
  REQUIRE(Commit(*s, MakeBlock(2, {}, {{"c/x", "v2"}})).ok());

  CHECK(at0->Height() == 0);
  CHECK(at0->GetState("c/x") == "v0");
  CHECK(at0->GetState("i/a") == "a0");
  CHECK_FALSE(at0->GetState("c/y").has_value());
  types::Tx spent;
  spent.body = ToBytes("spend me");
  spent.signatures.push_back({Bytes(32, 1), Bytes(64, 0xab)});
  CHECK_FALSE(at0->HasTx(types::TxId(spent)));

  CHECK(at1->Height() == 1);
  CHECK(at1->GetState("c/x") == "v1");
  CHECK(at1->GetState("c/y") == "y1");
  CHECK(at1->HasTx(types::TxId(spent)));

  CHECK(s->GetState("c/x") == "v2");
  CHECK(s->Snapshot()->Height() == 2);
}
