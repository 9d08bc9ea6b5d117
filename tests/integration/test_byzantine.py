"""A Byzantine validator as a real process against a real 4-validator testnet.

node3's laureld is stopped and `laurel-byzantine` (tests/byzantine/byzantine_main.cpp) takes its
place: node3's key and config, the real TLS transport, so the honest nodes admit it as validator 3.
First the honest three run alone under a light load (the baseline); then, in the same testnet,
for each behaviour, the adversary runs while the same light load of transactions is submitted to
the honest nodes:

  lying-height    Hello with height 2^62 once a second; sync requests never answered
  fake-proposal   signed proposals at round ~2^62 and just ahead, listing the gossiped txs
  block-variants  a stream of distinct signed variants of a block on the highest QC
  equivocate      votes honestly to be elected; as leader signs two blocks for its round and
                  sends one to one peer, the other to another, both to a third (rotating)
  double-vote     on every proposal, votes for the block and for a forged variant, both to all
  phantom-votes   votes only for made-up block ids
  silent          receives everything, sends nothing (the honest three commit at quorum 3)
  bad-certs       invalid QCs and TCs (bad signatures, too few signers, signers that are not
                  validators, a duplicated signer) in proposals, timeouts and sync info
  future-spam     validly signed votes and timeouts for round 2^40 and beyond, past and inside
                  the kept window, and votes, timeouts and proposals of later epochs
  replay          votes honestly; sends every proposal, vote and timeout it receives to every
                  peer again 2 s later, and the first 300 every second
  bad-frames      garbage, truncated, corrupted and empty frames, garbage tx batches, an
                  attestation and a timeout signed for another chain, and frames above the
                  frame cap, as fast as the transport takes them

What must hold, for each behaviour, while it runs and for the commit bound after the last
submission (the adversary still running):
  - every honest node keeps committing (its height advances);
  - POST /v1/txs answers 202 (or 200) to every submission: never 503 NOT_READY;
  - GET /readyz stays 200 on every honest node, but for a short grace;
  - every admitted tx commits within COMMIT_WITHIN_S of its submission (censorship shows here);
  - the honest nodes hold the same block id and state root at every height (checked after each
    behaviour for the heights committed since the previous check);
  - the adversary really attacked (its own counters: rounds equivocated, votes forged, ...);
  - equivocate and double-vote: the honest nodes RECORDED the evidence: the counter
    laurel_consensus_evidence_total{kind="double_proposal" | "double_vote"} on /metrics went
    up (for double-vote on every honest node), each such node's <data>/evidence.jsonl holds a
    line for validator 3 with two different block ids and signatures, and its log says
    "EQUIVOCATION by validator 3"; GET /v1/evidence lists the same records as the file (paged
    with a small limit, oldest first, numbered 1..total), among them validator 3's with both
    block ids;
  - at the end: no honest node recorded evidence against an honest validator.
Prints `MEASURED byzantine <behaviour>: X commits/s (baseline Y commits/s), admitted A of B,
committed C of B, ...` for each behaviour and the whole test's duration. All behaviours run even
when one fails (the test then fails listing every broken rule), unless the honest nodes do not
recover within RECOVER_S after an adversary stops: then the remaining behaviours are skipped.

`--behaviours` picks a subset, `--window` the seconds each behaviour runs (8), `--variant-rate N`
bounds the block-variant stream:
    python3 tests/integration/test_byzantine.py --bin build/bin [--behaviours equivocate,replay]
"""

import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import threading
import time

from laurel_client import (DEFAULT_REPO, TestFailure, Testnet, build_tx_pool, check, get_json,
                           http, log, main_wrapper, post_tx, read_text, stop_process, wait_for)

BEHAVIOURS = ["lying-height", "fake-proposal", "block-variants", "equivocate", "double-vote",
              "phantom-votes", "silent", "bad-certs", "future-spam", "replay", "bad-frames"]
