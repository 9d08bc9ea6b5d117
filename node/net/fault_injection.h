// Frame-level fault injection for test networks (docs/testing.md, "Chaos campaign"): per link,
// a fixed delay plus jitter, a probability of losing a frame, and a probability of holding a
// frame back so that later frames overtake it. Applied by the Transport to outgoing frames when
// it was built with TransportOptions::fault_injection (laureld: only with --allow-fault-injection
// and a [fault_injection] section), changed at run time through a JSON file the node re-reads:
//
//   {"links": [{"peer": "*", "delay_ms": 100, "jitter_ms": 50},
//              {"peer": "<64 hex: a peer's public key>", "loss": 0.2, "reorder": 0.3}]}
//
// "peer" "*" applies to every peer without a rule of its own. Every field but "peer" is optional
// (0 when absent): delay_ms and jitter_ms in 0..60000 (each frame waits delay_ms plus a uniform
// draw in [0, jitter_ms]), loss and reorder probabilities in 0..1 (a held-back frame waits a
// further uniform 1..max(2 * delay_ms, 50) ms). "kinds", a list of message kinds 0..255 (a
// frame's first byte, node/wire.cpp), limits the rule to those frames, the others to that peer
// pass untouched (e.g. {"peer": "<key>", "loss": 1, "kinds": [17]}: that peer never receives
// this node's batches). {"links": []} or a missing file: no faults.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/ed25519.h"

namespace laurel::net {

struct LinkFault {
  std::optional<crypto::PublicKey> peer;  // nullopt: every peer without a rule of its own
  uint32_t delay_ms = 0;
  uint32_t jitter_ms = 0;
  double loss = 0;
  double reorder = 0;
  std::vector<uint8_t> kinds;  // empty: every frame; else only frames whose first byte is one

  // Whether the rule acts on `frame` (by its first byte when `kinds` is set).
  bool Covers(const Bytes& frame) const;

  bool operator==(const LinkFault&) const = default;
};

struct LinkFaults {
  std::vector<LinkFault> links;

  // The rule for frames to `peer`: its own, else the "*" rule, else none.
  const LinkFault* For(const crypto::PublicKey& peer) const;
  // One line for logs: "none" or "*: delay 100+50ms; 1a2b3c4d: loss 0.20 reorder 0.30".
  std::string Describe() const;
};

// Parses the JSON above; kInvalidArgument naming the field that is wrong (unknown fields, a
// repeated peer, values out of range and wrong types are errors).
Result<LinkFaults> ParseLinkFaults(std::string_view json);

// What to do with one outgoing frame under `fault`, given uniform draws u_loss, u_reorder in
// [0, 1) and u_jitter, u_extra in [0, 1): dropped, or sent after `delay` (zero: at once).
struct FaultDecision {
  bool drop = false;
  std::chrono::milliseconds delay{0};
  bool reordered = false;  // held back beyond its delay (the reorder draw hit); delay > 0
};
FaultDecision Decide(const LinkFault& fault, double u_loss, double u_reorder, double u_jitter,
                     double u_extra);

// Re-reads a rule file whenever it changes (its inode, size or modification time; checked every
// `interval` on its own thread) and hands the parsed rules to `apply`. A missing file is no
// rules; a file that does not parse is logged and the rules in force stay. Logs
// "fault injection: applied <Describe()> from <path>" each time `apply` accepts new rules.
class FaultFileWatcher {
 public:
  FaultFileWatcher(std::string path, std::function<Status(LinkFaults)> apply,
                   std::chrono::milliseconds interval = std::chrono::milliseconds(200));
  ~FaultFileWatcher();  // stops the thread
  FaultFileWatcher(const FaultFileWatcher&) = delete;
  FaultFileWatcher& operator=(const FaultFileWatcher&) = delete;

  // Reads the file once now (on the caller's thread) and starts watching. Returns what the
  // first read gave: an error when the file exists but does not parse (nothing applied).
  Status Start();
  void Stop();

 private:
  Status Poll(bool force);
  void Run();

  const std::string path_;
  const std::function<Status(LinkFaults)> apply_;
  const std::chrono::milliseconds interval_;
  std::string last_stamp_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace laurel::net
