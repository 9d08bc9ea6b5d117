"""Helpers for laurel's integration tests: a testnet of real `laureld` processes driven through
testnet/testnet, an HTTP client for the node API, and signed transactions made by the real
`laurel` CLI. Python 3 standard library only.

Every Testnet lives in its own temporary folder with its own ports, and its nodes are always
stopped: at the end of the `with` block, at interpreter exit, on SIGTERM/SIGINT/SIGHUP, and -
should this process be killed outright - by a small reaper process that outlives it.
"""

import argparse
import atexit
import base64
import concurrent.futures
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_REPO = os.path.abspath(os.path.join(HERE, "..", ".."))


def log(*args):
    print(time.strftime("%H:%M:%S"), *args, flush=True)


def parse_args(default_offset):
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True, help="folder with laurel and laureld")
    p.add_argument("--repo", default=DEFAULT_REPO, help="checkout holding testnet/testnet")
    p.add_argument("--port-offset", type=int, default=default_offset)
    p.add_argument("--keep", action="store_true", help="keep the testnet folder afterwards")
    return p.parse_args()


def skip(why):
    """Ends a test that cannot run here (no root, a missing tool): prints SKIP and exits 0."""
    print(f"SKIP: {why}", flush=True)
    sys.exit(0)


class TestFailure(AssertionError):
    pass


def check(cond, what):
    if not cond:
        raise TestFailure(what)


def wait_for(pred, timeout, what, interval=0.25):
    """Polls pred() until it returns a truthy value (returned) or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = pred()
        except Exception as e:  # a node may be briefly unreachable; keep polling
            last = None
            err = e
        else:
            err = None
        if last:
            return last
        if time.monotonic() >= deadline:
            raise TestFailure(f"timed out after {timeout}s waiting for {what}" +
                              (f" (last error: {err})" if err else ""))
        time.sleep(interval)


# ------------------------------------------------------------------------------------------------
# HTTP


def http(method, url, body=None, headers=None, timeout=10, context=None):
    """Returns (status, parsed JSON or raw text or None). Raises OSError when nothing answers.
    `context`: an ssl.SSLContext for an https:// node (e.g. trusting its self-signed cert)."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=context) as r:
            status, raw = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, raw.decode("utf-8", "replace")


def get_json(url, timeout=5, context=None):
    status, obj = http("GET", url, timeout=timeout, context=context)
    if status != 200:
        raise TestFailure(f"GET {url}: HTTP {status}: {obj}")
    return obj


def post_tx(base_url, tx_json, wait=True, timeout=30):
    url = base_url + "/v1/txs" + ("?wait=commit" if wait else "")
    body = tx_json if isinstance(tx_json, bytes) else tx_json.encode()
    return http("POST", url, body, {"Content-Type": "application/json"}, timeout)


def as_int(v):
    return int(v) if v is not None and v != "" else None


def run_laurel(laurel, args, rpc=None, cwd=None, expect=0, timeout=60, label="", shown=400,
               shown_err=0, newline=False):
    """Runs the `laurel` CLI with `args` (and `--rpc RPC` when rpc is given), logs its exit and
    the start of its output (`shown` characters of stdout, `shown_err` of stderr), and checks
    its exit code is `expect` (None: any). Returns the CompletedProcess."""
    argv = [laurel, *args] + (["--rpc", rpc] if rpc else [])
    t0 = time.monotonic()
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=cwd,
                       stdin=subprocess.DEVNULL)
    sep = "\n" if newline else " "
    err = f"\n{r.stderr.strip()[:shown_err]}" if shown_err else ""
    took = f" in {time.monotonic() - t0:.1f}s" if timeout > 60 else ""
    log(f"laurel {' '.join(args)}{label} -> {'exit ' if took else ''}{r.returncode}{took}:{sep}"
        f"{r.stdout.strip()[:shown]}{err}")
    if expect is not None:
        check(r.returncode == expect, f"`laurel {' '.join(args)}` exited {r.returncode}, "
              f"expected {expect}: {r.stdout}{r.stderr}")
    return r