# The evidence kind the honest nodes must record, and whether every honest node must (a
# double vote reaches all of them; an equivocating leader's pair reaches one per round).
EVIDENCE = {"equivocate": ("double_proposal", False), "double-vote": ("double_vote", True)}
# The adversary's own counter that shows it really attacked, and its minimum.
ATTACKED = {"lying-height": ("hellos_out", 3), "fake-proposal": ("fake_proposals_out", 1),
            "block-variants": ("variants_out", 100), "equivocate": ("equivocations_out", 1),
            "double-vote": ("forged_votes_out", 5), "phantom-votes": ("phantom_votes_out", 5),
            "silent": ("frames_in", 10), "bad-certs": ("bad_certs_out", 100),
            "future-spam": ("spam_out", 100), "replay": ("replays_out", 100),
            "bad-frames": ("bad_frames_out", 1000)}
HONEST = [0, 1, 2]
BYZ = 3
RATE = 4.0              # tx/s offered, round-robin over the honest nodes
BASELINE_S = 8
WINDOW_S = 8            # adversary active, txs submitted (--window)
COMMIT_WITHIN_S = 20    # every admitted tx commits within this of its submission
READY_GRACE_S = 5.0     # longest run of /readyz != 200 tolerated on one honest node
CONNECT_S = 15          # honest dialers back off up to 5 s after node3 went away
RECOVER_S = 60          # after an adversary stops, until the honest nodes are ready and commit
MIN_COMMITS = 2         # each honest node commits at least this many blocks per phase


def pool_size(window):
    return int(RATE * (BASELINE_S + window * len(BEHAVIOURS))) + 60


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True, help="folder with laurel, laureld, laurel-byzantine")
    p.add_argument("--repo", default=DEFAULT_REPO, help="checkout holding testnet/testnet")
    p.add_argument("--port-offset", type=int, default=80)
    p.add_argument("--keep", action="store_true", help="keep the testnet folder afterwards")
    p.add_argument("--behaviours", default=",".join(BEHAVIOURS),
                   help="comma-separated subset of " + ",".join(BEHAVIOURS))
    p.add_argument("--window", type=float, default=WINDOW_S,
                   help="seconds each behaviour runs with the load (8)")
    p.add_argument("--variant-rate", type=float, default=0,
                   help="block-variants per second (0: as fast as the transport takes them)")
    a = p.parse_args()
    a.behaviours = [b for b in a.behaviours.split(",") if b]
    for b in a.behaviours:
        if b not in BEHAVIOURS:
            p.error(f"unknown behaviour {b}")
    return a


class Monitor:
    """Polls /readyz and the height of every honest node twice a second."""

    def __init__(self, net):
        self.net = net
        self.samples = {i: [] for i in HONEST}  # node -> [(t, readyz status or None, height)]
        self.stop_ev = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def _run(self):
        while not self.stop_ev.is_set():
            for i in HONEST:
                t = time.monotonic()
                try:
                    code, _ = http("GET", self.net.url(i) + "/readyz", timeout=2)
                except OSError:
                    code = None
                try:
                    h = self.net.height(i, timeout=2)
                except Exception:
                    h = None
                self.samples[i].append((t, code, h))
            self.stop_ev.wait(0.5)

    def stop(self):
        self.stop_ev.set()
        self.thread.join(10)

    def longest_not_ready(self, i):
        """Longest stretch (s) during which /readyz of node i did not answer 200, and the codes
        seen in it."""
        longest, start, codes, worst_codes = 0.0, None, set(), set()
        samples = self.samples[i]
        for t, code, _ in samples:
            if code != 200:
                if start is None:
                    start, codes = t, set()
                codes.add(code)
            elif start is not None:
                if t - start > longest:
                    longest, worst_codes = t - start, codes
                start = None
        if start is not None and samples and samples[-1][0] - start >= longest:
            longest, worst_codes = samples[-1][0] - start, codes
        return longest, sorted(str(c) for c in worst_codes)

    def progress(self, i):
        hs = [h for _, _, h in self.samples[i] if h is not None]
        return (hs[0], hs[-1]) if hs else (None, None)


class Submitter:
    """Submits txs (no wait) at RATE tx/s round-robin over the honest nodes; records answers."""

    def __init__(self, net, pool):
        self.net = net
        self.pool = pool
        self.next = 0
        self.results = []  # (tx, node, t_submit, http status, error code or None)
        self.lock = threading.Lock()

    def run(self, seconds):
        t0 = time.monotonic()
        batch = []
        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            k = 0
            while True:
                due = t0 + k / RATE
                if due >= t0 + seconds:
                    break
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                check(self.next < len(self.pool), "the tx pool is exhausted")
                tx = self.pool[self.next]
                self.next += 1
                batch.append(ex.submit(self._one, tx, HONEST[k % len(HONEST)]))
                k += 1
        return [f.result() for f in batch]

    def _one(self, tx, node):
        t = time.monotonic()
        try:
            status, obj = post_tx(self.net.url(node), tx.json, wait=False, timeout=5)
        except OSError as e:
            return (tx, node, t, None, type(e).__name__)
        code = obj.get("code") if isinstance(obj, dict) else None
        return (tx, node, t, status, code)


