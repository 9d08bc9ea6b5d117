"""Quorum store on a real 4-validator testnet ([consensus] quorum_store = true): transactions
sent to different nodes travel in their nodes' batches, blocks carry proofs of availability,
and every transaction commits OK once on every node with identical block ids and state roots;
a transaction submitted to two nodes (so in two batches) executes once (the other copy, if
proposed, as DUPLICATE_TX); a node stopped while blocks with proofs commit catches up by block
sync (the blocks carry their batches' transactions) and agrees; /metrics counts batches,
acknowledgements and proofs. Each batch is checked on receipt by its designated checker (the
validator after its author) and held by the others until its proof; with the designated checker
of node 2 down, nodes 0 and 1 check node 2's batches late and they still commit."""

import concurrent.futures
import os
import re
import time

from laurel_client import (Testnet, build_tx_pool, check, committed_location, log, main_wrapper,
                           metric_value as series, parse_args, post_tx, result_code,
                           send_all_ok as send_all)

TXS = 40
LATER_TXS = 30


def executed_once(net, node, upto, tx_ids):
    """Scans blocks 1..upto of `node`: each tx of `tx_ids` executes OK exactly once; returns
    the number of DUPLICATE_TX copies."""
    ok, dups = {}, 0
    for h in range(1, upto + 1):
        for t in net.block(node, h).get("txs") or []:
            tid, res = t.get("tx_id"), result_code(t.get("result"))
            if tid not in tx_ids:
                continue
            if res == "OK":
                check(tid not in ok, f"tx {tid} executed OK twice: heights {ok.get(tid)} and {h}")
                ok[tid] = h
            elif res == "DUPLICATE_TX":
                dups += 1
            else:
                raise AssertionError(f"tx {tid} at height {h} has result {res}")
    check(set(ok) == set(tx_ids), f"{len(set(tx_ids) - set(ok))} txs never executed OK")
    return dups


