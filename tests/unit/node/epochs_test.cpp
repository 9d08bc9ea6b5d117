#include "node/epochs.h"

#include <catch2/catch.hpp>

using namespace laurel;
using namespace laurel::node;

namespace {
types::Validator V(uint8_t tag, std::string name, std::string address) {
  return types::Validator{Bytes(32, tag), std::move(name), std::move(address)};
}
Epoch E(uint64_t n, uint64_t start, std::vector<types::Validator> vs) {
  Epoch e;
  e.epoch = n;
  e.start_height = start;
  e.root_id[0] = static_cast<uint8_t>(n + 1);
  e.validators = std::move(vs);
  return e;
}
}  // namespace

TEST_CASE("epoch records round-trip and refuse garbage", "[epoch][badinput]") {
  const Epoch e = E(3, 120, {V(1, "node0", "127.0.0.1:8800"), V(2, "第二", "10.0.0.2:8800")});
  const Bytes b = EncodeEpoch(e);
  auto back = DecodeEpoch(b);
  REQUIRE(back.ok());
  CHECK(*back == e);
  for (size_t cut = 0; cut < b.size(); ++cut) {
    CHECK_FALSE(DecodeEpoch(ByteView(b.data(), cut)).ok());
  }
  Bytes longer = b;
  longer.push_back(0);
  CHECK_FALSE(DecodeEpoch(longer).ok());
  Bytes version = b;
  version[0] = 9;
  CHECK_FALSE(DecodeEpoch(version).ok());
  CHECK(EpochRecordName(1) < EpochRecordName(2));
  CHECK(EpochRecordName(255) < EpochRecordName(256));  // name order is epoch order
}

TEST_CASE("the validator set hash covers keys, order, names and addresses", "[epoch]") {
  const auto a = V(1, "a", "h:1");
  const auto b = V(2, "b", "h:2");
  const Hash32 h = ValidatorSetHash({a, b});
  CHECK(h == ValidatorSetHash({a, b}));
  CHECK(h != ValidatorSetHash({b, a}));
  CHECK(h != ValidatorSetHash({a}));
  CHECK(h != ValidatorSetHash({a, V(2, "b", "h:3")}));
  CHECK(h != ValidatorSetHash({a, V(2, "c", "h:2")}));
  CHECK(h != ValidatorSetHash({a, V(3, "b", "h:2")}));
}

TEST_CASE("the epoch history maps heights to epochs and takes epochs only in order", "[epoch]") {
  EpochHistory hist;
  CHECK(hist.ForHeight(1) == nullptr);
  CHECK_FALSE(hist.Add(E(1, 1, {V(1, "a", "")})).ok());  // must start at 0
  REQUIRE(hist.Add(E(0, 1, {V(1, "a", "")})).ok());
  REQUIRE(hist.Add(E(1, 9, {V(1, "a", ""), V(2, "b", "")})).ok());
  CHECK_FALSE(hist.Add(E(3, 20, {V(1, "a", "")})).ok());  // skips 2
  CHECK_FALSE(hist.Add(E(2, 9, {V(1, "a", "")})).ok());   // not above epoch 1's start
  CHECK_FALSE(hist.Add(E(2, 30, {})).ok());               // no validators
  REQUIRE(hist.Add(E(2, 30, {V(2, "b", "")})).ok());
  CHECK(hist.ForHeight(0) == nullptr);
  CHECK(hist.ForHeight(1)->epoch == 0);
  CHECK(hist.ForHeight(8)->epoch == 0);
  CHECK(hist.ForHeight(9)->epoch == 1);
  CHECK(hist.ForHeight(29)->epoch == 1);
  CHECK(hist.ForHeight(30)->epoch == 2);
  CHECK(hist.ForHeight(1'000'000)->epoch == 2);  // the current epoch, as far as known
  CHECK(hist.EndHeight(0) == 8u);
  CHECK(hist.EndHeight(1) == 29u);
  CHECK_FALSE(hist.EndHeight(2).has_value());
  CHECK(hist.current().epoch == 2);
}
