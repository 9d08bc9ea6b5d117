#include <catch2/catch.hpp>
#include <filesystem>

#include "crypto/merkle.h"
#include "crypto/sha256.h"
#include "tests/support/vectors.h"

using namespace laurel;
using namespace laurel::crypto;
namespace fs = std::filesystem;

namespace {
Bytes B64(const nlohmann::json& v) { return test::Base64Of(v); }
std::vector<Bytes> Proof(const nlohmann::json& v) { return test::Base64ListOf(v); }
}  // namespace

TEST_CASE("merkle inclusion verification agrees with the RFC 6962 vectors", "[merkle]") {
  int ok = 0;
  int bad = 0;
  for (const auto& path : test::JsonFilesUnder(test::VectorsDir() + "/ct-merkle/inclusion")) {
    const auto j = test::ReadJson(path.string());
    const bool got = VerifyMerkleInclusion(j["leafIdx"].get<uint64_t>(),
                                           j["treeSize"].get<uint64_t>(), B64(j["leafHash"]),
                                           Proof(j["proof"]), B64(j["root"]));
    INFO(path.string());
    CHECK(got == !j["wantErr"].get<bool>());
    (got ? ok : bad)++;
  }
  CHECK(ok > 0);
  CHECK(bad > 0);
}

TEST_CASE("merkle consistency verification agrees with the RFC 6962 vectors", "[merkle]") {
  int ok = 0;
  int bad = 0;
  for (const auto& path : test::JsonFilesUnder(test::VectorsDir() + "/ct-merkle/consistency")) {
    const auto j = test::ReadJson(path.string());
    const bool got =
        VerifyMerkleConsistency(j["size1"].get<uint64_t>(), j["size2"].get<uint64_t>(),
                                Proof(j["proof"]), B64(j["root1"]), B64(j["root2"]));
    INFO(path.string());
    CHECK(got == !j["wantErr"].get<bool>());
    (got ? ok : bad)++;
  }
  CHECK(ok > 0);
  CHECK(bad > 0);
}

TEST_CASE("merkle root of the RFC 6962 reference leaves matches the published roots",
          "[merkle]") {
  // The 8 leaves used by the reference implementations' test data.
  const char* leaves[] = {"", "00", "10", "2021", "3031", "40414243",
                          "5051525354555657", "606162636465666768696a6b6c6d6e6f"};
  const char* roots[] = {
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};
  std::vector<Hash32> hashes;
  for (int i = 0; i < 8; ++i) {
    hashes.push_back(MerkleLeafHash(*HexDecode(leaves[i])));
    CHECK(HexEncode(MerkleRoot(hashes)) == roots[i]);
  }
  CHECK(HexEncode(MerkleRoot({})) == HexEncode(Sha256Of(ByteView())));
}

TEST_CASE("merkle inclusion proofs we generate verify, and fail for another leaf",
          "[merkle]") {
  for (size_t n = 1; n <= 33; ++n) {
    std::vector<Hash32> hashes;
    for (size_t i = 0; i < n; ++i) hashes.push_back(MerkleLeafHash(Bytes{uint8_t(i), 1}));
    const Hash32 root = MerkleRoot(hashes);
    for (size_t i = 0; i < n; ++i) {
      std::vector<Bytes> proof;
      for (const auto& h : MerkleInclusionProof(hashes, i)) proof.emplace_back(h.begin(), h.end());
      REQUIRE(VerifyMerkleInclusion(i, n, hashes[i], proof, root));
      if (n > 1) CHECK_FALSE(VerifyMerkleInclusion(i, n, hashes[(i + 1) % n], proof, root));
    }
  }
}

// The reference leaves and paths of Certificate Transparency's RFC 6962 test data, as
// published in transparency-dev/merkle (proof/verify_test.go: inclusionProofs,
// consistencyProofs; testonly/constants.go: LeafInputs, RootHashes), the successor of
// google/certificate-transparency's merkle_tree_test.cc. Leaf indexes there are 1-based.
namespace {
const char* const kCtLeaves[] = {"",         "00",
                                 "10",       "2021",
                                 "3031",     "40414243",
                                 "5051525354555657", "606162636465666768696a6b6c6d6e6f"};
const char* const kCtRoots[] = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};