def wait_commits(net, admitted, within):
    """Waits until every admitted tx is committed (as seen by the node it was sent to) or its
    deadline (submission + `within`) passes. Returns {tx_id: seconds to commit or None}."""
    out = {}
    pending = {r[0].tx_id: r for r in admitted}
    while pending:
        now = time.monotonic()
        for tx_id, (tx, node, t, _, _) in list(pending.items()):
            try:
                status, obj = net.tx(node, tx_id)
            except OSError:
                status, obj = None, None
            if status == 200 and isinstance(obj, dict) and obj.get("status") == "committed":
                out[tx_id] = time.monotonic() - t
                del pending[tx_id]
            elif now > t + within:
                out[tx_id] = None
                del pending[tx_id]
        if pending:
            time.sleep(0.5)
    return out


def heights_now(net):
    hs = net.heights(HONEST)
    check(all(h is not None for h in hs.values()), f"honest nodes do not answer: {hs}")
    return hs


def phase(net, submitter, name, window):
    """One measured stretch: submit for `window` seconds, then wait for the commits. Returns
    (stats, failures)."""
    mon = Monitor(net).start()
    h0, t0 = heights_now(net), time.monotonic()
    results = submitter.run(window)
    t1 = time.monotonic()
    h1 = net.heights(HONEST)
    admitted = [r for r in results if r[3] in (200, 202)]
    commit_times = wait_commits(net, admitted, COMMIT_WITHIN_S)
    mon.stop()
    failures = []
    rate = None
    deltas = {i: (h1[i] - h0[i]) if h1.get(i) is not None else None for i in HONEST}
    good = [d for d in deltas.values() if d is not None]
    if good:
        rate = sum(good) / len(good) / (t1 - t0)
    for i in HONEST:
        first, last = mon.progress(i)
        if first is None or last is None or last - first < MIN_COMMITS:
            failures.append(f"{name}: node{i} did not keep committing: height {first} -> {last} "
                            f"over {mon.samples[i][-1][0] - mon.samples[i][0][0]:.0f}s"
                            if mon.samples[i] else f"{name}: node{i} never answered")
        longest, codes = mon.longest_not_ready(i)
        if longest > READY_GRACE_S:
            failures.append(f"{name}: node{i} /readyz not 200 for {longest:.1f}s "
                            f"(answers {', '.join(codes)}; grace {READY_GRACE_S:.0f}s)")
    answers = {}
    for r in results:
        key = f"{r[3]}" + (f" {r[4]}" if r[4] else "")
        answers[key] = answers.get(key, 0) + 1
    refused = [r for r in results if r[3] not in (200, 202)]
    if refused:
        failures.append(f"{name}: POST /v1/txs refused {len(refused)} of {len(results)} "
                        f"submissions: {answers}")
    late = [tid for tid, dt in commit_times.items() if dt is None]
    if late:
        # What a client that resubmits a stuck tx is told.
        tx, node = next((r[0], r[1]) for r in admitted if r[0].tx_id == late[0])
        try:
            st, obj = post_tx(net.url(node), tx.json, wait=False, timeout=10)
            again = f"HTTP {st} {obj}"
        except OSError as e:
            again = type(e).__name__
        failures.append(f"{name}: {len(late)} of {len(admitted)} admitted txs not committed "
                        f"within {COMMIT_WITHIN_S}s (e.g. {late[0]}; resubmitted to node{node}: "
                        f"{again})")
    committed = len(commit_times) - len(late)
    worst = max([dt for dt in commit_times.values() if dt is not None], default=None)
    stats = dict(rate=rate, sent=len(results), admitted=len(admitted), committed=committed,
                 answers=answers, deltas=deltas, worst_commit=worst,
                 not_ready={i: mon.longest_not_ready(i) for i in HONEST})
    return stats, failures


