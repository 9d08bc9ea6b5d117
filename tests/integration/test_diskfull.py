"""A validator whose disk fills up while the network commits under load (docs/testing.md, "Disk
full"). Node3's data folder is a small tmpfs; mid-load it is filled to the last byte. Asserted:

  - the other three keep committing and acknowledging transactions;
  - node3 writes ONE critical line naming its store, the free bytes and the error, in English and
    简体中文, and then stands still: it stays up, commits and signs nothing (its height does not
    move; no validator ever logs EQUIVOCATION), keeps serving reads (status, blocks, txs),
    refuses new transactions at once, and answers 503 on /readyz naming the full disk, with
    laurel_ready 0 and laurel_store_free_bytes near 0 on /metrics;
  - once space is freed node3 resumes by itself (no one restarts it): it restarts from its store
    in the same process id, catches up, takes part again and is ready;
  - at the end every acknowledged tx is committed at the same place on all four, blocks and
    state roots agree, and `laurel audit` of node3 passes.

Needs root to mount the tmpfs; otherwise prints SKIP and exits 0."""

import errno
import os
import subprocess
import time

from laurel_client import (Load, Testnet, build_tx_pool, check, get_json, http, log, main_wrapper,
                           parse_args, post_tx, skip, wait_for)

RATE = 8.0          # tx/s offered
POOL = 640          # enough for the ~80 s of load
TMPFS_SIZE = "32m"  # below RocksDB's WAL preallocation, so appends need new pages
VICTIM = 3
FULL_MARK = "DISK FULL"
RESUME_MARK = "DISK SPACE BACK"


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
    for _ in range(50):
        if not os.path.ismount(path):
            return
        if subprocess.run(["umount", path], capture_output=True).returncode == 0:
            return
        time.sleep(0.1)
    subprocess.run(["umount", "-l", path], capture_output=True)


def main(args):
    if os.geteuid() != 0:
        skip("mounting a tmpfs needs root")
    with Testnet(args, "diskfull") as net:
        net.init()
        data = os.path.join(net.dir, f"node{VICTIM}", "data")
        os.makedirs(data)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE},mode=0700", "tmpfs",
                            data], capture_output=True, text=True)
        if r.returncode != 0:
            skip(f"cannot mount a tmpfs on {data}: {(r.stderr or r.stdout).strip()}")
        net.after_stop.append(lambda: unmount(data))
        run(net, data)


