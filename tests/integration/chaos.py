"""laurel's chaos campaign (docs/testing.md, "Chaos campaign"): a real 4-validator testnet under a
steady load of issuance transactions and a random sequence of faults drawn from a seed.

Fault kinds (one faulty node at a time, except `split`):
  kill      kill -9 a node, then start it again
  pause     SIGSTOP a node, then SIGCONT
  restart   SIGTERM a node (it must stop by itself), then start it again
  wipe      stop a node and delete its data; started again, it must resync from its peers
  isolate   cut one node off from the other three (1|3)               (network namespaces)
  oneway    drop every packet one node sends to one other node          (network namespaces)
  split     2|2: no side has a quorum; no progress expected, safety must hold (namespaces)
  delay     fixed delay + jitter on a node's outgoing frames            (transport hook)
  loss      a node drops a share of its outgoing frames                 (transport hook)
  reorder   a node sends some of its outgoing frames late, out of order (transport hook)

The namespace kinds need root, `ip` and `iptables` (otherwise they are skipped with a SKIP note);
the frame-level kinds need a laureld that knows --allow-fault-injection (node/net/fault_injection.h).

Checked: during a fault with one faulty node, the other three keep committing; during a split,
no node commits more than the one block that may be in flight; after each fault, every node
commits again and the faulted node catches up (the time it takes is the fault's recovery time).
At checkpoints and at the end: every node has the same block id and state root at every height,
every transaction acknowledged as committed is in the chain exactly once at the acknowledged
height and position on every node, no transaction is in the chain twice, and `laurel audit`
passes. The first violation ends the campaign (exit 1) with its name and the replay command.
"""

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from laurel_client import (DEFAULT_REPO, Load, Testnet, TestFailure, as_int,  # noqa: E402
                           build_issue_tx, check, get_json, http, log, result_code, wait_for)
from laurel_netns import NetnsTestnet, can_run  # noqa: E402

PROCESS_KINDS = ("kill", "pause", "restart", "wipe")
NETNS_KINDS = ("isolate", "oneway", "split")
HOOK_KINDS = ("delay", "loss", "reorder", "flaky")
ALL_KINDS = PROCESS_KINDS + NETNS_KINDS + HOOK_KINDS
# Relative weights of the kinds when drawing a manifest.
WEIGHTS = {"kill": 3, "pause": 2, "restart": 2, "wipe": 1, "isolate": 2, "oneway": 1, "split": 1,
           "delay": 2, "loss": 2, "reorder": 2, "flaky": 2}
# Seconds a fault takes at least beyond its gap and hold time (recovery, checks), to size a
# manifest: an underestimate, so that a manifest outlasts its campaign, which stops at its time.
OVERHEAD_S = {"wipe": 4, "kill": 2, "restart": 2}
DEFAULT_OVERHEAD_S = 0.5
SETUP_S = 45          # testnet start-up and final checks, budgeted out of the campaign's minutes

RATE = 4.0            # tx/s offered
LIVENESS_S = 30       # with one faulty node, the other three commit a block within this
RECOVER_S = 90        # after a fault ends, everyone commits again and the laggard catches up
WIPE_RECOVER_S = 300  # a wiped node replays the whole chain: tens of thousands of blocks
STALL_SETTLE_S = 3    # after a split starts, a block in flight may still commit
CHECKPOINT_EVERY = 3  # faults between two checkpoints
FAULT_FILE = "faults.json"
MANIFEST_VERSION = 1


class Violation(Exception):
    """A broken guarantee: `name` is short and stable (e.g. "divergence", "lost-tx")."""

    def __init__(self, name, message, fault=None):
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message
        self.fault = fault


# ------------------------------------------------------------------------------------------------
# Manifests


def make_manifest(seed, minutes, kinds=ALL_KINDS, n=4):
    """A scenario from `seed`: faults with their nodes, hold times, gaps and parameters, enough
    to fill about `minutes` of campaign. Same seed and minutes, same manifest."""
    rng = random.Random(seed)
    pool = [k for k in kinds for _ in range(WEIGHTS[k])]
    # A short campaign (under 5 minutes, e.g. the ctest one) holds its faults shorter, to fit more.
    short = minutes < 5
    hold_lo, hold_hi = (4.0, 10.0) if short else (6.0, 20.0)
    gap_hi = 3.0 if short else 6.0
    faults = []
    budget = max(60.0, minutes * 60.0 - SETUP_S)
    spent = 0.0
    while spent < 1.5 * budget or not faults:  # half again as many: a campaign stops at its time
        kind = rng.choice(pool)
        node = rng.randrange(n)
        f = {"id": len(faults) + 1, "kind": kind, "node": node,
             "gap_s": round(rng.uniform(1.0, gap_hi), 1),
             "hold_s": round(rng.uniform(hold_lo, hold_hi), 1)}
        if kind == "restart":
            f["hold_s"] = round(rng.uniform(0.0, 4.0), 1)
        elif kind == "split":
            others = [j for j in range(n) if j != node]
            mate = rng.choice(others)
            f["groups"] = [sorted([node, mate]), sorted(j for j in others if j != mate)]
            f["hold_s"] = round(rng.uniform(8.0, 12.0) if short else rng.uniform(10.0, 20.0), 1)
        elif kind == "oneway":
            f["to"] = rng.choice([j for j in range(n) if j != node])
        elif kind == "flaky":
            # Every link of every node loses, delays and reorders some frames: no node is
            # faulty, the network is; consensus must go on (timeouts and sync retry).
            f["loss"] = round(rng.uniform(0.02, 0.2), 2)
            f["reorder"] = round(rng.uniform(0.0, 0.3), 2)
            f["delay_ms"] = rng.randrange(0, 60)
            f["jitter_ms"] = rng.randrange(0, 60)
        elif kind in HOOK_KINDS:
            # All of the node's outgoing links, or the one to a single peer.
            f["peer"] = rng.choice([None, rng.choice([j for j in range(n) if j != node])])
            if kind == "delay":
                f["delay_ms"] = rng.randrange(20, 400)
                f["jitter_ms"] = rng.randrange(0, 200)
            elif kind == "loss":
                f["loss"] = round(rng.uniform(0.05, 0.5), 2)
            else:
                f["reorder"] = round(rng.uniform(0.1, 0.5), 2)
                f["delay_ms"] = rng.randrange(10, 150)
        faults.append(f)
        spent += f["gap_s"] + f["hold_s"] + OVERHEAD_S.get(kind, DEFAULT_OVERHEAD_S)
    return {"version": MANIFEST_VERSION, "seed": seed, "minutes": minutes, "nodes": n,
            "faults": faults}


