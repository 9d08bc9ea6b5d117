"""A validator's batch that no peer received is pushed again until it has its proof, with
[consensus] quorum_store = true (docs/spec/batches.md §6, "A batch without its proof").

A peer may drop or refuse a batch it is pushed: its author's share of the store is full because
the peer executes behind the author, its check queue is full at saturation, or the frame is lost
on a link that stays up. Without a proof the batch is never proposed; its transactions wait until
it expires, 500 heights after it was cut: about 17 s at saturation, about 100 s on an idle chain
(an empty block every ~200 ms). A full bench run at saturation left 8 transactions pending for
the 75 s its drain lasted, and one sampler transaction 60 s.

Here node0's transport drops every batch it pushes (kind 17) while a client sends it one
transaction:
  - node0 admits it (ACCEPTED); no peer receives a batch from node0, the chain stays where it is
    and the transaction is pending;
  - the rule is lifted with no other traffic at all: node0 pushes the batch again by itself, the
    peers acknowledge it, and the transaction commits OK within 30 s (the retry interval is 1 s,
    doubling up to 8 s; without the retry it stayed pending for the whole 30 s);
  - node0's metric laurel_batches_total{event="pushed_again"} counts the pushes, and every node
    agrees on the blocks.
"""

import time

from chaos import (drop_kind, init_with_fault_file, quorum_store_fault_testnet,
                   write_link_faults)
from laurel_client import (build_tx_pool, check, committed_location, log, main_wrapper,
                           metric_value as series, parse_args, post_tx, TestFailure,
                           wait_for)

BATCH_KIND = 17


def test(args):
    net = quorum_store_fault_testnet(args, "qs-repush")
    with net:
        init_with_fault_file(net)
        pool = build_tx_pool(net.laurel, net.key("city-fed"), 2)
        net.up()
        net.wait_progress(range(net.n), 2, 60)
        # Idle: no transaction is pending, so no block is proposed until one is.
        time.sleep(1.0)

        drop_kind(net, [0], BATCH_KIND)

        received_before = {i: series(net, i, "laurel_batches_total", 'event="received"')
                           for i in range(1, net.n)}
        heights_before = net.heights(range(net.n))
        first = pool[0]
        status, obj = post_tx(net.url(0), first.json, wait=False)
        check(status == 202 and obj.get("admission") == "ACCEPTED",
              f"node0 did not accept the tx: HTTP {status} {obj}")
        wait_for(lambda: series(net, 0, "laurel_batches_total", 'event="made"') > 0,
                 10, "node0 to cut a batch")
        time.sleep(2.5)
        received = {i: series(net, i, "laurel_batches_total", 'event="received"')
                    for i in range(1, net.n)}
        check(received == received_before,
              f"a peer received a batch while node0 dropped them: {received_before} -> "
              f"{received}")
        net.check_not_committed(0, first.tx_id, "the tx committed while its batch reached no peer")
        log(f"node0 batched tx {first.tx_id[:16]}; no peer received it in 2.5 s; heights "
            f"{heights_before} -> {net.heights(range(net.n))}")

        # The rule is lifted and nothing else is sent: node0 must push the batch again itself.
        write_link_faults(net, 0, [])
        t0 = time.monotonic()
        last = {}

        def committed():
            status, obj = net.tx(0, first.tx_id)
            last["answer"] = (status, obj)
            return committed_location(status, obj)
        try:
            loc = wait_for(committed, 30, "the tx to commit")
        except TestFailure:
            loc = None
        check(loc is not None and loc[2] == "OK",
              f"the tx whose batch no peer received did not commit OK within 30 s after the "
              f"links healed: {last.get('answer')}")
        waited = time.monotonic() - t0
        again = series(net, 0, "laurel_batches_total", 'event="pushed_again"')
        check(again >= 1, f"node0 committed the tx but counts {again} batches pushed again")
        log(f"tx committed OK at height {loc[0]}, {waited:.1f} s after the links healed; node0 "
            f"pushed {again:.0f} batches again")

        # A second transaction goes the usual way, and the nodes agree on every block.
        status, obj = post_tx(net.url(0), pool[1].json, wait=True, timeout=30)
        loc2 = committed_location(status, obj)
        check(loc2 is not None and loc2[2] == "OK", f"a later tx: HTTP {status} {obj}")
        net.wait_height(range(net.n), loc2[0], 30)
        compared = net.assert_same_blocks(list(range(net.n)), loc2[0])
        log(f"a later tx committed at height {loc2[0]}; block ids and state roots agree on "
            f"{net.n} nodes ({compared} heights)")


if __name__ == "__main__":
    a = parse_args(default_offset=450)
    main_wrapper(lambda: test(a))