def describe(stats):
    worst = f"{stats['worst_commit']:.1f}s" if stats["worst_commit"] is not None else "-"
    nr = ", ".join(f"node{i} {v[0]:.1f}s" for i, v in stats["not_ready"].items())
    return (f"heights +{stats['deltas']}, POST answers {stats['answers']}, slowest commit {worst}, "
            f"longest /readyz != 200: {nr}")


def wait_recovered(net):
    """The honest nodes are ready and commit again; returns the seconds it took."""
    t0 = time.monotonic()

    def ready():
        for i in HONEST:
            code, _ = http("GET", net.url(i) + "/readyz", timeout=2)
            if code != 200:
                return False
        return True
    wait_for(ready, RECOVER_S, "every honest node's /readyz to answer 200")
    net.wait_progress(HONEST, 2, max(5, RECOVER_S - (time.monotonic() - t0)))
    return time.monotonic() - t0


def start_adversary(net, exe, behaviour, seconds, variant_rate):
    out_path = os.path.join(net.dir, f"byzantine-{behaviour}.log")
    cmd = [exe, "--config", os.path.join(net.dir, f"node{BYZ}", "node.toml"),
           "--behaviour", behaviour, "--seconds", str(int(seconds))]
    if behaviour == "block-variants" and variant_rate > 0:
        cmd += ["--rate", str(variant_rate)]
    out = open(out_path, "w")
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    out.close()
    log(f"started laurel-byzantine --behaviour {behaviour} (pid {proc.pid}) as node{BYZ}")

    def connected():
        check(proc.poll() is None, f"laurel-byzantine exited {proc.returncode}:\n"
              + read_text(out_path))
        return "connected to all" in read_text(out_path)
    try:
        wait_for(connected, CONNECT_S, "laurel-byzantine to connect to every honest node")
    except TestFailure as e:
        log(f"warning: {e}; running anyway")
    return proc, out_path


def evidence_counts(net):
    """{node: {kind: n}} from laurel_consensus_evidence_total on each honest node's /metrics."""
    out = {}
    for i in HONEST:
        code, body = http("GET", net.url(i) + "/metrics", timeout=5)
        check(code == 200, f"node{i} /metrics answered {code}")
        text = body.decode() if isinstance(body, bytes) else str(body)
        counts = {}
        for m in re.finditer(r'^laurel_consensus_evidence_total\{kind="([a-z_]+)"\} ([0-9.e+]+)$',
                             text, re.M):
            counts[m.group(1)] = int(float(m.group(2)))
        out[i] = counts
    return out


def evidence_lines(net, i, kind):
    """node i's evidence.jsonl records of `kind` by validator BYZ."""
    path = os.path.join(net.dir, f"node{i}", "data", "evidence.jsonl")
    res = []
    for line in read_text(path).splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            raise TestFailure(f"node{i} evidence.jsonl has a line that is not JSON: {line!r}")
        if rec.get("kind") == kind and rec.get("signer") == BYZ:
            res.append(rec)
    return res


def api_evidence(net, i, page=2):
    """Every record of node i's GET /v1/evidence, paged `page` at a time with after=next_after;
    checks the paging (seq 1, 2, ... in order, `total` and `more` consistent)."""
    records, after = [], 0
    while True:
        obj = get_json(f"{net.url(i)}/v1/evidence?after={after}&limit={page}")
        got = obj["evidence"]
        check(len(got) <= page, f"node{i} /v1/evidence gave {len(got)} records for limit {page}")
        for r in got:
            check(r.get("seq") == len(records) + 1,
                  f"node{i} /v1/evidence: seq {r.get('seq')} where {len(records) + 1} was due")
            records.append(r)
        check(obj["next_after"] == (records[-1]["seq"] if got else after),
              f"node{i} /v1/evidence: next_after {obj['next_after']} after {len(records)} records")
        if not obj["more"]:
            check(obj["total"] == len(records),
                  f"node{i} /v1/evidence: total {obj['total']} but {len(records)} records listed")
            return records
        check(got, f"node{i} /v1/evidence: more=true on an empty page")
        after = obj["next_after"]


