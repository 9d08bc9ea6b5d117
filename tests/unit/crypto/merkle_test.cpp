#include <catch2/catch.hpp>
#include <filesystem>

#include "crypto/merkle.h"
#include "crypto/sha256.h"
#include "tests/support/vectors.h"

using namespace laurel;
using namespace laurel::crypto;
namespace fs = std::filesystem;

namespace {
Bytes B64(const nlohmann::json& v) {
  auto b = Base64Decode(v.get<std::string>());
  REQUIRE(b.has_value());
  return *b;
}
std::vector<Bytes> Proof(const nlohmann::json& v) {
  std::vector<Bytes> out;
  if (v.is_null()) return out;
  for (const auto& p : v) out.push_back(B64(p));
  return out;
}
std::vector<fs::path> JsonFiles(const std::string& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.path().extension() == ".json") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}
}  // namespace

TEST_CASE("merkle inclusion verification agrees with the RFC 6962 vectors", "[merkle]") {
  int ok = 0;
  int bad = 0;
  for (const auto& path : JsonFiles(test::VectorsDir() + "/ct-merkle/inclusion")) {
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
  for (const auto& path : JsonFiles(test::VectorsDir() + "/ct-merkle/consistency")) {
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
