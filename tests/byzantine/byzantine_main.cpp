// laurel-byzantine: a Byzantine validator as a real process, for integration tests only
// (tests/integration/test_byzantine.py).
//
// It runs as one validator of a testnet, from that validator's node config and key, over the
// real P2P transport (mutual TLS with the validator's own key, so honest nodes admit it as
// that validator), and performs one misbehaviour, chosen at start, for a bounded time:
//
//   --behaviour lying-height    Hello with a huge committed height (2^62) to every peer once a
//                               second; sync requests are never answered (or, with
//                               --sync-answer empty, answered with no blocks and the same lie).
//   --behaviour fake-proposal   on every gossiped transaction batch (and every second),
//                               proposals signed with the validator's key listing the
//                               transactions that are gossiped but not yet in an honest
//                               proposal: one at a fresh far round (about 2^62, led by this
//                               validator) extending the highest QC it has seen, and one at each
//                               of the next rounds it leads just ahead of the current one
//                               (--ahead, once per round) extending an older QC, so that no honest
//                               node may vote for it (a vote would commit what it lists).
//   --behaviour block-variants  many distinct signed variants (payload, timestamp) of a block
//                               extending the highest QC, at the next round this validator
//                               leads (the current one when it leads it), as fast as the
//                               transport takes them or at --rate per second.
//   --behaviour equivocate      votes like an honest validator (so that it is elected) and,
//                               whenever it leads a round (it aggregates the votes sent to it
//                               into a QC), signs two blocks for that round: one peer gets the
//                               first, another the second, and a third (rotating) gets both.
//   --behaviour double-vote     on every honest proposal, signs a vote for the block and one for
//                               a forged variant of it (another header of the same round), and
//                               sends both to every peer; leads honestly when elected.
//   --behaviour phantom-votes   never votes for a block it received: on every proposal, a vote
//                               for a made-up block id of that round, to the next leader and to
//                               every peer.
//   --behaviour silent          receives everything and sends nothing: no vote, proposal,
//                               timeout or Hello.
//   --behaviour bad-certs       proposals, timeouts, votes and sync messages carrying invalid
//                               QCs and TCs: wrong signatures, too few signers, signers that are
//                               not validators, a duplicated signer (each of its signatures
//                               valid), at rounds just above the highest QC (so that they are
//                               checked), at --rate messages per second (default 400).
//   --behaviour future-spam     validly signed votes and timeouts for rounds 2^40 and beyond,
//                               just past the honest nodes' window of kept rounds and inside it,
//                               and votes, timeouts and proposals of the next epochs, at --rate
//                               messages per second (default 1000).
//   --behaviour replay          votes and leads honestly, records every proposal, vote and
//                               timeout the peers send it and sends each to every peer again
//                               2 s later, and the first 300 again every second: old messages,
//                               still signed by their original authors.
//   --behaviour bad-frames      as fast as the transport takes them: random bytes, real frames
//                               truncated or with a flipped byte or trailing garbage, empty
//                               frames, transaction batches of garbage, an attestation signed for
//                               another chain id and a timeout signed for another chain's
//                               genesis; and every 2 s a frame above the peers' frame cap (which
//                               closes that connection; the transport reconnects).
//   --behaviour batch-attacks   hostile quorum-store messages (docs/spec/batches.md), at --rate
//                               messages per second (default 400), cycling through: undecodable
//                               and truncated batch frames (kind 17); batches refused by the
//                               store: authored by another validator, with a non-canonical
//                               transaction, over the transaction cap, empty, expired, expiring
//                               too far ahead, of another epoch; forged acknowledgements (in
//                               another validator's name, a bad signature, for a batch the
//                               receiver never made); proofs of availability with too few
//                               signers, forged signatures, an unknown author, a duplicated
//                               signer; batch requests for unknown digests and floods of
//                               requests for the batches the honest validators pushed to it.
//                               And, once a second (--bad-batches times), a well-formed batch of
//                               its own holding the transactions of --tx-file (hex Tx wire
//                               encodings, one a line: the test gives transactions whose
//                               signatures it broke). An ack attests the batch's signatures,
//                               so honest validators refuse it and never acknowledge it; were
//                               one to, it would make the proof from the acks and broadcast it,
//                               and count whether an honest leader proposed it. Its batches
//                               expire --batch-expiry heights (200) above the highest block it
//                               saw: a few heights make a proven batch that honest leaders
//                               cannot count on (test_qs_expiring.py gives valid transactions).
//   --behaviour request-flood   20,000 a second to each peer (or --rate): requests
//                               for the batches the honest validators pushed to it, then
//                               block fetches of 256 blocks back from a committed one, then
//                               block-sync requests for 64 blocks from height 1 (a third of
//                               --seconds each), to every peer.
//
// Except where stated it never votes, never times out and serves nothing. It exits by itself
// after --seconds and prints what it did, one `byzantine:` line every few seconds and a final
// `byzantine: done` line.
// Exit status: 0 after a run in which at least one peer connected, 1 if none did, 2 for bad
// arguments or an unreadable config, key or genesis.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>
#include <utility>

#include "consensus/types.h"
#include "consensus/validator_set.h"
#include "crypto/ed25519.h"
#include "crypto/keyfile.h"
#include "ledger/genesis_io.h"
#include "node/config.h"
#include "node/net/transport.h"
#include "node/payload.h"
#include "node/wire.h"
#include "types/tx.h"