def check_api_evidence(net, i, behaviour, kind, file_lines):
    """node i's GET /v1/evidence lists its evidence.jsonl: the same records, in file order, and
    validator BYZ's `kind` records with both block ids. Returns failures."""
    try:
        records = api_evidence(net, i)
    except (TestFailure, OSError, KeyError, TypeError) as e:
        return [f"{behaviour}: node{i} GET /v1/evidence: {e}"]
    path = os.path.join(net.dir, f"node{i}", "data", "evidence.jsonl")
    in_file = [json.loads(l) for l in read_text(path).splitlines()]
    # The file may have grown between the two reads: compare the common prefix.
    n = min(len(in_file), len(records))
    if n < len(in_file) - 2 or any({k: v for k, v in records[j].items() if k != "seq"}
                                   != in_file[j] for j in range(n)):
        return [f"{behaviour}: node{i} GET /v1/evidence ({len(records)} records) does not list "
                f"its evidence.jsonl ({len(in_file)} lines)"]
    mine = [r for r in records if r.get("kind") == kind and r.get("signer") == BYZ]
    if len(mine) < len(file_lines):
        return [f"{behaviour}: node{i} GET /v1/evidence lists {len(mine)} {kind} records of "
                f"validator {BYZ}, its file {len(file_lines)}"]
    last = mine[-1]
    if last["first"]["block_id"] == last["second"]["block_id"]:
        return [f"{behaviour}: node{i} GET /v1/evidence record without two block ids: {last}"]
    return []


def check_evidence(net, behaviour, before, after):
    """The honest nodes recorded the adversary's equivocation. Returns (summary, failures)."""
    kind, everywhere = EVIDENCE[behaviour]
    deltas = {i: after[i].get(kind, 0) - before[i].get(kind, 0) for i in HONEST}
    failures = []
    recorders = [i for i in HONEST if deltas[i] > 0]
    if not recorders:
        failures.append(f"{behaviour}: no honest node counted {kind} evidence "
                        f"(laurel_consensus_evidence_total deltas {deltas})")
    elif everywhere and len(recorders) < len(HONEST):
        failures.append(f"{behaviour}: only node(s) {recorders} counted {kind} evidence "
                        f"(deltas {deltas})")
    byz_key = net.node_pubkey(BYZ)
    for i in recorders:
        lines = evidence_lines(net, i, kind)
        if not lines:
            failures.append(f"{behaviour}: node{i} counted {kind} evidence but its "
                            f"evidence.jsonl has no such line for validator {BYZ}")
            continue
        rec = lines[-1]
        a, b = rec.get("first", {}), rec.get("second", {})
        if not (a.get("block_id") and b.get("block_id") and a["block_id"] != b["block_id"]
                and len(a.get("signature", "")) == 128 and len(b.get("signature", "")) == 128):
            failures.append(f"{behaviour}: node{i} evidence line lacks two block ids and "
                            f"signatures: {rec}")
        if byz_key and rec.get("signer_key", "").lower() != str(byz_key).lower():
            failures.append(f"{behaviour}: node{i} evidence names key {rec.get('signer_key')}, "
                            f"not node{BYZ}'s {byz_key}")
        if f"EQUIVOCATION by validator {BYZ}" not in read_text(net.log_path(i)):
            failures.append(f"{behaviour}: node{i} did not log EQUIVOCATION by validator {BYZ}")
        failures += check_api_evidence(net, i, behaviour, kind, lines)
    summary = (f"evidence {kind} counted {dict(deltas)}, "
               f"evidence.jsonl lines {[len(evidence_lines(net, i, kind)) for i in HONEST]}, "
               f"GET /v1/evidence records "
               f"{[get_json(net.url(i) + '/v1/evidence?limit=1')['total'] for i in HONEST]}")
    return summary, failures


def done_counters(out_path):
    """The adversary's final `byzantine: done` line as {name: int}."""
    lines = [l for l in read_text(out_path).splitlines() if l.startswith("byzantine: done")]
    if not lines:
        return None, {}
    counters = {}
    for k, v in re.findall(r"(\w+)=([0-9]+)\b", lines[-1]):
        counters[k] = int(v)
    return lines[-1], counters