def validate_manifest(m):
    """Raises ValueError naming what is wrong with a manifest read from a file."""
    if not isinstance(m, dict):
        raise ValueError("a manifest is a JSON object")
    if m.get("version") != MANIFEST_VERSION:
        raise ValueError(f"unknown manifest version {m.get('version')!r} "
                         f"(expected {MANIFEST_VERSION})")
    if not isinstance(m.get("seed"), int):
        raise ValueError("seed must be an integer")
    if not isinstance(m.get("minutes"), (int, float)) or not m["minutes"] > 0:
        raise ValueError("minutes must be a positive number")
    n = m.get("nodes")
    if n != 4:
        raise ValueError(f"nodes must be 4, got {n!r}")
    faults = m.get("faults")
    if not isinstance(faults, list) or not faults:
        raise ValueError("faults must be a non-empty list")
    for f in faults:
        where = f"fault {f.get('id', '?') if isinstance(f, dict) else '?'}"
        if not isinstance(f, dict):
            raise ValueError(f"{where}: not an object")
        if f.get("kind") not in ALL_KINDS:
            raise ValueError(f"{where}: unknown kind {f.get('kind')!r} "
                             f"(one of {', '.join(ALL_KINDS)})")
        if not isinstance(f.get("node"), int) or not 0 <= f["node"] < n:
            raise ValueError(f"{where}: node must be 0..{n - 1}")
        for key in ("gap_s", "hold_s"):
            if not isinstance(f.get(key), (int, float)) or not 0 <= f[key] <= 3600:
                raise ValueError(f"{where}: {key} must be a number of seconds 0..3600")
        if f["kind"] == "split":
            g = f.get("groups")
            if (not isinstance(g, list) or len(g) != 2 or
                    sorted(x for grp in g for x in grp) != list(range(n))):
                raise ValueError(f"{where}: groups must split nodes 0..{n - 1} in two")
        if f["kind"] == "oneway" and (not isinstance(f.get("to"), int) or
                                      not 0 <= f["to"] < n or f["to"] == f["node"]):
            raise ValueError(f"{where}: to must be another node")
        if f["kind"] in HOOK_KINDS:
            peer = f.get("peer")
            if peer is not None and (not isinstance(peer, int) or not 0 <= peer < n or
                                     peer == f["node"]):
                raise ValueError(f"{where}: peer must be null or another node")
            for key, lo, hi in (("delay_ms", 0, 60000), ("jitter_ms", 0, 60000),
                                ("loss", 0, 1), ("reorder", 0, 1)):
                if key in f and (not isinstance(f[key], (int, float)) or not lo <= f[key] <= hi):
                    raise ValueError(f"{where}: {key} must be {lo}..{hi}")
    return m


def describe(f):
    k, i = f["kind"], f["node"]
    if k == "split":
        return f"split {f['groups'][0]}|{f['groups'][1]}"
    if k == "oneway":
        return f"oneway node{i}->node{f['to']}"
    if k == "flaky":
        params = ", ".join(f"{p}={f[p]}" for p in ("delay_ms", "jitter_ms", "loss", "reorder"))
        return f"flaky every link ({params})"
    if k in HOOK_KINDS:
        link = f"node{i}->" + (f"node{f['peer']}" if f.get("peer") is not None else "*")
        params = ", ".join(f"{p}={f[p]}" for p in ("delay_ms", "jitter_ms", "loss", "reorder")
                           if p in f)
        return f"{k} {link} ({params})"
    return f"{k} node{i}"


# ------------------------------------------------------------------------------------------------
# Load with a pool that grows as it is used


class Feeder:
    """Keeps `load.pool` at least `ahead` txs beyond what was taken, building them with the CLI
    on one background thread (a campaign of an hour needs more than is worth building up front)."""

    def __init__(self, net, load, ahead, tag):
        self.net, self.load, self.ahead, self.tag = net, load, ahead, tag
        self.stop_ev = threading.Event()
        self.built = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def fill(self, count):
        key = self.net.key("city-fed")
        for _ in range(count):
            tx = build_issue_tx(self.net.laurel, key, f"city-fed/chaos-{self.tag}/{self.built:07d}")
            self.built += 1
            with self.load.lock:
                self.load.pool.append(tx)

    def _run(self):
        while not self.stop_ev.is_set():
            with self.load.lock:
                spare = len(self.load.pool) - self.load.next_idx
            if spare < self.ahead:
                try:
                    self.fill(10)
                except Exception as e:  # a CLI hiccup: try again shortly
                    log(f"tx builder: {e}")
                    self.stop_ev.wait(1)
            else:
                self.stop_ev.wait(0.5)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stop_ev.set()
        self.thread.join(30)


