"""A flood of requests that make a node work (docs/p2p.md, "Requests a node serves"), over real
TLS sockets against a real 4-validator testnet with the quorum store on.

node3's laureld is stopped and `laurel-byzantine --behaviour request-flood` takes its place
(node3's key and config): 20,000 requests a second to every honest node, a third of the run
each, for the batches they pushed to it (each answered with the whole batch), for 256 blocks
back from a committed one (block fetch) and for 64 blocks from height 1 (block sync). Each node
answers a peer at most 1,024 batch requests (or 64 MiB of batches), 32 block fetches (or 8 MiB)
and 64 sync requests a second; the rest are dropped and counted.

What must hold:
  - each honest node counted dropped requests of all three kinds
    (laurel_p2p_requests_refused_total{kind="batch"|"sync"|"fetch"});
  - the adversary got no more answers than the budgets allow over its run;
  - valid transactions submitted meanwhile commit OK, once, at the same place on the honest
    nodes, whose block ids and state roots agree; none halted;
  - node3's real laureld, started again with the same key, catches up by block sync (its
    budget is not spent for ever) and agrees.
"""

import os

from laurel_client import (Adversary, Testnet, build_tx_pool, byzantine_exe, check, log,
                           main_wrapper, metric_value, parse_args, send_all_ok)

HONEST = [0, 1, 2]
BYZ = 3
FLOOD_S = 12
TXS = 40
WAVES = 4
BATCH_BUDGET = 1024  # per peer and second (node/node_impl.h)
SYNC_BUDGET = 64
FETCH_BUDGET = 32
KINDS = ("fetch", "batch", "sync")  # fetch first: its budget is the newest


def refused(net, i, kind):
    return metric_value(net, i, "laurel_p2p_requests_refused_total", f'kind="{kind}"')


def test(args):
    os.environ["LAUREL_QUORUM_STORE"] = "1"
    exe = byzantine_exe(args)
    with Testnet(args, "request-flood") as net:
        net.init()
        pool = build_tx_pool(net.laurel, net.key("city-fed"), TXS)
        net.up()
        net.wait_progress(range(net.n), 2, 60)
        net.kill(BYZ)
        before = {i: {k: refused(net, i, k) for k in KINDS} for i in HONEST}

        acked = {}
        with Adversary(exe, net, BYZ, "request-flood",
                       ["--behaviour", "request-flood", "--seconds", str(FLOOD_S)]) as adv:
            adv.wait_connected(20)
            # Valid txs in waves through the flood; their batches are pushed to the adversary
            # too, which then asks for them again and again.
            for k in range(WAVES):
                wave = pool[k * TXS // WAVES:(k + 1) * TXS // WAVES]
                acked.update(send_all_ok(net, wave, HONEST))
            log(f"{len(acked)} valid txs committed OK during the flood")
            adv.finish(FLOOD_S + 30)
        line, got = adv.last_line("byzantine: requests done")
        log(line)
        check(all(got.get(f"{k}_requests_out", 0) > 0 for k in KINDS),
              f"the adversary did not send every kind of request: {got}")

        for i in HONEST:
            check(net.running(i), f"node{i} is not running:\n{net.log_tail(i)}")
            halted = net.log_lines(i, "HALT")
            check(not halted, f"node{i} halted: {halted[:3]}")
            moved = {k: refused(net, i, k) - before[i][k] for k in KINDS}
            log(f"node{i}: requests dropped over budget: " +
                ", ".join(f"{k} {moved[k]:.0f}" for k in KINDS))
            for k in KINDS:
                check(moved[k] > 0, f"node{i} dropped none of the flood's {k} requests")
        # Each window of a second lets through at most the budget, from each honest node; the
        # run spans at most FLOOD_S + 2 windows.
        windows = FLOOD_S + 2
        check(got.get("responses_full_in", 0) <= len(HONEST) * BATCH_BUDGET * windows,
              f"more batch answers than the budget allows: {got}")
        check(got.get("sync_responses_in", 0) <= len(HONEST) * SYNC_BUDGET * windows,
              f"more sync answers than the budget allows: {got}")
        check(got.get("fetch_responses_in", 0) <= len(HONEST) * FETCH_BUDGET * windows,
              f"more block fetch answers than the budget allows: {got}")

        net.wait_progress(HONEST, 2, 60)
        compared, upto = net.assert_acked_and_agreed(HONEST, acked)
        log(f"block ids and state roots agree on the honest nodes at heights 1..{upto}")

        # The real node3, same key, catches up by block sync after the flood.
        net.start(BYZ)
        top = max(net.heights(HONEST).values())
        net.wait_height([BYZ], top, 90, "node3 to catch up")
        compared, upto = net.assert_acked_and_agreed(list(range(net.n)), acked, timeout=60)
        log(f"node3 caught up; block ids and state roots agree on 4 nodes at 1..{upto}")


if __name__ == "__main__":
    a = parse_args(default_offset=430)
    main_wrapper(lambda: test(a))