namespace laurel::byzantine {
namespace {

namespace cs = laurel::consensus;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr uint64_t kFarRound = uint64_t{1} << 62;
constexpr size_t kMaxRecentTxs = 4000;   // gossiped txs remembered for fake proposals
constexpr size_t kMaxFakeTxs = 2000;     // txs listed in one fake proposal
constexpr size_t kMaxKnownBlocks = 512;  // honest blocks remembered (parents for our blocks)

std::atomic<bool> g_stop{false};
extern "C" void OnSignal(int) { g_stop = true; }

enum class Behaviour {
  kLyingHeight,
  kFakeProposal,
  kBlockVariants,
  kEquivocate,
  kDoubleVote,
  kPhantomVotes,
  kSilent,
  kBadCerts,
  kFutureSpam,
  kReplay,
  kBadFrames,
  kBatchAttacks,
  kRequestFlood,
};
constexpr std::pair<Behaviour, const char*> kBehaviours[] = {
    {Behaviour::kLyingHeight, "lying-height"},
    {Behaviour::kFakeProposal, "fake-proposal"},
    {Behaviour::kBlockVariants, "block-variants"},
    {Behaviour::kEquivocate, "equivocate"},
    {Behaviour::kDoubleVote, "double-vote"},
    {Behaviour::kPhantomVotes, "phantom-votes"},
    {Behaviour::kSilent, "silent"},
    {Behaviour::kBadCerts, "bad-certs"},
    {Behaviour::kFutureSpam, "future-spam"},
    {Behaviour::kReplay, "replay"},
    {Behaviour::kBadFrames, "bad-frames"},
    {Behaviour::kBatchAttacks, "batch-attacks"},
    {Behaviour::kRequestFlood, "request-flood"},
};

const char* BehaviourName(Behaviour b) {
  for (const auto& [k, name] : kBehaviours) {
    if (k == b) return name;
  }
  return "?";
}

// How this validator votes (and leads) in a behaviour.
enum class VoteMode { kNone, kHonest, kDouble, kPhantom };
VoteMode VoteModeOf(Behaviour b) {
  switch (b) {
    case Behaviour::kEquivocate:
    case Behaviour::kReplay:
      return VoteMode::kHonest;
    case Behaviour::kDoubleVote:
      return VoteMode::kDouble;
    case Behaviour::kPhantomVotes:
      return VoteMode::kPhantom;
    default:
      return VoteMode::kNone;
  }
}

struct Options {
  std::string config_path;
  Behaviour behaviour = Behaviour::kLyingHeight;
  double seconds = 15;
  uint64_t lie_height = kFarRound;
  bool answer_sync_empty = false;
  double rate = 0;  // messages per second (block-variants, bad-certs, future-spam, bad-frames);
                    // 0: the behaviour's default (block-variants, bad-frames: unbounded)
  uint32_t ahead = 2;  // fake-proposal: leader rounds just ahead of the current one
  std::vector<Bytes> file_txs;  // batch-attacks: the transactions of its own batches
  uint32_t bad_batches = 3;     // batch-attacks: how many such batches
  uint64_t batch_expiry = 200;  // batch-attacks: its batches expire this far above max_height
};

// batch-attacks: the hostile messages, one per case, in turn.
enum BatchCase : size_t {
  kMalformedBatch,
  kTruncatedBatch,
  kOtherAuthorBatch,
  kNonCanonicalBatch,
  kOversizedBatch,
  kEmptyBatch,
  kExpiredBatch,
  kFarExpiryBatch,
  kOtherEpochBatch,
  kAckInOthersName,
  kAckBadSignature,
  kAckUnknownBatch,
  kProofTooFew,
  kProofForged,
  kProofUnknownAuthor,
  kProofDuplicateSigner,
  kRequestUnknown,
  kRequestHeld,  // the flood: several slots of the cycle
  kBatchCases,
};
constexpr const char* kBatchCaseNames[kBatchCases] = {
    "malformed_batch",   "truncated_batch",    "other_author_batch",   "non_canonical_batch",
    "oversized_batch",   "empty_batch",        "expired_batch",        "far_expiry_batch",
    "other_epoch_batch", "ack_in_others_name", "ack_bad_signature",    "ack_unknown_batch",
    "proof_too_few",     "proof_forged",       "proof_unknown_author", "proof_duplicate_signer",
    "request_unknown",   "request_held",
};
constexpr size_t kCycle = kBatchCases + 6;  // the last 7 slots of a cycle request held batches

int64_t NowMs() {
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Counters {
  std::atomic<uint64_t> frames_in{0};
  std::atomic<uint64_t> undecodable_in{0};
  std::atomic<uint64_t> proposals_in{0};
  std::atomic<uint64_t> tx_batches_in{0};
  std::atomic<uint64_t> sync_requests_in{0};
  std::atomic<uint64_t> sync_answers_out{0};
  std::atomic<uint64_t> hellos_out{0};
  std::atomic<uint64_t> fake_proposals_out{0};  // proposal frames accepted by the transport
  std::atomic<uint64_t> fake_tx_listings{0};    // sum over fake proposals of the txs listed
  std::atomic<uint64_t> variants_out{0};        // block variants accepted by at least one peer
  std::atomic<uint64_t> variant_frames_out{0};  // ... counted per peer
  std::atomic<uint64_t> send_refused{0};        // Broadcast taken by no peer (queues full)
  std::atomic<uint64_t> fetches_out{0};
  std::atomic<uint32_t> max_peers{0};
  // The voting behaviours.
  std::atomic<uint64_t> votes_out{0};          // votes for blocks received
  std::atomic<uint64_t> forged_votes_out{0};   // double-vote: votes for forged variants
  std::atomic<uint64_t> phantom_votes_out{0};  // votes for made-up block ids
  std::atomic<uint64_t> votes_in{0};
  std::atomic<uint64_t> qcs_formed{0};
  std::atomic<uint64_t> rounds_led{0};
  std::atomic<uint64_t> equivocations_out{0};  // rounds with two blocks sent
  std::atomic<uint64_t> timeouts_in{0};
  // Spam.
  std::atomic<uint64_t> bad_certs_out{0};   // messages carrying an invalid QC or TC
  std::atomic<uint64_t> spam_out{0};        // future-round / other-epoch messages
  std::atomic<uint64_t> replays_out{0};     // recorded messages sent again (per peer)
  std::atomic<uint64_t> bad_frames_out{0};  // per peer
  std::atomic<uint64_t> oversized_out{0};   // per peer
  // batch-attacks.
  std::atomic<uint64_t> batch_case_out[kBatchCases] = {};  // frames accepted by the transport
  std::atomic<uint64_t> batches_in{0};                     // honest batches pushed to it
  std::atomic<uint64_t> own_batches_out{0};                // its well-formed batches (per peer)
  std::atomic<uint64_t> own_acks_in{0};                    // valid honest acks of them
  std::atomic<uint64_t> own_proofs_out{0};                 // proofs made from them and broadcast
  std::atomic<uint64_t> own_proofs_proposed{0};            // of those, seen in an honest proposal
  std::atomic<uint64_t> responses_empty_in{0};             // batch responses "not held"
  std::atomic<uint64_t> responses_full_in{0};              // batch responses with a batch
  // request-flood.
  std::atomic<uint64_t> batch_requests_out{0};  // per peer
  std::atomic<uint64_t> sync_requests_out{0};   // per peer
  std::atomic<uint64_t> sync_responses_in{0};
  std::atomic<uint64_t> fetch_requests_out{0};  // per peer
  std::atomic<uint64_t> fetch_responses_in{0};
};

// What the honest validators have shown this process: the highest certificates, recent
// blocks (the parents its own blocks extend) and the transactions they gossip. Fed from the
// transport's I/O thread, read by the main thread; one mutex.
class View {
 public:
  explicit View(const cs::Block& genesis) {
    sync_.highest_qc = cs::GenesisQc(genesis);
    sync_.highest_commit_qc = sync_.highest_qc;
    AddBlockLocked(genesis);
  }

  void ObserveSync(const cs::SyncInfo& s) {
    std::lock_guard lock(mu_);
    ObserveQcLocked(s.highest_qc);
    if (s.highest_commit_qc.round() > sync_.highest_commit_qc.round()) {
      sync_.highest_commit_qc = s.highest_commit_qc;
    }
    if (s.highest_tc && (!sync_.highest_tc || s.highest_tc->round > sync_.highest_tc->round)) {
      sync_.highest_tc = s.highest_tc;
      round_seen_ = std::max(round_seen_, s.highest_tc->round + 1);
    }
  }
  void ObserveQc(const cs::QuorumCert& qc) {
    std::lock_guard lock(mu_);
    ObserveQcLocked(qc);
  }
  void ObserveRound(cs::Round r) {
    std::lock_guard lock(mu_);
    if (r < kFarRound) round_seen_ = std::max(round_seen_, r);
  }
  // An honest block: remembered as a possible parent; its transactions are no longer pending.
  void ObserveBlock(const cs::Block& b) {
    std::lock_guard lock(mu_);
    AddBlockLocked(b);
    if (auto txs = node::DecodePayload(b.payload)) {
      for (const auto& tx : *txs) proposed_.insert(types::TxId(tx));
    }
  }
  // Gossiped transactions; returns how many were new.
  size_t ObserveTxs(const std::vector<Bytes>& wires) {
    std::lock_guard lock(mu_);
    size_t fresh = 0;
    for (const Bytes& w : wires) {
      auto tx = types::DecodeTx(w);
      if (!tx.ok()) continue;
      const Hash32 id = types::TxId(*tx);
      if (!seen_.insert(id).second) continue;
      recent_.push_back({id, std::move(tx).value()});
      ++fresh;
      if (recent_.size() > kMaxRecentTxs) {
        recent_.pop_front();
      }
    }
    txs_seen_ += fresh;
    return fresh;
  }

  struct Snapshot {
    cs::SyncInfo sync;
    std::optional<cs::Block> parent;  // the block of sync.highest_qc, if known
    // A QC below the highest one (the QC in the highest QC's block) and its block, if known:
    // a block on it at a later round gets no honest vote (safety rules).
    std::optional<cs::QuorumCert> stale_qc;
    std::optional<cs::Block> stale_parent;
    uint64_t max_height = 0;         // highest block height seen
    cs::Round current_round = 1;     // our estimate of the honest nodes' round
    std::vector<types::Tx> pending;  // gossiped, not seen in an honest proposal (newest last)
  };
  Snapshot Take(bool with_pending) const {
    std::lock_guard lock(mu_);
    Snapshot s;
    s.sync = sync_;
    if (auto it = blocks_.find(sync_.highest_qc.block_id()); it != blocks_.end()) {
      s.parent = it->second;
      if (it->second.height > 0) {
        s.stale_qc = it->second.qc;
        if (auto g = blocks_.find(it->second.qc.block_id()); g != blocks_.end()) {
          s.stale_parent = g->second;
        }
      }
    }
    s.max_height = max_height_;
    s.current_round = std::max(round_seen_, sync_.highest_qc.round() + 1);
    if (with_pending) {
      for (auto it = recent_.rbegin(); it != recent_.rend() && s.pending.size() < kMaxFakeTxs;
           ++it) {
        if (!proposed_.count(it->first)) s.pending.push_back(it->second);
      }
      std::reverse(s.pending.begin(), s.pending.end());
    }
    return s;
  }
  uint64_t txs_seen() const {
    std::lock_guard lock(mu_);
    return txs_seen_;
  }
  // A block to ask block fetches for: the highest seen at least kDeepBlock heights below the
  // highest (committed, likely pruned from the engine's tree, so the answer is read from the
  // store, up to 256 blocks back), else the highest commit QC's block.
  static constexpr uint64_t kDeepBlock = 32;
  cs::BlockId DeepBlock() const {
    std::lock_guard lock(mu_);
    if (max_height_ > kDeepBlock) {
      auto it = by_height_.upper_bound(max_height_ - kDeepBlock);
      if (it != by_height_.begin()) return std::prev(it)->second;
    }
    return sync_.highest_commit_qc.block_id();
  }
  std::optional<cs::Block> GetBlock(const cs::BlockId& id) const {
    std::lock_guard lock(mu_);
    auto it = blocks_.find(id);
    if (it == blocks_.end()) return std::nullopt;
    return it->second;
  }

 private:
  void ObserveQcLocked(const cs::QuorumCert& qc) {
    if (qc.round() > sync_.highest_qc.round()) sync_.highest_qc = qc;
    round_seen_ = std::max(round_seen_, qc.round() + 1);
  }
  void AddBlockLocked(const cs::Block& b) {
    if (b.round >= kFarRound) return;
    if (blocks_.emplace(b.id, b).second) order_.push_back(b.id);
    max_height_ = std::max(max_height_, b.height);
    if (b.height > 0) {
      by_height_[b.height] = b.id;
      while (by_height_.size() > kMaxKnownHeights) by_height_.erase(by_height_.begin());
    }
    while (order_.size() > kMaxKnownBlocks) {
      blocks_.erase(order_.front());
      order_.pop_front();
    }
  }

  mutable std::mutex mu_;
  cs::SyncInfo sync_;
  cs::Round round_seen_ = 1;
  uint64_t max_height_ = 0;
  std::map<cs::BlockId, cs::Block> blocks_;
  std::deque<cs::BlockId> order_;
  static constexpr size_t kMaxKnownHeights = 1024;
  std::map<uint64_t, cs::BlockId> by_height_;  // a block id seen at each recent height
  std::deque<std::pair<Hash32, types::Tx>> recent_;
  std::set<Hash32> seen_;
  std::set<Hash32> proposed_;
  uint64_t txs_seen_ = 0;
};

class Adversary {
 public:
  Adversary(Options opts, node::NodeConfig config, ledger::Genesis genesis,
            const crypto::PrivateKey& key)
      : opts_(std::move(opts)),
        vote_mode_(VoteModeOf(opts_.behaviour)),
        config_(std::move(config)),
        genesis_(std::move(genesis)),
        key_(key),
        genesis_block_(cs::GenesisBlock(0, genesis_.chain_id)),
        view_(genesis_block_) {
    for (const auto& v : genesis_.validators) {
      crypto::PublicKey k{};
      if (v.public_key.size() == k.size())
        std::copy(v.public_key.begin(), v.public_key.end(), k.begin());
      index_of_[k] = static_cast<uint32_t>(keys_.size());
      keys_.push_back(k);
    }
  }

  Status Init() {
    auto me = index_of_.find(key_.public_key());
    if (me == index_of_.end()) {
      return Status::PermissionDenied("key " + HexEncode(key_.public_key()) +
                                      " is not in the genesis validator set");
    }
    my_index_ = me->second;
    net::TransportOptions t;
    t.listen_host = config_.p2p_listen.host;
    t.listen_port = config_.p2p_listen.port;
    t.max_frame_size = config_.max_frame_bytes;
    if (opts_.behaviour == Behaviour::kBadFrames) {
      // Room for a frame above the peers' cap (theirs is the same config value).
      t.max_frame_size = config_.max_frame_bytes + (1u << 16);
    }
    // A small queue: a variant that waits long is worth less than a fresh one.
    t.send_queue_bytes = size_t{t.max_frame_size} + (size_t{1} << 20);
    for (const auto& p : config_.peers) {
      crypto::PublicKey k{};
      if (p.public_key.size() != k.size()) return Status::InvalidArgument("bad peer key");
      std::copy(p.public_key.begin(), p.public_key.end(), k.begin());
      if (!index_of_.count(k)) return Status::InvalidArgument("peer not in the validator set");
      t.peers[k] = net::PeerAddress{p.address.host, p.address.port};
    }
    t.on_receive = [this](const crypto::PublicKey& peer, const Bytes& payload) {
      OnFrame(peer, payload);
    };
    t.on_connection = [this](const crypto::PublicKey& peer, bool up) { OnConnection(peer, up); };
    transport_ = std::make_unique<net::Transport>(key_, std::move(t));
    return transport_->Start();
  }

  int Run() {
    std::printf("byzantine: start behaviour=%s validator=%u of %zu seconds=%.0f p2p=%s:%u\n",
                BehaviourName(opts_.behaviour), my_index_, keys_.size(), opts_.seconds,
                config_.p2p_listen.host.c_str(), transport_->listen_port());
    std::fflush(stdout);
    const auto start = Clock::now();
    const auto deadline = start + milliseconds(static_cast<int64_t>(opts_.seconds * 1000));
    auto next_report = start + milliseconds(5000);
    auto next_tick = start;
    bool announced = false;
    far_round_ = FirstLeaderRoundFrom(kFarRound);
    while (!g_stop && Clock::now() < deadline) {
      // The streaming behaviours work in slices, so that this loop reports the connection soon.
      const auto slice = std::min({deadline, next_report, Clock::now() + milliseconds(200)});
      const size_t peers = transport_->ConnectedPeers().size();
      if (!announced && peers + 1 >= keys_.size()) {
        announced = true;
        std::printf("byzantine: connected to all %zu peers after %.1fs\n", peers,
                    Seconds(Clock::now() - start));
        std::fflush(stdout);
      }
      switch (opts_.behaviour) {
        case Behaviour::kLyingHeight:
          if (Clock::now() >= next_tick) {
            LieAboutHeight();
            next_tick += milliseconds(1000);
          }
          WaitForWork(milliseconds(100));
          break;
        case Behaviour::kFakeProposal: {
          const bool fresh = WaitForWork(milliseconds(100));
          if (fresh || Clock::now() >= next_tick) {
            FakeProposals();
            next_tick = Clock::now() + milliseconds(1000);
          }
          break;
        }
        case Behaviour::kBlockVariants:
          StreamVariants(slice);
          break;
        case Behaviour::kEquivocate:
        case Behaviour::kDoubleVote:
        case Behaviour::kPhantomVotes:
        case Behaviour::kSilent:
          // All their work is done as messages arrive (OnFrame).
          WaitForWork(milliseconds(100));
          break;
        case Behaviour::kBadCerts:
          Paced(slice, 400, [this] { return SendBadCert(); });
          break;
        case Behaviour::kFutureSpam:
          Paced(slice, 1000, [this] { return SendFutureSpam(); });
          break;
        case Behaviour::kReplay:
          Replay();
          std::this_thread::sleep_for(milliseconds(50));
          break;
        case Behaviour::kBadFrames:
          Paced(slice, 0, [this] { return SendBadFrame(); });
          break;
        case Behaviour::kBatchAttacks:
          Paced(slice, 400, [this] { return SendBatchAttack(); });
          break;
        case Behaviour::kRequestFlood:
          // 20,000 a second to each peer, far over every budget: unpaced, the transport's
          // queue (16 MiB) would hold seconds of requests, and a third's kind would reach the
          // peers only in the next third.
          Paced(slice, 20000, [this] { return SendRequestFlood(); });
          break;
      }
      if (Clock::now() >= next_report) {
        Report("at", Seconds(Clock::now() - start));
        next_report += milliseconds(5000);
      }
    }
    Report("done", Seconds(Clock::now() - start));
    transport_->Stop();
    return counters_.max_peers.load() > 0 ? 0 : 1;
  }

 private:
  static double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

  uint32_t Leader(cs::Round r) const { return static_cast<uint32_t>(r % keys_.size()); }
  // The first round >= r that this validator leads (round-robin, consensus/validator_set.cpp).
  cs::Round FirstLeaderRoundFrom(cs::Round r) const {
    while (Leader(r) != my_index_) ++r;
    return r;
  }

  void OnConnection(const crypto::PublicKey& peer, bool up) {
    const auto n = static_cast<uint32_t>(transport_->ConnectedPeers().size());
    uint32_t prev = counters_.max_peers.load();
    while (n > prev && !counters_.max_peers.compare_exchange_weak(prev, n)) {
    }
    if (up && opts_.behaviour == Behaviour::kLyingHeight) {
      // Nodes send Hello on connect; so does the liar, with its lie.
      if (transport_->Send(peer, node::EncodeWire(node::HelloMsg{opts_.lie_height})).ok()) {
        counters_.hellos_out++;
      }
    }
  }

  // On the transport's I/O thread: decode, note what the honest nodes show, wake the main loop.
  void OnFrame(const crypto::PublicKey& peer, const Bytes& frame) {
    counters_.frames_in++;
    auto it = index_of_.find(peer);
    if (it == index_of_.end()) return;
    auto m = node::DecodeWire(frame);
    if (!m.ok()) {
      counters_.undecodable_in++;
      return;
    }
    if (const auto* c = std::get_if<cs::Message>(&*m)) {
      if (opts_.behaviour == Behaviour::kReplay && !std::holds_alternative<cs::SyncMsg>(*c)) {
        Record(frame);
      }
      if (opts_.behaviour == Behaviour::kBadFrames) {
        std::lock_guard lock(frames_mu_);
        sample_frame_ = frame;
      }
      if (const auto* p = std::get_if<cs::ProposalMsg>(c)) {
        counters_.proposals_in++;
        view_.ObserveSync(p->sync);
        view_.ObserveQc(p->block.qc);
        view_.ObserveBlock(p->block);
        view_.ObserveRound(p->block.round);
        if (vote_mode_ != VoteMode::kNone) OnProposal(p->block);
        if (opts_.behaviour == Behaviour::kBatchAttacks) NoteProposedProofs(p->block);
      } else if (const auto* v = std::get_if<cs::VoteMsg>(c)) {
        counters_.votes_in++;
        view_.ObserveSync(v->sync);
        view_.ObserveRound(v->vote.data.round);
        if (vote_mode_ != VoteMode::kNone) OnVote(v->vote);
      } else if (const auto* t = std::get_if<cs::TimeoutMsg>(c)) {
        counters_.timeouts_in++;
        view_.ObserveSync(t->sync);
        view_.ObserveQc(t->timeout.high_qc);
        view_.ObserveRound(t->timeout.round);
      } else if (const auto* s = std::get_if<cs::SyncMsg>(c)) {
        view_.ObserveSync(s->sync);
      }
    } else if (const auto* f = std::get_if<node::FetchResponseMsg>(&*m)) {
      counters_.fetch_responses_in++;
      for (const auto& b : f->blocks) view_.ObserveBlock(b);
    } else if (const auto* bm = std::get_if<node::BatchMsg>(&*m)) {
      counters_.batches_in++;
      std::lock_guard lock(batch_mu_);
      harvested_.push_back({it->second, node::InfoOf(genesis_.chain_id, bm->batch)});
      if (harvested_.size() > kMaxHarvested) harvested_.pop_front();
    } else if (const auto* a = std::get_if<node::BatchAckMsg>(&*m)) {
      OnOwnBatchAck(it->second, a->ack);
    } else if (const auto* r = std::get_if<node::BatchResponseMsg>(&*m)) {
      (r->batch ? counters_.responses_full_in : counters_.responses_empty_in)++;
    } else if (const auto* b = std::get_if<node::TxBatchMsg>(&*m)) {
      counters_.tx_batches_in++;
      if (view_.ObserveTxs(b->txs) > 0) Wake();
    } else if (std::holds_alternative<node::SyncResponseMsg>(*m)) {
      counters_.sync_responses_in++;
    } else if (std::holds_alternative<node::SyncRequestMsg>(*m)) {
      counters_.sync_requests_in++;
      if (opts_.behaviour == Behaviour::kLyingHeight && opts_.answer_sync_empty) {
        node::SyncResponseMsg resp;
        resp.peer_height = opts_.lie_height;
        if (transport_->Send(peer, node::EncodeWire(resp)).ok()) counters_.sync_answers_out++;
      }
    }
  }

  void Wake() {
    {
      std::lock_guard lock(wake_mu_);
      wake_ = true;
    }
    wake_cv_.notify_one();
  }
  // True when woken by fresh transactions before `d` passed.
  bool WaitForWork(milliseconds d) {
    std::unique_lock lock(wake_mu_);
    wake_cv_.wait_for(lock, d, [this] { return wake_; });
    const bool woke = wake_;
    wake_ = false;
    return woke;
  }

  // ---- lying-height ----

  void LieAboutHeight() {
    const size_t n = transport_->Broadcast(node::EncodeWire(node::HelloMsg{opts_.lie_height}));
    counters_.hellos_out += n;
  }

  // ---- fake-proposal and block-variants: signed blocks extending the highest QC ----

  // A block by this validator at `round` on `qc` (whose block is `parent`). The parent's
  // height and time come from the parent block when known; otherwise it is fetched, and the
  // block is made with the best guess (it then fails the engine's checks: fine for a fake).
  cs::Block MakeBlock(const View::Snapshot& s, cs::Round round, const cs::QuorumCert& qc,
                      const std::optional<cs::Block>& parent, Bytes payload, uint64_t ts_bump) {
    cs::Block b;
    b.epoch = 0;
    b.round = round;
    b.qc = qc;
    b.parent_id = b.qc.block_id();
    if (parent) {
      b.height = parent->height + 1;
      b.timestamp_ms = std::max<uint64_t>(static_cast<uint64_t>(NowMs()), parent->timestamp_ms);
    } else {
      b.height = s.max_height + 1;
      b.timestamp_ms = static_cast<uint64_t>(NowMs());
      RequestParent(b.parent_id);
    }
    b.timestamp_ms += ts_bump;
    b.payload = std::move(payload);
    b.proposer = my_index_;
    cs::SignBlock(b, key_);
    return b;
  }

  void RequestParent(const cs::BlockId& id) {
    if (id == last_fetch_ && Clock::now() < last_fetch_at_ + milliseconds(500)) return;
    last_fetch_ = id;
    last_fetch_at_ = Clock::now();
    counters_.fetches_out += transport_->Broadcast(node::EncodeWire(node::FetchRequestMsg{id, 1}));
  }

  void FakeProposals() {
    const View::Snapshot s = view_.Take(/*with_pending=*/true);
    if (s.pending.empty()) return;
    const Bytes payload = node::EncodePayload(s.pending);
    auto send = [&](const cs::Block& b) {
      const size_t n =
          transport_->Broadcast(node::EncodeWire(cs::Message(cs::ProposalMsg{b, s.sync})));
      counters_.fake_proposals_out += n;
      if (n > 0) counters_.fake_tx_listings += s.pending.size();
    };
    // A fresh far round each time (no two far fakes share a round): a valid block on the
    // highest QC in a round no honest node reaches.
    send(MakeBlock(s, far_round_, s.sync.highest_qc, s.parent, payload, 0));
    far_round_ = FirstLeaderRoundFrom(far_round_ + 1);
    // The rounds we lead just ahead of the current one, once each, on an older QC: honest
    // nodes reach these rounds, and must not vote for what we list there.
    if (!s.stale_qc) return;
    cs::Round r = s.current_round;
    for (uint32_t i = 0; i < opts_.ahead; ++i) {
      r = FirstLeaderRoundFrom(r + 1);
      if (r <= near_sent_) continue;
      near_sent_ = r;
      send(MakeBlock(s, r, *s.stale_qc, s.stale_parent, payload, 0));
    }
  }

  void StreamVariants(Clock::time_point until) {
    const auto period = opts_.rate > 0 ? std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(1.0 / opts_.rate))
                                       : Clock::duration::zero();
    View::Snapshot s = view_.Take(/*with_pending=*/false);
    auto refreshed = Clock::now();
    if (next_variant_at_ == Clock::time_point{}) next_variant_at_ = Clock::now();
    while (!g_stop && Clock::now() < until) {
      if (Clock::now() - refreshed > milliseconds(20)) {
        s = view_.Take(false);
        refreshed = Clock::now();
      }
      if (s.sync.highest_qc.round() == 0 && !s.parent) {
        std::this_thread::sleep_for(milliseconds(10));
        continue;
      }
      // The next round this validator leads: the current one if it leads it.
      const cs::Round round = FirstLeaderRoundFrom(s.current_round);
      Bytes payload = ToBytes("byzantine-variant/");
      payload.resize(payload.size() + 8);
      const uint64_t k = variant_seq_++;
      for (int i = 0; i < 8; ++i)
        payload[payload.size() - 1 - i] = static_cast<uint8_t>(k >> (8 * i));
      const cs::Block b =
          MakeBlock(s, round, s.sync.highest_qc, s.parent, std::move(payload), k % 1000);
      const Bytes wire = node::EncodeWire(cs::Message(cs::ProposalMsg{b, s.sync}));
      const size_t n = transport_->Broadcast(wire);
      if (n == 0) {
        counters_.send_refused++;
        std::this_thread::sleep_for(milliseconds(1));
      } else {
        counters_.variants_out++;
        counters_.variant_frames_out += n;
      }
      if (period > Clock::duration::zero()) {
        next_variant_at_ += period;
        const auto now = Clock::now();
        if (next_variant_at_ > now) {
          std::this_thread::sleep_until(std::min(next_variant_at_, until));
        } else if (now - next_variant_at_ > milliseconds(200)) {
          next_variant_at_ = now;  // do not burst to catch up after a stall
        }
      }
    }
  }

  // ---- the voting behaviours (equivocate, double-vote, phantom-votes, replay) ----
  // Run on the transport's I/O thread as proposals and votes arrive; vote_mu_ guards the state.

  uint32_t LeaderAfter(const cs::Block& b) const {
    return cs::ElectLeader(b.round + 1, &b, static_cast<uint32_t>(keys_.size()));
  }
  size_t Quorum() const { return keys_.size() - (keys_.size() - 1) / 3; }

  // A vote to the leader of the next round (kept here when that is this validator).
  void RouteVote(const cs::Vote& v, const cs::Block& b) {
    const uint32_t next = LeaderAfter(b);
    if (next == my_index_) {
      AddVoteLocked(v);
    } else {
      (void)transport_->Send(keys_[next], node::EncodeWire(cs::Message(cs::VoteMsg{v, Sync()})));
    }
  }
  cs::SyncInfo Sync() const { return view_.Take(false).sync; }

  void OnProposal(const cs::Block& b) {
    std::lock_guard lock(vote_mu_);
    if (b.round <= last_voted_round_ || b.round >= kFarRound || b.proposer == my_index_) return;
    last_voted_round_ = b.round;
    switch (vote_mode_) {
      case VoteMode::kNone:
        return;
      case VoteMode::kHonest: {
        RouteVote(cs::SignVote(cs::VoteDataFor(b), my_index_, key_), b);
        counters_.votes_out++;
        return;
      }
      case VoteMode::kDouble: {
        // The real vote first (to the next leader), then both to every peer: each honest node
        // holds two signed votes of this validator for one round.
        const cs::Vote real = cs::SignVote(cs::VoteDataFor(b), my_index_, key_);
        RouteVote(real, b);
        cs::Block forged = b;  // another header of the same round: never signed by its proposer
        forged.timestamp_ms += 1 + (rng_() % 1000);
        forged.id = cs::ComputeBlockId(forged);
        const cs::Vote other = cs::SignVote(cs::VoteDataFor(forged), my_index_, key_);
        const cs::SyncInfo sync = Sync();
        transport_->Broadcast(node::EncodeWire(cs::Message(cs::VoteMsg{real, sync})));
        transport_->Broadcast(node::EncodeWire(cs::Message(cs::VoteMsg{other, sync})));
        counters_.votes_out++;
        counters_.forged_votes_out++;
        return;
      }
      case VoteMode::kPhantom: {
        cs::VoteData d = cs::VoteDataFor(b);
        for (auto& byte : d.block_id) byte = static_cast<uint8_t>(rng_());
        const cs::Vote v = cs::SignVote(d, my_index_, key_);
        const Bytes wire = node::EncodeWire(cs::Message(cs::VoteMsg{v, Sync()}));
        transport_->Broadcast(wire);  // the next leader among them
        counters_.phantom_votes_out++;
        return;
      }
    }
  }

  void OnVote(const cs::Vote& v) {
    std::lock_guard lock(vote_mu_);
    if (v.signer >= keys_.size() || v.signer == my_index_) return;
    if (!crypto::VerifyWithDomain(keys_[v.signer], cs::kVoteDomain, cs::VoteSignBytes(v.data),
                                  v.signature)) {
      return;
    }
    AddVoteLocked(v);
  }

  // Aggregates votes sent to this validator as the next leader; at a quorum, leads the round
  // after the voted block's.
  void AddVoteLocked(const cs::Vote& v) {
    const cs::Round r = v.data.round;
    if (r + 1 <= led_round_ || r >= kFarRound) return;
    auto& agg = votes_[r][cs::VoteSignBytes(v.data)];
    agg.first = v.data;
    agg.second.emplace(v.signer, v.signature);
    votes_.erase(votes_.begin(), votes_.lower_bound(r > 4 ? r - 4 : 0));
    if (agg.second.size() < Quorum()) return;
    const std::optional<cs::Block> parent = view_.GetBlock(v.data.block_id);
    if (!parent || LeaderAfter(*parent) != my_index_) return;
    cs::QuorumCert qc{agg.first, {agg.second.begin(), agg.second.end()}};
    counters_.qcs_formed++;
    view_.ObserveQc(qc);
    Lead(qc, *parent);
  }

  void Lead(const cs::QuorumCert& qc, const cs::Block& parent) {
    led_round_ = qc.round() + 1;
    cs::Block a;
    a.epoch = parent.epoch;
    a.round = qc.round() + 1;
    a.height = parent.height + 1;
    a.parent_id = parent.id;
    a.qc = qc;
    a.payload = node::EncodePayload({});
    a.timestamp_ms = std::max<uint64_t>(static_cast<uint64_t>(NowMs()), parent.timestamp_ms);
    a.proposer = my_index_;
    cs::SignBlock(a, key_);
    cs::SyncInfo sync = Sync();
    sync.highest_qc = qc;
    sync.highest_tc.reset();
    counters_.rounds_led++;
    view_.ObserveBlock(a);
    const Bytes wire_a = node::EncodeWire(cs::Message(cs::ProposalMsg{a, sync}));
    if (opts_.behaviour != Behaviour::kEquivocate) {
      transport_->Broadcast(wire_a);
    } else {
      cs::Block b = a;
      b.timestamp_ms += 1;
      cs::SignBlock(b, key_);
      const Bytes wire_b = node::EncodeWire(cs::Message(cs::ProposalMsg{b, sync}));
      // Peers in index order without this validator: one gets a, one gets b, and one (rotating
      // from one led round to the next) gets a and then b.
      std::vector<uint32_t> peers;
      for (uint32_t i = 0; i < keys_.size(); ++i) {
        if (i != my_index_) peers.push_back(i);
      }
      const size_t k = static_cast<size_t>(counters_.equivocations_out.load() % peers.size());
      for (size_t j = 0; j < peers.size(); ++j) {
        const auto& key = keys_[peers[(k + j) % peers.size()]];
        if (j == 0) {
          (void)transport_->Send(key, wire_a);
          (void)transport_->Send(key, wire_b);
        } else if (j % 2 == 1) {
          (void)transport_->Send(key, wire_a);
        } else {
          (void)transport_->Send(key, wire_b);
        }
      }
      counters_.equivocations_out++;
    }
    // This validator's own vote for (the first of) its block(s).
    last_voted_round_ = std::max(last_voted_round_, a.round);
    RouteVote(cs::SignVote(cs::VoteDataFor(a), my_index_, key_), a);
    counters_.votes_out++;
  }

  // ---- paced spam (bad-certs, future-spam, bad-frames) ----

  // Calls `one` (which returns the peers that took its message, 0 when none did) at `rate` per
  // second (--rate, else `default_rate`; 0: as fast as the transport takes them) until `until`.
  template <class F>
  void Paced(Clock::time_point until, double default_rate, F one) {
    const double rate = opts_.rate > 0 ? opts_.rate : default_rate;
    const auto period = rate > 0 ? std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(1.0 / rate))
                                 : Clock::duration::zero();
    if (next_spam_at_ == Clock::time_point{}) next_spam_at_ = Clock::now();
    while (!g_stop && Clock::now() < until) {
      if (transport_->ConnectedPeers().empty()) {
        std::this_thread::sleep_for(milliseconds(20));
        next_spam_at_ = Clock::now();
        continue;
      }
      if (one() == 0) {
        counters_.send_refused++;
        std::this_thread::sleep_for(milliseconds(1));
      }
      if (period > Clock::duration::zero()) {
        next_spam_at_ += period;
        const auto now = Clock::now();
        if (next_spam_at_ > now) {
          std::this_thread::sleep_until(std::min(next_spam_at_, until));
        } else if (now - next_spam_at_ > milliseconds(200)) {
          next_spam_at_ = now;
        }
      }
    }
  }