def test(args):
    os.environ["LAUREL_QUORUM_STORE"] = "1"
    with Testnet(args, "quorum-store") as net:
        net.init()
        for i in range(net.n):
            with open(os.path.join(net.dir, f"node{i}", "node.toml")) as f:
                check(re.search(r"^quorum_store = true$", f.read(), re.M),
                      f"node{i}/node.toml lacks quorum_store = true")
        pool = build_tx_pool(net.laurel, net.key("city-fed"), TXS + 1 + LATER_TXS)
        net.up()
        nodes = list(range(net.n))

        # 1. Transactions to every node commit OK everywhere, the same everywhere.
        t0 = time.monotonic()
        acked = send_all(net, pool[:TXS], nodes)
        log(f"{TXS} txs committed through {net.n} nodes in {time.monotonic() - t0:.1f}s; "
            f"heights {sorted({loc[0] for loc in acked.values()})}")
        compared, upto = net.assert_acked_and_agreed(nodes, acked)
        log(f"block_id and state_root agree on {net.n} nodes at heights 1..{upto}")
        dups = executed_once(net, 0, upto, set(acked))
        log(f"each of {TXS} txs executed OK once ({dups} DUPLICATE_TX copies)")
        # They went as batches with proofs, not as per-transaction gossip.
        for i in nodes:
            made = series(net, i, "laurel_batches_total", 'event="made"')
            received = series(net, i, "laurel_batches_total", 'event="received"')
            proofs = series(net, i, "laurel_batch_proofs_total", 'event="made"')
            sent = series(net, i, "laurel_batch_bytes_total", 'direction="sent"')
            refused = series(net, i, "laurel_batches_total", 'event="refused"')
            log(f"node{i}: batches made {made:.0f}, received {received:.0f}, refused "
                f"{refused:.0f}, proofs made {proofs:.0f}, batch bytes sent {sent:.0f}")
            check(made >= 1 and proofs >= 1 and sent > 0,
                  f"node{i} made no batch or proof although it was sent transactions")
            check(received >= 1, f"node{i} received no batch from its peers")
            check(refused == 0, f"node{i} refused {refused} batches of honest peers")
            # Each batch is checked on receipt by the f = 1 validator after its author only;
            # every node holds two of its three peers' batches unchecked until their proofs.
            held = series(net, i, "laurel_batches_total", 'event="held"')
            unchecked = series(net, i, "laurel_batches_total", 'event="proven_unchecked"')
            late = series(net, i, "laurel_batches_total", 'event="checked_late"')
            log(f"node{i}: held {held:.0f} (proven unchecked {unchecked:.0f}, checked late "
                f"{late:.0f})")
            check(held >= 1, f"node{i} checked every peer's batch on receipt")
            check(held < received, f"node{i} held all {received:.0f} batches it received: it "
                  f"checks none, though it is the designated checker of validator {(i + 3) % 4}")
            check(unchecked + late <= held, f"node{i}: more batches proven or checked late than held")
            # Its own batches' stages were timed (laurel_batch_stage_seconds): each executed one
            # once in `total`, none there before its proof was made.
            stages = {st: series(net, i, "laurel_batch_stage_seconds_count", f'stage="{st}"')
                      for st in ("persisted", "proof", "proposed", "committed", "total")}
            log(f"node{i}: batch stages timed {stages}")
            check(1 <= stages["total"] <= made, f"node{i}: {stages['total']:.0f} batches timed "
                  f"to execution, {made:.0f} made")
            check(stages["committed"] <= stages["proposed"] <= stages["proof"] <= proofs,
                  f"node{i}: batch stages out of order: {stages}, proofs made {proofs:.0f}")

        # 2. One transaction submitted to two nodes at once: two batches, one execution.
        twin = pool[TXS]
        with concurrent.futures.ThreadPoolExecutor(2) as ex:
            answers = list(ex.map(
                lambda n: post_tx(net.url(n), twin.json, wait=True, timeout=60), [0, 1]))
        locs = [committed_location(s, o) for s, o in answers]
        check(all(loc is not None for loc in locs), f"twin tx answers: {answers}")
        check(locs[0] == locs[1], f"the two nodes report the twin tx at {locs[0]} and {locs[1]}")
        check(locs[0][2] == "OK", f"twin tx committed with {locs[0][2]}")
        net.wait_progress(nodes, 3, 60)
        upto = min(net.heights(nodes).values())
        for i in nodes:
            dups = executed_once(net, i, upto, {twin.tx_id})
        net.assert_txs_everywhere(nodes, {twin.tx_id: locs[0]})
        log(f"twin tx executed OK once at {locs[0]} on every node ({dups} DUPLICATE_TX copies)")

        # 3. A node down while blocks with proofs commit catches up by block sync.
        net.kill(3)
        h_down = net.height(0)
        later = send_all(net, pool[: TXS + 1 + LATER_TXS], [0, 1, 2], first=TXS + 1)
        net.wait_progress([0, 1, 2], 8, 60)  # well beyond the sync gap
        top = max(net.heights([0, 1, 2]).values())
        log(f"node3 down from height {h_down}; the others reached {top} with {LATER_TXS} txs")
        net.start(3)
        net.wait_height([3], top, 90, "node3 to catch up")
        log(f"node3 caught up to {net.height(3)}")
        acked.update(later)
        acked[twin.tx_id] = locs[0]
        compared, upto = net.assert_acked_and_agreed(nodes, acked, timeout=60)
        executed_once(net, 3, upto, set(acked))
        log(f"all {len(acked)} txs committed once at the same place on 4 nodes; block ids and "
            f"state roots agree at 1..{upto}")
        # Node 3 is node 2's designated checker: with it down, node 2's batches got their
        # proofs because nodes 0 and 1 checked them when no proof came in time.
        late = sum(series(net, i, "laurel_batches_total", 'event="checked_late"') for i in (0, 1))
        log(f"batches checked late on nodes 0 and 1 while node3 was down: {late:.0f}")
        check(late >= 1, "node2's batches committed with node3 down, but nodes 0 and 1 checked "
              "none of them late")
        synced = [line for line in net.log_lines(3, "[sync] applied")]
        check(synced, "node3 logged no block sync")
        # And the network goes on with node3 in it.
        net.wait_progress(nodes, 2, 60)


if __name__ == "__main__":
    a = parse_args(default_offset=370)
    main_wrapper(lambda: test(a))
