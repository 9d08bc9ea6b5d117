// laurel-byzantine: a Byzantine validator as a real process, for integration tests only
// (tests/integration/test_byzantine.py).
//
// It runs as one validator of a testnet, from that validator's node config and key, over the
// real P2P transport (mutual TLS with the validator's own key, so honest nodes admit it as
// that validator), and performs one misbehaviour for a bounded time:
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
//
// It never votes, never times out and serves nothing. It exits by itself after --seconds and
// prints what it did, one `byzantine:` line every few seconds and a final `byzantine: done` line.
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
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "consensus/types.h"
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

enum class Behaviour { kLyingHeight, kFakeProposal, kBlockVariants };

const char* BehaviourName(Behaviour b) {
  switch (b) {
    case Behaviour::kLyingHeight:
      return "lying-height";
    case Behaviour::kFakeProposal:
      return "fake-proposal";
    case Behaviour::kBlockVariants:
      return "block-variants";
  }
  return "?";
}

struct Options {
  std::string config_path;
  Behaviour behaviour = Behaviour::kLyingHeight;
  double seconds = 15;
  uint64_t lie_height = kFarRound;
  bool answer_sync_empty = false;
  double rate = 0;     // block-variants per second; 0: as fast as the transport takes them
  uint32_t ahead = 2;  // fake-proposal: leader rounds just ahead of the current one
};

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

 private:
  void ObserveQcLocked(const cs::QuorumCert& qc) {
    if (qc.round() > sync_.highest_qc.round()) sync_.highest_qc = qc;
    round_seen_ = std::max(round_seen_, qc.round() + 1);
  }
  void AddBlockLocked(const cs::Block& b) {
    if (b.round >= kFarRound) return;
    if (blocks_.emplace(b.id, b).second) order_.push_back(b.id);
    max_height_ = std::max(max_height_, b.height);
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
    // A small queue: a variant that waits long is worth less than a fresh one.
    t.send_queue_bytes = size_t{config_.max_frame_bytes} + (size_t{1} << 20);
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
          StreamVariants(std::min(deadline, next_report));
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
      if (const auto* p = std::get_if<cs::ProposalMsg>(c)) {
        counters_.proposals_in++;
        view_.ObserveSync(p->sync);
        view_.ObserveQc(p->block.qc);
        view_.ObserveBlock(p->block);
        view_.ObserveRound(p->block.round);
      } else if (const auto* v = std::get_if<cs::VoteMsg>(c)) {
        view_.ObserveSync(v->sync);
        view_.ObserveRound(v->vote.data.round);
      } else if (const auto* t = std::get_if<cs::TimeoutMsg>(c)) {
        view_.ObserveSync(t->sync);
        view_.ObserveQc(t->timeout.high_qc);
        view_.ObserveRound(t->timeout.round);
      } else if (const auto* s = std::get_if<cs::SyncMsg>(c)) {
        view_.ObserveSync(s->sync);
      }
    } else if (const auto* f = std::get_if<node::FetchResponseMsg>(&*m)) {
      for (const auto& b : f->blocks) view_.ObserveBlock(b);
    } else if (const auto* b = std::get_if<node::TxBatchMsg>(&*m)) {
      counters_.tx_batches_in++;
      if (view_.ObserveTxs(b->txs) > 0) Wake();
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

  void Report(const char* what, double t) {
    const View::Snapshot s = view_.Take(false);
    const net::TransportStats st = transport_->stats();
    std::printf(
        "byzantine: %s t=%.1fs behaviour=%s peers=%zu max_peers=%u frames_in=%llu "
        "proposals_in=%llu tx_batches_in=%llu txs_seen=%llu sync_requests_in=%llu "
        "sync_answers_out=%llu hellos_out=%llu fake_proposals_out=%llu fake_tx_listings=%llu "
        "variants_out=%llu variant_frames_out=%llu send_refused=%llu fetches_out=%llu "
        "undecodable_in=%llu hqc_round=%llu round=%llu frames_out=%llu bytes_out=%llu "
        "queue_full_drops=%llu\n",
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
        static_cast<unsigned long long>(st.send_queue_full_drops));
    std::fflush(stdout);
  }
  static unsigned long long U(const std::atomic<uint64_t>& a) { return a.load(); }

  Options opts_;
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
  cs::Round far_round_ = kFarRound;
  cs::Round near_sent_ = 0;  // the highest near round a fake was sent for
  uint64_t variant_seq_ = 0;
  Clock::time_point next_variant_at_{};
  cs::BlockId last_fetch_{};
  Clock::time_point last_fetch_at_{};
};

int Main(int argc, char** argv) {
  CLI::App app{"laurel-byzantine: a Byzantine validator for integration tests"};
  Options opts;
  std::string behaviour;
  std::string sync_answer = "none";
  app.add_option("--config", opts.config_path, "the validator's node config (TOML)")->required();
  app.add_option("--behaviour", behaviour, "lying-height | fake-proposal | block-variants")
      ->required();
  app.add_option("--seconds", opts.seconds, "run this long, then exit")->required();
  app.add_option("--lie-height", opts.lie_height, "lying-height: the height claimed (2^62)");
  app.add_option("--sync-answer", sync_answer,
                 "lying-height: none (ignore sync requests) | empty (answer with no blocks)");
  app.add_option("--rate", opts.rate, "block-variants: variants per second (0: unbounded)");
  app.add_option("--ahead", opts.ahead,
                 "fake-proposal: leader rounds just ahead of the current one (2)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (behaviour == "lying-height") {
    opts.behaviour = Behaviour::kLyingHeight;
  } else if (behaviour == "fake-proposal") {
    opts.behaviour = Behaviour::kFakeProposal;
  } else if (behaviour == "block-variants") {
    opts.behaviour = Behaviour::kBlockVariants;
  } else {
    std::fprintf(stderr, "laurel-byzantine: unknown --behaviour '%s'\n", behaviour.c_str());
    return 2;
  }
  if (sync_answer != "none" && sync_answer != "empty") {
    std::fprintf(stderr, "laurel-byzantine: --sync-answer must be none or empty\n");
    return 2;
  }
  opts.answer_sync_empty = sync_answer == "empty";
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
