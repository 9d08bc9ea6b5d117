// Shared by the route tests that talk JSON and protobuf to a real server: the request headers
// they send and the JSON reading of an answer.
#pragma once

#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/unit/rpc/rpc_test_util.h"

namespace laurel::rpc::test {

inline const std::map<std::string, std::string> kJsonType{{"Content-Type", "application/json"}};
inline const std::map<std::string, std::string> kProtoType{
    {"Content-Type", "application/x-protobuf"}};
inline const std::map<std::string, std::string> kProtoBoth{
    {"Content-Type", "application/x-protobuf"}, {"Accept", "application/x-protobuf"}};

// The answer's body as JSON; the test fails (showing the body) when it is not JSON.
inline nlohmann::json Json(const HttpResult& r) {
  nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
  INFO("body: " << r.body);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

}  // namespace laurel::rpc::test