struct CtPath {
  uint64_t a;  // inclusion: the 1-based leaf; consistency: size1
  uint64_t b;  // tree size (consistency: size2)
  std::vector<const char*> path;
};

const CtPath kCtInclusion[] = {
    {1, 1, {}},
    {1, 8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6, 8,
     {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {3, 3, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
    {2, 5,
     {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};

const CtPath kCtConsistency[] = {
    {1, 1, {}},
    {1, 8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6, 8,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2, 5,
     {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    {6, 7,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
};

std::vector<Hash32> CtLeafHashes(uint64_t n) {
  std::vector<Hash32> out;
  for (uint64_t i = 0; i < n; ++i) out.push_back(MerkleLeafHash(*HexDecode(kCtLeaves[i])));
  return out;
}
std::vector<std::string> Hexes(const std::vector<Hash32>& hs) {
  std::vector<std::string> out;
  for (const auto& h : hs) out.push_back(HexEncode(h));
  return out;
}
std::vector<std::string> Hexes(const std::vector<const char*>& hs) {
  return std::vector<std::string>(hs.begin(), hs.end());
}
std::vector<Bytes> AsProof(const std::vector<Hash32>& hs) {
  std::vector<Bytes> out;
  for (const auto& h : hs) out.emplace_back(h.begin(), h.end());
  return out;
}
Bytes RootBytes(uint64_t size) { return *HexDecode(kCtRoots[size - 1]); }
}  // namespace

TEST_CASE("merkle inclusion paths we generate are the reference paths, and verify",
          "[merkle]") {
  for (const auto& v : kCtInclusion) {
    INFO("leaf " << v.a << " of " << v.b);
    const auto leaves = CtLeafHashes(v.b);
    const auto path = MerkleInclusionProof(leaves, v.a - 1);
    CHECK(Hexes(path) == Hexes(v.path));
    CHECK(HexEncode(MerkleRoot(leaves)) == kCtRoots[v.b - 1]);
    CHECK(VerifyMerkleInclusion(v.a - 1, v.b, leaves[v.a - 1], AsProof(path), RootBytes(v.b)));
    // The same path at another position, or for another leaf, does not lead to the root.
    if (v.b > 1) {
      CHECK_FALSE(VerifyMerkleInclusion(v.a % v.b, v.b, leaves[v.a - 1], AsProof(path),
                                        RootBytes(v.b)));
      CHECK_FALSE(VerifyMerkleInclusion(v.a - 1, v.b, leaves[v.a % v.b], AsProof(path),
                                        RootBytes(v.b)));
    }
  }
}

TEST_CASE("merkle consistency proofs we generate are the reference proofs, and verify",
          "[merkle]") {
  for (const auto& v : kCtConsistency) {
    INFO("from " << v.a << " to " << v.b);
    const auto leaves = CtLeafHashes(v.b);
    const auto proof = MerkleConsistencyProof(leaves, v.a);
    CHECK(Hexes(proof) == Hexes(v.path));
    CHECK(VerifyMerkleConsistency(v.a, v.b, AsProof(proof), RootBytes(v.a), RootBytes(v.b)));
    if (v.a != v.b) {
      CHECK_FALSE(
          VerifyMerkleConsistency(v.a, v.b, AsProof(proof), RootBytes(v.b), RootBytes(v.a)));
    }
  }
}

TEST_CASE("merkle consistency proofs we generate verify between every pair of sizes up to 33, "
          "and fail against another old root", "[merkle]") {
  std::vector<Hash32> all;
  for (size_t i = 0; i < 33; ++i) all.push_back(MerkleLeafHash(Bytes{uint8_t(i), 7}));
  for (size_t n = 1; n <= all.size(); ++n) {
    const std::span<const Hash32> leaves(all.data(), n);
    const Hash32 root2 = MerkleRoot(leaves);
    for (size_t m = 1; m <= n; ++m) {
      INFO(m << " -> " << n);
      const Hash32 root1 = MerkleRoot(leaves.subspan(0, m));
      const auto proof = AsProof(MerkleConsistencyProof(leaves, m));
      REQUIRE(VerifyMerkleConsistency(m, n, proof, root1, root2));
      if (m < n) {
        const Hash32 other = MerkleRoot(leaves.subspan(0, m == 1 ? 2 : m - 1));
        CHECK_FALSE(VerifyMerkleConsistency(m, n, proof, other, root2));
      }
    }
  }
}
