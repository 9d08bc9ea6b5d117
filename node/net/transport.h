// Transport: the validators' P2P links. Mutual TLS 1.3 over TCP, each peer identified by the
// Ed25519 key in its certificate, carrying length-prefixed opaque frames (docs/p2p.md).
//
// Identity and admission. Every node presents a self-signed certificate made from its own key.
// A connection is admitted only if the peer's key is in the allow-list: the keys of `peers`
// (validators, with an address we may dial) plus `accept_only` (full nodes, which dial us). The
// dialer also requires the server to present exactly the key it dialed. Both checks run inside
// the TLS handshake, so a stranger never reaches the frame layer. Afterwards the connection is
// bound to the peer's 32-byte key, which is what Send takes and what callbacks report.
//
// One connection per pair. We dial a peer when we know its address and our key is
// lexicographically smaller than its key (or `dial_all_peers` is set: for a full node, which is
// dialled by nobody). If two connections to the same peer ever coexist, both ends keep the same
// one: the newer if both were dialed by the same side (the peer restarted), otherwise the one
// dialed by the smaller key.
//
// Reconnection. A dialing side that loses or fails to make a connection retries after an
// exponential back-off (backoff_min doubling to backoff_max, each delay drawn uniformly from
// [d/2, d]); the back-off restarts at backoff_min after a connection that stayed up for at least
// one second.
//
// Sending and backpressure. Send() never blocks: it queues the frame on the peer's connection.
// Each peer has a queue capped at send_queue_bytes (payload plus 4 header bytes per frame);
// when the frame does not fit, Send refuses it (kUnavailable) and counts a drop: the caller
// keeps the newest decision of what to resend, and queued frames (which may be a proposal
// in mid-flight) are never silently discarded. Frames are queued only while the peer is
// connected; Send to a disconnected peer is refused and counted, and frames still queued when a
// connection drops are discarded and counted. Delivery is best-effort and in order per
// connection; the protocols above retransmit.
//
// Stalled peers. A peer that stops reading (a paused or wedged process, a black-holed link)
// would otherwise collect up to send_queue_bytes of stale traffic, plus what the kernel's
// socket buffers hold (tens of MB on loopback), which it then replays in order when it wakes,
// seconds behind everyone, at the cost of the CPU its peers need. Two rules, both with the
// window write_stall_timeout (zero disables them):
//  - a write that has made no progress (no TLS record flushed to the socket) for the window
//    closes the connection and discards its queue; a slow but moving link is never closed, any
//    progress restarts the clock;
//  - a node whose own I/O thread ran a window late (it was stopped, suspended or starved)
//    closes its connections on waking, unread, so the backlog in its sockets is dropped too.
// Both are counted in stalled_disconnects; the usual reconnection follows, and the node above
// catches up by block sync, which moves committed blocks rather than every stale message.
//
// Threading. The transport owns one I/O thread running its own io_context; every socket
// operation and every callback runs on that thread, so callbacks are never concurrent with each
// other. Send, Broadcast, stats() and the connection queries may be called from any thread,
// including from inside callbacks. Callbacks must not block for long (they stall all peers) and
// must not call Stop() (it joins the I/O thread). One thread is enough for a validator set of
// tens of peers; the receive callback is expected to decode and post work elsewhere.
//
// Limits. A frame whose declared length exceeds max_frame_size, or any TLS or socket error,
// closes that connection only; peer-triggered log lines are rate-limited. Connections that
// have not completed the handshake within handshake_timeout are closed. Inbound connections
// are admitted to the handshake by source address (node/net/handshake_slots.h): addresses of
// configured peers (their hosts, resolved at Start and on each dial) share
// reserved_peer_handshakes slots that no other address can take; any other address takes one
// of max_pending_handshakes shared slots, at most max_pending_handshakes_per_ip of them. A
// connection that finds no slot is closed on accept (counted in handshakes_refused), so an
// idle-connection flood from other addresses never keeps a validator out.
//
// Fault injection (test networks only; node/net/fault_injection.h). A transport built with
// `fault_injection` applies SetLinkFaults' rules to outgoing frames as Send/Broadcast queue them:
// a frame may be dropped (counted in fault_dropped; Send still says Ok, as a lossy network would)
// or held for its delay on the I/O thread and queued afterwards (counted in fault_delayed; if
// the peer is no longer connected then, it is discarded as any frame to a disconnected peer).
// Frames held for different delays overtake each other. Without `fault_injection`,
// SetLinkFaults is refused and sending is untouched.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/ed25519.h"
#include "node/net/fault_injection.h"