def run_audit(net, url, *extra, timeout=300, shown=400, shown_err=0, newline=False):
    """`laurel audit --rpc URL EXTRA...` against a testnet, logged; any exit code."""
    return run_laurel(net.laurel, ["audit", "--rpc", url, *extra], expect=None, timeout=timeout,
                      shown=shown, shown_err=shown_err, newline=newline)


def first_reason(stdout):
    """The reason a `laurel verify` / `laurel gate verify` printout starts with: VALID, or the
    word after REFUSED; None when there is neither."""
    for line in stdout.splitlines():
        if line.startswith("VALID"):
            return "VALID"
        if line.startswith("REFUSED "):
            return line.split()[1].rstrip(":")
    return None


def result_code(v):
    """The ledger result as a name: the API may give the name or the number."""
    if isinstance(v, int) or (isinstance(v, str) and v.isdigit()):
        return "OK" if int(v) == 0 else f"code {int(v)}"
    return v


# ------------------------------------------------------------------------------------------------
# Transactions made with the real CLI


class SignedTx:
    def __init__(self, credential_id, tx_json):
        self.credential_id = credential_id
        self.json = tx_json  # compact protobuf-JSON of laurel.v1.Tx
        body = base64.b64decode(json.loads(tx_json)["body"])
        self.tx_id = hashlib.sha256(body).hexdigest()


def build_issue_tx(laurel, key_file, credential_id, issuer_id="city-fed", ctype="MODEL_WORKER",
                   level="MUNICIPAL", chain_id="laurel-local"):
    now = int(time.time())
    body = {
        "chain_id": chain_id,
        "issue_credential": {
            "credential_id": credential_id, "issuer_id": issuer_id, "type": ctype,
            "level": level if ctype == "MODEL_WORKER" else "LEVEL_UNSPECIFIED",
            "card_digest": base64.b64encode(secrets.token_bytes(32)).decode(),
            "valid_from": now, "valid_until": now + 3 * 365 * 86400,
        },
    }
    built = subprocess.run([laurel, "tx", "build", "--in", "-", "--out", "-"],
                           input=json.dumps(body).encode(), capture_output=True, timeout=30)
    if built.returncode != 0:
        raise TestFailure(f"laurel tx build failed: {built.stderr.decode()}")
    signed = subprocess.run([laurel, "tx", "sign", "--in", "-", "--key", key_file, "--out", "-"],
                            input=built.stdout, capture_output=True, timeout=30)
    if signed.returncode != 0:
        raise TestFailure(f"laurel tx sign failed: {signed.stderr.decode()}")
    return SignedTx(credential_id, json.dumps(json.loads(signed.stdout), separators=(",", ":")))


def pb_field(num, data):
    """A protobuf length-delimited field (wire type 2)."""
    out = bytes([(num << 3) | 2])
    n = len(data)
    while n >= 0x80:
        out += bytes([(n & 0x7F) | 0x80])
        n >>= 7
    return out + bytes([n]) + data


