// Block sync's state machine (node/sync_tracker.h) driven by what peers send: Hellos with any
// height, sync answers holding blocks of any height that link anywhere, timer expiries, polls
// and disconnections, in any order. The blocks' signature checks are decided by the input (a
// Byzantine peer may hold valid signatures), so the properties checked are the tracker's own:
// it never crashes; every block it hands over to apply is at the next height and the child of
// the tip; it only asks peers that exist (never itself); a request names a height above the tip.
#include "consensus/types.h"
#include "crypto/sha256.h"
#include "fuzz/fuzz_util.h"
#include "node/sync_tracker.h"

namespace {
using namespace laurel;
namespace cs = laurel::consensus;

constexpr uint32_t kValidators = 4;
constexpr uint32_t kMe = 0;

// Bits of a block's timestamp choose the verifier's answers.
constexpr uint64_t kFailsVerify = 1;
constexpr uint64_t kProvesCommit = 2;

Hash32 IdOfHeight(uint64_t h) {
  std::string s("fuzz-tip");
  AppendU64BE(s, h);
  return crypto::Sha256Of(AsBytes(s));
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  node::SyncTracker::Verifier verifier{
      [](const node::SyncBlock& sb) {
        return (sb.block.timestamp_ms & kFailsVerify) ? Status::InvalidArgument("bad signature")
                                                      : Status::Ok();
      },
      [](const node::SyncBlock& sb) { return (sb.block.timestamp_ms & kProvesCommit) != 0; }};
  node::SyncTracker tracker({kValidators, kMe}, verifier);

  node::SyncTracker::Tip tip{in.ConsumeIntegralInRange<uint64_t>(0, 20), {}};
  tip.block_id = IdOfHeight(tip.height);
  std::vector<Hash32> ids = {tip.block_id};  // parents a block may name
  uint64_t now = 1'000'000;

  static const bool trace = std::getenv("FUZZ_TRACE") != nullptr;
  while (in.remaining_bytes() > 0) {
    node::SyncTracker::Outputs out;
    now += in.ConsumeIntegralInRange<uint64_t>(0, 5000);
    const uint32_t peer = in.ConsumeIntegralInRange<uint32_t>(1, kValidators - 1);
    const int event = in.ConsumeIntegralInRange<int>(0, 5);
    if (trace) std::fprintf(stderr, "tip %llu: event %d from peer %u\n", (unsigned long long)tip.height, event, peer);
    switch (event) {
      case 0: {
        const uint64_t claim = in.ConsumeBool() ? tip.height + in.ConsumeIntegralInRange<uint64_t>(0, 200)
                                                : in.ConsumeIntegral<uint64_t>();
        tracker.OnHello(peer, claim, tip, now, out);
        break;
      }
      case 1: {
        node::SyncResponseMsg resp;
        resp.peer_height = in.ConsumeBool() ? tip.height + in.ConsumeIntegralInRange<uint64_t>(0, 200)
                                            : in.ConsumeIntegral<uint64_t>();
        const size_t n = in.ConsumeIntegralInRange<size_t>(0, 8);
        for (size_t k = 0; k < n; ++k) {
          node::SyncBlock sb;
          sb.block.height = in.ConsumeBool() ? tip.height + in.ConsumeIntegralInRange<uint64_t>(0, 10)
                                             : in.ConsumeIntegral<uint64_t>();
          sb.block.round = in.ConsumeIntegralInRange<uint64_t>(0, 1000);
          sb.block.parent_id = ids[in.ConsumeIntegralInRange<size_t>(0, ids.size() - 1)];
          sb.block.timestamp_ms = in.ConsumeIntegralInRange<uint64_t>(0, 3);
          sb.block.proposer = in.ConsumeIntegralInRange<uint32_t>(0, kValidators - 1);
          sb.block.id = cs::ComputeBlockId(sb.block);
          ids.push_back(sb.block.id);
          resp.blocks.push_back(std::move(sb));
        }
        tracker.OnSyncResponse(peer, resp, tip, now, out);
        break;
      }
      case 2:
        tracker.OnRequestTimeout(tip, now, out);
        break;
      case 3:
        tracker.Poll(tip, now, out);
        break;
      case 4:
        tracker.OnPeerDisconnected(peer);
        break;
      case 5: {
        // Consensus committed a block by itself: the tip moves without `apply`.
        ++tip.height;
        tip.block_id = IdOfHeight(tip.height);
        ids.push_back(tip.block_id);
        tracker.Poll(tip, now, out);
        break;
      }
    }
    // The host applies the proven blocks, oldest first.
    if (trace) {
      for (const auto& sb : out.apply) std::fprintf(stderr, "  apply h=%llu\n", (unsigned long long)sb.block.height);
      if (out.request) std::fprintf(stderr, "  request peer %u from %llu\n", out.request->peer, (unsigned long long)out.request->from_height);
    }
    for (const auto& sb : out.apply) {
      FUZZ_CHECK(sb.block.height == tip.height + 1);
      FUZZ_CHECK(sb.block.parent_id == tip.block_id);
      FUZZ_CHECK(!(sb.block.timestamp_ms & kFailsVerify));
      tip.height = sb.block.height;
      tip.block_id = sb.block.id;
    }
    if (out.request) {
      FUZZ_CHECK(out.request->peer < kValidators && out.request->peer != kMe);
      FUZZ_CHECK(out.request->from_height > tip.height);
      FUZZ_CHECK(out.request->max_blocks > 0);
    }
  }
  return 0;
}
