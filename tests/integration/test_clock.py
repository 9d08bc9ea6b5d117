"""One validator with a wrong clock (docs/testing.md, "Clock faults"). Node3 is restarted under
libfaketime (LD_PRELOAD; its wall clock only, the monotonic clock is left alone) five minutes
ahead, then five minutes behind, while nodes 0-2 commit a steady load with correct clocks.
Asserted in each phase:

  - liveness and agreement: all four keep committing (node3 follows the certified chain);
  - every block committed meanwhile is stamped no earlier than its parent and within 30 s (plus
    the test's polling slack) of the correct clocks at the time it was committed: node3 neither
    pushes block time ahead (ahead: no one votes for its blocks, the rounds it leads time out)
    nor holds it back by more than its parent's time (behind: its blocks carry the parent's time).
    Node3 votes for no one's block, so the election passes it over except in the round-robin
    rounds after a timeout: node1 is paused for 3 s a few times per phase to make such rounds,
    and the timeouts and parent-stamped blocks are reported (MEASURED), not asserted;
  - node3 knows its clock is off: /readyz answers 503 naming the offset,
    laurel_clock_offset_seconds is about +-300, and its log says so once;
  - a gate asking node3 is warned: for a credential valid from two minutes ahead, node0 answers
    NOT_YET_VALID with ready true; node3, five minutes ahead, answers VALID with ready false.
Then node3 gets its clock back, becomes ready and votes again. Last, node3 is backed up, restored
and started 5 min behind: it keeps its restore fence (says its clock is behind) for 45 s, where a
true clock lifts it after about 32 s; restarted with its clock fixed, the fence lifts. At the end
every acknowledged tx is on every node at the same place, blocks and state roots agree, no
EQUIVOCATION is logged.

Node3 runs laureld-sysmalloc (laureld on the C library's allocator; libfaketime deadlocks in
jemalloc's start-up). Needs libfaketime (Debian package faketime) and that binary; otherwise
prints SKIP and exits 0."""

import base64
import hashlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time

from laurel_client import (Load, Testnet, TestFailure, as_int, build_tx_pool, check, get_json, http,
                           log, main_wrapper, parse_args, post_tx, skip, wait_for)

RATE = 6.0          # tx/s offered to nodes 0-2
POOL = 900          # enough for the whole run
PHASE_S = 30        # seconds observed in each phase
SKEW_S = 300        # node3's clock offset, either way
BOUND_MS = 30_000   # consensus::Engine::kMaxBlockTimeAheadMs / kMaxBlockTimeBehindMs
SLACK_MS = 3_000    # polling interval, commit latency
SKEWED = 3
NUDGES = 3          # pauses of node1 per phase, each making round-robin rounds node3 may lead
LIBS = ["/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1",
        "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"]


def now_ms():
    return int(time.time() * 1000)


def skewed_bin(net, lib, offset):
    """A folder for testnet/testnet's LAUREL_BIN whose `laureld` runs the node with its wall
    clock `offset` under libfaketime (only laureld: the testnet script keeps the true clock). It
    runs laureld-sysmalloc, the same node on the C library's allocator: libfaketime deadlocks in
    jemalloc's start-up."""
    folder = os.path.join(net.dir, f"bin{offset}")
    os.makedirs(folder, exist_ok=True)
    if not os.path.lexists(os.path.join(folder, "laurel")):
        os.symlink(net.laurel, os.path.join(folder, "laurel"))
    wrapper = os.path.join(folder, "laureld")
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\n"
                f"exec env LD_PRELOAD={lib} FAKETIME={offset} FAKETIME_DONT_FAKE_MONOTONIC=1 "
                f"{os.path.join(net.bin, 'laureld-sysmalloc')} \"$@\"\n")
    os.chmod(wrapper, 0o755)
    return folder


def start_skewed(net, lib, offset, kill=True):
    """Restarts node3 with its wall clock `offset` ("+5m", "-5m", or None for the true clock)."""
    if kill:
        net.kill(SKEWED)
    env = dict(net.env)
    if offset:
        env["LAUREL_BIN"] = skewed_bin(net, lib, offset)
    r = subprocess.run([net.script, "start", str(SKEWED)], env=env, capture_output=True,
                       text=True, timeout=60, stdin=subprocess.DEVNULL)
    check(r.returncode == 0, f"testnet start {SKEWED} exited {r.returncode}: {r.stdout}{r.stderr}")
    log(f"started node{SKEWED} with its clock {offset or 'true'}")


