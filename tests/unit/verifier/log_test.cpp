// verifier: the transaction log checks (docs/spec/state.md §12): the head record "l" proven
// under a state certificate, and inclusion/consistency checks against Certificate
// Transparency's RFC 6962 vectors (tests/vectors/ct-merkle) and against proofs computed from
// stored subtrees (crypto/merkle_log.h), with every flipped bit refused.
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "crypto/merkle.h"
#include "crypto/merkle_log.h"
#include "ledger/state_tree.h"
#include "node/wire.h"
#include "tests/support/vectors.h"
#include "tests/unit/ledger/state_golden.h"
#include "tests/unit/verifier/verifier_fixture.h"
#include "verifier/verifier.h"

namespace laurel::verifier {
namespace {

Bytes B64(const nlohmann::json& v) { return laurel::test::Base64Of(v); }
std::vector<Bytes> B64List(const nlohmann::json& v) { return laurel::test::Base64ListOf(v); }
Hash32 H32(const Bytes& b) {
  Hash32 h{};
  if (b.size() == 32) std::copy(b.begin(), b.end(), h.begin());
  return h;
}

struct MapReader final : crypto::LogTreeReader {
  std::map<std::pair<uint8_t, uint64_t>, Hash32> nodes;
  std::optional<Hash32> GetLogNode(uint8_t level, uint64_t index) const override {
    auto it = nodes.find({level, index});
    if (it == nodes.end()) return std::nullopt;
    return it->second;
  }
};

// A chain state holding a log of `n` leaves under record "l", certified at height 7.
struct Fixture : test::FourValidators {
  golden::MapTree tree;
  crypto::LogHead head = crypto::EmptyLogHead();
  Certificate cert;
  explicit Fixture(uint64_t n) {
    std::vector<Hash32> leaves;
    for (uint64_t i = 0; i < n; ++i)
      leaves.push_back(crypto::MerkleLeafHash(Bytes(36, uint8_t(i))));
    crypto::AppendToLog(head, leaves, nullptr);
    auto u = ledger::UpdateStateTree(
        tree, 0, {{"g", "gov"}, {"l", crypto::EncodeLogHead(head)}, {"i/fed", "fed"}});
    tree.Apply(u);
    cert.height = 7;
    cert.block_id[0] = 1;
    cert.state_root = u.root;
    cert.time_ms = 1000000;
    for (uint32_t s : {0u, 1u, 3u}) {
      cert.signatures.emplace_back(s, keys[s].Sign(CertificateSignBytes(set.chain_id, cert)));
    }
  }
  nlohmann::json Answer(const std::string& key = "l") const {
    nlohmann::json p;
    p["height"] = "7";
    p["time_ms"] = std::to_string(cert.time_ms);
    p["state_root"] = HexEncode(cert.state_root);
    p["certificate"] = HexEncode(Encode(cert));
    p["records"] = nlohmann::json::array({test::RecordJson(tree, key)});
    nlohmann::json a;
    a["height"] = "7";
    a["size"] = std::to_string(head.size);
    a["root"] = HexEncode(head.root);
    a["proof"] = p;
    return a;
  }
};

std::string Why(const Status& s) { return s.ok() ? "" : s.message(); }

}  // namespace

TEST_CASE(
    "log head: a certified record 'l' is accepted, another size, root, height or record "
    "is refused, naming it",
    "[verifier][txlog]") {
  Fixture f(13);
  auto ok = CheckLogHead(f.Answer(), f.set, 0, 0);
  REQUIRE(ok.ok());
  CHECK(ok->size == 13);
  CHECK(ok->root == f.head.root);
  CHECK(ok->state.height == 7);
  CHECK(ok->state.signers == std::vector<std::string>{"v0", "v1", "v3"});

  auto size = f.Answer();
  size["size"] = "14";
  CHECK(Why(CheckLogHead(size, f.set, 0, 0).status()).find("log size") != std::string::npos);
  auto root = f.Answer();
  root["root"] = HexEncode(Hash32{});
  CHECK(Why(CheckLogHead(root, f.set, 0, 0).status()).find("log root") != std::string::npos);
  auto height = f.Answer();
  height["height"] = "8";
  CHECK_FALSE(CheckLogHead(height, f.set, 0, 0).ok());
  auto other = f.Answer("i/fed");
  CHECK(Why(CheckLogHead(other, f.set, 0, 0).status()).find("'l'") != std::string::npos);
  auto value = f.Answer();
  std::string v = value["proof"]["records"][0]["value"];
  v[1] = v[1] == '0' ? '1' : '0';  // the size's low byte... of the record, not the answer
  value["proof"]["records"][0]["value"] = v;
  CHECK_FALSE(CheckLogHead(value, f.set, 0, 0).ok());
  auto none = f.Answer();
  none.erase("proof");
  CHECK(Why(CheckLogHead(none, f.set, 0, 0).status()).find("no proof") != std::string::npos);
}

TEST_CASE("log checks agree with Certificate Transparency's RFC 6962 vectors",
          "[verifier][txlog]") {
  int ok = 0;
  int bad = 0;
  for (const auto& path :
       laurel::test::JsonFilesUnder(laurel::test::VectorsDir() + "/ct-merkle/inclusion")) {
    const auto j = laurel::test::ReadJson(path.string());
    const Bytes leaf = B64(j["leafHash"]);
    const Bytes root = B64(j["root"]);
    INFO(path.string());
    // Hashes of the wrong length cannot be Hash32s: the crypto check refuses those itself.
    if (leaf.size() != 32 || root.size() != 32) continue;
    const bool got = CheckLogInclusion(j["leafIdx"].get<uint64_t>(), j["treeSize"].get<uint64_t>(),
                                       H32(leaf), B64List(j["proof"]), H32(root))
                         .ok();
    CHECK(got == !j["wantErr"].get<bool>());
    (got ? ok : bad)++;
  }
  for (const auto& path :
       laurel::test::JsonFilesUnder(laurel::test::VectorsDir() + "/ct-merkle/consistency")) {
    const auto j = laurel::test::ReadJson(path.string());
    const Bytes r1 = B64(j["root1"]);
    const Bytes r2 = B64(j["root2"]);
    INFO(path.string());
    if (r1.size() != 32 || r2.size() != 32) continue;
    const bool got = CheckLogConsistency(j["size1"].get<uint64_t>(), j["size2"].get<uint64_t>(),
                                         B64List(j["proof"]), H32(r1), H32(r2))
                         .ok();
    CHECK(got == !j["wantErr"].get<bool>());
    (got ? ok : bad)++;
  }
  CHECK(ok > 0);
  CHECK(bad > 0);
}

TEST_CASE(
    "log checks: random sizes, proofs from stored subtrees equal the all-leaves ones, "
    "verify, and every flipped bit fails",
    "[verifier][txlog]") {
  std::mt19937_64 rng(7);
  crypto::LogHead head = crypto::EmptyLogHead();
  MapReader reader;
  std::vector<Hash32> leaves;
  std::vector<Hash32> roots{head.root};  // roots[s]: the root of size s
  for (uint64_t i = 0; i < 700; ++i) {
    const uint64_t batch = 1 + rng() % 9;
    std::vector<Hash32> add;
    for (uint64_t k = 0; k < batch; ++k) {
      Bytes leaf(36);
      for (auto& b : leaf) b = static_cast<uint8_t>(rng());
      add.push_back(crypto::MerkleLeafHash(leaf));
    }
    std::vector<crypto::LogNode> done;
    crypto::AppendToLog(head, add, &done);
    for (const auto& d : done) reader.nodes[{d.level, d.index}] = d.hash;
    for (const auto& a : add) {
      leaves.push_back(a);
      roots.push_back(crypto::MerkleRoot(leaves));
    }
    REQUIRE(head.root == roots.back());
  }
  const uint64_t n = leaves.size();
  for (int round = 0; round < 25; ++round) {
    const uint64_t size = 1 + rng() % n;
    const uint64_t first = 1 + rng() % size;
    const uint64_t index = rng() % size;
    INFO("size " << size << " first " << first << " index " << index);
    const std::span<const Hash32> prefix(leaves.data(), size);
    auto p = crypto::LogInclusionProof(reader, index, size);
    REQUIRE(p.ok());
    REQUIRE(*p == crypto::MerkleInclusionProof(prefix, index));
    std::vector<Bytes> path;
    for (const auto& h : *p) path.emplace_back(h.begin(), h.end());
    REQUIRE(CheckLogInclusion(index, size, leaves[index], path, roots[size]).ok());
    auto c = crypto::LogConsistencyProof(reader, first, size);
    REQUIRE(c.ok());
    REQUIRE(*c == crypto::MerkleConsistencyProof(prefix, first));
    std::vector<Bytes> cp;
    for (const auto& h : *c) cp.emplace_back(h.begin(), h.end());
    REQUIRE(CheckLogConsistency(first, size, cp, roots[first], roots[size]).ok());
    // Every bit of every proof hash, and of both roots.
    for (size_t k = 0; k < path.size(); ++k) {
      for (int bit = 0; bit < 256; ++bit) {
        auto bad = path;
        bad[k][bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
        REQUIRE_FALSE(CheckLogInclusion(index, size, leaves[index], bad, roots[size]).ok());
      }
    }
    for (size_t k = 0; k < cp.size(); ++k) {
      for (int bit = 0; bit < 256; ++bit) {
        auto bad = cp;
        bad[k][bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
        REQUIRE_FALSE(CheckLogConsistency(first, size, bad, roots[first], roots[size]).ok());
      }
    }
    for (int bit = 0; bit < 256; ++bit) {
      Hash32 r1 = roots[first];
      Hash32 r2 = roots[size];
      Hash32 leaf = leaves[index];
      r1[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      r2[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      leaf[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      REQUIRE_FALSE(CheckLogInclusion(index, size, leaf, path, roots[size]).ok());
      REQUIRE_FALSE(CheckLogInclusion(index, size, leaves[index], path, r2).ok());
      if (first < size) {
        REQUIRE_FALSE(CheckLogConsistency(first, size, cp, r1, roots[size]).ok());
        REQUIRE_FALSE(CheckLogConsistency(first, size, cp, roots[first], r2).ok());
      }
    }
  }
  CHECK(Why(CheckLogConsistency(0, 5, {}, roots[0], roots[5])).find("empty log") !=
        std::string::npos);
  CHECK(Why(CheckLogConsistency(6, 5, {}, roots[6], roots[5])).find("never shrinks") !=
        std::string::npos);
  CHECK(Why(CheckLogInclusion(5, 5, leaves[0], {}, roots[5])).find("not below") !=
        std::string::npos);
}

TEST_CASE(
    "log answers: an inclusion or consistency answer in its JSON form is checked against a "
    "trusted head, a wrong size, leaf, tx, path or missing field is refused, naming it",
    "[verifier][txlog]") {
  // Five transactions, leaf i = tx_id_i || u32be(code_i), as the log holds them.
  std::vector<Hash32> tx_ids;
  std::vector<Hash32> leaves;
  for (uint8_t i = 0; i < 5; ++i) {
    Hash32 id{};
    id.fill(static_cast<uint8_t>(0x40 + i));
    tx_ids.push_back(id);
    Bytes leaf(id.begin(), id.end());
    for (int s = 24; s >= 0; s -= 8) leaf.push_back(static_cast<uint8_t>((i == 3 ? 7u : 0u) >> s));
    leaves.push_back(crypto::MerkleLeafHash(leaf));
  }
  const Hash32 root = crypto::MerkleRoot(leaves);
  const Hash32 root3 = crypto::MerkleRoot(std::span<const Hash32>(leaves.data(), 3));
  auto inclusion = [&](uint64_t index) {
    nlohmann::json j;
    j["index"] = std::to_string(index);
    j["size"] = "5";
    j["leaf_hash"] = HexEncode(leaves[index]);
    j["tx_id"] = HexEncode(tx_ids[index]);
    if (index == 3) j["code"] = 7u;
    j["audit_path"] = nlohmann::json::array();
    for (const auto& h : crypto::MerkleInclusionProof(leaves, index)) {
      j["audit_path"].push_back(HexEncode(h));
    }
    return j;
  };
  for (uint64_t i = 0; i < 5; ++i) {
    auto got = CheckLogInclusionAnswer(inclusion(i), 5, root);
    REQUIRE(got.ok());
    CHECK(*got == i);
  }
  auto refused = [&](const nlohmann::json& j, const std::string& words) {
    INFO(j.dump());
    auto r = CheckLogInclusionAnswer(j, 5, root);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find(words) != std::string::npos);
  };
  auto j = inclusion(3);
  j["size"] = "6";
  refused(j, "not of the trusted head's 5");
  j = inclusion(3);
  j["code"] = 0u;  // the leaf of another result
  refused(j, "is not the leaf of tx");
  j = inclusion(2);
  j["tx_id"] = HexEncode(tx_ids[1]);
  refused(j, "is not the leaf of tx");
  j = inclusion(2);
  j["index"] = "1";
  refused(j, "does not lead to the root");
  j = inclusion(2);
  j["audit_path"][0] = "zz";
  refused(j, "audit_path: an element is not a 32-byte hex hash");
  j = inclusion(2);
  j.erase("leaf_hash");
  refused(j, "no 32-byte hex leaf_hash");
  j = inclusion(2);
  j["index"] = "99999999999999999999";  // above 2^64 - 1
  refused(j, "no leaf index");
  j = inclusion(2);
  j["code"] = "4294967296";
  refused(j, "code is not a u32");
  refused(nlohmann::json::array(), "not a JSON object");
  // Without tx_id (an index past the node's blocks) the leaf hash is taken as given.
  j = inclusion(4);
  j.erase("tx_id");
  CHECK(CheckLogInclusionAnswer(j, 5, root).ok());

  nlohmann::json c;
  c["first"] = "3";
  c["second"] = "5";
  c["proof"] = nlohmann::json::array();
  for (const auto& h : crypto::MerkleConsistencyProof(leaves, 3))
    c["proof"].push_back(HexEncode(h));
  CHECK(CheckLogConsistencyAnswer(c, 3, root3, 5, root).ok());
  CHECK_FALSE(CheckLogConsistencyAnswer(c, 3, root, 5, root).ok());
  CHECK(
      CheckLogConsistencyAnswer(c, 2, root3, 5, root).message().find("not from size 2 to size 5") !=
      std::string::npos);
  auto bad = c;
  bad["proof"] = "nope";
  CHECK(CheckLogConsistencyAnswer(bad, 3, root3, 5, root).message().find("not a list of hashes") !=
        std::string::npos);
  bad = c;
  bad.erase("proof");  // size 3 -> 5 needs hashes
  CHECK_FALSE(CheckLogConsistencyAnswer(bad, 3, root3, 5, root).ok());
}

TEST_CASE("a number field above 2^64 - 1 is refused, never thrown", "[verifier][txlog]") {
  Fixture f(3);
  for (const char* field : {"size", "height"}) {
    auto a = f.Answer();
    a[field] = "99999999999999999999";
    INFO(field);
    Result<ProvenLogHead> r = Status::Internal("not run");
    CHECK_NOTHROW(r = CheckLogHead(a, f.set, 0, 0));
    CHECK_FALSE(r.ok());
  }
}

}  // namespace laurel::verifier