  size_t BroadcastCounted(const Bytes& wire, std::atomic<uint64_t>& counter) {
    const size_t n = transport_->Broadcast(wire);
    counter += n;
    return n;
  }

  // A QC over made-up data just above `hqc` (so that an honest node checks it), invalid in one
  // of five ways chosen by `k`.
  cs::QuorumCert BadQc(const cs::QuorumCert& hqc, cs::Round round, uint64_t k) {
    cs::QuorumCert qc;
    qc.data.epoch = hqc.data.epoch;
    qc.data.round = round;
    for (auto& byte : qc.data.block_id) byte = static_cast<uint8_t>(rng_());
    qc.data.parent_round = hqc.round();
    qc.data.parent_id = hqc.block_id();
    const cs::Signature mine = cs::SignVote(qc.data, my_index_, key_).signature;
    cs::Signature junk{};
    for (auto& byte : junk) byte = static_cast<uint8_t>(rng_());
    const auto n = static_cast<uint32_t>(keys_.size());
    switch (k % 5) {
      case 0:  // bad signatures: the others' are random bytes
        for (uint32_t i = 0; i < n; ++i) qc.signatures.push_back({i, i == my_index_ ? mine : junk});
        break;
      case 1:  // the real QC's signatures over other data
        qc.signatures = hqc.signatures;
        if (qc.signatures.empty()) qc.signatures.push_back({0, junk});
        break;
      case 2:  // too few signers (only this validator, validly)
        qc.signatures.push_back({my_index_, mine});
        break;
      case 3:  // signers that are not validators
        qc.signatures.push_back({my_index_, mine});
        qc.signatures.push_back({n + 3, junk});
        qc.signatures.push_back({n + 40, junk});
        break;
      default:  // one signer, valid, three times
        for (int i = 0; i < 3; ++i) qc.signatures.push_back({my_index_, mine});
        break;
    }
    return qc;
  }
  // A TC for `round`, invalid in one of four ways.
  cs::TimeoutCert BadTc(const cs::QuorumCert& hqc, cs::Round round, uint64_t k) {
    cs::TimeoutCert tc;
    tc.epoch = hqc.data.epoch;
    tc.round = round;
    tc.high_qc = hqc;
    const cs::Signature mine =
        cs::SignTimeout(genesis_block_.id, tc.epoch, round, hqc, my_index_, key_).signature;
    cs::Signature junk{};
    for (auto& byte : junk) byte = static_cast<uint8_t>(rng_());
    const auto n = static_cast<uint32_t>(keys_.size());
    switch (k % 4) {
      case 0:
        for (uint32_t i = 0; i < n; ++i)
          tc.entries.push_back({i, hqc.round(), i == my_index_ ? mine : junk});
        break;
      case 1:
        tc.entries.push_back({my_index_, hqc.round(), mine});
        break;
      case 2:
        tc.entries.push_back({my_index_, hqc.round(), mine});
        tc.entries.push_back({n + 1, hqc.round(), junk});
        tc.entries.push_back({n + 2, hqc.round(), junk});
        break;
      default:
        for (int i = 0; i < 3; ++i) tc.entries.push_back({my_index_, hqc.round(), mine});
        break;
    }
    return tc;
  }