def tx_wire(tx, break_signatures=False):
    """The canonical laurel.v1.Tx encoding of `tx` (a build_tx_pool entry), optionally with one
    byte of each signature flipped."""
    obj = json.loads(tx.json)
    out = pb_field(1, base64.b64decode(obj["body"]))
    for s in obj["signatures"]:
        pk = base64.b64decode(s.get("public_key") or s.get("publicKey"))
        sig = bytearray(base64.b64decode(s["signature"]))
        if break_signatures:
            sig[len(sig) // 2] ^= 0x20
        out += pb_field(2, pb_field(1, pk) + pb_field(2, bytes(sig)))
    return out


def build_tx_pool(laurel, key_file, count, tag=None, workers=4):
    """`count` signed IssueCredential txs by city-fed, built in parallel by the CLI."""
    tag = tag or secrets.token_hex(4)
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(workers) as ex:
        txs = list(ex.map(lambda i: build_issue_tx(laurel, key_file, f"city-fed/it-{tag}/{i:06d}"),
                          range(count)))
    log(f"built {count} signed txs with the CLI in {time.monotonic() - t0:.1f}s")
    return txs


# ------------------------------------------------------------------------------------------------
# Keys and certificates

ED25519_PKCS8_PREFIX = bytes.fromhex("302e020100300506032b657004220420")


def key_file_to_pem(key_file, out_pem):
    """Writes the Ed25519 private key of a laurel key file (unencrypted) as PKCS#8 PEM."""
    with open(key_file) as f:
        seed = bytes.fromhex(json.load(f)["seed"])
    der = ED25519_PKCS8_PREFIX + seed
    b64 = base64.encodebytes(der).decode().replace("\n", "")
    with open(out_pem, "w") as f:
        f.write("-----BEGIN PRIVATE KEY-----\n" + b64 + "\n-----END PRIVATE KEY-----\n")
    os.chmod(out_pem, 0o600)


def self_signed_cert(key_pem, cert_pem, cn="laurel-test"):
    subprocess.run(["openssl", "req", "-x509", "-new", "-key", key_pem, "-subj", f"/CN={cn}",
                    "-days", "2", "-out", cert_pem], check=True, capture_output=True, timeout=30)


def new_foreign_cert(folder):
    key, cert = os.path.join(folder, "foreign.key.pem"), os.path.join(folder, "foreign.crt.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ed25519", "-nodes", "-keyout", key,
                    "-out", cert, "-subj", "/CN=intruder", "-days", "2"],
                   check=True, capture_output=True, timeout=30)
    return key, cert


# ------------------------------------------------------------------------------------------------
# The testnet

_REAPER = r"""
import os, signal, sys, time, shutil
parent, pgid, folder, keep = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4] == "1"
def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
while alive(parent):
    time.sleep(1)
for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
    pf = os.path.join(folder, name, "laureld.pid")
    try:
        pid = int(open(pf).read().strip())
        if b"laureld" in open(f"/proc/{pid}/cmdline", "rb").read():
            os.kill(pid, signal.SIGKILL)
    except (OSError, ValueError):
        pass
try:
    os.killpg(pgid, signal.SIGKILL)
except OSError:
    pass
if not keep:
    shutil.rmtree(folder, ignore_errors=True)
"""

_live_testnets = []


def _on_signal(signum, _frame):
    for t in list(_live_testnets):
        t.cleanup()
    os._exit(128 + signum)


