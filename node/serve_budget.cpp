#include "node/serve_budget.h"

namespace laurel::node {

ServeBudget::Window& ServeBudget::At(uint32_t slot) {
  if (slot >= windows_.size()) windows_.resize(static_cast<size_t>(slot) + 1);
  return windows_[slot];
}

bool ServeBudget::Take(uint32_t slot, uint64_t now_ms) {
  Window& w = At(slot);
  if (!w.open || now_ms >= w.start_ms + limits_.window_ms || now_ms < w.start_ms) {
    w = Window{now_ms, 0, 0, true};
  }
  if (w.requests >= limits_.max_requests || w.bytes >= limits_.max_bytes) return false;
  ++w.requests;
  return true;
}

void ServeBudget::Spent(uint32_t slot, size_t bytes) { At(slot).bytes += bytes; }

}  // namespace laurel::node