def run(net, data):
    pool = build_tx_pool(net.laurel, net.key("city-fed"), POOL)
    net.up()
    all_nodes = list(range(net.n))
    others = [i for i in all_nodes if i != VICTIM]
    pid = net.pids()[VICTIM]
    store = os.path.join(data, "db")
    load = Load(net, pool, all_nodes, rate=RATE, wait_timeout=10).start()
    try:
        net.wait_progress(all_nodes, 2, 30)
        check(net.metric(VICTIM, "laurel_store_free_bytes") > 1 << 20,
              "node3's laurel_store_free_bytes is not above 1 MiB before the fill")
        filler = os.path.join(data, "filler")
        t0 = time.monotonic()
        filled = fill(filler)
        load.set_live(others)
        log(f"filled node{VICTIM}'s {TMPFS_SIZE} tmpfs: {filled} bytes more, at height "
            f"{net.height(0)}")

        # It notices at its next write; space RocksDB frees meanwhile (an old WAL) is taken again.
        def stopped():
            check(net.running(VICTIM), f"node{VICTIM} exited on its full disk instead of standing "
                  f"still:\n{net.log_tail(VICTIM, 8)}")
            lines = net.log_lines(VICTIM, FULL_MARK)
            if not lines:
                fill(filler)
            return lines
        lines = wait_for(stopped, 30, f"node{VICTIM} to log '{FULL_MARK}'", interval=0.1)
        dt = time.monotonic() - t0
        log(f"MEASURED node{VICTIM} stopped {dt:.1f}s after its disk filled: {lines[0][:400]}")
        line = lines[0]
        check(store in line, f"the {FULL_MARK} line does not name the store {store}: {line}")
        check("bytes free" in line, f"the {FULL_MARK} line does not give the free bytes: {line}")
        check("No space left" in line, f"the {FULL_MARK} line does not give the error: {line}")
        check("磁盘已满" in line, f"the {FULL_MARK} line has no 简体中文: {line}")

        # Standing still: alive, serving reads, not ready, refusing txs, height frozen.
        h_stop = net.height(VICTIM)
        status, body = http("GET", net.url(VICTIM) + "/readyz", timeout=5)
        check(status == 503 and "disk full" in str(body),
              f"node{VICTIM} /readyz answered {status} {body}, not 503 naming the full disk")
        check(net.metric(VICTIM, "laurel_ready") == 0, "laurel_ready is not 0 on the full disk")
        # RocksDB may still free space after the stop (an obsolete WAL or file deleted): take it
        # again, as a disk that stays full would, and read the gauge until it shows it.
        def full_gauge():
            fill(filler)
            value = net.metric(VICTIM, "laurel_store_free_bytes")
            return (value,) if value < 1 << 20 else None  # a tuple: 0 bytes free is an answer
        (free,) = wait_for(full_gauge, 10, "laurel_store_free_bytes below 1 MiB on the full disk",
                           interval=0.5)
        b1 = get_json(f"{net.url(VICTIM)}/v1/blocks/{h_stop}")
        check(int(b1["height"]) == h_stop, f"node{VICTIM} /v1/blocks/{h_stop} answered {b1}")
        acked = load.snapshot()
        some_tx = next(iter(acked))
        status, obj = net.tx(VICTIM, some_tx)
        check(status == 200 and obj.get("status") == "committed",
              f"node{VICTIM} GET /v1/txs/{some_tx}: {status} {obj}")
        t1 = time.monotonic()
        status, obj = post_tx(net.url(VICTIM), pool[-1].json, wait=True, timeout=10)
        check(status == 503 and time.monotonic() - t1 < 5,
              f"node{VICTIM} answered a tx on its full disk with {status} {obj} after "
              f"{time.monotonic() - t1:.1f}s, not a prompt 503")
        log(f"node{VICTIM} on the full disk: /readyz 503 ({str(body)[:160]}), reads served, "
            f"tx refused ({obj}), free bytes {free:.0f}")

        # The other three keep committing and acknowledging.
        net.wait_progress(others, 3, 30)
        a0 = len(load.snapshot())
        wait_for(lambda: len(load.snapshot()) >= a0 + 3, 30,
                 f"txs to be acknowledged by nodes {others} with node{VICTIM} standing still")
        check(net.height(VICTIM) == h_stop,
              f"node{VICTIM} moved from height {h_stop} to {net.height(VICTIM)} on a full disk")
        check(len(net.log_lines(VICTIM, FULL_MARK)) == 1,
              f"node{VICTIM} logged '{FULL_MARK}' more than once: "
              f"{net.log_lines(VICTIM, FULL_MARK)}")
        log(f"nodes {others} kept committing; node{VICTIM} stayed at height {h_stop} and logged "
            f"one {FULL_MARK} line")

        # Space back: it resumes by itself.
        os.remove(filler)
        target = max(h for h in net.heights(others).values())
        t0 = time.monotonic()
        wait_for(lambda: net.log_lines(VICTIM, RESUME_MARK), 30,
                 f"node{VICTIM} to log '{RESUME_MARK}'")
        net.wait_height([VICTIM], target, 60, f"node{VICTIM} to catch up to height {target}")
        check(net.pids().get(VICTIM) == pid and net.running(VICTIM),
              f"node{VICTIM} is not the same running process (pid {pid})")
        log(f"MEASURED node{VICTIM} resumed by itself and reached height {target} "
            f"{time.monotonic() - t0:.1f}s after space was freed: "
            f"{net.log_lines(VICTIM, RESUME_MARK)[0][:300]}")
        load.set_live(all_nodes)
        net.wait_progress(all_nodes, 3, 30)
        wait_for(lambda: http("GET", net.url(VICTIM) + "/readyz", timeout=5)[0] == 200, 45,
                 f"node{VICTIM} to be ready again")
    finally:
        load.stop()

    acked = load.snapshot()
    compared, upto = net.assert_acked_and_agreed(all_nodes, acked)
    log(f"all {len(acked)} acknowledged txs are on every node; block_id and state_root agree on "
        f"all {net.n} nodes at heights 1..{upto} ({compared} heights); no EQUIVOCATION logged")
    r = subprocess.run([net.laurel, "audit", "--rpc", net.url(VICTIM)], capture_output=True,
                       text=True, timeout=300)
    check(r.returncode == 0, f"laurel audit of node{VICTIM} exited {r.returncode}: "
          f"{r.stdout[-800:]}{r.stderr[-800:]}")
    log(f"laurel audit of node{VICTIM}: {r.stdout.strip().splitlines()[-1][:200]}")


if __name__ == "__main__":
    a = parse_args(default_offset=230)
    main_wrapper(lambda: main(a))
