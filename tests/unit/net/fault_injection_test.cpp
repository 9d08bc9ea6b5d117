// Fault-injection rules: parsing, per-frame decisions and the file watcher.
#include "node/net/fault_injection.h"

#include <spdlog/spdlog.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "common/bytes.h"

using namespace laurel;
using namespace laurel::net;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const std::string kPeerHex(64, 'b');

crypto::PublicKey PeerKey() {
  crypto::PublicKey k{};
  auto b = HexDecode(kPeerHex);
  std::copy(b->begin(), b->end(), k.begin());
  return k;
}

}  // namespace

TEST_CASE("link fault rules parse, and the most specific rule applies", "[faults]") {
  auto r = ParseLinkFaults(R"({"links": [
      {"peer": "*", "delay_ms": 100, "jitter_ms": 50},
      {"peer": ")" + kPeerHex +
                           R"(", "loss": 0.25, "reorder": 0.5}]})");
  REQUIRE(r.ok());
  REQUIRE(r->links.size() == 2);
  crypto::PublicKey other{};
  const LinkFault* any = r->For(other);
  REQUIRE(any != nullptr);
  CHECK(any->delay_ms == 100);
  CHECK(any->jitter_ms == 50);
  CHECK(any->loss == 0);
  const LinkFault* own = r->For(PeerKey());
  REQUIRE(own != nullptr);
  CHECK(own->loss == 0.25);
  CHECK(own->reorder == 0.5);
  CHECK(own->delay_ms == 0);
  CHECK(r->Describe() == "*: delay 100+50ms; bbbbbbbb: loss 0.25 reorder 0.50");

  auto none = ParseLinkFaults(R"({"links": []})");
  REQUIRE(none.ok());
  CHECK(none->For(other) == nullptr);
  CHECK(none->Describe() == "none");
  CHECK(ParseLinkFaults("{}").ok());

  // Only a rule for one peer: others untouched.
  auto one = ParseLinkFaults(R"({"links": [{"peer": ")" + kPeerHex + R"(", "loss": 1}]})");
  REQUIRE(one.ok());
  CHECK(one->For(other) == nullptr);
  CHECK(one->For(PeerKey()) != nullptr);
}

TEST_CASE("bad link fault rules are refused with the field named", "[faults][badinput]") {
  const std::pair<std::string, std::string> cases[] = {
      {"", "not JSON"},
      {"[]", "JSON object"},
      {R"({"links": {}})", "array"},
      {R"({"link": []})", "unknown field 'link'"},
      {R"({"links": [1]})", "links[0]: expected an object"},
      {R"({"links": [{"delay_ms": 5}]})", "peer is required"},
      {R"({"links": [{"peer": "node1"}]})", "32-byte public key"},
      {R"({"links": [{"peer": "abcd"}]})", "32-byte public key"},
      {R"({"links": [{"peer": 7}]})", "peer must be"},
      {R"({"links": [{"peer": "*"}, {"peer": "*"}]})", "links[1]: a second rule"},
      {R"({"links": [{"peer": "*", "delay_ms": -1}]})", "delay_ms must be an integer 0..60000"},
      {R"({"links": [{"peer": "*", "delay_ms": 60001}]})", "delay_ms"},
      {R"({"links": [{"peer": "*", "jitter_ms": 1.5}]})", "jitter_ms"},
      {R"({"links": [{"peer": "*", "loss": 1.01}]})", "loss must be a probability 0..1"},
      {R"({"links": [{"peer": "*", "reorder": -0.1}]})", "reorder"},
      {R"({"links": [{"peer": "*", "loss": "0.1"}]})", "loss"},
      {R"({"links": [{"peer": "*", "dup": 0.1}]})", "unknown field 'dup'"},
      {R"({"links": [{"peer": "*", "kinds": []}]})", "kinds must be"},
      {R"({"links": [{"peer": "*", "kinds": 17}]})", "kinds must be"},
      {R"({"links": [{"peer": "*", "kinds": [256]}]})", "kinds must be"},
      {R"({"links": [{"peer": "*", "kinds": [-1]}]})", "kinds must be"},
  };
  for (const auto& [text, want] : cases) {
    INFO(text);
    auto r = ParseLinkFaults(text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    CHECK(r.status().message().find(want) != std::string::npos);
  }
}

TEST_CASE("a rule with kinds acts only on frames of those message kinds", "[faults]") {
  auto r = ParseLinkFaults(R"({"links": [{"peer": ")" + kPeerHex +
                           R"(", "loss": 1, "kinds": [17, 21]}]})");
  REQUIRE(r.ok());
  const LinkFault* f = r->For(PeerKey());
  REQUIRE(f != nullptr);
  CHECK(f->kinds == std::vector<uint8_t>{17, 21});
  CHECK(f->Covers(Bytes{17, 0, 1}));
  CHECK(f->Covers(Bytes{21}));
  CHECK_FALSE(f->Covers(Bytes{1, 17}));
  CHECK_FALSE(f->Covers(Bytes{}));
  CHECK(r->Describe() == "bbbbbbbb: loss 1.00 (kinds 17 21)");
  // Without kinds: every frame, the empty one too.
  LinkFault all;
  CHECK(all.Covers(Bytes{}));
  CHECK(all.Covers(Bytes{3}));
}

