// The node's own metric series, registered in the registry NodeApi::metrics() returns. The
// RPC layer registers the same families (registration is idempotent by name), so /metrics
// shows them whatever NodeApi implementation serves it.
#pragma once

#include "common/metrics.h"

namespace laurel::node {

struct NodeMetrics {
  metrics::Counter& commits;                       // blocks committed and executed
  metrics::Counter& timeouts;                      // consensus round timeouts that fired
  metrics::Counter& admitted;                      // transactions accepted into the mempool via RPC
  metrics::Family<metrics::Counter>& rejected;     // by code: ledger code or admission answer
  metrics::Family<metrics::Counter>& resubmitted;  // by kind: ALREADY_KNOWN, COMMITTED
  metrics::Gauge& certified_height;                // highest height with a state certificate
  metrics::Gauge& store_free_bytes;                // free bytes on the data folder's file system
  metrics::Gauge& restore_fenced;                  // 1 while a restored validator signs nothing
  metrics::Gauge& clock_offset;  // local clock minus the last committed block's time, s
  metrics::Family<metrics::Counter>& evidence;  // by kind: node/evidence_log.h
  metrics::Counter& inbound_dropped;            // node/inbound_queue.h
  // Fault injection (test networks only, node/net/fault_injection.h), by peer: the first 8 hex
  // digits of its public key.
  metrics::Family<metrics::Counter>& fault_dropped;
  metrics::Family<metrics::Counter>& fault_delayed;
  metrics::Family<metrics::Counter>& fault_reordered;
  // Quorum store (docs/spec/batches.md), by event.
  metrics::Family<metrics::Counter>& batches;       // made, received, refused, fetched, held, ...
  metrics::Family<metrics::Counter>& batch_acks;    // sent, received, refused
  metrics::Family<metrics::Counter>& batch_proofs;  // made, received, refused
  metrics::Counter& batch_fetch_requests;           // requests this node sent
  metrics::Family<metrics::Counter>& batch_bytes;   // sent, received (transaction bytes)
  // Peers' requests dropped over their budget (node/serve_budget.h), by kind: batch, sync.
  metrics::Family<metrics::Counter>& requests_refused;
  // Where a transaction's commit latency goes: this node's own batches, seconds per stage
  // (persisted, proof, proposed, committed, total; node_batches.cpp, NoteOwnBatchStage).
  metrics::Family<metrics::Histogram>& batch_stages;

  static NodeMetrics Register(metrics::Registry& r) {
    NodeMetrics m = Families(r);
    // Every evidence kind shows from the start at 0, so that a first piece is an increase
    // (alerts use increase(); a series that appears at 1 would not show one).
    for (const char* kind : {"double_proposal", "double_vote", "out_of_turn"}) {
      (void)m.evidence.Get(kind);
    }
    for (const char* e : {"made", "received", "refused", "fetched", "held", "pushed_again",
                          "proven_unchecked", "checked_late"}) {
      (void)m.batches.Get(e);
    }
    for (const char* e : {"sent", "received", "refused"}) (void)m.batch_acks.Get(e);
    for (const char* e : {"made", "received", "refused"}) (void)m.batch_proofs.Get(e);
    for (const char* e : {"sent", "received"}) (void)m.batch_bytes.Get(e);
    for (const char* k : {"batch", "sync", "fetch"}) (void)m.requests_refused.Get(k);
    for (const char* st : {"persisted", "proof", "proposed", "committed", "total"}) {
      (void)m.batch_stages.Get(st);
    }
    return m;
  }