  size_t SendBadCert() {
    const View::Snapshot s = view_.Take(false);
    const uint64_t k = spam_seq_++;
    const cs::Round round = s.current_round;
    const cs::QuorumCert bad = BadQc(s.sync.highest_qc, std::max<cs::Round>(round, 1), k / 5);
    cs::SyncInfo bad_sync = s.sync;
    switch (k % 5) {
      case 0: {  // a proposal on an invalid QC
        cs::Block b;
        b.epoch = bad.data.epoch;
        b.round = bad.round() + 1;
        b.height = s.max_height + 1;
        b.parent_id = bad.block_id();
        b.qc = bad;
        b.payload = node::EncodePayload({});
        b.timestamp_ms = static_cast<uint64_t>(NowMs());
        b.proposer = my_index_;
        cs::SignBlock(b, key_);
        return BroadcastCounted(node::EncodeWire(cs::Message(cs::ProposalMsg{b, s.sync})),
                                counters_.bad_certs_out);
      }
      case 1: {  // a timeout (validly signed) whose high QC is invalid
        const cs::TimeoutVote t =
            cs::SignTimeout(genesis_block_.id, bad.data.epoch, bad.round() + 1, bad, my_index_,
                            key_);
        return BroadcastCounted(node::EncodeWire(cs::Message(cs::TimeoutMsg{t, s.sync})),
                                counters_.bad_certs_out);
      }
      case 2: {  // sync info with an invalid TC
        bad_sync.highest_tc = BadTc(s.sync.highest_qc, round, k / 5);
        return BroadcastCounted(node::EncodeWire(cs::Message(cs::SyncMsg{bad_sync})),
                                counters_.bad_certs_out);
      }
      case 3: {  // sync info with an invalid highest QC, inside a timeout
        bad_sync.highest_qc = bad;
        const cs::TimeoutVote t = cs::SignTimeout(genesis_block_.id, s.sync.highest_qc.data.epoch,
                                                  round, s.sync.highest_qc, my_index_, key_);
        // The timeout itself is valid: sent only with the bad sync info (refused as a whole).
        return BroadcastCounted(node::EncodeWire(cs::Message(cs::TimeoutMsg{t, bad_sync})),
                                counters_.bad_certs_out);
      }
      default: {  // a proposal whose sync info carries an invalid TC and commit QC
        bad_sync.highest_commit_qc = bad;
        bad_sync.highest_tc = BadTc(s.sync.highest_qc, round + 1, k / 5 + 1);
        cs::Block b = MakeBlock(s, FirstLeaderRoundFrom(round + 1), s.sync.highest_qc, s.parent,
                                node::EncodePayload({}), 0);
        return BroadcastCounted(node::EncodeWire(cs::Message(cs::ProposalMsg{b, bad_sync})),
                                counters_.bad_certs_out);
      }
    }
  }

