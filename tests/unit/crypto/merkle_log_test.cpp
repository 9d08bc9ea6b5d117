// The append-only log's stored-subtree form (crypto/merkle_log.h) against the all-leaves RFC 6962
// functions of crypto/merkle.h: same roots, same inclusion and consistency proofs, for every
// size and pair of sizes up to 70 and for random sizes up to 5000.
#include "crypto/merkle_log.h"

#include <catch2/catch.hpp>
#include <map>
#include <random>

#include "crypto/merkle.h"
#include "crypto/sha256.h"

using namespace laurel;
using namespace laurel::crypto;

namespace {

// The CT reference leaves (as in merkle_test.cpp) and their roots of sizes 1-8.
const char* const kCtLeaves[] = {"",
                                 "00",
                                 "10",
                                 "2021",
                                 "3031",
                                 "40414243",
                                 "5051525354555657",
                                 "606162636465666768696a6b6c6d6e6f"};
const char* const kCtRoot8 = "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328";
const char* const kCtRoot5 = "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4";

struct MapReader final : LogTreeReader {
  std::map<std::pair<uint8_t, uint64_t>, Hash32> nodes;
  mutable size_t reads = 0;
  std::optional<Hash32> GetLogNode(uint8_t level, uint64_t index) const override {
    ++reads;
    auto it = nodes.find({level, index});
    if (it == nodes.end()) return std::nullopt;
    return it->second;
  }
};

struct Log {
  LogHead head = EmptyLogHead();
  MapReader reader;
  std::vector<Hash32> leaves;
  // Appends n leaves in batches of up to `batch`, as blocks would.
  void Grow(uint64_t n, uint64_t batch) {
    while (n > 0) {
      const uint64_t take = std::min(n, batch);
      std::vector<Hash32> add;
      for (uint64_t i = 0; i < take; ++i) {
        Bytes leaf(36, 0);
        const uint64_t x = leaves.size() + add.size();
        for (int b = 0; b < 8; ++b) leaf[b] = static_cast<uint8_t>(x >> (8 * b));
        add.push_back(MerkleLeafHash(leaf));
      }
      std::vector<LogNode> done;
      AppendToLog(head, add, &done);
      for (const auto& d : done) {
        REQUIRE(reader.nodes.emplace(std::make_pair(d.level, d.index), d.hash).second);
      }
      leaves.insert(leaves.end(), add.begin(), add.end());
      n -= take;
    }
  }
};

std::vector<Bytes> AsProof(const std::vector<Hash32>& hs) {
  std::vector<Bytes> out;
  for (const auto& h : hs) out.emplace_back(h.begin(), h.end());
  return out;
}

}  // namespace

TEST_CASE("log: the CT reference leaves give the CT roots from stored subtrees", "[merkle_log]") {
  LogHead head = EmptyLogHead();
  CHECK(HexEncode(head.root) == HexEncode(Sha256Of(ByteView())));
  MapReader r;
  std::vector<Hash32> hashes;
  for (const char* l : kCtLeaves) hashes.push_back(MerkleLeafHash(*HexDecode(l)));
  std::vector<LogNode> done;
  AppendToLog(head, std::span(hashes).subspan(0, 5), &done);
  CHECK(HexEncode(head.root) == kCtRoot5);
  AppendToLog(head, std::span(hashes).subspan(5), &done);
  CHECK(HexEncode(head.root) == kCtRoot8);
  CHECK(head.frontier.size() == 1);
  // 8 leaves + 4 + 2 + 1 complete subtrees, each written once.
  CHECK(done.size() == 15);
  for (const auto& d : done) r.nodes[{d.level, d.index}] = d.hash;
  CHECK(HexEncode(*LogRoot(r, 5)) == kCtRoot5);
  CHECK(HexEncode(*LogRoot(r, 8)) == kCtRoot8);
  // The published path of leaf 6 (1-based) of 8 and the consistency proof 6 -> 8.
  auto p = LogInclusionProof(r, 5, 8);
  REQUIRE(p.ok());
  CHECK(HexEncode(p->at(0)) == "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b");
  auto c = LogConsistencyProof(r, 6, 8);
  REQUIRE(c.ok());
  REQUIRE(c->size() == 3);
  CHECK(HexEncode(c->at(0)) == "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a");
}

TEST_CASE("log head record: encodes, decodes, and refuses a bad length or root", "[merkle_log]") {
  Log log;
  log.Grow(13, 4);  // 13 = 0b1101: three frontier subtrees
  const std::string rec = EncodeLogHead(log.head);
  CHECK(rec.size() == 8 + 32 + 3 * 32);
  auto back = DecodeLogHead(rec);
  REQUIRE(back.ok());
  CHECK(back->size == 13);
  CHECK(back->root == log.head.root);
  CHECK(back->frontier == log.head.frontier);
  CHECK_FALSE(DecodeLogHead(rec.substr(0, rec.size() - 1)).ok());
  CHECK_FALSE(DecodeLogHead(rec.substr(0, 20)).ok());
  for (size_t byte : {size_t{7}, size_t{8}, size_t{60}, rec.size() - 1}) {
    std::string bad = rec;
    bad[byte] = static_cast<char>(bad[byte] ^ 1);
    CHECK_FALSE(DecodeLogHead(bad).ok());
  }
  CHECK(EncodeLogHead(EmptyLogHead()).size() == 40);
  CHECK(DecodeLogHead(EncodeLogHead(EmptyLogHead())).ok());
}

