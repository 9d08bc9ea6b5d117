// The gate bundle as `laurel gate sync` and `laurel gate verify` read it (gate/bundle.h): the
// served gzip (DecodeBundle), a full bundle checked against the validator set, and a delta
// applied to the bundle a gate holds (CheckBundle with a base), then the offline gate loaded
// from what passed. The first byte picks: 0 gzip bytes, 1 a full bundle's protobuf, 2 a delta's
// protobuf over the checked bundle of height 1 (fuzz/gate_world.h).
//
// Properties: nothing crashes; only the world's own certificates verify, so a bundle that
// passes must carry exactly the certified content of its height (its content digest is the
// genuine one of height 1 or 2), and its whole form (CheckedBundle::full) must check again to
// the same content — a changed, missing or extra byte that got through would break one of them.
#include "fuzz/fuzz_util.h"
#include "fuzz/gate_world.h"
#include "gate/offline.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace laurel;
  if (size == 0) return 0;
  const auto& w = fuzz::GateWorld::Get();
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  ::laurel::v1::GateBundle b;
  const uint8_t sel = data[0] % 3;
  if (sel == 0) {
    auto d = gate::DecodeBundle(in);
    if (!d.ok()) {
      FUZZ_CHECK(!d.status().message().empty());
      return 0;
    }
    b = std::move(d).value();
  } else if (!b.ParseFromArray(in.data(), static_cast<int>(in.size()))) {
    return 0;
  }
  const gate::CheckedBundle* base = sel == 2 || (sel == 0 && b.since() != 0) ? &w.base1 : nullptr;
  auto checked = gate::CheckBundle(b, w.set, base);
  if (!checked.ok()) {
    FUZZ_CHECK(!checked.status().message().empty());
    return 0;
  }
  FUZZ_CHECK(checked->height == 1 || checked->height == 2);
  FUZZ_CHECK(checked->content_digest == (checked->height == 1 ? w.digest1 : w.digest2));
  auto again = gate::CheckBundle(checked->full, w.set);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->content_digest == checked->content_digest);
  gate::OfflineGate g(*checked);
  FUZZ_CHECK(g.credentials() == (checked->height == 1 ? 1033u : 1037u));
  return 0;
}