def test(args):
    # The fake-proposal adversary lists the transactions it receives as gossip: the version-1
    # path (with quorum_store on, validators send batches instead, and it has none to list).
    os.environ.setdefault("LAUREL_QUORUM_STORE", "0")
    t_start = time.monotonic()
    exe = os.path.join(os.path.abspath(args.bin), "laurel-byzantine")
    check(os.access(exe, os.X_OK), f"{exe} is missing: build it first")
    failures = []
    with Testnet(args, "byzantine") as net:
        net.init()
        pool = build_tx_pool(net.laurel, net.key("city-fed"), pool_size(args.window))
        net.up()
        net.kill(BYZ)
        net.wait_progress(HONEST, 2, 60)
        submitter = Submitter(net, pool)

        base, base_fail = phase(net, submitter, "baseline", BASELINE_S)
        log(f"MEASURED byzantine baseline (node{BYZ} down, {RATE:.0f} tx/s offered): "
            f"{base['rate']:.2f} commits/s, admitted {base['admitted']} of {base['sent']}, "
            f"committed {base['committed']} of {base['sent']}")
        log(f"baseline: {describe(base)}")
        # Without the adversary the rules must hold, or the test measures nothing.
        check(not base_fail, "baseline broken: " + "; ".join(base_fail))
        agreed = 0  # heights 1..agreed are known to agree on the honest nodes

        for behaviour in args.behaviours:
            t_behaviour = time.monotonic()
            evidence_before = evidence_counts(net) if behaviour in EVIDENCE else None
            # The adversary runs for the submission window and the commit bound after it.
            proc, out_path = start_adversary(net, exe, behaviour,
                                             args.window + COMMIT_WITHIN_S + 5, args.variant_rate)
            try:
                stats, fails = phase(net, submitter, behaviour, args.window)
            finally:
                rc = stop_process(proc)
            done, counters = done_counters(out_path)
            log(f"laurel-byzantine exited {rc}: {done or '(no done line)'}")
            if rc != 0 or done is None:
                fails.append(f"{behaviour}: laurel-byzantine exited {rc}"
                             + ("" if done else " without its done line"))
            name, least = ATTACKED[behaviour]
            if counters.get(name, 0) < least:
                fails.append(f"{behaviour}: the adversary did not attack: {name}="
                             f"{counters.get(name)} (at least {least} expected)")
            extra = ""
            if behaviour in EVIDENCE:
                summary, ev_fails = check_evidence(net, behaviour, evidence_before,
                                                   evidence_counts(net))
                fails += ev_fails
                extra = f", {summary}"
            try:
                upto = min(net.height(i) for i in HONEST)
                n = net.assert_same_blocks(HONEST, upto=upto, start=agreed + 1)
                agreed = max(agreed, upto)
                extra += f", same blocks on the honest nodes up to height {upto} ({n} checked)"
            except TestFailure as e:
                fails.append(f"{behaviour}: {e}")
            log(f"MEASURED byzantine {behaviour}: {stats['rate']:.2f} commits/s "
                f"(baseline {base['rate']:.2f} commits/s), admitted {stats['admitted']} of "
                f"{stats['sent']}, committed {stats['committed']} of {stats['sent']}, "
                f"adversary {name}={counters.get(name)}{extra}, "
                f"{time.monotonic() - t_behaviour:.0f}s")
            log(f"{behaviour}: {describe(stats)}")
            for f in fails:
                log(f"BROKEN {f}")
            failures += fails
            try:
                dt = wait_recovered(net)
                log(f"{behaviour}: honest nodes ready and committing {dt:.1f}s after the "
                    f"adversary stopped")
            except TestFailure as e:
                failures.append(f"{behaviour}: no recovery after the adversary stopped: {e}")
                log(f"BROKEN {failures[-1]}; the remaining behaviours are skipped")
                break
        # Evidence never names an honest validator (replayed and forged messages included).
        for i in HONEST:
            path = os.path.join(net.dir, f"node{i}", "data", "evidence.jsonl")
            wrong = [l for l in read_text(path).splitlines()
                     if json.loads(l).get("signer") in HONEST]
            if wrong:
                failures.append(f"node{i} recorded evidence against an honest validator: "
                                f"{wrong[0]}")
        if failures:
            net.failed = True
    log(f"MEASURED byzantine total: {len(args.behaviours)} behaviours in "
        f"{time.monotonic() - t_start:.0f}s")
    check(not failures, f"{len(failures)} rule(s) broken:\n  " + "\n  ".join(failures))


if __name__ == "__main__":
    a = parse_args()
    main_wrapper(lambda: test(a))
