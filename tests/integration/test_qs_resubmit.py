"""A client that sends the same transaction to a second validator, with [consensus]
quorum_store = true (docs/spec/batches.md §6, "A transaction another validator
batched"): the transaction executes once and sits in the chain once.

A client unsure of an answer (a node stopped mid-request, a timeout) sends the transaction again,
to another validator. With the quorum store the first validator put it in a batch it pushed to
every validator; if the second one batched it as well, the chain would carry it twice (the later
copy as DUPLICATE_TX). The chaos campaign found that with a restart (seed 4709).

To hold the transaction between its proof of availability and its commit, every node's transport
drops votes (kind 2): no block is certified, while batches, acknowledgements and proofs (kinds
17, 18, 21) still flow. Then:
  - node0 admits the transaction (ACCEPTED) and its batch's proof reaches node1 and node2;
  - node1 and node2 answer the same transaction with ALREADY_KNOWN: pending in node0's proven
    batch, not batched again;
  - votes flow again: the transaction commits OK, and every block from height 1 to the top on
    every node carries it once, with no DUPLICATE_TX anywhere; block ids and state roots agree.
"""

import time

from chaos import (drop_kind, init_with_fault_file, quorum_store_fault_testnet,
                   write_link_faults)
from laurel_client import (build_tx_pool, check, committed_location, get_json, log,
                           main_wrapper, metric_value as series, parse_args, post_tx,
                           result_code, wait_for)

VOTE_KIND = 2


def test(args):
    net = quorum_store_fault_testnet(args, "qs-resubmit")
    with net:
        init_with_fault_file(net)
        pool = build_tx_pool(net.laurel, net.key("city-fed"), 3)
        net.up()
        net.wait_progress(range(net.n), 2, 60)

        # No vote leaves any node: no QC, no commit; batches and proofs still travel.
        drop_kind(net, range(net.n), VOTE_KIND)
        stalled_at = max(net.heights(range(net.n)).values())
        time.sleep(1.0)  # blocks certified before the rule commit now

        proofs_before = {i: series(net, i, "laurel_batch_proofs_total", 'event="received"')
                         for i in (1, 2)}
        first = pool[0]
        status, obj = post_tx(net.url(0), first.json, wait=False)
        check(status == 202 and obj.get("admission") == "ACCEPTED",
              f"node0 did not accept the tx: HTTP {status} {obj}")
        for i in (1, 2):
            wait_for(lambda i=i: series(net, i, "laurel_batch_proofs_total",
                                        'event="received"') > proofs_before[i],
                     20, f"node{i} to receive node0's proof of availability")
        top = max(net.heights(range(net.n)).values())
        net.check_not_committed(0, first.tx_id,
                                f"tx committed while votes were dropped (height {top})")
        log(f"node0 batched tx {first.tx_id[:16]}; its proof reached node1 and node2; no commit "
            f"since height {stalled_at} (now {top})")

        # The same transaction again, to node1 and node2: pending already, not batched again.
        # (Checked after the chain is: a failure shows what reached it.)
        answers = {}
        for i in (1, 2):
            status, obj = post_tx(net.url(i), first.json, wait=False)
            check(status == 202, f"node{i} answered the resubmitted tx with HTTP {status} {obj}")
            answers[i] = obj.get("admission")
        log(f"the same tx to node1 and node2: admission {answers}")

        # A transaction none of them has seen is still admitted by node1 as usual.
        status, obj = post_tx(net.url(1), pool[1].json, wait=False)
        check(status == 202 and obj.get("admission") == "ACCEPTED",
              f"node1 did not accept a new tx: HTTP {status} {obj}")

        # Votes flow again.
        for i in range(net.n):
            write_link_faults(net, i, [])
        status, obj = post_tx(net.url(1), first.json, wait=True, timeout=90)
        loc = committed_location(status, obj)
        check(loc is not None and loc[2] == "OK",
              f"the resubmitted tx did not commit OK: HTTP {status} {obj}")
        status, obj = post_tx(net.url(2), pool[1].json, wait=True, timeout=90)
        loc2 = committed_location(status, obj)
        check(loc2 is not None and loc2[2] == "OK", f"node1's new tx: HTTP {status} {obj}")
        log(f"tx committed OK at height {loc[0]}, node1's new tx at {loc2[0]}")

        # Some blocks later, the whole chain holds it once and no DUPLICATE_TX at all.
        net.wait_progress(range(net.n), 3, 60)
        upto = min(net.heights(range(net.n)).values())
        seen = []
        duplicates = []
        for h in range(1, upto + 1):
            b = get_json(f"{net.url(0)}/v1/blocks/{h}", timeout=10)
            for t in b.get("txs", []):
                if t.get("tx_id") == first.tx_id:
                    seen.append((h, result_code(t.get("result"))))
                if result_code(t.get("result")) == "DUPLICATE_TX":
                    duplicates.append((h, t.get("tx_id")))
        log(f"heights 1..{upto}: the tx at {seen}; DUPLICATE_TX results: {duplicates[:5]}")
        for i in (1, 2):
            check(answers[i] == "ALREADY_KNOWN",
                  f"node{i} admitted the tx node0 had batched with a proof as {answers[i]}: "
                  f"batched twice")
        check(seen == [(loc[0], "OK")], f"the tx is in the chain as {seen}, expected once at "
              f"{loc[0]}")
        check(not duplicates, f"DUPLICATE_TX in the chain: {duplicates[:5]}")
        compared = net.assert_same_blocks(list(range(net.n)), upto)
        log(f"heights 1..{upto}: the tx once, no DUPLICATE_TX; block ids and state roots agree "
            f"on {net.n} nodes ({compared} heights)")


if __name__ == "__main__":
    a = parse_args(default_offset=440)
    main_wrapper(lambda: test(a))
