"""Four real nodes under a steady load of transactions (round-robin over the live nodes):
  - kill -9 one node: the other three keep committing; restart it: it catches up;
  - kill -9 two nodes: nothing commits and nothing diverges; restart one: commits resume;
  - wipe one node's data: it resyncs from its peers and agrees with them;
  - pause one node (SIGSTOP) and resume it: it drops the traffic that piled up in its sockets
    and catches up by block sync;
  - nothing lost: every tx acknowledged as committed (200 from ?wait=commit) is, at the end,
    committed at the same height and position with the same result on every node.
Measures tx/s under the load and the time a wiped node takes to resync.

Then, on a second testnet, a full disk (test_disk_full; needs root to mount a tmpfs, skipped
otherwise; `--disk-only` runs it alone): one validator's data folder is a small tmpfs that is
filled up while it commits. It must stop by itself with exit code 74 and a HALT line naming its
store and the error; the other three keep committing and admitting; with space freed it restarts,
catches up, and no validator ever logs EQUIVOCATION."""

import ctypes
import errno
import os
import signal
import subprocess
import sys
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


# ------------------------------------------------------------------------------------------------
# A full disk

DISK_RATE = 8.0     # tx/s offered
DISK_POOL = 400     # enough for the ~45 s of load
TMPFS_SIZE = "32m"  # below RocksDB's WAL preallocation (~70 MB), so appends need new pages
PR_SET_CHILD_SUBREAPER = 36
EXIT_STORAGE_FAILURE = 74  # node/node_impl.h, docs/operator.md


def fill(path):
    """Appends zeros to `path` until the file system is full (ENOSPC); returns the bytes written."""
    written = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for size in (1 << 20, 1 << 12, 1):
            buf = bytes(size)
            while True:
                try:
                    n = os.write(fd, buf)
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break
                written += n
    finally:
        os.close(fd)
    return written


def unmount(path):
    """Unmounts `path` if it is a mount point: retried while busy, then lazily."""
    for _ in range(50):
        if not os.path.ismount(path):
            return
        if subprocess.run(["umount", path], capture_output=True).returncode == 0:
            return
        time.sleep(0.1)
    subprocess.run(["umount", "-l", path], capture_output=True)
    if os.path.ismount(path):
        log(f"could not unmount {path}")


def exit_code(pid):
    """The exit code of child `pid` once it has exited (it is reaped), else None."""
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return None
    if done == 0:
        return None
    return os.waitstatus_to_exitcode(status)


def test_disk_full(args):
    if os.geteuid() != 0:
        log("SKIP test_disk_full: mounting a tmpfs needs root")
        return
    # Nodes are started in the background by testnet/testnet and outlive it: as their subreaper
    # this process becomes their parent, and so learns the exit code of the one that halts.
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        log(f"SKIP test_disk_full: prctl(PR_SET_CHILD_SUBREAPER): {os.strerror(ctypes.get_errno())}")
        return
    with Testnet(args, "diskfull") as net:
        net.init()
        victim = 3
        data = os.path.join(net.dir, f"node{victim}", "data")
        os.makedirs(data)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE},mode=0700", "tmpfs",
                            data], capture_output=True, text=True)
        if r.returncode != 0:
            log(f"SKIP test_disk_full: cannot mount a tmpfs on {data}: "
                f"{(r.stderr or r.stdout).strip()}")
            return
        net.after_stop.append(lambda: unmount(data))
        try:
            run_disk_full(net, victim, data)
        finally:
            pid = net.pids().get(victim)
            if pid is not None and net.running(victim):
                net.kill(victim)
                exit_code(pid)
            unmount(data)


def run_disk_full(net, victim, data):
    pool = build_tx_pool(net.laurel, net.key("city-fed"), DISK_POOL)
    net.up()
    all_nodes = list(range(net.n))
    others = [i for i in all_nodes if i != victim]
    load = Load(net, pool, all_nodes, rate=DISK_RATE, wait_timeout=10).start()
    try:
        net.wait_progress(all_nodes, 2, 30)
        pid = net.pids()[victim]
        filler = os.path.join(data, "filler")
        t0 = time.monotonic()
        filled = fill(filler)
        load.set_live(others)
        log(f"filled node{victim}'s {TMPFS_SIZE} tmpfs: {filled} bytes more, at height "
            f"{net.height(0)}")

        # It stops by itself: the space RocksDB frees (an old WAL) is taken again at once.
        def halted():
            code = exit_code(pid)
            if code is None:
                fill(filler)
            return code is not None and (code,)
        (code,) = wait_for(halted, 30, f"node{victim} to stop on its full disk", interval=0.1)
        dt = time.monotonic() - t0
        with open(net.log_path(victim), errors="replace") as f:
            halts = [line.strip() for line in f if "HALT:" in line]
        check(code == EXIT_STORAGE_FAILURE,
              f"node{victim} exited with code {code}, not {EXIT_STORAGE_FAILURE}; HALT lines: "
              f"{halts}")
        store = os.path.join(data, "db")
        check(any(f"cannot write to the store at {store}" in h and "No space left" in h
                  for h in halts),
              f"node{victim}'s HALT line does not name its store ({store}) and the error: {halts}")
        log(f"MEASURED node{victim} stopped with exit code {code} {dt:.1f}s after its disk "
            f"filled: {halts[-1][:300]}")

        # The other three keep committing and admitting.
        net.wait_progress(others, 3, 30)
        a0 = len(load.snapshot())
        wait_for(lambda: len(load.snapshot()) >= a0 + 3, 30,
                 f"txs to be acknowledged by nodes {others} with node{victim} stopped")
        log(f"nodes {others} committed 3 blocks and acknowledged txs with node{victim} stopped")

        # Space freed: it restarts, catches up and takes part again.
        os.remove(filler)
        target = max(h for h in net.heights(others).values())
        t0 = time.monotonic()
        net.start(victim)
        net.wait_height([victim], target, 60, f"node{victim} to catch up to height {target}")
        log(f"MEASURED node{victim} restarted on a freed disk and reached height {target} in "
            f"{time.monotonic() - t0:.1f}s")
        load.set_live(all_nodes)
        net.wait_progress(all_nodes, 3, 30)
    finally:
        load.stop()

    acked = load.snapshot()
    check(acked, "no tx was acknowledged")
    top = max(loc[0] for loc in acked.values())
    net.wait_height(all_nodes, top, 30)
    net.assert_txs_everywhere(all_nodes, acked)
    upto = min(net.heights(all_nodes).values())
    compared = net.assert_same_blocks(all_nodes, upto)
    for i in all_nodes:
        with open(net.log_path(i), errors="replace") as f:
            bad = [line.strip() for line in f if "EQUIVOCATION" in line]
        check(not bad, f"node{i} logged equivocation: {bad[:3]}")
    log(f"all {len(acked)} acknowledged txs are on every node; block_id and state_root agree on "
        f"all {net.n} nodes at heights 1..{upto} ({compared} heights); no EQUIVOCATION logged")


if __name__ == "__main__":
    disk_only = "--disk-only" in sys.argv
    if disk_only:
        sys.argv.remove("--disk-only")
    a = parse_args(default_offset=10)
    if disk_only:
        main_wrapper(lambda: test_disk_full(a))
    else:
        main_wrapper(lambda: (test(a), test_disk_full(a)))