class ChaosLoad(Load):
    """Load whose workers wait for the pool to grow rather than exit when it runs dry, and that
    submits a tx whose request failed or timed out once more, a few seconds later and to another
    node, as a client unsure of the outcome does: the chain must still hold it at most once, and
    if the first attempt committed, the second must answer with the same place."""

    RETRY_AFTER_S = 3.0

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.retry = []            # (due time, tx, node it failed on)
        self.retried = set()       # tx ids submitted a second time
        self.resubmitted = 0
        self.resubmit_acked = 0
        self.conflicts = []        # (tx id, first ack, second ack) that differ

    def _worker(self):
        while not self.stop_ev.is_set():
            tx, node, again = self._take_retry()
            if tx is None:
                tx, node = self._take()
                again = False
            if tx is None:
                self.stop_ev.wait(0.1)
                continue
            if self.stop_ev.is_set():
                return
            try:
                status, obj = post_tx_wait(self.net.url(node), tx.json, self.wait_timeout)
            except Exception:
                status, obj = None, None
            loc = committed(status, obj)
            with self.lock:
                self.sent += 1
                if again:
                    self.resubmitted += 1
                if loc:
                    prev = self.acked.get(tx.tx_id)
                    if prev is not None and prev != loc:
                        self.conflicts.append((tx.tx_id, prev, loc))
                    self.acked[tx.tx_id] = prev or loc
                    self.ack_times.append(time.monotonic())
                    if again:
                        self.resubmit_acked += 1
                else:
                    self.errors += 1
                    if tx.tx_id not in self.retried:
                        self.retried.add(tx.tx_id)
                        self.retry.append((time.monotonic() + self.RETRY_AFTER_S, tx, node))

    def _take_retry(self):
        with self.lock:
            now = time.monotonic()
            for k, (due, tx, failed_on) in enumerate(self.retry):
                if due > now:
                    break
                others = sorted(self.live - {failed_on}) or sorted(self.live)
                if not others:
                    break
                del self.retry[k]
                self.rr += 1
                return tx, others[self.rr % len(others)], True
        return None, None, False

    def _take(self):
        # Pace from the time the load started, but never burst more than a second's worth
        # after a stretch without txs (an empty pool, or no live node).
        with self.lock:
            behind = (time.monotonic() - self.t_start) * self.rate - self.next_idx
            if behind > self.rate:
                self.t_start += (behind - self.rate) / self.rate
        return super()._take()


def post_tx_wait(url, tx_json, timeout):
    from laurel_client import post_tx
    return post_tx(url, tx_json, wait=True, timeout=timeout)


def committed(status, obj):
    if status != 200 or not isinstance(obj, dict) or obj.get("status") != "committed":
        return None
    return (as_int(obj.get("height")), as_int(obj.get("position")), result_code(obj.get("result")))


# ------------------------------------------------------------------------------------------------
# The testnet


class ChaosNet:
    """The operations a campaign needs, over a loopback Testnet or a NetnsTestnet."""

    def __init__(self, net, netns, hook):
        self.net = net
        self.netns = netns
        self.hook = hook
        self.n = net.n
        self.paused = set()

    def pid(self, i):
        return self.net.pids().get(i)

    def stop_term(self, i, timeout=20):
        """SIGTERM and wait until the node exits; False if it does not within `timeout`."""
        pid = self.pid(i)
        if pid is None or not self.net.running(i):
            return True
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.net.running(i):
                return True
            time.sleep(0.1)
        return False

    def fault_file(self, i):
        return os.path.join(self.net.dir, f"node{i}", FAULT_FILE)

    def set_link_faults(self, i, rules):
        """Writes node i's fault file (write_link_faults)."""
        write_link_faults(self.net, i, rules)

    def fault_counts(self, i):
        """{(action, peer label): frames} from node i's laurel_p2p_fault_*_total on /metrics
        (action: dropped, delayed, reordered; peer label: 8 hex digits of the peer's key)."""
        status, text = http("GET", self.net.url(i) + "/metrics", timeout=5)
        if status != 200:
            raise TestFailure(f"node{i} /metrics answered {status}")
        out = {}
        for m in FAULT_SERIES.finditer(str(text)):
            out[(m.group(1), m.group(2))] = int(float(m.group(3)))
        return out

    def log_size(self, i):
        try:
            return os.path.getsize(self.net.log_path(i))
        except OSError:
            return 0

    def log_since(self, i, offset):
        try:
            with open(self.net.log_path(i), errors="replace") as f:
                f.seek(offset)
                return f.read()
        except OSError:
            return ""


FAULT_SERIES = re.compile(
    r'^laurel_p2p_fault_(dropped|delayed|reordered)_total\{peer="([0-9a-f]+)"\} ([0-9.e+]+)$',
    re.M)
# The counter a frame fault of each kind must move on the faulted node(s).
FAULT_COUNTED = {"delay": "delayed", "loss": "dropped", "reorder": "reordered",
                 "flaky": "dropped"}


def write_link_faults(net, i, rules):
    """Writes node i's fault file (read again by the node within a fraction of a second); an
    empty list clears every rule. Written whole and renamed, so never read half-done."""
    path = os.path.join(net.dir, f"node{i}", FAULT_FILE)
    with open(path + ".tmp", "w") as f:
        json.dump({"links": rules}, f)
    os.replace(path + ".tmp", path)


def enable_fault_injection(net):
    """Adds the [fault_injection] section to every node's config (honoured only with
    --allow-fault-injection on the command line) and an empty rule file beside it."""
    for i in range(net.n):
        d = os.path.join(net.dir, f"node{i}")
        with open(os.path.join(d, "node.toml"), "a") as f:
            f.write(f'\n[fault_injection]\nfile = "{FAULT_FILE}"\n')
        with open(os.path.join(d, FAULT_FILE), "w") as f:
            json.dump({"links": []}, f)


def quorum_store_fault_testnet(args, name):
    """A Testnet with [consensus] quorum_store = true whose laureld runs with
    --allow-fault-injection; inside `with net:`, call init_with_fault_file(net) to set it up."""
    check(laureld_has_hook(args.bin), "laureld lacks --allow-fault-injection")
    os.environ["LAUREL_QUORUM_STORE"] = "1"
    net = Testnet(args, name)
    net.env["LAUREL_NODE_ARGS"] = "--allow-fault-injection"
    return net


