// Admission of inbound connections to the TLS handshake (docs/p2p.md, "Limits"). Before its
// handshake completes, a connection is known only by its source address, so that is what the
// slots are counted by:
// - an address of a configured validator (a peer's host) takes one of `reserved_for_peers`
//   slots, which no other address can use; when those are taken it competes like any other;
// - any other address takes one of `total` shared slots, at most `per_address` of them.
// A flood of idle connections from other addresses therefore never keeps a validator out, and
// a flood from one address keeps out nobody but that address. (A flood from a validator's own
// address cannot be told apart from the validator before the handshake.)
//
// Not thread-safe: the transport uses it on its I/O thread only.
#pragma once

#include <cstddef>
#include <map>
#include <string>

namespace laurel::net {

struct HandshakeLimits {
  size_t total = 64;               // pending handshakes from addresses that are not a peer's
  size_t per_address = 4;          // of those, from one address
  size_t reserved_for_peers = 16;  // pending handshakes from configured validators' addresses
};

class HandshakeSlots {
 public:
  enum class Slot { kNone, kReserved, kShared };

  explicit HandshakeSlots(HandshakeLimits limits) : limits_(limits) {}

  // Takes a slot for a connection from `address` (normalised text; `peer_address` when it is a
  // configured validator's address). kNone: refused, nothing taken.
  Slot TryAcquire(const std::string& address, bool peer_address) {
    if (peer_address && reserved_ < limits_.reserved_for_peers) {
      ++reserved_;
      return Slot::kReserved;
    }
    size_t& n = shared_by_address_[address];
    if (n >= limits_.per_address || shared_ >= limits_.total) {
      if (n == 0) shared_by_address_.erase(address);
      return Slot::kNone;
    }
    ++n;
    ++shared_;
    return Slot::kShared;
  }

  // Gives back a slot that TryAcquire returned for `address`.
  void Release(const std::string& address, Slot slot) {
    if (slot == Slot::kReserved) {
      if (reserved_ > 0) --reserved_;
      return;
    }
    if (slot != Slot::kShared) return;
    auto it = shared_by_address_.find(address);
    if (it == shared_by_address_.end()) return;
    if (--it->second == 0) shared_by_address_.erase(it);
    --shared_;
  }

  size_t reserved_in_use() const { return reserved_; }
  size_t shared_in_use() const { return shared_; }
  size_t shared_from(const std::string& address) const {
    auto it = shared_by_address_.find(address);
    return it == shared_by_address_.end() ? 0 : it->second;
  }

 private:
  const HandshakeLimits limits_;
  size_t reserved_ = 0;
  size_t shared_ = 0;
  std::map<std::string, size_t> shared_by_address_;
};

}  // namespace laurel::net