def issue_future_credential(net, valid_in_s):
    """Commits (via node0) a credential of city-fed valid from `valid_in_s` seconds ahead;
    returns (credential_id, card digest hex)."""
    digest = secrets.token_bytes(32)
    cid = f"city-fed/clock/{secrets.token_hex(4)}"
    now = int(time.time())
    body = {"chain_id": "laurel-local", "issue_credential": {
        "credential_id": cid, "issuer_id": "city-fed", "type": "MODEL_WORKER", "level": "MUNICIPAL",
        "card_digest": base64.b64encode(digest).decode(),
        "valid_from": now + valid_in_s, "valid_until": now + 365 * 86400}}
    built = subprocess.run([net.laurel, "tx", "build", "--in", "-", "--out", "-"],
                           input=json.dumps(body).encode(), capture_output=True, timeout=30)
    check(built.returncode == 0, f"laurel tx build: {built.stderr.decode()}")
    signed = subprocess.run([net.laurel, "tx", "sign", "--in", "-", "--key", net.key("city-fed"),
                             "--out", "-"], input=built.stdout, capture_output=True, timeout=30)
    check(signed.returncode == 0, f"laurel tx sign: {signed.stderr.decode()}")
    status, obj = post_tx(net.url(0), signed.stdout, wait=True, timeout=30)
    check(status == 200 and obj.get("status") == "committed",
          f"the future credential was not committed: {status} {obj}")
    return cid, digest.hex()


def verify_status(net, i, cid, digest_hex, key_version):
    body = json.dumps({"credential_id": cid, "issuer_id": "city-fed", "key_version": key_version,
                       "card_digest": digest_hex}).encode()
    status, obj = http("POST", net.url(i) + "/v1/verify/status", body,
                       {"Content-Type": "application/json"})
    check(status == 200, f"node{i} /v1/verify/status: HTTP {status} {obj}")
    return obj


def observe(net, seconds):
    """Polls node0's height for `seconds`; returns {height: first time (ms) it was seen}."""
    seen = {}
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            h = net.height(0)
        except Exception:
            h = None
        if h is not None and h not in seen:
            seen[h] = now_ms()
        time.sleep(0.2)
    return seen


def check_block_times(net, seen, what):
    """Block times of the heights in `seen` (and their parents): monotonic, and within the bound
    of the true clock at commit. Returns (blocks, blocks stamped as their parent)."""
    heights = sorted(seen)
    lo, hi = heights[0], heights[-1]
    times = {h: as_int(net.block(0, h)["time_ms"]) for h in range(lo, hi + 1)}
    frozen = 0
    for h in range(lo + 1, hi + 1):
        check(times[h] >= times[h - 1], f"{what}: block {h} stamped {times[h]} before its parent "
              f"({times[h - 1]})")
        frozen += times[h] == times[h - 1]
    for h in heights[1:]:  # the first was committed before observing began
        t = times[h]
        check(t <= seen[h] + BOUND_MS + SLACK_MS,
              f"{what}: block {h} stamped {t - seen[h]} ms after it was seen committed "
              f"(bound {BOUND_MS} ms)")
        check(t >= seen[h] - BOUND_MS - SLACK_MS,
              f"{what}: block {h} stamped {seen[h] - t} ms before it was seen committed "
              f"(bound {BOUND_MS} ms)")
    spread = [seen[h] - times[h] for h in heights[1:]]
    log(f"{what}: {hi - lo} blocks {lo + 1}..{hi}, monotonic; seen committed {min(spread)}.."
        f"{max(spread)} ms after their stamp; {frozen} stamped with their parent's time")
    return hi - lo, frozen


