"""The batch fetch path on a real 4-validator testnet with [consensus] quorum_store = true
(docs/spec/batches.md §5, §6; node/batch_fetcher.h).

node0's transport drops every batch frame (kind 17) it sends to node3, and only those (a
fault-injection rule with "kinds": [17]; laureld --allow-fault-injection): node3 never receives
node0's batches, while node1 and node2 do and acknowledge them, so node0 still makes their
proofs of availability and broadcasts them (kind 21 passes). Transactions are submitted to node0
only, so every batch a block carries is one node3 lacks when that block commits: node3 must
fetch it (kinds 19/20) before it executes the block. What must hold:
  - every transaction commits OK, once, at the same place on the four nodes, and block ids and
    state roots agree at every height;
  - node0's rule really dropped batches to node3 (laurel_p2p_fault_dropped_total{peer});
  - node3 fetched them: laurel_batches_total{event="fetched"} and
    laurel_batch_fetch_requests_total went up on node3, and it logged that a block waited for
    batches; nothing was fetched by node1 or node2 (they received every batch);
  - node3 did not need block sync for it: it logged no "[sync] applied" line.
"""

import concurrent.futures
import time

from chaos import drop_kind, init_with_fault_file, quorum_store_fault_testnet
from laurel_client import (build_tx_pool, check, committed_location, log,
                           main_wrapper, metric_value as series, parse_args, post_tx)

AUTHOR = 0
VICTIM = 3
TXS = 40
BATCH_KIND = 17


def fetch_counters(net, i):
    return {"fetched": series(net, i, "laurel_batches_total", 'event="fetched"'),
            "requests": series(net, i, "laurel_batch_fetch_requests_total"),
            "received": series(net, i, "laurel_batches_total", 'event="received"')}


def test(args):
    net = quorum_store_fault_testnet(args, "qs-fetch")
    with net:
        init_with_fault_file(net)
        pool = build_tx_pool(net.laurel, net.key("city-fed"), TXS)
        net.up()
        net.wait_progress(range(net.n), 2, 60)

        # node0 stops pushing its batches to node3; everything else still flows.
        drop_kind(net, [AUTHOR], BATCH_KIND, [VICTIM])
        victim_key = str(net.node_pubkey(VICTIM)).lower()
        before = {i: fetch_counters(net, i) for i in range(net.n)}

        def send(tx):
            status, obj = post_tx(net.url(AUTHOR), tx.json, wait=True, timeout=60)
            loc = committed_location(status, obj)
            check(loc is not None, f"tx to node{AUTHOR}: HTTP {status} {obj}")
            check(loc[2] == "OK", f"tx {tx.tx_id} committed with result {loc[2]}, expected OK")
            return tx.tx_id, loc

        t0 = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(4) as ex:
            acked = dict(ex.map(send, pool))
        log(f"{len(acked)} txs to node{AUTHOR} committed OK in {time.monotonic() - t0:.1f}s at "
            f"heights {sorted({loc[0] for loc in acked.values()})}")

        # Every node, the victim too, executed the same blocks.
        compared, upto = net.assert_acked_and_agreed(list(range(net.n)), acked, timeout=60)
        log(f"block ids and state roots agree on {net.n} nodes at heights 1..{upto}")

        dropped = series(net, AUTHOR, "laurel_p2p_fault_dropped_total",
                         f'peer="{victim_key[:8]}"')
        check(dropped > 0, f"node{AUTHOR} dropped no frame to node{VICTIM}")
        after = {i: fetch_counters(net, i) for i in range(net.n)}
        for i in range(net.n):
            log(f"node{i}: " + ", ".join(f"{k} +{after[i][k] - before[i][k]:.0f}"
                                         for k in after[i]))
        moved = {k: after[VICTIM][k] - before[VICTIM][k] for k in after[VICTIM]}
        check(moved["fetched"] >= 1, f"node{VICTIM} fetched no batch: {moved}")
        check(moved["requests"] >= moved["fetched"],
              f"node{VICTIM} fetched more batches than it asked for: {moved}")
        for i in (1, 2):
            got = after[i]["fetched"] - before[i]["fetched"]
            check(got == 0, f"node{i} received every batch yet fetched {got}")
        waited = net.log_lines(VICTIM, "waits for")
        check(waited, f"node{VICTIM} never logged a block waiting for batches")
        log(f"node{VICTIM}: dropped to it {dropped:.0f} frames; {len(waited)} blocks waited, "
            f"e.g. {waited[0]}")
        synced = net.log_lines(VICTIM, "[sync] applied")
        check(not synced, f"node{VICTIM} needed block sync: {synced[:3]}")
        # An honest fetcher stays within every node's budget of requests it serves.
        for i in range(net.n):
            for kind in ("batch", "sync", "fetch"):
                over = series(net, i, "laurel_p2p_requests_refused_total", f'kind="{kind}"')
                check(over == 0, f"node{i} refused {over:.0f} {kind} requests of honest peers")
        # And the network goes on.
        net.wait_progress(range(net.n), 2, 60)


if __name__ == "__main__":
    a = parse_args(default_offset=400)
    main_wrapper(lambda: test(a))
