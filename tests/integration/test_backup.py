"""Backup and restore on a running testnet (docs/operator.md, "Backup and restore").

node3 is backed up with `laureld backup` while all four nodes commit transactions under load.
The chain moves on (node3 keeps voting, in rounds its backup does not know). node3 is stopped;
`laureld restore` refuses its non-empty data folder and leaves it as it was; restored into a
fresh folder, node3 starts fenced: it signs nothing (no consensus round) and follows by block
sync, until a block proposed after its fence wait commits; then it resumes voting only above
every round it can have signed in before (above the round it was in when stopped). It catches
up, and every node agrees on every block id and state root."""

import json
import os
import re
import shutil
import subprocess
import time

from laurel_client import (Load, Testnet, as_int, build_tx_pool, check, log, main_wrapper,
                           parse_args, wait_for)

TXS = 240
FENCE_SECONDS = 2
PROPOSER_CLOCK_AHEAD = 30  # node/restore_fence.h: kProposerClockAheadMs


def laureld(net, *args, timeout=60):
    return subprocess.run([os.path.join(net.bin, "laureld"), *map(str, args)],
                          capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def test(args):
    with Testnet(args, "backup") as net:
        net.init()
        node3 = os.path.join(net.dir, "node3")
        with open(os.path.join(node3, "node.toml"), "a") as f:
            f.write('\n[admin]\nbackup_dir = "backups"\n')
        pool = build_tx_pool(net.laurel, net.key("city-fed"), TXS)
        net.up()
        load = Load(net, pool, range(net.n), rate=12.0, workers=12).start()
        net.wait_progress(range(net.n), 3, 60)
        wait_for(lambda: len(load.snapshot()) >= 10, 60, "the load to commit 10 txs")

        # A node without [admin] backup_dir has no backup route.
        r = laureld(net, "backup", "--rpc", net.url(0), "--name", "nope")
        check(r.returncode == 1 and "404" in r.stderr,
              f"backup from node0 (no backup_dir): rc {r.returncode} {r.stderr}")
        r = laureld(net, "backup", "--config", os.path.join(net.dir, "node0", "node.toml"))
        check(r.returncode == 2 and "backup_dir" in r.stderr, f"rc {r.returncode} {r.stderr}")

        # The backup, under load.
        t0 = time.monotonic()
        r = laureld(net, "backup", "--config", os.path.join(node3, "node.toml"), "--name", "b1")
        check(r.returncode == 0, f"laureld backup: rc {r.returncode}\n{r.stdout}{r.stderr}")
        m = json.loads(r.stdout)
        acked_at_backup = len(load.snapshot())
        log(f"MEASURED backup of node3 at height {m['height']} in {time.monotonic() - t0:.2f}s: "
            f"last voted round {m['last_voted_round']}, state root {m['state_root'][:16]}")
        bdir = os.path.join(node3, "backups", "b1")
        check(m["dir"] == bdir and os.path.isfile(os.path.join(bdir, "manifest.json")),
              f"backup folder {m['dir']}")
        check(m["height"] >= 3 and m["has_safety_record"] and m["last_voted_round"] > 0,
              f"manifest {m}")
        net.wait_height([0], m["height"], 30)  # node0 may be a block behind node3
        b = net.block(0, m["height"])
        check(b["block_id"] == m["block_id"] and b["state_root"] == m["state_root"],
              f"manifest {m} vs node0's block {b}")
        r = laureld(net, "backup", "--config", os.path.join(node3, "node.toml"), "--name", "b1")
        check(r.returncode == 1 and "409" in r.stderr, f"second b1: rc {r.returncode} {r.stderr}")
        # --to moves a backup out of the node's folder.
        offsite = os.path.join(net.dir, "offsite", "b2")
        os.makedirs(os.path.dirname(offsite))
        r = laureld(net, "backup", "--config", os.path.join(node3, "node.toml"), "--name", "b2",
                    "--to", offsite)
        check(r.returncode == 0 and json.loads(r.stdout)["dir"] == offsite,
              f"backup --to: rc {r.returncode} {r.stdout} {r.stderr}")
        check(os.path.isfile(os.path.join(offsite, "manifest.json")) and
              os.path.isdir(os.path.join(offsite, "db")) and
              not os.path.exists(os.path.join(node3, "backups", "b2")), "backup --to left")
        r = laureld(net, "backup", "--config", os.path.join(node3, "node.toml"), "--to", offsite)
        check(r.returncode == 1 and "already exists" in r.stderr, f"rc {r.returncode} {r.stderr}")

        # node3 goes on voting after the backup; then it is stopped.
        net.wait_progress(range(net.n), 6, 90)
        check(len(load.snapshot()) > acked_at_backup, "no tx committed after the backup")
        round_at_stop = as_int(net.status(3)["round"])
        net.kill(3)
        load.set_live([0, 1, 2])
        stopped_height = net.height(0)
        log(f"node3 stopped in round {round_at_stop}; the backup's last voted round was "
            f"{m['last_voted_round']}")
        check(round_at_stop > m["last_voted_round"], "node3 did not vote after the backup")

        # Restore refuses the non-empty data folder and changes nothing in it.
        data = os.path.join(node3, "data")
        before = sorted(os.listdir(os.path.join(data, "db")))
        r = laureld(net, "restore", "--from", bdir, "--data", data)
        check(r.returncode == 1 and "not empty" in r.stderr, f"rc {r.returncode} {r.stderr}")
        check(sorted(os.listdir(os.path.join(data, "db"))) == before, "restore touched data/db")
        # Not a backup.
        r = laureld(net, "restore", "--from", node3, "--data", os.path.join(node3, "fresh"))
        check(r.returncode == 1 and "manifest" in r.stderr, f"rc {r.returncode} {r.stderr}")
        check(not os.path.exists(os.path.join(node3, "fresh")), "a refused restore left files")

        shutil.move(data, os.path.join(node3, "data.old"))
        r = laureld(net, "restore", "--from", bdir, "--data", data,
                    "--fence-seconds", FENCE_SECONDS)
        check(r.returncode == 0, f"laureld restore: rc {r.returncode}\n{r.stdout}{r.stderr}")
        log(r.stdout.strip())

        t_start = time.monotonic()
        net.start(3)
        # Fenced: it follows (its height grows past the backup) but runs no consensus round.
        wait_for(lambda: (net.height(3) or 0) > m["height"], 60, "node3 to sync past its backup")
        st = net.status(3)
        check(as_int(st["round"]) == 0, f"node3 runs consensus at once: {st}")
        log(f"node3 at height {st['height']} {time.monotonic() - t_start:.1f}s after start, "
            f"round {st['round']} (0: no consensus engine, fenced)")

        def lifted():
            with open(net.log_path(3)) as f:
                mt = re.search(r"fence is lifted, votes resume above round (\d+)", f.read())
            return mt and int(mt.group(1))
        # While fenced it follows the chain without consensus.
        time.sleep(10)
        st = net.status(3)
        check(as_int(st["round"]) == 0 and as_int(st["height"]) > as_int(m["height"]) + 10,
              f"node3 10 s after start: {st}")
        resume = wait_for(lifted, 120, "node3's restore fence to lift")
        waited = time.monotonic() - t_start
        log(f"MEASURED fence lifted {waited:.1f}s after start; votes resume above round {resume} "
            f"(node3 was in round {round_at_stop} when stopped)")
        with open(net.log_path(3)) as f:
            text = f.read()
        check("[restore] restored from a backup" in text, "no fence warning in node3's log")
        check(waited >= FENCE_SECONDS + PROPOSER_CLOCK_AHEAD,
              f"fence lifted after {waited:.1f}s < {FENCE_SECONDS + PROPOSER_CLOCK_AHEAD}s")
        # The safety property: no signature in a round node3 may already have signed in.
        check(resume > round_at_stop, f"node3 resumes voting above round {resume}, but it was "
              f"in round {round_at_stop} when stopped: it could sign twice")

        # Back in consensus, and caught up with the others.
        load.set_live(range(net.n))
        wait_for(lambda: as_int(net.status(3)["round"]) > resume, 60,
                 "node3 to run consensus past its resume round")
        net.wait_progress(range(net.n), 3, 90)
        load.stop()
        acked = load.snapshot()
        log(f"load: {len(acked)} txs committed, {load.errors} errors")
        check(len(acked) > acked_at_backup + 20, f"only {len(acked)} txs committed under load "
              f"({acked_at_backup} before the backup)")
        top = max(loc[0] for loc in acked.values())
        net.wait_height(range(net.n), max(top, stopped_height), 60)
        upto = min(net.height(i) for i in range(net.n))
        n = net.assert_same_blocks(range(net.n), upto)
        log(f"block ids and state roots agree on all 4 nodes at heights 1..{upto} ({n} heights)")
        net.assert_txs_everywhere(range(net.n), acked)


if __name__ == "__main__":
    a = parse_args(default_offset=190)
    main_wrapper(lambda: test(a))
