// Helpers for tests that read JSON vector files.
#pragma once

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>

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

inline std::string VectorsDir() { return LAUREL_VECTORS_DIR; }
inline std::string TestDataDir() { return LAUREL_TEST_DATA_DIR; }

}  // namespace laurel::test
