"""Four real nodes: transactions sent to different nodes all commit on all of them, and every
node has the same block id and state root at every height. Measures idle blocks/s."""

import concurrent.futures
import time

from laurel_client import (Testnet, as_int, build_tx_pool, check, committed_location, log,
                           main_wrapper, result_code,
                           parse_args, post_tx)

TXS = 60


def test(args):
    with Testnet(args, "agreement") as net:
        net.init()
        pool = build_tx_pool(net.laurel, net.key("city-fed"), TXS)
        net.up()
        nodes = range(net.n)

        # Idle block rate.
        h0, t0 = net.height(0), time.monotonic()
        time.sleep(6)
        h1, t1 = net.height(0), time.monotonic()
        idle_rate = (h1 - h0) / (t1 - t0)
        log(f"MEASURED idle: {h1 - h0} blocks in {t1 - t0:.1f}s = {idle_rate:.2f} blocks/s")
        check(h1 > h0, f"no block committed in {t1 - t0:.1f}s while idle (height {h0})")

        # Transactions sent round-robin to every node, 8 in flight at a time.
        def send(k):
            tx = pool[k]
            status, obj = post_tx(net.url(k % net.n), tx.json, wait=True, timeout=30)
            loc = committed_location(status, obj)
            check(loc is not None, f"tx {k} to node{k % net.n}: HTTP {status} {obj}")
            check(obj.get("tx_id") == tx.tx_id, f"tx_id {obj.get('tx_id')} != {tx.tx_id}")
            check(loc[2] == "OK", f"tx {tx.tx_id} committed with result {loc[2]}, expected OK")
            return tx.tx_id, loc

        t0 = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            acked = dict(ex.map(send, range(TXS)))
        log(f"{TXS} txs committed through {net.n} nodes in {time.monotonic() - t0:.1f}s; "
            f"heights {sorted({loc[0] for loc in acked.values()})}")
        positions = set((loc[0], loc[1]) for loc in acked.values())
        check(len(positions) == TXS, "two txs acknowledged at the same (height, position)")

        # Every node catches up with the last commit, then knows every tx at the same place.
        top = max(loc[0] for loc in acked.values())
        net.wait_height(nodes, top, 30)
        net.assert_txs_everywhere(nodes, acked)

        # Identical blocks everywhere, and exactly our txs in them.
        upto = min(net.height(i) for i in nodes)
        compared = net.assert_same_blocks(nodes, upto)
        log(f"block_id and state_root agree on {net.n} nodes at heights 1..{upto} "
            f"({compared} heights)")
        # The blocks hold exactly our txs, each executed OK once, where it was acknowledged.
        # A re-inclusion of an already included tx (executed as DUPLICATE_TX, which changes no
        # state) is allowed by the ledger but costs block space: counted and reported.
        ok, dups, other = {}, 0, []
        for h in range(1, upto + 1):
            for pos, t in enumerate(net.block(0, h).get("txs") or []):
                tid, res = t.get("tx_id"), result_code(t.get("result"))
                check(tid in acked, f"block {h} holds tx {tid}, which was never submitted")
                if res == "OK":
                    check(tid not in ok, f"tx {tid} executed OK twice: {ok.get(tid)} and {h}")
                    ok[tid] = (h, as_int(t.get("position", pos)), res)
                elif res == "DUPLICATE_TX":
                    dups += 1
                else:
                    other.append((h, tid, res))
        check(not other, f"txs with unexpected results in blocks: {other[:5]}")
        check(set(ok) == set(acked), f"{len(set(acked) - set(ok))} acknowledged txs are not "
              f"in blocks 1..{upto} with result OK")
        for tid, loc in ok.items():
            check(loc == acked[tid], f"tx {tid}: block says {loc}, acknowledged {acked[tid]}")
        log(f"blocks 1..{upto}: {len(ok)} txs executed OK, {dups} re-inclusions as DUPLICATE_TX")
        if dups:
            log(f"NOTE: {dups} of {len(ok) + dups} block slots were re-inclusions of txs already "
                f"included (DUPLICATE_TX)")
        for i in nodes:
            st = net.status(i)
            check(int(st.get("peers_connected", 0)) == net.n - 1,
                  f"node{i} has {st.get('peers_connected')} peers connected, expected {net.n - 1}")


if __name__ == "__main__":
    a = parse_args(default_offset=0)
    main_wrapper(lambda: test(a))