def init_with_fault_file(net):
    """net.init(), then an empty fault file for every node (enable_fault_injection)."""
    net.init()
    enable_fault_injection(net)


def drop_kind(net, senders, kind, receivers=None):
    """Each node in `senders` drops every frame of message kind `kind` it sends to the nodes in
    `receivers` (default: every other node); returns once each has applied its rule. Replaces
    the senders' rules (write_link_faults(net, i, []) lifts them)."""
    keys = [str(net.node_pubkey(j)).lower() for j in range(net.n)]
    targets = range(net.n) if receivers is None else receivers
    for i in senders:
        write_link_faults(net, i, [{"peer": keys[j], "loss": 1, "kinds": [kind]}
                                   for j in targets if j != i])
    for i in senders:
        wait_for(lambda i=i: any(f"(kinds {kind})" in line for line in
                                 net.log_lines(i, "fault injection: applied")),
                 10, f"node{i} to apply its rule dropping kind {kind}")


def laureld_has_hook(bin_dir):
    r = subprocess.run([os.path.join(bin_dir, "laureld"), "--help"], capture_output=True,
                       text=True, timeout=30)
    return "--allow-fault-injection" in r.stdout + r.stderr


# ------------------------------------------------------------------------------------------------
# Checks


class Ledger:
    """What the campaign knows of the chain: heights compared so far and where every tx is."""

    def __init__(self, cn):
        self.cn = cn
        self.checked_upto = 0          # heights 1..checked_upto agree on every node
        self.tx_at = {}                # tx_id -> [(height, position, result)] in the chain
        self.duplicate_copies = 0      # later copies of a tx, each DUPLICATE_TX
        self.heights_compared = 0

    def compare(self, nodes, upto, fault=None):
        """Block id and state root of heights checked_upto+1..upto agree on `nodes`; records the
        txs of those blocks. Raises Violation("divergence"|"duplicate-tx")."""
        net = self.cn.net
        for h in range(self.checked_upto + 1, upto + 1):
            ref = None
            for i in nodes:
                b = get_json(f"{net.url(i)}/v1/blocks/{h}", timeout=10)
                got = (b.get("block_id"), b.get("state_root"))
                if as_int(b.get("height")) != h or not got[0] or not got[1]:
                    raise Violation("bad-block", f"node{i} answered /v1/blocks/{h} with {b}",
                                    fault)
                if ref is None:
                    ref = (i, got)
                    for t in b.get("txs", []):
                        tid = t.get("tx_id")
                        self.tx_at.setdefault(tid, []).append(
                            (h, as_int(t.get("position")), result_code(t.get("result"))))
                        # The ledger executes a transaction once: a later copy (the same tx in
                        # two validators' batches, when a client sent it to both before either
                        # batch had a proof: docs/spec/batches.md §6) must be DUPLICATE_TX,
                        # which changes nothing. Counted, and reported in the summary.
                        where = self.tx_at[tid]
                        if len(where) > 1:
                            if where[-1][2] != "DUPLICATE_TX" or where[0][2] == "DUPLICATE_TX":
                                raise Violation("duplicate-tx", f"tx {tid} executed more than "
                                                f"once: {where}", fault)
                            self.duplicate_copies += 1
                elif got != ref[1]:
                    raise Violation("divergence", f"height {h}: node{ref[0]} has block_id/"
                                    f"state_root {ref[1]}, node{i} has {got}", fault)
            self.checked_upto = h
            self.heights_compared += 1

    def check_acked(self, acked, fault=None):
        """Every acknowledged tx up to checked_upto is in the chain once, where acknowledged.
        Returns (lost, misplaced) lists; raises on the first of either."""
        for tid, loc in acked.items():
            if loc[0] > self.checked_upto:
                continue
            where = self.tx_at.get(tid)
            if not where:
                raise Violation("lost-tx", f"tx {tid} was acknowledged committed at (height, "
                                f"position, result) {loc} but is not in the chain", fault)
            if where[0] != loc:
                raise Violation("misplaced-tx", f"tx {tid} was acknowledged at {loc} but the "
                                f"chain has it at {where[0]}", fault)


def audit(cn, nodes, checkpoint=None):
    """Runs `laurel audit` against `nodes` (one node: with --checkpoint when given).
    Returns its output line(s); raises Violation("audit") when it does not pass."""
    cmd = [cn.net.laurel, "audit"]
    for i in nodes:
        cmd += ["--rpc", cn.net.url(i)]
    if checkpoint and len(nodes) == 1:
        cmd += ["--checkpoint", checkpoint]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if r.returncode != 0:
        out = (r.stdout + r.stderr).strip()
        raise Violation("audit", f"`{' '.join(cmd)}` exited {r.returncode}: {out[-2000:]}")
    return r.stdout.strip()  # the verdict lines (progress goes to stderr)


# ------------------------------------------------------------------------------------------------
# The campaign