  size_t SendFutureSpam() {
    const View::Snapshot s = view_.Take(false);
    const uint64_t k = spam_seq_++;
    constexpr cs::Round kFuture = cs::Round{1} << 40;
    const cs::QuorumCert& hqc = s.sync.highest_qc;
    const uint64_t epoch = hqc.data.epoch;
    auto vote = [&](uint64_t ep, cs::Round r) {
      cs::VoteData d;
      d.epoch = ep;
      d.round = r;
      for (auto& byte : d.block_id) byte = static_cast<uint8_t>(rng_());
      d.parent_round = r - 1;
      d.parent_id = hqc.block_id();
      return node::EncodeWire(
          cs::Message(cs::VoteMsg{cs::SignVote(d, my_index_, key_), s.sync}));
    };
    auto timeout = [&](uint64_t ep, cs::Round r) {
      return node::EncodeWire(cs::Message(cs::TimeoutMsg{
          cs::SignTimeout(genesis_block_.id, ep, r, hqc, my_index_, key_), s.sync}));
    };
    Bytes wire;
    switch (k % 8) {
      case 0:
        wire = vote(epoch, kFuture + k);
        break;
      case 1:
        wire = timeout(epoch, kFuture + k);
        break;
      case 2:  // just past the honest nodes' window of kept rounds (64)
        wire = vote(epoch, s.current_round + 65 + k % 1000);
        break;
      case 3:  // inside the window: kept until the round passes
        wire = timeout(epoch, s.current_round + 1 + k % 64);
        break;
      case 4:
        wire = vote(epoch + 1 + k % 3, s.current_round);
        break;
      case 5:
        wire = timeout(epoch + 1 + k % 3, s.current_round);
        break;
      case 6: {  // a proposal of the next epoch
        cs::Block b = MakeBlock(s, s.current_round, hqc, s.parent, node::EncodePayload({}), 0);
        b.epoch = epoch + 1;
        cs::SignBlock(b, key_);
        wire = node::EncodeWire(cs::Message(cs::ProposalMsg{b, s.sync}));
        break;
      }
      default:  // timeouts for rounds spread far beyond 2^40
        wire = timeout(epoch, kFuture * (1 + k % 1000));
        break;
    }
    return BroadcastCounted(wire, counters_.spam_out);
  }

