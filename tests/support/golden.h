// Checks shared by the golden-vector tests (tests/data/golden/*.json): the code computes the
// file's values, and the spec quotes the file verbatim.
#pragma once

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/vectors.h"

namespace laurel::test {

// The golden file tests/data/golden/<name>.json, in its order.
inline nlohmann::ordered_json GoldenFile(const std::string& name) {
  return nlohmann::ordered_json::parse(ReadFileOrThrow(TestDataDir() + "/golden/" + name));
}

// The computed values equal the file's: value by value first (a readable failure), then whole.
template <class Json>
void CheckGoldenValues(const nlohmann::ordered_json& expected, const Json& computed) {
  for (const auto& [section, values] : expected.items()) {
    REQUIRE(computed.contains(section));
    for (const auto& [name, value] : values.items()) {
      INFO(section << "." << name);
      CHECK(computed[section][name] == value);
    }
  }
  CHECK(computed == expected);
}

// docs/<doc> quotes the golden file <name> verbatim in a ```json block; returns the doc's text.
inline std::string CheckDocQuotesGolden(const std::string& name, const std::string& doc) {
  std::string file = ReadFileOrThrow(TestDataDir() + "/golden/" + name);
  while (!file.empty() && file.back() == '\n') file.pop_back();
  std::string text = ReadFileOrThrow(std::string(LAUREL_SOURCE_DIR) + "/docs/" + doc);
  CHECK(text.find("```json\n" + file + "\n```") != std::string::npos);
  return text;
}

}  // namespace laurel::test