TEST_CASE("a frame's fate follows the rule and the draws", "[faults]") {
  LinkFault f;
  CHECK_FALSE(Decide(f, 0, 0, 0, 0).drop);
  CHECK(Decide(f, 0, 0, 0.99, 0.99).delay == 0ms);
  f.loss = 0.3;
  CHECK(Decide(f, 0.29, 0.9, 0, 0).drop);
  CHECK_FALSE(Decide(f, 0.3, 0.9, 0, 0).drop);
  f.loss = 0;
  f.delay_ms = 100;
  f.jitter_ms = 50;
  CHECK(Decide(f, 0.5, 0.9, 0, 0).delay == 100ms);
  CHECK(Decide(f, 0.5, 0.9, 0.999, 0).delay == 150ms);
  f.reorder = 0.4;
  // Held back: a further 1..max(2*delay, 50) ms.
  CHECK(Decide(f, 0.5, 0.39, 0, 0).delay == 101ms);
  CHECK(Decide(f, 0.5, 0.39, 0, 0.9999).delay == 300ms);
  CHECK(Decide(f, 0.5, 0.4, 0, 0.9999).delay == 100ms);  // not held back
  CHECK(Decide(f, 0.5, 0.39, 0, 0).reordered);
  CHECK_FALSE(Decide(f, 0.5, 0.4, 0, 0).reordered);
  f.loss = 1;
  CHECK_FALSE(Decide(f, 0.5, 0.39, 0, 0).reordered);  // dropped, not held
  LinkFault r;
  r.reorder = 1;
  CHECK(Decide(r, 0.5, 0.1, 0, 0.9999).delay == 50ms);
}

TEST_CASE("the rule file is re-read when it changes, a bad one keeps the rules in force",
          "[faults][badinput]") {
  char tmpl[] = "/tmp/laurel-faults-XXXXXX";
  const fs::path dir = mkdtemp(tmpl);
  const fs::path file = dir / "faults.json";
  std::mutex mu;
  std::vector<LinkFaults> applied;
  auto count = [&] {
    std::lock_guard<std::mutex> lock(mu);
    return applied.size();
  };
  auto write = [&](const std::string& text) {
    const fs::path tmp = dir / "faults.json.tmp";
    std::ofstream(tmp) << text;
    fs::rename(tmp, file);
  };
  auto wait_count = [&](size_t n) {
    for (int i = 0; i < 200 && count() < n; ++i) std::this_thread::sleep_for(10ms);
    return count() == n;
  };
  spdlog::set_level(spdlog::level::off);
  {
    FaultFileWatcher w(
        file.string(),
        [&](LinkFaults r) {
          std::lock_guard<std::mutex> lock(mu);
          applied.push_back(std::move(r));
          return Status::Ok();
        },
        20ms);
    REQUIRE(w.Start().ok());  // no file yet: no rules
    REQUIRE(count() == 1);
    CHECK(applied[0].links.empty());

    write(R"({"links": [{"peer": "*", "loss": 0.5}]})");
    REQUIRE(wait_count(2));
    {
      std::lock_guard<std::mutex> lock(mu);
      REQUIRE(applied[1].links.size() == 1);
      CHECK(applied[1].links[0].loss == 0.5);
    }
    write(R"({"links": [{"peer": "*", "loss": 5}]})");  // refused: nothing applied
    std::this_thread::sleep_for(150ms);
    CHECK(count() == 2);
    write(R"({"links": []})");
    REQUIRE(wait_count(3));
    fs::remove(file);  // gone: no rules
    REQUIRE(wait_count(4));
    std::lock_guard<std::mutex> lock(mu);
    CHECK(applied[3].links.empty());
  }
  // A file that exists but does not parse is an error at start.
  write("{not json");
  FaultFileWatcher w2(
      file.string(), [](LinkFaults) { return Status::Ok(); }, 20ms);
  CHECK(w2.Start().code() == StatusCode::kInvalidArgument);
  w2.Stop();
  spdlog::set_level(spdlog::level::info);
  fs::remove_all(dir);
}
