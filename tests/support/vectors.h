// Helpers for tests that read JSON vector files.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/bytes.h"

namespace laurel::test {

inline std::string ReadFileOrThrow(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open test vector file " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline nlohmann::json ReadJson(const std::string& path) {
  return nlohmann::json::parse(ReadFileOrThrow(path));
}

// A vector's base64 field (the Certificate Transparency Merkle vectors' hashes and proofs);
// throws on a value that is not base64, which fails the test reading it.
inline Bytes Base64Of(const nlohmann::json& v) {
  auto b = Base64Decode(v.get<std::string>());
  if (!b) throw std::runtime_error("not base64 in a test vector: " + v.dump());
  return *b;
}
// A list of them (null: empty).
inline std::vector<Bytes> Base64ListOf(const nlohmann::json& v) {
  std::vector<Bytes> out;
  if (v.is_null()) return out;
  for (const auto& p : v) out.push_back(Base64Of(p));
  return out;
}
// Every .json file below `dir`, in name order.
inline std::vector<std::filesystem::path> JsonFilesUnder(const std::string& dir) {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.path().extension() == ".json") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

inline std::string VectorsDir() { return LAUREL_VECTORS_DIR; }
inline std::string TestDataDir() { return LAUREL_TEST_DATA_DIR; }

}  // namespace laurel::test