TEST_CASE(
    "log: every root, inclusion and consistency proof up to 70 leaves equals the "
    "all-leaves one and verifies",
    "[merkle_log]") {
  Log log;
  for (uint64_t n = 1; n <= 70; ++n) {
    log.Grow(1, 1);
    const std::span<const Hash32> all(log.leaves);
    REQUIRE(log.head.root == MerkleRoot(all));
    for (uint64_t size = 1; size <= n; ++size) {
      const auto leaves = all.subspan(0, size);
      const Hash32 root = MerkleRoot(leaves);
      REQUIRE(*LogRoot(log.reader, size) == root);
      for (uint64_t i = 0; i < size; ++i) {
        auto p = LogInclusionProof(log.reader, i, size);
        REQUIRE(p.ok());
        REQUIRE(*p == MerkleInclusionProof(leaves, i));
        REQUIRE(VerifyMerkleInclusion(i, size, leaves[i], AsProof(*p), root));
      }
      for (uint64_t first = 1; first < size; ++first) {
        auto c = LogConsistencyProof(log.reader, first, size);
        REQUIRE(c.ok());
        REQUIRE(*c == MerkleConsistencyProof(leaves, first));
        REQUIRE(VerifyMerkleConsistency(first, size, AsProof(*c), MerkleRoot(all.subspan(0, first)),
                                        root));
      }
    }
  }
}

TEST_CASE(
    "log: random sizes up to 5000, random batches: proofs equal the all-leaves ones, "
    "verify, and fail with any flipped bit",
    "[merkle_log]") {
  std::mt19937_64 rng(20261205);
  Log log;
  log.Grow(5000, 1);
  Log batched;
  batched.Grow(5000, 97);
  REQUIRE(batched.head.root == log.head.root);
  REQUIRE(batched.reader.nodes == log.reader.nodes);
  const std::span<const Hash32> all(log.leaves);
  for (int round = 0; round < 60; ++round) {
    const uint64_t size = 1 + rng() % 5000;
    const uint64_t first = 1 + rng() % size;
    const uint64_t index = rng() % size;
    const auto leaves = all.subspan(0, size);
    const Hash32 root = MerkleRoot(leaves);
    const Hash32 root1 = MerkleRoot(all.subspan(0, first));
    INFO("size " << size << " first " << first << " index " << index);
    log.reader.reads = 0;
    auto p = LogInclusionProof(log.reader, index, size);
    REQUIRE(p.ok());
    CHECK(log.reader.reads <= 2 * 13 + 2);  // O(log n) look-ups, not O(n)
    REQUIRE(*p == MerkleInclusionProof(leaves, index));
    auto proof = AsProof(*p);
    REQUIRE(VerifyMerkleInclusion(index, size, leaves[index], proof, root));
    log.reader.reads = 0;
    auto c = LogConsistencyProof(log.reader, first, size);
    REQUIRE(c.ok());
    CHECK(log.reader.reads <= 2 * 13 + 2);
    REQUIRE(*c == MerkleConsistencyProof(leaves, first));
    auto cproof = AsProof(*c);
    REQUIRE(VerifyMerkleConsistency(first, size, cproof, root1, root));
    // Any flipped bit of a proof hash fails (one random bit per hash).
    for (size_t k = 0; k < proof.size(); ++k) {
      auto bad = proof;
      bad[k][rng() % 32] ^= static_cast<uint8_t>(1u << (rng() % 8));
      CHECK_FALSE(VerifyMerkleInclusion(index, size, leaves[index], bad, root));
    }
    for (size_t k = 0; k < cproof.size(); ++k) {
      auto bad = cproof;
      bad[k][rng() % 32] ^= static_cast<uint8_t>(1u << (rng() % 8));
      CHECK_FALSE(VerifyMerkleConsistency(first, size, bad, root1, root));
    }
    Hash32 bad_root = root;
    bad_root[rng() % 32] ^= 0x80;
    CHECK_FALSE(VerifyMerkleInclusion(index, size, leaves[index], proof, bad_root));
    if (first < size) CHECK_FALSE(VerifyMerkleConsistency(first, size, cproof, root1, bad_root));
  }
}

TEST_CASE("log: bad sizes are refused, sizes beyond the stored log are not found", "[merkle_log]") {
  Log log;
  log.Grow(10, 3);
  CHECK(LogInclusionProof(log.reader, 10, 10).status().code() == StatusCode::kInvalidArgument);
  CHECK(LogConsistencyProof(log.reader, 0, 5).status().code() == StatusCode::kInvalidArgument);
  CHECK(LogConsistencyProof(log.reader, 6, 5).status().code() == StatusCode::kInvalidArgument);
  CHECK(LogConsistencyProof(log.reader, 5, 5)->empty());
  CHECK(LogRoot(log.reader, 11).status().code() == StatusCode::kNotFound);
  CHECK(LogInclusionProof(log.reader, 3, 12).status().code() == StatusCode::kNotFound);
}
