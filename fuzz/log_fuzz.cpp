// What a node hands an auditor about the transaction log (verifier/verifier.h, docs/spec/
// state.md §12), chosen by the first byte, the rest JSON:
//   0: a log head answer (GET /v1/log?proof=true) -> CheckLogHead: never passes, since no
//      input carries a quorum of the fuzz validators' signatures;
//   1: an inclusion answer (GET /v1/log/proof/inclusion) -> CheckLogInclusionAnswer against
//      the head its own "size" and "root" name: when it passes, the same answer against a root
//      with one bit flipped, or against another size, must not;
//   2: a consistency answer (GET /v1/log/proof/consistency) -> CheckLogConsistencyAnswer from
//      its "first"/"first_root" to its "second"/"second_root": when it passes, the same answer
//      with either root's bit flipped must not.
// Nothing crashes or throws on any input (a field of the wrong type, a number out of range).
#include <charconv>
#include <nlohmann/json.hpp>
#include <optional>

#include "fuzz/fuzz_util.h"
#include "fuzz/validators.h"
#include "verifier/verifier.h"

namespace {

using laurel::Hash32;
using nlohmann::json;

std::optional<uint64_t> Number(const json& j, const char* name) {
  if (!j.is_object() || !j.contains(name)) return std::nullopt;
  const auto& v = j[name];
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (!v.is_string()) return std::nullopt;
  const std::string s = v.get<std::string>();
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return n;
}

std::optional<Hash32> Hash(const json& j, const char* name) {
  if (!j.is_object() || !j.contains(name) || !j[name].is_string()) return std::nullopt;
  return laurel::HexDecode32(j[name].get<std::string>());
}

Hash32 Flipped(Hash32 h) {
  h[0] ^= 1;
  return h;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace laurel;
  if (size == 0) return 0;
  const uint8_t selector = data[0] % 3;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;
  if (selector == 0) {
    const auto r = verifier::CheckLogHead(j, fuzz::FuzzValidatorSet(), 1'800'000'000'000ULL, 0);
    FUZZ_CHECK(!r.ok());
    FUZZ_CHECK(!r.status().message().empty());
  } else if (selector == 1) {
    const uint64_t head_size = Number(j, "size").value_or(1);
    const Hash32 root = Hash(j, "root").value_or(Hash32{});
    const auto r = verifier::CheckLogInclusionAnswer(j, head_size, root);
    if (r.ok()) {
      FUZZ_CHECK(*r < head_size);
      FUZZ_CHECK(!verifier::CheckLogInclusionAnswer(j, head_size, Flipped(root)).ok());
      FUZZ_CHECK(!verifier::CheckLogInclusionAnswer(j, head_size + 1, root).ok());
    } else {
      FUZZ_CHECK(!r.status().message().empty());
    }
  } else {
    const uint64_t first = Number(j, "first").value_or(1);
    const uint64_t second = Number(j, "second").value_or(1);
    const Hash32 r1 = Hash(j, "first_root").value_or(Hash32{});
    const Hash32 r2 = Hash(j, "second_root").value_or(Hash32{});
    const auto st = verifier::CheckLogConsistencyAnswer(j, first, r1, second, r2);
    if (st.ok()) {
      FUZZ_CHECK(first >= 1 && first <= second);
      FUZZ_CHECK(!verifier::CheckLogConsistencyAnswer(j, first, r1, second, Flipped(r2)).ok());
      FUZZ_CHECK(!verifier::CheckLogConsistencyAnswer(j, first, Flipped(r1), second, r2).ok());
    } else {
      FUZZ_CHECK(!st.message().empty());
    }
  }
  return 0;
}