def phase(net, lib, offset, sign, cred, key_version):
    label = f"node{SKEWED} {offset}"
    start_skewed(net, lib, offset)
    net.wait_height([SKEWED], net.height(0), 60, f"{label} to catch up")
    t0_timeouts = net.metric(0, "laurel_timeouts_total")
    t_start = time.monotonic()
    seen = observe(net, PHASE_S // 2)
    # Node3 votes for no one's block, so the election (the signers of the last QC, docs/spec/
    # consensus.md §4a) passes it over; it leads only in the round-robin rounds after a timeout.
    # Pausing node1 for 3 s (no quorum meanwhile) makes such rounds, a few times.
    pid1 = net.pids()[1]
    for _ in range(NUDGES):
        os.kill(pid1, signal.SIGSTOP)
        time.sleep(3)
        os.kill(pid1, signal.SIGCONT)
        seen.update({h: t for h, t in observe(net, 4).items() if h not in seen})
    seen.update({h: t for h, t in observe(net, PHASE_S // 2).items() if h not in seen})
    blocks, frozen = check_block_times(net, seen, label)
    timeouts = net.metric(0, "laurel_timeouts_total") - t0_timeouts
    elapsed = time.monotonic() - t_start
    rate = blocks / elapsed
    check(blocks >= PHASE_S // 3, f"{label}: only {blocks} blocks in {elapsed:.0f} s")
    h0 = net.height(0)
    net.wait_height([SKEWED], h0, 15, f"{label} to follow the chain to height {h0}")

    # It knows its clock is off, and says so.
    direction = "ahead of" if sign > 0 else "behind"
    answers = []

    def clock_named():
        status, body = http("GET", net.url(SKEWED) + "/readyz", timeout=5)
        answers.append((status, body))
        return status == 503 and f"s {direction} the chain" in str(body) and (status, body)
    # Between commits it may briefly say "syncing" first (it follows a few blocks behind).
    try:
        status, body = wait_for(clock_named, 15, "the clock reason", interval=0.5)
    except TestFailure:
        raise TestFailure(f"{label}: /readyz never answered 503 naming its clock {direction}: "
                          f"last answers {answers[-3:]}")
    off = net.metric(SKEWED, "laurel_clock_offset_seconds")
    check(abs(off - sign * SKEW_S) < 30, f"{label}: laurel_clock_offset_seconds is {off}")
    warned = [line for line in net.log_lines(SKEWED, f"s {direction} the chain")]
    check(len(warned) == 1, f"{label}: {len(warned)} clock warnings logged: {warned[:3]}")

    # What a gate hears from it.
    v0 = verify_status(net, 0, *cred, key_version)
    v3 = verify_status(net, SKEWED, *cred, key_version)
    check(v0.get("reason") == "NOT_YET_VALID" and v0.get("ready") is True,
          f"node0 on a credential valid in two minutes: {v0}")
    check(abs(as_int(v3.get("time")) - time.time() - sign * SKEW_S) < 30,
          f"{label}: verify's `time` {v3.get('time')} is not {offset} from the true clock")
    expected = "VALID" if sign > 0 else "NOT_YET_VALID"
    check(v3.get("reason") == expected and v3.get("ready") is False,
          f"{label} on a credential valid in two minutes: {v3} (expected {expected}, not ready)")
    log(f"MEASURED clock {label}: {blocks} blocks in {elapsed:.0f} s ({rate:.1f}/s, with "
        f"{NUDGES} pauses of node1 of 3 s), node0 timeouts "
        f"{timeouts:.0f}, {frozen} blocks stamped with their parent's time; /readyz: "
        f"{str(body)[:120]}; offset metric {off:.0f} s; verify at node{SKEWED}: "
        f"{v3.get('reason')} ready={v3.get('ready')}")
    return rate, timeouts, frozen


def restore_behind(net, lib):
    """A validator restored from a backup on a machine whose clock is 5 min behind keeps its
    restore fence (it cannot tell how long it has waited) and says why; with its clock fixed and
    restarted, the fence lifts as usual. Before FenceClockBehind, its fence lifted at once: the
    blocks of the minutes before its start looked 30 s + --fence-seconds newer than its start."""
    node3 = os.path.join(net.dir, f"node{SKEWED}")
    laureld = os.path.join(net.bin, "laureld")
    r = subprocess.run([laureld, "backup", "--config", os.path.join(node3, "node.toml"), "--name",
                        "b1"], capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, f"laureld backup: rc {r.returncode} {r.stdout}{r.stderr}")
    net.wait_progress([0], 20, 30)  # the chain moves on past the backup
    net.kill(SKEWED)
    data = os.path.join(node3, "data")
    os.rename(data, os.path.join(node3, "data.old"))
    r = subprocess.run([laureld, "restore", "--from", os.path.join(node3, "backups", "b1"),
                        "--data", data, "--fence-seconds", "2"], capture_output=True, text=True,
                       timeout=60)
    check(r.returncode == 0, f"laureld restore: rc {r.returncode} {r.stdout}{r.stderr}")
    t0 = time.monotonic()
    start_skewed(net, lib, f"-{SKEW_S // 60}m", kill=False)
    behind = wait_for(lambda: net.log_lines(SKEWED, "the clock is behind the validators'"), 30,
                      f"node{SKEWED}, restored with its clock behind, to say so")
    # Correct clocks lift it about 32 s after the start; it must still hold well after that.
    while time.monotonic() - t0 < 45:
        check(not net.log_lines(SKEWED, "fence is lifted"),
              f"node{SKEWED} lifted its restore fence {time.monotonic() - t0:.1f}s after starting "
              f"with its clock {SKEW_S} s behind")
        time.sleep(1)
    check(net.metric(SKEWED, "laurel_restore_fenced") == 1, "node3 is not fenced")
    log(f"MEASURED restored node{SKEWED} with its clock behind still fenced after "
        f"{time.monotonic() - t0:.0f}s: {behind[0][:240]}")
    start_skewed(net, lib, None)
    t1 = time.monotonic()
    wait_for(lambda: net.log_lines(SKEWED, "fence is lifted"), 90,
             f"node{SKEWED}'s fence to lift with its clock fixed")
    log(f"MEASURED with its clock fixed node{SKEWED}'s fence lifted "
        f"{time.monotonic() - t1:.1f}s after its restart")


def main(args, restore_only=False):
    lib = next((p for p in LIBS if os.path.exists(p)), None)
    if lib is None:
        skip("libfaketime is not installed (Debian package faketime)")
    if not os.access(os.path.join(args.bin, "laureld-sysmalloc"), os.X_OK):
        skip(f"{args.bin}/laureld-sysmalloc is missing (built with jemalloc only)")
    with Testnet(args, "clock") as net:
        net.init()
        with open(os.path.join(net.dir, f"node{SKEWED}", "node.toml"), "a") as f:
            f.write('\n[admin]\nbackup_dir = "backups"\n')
        pool = build_tx_pool(net.laurel, net.key("city-fed"), POOL)
        net.up()
        all_nodes = list(range(net.n))
        honest = [0, 1, 2]
        key_version = as_int(get_json(net.url(0) + "/v1/issuers/city-fed")["current_key_version"])
        load = Load(net, pool, honest, rate=RATE, wait_timeout=20).start()
        if restore_only:
            try:
                net.wait_progress(all_nodes, 2, 30)
                restore_behind(net, lib)
            finally:
                load.stop()
            return
        try:
            net.wait_progress(all_nodes, 2, 30)
            t_base = time.monotonic()
            seen = observe(net, PHASE_S // 2)
            base, _ = check_block_times(net, seen, "all clocks true")
            base_rate = base / (time.monotonic() - t_base)
            cred = issue_future_credential(net, 120)
            ahead = phase(net, lib, f"+{SKEW_S // 60}m", +1, cred, key_version)
            behind = phase(net, lib, f"-{SKEW_S // 60}m", -1, cred, key_version)
            # The clock fixed: node3 is ready again (it votes: the chain stays within bounds).
            start_skewed(net, lib, None)
            wait_for(lambda: http("GET", net.url(SKEWED) + "/readyz", timeout=5)[0] == 200, 60,
                     f"node{SKEWED} to be ready with its clock fixed")
            net.wait_progress(all_nodes, 3, 30)
            restore_behind(net, lib)
            net.wait_progress(all_nodes, 3, 60)
            log(f"MEASURED blocks/s: true clocks {base_rate:.1f} (no pauses); node3 ahead "
                f"{ahead[0]:.1f} ({ahead[1]:.0f} timeouts), node3 behind {behind[0]:.1f} "
                f"({behind[1]:.0f} timeouts, {behind[2]} blocks stamped with their parent's "
                f"time), both with {NUDGES} pauses of node1")
        finally:
            load.stop()
        acked = load.snapshot()
        compared, upto = net.assert_acked_and_agreed(all_nodes, acked)
        log(f"all {len(acked)} acknowledged txs are on every node; block_id and state_root agree "
            f"on all {net.n} nodes at heights 1..{upto} ({compared} heights)")


if __name__ == "__main__":
    only = "--restore-only" in sys.argv  # just the restore with a clock behind
    if only:
        sys.argv.remove("--restore-only")
    a = parse_args(default_offset=240)
    main_wrapper(lambda: main(a, only))