  // ---- replay ----

  void Record(const Bytes& frame) {
    std::lock_guard lock(frames_mu_);
    recorded_.push_back({Clock::now(), frame});
    if (recorded_.size() > kMaxRecorded) recorded_.pop_front();
    if (oldest_.size() < kOldest) oldest_.push_back(frame);
  }
  void Replay() {
    std::vector<Bytes> due;
    const auto now = Clock::now();
    {
      std::lock_guard lock(frames_mu_);
      while (!recorded_.empty() && now - recorded_.front().first >= milliseconds(2000)) {
        due.push_back(std::move(recorded_.front().second));
        recorded_.pop_front();
      }
      if (now >= next_old_replay_) {
        next_old_replay_ = now + milliseconds(1000);
        due.insert(due.end(), oldest_.begin(), oldest_.end());
      }
    }
    for (const Bytes& f : due) counters_.replays_out += transport_->Broadcast(f);
  }

  // ---- bad frames ----

  size_t SendBadFrame() {
    const uint64_t k = spam_seq_++;
    const auto now = Clock::now();
    for (const crypto::PublicKey& peer : transport_->ConnectedPeers()) {
      auto& due = next_oversized_[peer];
      if (now < due) continue;
      Bytes big(size_t{config_.max_frame_bytes} + 1 + rng_() % 1000, 0);
      big[0] = 1;  // a proposal's kind byte
      if (transport_->Send(peer, std::move(big)).ok()) {
        counters_.oversized_out++;
        due = now + milliseconds(2000);
        return 1;
      }
      // The queue is full of smaller frames: send nothing else until it has room.
      return 0;
    }
    Bytes sample;
    {
      std::lock_guard lock(frames_mu_);
      sample = sample_frame_;
    }
    if (sample.empty()) sample = node::EncodeWire(node::HelloMsg{1});
    Bytes wire;
    switch (k % 8) {
      case 0: {  // random bytes
        wire.resize(1 + rng_() % 512);
        for (auto& byte : wire) byte = static_cast<uint8_t>(rng_());
        break;
      }
      case 1:  // a real frame cut short
        wire.assign(sample.begin(), sample.begin() + static_cast<ptrdiff_t>(rng_() % sample.size()));
        break;
      case 2:  // a real frame with one byte flipped
        wire = sample;
        wire[rng_() % wire.size()] ^= static_cast<uint8_t>(1 + rng_() % 255);
        break;
      case 3:  // a real frame with trailing garbage
        wire = sample;
        for (int i = 0; i < 16; ++i) wire.push_back(static_cast<uint8_t>(rng_()));
        break;
      case 4: {  // a transaction batch of garbage
        node::TxBatchMsg batch;
        for (int i = 0; i < 8; ++i) {
          Bytes junk(32 + rng_() % 200);
          for (auto& byte : junk) byte = static_cast<uint8_t>(rng_());
          batch.txs.push_back(std::move(junk));
        }
        wire = node::EncodeWire(batch);
        break;
      }
      case 5: {  // an attestation signed for another chain id
        node::StateAttestation a;
        a.height = view_.Take(false).max_height;
        for (auto& byte : a.block_id) byte = static_cast<uint8_t>(rng_());
        a.signer = my_index_;
        a.signature = key_.Sign(node::AttestationSignBytes(genesis_.chain_id + "-other", a));
        wire = node::EncodeWire(node::AttestationMsg{a});
        break;
      }
      case 6: {  // a timeout signed for another chain's genesis
        const View::Snapshot s = view_.Take(false);
        const cs::Block other = cs::GenesisBlock(0, genesis_.chain_id + "-other");
        wire = node::EncodeWire(cs::Message(cs::TimeoutMsg{
            cs::SignTimeout(other.id, s.sync.highest_qc.data.epoch, s.current_round,
                            s.sync.highest_qc, my_index_, key_),
            s.sync}));
        break;
      }
      default:  // an empty frame
        break;
    }
    const size_t n = transport_->Broadcast(wire);
    counters_.bad_frames_out += n;
    return n;
  }

  // ---- batch-attacks ----

  // A canonical Tx encoding with a random body and a random signature by this validator's key.
  Bytes RandomTx() {
    types::Tx tx;
    tx.body.resize(40 + rng_() % 100);
    for (auto& byte : tx.body) byte = static_cast<uint8_t>(rng_());
    const auto& pk = key_.public_key();
    Bytes sig(64);
    for (auto& byte : sig) byte = static_cast<uint8_t>(rng_());
    tx.signatures.push_back(types::TxSignature{Bytes(pk.begin(), pk.end()), sig});
    return types::EncodeTx(tx);
  }
  node::Batch MyBatch(const View::Snapshot& s, size_t n) {
    node::Batch b;
    b.epoch = s.sync.highest_qc.data.epoch;
    b.author = my_index_;
    b.batch_id = next_batch_id_++;
    b.expires_at_height = s.max_height + 200;
    for (size_t i = 0; i < n; ++i) b.txs.push_back(RandomTx());
    return b;
  }
  std::optional<std::pair<uint32_t, node::BatchInfo>> Harvested(bool newest) {
    std::lock_guard lock(batch_mu_);
    if (harvested_.empty()) return std::nullopt;
    return newest ? harvested_.back() : harvested_[rng_() % harvested_.size()];
  }
  crypto::Signature RandomSig() {
    crypto::Signature sig{};
    for (auto& byte : sig) byte = static_cast<uint8_t>(rng_());
    return sig;
  }
  crypto::Signature AckSig(const node::BatchInfo& info) {
    return key_.Sign(node::BatchAckSignBytes(genesis_.chain_id, info));
  }
  size_t SendToValidator(uint32_t v, const Bytes& wire) {
    if (v >= keys_.size() || v == my_index_) return 0;
    return transport_->Send(keys_[v], wire).ok() ? 1 : 0;
  }

  // request-flood: at the loop's pace (20,000 a second, or --rate), requests that make each honest
  // validator work, one kind in each third of the run (so that each kind alone meets the loop's
  // whole pace, well over its budget): for a batch it pushed (answered with the whole batch, or
  // rebuilt from the block that executed it; block fetches until one was pushed), then for 256
  // blocks back from a committed one (block fetch, read from the store once the engine pruned
  // it), then for 64 blocks from height 1 (block sync; last, as the answers it gets make a
  // backlog that would hold up the requests of a later third).
  size_t SendRequestFlood() {
    const auto now = Clock::now();
    if (!flood_start_) flood_start_ = now;
    const double third = std::max(1.0, opts_.seconds / 3);
    const auto phase = static_cast<int>(
        std::min(2.0, std::chrono::duration<double>(now - *flood_start_).count() / third));
    if (phase == 2) {
      const size_t n = transport_->Broadcast(node::EncodeWire(node::SyncRequestMsg{1, 64}));
      counters_.sync_requests_out += n;
      return n;
    }
    if (phase == 0) {
      if (auto h = Harvested(false)) {
        const size_t n = transport_->Broadcast(node::EncodeWire(node::BatchRequestMsg{h->second}));
        counters_.batch_requests_out += n;
        return n;
      }
    }
    const size_t n = transport_->Broadcast(node::EncodeWire(
        node::FetchRequestMsg{view_.DeepBlock(), static_cast<uint32_t>(node::kMaxFetchBlocks)}));
    counters_.fetch_requests_out += n;
    return n;
  }