def pct(values, p):
    """Nearest-rank percentile of a non-empty list."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(-(-p * len(s) // 100)) - 1))
    return s[k]


class Campaign:
    def __init__(self, cn, load, manifest, deadline, audit_dir):
        self.cn = cn
        self.net = cn.net
        self.load = load
        self.manifest = manifest
        self.deadline = deadline
        self.ledger = Ledger(cn)
        self.records = []
        self.skipped = {}       # kind -> reason
        self.not_run = 0
        self.audits = 0
        self.audit_checkpoint = os.path.join(audit_dir, "audit.checkpoint")
        self.all = list(range(cn.n))

    def heights(self, nodes):
        return self.net.heights(nodes)

    def supported(self, kind):
        if kind in NETNS_KINDS and not self.cn.netns:
            return False
        if kind in HOOK_KINDS and not self.cn.hook:
            return False
        return True

    def run(self, limit=None):
        for idx, f in enumerate(self.manifest["faults"]):
            if limit is not None and idx >= limit:
                self.not_run = len(self.manifest["faults"]) - idx
                break
            if limit is None and time.monotonic() >= self.deadline:
                self.not_run = len(self.manifest["faults"]) - idx
                log(f"campaign time is up: {self.not_run} faults of the manifest not run")
                break
            if not self.supported(f["kind"]):
                self.records.append({"id": f["id"], "kind": f["kind"], "what": describe(f),
                                     "skipped": True})
                continue
            time.sleep(f["gap_s"])
            rec = self.run_fault(f)
            self.records.append(rec)
            if len([r for r in self.records if not r.get("skipped")]) % CHECKPOINT_EVERY == 0:
                self.checkpoint(f)

    # -- one fault ---------------------------------------------------------------------------

    def run_fault(self, f):
        kind, i = f["kind"], f["node"]
        what = describe(f)
        log(f"FAULT #{f['id']} {what}, hold {f['hold_s']}s")
        faulty = set() if kind in ("split", "flaky") else {i}
        healthy = [j for j in self.all if j not in faulty]
        # Txs go to the healthy nodes only (a split: to every node; none should commit).
        self.load.set_live(healthy)
        t_inject = time.monotonic()
        undo = self.inject(f)
        try:
            if kind == "split":
                self.expect_stall(f)
            else:
                self.expect_progress(f, healthy, t_inject)
        finally:
            undo()
        t_heal = time.monotonic()
        recovery = self.recover(f, t_heal)
        self.load.set_live(self.all)
        log(f"RECOVERED #{f['id']} {what} in {recovery:.1f}s")
        return {"id": f["id"], "kind": kind, "what": what, "hold_s": f["hold_s"],
                "recovery_s": round(recovery, 2)}

    def inject(self, f):
        """Starts the fault; returns the function that ends it."""
        cn, net, kind, i = self.cn, self.net, f["kind"], f["node"]
        if kind == "kill":
            net.kill(i)
            return lambda: net.start(i)
        if kind == "pause":
            pid = cn.pid(i)
            os.kill(pid, signal.SIGSTOP)
            log(f"SIGSTOP node{i}")

            def resume():
                os.kill(pid, signal.SIGCONT)
                log(f"SIGCONT node{i}")
            return resume
        if kind == "restart":
            t0 = time.monotonic()
            if not cn.stop_term(i):
                raise Violation("no-clean-stop", f"node{i} did not stop within 20s of SIGTERM",
                                f)
            log(f"node{i} stopped on SIGTERM in {time.monotonic() - t0:.1f}s")
            return lambda: net.start(i)
        if kind == "wipe":
            net.wipe(i)
            return lambda: net.start(i)
        if kind == "isolate":
            net.partition([j for j in self.all if j != i], [i])
            return net.heal
        if kind == "oneway":
            net.drop(i, f["to"])
            log(f"one-way: node{i}'s packets to node{f['to']} dropped")
            return net.heal
        if kind == "split":
            net.partition(*f["groups"])
            return net.heal
        if kind in HOOK_KINDS:
            rule = {"peer": "*" if f.get("peer") is None else net.node_pubkey(f["peer"])}
            for p in ("delay_ms", "jitter_ms", "loss", "reorder"):
                if p in f:
                    rule[p] = f[p]
            nodes = self.all if kind == "flaky" else [i]
            before = {j: self.cn.fault_counts(j) for j in nodes}
            self.set_rules(f, nodes, [rule])

            def undo():
                self.set_rules(f, nodes, [])
                self.expect_counted(f, nodes, before)
            return undo
        raise ValueError(kind)

    def set_rules(self, f, nodes, rules):
        """Writes the rule files of `nodes` and waits until each node has applied its own."""
        offsets = {j: self.cn.log_size(j) for j in nodes}
        for j in nodes:
            self.cn.set_link_faults(j, rules)
        for j in nodes:
            self.await_reload(f, j, offsets[j])

    def expect_counted(self, f, nodes, before):
        """The frames the rules acted on show on /metrics (laurel_p2p_fault_*_total): the
        counter of the fault's kind went up on the faulted link (summed over `nodes` for
        flaky), and a rule for one peer moved no other peer's series."""
        action = FAULT_COUNTED[f["kind"]]
        peer = f.get("peer")
        label = None if peer is None else str(self.net.node_pubkey(peer)).lower()[:8]
        moved, stray = 0, []
        for j in nodes:
            after = self.cn.fault_counts(j)
            for key, n in after.items():
                delta = n - before[j].get(key, 0)
                if delta <= 0:
                    continue
                if label is not None and key[1] != label:
                    stray.append(f"node{j} {key[0]} to {key[1]} +{delta}")
                elif key[0] == action:
                    moved += delta
        log(f"fault counters of #{f['id']}: {moved} frames {action}")
        if stray:
            raise Violation("fault-not-counted", f"{describe(f)} moved other peers' fault "
                            f"counters: {', '.join(stray)}", f)
        if moved == 0:
            raise Violation("fault-not-counted", f"{describe(f)} held {f['hold_s']}s but "
                            f"laurel_p2p_fault_{action}_total did not go up", f)

    def await_reload(self, f, i, offset):
        """Waits for node i to log that it applied its fault file."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if "fault injection: applied" in self.cn.log_since(i, offset):
                return
            time.sleep(0.1)
        raise Violation("fault-file-ignored", f"node{i} did not apply {FAULT_FILE} within 10s",
                        f)

    def expect_progress(self, f, healthy, t_inject):
        """The healthy nodes commit at least one block during the hold (waiting at most
        LIVENESS_S from the injection)."""
        h0 = self.heights(healthy)
        time.sleep(f["hold_s"])
        deadline = t_inject + max(LIVENESS_S, f["hold_s"])
        while True:
            h1 = self.heights(healthy)
            if all(h0[j] is not None and h1[j] is not None and h1[j] > h0[j] for j in healthy):
                return
            if time.monotonic() >= deadline:
                who = "no node" if f["kind"] == "flaky" else f"only node{f['node']}"
                raise Violation("liveness", f"with {who} faulty ({describe(f)}), "
                                f"nodes {healthy} did not all commit within "
                                f"{time.monotonic() - t_inject:.0f}s: heights {h0} -> {h1}", f)
            time.sleep(0.5)

    def expect_stall(self, f):
        time.sleep(min(STALL_SETTLE_S, f["hold_s"]))
        h0 = self.heights(self.all)
        time.sleep(max(0.0, f["hold_s"] - STALL_SETTLE_S))
        h1 = self.heights(self.all)
        for j in self.all:
            if h0[j] is None or h1[j] is None:
                raise Violation("unreachable", f"node{j} does not answer during {describe(f)}: "
                                f"{h0} -> {h1}", f)
            if h1[j] > h0[j] + 1:
                raise Violation("commit-without-quorum", f"node{j} committed {h1[j] - h0[j]} "
                                f"blocks during {describe(f)} ({h0} -> {h1})", f)

    def recover(self, f, t_heal):
        """Seconds until every node is at or above the highest height at the heal plus one:
        everyone commits again and the faulted node has caught up."""
        limit = WIPE_RECOVER_S if f["kind"] == "wipe" else RECOVER_S
        target = None
        first = None
        while True:
            hs = self.heights(self.all)
            if target is None:
                known = [h for h in hs.values() if h is not None]
                if known:
                    target = max(known) + 1
                    first = dict(hs)
            if target is not None and all(h is not None and h >= target for h in hs.values()):
                dt = time.monotonic() - t_heal
                log(f"recovery of #{f['id']}: heights at the end of the fault {first}, target "
                    f"{target}, reached {hs} after {dt:.2f}s")
                return dt
            if time.monotonic() - t_heal > limit:
                raise Violation("no-recovery", f"{limit}s after {describe(f)} ended, not every "
                                f"node reached height {target}: {hs}", f)
            time.sleep(0.2)

    # -- checkpoints -------------------------------------------------------------------------

    def checkpoint(self, f=None, nodes=None):
        nodes = nodes or self.all
        upto = min(h for h in self.heights(nodes).values() if h is not None)
        t0 = time.monotonic()
        before = self.ledger.checked_upto
        self.ledger.compare(nodes, upto, f)
        self.ledger.check_acked(self.load.snapshot(), f)
        j = random.Random(upto).choice(nodes)
        out = audit(self.cn, [j], self.audit_checkpoint)
        self.audits += 1
        log(f"CHECKPOINT at height {upto}: heights {before + 1}..{upto} agree on nodes {nodes}, "
            f"acknowledged txs in place; audit of node{j}: {(out.splitlines() or [''])[0][:100]} "
            f"({time.monotonic() - t0:.1f}s)")


# ------------------------------------------------------------------------------------------------
# Summary


def summarize(camp, load, feeder, violation, manifest, started, ended, modes, final_audit):
    done = [r for r in camp.records if not r.get("skipped")]
    by_kind = {}
    for r in done:
        by_kind.setdefault(r["kind"], []).append(r["recovery_s"])
    skipped = {}
    for r in camp.records:
        if r.get("skipped"):
            skipped[r["kind"]] = skipped.get(r["kind"], 0) + 1
    acked = load.snapshot()
    lost = [t for t, loc in acked.items()
            if loc[0] <= camp.ledger.checked_upto and t not in camp.ledger.tx_at]
    dups = [t for t, w in camp.ledger.tx_at.items() if len(w) > 1]
    recov_all = [r["recovery_s"] for r in done]
    return {
        "seed": manifest["seed"], "minutes": manifest["minutes"],
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "duration_s": round(ended - started, 1),
        "modes": modes,
        "faults_in_manifest": len(manifest["faults"]),
        "faults_injected": len(done),
        "faults_not_run": camp.not_run,
        "faults_skipped": skipped,
        "by_kind": {k: {"count": len(v), "recovery_p50_s": pct(v, 50),
                        "recovery_p99_s": pct(v, 99), "recovery_max_s": max(v)}
                    for k, v in sorted(by_kind.items())},
        "recovery_p50_s": pct(recov_all, 50) if recov_all else None,
        "recovery_p99_s": pct(recov_all, 99) if recov_all else None,
        "txs_submitted": load.sent,
        "txs_acknowledged": len(acked),
        "txs_not_acknowledged": load.errors,
        "txs_resubmitted": load.resubmitted,
        "txs_resubmitted_acknowledged": load.resubmit_acked,
        "txs_lost": len(lost),
        "txs_duplicated": len(dups),
        "duplicate_copies": camp.ledger.duplicate_copies,
        "heights_compared": camp.ledger.checked_upto,
        "divergences": 1 if violation and violation.name == "divergence" else 0,
        "audits": camp.audits,
        "final_audit": final_audit,
        "violation": None if violation is None else {
            "name": violation.name, "message": violation.message,
            "fault": violation.fault},
        "records": camp.records,
    }


def table(s):
    lines = []
    lines.append(f"## Chaos campaign, seed {s['seed']} · 混沌测试")
    lines.append("")
    lines.append(f"- scenarios run: 1 (seed {s['seed']}, manifest {s['manifest']})")
    lines.append(f"- started {s['started']}, ran {s['duration_s']:.0f} s; modes: "
                 + ", ".join(f"{k}: {v}" for k, v in s["modes"].items()))
    lines.append(f"- faults: {s['faults_injected']} injected, {s['faults_not_run']} of the "
                 f"manifest not run, skipped: "
                 + (", ".join(f"{k} {v}" for k, v in s["faults_skipped"].items()) or "none"))
    lines.append(f"- heights compared on all nodes: {s['heights_compared']}; audits passed: "
                 f"{s['audits']}" + (f"; final: {s['final_audit']}" if s["final_audit"] else ""))
    lines.append("")
    lines.append("| fault kind | injected | recovery p50 (s) | recovery p99 (s) | max (s) |")
    lines.append("|---|---:|---:|---:|---:|")
    for k, v in s["by_kind"].items():
        lines.append(f"| {k} | {v['count']} | {v['recovery_p50_s']:.1f} | "
                     f"{v['recovery_p99_s']:.1f} | {v['recovery_max_s']:.1f} |")
    if s["recovery_p50_s"] is not None:
        lines.append(f"| **all** | {s['faults_injected']} | {s['recovery_p50_s']:.1f} | "
                     f"{s['recovery_p99_s']:.1f} | "
                     f"{max(v['recovery_max_s'] for v in s['by_kind'].values()):.1f} |")
    lines.append("")
    lines.append("| txs submitted | acknowledged | not acknowledged | resubmitted (acked) | "
                 "lost | in the chain twice (the copy DUPLICATE_TX) | divergences |")
    lines.append("|---:|---:|---:|---:|---:|---:|---:|")
    lines.append(f"| {s['txs_submitted']} | {s['txs_acknowledged']} | "
                 f"{s['txs_not_acknowledged']} | {s['txs_resubmitted']} "
                 f"({s['txs_resubmitted_acknowledged']}) | {s['txs_lost']} | "
                 f"{s['txs_duplicated']} | {s['divergences']} |")
    lines.append("")
    v = s["violation"]
    if v:
        lines.append(f"**VIOLATION {v['name']}**" +
                     (f" during fault #{v['fault']['id']}" if v.get("fault") else "") +
                     f": {v['message']}")
    else:
        lines.append("**No violation.**")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------------
# Main


def parse_args(argv=None, default_offset=220):
    p = argparse.ArgumentParser(prog="scripts/chaos", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bin", default=os.path.join(DEFAULT_REPO, "build", "bin"),
                   help="folder with laurel and laureld (default: build/bin)")
    p.add_argument("--repo", default=DEFAULT_REPO, help="checkout holding testnet/testnet")
    p.add_argument("--port-offset", type=int, default=default_offset,
                   help=f"RPC ports 18700+offset.., P2P 18800+offset.. (default {default_offset})")
    p.add_argument("--minutes", type=float, default=10.0, help="campaign length (default 10)")
    p.add_argument("--seed", type=int, help="scenario seed (default: random, printed)")
    p.add_argument("--manifest", help="replay this manifest (JSON written by an earlier run)")
    p.add_argument("--kinds", help="comma-separated fault kinds to draw from (default: all)")
    p.add_argument("--faults", type=int, default=None,
                   help="run only the first N faults of the manifest (and ignore the time)")
    p.add_argument("--out", default=None,
                   help="folder for the manifest and summary (default: BIN/../chaos)")
    p.add_argument("--summary", default=None,
                   help="write the summary to PATH.md and PATH.json (default OUT/summary-SEED)")
    p.add_argument("--rate", type=float, default=RATE, help=f"tx/s offered (default {RATE})")
    p.add_argument("--no-netns", action="store_true",
                   help="run on loopback even as root (skips isolate, oneway, split)")
    p.add_argument("--keep", action="store_true", help="keep the testnet folder afterwards")
    return p.parse_args(argv)


def replay_command(args, manifest_path, upto=None):
    return (f"scripts/chaos --manifest {manifest_path} --bin {args.bin}"
            + (f" --faults {upto}" if upto else "")
            + (" --no-netns" if args.no_netns else ""))


def main(argv=None, default_offset=220):
    args = parse_args(argv, default_offset)
    if args.minutes <= 0 or args.minutes > 7 * 24 * 60:
        print("chaos: --minutes must be more than 0 and at most a week", file=sys.stderr)
        return 2
    if args.faults is not None and args.faults < 1:
        print("chaos: --faults must be at least 1", file=sys.stderr)
        return 2
    if not 0 < args.rate <= 1000:
        print("chaos: --rate must be more than 0 and at most 1000 tx/s", file=sys.stderr)
        return 2
    out = os.path.abspath(args.out or os.path.join(args.bin, "..", "chaos"))

    if args.manifest:
        try:
            with open(args.manifest) as f:
                manifest = validate_manifest(json.load(f))
        except (OSError, ValueError) as e:
            print(f"chaos: cannot use manifest {args.manifest}: {e}", file=sys.stderr)
            return 2
        manifest_path = os.path.abspath(args.manifest)
        minutes = manifest["minutes"]
    else:
        kinds = ALL_KINDS
        if args.kinds:
            kinds = tuple(k.strip() for k in args.kinds.split(",") if k.strip())
            bad = [k for k in kinds if k not in ALL_KINDS]
            if bad or not kinds:
                print(f"chaos: unknown fault kind(s) {', '.join(bad) or '(none)'}: "
                      f"use {', '.join(ALL_KINDS)}", file=sys.stderr)
                return 2
        seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 10**9)
        manifest = make_manifest(seed, args.minutes, kinds)
        manifest_path = os.path.join(out, f"manifest-{seed}.json")
        os.makedirs(out, exist_ok=True)
        with open(manifest_path, "w") as f:
            json.dump(manifest, f, indent=1)
        minutes = args.minutes
    seed = manifest["seed"]
    os.makedirs(out, exist_ok=True)
    summary_base = args.summary or os.path.join(out, f"summary-{seed}")
    for ext in (".md", ".json"):
        if summary_base.endswith(ext):
            summary_base = summary_base[:-len(ext)]
    summary_base = os.path.abspath(summary_base)
    os.makedirs(os.path.dirname(summary_base), exist_ok=True)
    print(f"chaos: seed {seed}, {len(manifest['faults'])} faults in {manifest_path}", flush=True)
    print(f"chaos: replay with: {replay_command(args, manifest_path)}", flush=True)

    why_not_netns = "--no-netns" if args.no_netns else can_run(probe=f"lzc{args.port_offset}p")
    hook = laureld_has_hook(args.bin)
    modes = {"partitions": "on" if not why_not_netns else f"SKIP ({why_not_netns})",
             "frame faults": "on" if hook else "SKIP (laureld lacks --allow-fault-injection)"}
    for k, v in modes.items():
        if v != "on":
            print(f"SKIP: {k}: {v[6:-1]}", flush=True)

    tn_args = argparse.Namespace(repo=args.repo, bin=args.bin, port_offset=args.port_offset,
                                 keep=args.keep)
    node_args = ["--allow-fault-injection"] if hook else []
    if not why_not_netns:
        o = args.port_offset
        net = NetnsTestnet(tn_args, "chaos", prefix=f"lzc{o}n", bridge=f"lzc{o}br",
                           subnet=f"10.232.{o % 250}", extra_args=node_args)
    else:
        net = Testnet(tn_args, "chaos")
        if node_args:
            net.env["LAUREL_NODE_ARGS"] = " ".join(node_args)
    cn = ChaosNet(net, netns=not why_not_netns, hook=hook)

    started = time.time()
    violation = None
    camp = None
    load = feeder = None
    final_audit = None
    with net:
        net.init()
        if cn.netns:
            net.net_setup()
            net.bind_configs()
        if hook:
            enable_fault_injection(net)
        load = ChaosLoad(net, [], range(net.n), rate=args.rate, workers=12, wait_timeout=20)
        feeder = Feeder(net, load, ahead=int(args.rate * 40), tag=f"{seed}-{os.getpid()}")
        feeder.fill(int(args.rate * 10))
        feeder.start()
        net.up()
        deadline = time.monotonic() + max(30.0, minutes * 60.0 - SETUP_S)
        camp = Campaign(cn, load, manifest, deadline, net.dir)
        load.start()
        try:
            try:
                net.wait_progress(camp.all, 2, 60)
                camp.run(limit=args.faults)
            finally:
                # End every fault still on, so the final checks see the whole network.
                cleanup_faults(cn)
            final_check(camp, load)
            lines = audit(cn, camp.all).splitlines()
            final_audit = next((ln for ln in lines if ln.startswith("NODES AGREE")),
                               lines[-1] if lines else "")[:200]
            log(f"FINAL AUDIT: {final_audit}")
        except Violation as v:
            violation = v
            net.failed = True
        except TestFailure as e:
            violation = Violation("harness", str(e))
            net.failed = True
        finally:
            load.stop(timeout=30)
            feeder.stop()
    ended = time.time()
    s = summarize(camp, load, feeder, violation, manifest, started, ended, modes, final_audit)
    s["replay"] = replay_command(args, manifest_path)
    s["manifest"] = manifest_path
    if violation and violation.fault:
        s["replay"] = replay_command(args, manifest_path, upto=violation.fault["id"])
    text = table(s)
    print("\n" + text, flush=True)
    with open(summary_base + ".md", "w") as f:
        f.write(text + f"\nReplay: `{s['replay']}`\n")
    with open(summary_base + ".json", "w") as f:
        json.dump(s, f, indent=1)
    print(f"chaos: summary in {summary_base}.md and {summary_base}.json", flush=True)
    if violation:
        print(f"CHAOS FAILED: {violation.name}: {violation.message}", flush=True)
        print(f"replay: {s['replay']}", flush=True)
        return 1
    print(f"CHAOS PASSED: seed {seed}, {s['faults_injected']} faults, "
          f"{s['txs_acknowledged']} txs acknowledged, none lost or duplicated, "
          f"{s['heights_compared']} heights identical on all nodes", flush=True)
    return 0


def cleanup_faults(cn):
    net = cn.net
    if cn.netns:
        try:
            net.heal()
        except Exception as e:
            log(f"heal failed: {e}")
    for i in range(net.n):
        pid = cn.pid(i)
        if pid is not None and net.running(i):
            try:
                os.kill(pid, signal.SIGCONT)
            except OSError:
                pass
        if cn.hook:
            try:
                cn.set_link_faults(i, [])
            except OSError:
                pass
        if not net.running(i):
            try:
                net.start(i)
            except Exception as e:
                log(f"start node{i} failed: {e}")


def final_check(camp, load):
    """After every fault ended: all nodes commit again, reach the height of the last
    acknowledged tx, and agree on every height; every acknowledged tx is where it was said."""
    net = camp.net
    load.stop(timeout=30)
    acked = load.snapshot()
    if load.conflicts:
        tid, first, second = load.conflicts[0]
        raise Violation("misplaced-tx", f"tx {tid} was acknowledged at {first}, and again at "
                        f"{second} when resubmitted ({len(load.conflicts)} such txs)")
    try:
        net.wait_progress(camp.all, 2, RECOVER_S)
        top = max([loc[0] for loc in acked.values()] + [0])
        net.wait_height(camp.all, top, RECOVER_S)
    except TestFailure as e:
        raise Violation("no-recovery", f"after the last fault: {e}")
    camp.checkpoint()
    camp.ledger.check_acked(acked)
    # Every acknowledged tx is also served at its place by every node's tx index.
    for tid, loc in acked.items():
        for i in camp.all:
            status, obj = net.tx(i, tid)
            got = None
            if status == 200 and isinstance(obj, dict):
                got = (as_int(obj.get("height")), as_int(obj.get("position")),
                       result_code(obj.get("result")))
            if got != loc:
                raise Violation("lost-tx", f"node{i} GET /v1/txs/{tid}: HTTP {status} {obj}; "
                                f"acknowledged at {loc}")
    log(f"FINAL: {camp.ledger.checked_upto} heights agree on all nodes; {len(acked)} "
        f"acknowledged txs each once in the chain at their place, on every node")
