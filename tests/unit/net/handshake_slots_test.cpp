// Admission to the TLS handshake by source address (node/net/handshake_slots.h).
#include "node/net/handshake_slots.h"

#include <catch2/catch.hpp>
#include <string>

using laurel::net::HandshakeLimits;
using laurel::net::HandshakeSlots;
using Slot = HandshakeSlots::Slot;

TEST_CASE("one address takes at most its share of the shared handshake slots", "[handshake]") {
  HandshakeSlots s(HandshakeLimits{/*total=*/10, /*per_address=*/2, /*reserved_for_peers=*/4});
  CHECK(s.TryAcquire("10.0.0.9", false) == Slot::kShared);
  CHECK(s.TryAcquire("10.0.0.9", false) == Slot::kShared);
  CHECK(s.TryAcquire("10.0.0.9", false) == Slot::kNone);
  CHECK(s.shared_from("10.0.0.9") == 2);
  CHECK(s.TryAcquire("10.0.0.8", false) == Slot::kShared);
  s.Release("10.0.0.9", Slot::kShared);
  CHECK(s.TryAcquire("10.0.0.9", false) == Slot::kShared);
  CHECK(s.shared_in_use() == 3);
}

TEST_CASE("strangers from many addresses fill the shared slots but never the peers' reserve",
          "[handshake]") {
  HandshakeSlots s(HandshakeLimits{/*total=*/6, /*per_address=*/2, /*reserved_for_peers=*/3});
  int admitted = 0;
  for (int a = 0; a < 20; ++a) {
    for (int k = 0; k < 2; ++k) {
      if (s.TryAcquire("10.0.1." + std::to_string(a), false) != Slot::kNone) ++admitted;
    }
  }
  CHECK(admitted == 6);
  CHECK(s.TryAcquire("10.0.2.1", false) == Slot::kNone);
  // Validators' addresses still get in, up to the reserve, several from one address.
  CHECK(s.TryAcquire("192.0.2.1", true) == Slot::kReserved);
  CHECK(s.TryAcquire("192.0.2.1", true) == Slot::kReserved);
  CHECK(s.TryAcquire("192.0.2.2", true) == Slot::kReserved);
  CHECK(s.reserved_in_use() == 3);
  // Beyond the reserve a peer's address competes like any other: the shared slots are full.
  CHECK(s.TryAcquire("192.0.2.2", true) == Slot::kNone);
  s.Release("192.0.2.1", Slot::kReserved);
  CHECK(s.TryAcquire("192.0.2.3", true) == Slot::kReserved);
}

TEST_CASE("a peer's address uses a shared slot once the reserve is taken", "[handshake]") {
  HandshakeSlots s(HandshakeLimits{/*total=*/4, /*per_address=*/1, /*reserved_for_peers=*/1});
  CHECK(s.TryAcquire("192.0.2.1", true) == Slot::kReserved);
  CHECK(s.TryAcquire("192.0.2.1", true) == Slot::kShared);
  CHECK(s.TryAcquire("192.0.2.1", true) == Slot::kNone);
  s.Release("192.0.2.1", Slot::kShared);
  s.Release("192.0.2.1", Slot::kReserved);
  CHECK(s.reserved_in_use() == 0);
  CHECK(s.shared_in_use() == 0);
  // Releasing nothing, or an address that holds nothing, changes nothing.
  s.Release("192.0.2.1", Slot::kNone);
  s.Release("10.9.9.9", Slot::kShared);
  CHECK(s.shared_in_use() == 0);
}