  size_t SendBatchAttack() {
    const View::Snapshot s = view_.Take(false);
    MaybeSendOwnBatch(s);
    const size_t slot = static_cast<size_t>(spam_seq_++ % kCycle);
    const auto c = static_cast<BatchCase>(std::min(slot, size_t{kRequestHeld}));
    const uint32_t other = (my_index_ + 1) % static_cast<uint32_t>(keys_.size());
    Bytes wire;
    size_t sent = 0;
    auto batch_wire = [&](const node::Batch& b) { return node::EncodeWire(node::BatchMsg{b}); };
    auto proof_wire = [&](node::BatchInfo info,
                          std::vector<std::pair<uint32_t, crypto::Signature>> sigs) {
      return node::EncodeWire(node::ProofMsg{node::ProofOfAvailability{info, std::move(sigs)}});
    };
    switch (c) {
      case kMalformedBatch:
        wire.resize(1 + rng_() % 300);
        for (auto& byte : wire) byte = static_cast<uint8_t>(rng_());
        wire[0] = 17;
        break;
      case kTruncatedBatch: {
        wire = batch_wire(MyBatch(s, 3));
        wire.resize(1 + rng_() % (wire.size() - 1));
        break;
      }
      case kOtherAuthorBatch: {
        node::Batch b = MyBatch(s, 3);
        b.author = other;  // sent by this validator: only the author pushes its batch
        wire = batch_wire(b);
        break;
      }
      case kNonCanonicalBatch: {
        node::Batch b = MyBatch(s, 3);
        b.txs[1].push_back(0x78);  // field 15, varint 1: parses, but is not the canonical form
        b.txs[1].push_back(0x01);
        wire = batch_wire(b);
        break;
      }
      case kOversizedBatch:
        wire = batch_wire(MyBatch(s, node::kMaxBatchTxCount + 1));
        break;
      case kEmptyBatch:
        wire = batch_wire(MyBatch(s, 0));
        break;
      case kExpiredBatch: {
        node::Batch b = MyBatch(s, 2);
        b.expires_at_height = s.max_height > 0 ? s.max_height - 1 : 0;
        wire = batch_wire(b);
        break;
      }
      case kFarExpiryBatch: {
        node::Batch b = MyBatch(s, 2);
        b.expires_at_height = s.max_height + 100000;
        wire = batch_wire(b);
        break;
      }
      case kOtherEpochBatch: {
        node::Batch b = MyBatch(s, 2);
        b.epoch += 5;
        wire = batch_wire(b);
        break;
      }
      case kAckInOthersName: {  // to the batch's author, in the author's own name
        auto h = Harvested(true);
        if (!h) return 1;
        sent = SendToValidator(
            h->first,
            node::EncodeWire(node::BatchAckMsg{node::BatchAck{h->second, h->first, RandomSig()}}));
        break;
      }
      case kAckBadSignature: {
        auto h = Harvested(true);
        if (!h) return 1;
        crypto::Signature sig = AckSig(h->second);
        sig[rng_() % sig.size()] ^= 0x40;
        sent = SendToValidator(
            h->first,
            node::EncodeWire(node::BatchAckMsg{node::BatchAck{h->second, my_index_, sig}}));
        break;
      }
      case kAckUnknownBatch: {  // validly signed, for a batch the receiver never made
        node::BatchInfo info = node::InfoOf(genesis_.chain_id, MyBatch(s, 2));
        info.author = other;
        wire = node::EncodeWire(node::BatchAckMsg{node::BatchAck{info, my_index_, AckSig(info)}});
        break;
      }
      case kProofTooFew: {  // only this validator's (valid) signature
        auto h = Harvested(false);
        node::BatchInfo info = h ? h->second : node::InfoOf(genesis_.chain_id, MyBatch(s, 2));
        wire = proof_wire(info, {{my_index_, AckSig(info)}});
        break;
      }
      case kProofForged: {  // enough signers, their signatures made up
        auto h = Harvested(false);
        node::BatchInfo info = h ? h->second : node::InfoOf(genesis_.chain_id, MyBatch(s, 2));
        std::vector<std::pair<uint32_t, crypto::Signature>> sigs;
        for (uint32_t i = 0; i < keys_.size(); ++i) {
          sigs.push_back({i, i == my_index_ ? AckSig(info) : RandomSig()});
        }
        wire = proof_wire(info, std::move(sigs));
        break;
      }
      case kProofUnknownAuthor: {
        node::BatchInfo info = node::InfoOf(genesis_.chain_id, MyBatch(s, 2));
        info.author = 99;
        std::vector<std::pair<uint32_t, crypto::Signature>> sigs;
        for (uint32_t i = 0; i < keys_.size(); ++i) {
          sigs.push_back({i, i == my_index_ ? AckSig(info) : RandomSig()});
        }
        wire = proof_wire(info, std::move(sigs));
        break;
      }
      case kProofDuplicateSigner: {  // f+1 valid signatures, all by this validator
        auto h = Harvested(false);
        node::BatchInfo info = h ? h->second : node::InfoOf(genesis_.chain_id, MyBatch(s, 2));
        const crypto::Signature sig = AckSig(info);
        wire = proof_wire(info, {{my_index_, sig}, {my_index_, sig}});
        break;
      }
      case kRequestUnknown: {
        node::BatchInfo info = node::InfoOf(genesis_.chain_id, MyBatch(s, 2));
        info.author = other;
        wire = node::EncodeWire(node::BatchRequestMsg{info});
        break;
      }
      default: {  // kRequestHeld: a batch an honest validator pushed (held, or executed)
        auto h = Harvested(false);
        if (!h) return 1;
        wire = node::EncodeWire(node::BatchRequestMsg{h->second});
        break;
      }
    }
    if (!wire.empty()) sent = transport_->Broadcast(wire);
    counters_.batch_case_out[c] += sent;
    return sent;
  }

  // Once a second, up to --bad-batches times: a well-formed batch of this validator holding the
  // --tx-file transactions, pushed to every peer; their acks make its proof (OnOwnBatchAck).
  void MaybeSendOwnBatch(const View::Snapshot& s) {
    if (opts_.file_txs.empty() || own_sent_ >= opts_.bad_batches || s.max_height == 0) return;
    const auto now = Clock::now();
    if (now < next_own_at_) return;
    next_own_at_ = now + milliseconds(1000);
    node::Batch b;
    b.epoch = s.sync.highest_qc.data.epoch;
    b.author = my_index_;
    b.batch_id = next_batch_id_++;
    b.expires_at_height = s.max_height + opts_.batch_expiry;
    b.txs = opts_.file_txs;
    const node::BatchInfo info = node::InfoOf(genesis_.chain_id, b);
    {
      std::lock_guard lock(batch_mu_);
      own_[info.digest] = OwnBatch{info, {{my_index_, AckSig(info)}}, false};
    }
    const size_t n = transport_->Broadcast(node::EncodeWire(node::BatchMsg{b}));
    counters_.own_batches_out += n;
    if (n > 0) ++own_sent_;
  }
  // On the I/O thread: an honest validator's ack of one of this validator's batches.
  void OnOwnBatchAck(uint32_t from, const node::BatchAck& ack) {
    if (ack.signer != from || !node::VerifyAck(genesis_.chain_id, keys_, ack).ok()) return;
    std::optional<node::ProofOfAvailability> proof;
    {
      std::lock_guard lock(batch_mu_);
      auto it = own_.find(ack.info.digest);
      if (it == own_.end() || !(it->second.info == ack.info)) return;
      counters_.own_acks_in++;
      it->second.sigs[ack.signer] = ack.signature;
      const size_t quorum = (keys_.size() - 1) / 3 + 1;
      if (it->second.proved || it->second.sigs.size() < quorum) return;
      it->second.proved = true;
      proof = node::ProofOfAvailability{it->second.info, {}};
      for (const auto& [signer, sig] : it->second.sigs) proof->signatures.push_back({signer, sig});
    }
    if (transport_->Broadcast(node::EncodeWire(node::ProofMsg{*proof})) > 0) {
      counters_.own_proofs_out++;
    }
  }
  void NoteProposedProofs(const cs::Block& b) {
    if (!node::IsBatchPayload(b.payload)) return;
    auto proofs = node::DecodeBatchPayload(b.payload);
    if (!proofs.ok()) return;
    std::lock_guard lock(batch_mu_);
    for (const auto& p : *proofs) {
      if (own_.count(p.info.digest) && proposed_own_.insert(p.info.digest).second) {
        counters_.own_proofs_proposed++;
      }
    }
  }

  void ReportBatches(const char* what) {
    std::string line = std::string("byzantine: batches ") + what;
    for (size_t i = 0; i < kBatchCases; ++i) {
      line += " " + std::string(kBatchCaseNames[i]) + "=" +
              std::to_string(counters_.batch_case_out[i].load());
    }
    line += " batches_in=" + std::to_string(U(counters_.batches_in)) +
            " own_batches_out=" + std::to_string(U(counters_.own_batches_out)) +
            " own_acks_in=" + std::to_string(U(counters_.own_acks_in)) +
            " own_proofs_out=" + std::to_string(U(counters_.own_proofs_out)) +
            " own_proofs_proposed=" + std::to_string(U(counters_.own_proofs_proposed)) +
            " responses_empty_in=" + std::to_string(U(counters_.responses_empty_in)) +
            " responses_full_in=" + std::to_string(U(counters_.responses_full_in));
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  }

