"""Quorum store across kill -9 (docs/spec/batches.md §6, "On disk"): a batch acknowledged by
f+1 validators is not lost when every one of them is killed before it executes.

On a 4-validator testnet with the quorum store on, node2 and node3 are killed, so no block can
commit (3 votes are needed). Transactions are submitted to node0: node0 batches them and pushes
the batches to node1, node1 acknowledges them, and node0 makes a proof of availability (f+1 = 2
acknowledgements) for each; none can be proposed into a committed block. Then node0 and node1,
the only holders, are killed with SIGKILL and all four nodes started. Each holder reloads the
batches it acknowledged from disk and node0 pushes its own batches again, so a proof forms anew:
every transaction whose batch was acknowledged commits OK exactly once, at the same place on
every node, and block ids and state roots agree. (Before batches were kept on disk they were
gone with the processes: the transactions never committed.)"""

import os

from laurel_client import (Testnet, as_int, build_tx_pool, check, log, main_wrapper,
                           metric_value, parse_args, post_tx, result_code, wait_for)

TXS = 30
LATER_TXS = 6


def committed_at(net, i, tx_id):
    """(height, position, result) of tx_id on node i, or None while it is not committed."""
    try:
        status, obj = net.tx(i, tx_id)
    except Exception:
        return None
    if status != 200 or obj.get("status") != "committed":
        return None
    return as_int(obj.get("height")), as_int(obj.get("position")), result_code(obj.get("result"))


def test(args):
    os.environ["LAUREL_QUORUM_STORE"] = "1"
    with Testnet(args, "qs-restart") as net:
        net.init()
        pool = build_tx_pool(net.laurel, net.key("city-fed"), TXS + LATER_TXS)
        net.up()
        nodes = list(range(net.n))

        # 1. No quorum: node2 and node3 down. node0's batches are acknowledged by node1 only.
        net.kill(2)
        net.kill(3)
        h0 = net.height(0)
        made0 = metric_value(net, 0, "laurel_batches_total", 'event="made"')
        proofs0 = metric_value(net, 0, "laurel_batch_proofs_total", 'event="made"')
        acks1 = metric_value(net, 1, "laurel_batch_acks_total", 'event="sent"')
        for k in range(TXS):
            status, obj = post_tx(net.url(0), pool[k].json, wait=False, timeout=10)
            check(status in (200, 202), f"tx {k} to node0: HTTP {status} {obj}")

        # Every batch node0 made has its proof, and no batch was made between two polls (a
        # transaction waits at most 5 ms for its batch): all 30 are in acknowledged batches.
        last = {}

        def acknowledged():
            made = metric_value(net, 0, "laurel_batches_total", 'event="made"') - made0
            proofs = metric_value(net, 0, "laurel_batch_proofs_total", 'event="made"') - proofs0
            again = metric_value(net, 0, "laurel_batches_total", 'event="made"') - made0
            stable = last.get("made") == made
            last["made"] = made
            return made >= 1 and proofs == made == again and stable and (made, proofs)
        made, proofs = wait_for(acknowledged, 30, "node0's batches to be acknowledged by node1",
                                interval=0.5)
        acks = metric_value(net, 1, "laurel_batch_acks_total", 'event="sent"') - acks1
        check(acks >= made, f"node1 sent {acks} acks for node0's {made} batches")
        # (A block voted before the kills may still commit; none can carry these txs.)
        for k in range(TXS):
            check(committed_at(net, 0, pool[k].tx_id) is None,
                  f"tx {k} committed although no quorum was up")
        log(f"node0 made {made:.0f} batches of {TXS} txs, each acknowledged by node1 "
            f"({proofs:.0f} proofs); none committed (heights {net.heights([0, 1])}, {h0} "
            f"before)")

        # 2. Both holders die before any of it executes; then all four start.
        net.kill(0)
        net.kill(1)
        for i in nodes:
            net.start(i)
        for i in (0, 1):
            reloaded = net.log_lines(i, "[batch] from disk:")
            log(f"node{i}: {reloaded[-1] if reloaded else 'no batch reloaded from disk'}")

        # 3. Every acknowledged transaction commits OK once, the same on every node.
        def all_committed():
            locs = {}
            for k in range(TXS):
                loc = committed_at(net, 0, pool[k].tx_id)
                if loc is None:
                    return False
                locs[pool[k].tx_id] = loc
            return locs
        try:
            acked = wait_for(all_committed, 60, "the acknowledged txs to commit after the restart")
        except Exception:
            missing = [k for k in range(TXS) if committed_at(net, 0, pool[k].tx_id) is None]
            raise AssertionError(
                f"ACKNOWLEDGED BATCH LOST: {len(missing)} of {TXS} txs whose batches node1 "
                f"acknowledged never committed after node0 and node1 restarted (e.g. tx "
                f"{pool[missing[0]].tx_id})") from None
        for tx_id, loc in acked.items():
            check(loc[2] == "OK", f"tx {tx_id} committed with result {loc[2]}, expected OK")
        log(f"all {TXS} acknowledged txs committed OK after the restart, heights "
            f"{sorted({loc[0] for loc in acked.values()})}")
        # The network goes on, with new transactions, on all four nodes.
        for k in range(TXS, TXS + LATER_TXS):
            status, obj = post_tx(net.url(k % net.n), pool[k].json, wait=True, timeout=60)
            check(status == 200, f"later tx {k}: HTTP {status} {obj}")
        net.wait_progress(nodes, 2, 60)
        compared, upto = net.assert_acked_and_agreed(nodes, acked, timeout=60)
        # Exactly once: no block of any node holds a second copy that executed.
        for i in nodes:
            ok, dups = {}, 0
            for h in range(1, upto + 1):
                for t in net.block(i, h).get("txs") or []:
                    tid = t.get("tx_id")
                    if tid not in acked:
                        continue
                    res = result_code(t.get("result"))
                    if res == "OK":
                        check(tid not in ok, f"node{i}: tx {tid} executed OK twice: heights "
                              f"{ok.get(tid)} and {h}")
                        ok[tid] = h
                    else:
                        dups += 1
            check(set(ok) == set(acked), f"node{i}: {len(set(acked) - set(ok))} acknowledged "
                  f"txs not executed OK in blocks 1..{upto}")
            check(dups == 0, f"node{i}: {dups} copies of acknowledged txs executed again "
                  f"(a batch executed twice after the restart)")
        log(f"each acknowledged tx executed once; block ids and state roots agree at 1..{upto} "
            f"on {net.n} nodes")


if __name__ == "__main__":
    a = parse_args(default_offset=410)
    main_wrapper(lambda: test(a))