namespace laurel::net {

struct PeerAddress {
  std::string host;  // an IP literal or a name to resolve
  uint16_t port = 0;
};

struct TransportOptions {
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 0;  // 0 picks an ephemeral port; see Transport::listen_port()
  // Validators (and any node we may dial), by key. Our own key may appear and is ignored.
  std::map<crypto::PublicKey, PeerAddress> peers;
  // Keys admitted when they dial us but never dialed (configured full nodes).
  std::vector<crypto::PublicKey> accept_only;
  bool dial_all_peers = false;

  uint32_t max_frame_size = 4u << 20;
  size_t send_queue_bytes = 16u << 20;  // per peer; must be at least max_frame_size + 4
  std::chrono::milliseconds backoff_min{100};
  std::chrono::milliseconds backoff_max{5000};
  std::chrono::milliseconds handshake_timeout{5000};    // TCP connect plus TLS handshake
  std::chrono::milliseconds write_stall_timeout{2000};  // see "Stalled peers"; 0 disables
  size_t max_pending_handshakes = 64;        // inbound, from addresses that are not a peer's
  size_t max_pending_handshakes_per_ip = 4;  // of those, from one source address
  size_t reserved_peer_handshakes = 16;      // inbound, from configured peers' addresses
  bool fault_injection = false;              // see "Fault injection"; test networks only

  // Called on the I/O thread for every frame received, with the sender's key.
  std::function<void(const crypto::PublicKey& peer, Bytes payload)> on_receive;
  // Called on the I/O thread when a peer goes from no connection to one (true) and back (false).
  // Not called during or after Stop().
  std::function<void(const crypto::PublicKey& peer, bool connected)> on_connection;
  // With `fault_injection`: called on the sending thread for every frame to a connected `peer`
  // that the rules dropped (decision.drop) or held back (decision.delay > 0; reordered when
  // held beyond its delay), before it is dropped or held. Must be cheap and thread-safe.
  std::function<void(const crypto::PublicKey& peer, const FaultDecision& decision)> on_fault;
};

struct TransportStats {
  size_t connected_peers = 0;
  uint64_t frames_in = 0;
  uint64_t frames_out = 0;
  uint64_t bytes_in = 0;  // payload bytes, headers excluded
  uint64_t bytes_out = 0;
  uint64_t send_queue_full_drops = 0;    // Send refused: the peer's queue was full
  uint64_t send_disconnected_drops = 0;  // refused or discarded: the peer was not connected
  uint64_t handshake_failures = 0;       // TLS handshakes that failed or timed out, both roles
  uint64_t frame_errors = 0;             // connections closed for an oversized frame
  uint64_t connections_established = 0;  // handshakes completed and admitted
  uint64_t handshakes_refused = 0;       // inbound connections closed on accept: no free slot
  uint64_t stalled_disconnects = 0;      // connections closed by either stall rule
  uint64_t fault_dropped = 0;            // frames dropped by fault injection
  uint64_t fault_delayed = 0;            // frames held back by fault injection
  uint64_t fault_reordered = 0;          // of those, held beyond their delay (reorder rule)
};

class Transport {
 public:
  // Copies the key; nothing touches the network until Start().
  Transport(const crypto::PrivateKey& key, TransportOptions options);
  ~Transport();  // calls Stop()
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Builds the TLS identity, binds the listening socket, starts the I/O thread and the dials.
  // kInvalidArgument for inconsistent options, kIoError if the address cannot be bound,
  // kInternal if the TLS setup fails; kAlreadyExists if called twice (a stopped transport is
  // not restarted: make a new one).
  Status Start();
  // Closes every connection and the listener and joins the I/O thread. Idempotent; no callback
  // runs after it returns. Must not be called from a callback.
  void Stop();

  // The bound port (useful with listen_port 0); 0 before Start().
  uint16_t listen_port() const;
  const crypto::PublicKey& public_key() const;

  // Queues one frame for `peer`. kNotFound: the key is not in the allow-list.
  // kInvalidArgument: payload above max_frame_size. kUnavailable: the peer is not connected,
  // or its queue is full (both counted in stats). Thread-safe, never blocks on the network.
  Status Send(const crypto::PublicKey& peer, ByteView payload);
  // Send to every connected peer (one shared copy of the payload). Returns how many accepted it.
  size_t Broadcast(ByteView payload);

  // Admits `key` from now on and, when `address` is given and the dial rule says so, dials it:
  // for a validator that joins while the node runs. Asynchronous (on the I/O thread) and
  // thread-safe; a known key or our own is left as it is. Peers are never removed.
  void AddPeer(const crypto::PublicKey& key, std::optional<PeerAddress> address);

  // Replaces the fault-injection rules (thread-safe; frames already held keep their delay).
  // kPermissionDenied unless the transport was built with `fault_injection`.
  Status SetLinkFaults(LinkFaults rules);

  bool IsConnected(const crypto::PublicKey& peer) const;
  std::vector<crypto::PublicKey> ConnectedPeers() const;
  TransportStats stats() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace laurel::net