  void Report(const char* what, double t) {
    const View::Snapshot s = view_.Take(false);
    const net::TransportStats st = transport_->stats();
    std::printf(
        "byzantine: %s t=%.1fs behaviour=%s peers=%zu max_peers=%u frames_in=%llu "
        "proposals_in=%llu tx_batches_in=%llu txs_seen=%llu sync_requests_in=%llu "
        "sync_answers_out=%llu hellos_out=%llu fake_proposals_out=%llu fake_tx_listings=%llu "
        "variants_out=%llu variant_frames_out=%llu send_refused=%llu fetches_out=%llu "
        "undecodable_in=%llu hqc_round=%llu round=%llu frames_out=%llu bytes_out=%llu "
        "queue_full_drops=%llu votes_out=%llu forged_votes_out=%llu phantom_votes_out=%llu "
        "votes_in=%llu qcs_formed=%llu rounds_led=%llu equivocations_out=%llu timeouts_in=%llu "
        "bad_certs_out=%llu spam_out=%llu replays_out=%llu bad_frames_out=%llu "
        "oversized_out=%llu frame_errors=%llu connections=%llu\n",
        what, t, BehaviourName(opts_.behaviour), st.connected_peers, counters_.max_peers.load(),
        U(counters_.frames_in), U(counters_.proposals_in), U(counters_.tx_batches_in),
        static_cast<unsigned long long>(view_.txs_seen()), U(counters_.sync_requests_in),
        U(counters_.sync_answers_out), U(counters_.hellos_out), U(counters_.fake_proposals_out),
        U(counters_.fake_tx_listings), U(counters_.variants_out), U(counters_.variant_frames_out),
        U(counters_.send_refused), U(counters_.fetches_out), U(counters_.undecodable_in),
        static_cast<unsigned long long>(s.sync.highest_qc.round()),
        static_cast<unsigned long long>(s.current_round),
        static_cast<unsigned long long>(st.frames_out),
        static_cast<unsigned long long>(st.bytes_out),
        static_cast<unsigned long long>(st.send_queue_full_drops), U(counters_.votes_out),
        U(counters_.forged_votes_out), U(counters_.phantom_votes_out), U(counters_.votes_in),
        U(counters_.qcs_formed), U(counters_.rounds_led), U(counters_.equivocations_out),
        U(counters_.timeouts_in), U(counters_.bad_certs_out), U(counters_.spam_out),
        U(counters_.replays_out), U(counters_.bad_frames_out), U(counters_.oversized_out),
        static_cast<unsigned long long>(st.frame_errors),
        static_cast<unsigned long long>(st.connections_established));
    std::fflush(stdout);
    if (opts_.behaviour == Behaviour::kBatchAttacks) ReportBatches(what);
    if (opts_.behaviour == Behaviour::kRequestFlood) {
      std::printf("byzantine: requests %s batch_requests_out=%llu sync_requests_out=%llu "
                  "fetch_requests_out=%llu responses_full_in=%llu responses_empty_in=%llu "
                  "sync_responses_in=%llu fetch_responses_in=%llu\n",
                  what, U(counters_.batch_requests_out), U(counters_.sync_requests_out),
                  U(counters_.fetch_requests_out), U(counters_.responses_full_in),
                  U(counters_.responses_empty_in), U(counters_.sync_responses_in),
                  U(counters_.fetch_responses_in));
      std::fflush(stdout);
    }
  }
  static unsigned long long U(const std::atomic<uint64_t>& a) { return a.load(); }

  Options opts_;
  VoteMode vote_mode_ = VoteMode::kNone;
  node::NodeConfig config_;
  ledger::Genesis genesis_;
  crypto::PrivateKey key_;
  cs::Block genesis_block_;
  std::vector<crypto::PublicKey> keys_;
  std::map<crypto::PublicKey, uint32_t> index_of_;
  uint32_t my_index_ = 0;
  View view_;
  Counters counters_;
  std::unique_ptr<net::Transport> transport_;

  std::mutex wake_mu_;
  std::condition_variable wake_cv_;
  bool wake_ = false;

  // Main thread only.
  std::optional<Clock::time_point> flood_start_;  // request-flood's first request
  cs::Round far_round_ = kFarRound;
  cs::Round near_sent_ = 0;  // the highest near round a fake was sent for
  uint64_t variant_seq_ = 0;
  Clock::time_point next_variant_at_{};
  cs::BlockId last_fetch_{};
  Clock::time_point last_fetch_at_{};
  uint64_t spam_seq_ = 0;
  Clock::time_point next_spam_at_{};
  std::map<crypto::PublicKey, Clock::time_point> next_oversized_;  // per peer

  // The voting behaviours (I/O thread, under vote_mu_).
  std::mutex vote_mu_;
  cs::Round last_voted_round_ = 0;
  cs::Round led_round_ = 0;
  std::map<cs::Round, std::map<Bytes, std::pair<cs::VoteData, std::map<uint32_t, cs::Signature>>>>
      votes_;
  std::mt19937_64 rng_{std::random_device{}()};  // vote_mu_ or the main thread (not both)

  // replay and bad-frames: frames received (I/O thread) and sent again (main thread).
  static constexpr size_t kMaxRecorded = 20000;
  static constexpr size_t kOldest = 300;
  std::mutex frames_mu_;
  std::deque<std::pair<Clock::time_point, Bytes>> recorded_;
  std::vector<Bytes> oldest_;
  Clock::time_point next_old_replay_{};
  Bytes sample_frame_;

  // batch-attacks: batch infos the honest validators pushed (with their author), and this
  // validator's own well-formed batches with the acks collected (I/O and main threads).
  static constexpr size_t kMaxHarvested = 256;
  struct OwnBatch {
    node::BatchInfo info;
    std::map<uint32_t, crypto::Signature> sigs;
    bool proved = false;
  };
  std::mutex batch_mu_;
  std::deque<std::pair<uint32_t, node::BatchInfo>> harvested_;
  std::map<Hash32, OwnBatch> own_;
  std::set<Hash32> proposed_own_;
  uint64_t next_batch_id_ = static_cast<uint64_t>(NowMs()) * 1000;  // main thread
  uint32_t own_sent_ = 0;
  Clock::time_point next_own_at_{};
};

int Main(int argc, char** argv) {
  CLI::App app{"laurel-byzantine: a Byzantine validator for integration tests"};
  Options opts;
  std::string behaviour;
  std::string sync_answer = "none";
  app.add_option("--config", opts.config_path, "the validator's node config (TOML)")->required();
  std::string names;
  for (const auto& [k, name] : kBehaviours) names += (names.empty() ? "" : " | ") + std::string(name);
  app.add_option("--behaviour", behaviour, names)->required();
  app.add_option("--seconds", opts.seconds, "run this long, then exit")->required();
  app.add_option("--lie-height", opts.lie_height, "lying-height: the height claimed (2^62)");
  app.add_option("--sync-answer", sync_answer,
                 "lying-height: none (ignore sync requests) | empty (answer with no blocks)");
  app.add_option("--rate", opts.rate,
                 "messages per second: block-variants, bad-frames (default unbounded), bad-certs "
                 "(400), future-spam (1000)");
  app.add_option("--ahead", opts.ahead,
                 "fake-proposal: leader rounds just ahead of the current one (2)");
  std::string tx_file;
  app.add_option("--tx-file", tx_file,
                 "batch-attacks: Tx wire encodings in hex, one a line, for its own batches");
  app.add_option("--bad-batches", opts.bad_batches,
                 "batch-attacks: how many batches of the --tx-file transactions (3)");
  app.add_option("--batch-expiry", opts.batch_expiry,
                 "batch-attacks: its batches expire this many heights above the highest block "
                 "seen (200)")
      ->check(CLI::Range(uint64_t{2}, uint64_t{1000}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  bool known = false;
  for (const auto& [k, name] : kBehaviours) {
    if (behaviour == name) {
      opts.behaviour = k;
      known = true;
    }
  }
  if (!known) {
    std::fprintf(stderr, "laurel-byzantine: unknown --behaviour '%s'\n", behaviour.c_str());
    return 2;
  }
  if (sync_answer != "none" && sync_answer != "empty") {
    std::fprintf(stderr, "laurel-byzantine: --sync-answer must be none or empty\n");
    return 2;
  }
  opts.answer_sync_empty = sync_answer == "empty";
  if (!tx_file.empty()) {
    std::ifstream in(tx_file);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      auto tx = HexDecode(line);
      if (!tx) {
        std::fprintf(stderr, "laurel-byzantine: --tx-file: a line is not hex\n");
        return 2;
      }
      opts.file_txs.push_back(std::move(*tx));
    }
    if (!in.eof() || opts.file_txs.empty()) {
      std::fprintf(stderr, "laurel-byzantine: --tx-file %s: unreadable or empty\n",
                   tx_file.c_str());
      return 2;
    }
  }
  if (!(opts.seconds > 0) || opts.rate < 0) {
    std::fprintf(stderr, "laurel-byzantine: --seconds must be > 0 and --rate >= 0\n");
    return 2;
  }

  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  crypto::Init();
  auto config = node::LoadNodeConfig(opts.config_path);
  if (!config.ok()) {
    std::fprintf(stderr, "laurel-byzantine: %s\n", config.status().ToString().c_str());
    return 2;
  }
  auto key = crypto::ReadKeyFile(config->key_file);
  if (!key.ok()) {
    std::fprintf(stderr, "laurel-byzantine: key file: %s\n", key.status().ToString().c_str());
    return 2;
  }
  auto genesis = ledger::LoadGenesis(config->genesis);
  if (!genesis.ok()) {
    std::fprintf(stderr, "laurel-byzantine: genesis: %s\n", genesis.status().ToString().c_str());
    return 2;
  }
  Adversary adversary(opts, *config, std::move(genesis).value(), key.value());
  if (Status st = adversary.Init(); !st.ok()) {
    std::fprintf(stderr, "laurel-byzantine: %s\n", st.ToString().c_str());
    return 2;
  }
  return adversary.Run();
}

}  // namespace
}  // namespace laurel::byzantine

int main(int argc, char** argv) {
  try {
    return laurel::byzantine::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "laurel-byzantine: %s\n", e.what());
    return 2;
  }
}
