// Per-peer budgets for the requests a node answers with work of its own (docs/p2p.md, "Requests
// a node serves"): a batch fetch costs it a batch of up to 4 MiB on the wire, or, for a batch it
// executed, a block read back and its proofs verified again; a block-sync request costs up to
// 64 blocks read from the store. An honest peer stays far below the budgets; the requests of a
// peer over one are dropped (the asker's own timeout moves it on to another peer) and counted.
//
// A fixed window per peer slot: at most `max_requests` requests and `max_bytes` answered bytes
// per `window_ms`. The counts start again with the first request after a window ended.
//
// Thread safety: none; the node uses it from its event loop only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace laurel::node {

class ServeBudget {
 public:
  struct Limits {
    uint32_t max_requests = 1024;
    size_t max_bytes = size_t{64} << 20;
    uint64_t window_ms = 1000;
  };
  explicit ServeBudget(Limits limits) : limits_(limits) {}

  // Whether peer `slot` may be served one more request at `now_ms` (counted if so): false once
  // its window holds max_requests requests or max_bytes answered bytes.
  bool Take(uint32_t slot, uint64_t now_ms);
  // The answer to the request just taken for `slot` had `bytes` bytes.
  void Spent(uint32_t slot, size_t bytes);

  const Limits& limits() const { return limits_; }

 private:
  struct Window {
    uint64_t start_ms = 0;
    uint32_t requests = 0;
    size_t bytes = 0;
    bool open = false;
  };
  Window& At(uint32_t slot);

  Limits limits_;
  std::vector<Window> windows_;  // by peer slot (slots are few and stable: node_impl.h)
};

}  // namespace laurel::node
