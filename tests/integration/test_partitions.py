"""Network faults on a real 4-validator testnet: every validator runs in its own network namespace
(veth link to a bridge, its own address 10.231.7.(i+1)), and faults are iptables DROP rules
inside the namespaces. Under a light load of transactions, in turn:

  split 2|2        {0,1} | {2,3}: no side has a quorum (3 of 4), so nothing commits and
                   nothing diverges; healed, all four commit again
  isolate node3    {0,1,2} | {3}: the three keep committing, node3 stalls; healed, node3
                   catches up with them
  one-way 0->1     node0's packets to node1 are dropped (node1's to node0 pass): all four
                   keep committing
  mute node0       every packet node0 sends to a validator is dropped (it still hears them):
                   1, 2, 3 keep committing; healed, node0 catches up
  isolate, long    node2 isolated while the others commit many blocks, then reconnected: it
                   catches up by block sync

After each heal: every node commits again within HEAL_S, and at the end every node has the same
block ids and state roots at every height and every transaction acknowledged as committed is
committed at the same place on every node. Prints `MEASURED partition <scenario>: ...` lines
(time to resume, blocks caught up).

Needs root, `ip` (iproute2) and `iptables`; otherwise it is skipped (exit 0 with SKIP).
"""

import sys
import time

from laurel_client import (Load, build_tx_pool, check, log, main_wrapper, parse_args, wait_for)
from laurel_netns import NetnsTestnet, can_run

RATE = 5.0       # tx/s offered
POOL = 900
HEAL_S = 60      # after a heal, every node commits again within this
STALL_S = 30     # how long a fault without a quorum lasts (long enough for TCP to back off)
HOLD_S = 12      # the shortest time any other fault lasts


def stalled(net, nodes, seconds):
    """Asserts that no node of `nodes` commits more than one block (one may be in flight) in
    `seconds`."""
    h0 = net.heights(nodes)
    time.sleep(seconds)
    h1 = net.heights(nodes)
    for i in nodes:
        check(h0[i] is not None and h1[i] is not None, f"node{i} does not answer: {h0} {h1}")
        check(h1[i] <= h0[i] + 1, f"node{i} committed {h1[i] - h0[i]} blocks without a quorum "
              f"({h0[i]} -> {h1[i]})")
    return h1


def hold(net, name, nodes, blocks, seconds=HOLD_S, timeout=120):
    """Keeps a fault for at least `seconds` and until every node of `nodes` (the side with a
    quorum) has committed `blocks` more blocks; prints their commit rate meanwhile."""
    t0 = time.monotonic()
    h0 = net.heights(nodes)
    check(all(h is not None for h in h0.values()), f"nodes do not answer: {h0}")
    time.sleep(seconds)
    # Every node of `nodes` `blocks` above where it started (checked per node).
    wait_for(lambda: all((net.heights([i])[i] or 0) >= h0[i] + blocks for i in nodes), timeout,
             f"nodes {list(nodes)} to commit {blocks} blocks during {name} (from {h0})")
    h1 = net.heights(nodes)
    dt = time.monotonic() - t0
    rate = min(h1[i] - h0[i] for i in nodes) / dt
    log(f"MEASURED partition {name}: during the fault {list(nodes)} committed "
        f"{rate:.2f} blocks/s for {dt:.0f}s ({h0} -> {h1})")


def resumed(net, name, nodes, t_heal, blocks=3):
    hs = net.wait_progress(nodes, blocks, HEAL_S)
    log(f"MEASURED partition {name}: all of {list(nodes)} committed {blocks} more blocks "
        f"{time.monotonic() - t_heal:.1f}s after the heal (heights {hs})")
    return hs


def caught_up(net, name, laggard, others, t_heal):
    target = max(net.heights(others).values())
    h_before = net.height(laggard)
    net.wait_height([laggard], target, HEAL_S, f"node{laggard} to catch up to height {target}")
    log(f"MEASURED partition {name}: node{laggard} caught up {target - h_before} blocks "
        f"({h_before} -> {target}) {time.monotonic() - t_heal:.1f}s after the heal")


def run(net, load):
    allv = list(range(net.n))
    net.wait_progress(allv, 3, 30)

    # --- split 2|2: no quorum anywhere -------------------------------------------------------
    load.set_live([])
    net.partition([0, 1], [2, 3])
    time.sleep(2)  # a block in flight may still commit
    stalled(net, allv, STALL_S)
    net.heal()
    t = time.monotonic()
    load.set_live(allv)
    resumed(net, "split-2-2", allv, t)
    net.assert_same_blocks(allv)

    # --- isolate node3 ----------------------------------------------------------------------
    load.set_live([0, 1, 2])
    net.partition([0, 1, 2], [3])
    h3 = net.height(3)
    hold(net, "isolate-node3", [0, 1, 2], 5)
    check(net.height(3) <= h3 + 1, f"node3 committed alone ({h3} -> {net.height(3)})")
    net.heal()
    t = time.monotonic()
    caught_up(net, "isolate-node3", 3, [0, 1, 2], t)
    load.set_live(allv)
    resumed(net, "isolate-node3", allv, t)

    # --- one-way link 0 -> 1 ----------------------------------------------------------------
    net.drop(0, 1)
    log("one-way: node0's packets to node1 dropped")
    hold(net, "one-way-0-1", allv, 5)
    net.heal()
    t = time.monotonic()
    resumed(net, "one-way-0-1", allv, t)

    # --- mute node0: it hears everyone, nobody hears it -------------------------------------
    load.set_live([1, 2, 3])
    for j in (1, 2, 3):
        net.drop(0, j)
    log("mute: every packet node0 sends to a validator dropped")
    hold(net, "mute-node0", [1, 2, 3], 5)
    net.heal()
    t = time.monotonic()
    caught_up(net, "mute-node0", 0, [1, 2, 3], t)
    load.set_live(allv)
    resumed(net, "mute-node0", allv, t)

    # --- isolate node2 for long, then reconnect ----------------------------------------------
    load.set_live([0, 1, 3])
    net.partition([0, 1, 3], [2])
    hold(net, "isolate-long-node2", [0, 1, 3], 25, seconds=30, timeout=150)
    net.heal()
    t = time.monotonic()
    caught_up(net, "isolate-long-node2", 2, [0, 1, 3], t)
    load.set_live(allv)
    resumed(net, "isolate-long-node2", allv, t)


def test(args):
    why = can_run()
    if why:
        print(f"SKIP: {why}", flush=True)
        sys.exit(0)
    with NetnsTestnet(args, "partitions", prefix="lzp", bridge="lzpbr0",
                      subnet="10.231.7") as net:
        net.init()
        net.net_setup()
        net.bind_configs()
        pool = build_tx_pool(net.laurel, net.key("city-fed"), POOL)
        net.up()
        allv = list(range(net.n))
        load = Load(net, pool, allv, rate=RATE).start()
        try:
            run(net, load)
        finally:
            load.stop()
        acked = load.snapshot()
        check(len(acked) > 0, f"no tx acknowledged (sent {load.sent}, errors {load.errors})")
        compared = net.assert_same_blocks(allv)
        net.assert_txs_everywhere(allv, acked)
        log(f"MEASURED partition totals: {compared} heights agree on all 4 nodes; "
            f"{len(acked)} txs acknowledged, each committed at the same place on every node "
            f"(sent {load.sent}, not acknowledged {load.errors})")


if __name__ == "__main__":
    main_wrapper(lambda: test(parse_args(130)))