class Testnet:
    def __init__(self, args, name, n=4):
        self.repo = os.path.abspath(args.repo)
        self.bin = os.path.abspath(args.bin)
        self.laurel = os.path.join(self.bin, "laurel")
        self.n = n
        self.keep = args.keep
        self.rpc_base = 18700 + args.port_offset
        self.p2p_base = 18800 + args.port_offset
        self.dir = tempfile.mkdtemp(prefix=f"laurel-it-{name}-")
        self.script = os.path.join(self.repo, "testnet", "testnet")
        self.env = dict(os.environ, LAUREL_TESTNET_DIR=self.dir, LAUREL_BIN=self.bin,
                        LAUREL_RPC_BASE=str(self.rpc_base), LAUREL_P2P_BASE=str(self.p2p_base),
                        LAUREL_UP_TIMEOUT="90")
        self.failed = False
        self._cleaned = False
        # Called once every node is stopped, before the folder goes (e.g. to unmount a test's
        # file system inside it); run on every way out, signals included.
        self.after_stop = []
        for exe in ("laurel", "laureld"):
            check(os.access(os.path.join(self.bin, exe), os.X_OK),
                  f"{os.path.join(self.bin, exe)} is missing: build it first")
        self._check_ports_free()
        # Our own process group: the nodes inherit it, and the reaper kills it if we die.
        # (Not when run by hand from a terminal: the group would lose the terminal's Ctrl-C.)
        if os.getpgrp() != os.getpid() and not os.isatty(0):
            try:
                os.setpgrp()
            except OSError:
                pass
        self._reaper = subprocess.Popen(
            [sys.executable, "-c", _REAPER, str(os.getpid()), str(os.getpgrp()), self.dir,
             "1" if self.keep else "0"], start_new_session=True,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _live_testnets.append(self)
        atexit.register(self.cleanup)
        for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(s, _on_signal)
        log(f"testnet {name}: {self.dir}, rpc {self.rpc_base}+i, p2p {self.p2p_base}+i")

    def _check_ports_free(self):
        for port in [self.rpc_base + i for i in range(self.n)] + \
                    [self.p2p_base + i for i in range(self.n)]:
            with socket.socket() as s:
                s.settimeout(0.5)
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    raise TestFailure(f"port {port} is already in use (a leftover testnet?)")

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.failed = True
        self.cleanup()
        return False

    # -- testnet/testnet -------------------------------------------------------------------

    def run(self, *args, timeout=180, check_rc=True):
        r = subprocess.run([self.script, *map(str, args)], env=self.env, capture_output=True,
                           text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        if check_rc and r.returncode != 0:
            raise TestFailure(f"testnet/testnet {' '.join(map(str, args))} exited "
                              f"{r.returncode}:\n{r.stdout}{r.stderr}")
        return r

    def init(self):
        self.run("init", self.n)

    def up(self):
        t0 = time.monotonic()
        self.run("up")
        log(f"testnet up: all {self.n} nodes at height >= 2 after {time.monotonic() - t0:.1f}s")

    def kill(self, i):
        self.run("kill", i)
        log(f"kill -9 node{i}")

    def start(self, i):
        self.run("start", i)
        log(f"started node{i}")

    def wipe(self, i):
        self.run("wipe", i)
        log(f"wiped node{i}")

    def down(self):
        return self.run("down", timeout=120, check_rc=False)

    def key(self, name):
        return os.path.join(self.dir, "keys", f"{name}.key")

    def node_key(self, i):
        return os.path.join(self.dir, f"node{i}", "node.key")

    def node_pubkey(self, i):
        with open(self.node_key(i)) as f:
            return json.load(f)["public_key"]

    def url(self, i):
        return f"http://127.0.0.1:{self.rpc_base + i}"

    def p2p_port(self, i):
        return self.p2p_base + i

    def log_path(self, i):
        return os.path.join(self.dir, f"node{i}", "laureld.log")

    def log_tail(self, i, lines=30):
        try:
            with open(self.log_path(i), errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return "(no log)"

    def log_lines(self, i, mark):
        """The lines of node i's log that contain `mark`, stripped."""
        with open(self.log_path(i), errors="replace") as f:
            return [line.strip() for line in f if mark in line]

    def metric(self, i, name):
        """The value of `name` on node i's /metrics (the first series when it has labels)."""
        status, text = http("GET", self.url(i) + "/metrics", timeout=5)
        check(status == 200, f"node{i} /metrics: HTTP {status}")
        for line in str(text).splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                return float(line.rsplit(" ", 1)[1])
        raise TestFailure(f"node{i} /metrics has no {name}")

    def pids(self):
        out = {}
        for i in range(self.n):
            try:
                with open(os.path.join(self.dir, f"node{i}", "laureld.pid")) as f:
                    out[i] = int(f.read().strip())
            except (OSError, ValueError):
                pass
        return out

    def running(self, i):
        pid = self.pids().get(i)
        if pid is None:
            return False
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return False
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                return b"laureld" in f.read()
        except OSError:
            return False

    def cleanup(self):
        if self._cleaned:
            return
        self._cleaned = True
        if self in _live_testnets:
            _live_testnets.remove(self)
        if self.failed:
            for i in range(self.n):
                sys.stdout.write(f"---- node{i} log tail ({self.log_path(i)}) ----\n"
                                 f"{self.log_tail(i, 40)}\n")
        try:
            r = self.down()
            if r.returncode != 0:
                log(f"testnet down exited {r.returncode}: {r.stdout}{r.stderr}")
        except Exception as e:  # fall through to SIGKILL below
            log(f"testnet down failed: {e}")
        for i, pid in self.pids().items():
            if self.running(i):
                log(f"node{i} (pid {pid}) survived 'down'; SIGKILL")
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        for fn in self.after_stop:
            try:
                fn()
            except Exception as e:
                log(f"clean-up step failed: {e}")
        if self.keep or self.failed:
            log(f"testnet folder kept: {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
        # Everything is stopped: the reaper (for when this process dies abruptly) is not needed.
        try:
            self._reaper.kill()
            self._reaper.wait(5)
        except (OSError, subprocess.TimeoutExpired):
            pass

    # -- node API --------------------------------------------------------------------------

    def status(self, i, timeout=3):
        return get_json(self.url(i) + "/v1/status", timeout)

    def height(self, i, timeout=3):
        return as_int(self.status(i, timeout)["height"])

    def heights(self, nodes):
        out = {}
        for i in nodes:
            try:
                out[i] = self.height(i)
            except Exception:
                out[i] = None
        return out

    def block(self, i, h):
        return get_json(f"{self.url(i)}/v1/blocks/{h}")

    def tx(self, i, tx_id):
        return http("GET", f"{self.url(i)}/v1/txs/{tx_id}")

    def check_not_committed(self, i, tx_id, what):
        """Fails with `what` and node i's answer if node i reports tx_id committed."""
        status, obj = self.tx(i, tx_id)
        check(status != 200 or obj.get("status") != "committed", f"{what}: {obj}")

    def wait_height(self, nodes, target, timeout, what=None):
        def ok():
            hs = self.heights(nodes)
            return all(h is not None and h >= target for h in hs.values()) and hs
        return wait_for(ok, timeout, what or f"nodes {list(nodes)} to reach height {target}")

    def wait_progress(self, nodes, blocks, timeout):
        """Waits until every node in `nodes` commits `blocks` more blocks; returns the heights."""
        start = self.heights(nodes)
        check(all(h is not None for h in start.values()), f"nodes do not answer: {start}")
        def ok():
            hs = self.heights(nodes)
            return all(hs[i] is not None and hs[i] >= start[i] + blocks for i in nodes) and hs
        return wait_for(ok, timeout, f"nodes {list(nodes)} to commit {blocks} more blocks "
                        f"(from {start})")

    def assert_same_blocks(self, nodes, upto=None, start=1):
        """Block id and state root of every height start..upto agree on every node in `nodes`.
        Returns the number of heights compared."""
        if upto is None:
            upto = min(self.height(i) for i in nodes)
        for h in range(start, upto + 1):
            ref = None
            for i in nodes:
                b = self.block(i, h)
                check(as_int(b.get("height")) == h, f"node{i} /v1/blocks/{h} says height "
                      f"{b.get('height')}")
                got = (b.get("block_id"), b.get("state_root"))
                check(got[0] and got[1], f"node{i} block {h} lacks block_id/state_root: {b}")
                if ref is None:
                    ref = (i, got)
                elif got != ref[1]:
                    raise TestFailure(f"DIVERGENCE at height {h}: node{ref[0]} has block_id/"
                                      f"state_root {ref[1]}, node{i} has {got}")
        return max(0, upto - start + 1)

    def assert_txs_everywhere(self, nodes, acked):
        """Every tx in `acked` ({tx_id: (height, position, result)}) is committed with the same
        location and result on every node in `nodes`."""
        for i in nodes:
            for tx_id, loc in acked.items():
                status, obj = self.tx(i, tx_id)
                check(status == 200, f"node{i} GET /v1/txs/{tx_id}: HTTP {status} {obj} "
                      f"(acknowledged as committed at {loc})")
                got = (as_int(obj.get("height")), as_int(obj.get("position")),
                       result_code(obj.get("result")))
                check(obj.get("status") == "committed" and got == loc,
                      f"node{i} has tx {tx_id} as {obj}, but it was acknowledged committed at "
                      f"(height, position, result) = {loc}")


    def assert_acked_and_agreed(self, nodes, acked, timeout=30):
        """The end of a run under load: some txs were acknowledged (`acked`, as Load.snapshot()
        gives), every one is committed at the same place on every node of `nodes` (waiting up to
        `timeout` for the highest), block ids and state roots agree at every height they all
        have, and no log says EQUIVOCATION. Returns (heights compared, top height compared)."""
        check(acked, "no tx was acknowledged")
        top = max(loc[0] for loc in acked.values())
        self.wait_height(nodes, top, timeout)
        self.assert_txs_everywhere(nodes, acked)
        upto = min(self.heights(nodes).values())
        compared = self.assert_same_blocks(nodes, upto)
        for i in nodes:
            bad = self.log_lines(i, "EQUIVOCATION")
            check(not bad, f"node{i} logged equivocation: {bad[:3]}")
        return compared, upto


def committed_location(status, obj):
    """(height, position, result) of a 200 ?wait=commit answer, or None."""
    if status != 200 or not isinstance(obj, dict) or obj.get("status") != "committed":
        return None
    return (as_int(obj.get("height")), as_int(obj.get("position")), result_code(obj.get("result")))


class Load:
    """Submits txs from a pool round-robin over the live nodes at `rate` tx/s with ?wait=commit,
    from `workers` threads. Records every tx acknowledged as committed (HTTP 200)."""

    def __init__(self, net, pool, nodes, rate=10.0, workers=16, wait_timeout=20):
        self.net = net
        self.pool = list(pool)
        self.live = set(nodes)
        self.rate = rate
        self.acked = {}       # tx_id -> (height, position, result), guarded by lock
        self.ack_times = []   # monotonic time of each ack
        self.errors = 0
        self.sent = 0
        self.lock = threading.Lock()
        self.stop_ev = threading.Event()
        self.next_idx = 0
        self.rr = 0
        self.wait_timeout = wait_timeout
        self.threads = [threading.Thread(target=self._worker, daemon=True) for _ in range(workers)]
        self.t_start = None

    def start(self):
        self.t_start = time.monotonic()
        for t in self.threads:
            t.start()
        return self

    def set_live(self, nodes):
        with self.lock:
            self.live = set(nodes)

    def _take(self):
        with self.lock:
            if self.next_idx >= len(self.pool) or not self.live:
                return None, None
            # Pace: the k-th tx is due at t_start + k / rate.
            due = self.t_start + self.next_idx / self.rate
            tx = self.pool[self.next_idx]
            self.next_idx += 1
            live = sorted(self.live)
            node = live[self.rr % len(live)]
            self.rr += 1
        delay = due - time.monotonic()
        if delay > 0:
            self.stop_ev.wait(delay)
        return tx, node

    def _worker(self):
        while not self.stop_ev.is_set():
            tx, node = self._take()
            if tx is None:
                if self.next_idx >= len(self.pool):
                    return
                self.stop_ev.wait(0.1)
                continue
            if self.stop_ev.is_set():
                return
            try:
                status, obj = post_tx(self.net.url(node), tx.json, wait=True,
                                      timeout=self.wait_timeout)
            except Exception:
                with self.lock:
                    self.errors += 1
                    self.sent += 1
                continue
            loc = committed_location(status, obj)
            with self.lock:
                self.sent += 1
                if loc:
                    self.acked[tx.tx_id] = loc
                    self.ack_times.append(time.monotonic())
                else:
                    self.errors += 1

    def snapshot(self):
        with self.lock:
            return dict(self.acked)

    def acks_between(self, t0, t1):
        with self.lock:
            return sum(1 for t in self.ack_times if t0 <= t < t1)

    def stop(self, timeout=60):
        self.stop_ev.set()
        for t in self.threads:
            t.join(timeout)


def main_wrapper(fn):
    """Runs a test body, printing PASS/FAIL; exits 1 on failure."""
    t0 = time.monotonic()
    try:
        fn()
    except Exception as e:
        import traceback
        traceback.print_exc()
        print(f"FAIL after {time.monotonic() - t0:.0f}s: {e}", flush=True)
        sys.exit(1)
    print(f"PASS in {time.monotonic() - t0:.0f}s", flush=True)


def read_text(path):
    """The text of `path` (undecodable bytes replaced), or "" if it cannot be read."""
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def stop_process(proc):
    """SIGTERM to a child still running, SIGKILL after 15 s; returns its exit status."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
    return proc.returncode


def byzantine_exe(args):
    """The laurel-byzantine binary of the build under test (the test fails when it is missing)."""
    exe = os.path.join(os.path.abspath(args.bin), "laurel-byzantine")
    check(os.access(exe, os.X_OK), f"{exe} is missing: build it first")
    return exe


class Adversary:
    """laurel-byzantine in the place of validator `index` of `net` (its config and key), with
    `flags`, its output in NET/byzantine-NAME.log. A context manager: stopped on the way out."""

    def __init__(self, exe, net, index, name, flags):
        self.out_path = os.path.join(net.dir, f"byzantine-{name}.log")
        cmd = [exe, "--config", os.path.join(net.dir, f"node{index}", "node.toml"), *flags]
        with open(self.out_path, "w") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
        log(f"started laurel-byzantine {' '.join(flags)} (pid {self.proc.pid}) as node{index}")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            stop_process(self.proc)

    def output(self):
        return read_text(self.out_path)

    def check_running(self):
        check(self.proc.poll() is None,
              f"laurel-byzantine exited {self.proc.returncode}:\n{self.output()[-3000:]}")

    def wait_connected(self, timeout):
        def connected():
            self.check_running()
            return "connected to all" in self.output()
        wait_for(connected, timeout, "laurel-byzantine to connect to every honest node")

    def finish(self, timeout):
        """Waits for its run to end; it must exit 0."""
        rc = self.proc.wait(timeout)
        check(rc == 0, f"laurel-byzantine exited {rc}:\n{self.output()[-3000:]}")

    def last_line(self, prefix):
        """Its last output line starting with `prefix`, as (line, {name: int}); the test fails
        when there is none."""
        lines = [l for l in self.output().splitlines() if l.startswith(prefix)]
        check(lines, f"laurel-byzantine printed no '{prefix}' line:\n{self.output()[-3000:]}")
        return lines[-1], {k: int(v) for k, v in re.findall(r"(\w+)=([0-9]+)\b", lines[-1])}


def metric_value(net, i, name, labels=None):
    """The value of metric `name` (with exactly `labels` 'k="v"', if given) on node i, or 0."""
    status, text = http("GET", net.url(i) + "/metrics", timeout=5)
    check(status == 200, f"node{i} /metrics: HTTP {status}")
    want = f"{name}{{{labels}}} " if labels else f"{name} "
    for line in str(text).splitlines():
        if line.startswith(want):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def send_all_ok(net, pool, nodes, first=0, workers=8):
    """Submits pool[first:] round robin over `nodes` with ?wait=commit; each must commit OK.
    Returns {tx_id: (height, position, result)}."""
    def send(k):
        tx = pool[k]
        node = nodes[k % len(nodes)]
        status, obj = post_tx(net.url(node), tx.json, wait=True, timeout=60)
        loc = committed_location(status, obj)
        check(loc is not None, f"tx {k} to node{node}: HTTP {status} {obj}")
        check(loc[2] == "OK", f"tx {tx.tx_id} committed with result {loc[2]}, expected OK")
        return tx.tx_id, loc

    with concurrent.futures.ThreadPoolExecutor(workers) as ex:
        return dict(ex.map(send, range(first, len(pool))))
