"""Four real nodes under a steady load of transactions (round-robin over the live nodes):
  - kill -9 one node: the other three keep committing; restart it: it catches up;
  - kill -9 two nodes: nothing commits and nothing diverges; restart one: commits resume;
  - wipe one node's data: it resyncs from its peers and agrees with them;
  - pause one node (SIGSTOP) and resume it: it drops the traffic that piled up in its sockets
    and catches up by block sync;
  - nothing lost: every tx acknowledged as committed (200 from ?wait=commit) is, at the end,
    committed at the same height and position with the same result on every node.
Measures tx/s under the load and the time a wiped node takes to resync.

A full disk is test_diskfull.py's."""

import os
import signal
import time

from laurel_client import (Load, Testnet, build_tx_pool, check, log, main_wrapper, parse_args,
                           wait_for)

RATE = 12.0     # tx/s offered
POOL = 1200     # enough for ~100 s at RATE


def test(args):
    with Testnet(args, "faults") as net:
        net.init()
        pool = build_tx_pool(net.laurel, net.key("city-fed"), POOL)
        net.up()
        all_nodes = list(range(net.n))
        load = Load(net, pool, all_nodes, rate=RATE).start()
        try:
            run(net, load, all_nodes)
        finally:
            load.stop()


def run(net, load, all_nodes):
    # Steady state.
    t0 = time.monotonic()
    h0 = net.height(0)
    time.sleep(8)
    t1 = time.monotonic()
    h1 = net.height(0)
    n_acked = load.acks_between(t0, t1)
    log(f"MEASURED steady load: offered {RATE:.0f} tx/s, committed {n_acked / (t1 - t0):.1f} tx/s, "
        f"{(h1 - h0) / (t1 - t0):.2f} blocks/s")
    check(n_acked > 0, f"no tx acknowledged in {t1 - t0:.0f}s of load "
          f"(sent {load.sent}, errors {load.errors})")

    # --- one node down ------------------------------------------------------------------------
    before_crash = load.snapshot()
    load.set_live([0, 1, 2])
    net.kill(3)
    t0 = time.monotonic()
    net.wait_progress([0, 1, 2], 5, 60)
    log(f"with node3 killed, nodes 0-2 committed 5 blocks in {time.monotonic() - t0:.1f}s")
    a0 = len(load.snapshot())
    wait_for(lambda: len(load.snapshot()) > a0, 30, "a tx to be acknowledged with node3 down")
    t0, h0, a0 = time.monotonic(), net.height(0), len(load.snapshot())
    time.sleep(10)
    t1, h1, a1 = time.monotonic(), net.height(0), len(load.snapshot())
    log(f"MEASURED one node down: {(a1 - a0) / (t1 - t0):.1f} tx/s, "
        f"{(h1 - h0) / (t1 - t0):.2f} blocks/s")

    target = max(h for h in net.heights([0, 1, 2]).values())
    t0 = time.monotonic()
    net.start(3)
    net.wait_height([3], target, 60, f"restarted node3 to catch up to height {target}")
    log(f"MEASURED restarted node3 (start-up included) reached the others' height {target} in "
        f"{time.monotonic() - t0:.1f}s")
    load.set_live(all_nodes)
    net.wait_progress(all_nodes, 3, 30)

    # --- two nodes down: no quorum --------------------------------------------------------------
    load.set_live([0, 1])
    net.kill(2)
    net.kill(3)
    # Let whatever was certified before the crash settle.
    time.sleep(4)
    stalled = net.heights([0, 1])
    acks_stalled = len(load.snapshot())
    time.sleep(8)
    after = net.heights([0, 1])
    log(f"with nodes 2 and 3 killed: heights {stalled} -> {after} over 8s")
    check(after == stalled, f"commits with only 2 of 4 validators up: heights {stalled} -> {after}")
    check(len(load.snapshot()) == acks_stalled,
          "a tx was acknowledged as committed while only 2 of 4 validators were up")
    compared = net.assert_same_blocks([0, 1], min(after.values()))
    log(f"no divergence between node0 and node1 over {compared} heights")

    net.start(2)
    load.set_live([0, 1, 2])
    t0 = time.monotonic()
    net.wait_progress([0, 1, 2], 3, 60)
    log(f"node2 restarted: commits resumed, 3 blocks in {time.monotonic() - t0:.1f}s")
    net.start(3)
    target = max(h for h in net.heights([0, 1, 2]).values())
    net.wait_height([3], target, 60, f"node3 to catch up to height {target}")
    log(f"node3 restarted and caught up to height {target}")
    load.set_live(all_nodes)
    net.wait_progress(all_nodes, 3, 30)

    # --- wipe and resync -------------------------------------------------------------------------
    load.set_live([0, 2, 3])
    net.wipe(1)
    net.wait_progress([0, 2, 3], 3, 30)
    target = max(h for h in net.heights([0, 2, 3]).values())
    t0 = time.monotonic()
    net.start(1)
    net.wait_height([1], target, 120, f"wiped node1 to resync to height {target}")
    dt = time.monotonic() - t0
    log(f"MEASURED wiped node1 resynced {target} blocks in {dt:.1f}s (start-up included) "
        f"({target / max(dt, 1e-3):.0f} blocks/s)")
    load.set_live(all_nodes)
    net.wait_progress(all_nodes, 3, 30)

    # --- pause and resume (SIGSTOP / SIGCONT) ----------------------------------------------------
    # A stopped process keeps its sockets: its peers' frames pile up there. On waking it must drop
    # that backlog (its network thread sees it ran late) and catch up by block sync, not replay it.
    load.set_live([0, 1, 3])
    pid = net.pids()[2]
    with open(net.log_path(2), errors="replace") as f:
        log_before = len(f.read())
    os.kill(pid, signal.SIGSTOP)
    log("node2 paused (SIGSTOP)")
    try:
        net.wait_progress([0, 1, 3], 5, 30)
        time.sleep(6)
    finally:
        os.kill(pid, signal.SIGCONT)
    log("node2 resumed (SIGCONT)")
    target = max(h for h in net.heights([0, 1, 3]).values())
    t0 = time.monotonic()
    net.wait_height([2], target, 60, f"resumed node2 to catch up to height {target}")
    log(f"MEASURED resumed node2 reached the others' height {target} in "
        f"{time.monotonic() - t0:.1f}s")

    def frozen_line():
        with open(net.log_path(2), errors="replace") as f:
            return "this node was frozen for" in f.read()[log_before:]
    wait_for(frozen_line, 10, "node2 to log that it dropped the backlog of its pause")
    load.set_live(all_nodes)
    net.wait_progress(all_nodes, 3, 30)

    # --- stop the load; check agreement and that nothing acknowledged was lost -------------------
    load.stop()
    acked = load.snapshot()
    log(f"load: sent {load.sent}, acknowledged {len(acked)}, not acknowledged {load.errors} "
        f"(sent to a node that was killed, or timed out while there was no quorum)")
    check(len(before_crash) > 0, "nothing was acknowledged before the first crash")
    top = max(loc[0] for loc in acked.values())
    net.wait_height(all_nodes, top, 30)
    net.assert_txs_everywhere(all_nodes, acked)
    log(f"all {len(acked)} acknowledged txs ({len(before_crash)} of them before the first crash) "
        f"are on every node at the acknowledged height/position/result")
    upto = min(net.heights(all_nodes).values())
    compared = net.assert_same_blocks(all_nodes, upto)
    log(f"block_id and state_root agree on all {net.n} nodes at heights 1..{upto} "
        f"({compared} heights)")


if __name__ == "__main__":
    a = parse_args(default_offset=10)
    main_wrapper(lambda: test(a))