 private:
  static NodeMetrics Families(metrics::Registry& r) {
    return NodeMetrics{
        r.AddCounter("laurel_commits_total", "Blocks committed and executed by this node.").Get(),
        r.AddCounter("laurel_timeouts_total", "Consensus round timeouts that fired.").Get(),
        r.AddCounter("laurel_tx_admitted_total",
                     "Transactions submitted to this node and accepted into its mempool.")
            .Get(),
        r.AddCounter("laurel_tx_rejected_total",
                     "Transactions submitted to this node and refused, by code (the ledger "
                     "code of a failed check, or MEMPOOL_FULL, TOO_LARGE, NOT_READY).",
                     "code"),
        r.AddCounter("laurel_tx_resubmitted_total",
                     "Transactions submitted to this node that it already held, answered as "
                     "success: ALREADY_KNOWN (pending in the mempool) or COMMITTED.",
                     "kind"),
        r.AddGauge("laurel_certified_height",
                   "Highest height whose state root 2f+1 validators have attested (a state "
                   "certificate).")
            .Get(),
        r.AddGauge("laurel_store_free_bytes",
                   "Free bytes on the file system of the node's data folder (on a full disk the "
                   "node stands still until 16 MiB are free, then restarts itself).")
            .Get(),
        r.AddGauge("laurel_restore_fenced",
                   "1 while this node, restored from a backup, signs nothing and follows by "
                   "block sync (docs/operator.md, backup and restore).")
            .Get(),
        r.AddGauge("laurel_clock_offset_seconds",
                   "This node's clock minus the time of the block it last committed (its "
                   "proposer's clock), while committing; beyond 30 s either way it votes for no "
                   "block (docs/operator.md, clocks).")
            .Get(),
        r.AddCounter("laurel_consensus_evidence_total",
                     "Verified consensus evidence this node saw, by kind: double_proposal (a "
                     "validator signed two blocks in one round), double_vote (two votes in one "
                     "round), out_of_turn (a block from a validator that does not lead its "
                     "round). Each piece is in <data>/evidence.jsonl.",
                     "kind"),
        r.AddCounter("laurel_p2p_inbound_dropped_total",
                     "Frames from peers dropped because that peer's inbound queue was full (it "
                     "sends faster than this node handles; an honest peer does not).")
            .Get(),
        r.AddCounter("laurel_p2p_fault_dropped_total",
                     "Frames to a peer dropped by fault injection (test networks only: "
                     "[fault_injection]), by peer (first 8 hex digits of its key).",
                     "peer"),
        r.AddCounter("laurel_p2p_fault_delayed_total",
                     "Frames to a peer held back by fault injection for their delay (test "
                     "networks only), by peer; reordered ones included.",
                     "peer"),
        r.AddCounter("laurel_p2p_fault_reordered_total",
                     "Frames to a peer held back by fault injection beyond their delay so that "
                     "later frames overtake them (test networks only), by peer.",
                     "peer"),
        r.AddCounter("laurel_batches_total",
                     "Transaction batches (quorum store, docs/spec/batches.md), by event: made "
                     "(by this node), received (stored, from their author), refused (from a "
                     "peer, with the reason logged), fetched (for a committed block), held "
                     "(received unchecked: this node is not one of its designated checkers), "
                     "proven_unchecked (held until its proof came: its signatures were never "
                     "verified here), checked_late (held, no proof in time: checked here), "
                     "pushed_again (this node's, no proof 1 s or more after its push: pushed "
                     "again to the validators that had not acknowledged it).",
                     "event"),
        r.AddCounter("laurel_batch_acks_total",
                     "Batch acknowledgements, by event: sent (by this node), received (counted "
                     "towards one of this node's batches), refused.",
                     "event"),
        r.AddCounter("laurel_batch_proofs_total",
                     "Proofs of availability (f+1 acknowledgements), by event: made (of this "
                     "node's batches), received (verified, from a peer), refused.",
                     "event"),
        r.AddCounter("laurel_batch_fetch_requests_total",
                     "Requests this node sent for a batch a committed block names and it lacks.")
            .Get(),
        r.AddCounter("laurel_batch_bytes_total",
                     "Transaction bytes in batches, by direction: sent (this node's batches, "
                     "once per peer) and received (stored from a peer's push or a fetch).",
                     "direction"),
        r.AddCounter("laurel_p2p_requests_refused_total",
                     "Requests from a peer not served because that peer was over its budget "
                     "(docs/p2p.md), by kind: batch (batch fetches: 1,024 a second or 64 MiB of "
                     "answers a second), sync (block ranges: 64 a second) and fetch (block "
                     "fetches: 32 a second or 8 MiB of answers). An honest peer stays far "
                     "below all three.",
                     "kind"),
        r.AddHistogram("laurel_batch_stage_seconds",
                       "This node's own batches (quorum store), by stage: persisted (cut to on "
                       "disk), proof (cut to f+1 acknowledgements), proposed (proof to the first "
                       "proposal carrying it that this node saw), committed (that proposal to "
                       "executed here), total (cut to executed). A transaction waits at most 5 "
                       "ms in this node before its batch is cut.",
                       "stage",
                       {0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05,
                        0.075, 0.1,   0.15,  0.2,   0.3,    0.5,  0.75,  1,    2,    5,    10}),
    };
  }
};

}  // namespace laurel::node
