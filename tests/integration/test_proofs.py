"""Proven reads against a real 4-validator testnet: `laurel verify --prove`, `laurel proof
get` and `laurel credential show --prove` accept honest answers (a valid card, a revoked one, a credential, an issuer, governance)
and say at which height and by which validators; a lying node (a proxy that edits the answer)
is refused for each lie, naming what failed: a flipped decision, a changed record, a changed
sibling, a forged certificate signature, a dropped proof, a replayed stale answer (`credential
show --prove` then shows nothing of the record); a saved answer goes stale.
Receipts: `laurel receipt get` saves a committed transaction's receipt from the testnet, and
`laurel receipt verify` proves it offline with only genesis.json; tampered copies (position,
code, result name, height, transaction bytes, tx id, audit path, tx root, certificate) are each
refused with the reason named."""

import http.server
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request

from laurel_client import http as http_call  # noqa: E402
from laurel_client import (Testnet, as_int, check, get_json, log, main_wrapper, parse_args,
                           run_laurel, wait_for)

CRED = "city-fed/M/2026/000123"
IDLE_S = 6     # no transactions for this long
FRESH_S = 3    # a proof asked for then is at most this old


class LyingProxy:
    """Forwards to a node; `lie` (a function of the parsed JSON answer) edits proven answers."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.lie = None
        self.posts = []  # "POST <target>" of every POST forwarded
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _forward(self, body=None):
                req = urllib.request.Request(proxy.upstream + self.path, data=body,
                                             method=self.command)
                if body is not None:
                    req.add_header("Content-Type", "application/json")
                try:
                    with urllib.request.urlopen(req, timeout=10) as r:
                        status, data = r.status, r.read()
                except urllib.error.HTTPError as e:
                    status, data = e.code, e.read()
                if proxy.lie and "proof=true" in self.path:
                    obj = json.loads(data)
                    proxy.lie(obj)
                    data = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._forward()

            def do_POST(self):
                proxy.posts.append("POST " + self.path)
                n = int(self.headers.get("Content-Length", "0"))
                self._forward(self.rfile.read(n))

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def flip_hex(h, i=0):
    return h[:i] + ("1" if h[i] != "1" else "2") + h[i + 1:]


def test(args):
    with Testnet(args, "proofs") as net:
        net.init()
        net.up()
        genesis = os.path.join(net.dir, "genesis.json")
        work = net.dir

        def laurel(*a, expect=0, rpc=None):
            return run_laurel(net.laurel, a, rpc=None if rpc is False else rpc or net.url(0),
                              cwd=work, expect=expect, shown=300)

        fed = net.key("city-fed")
        laurel("card", "issue", "--issuer", "city-fed", "--key", fed, "--type", "member",
               "--holder-name", "张三", "--member-no", "M-0001", "--id", CRED,
               "--valid-until", "2030-01-01", "--out", "card.lc1")
        card = os.path.join(work, "card.lc1")

        def proven_valid():
            r = laurel("verify", "--prove", "--genesis", genesis, "--file", card, expect=None)
            return r if r.returncode == 0 else None
        # The card's height must be certified before a proof can show it.
        r = wait_for(proven_valid, 30, "a proven VALID answer")
        check("proven: the card is VALID" in r.stdout and "by validators" in r.stdout,
              f"no proof statement: {r.stdout}")

        r = laurel("proof", "get", "--credential", CRED, "--genesis", genesis, "--out", "cred.json")
        check(r.stdout.startswith("PROVEN ") and CRED in r.stdout, r.stdout)
        # `laurel credential show`: the record as the node gives it; with --prove, the same
        # check as `proof get --credential`, then "proven at height H by validators a,b,c".
        r = laurel("credential", "show", CRED)
        check(re.search(r"^credential_id +" + re.escape(CRED) + "$", r.stdout, re.M) and
              re.search(r"^status +\S*ACTIVE", r.stdout, re.M), f"credential show: {r.stdout}")
        r = laurel("credential", "show", CRED, "--prove", "--genesis", genesis)
        m = re.search(r"^proven at height (\d+) by validators (\S+)$", r.stdout, re.M)
        check(m is not None and len(m[2].split(",")) >= 3 and "issuer_id" in r.stdout,
              f"credential show --prove: {r.stdout}")
        r = laurel("credential", "show", "city-fed/M/2026/999999", expect=1)
        r = laurel("credential", "show", CRED, "--max-age", "5", expect=2)
        check("only read with --prove" in r.stderr, r.stderr)
        r = laurel("credential", "show", CRED, "--prove", expect=2)
        check("--genesis" in r.stderr, r.stderr)
        r = laurel("proof", "get", "--issuer", "city-fed", "--genesis", genesis)
        check("issuer 'city-fed'" in r.stdout, r.stdout)
        r = laurel("proof", "get", "--governance", "--genesis", genesis)
        check("governance record" in r.stdout, r.stdout)
        saved = json.load(open(os.path.join(work, "cred.json")))
        sizes = [len(json.dumps(saved["proof"]))]
        log(f"MEASURED proof JSON size (credential + issuer chain): {sizes[0]} bytes, "
            f"{sum(len(x.get('siblings', [])) for x in saved['proof']['records'])} siblings")

        # A lying node: each edit is refused, naming what failed.
        proxy = LyingProxy(net.url(0))
        try:
            def set_valid(o):
                o["valid"], o["reason"] = True, "VALID"

            def edit_record(o):
                rec = next(x for x in o["proof"]["records"] if x["key"].startswith("c/"))
                rec["value"] = flip_hex(rec["value"], len(rec["value"]) - 2)

            def edit_sibling(o):
                rec = o["proof"]["records"][0]
                rec["siblings"][0] = flip_hex(rec["siblings"][0])

            def forge_certificate(o):
                c = o["proof"]["certificate"]
                o["proof"]["certificate"] = flip_hex(c, len(c) - 4)

            def drop_proof(o):
                o.pop("proof", None)

            def hide_issuer(o):
                o["proof"]["records"] = [x for x in o["proof"]["records"]
                                         if not x["key"].startswith("i/")]

            # Revoke first, so that "valid: true" is a lie.
            laurel("card", "revoke", "--id", CRED, "--key", fed, "--reason", "left the union")

            def proven_revoked():
                r = laurel("verify", "--prove", "--genesis", genesis, "--file", card, expect=None)
                return r if "REVOKED" in r.stdout and "proven:" in r.stdout else None
            r = wait_for(proven_revoked, 30, "a proven REVOKED answer")
            check(r.returncode == 1, f"a revoked card exited {r.returncode}")
            for lie, expect in ((set_valid, "the node answered VALID but the proven records give "
                                            "REFUSED REVOKED"),
                                (edit_record, "does not match the value hash"),
                                (edit_sibling, "does not lead to the state root"),
                                (forge_certificate, "does not verify"),
                                (drop_proof, "carries no proof"),
                                (hide_issuer, "which the proof does not cover")):
                proxy.lie = lie
                r = laurel("verify", "--prove", "--genesis", genesis, "--file", card,
                           expect=1, rpc=proxy.url)
                check(r.stdout.startswith("REFUSED NOT_PROVEN") and expect in r.stdout,
                      f"{lie.__name__}: expected a refusal naming '{expect}', got {r.stdout}")
            # What a proof covers is the records, not the card: --prove asks the private check
            # (only the id and digest leave the gate); --send-card the whole-card route. Both
            # recompute the same proven decision.
            proxy.lie = None
            for extra, route in (((), "POST /v1/verify/status?proof=true"),
                                 (("--send-card",), "POST /v1/verify?proof=true")):
                proxy.posts.clear()
                r = laurel("verify", "--prove", *extra, "--genesis", genesis, "--file", card,
                           expect=1, rpc=proxy.url)
                check(proxy.posts == [route], f"verify --prove {extra} asked {proxy.posts}")
                check(r.stdout.startswith("REFUSED REVOKED") and
                      "proven: the card is REFUSED REVOKED" in r.stdout, r.stdout)
            proxy.lie = edit_record
            r = laurel("proof", "get", "--credential", CRED, "--genesis", genesis, expect=1,
                       rpc=proxy.url)
            check(r.stdout.startswith("NOT PROVEN") and "value hash" in r.stdout, r.stdout)
            # credential show --prove refuses each lie, shows nothing of the record, exit 1:
            # a wrong, a missing and a stale (replayed) proof.
            first_answer = json.load(open(os.path.join(work, "cred.json")))

            def replay_first(o):
                o.clear()
                o.update(first_answer)
            wait_for(lambda: time.time() - as_int(first_answer["proof"]["time_ms"]) / 1000 > 2.5,
                     10, "the first saved answer to be older than 2.5 s")
            for lie, expect, extra in ((edit_record, "does not match the value hash", ()),
                                       (forge_certificate, "does not verify", ()),
                                       (drop_proof, "carries no proof", ()),
                                       (replay_first, "stale", ("--max-age", "1"))):
                proxy.lie = lie
                r = laurel("credential", "show", CRED, "--prove", "--genesis", genesis, *extra,
                           expect=1, rpc=proxy.url)
                check(r.stdout.startswith("NOT PROVEN: ") and expect in r.stdout and
                      "issuer_id" not in r.stdout and "proven at height" not in r.stdout,
                      f"credential show --prove, {lie.__name__}: expected a refusal naming "
                      f"'{expect}', got {r.stdout}")
            proxy.lie = None
            r = laurel("credential", "show", CRED, "--prove", "--genesis", genesis, rpc=proxy.url)
            check("REVOKED" in r.stdout and "proven at height" in r.stdout, r.stdout)
        finally:
            proxy.close()

        # A saved answer goes stale; a wrong genesis proves nothing.
        time.sleep(2.5)
        r = laurel("proof", "check", os.path.join(work, "cred.json"), "--genesis", genesis,
                   "--max-age", "1", expect=1, rpc=False)
        check("stale" in r.stdout, r.stdout)
        r = laurel("proof", "check", os.path.join(work, "cred.json"), "--genesis", genesis,
                   "--max-age", "0", rpc=False)
        check(r.stdout.startswith("PROVEN"), r.stdout)

        # A second, independent check (docs/examples/verify_answer.py, Python written from the
        # spec, sharing no code with laurel) agrees: the saved answer is proven, a copy with one
        # flipped bit of the record, a sibling or a signature is not.
        checker = os.path.join(args.repo, "docs", "examples", "verify_answer.py")
        def independent(path, expect):
            r = subprocess.run([sys.executable, checker, path, genesis, "--max-age", "0"],
                               capture_output=True, text=True, timeout=60)
            log(f"verify_answer.py {os.path.basename(path)} -> {r.returncode}: "
                f"{r.stdout.strip().splitlines()[-1] if r.stdout.strip() else r.stderr.strip()}")
            check(r.returncode == expect, f"verify_answer.py gave {r.returncode}, not {expect}: "
                  f"{r.stdout}{r.stderr}")
            return r.stdout
        out = independent(os.path.join(work, "cred.json"), 0)
        check("PROVEN at height" in out and "c/" + CRED in out, out)
        with open(os.path.join(work, "cred.json")) as f:
            saved = json.load(f)
        for name, change in (("value", lambda p: p["records"][0].update(
                                  value=flip_hex(p["records"][0]["value"], 3))),
                             ("sibling", lambda p: p["records"][0]["siblings"].__setitem__(
                                  0, flip_hex(p["records"][0]["siblings"][0], 0))),
                             ("signature", lambda p: p.update(
                                  certificate=flip_hex(p["certificate"], len(p["certificate"]) - 4)))):
            forged = json.loads(json.dumps(saved))
            change(forged["proof"])
            path = os.path.join(work, f"forged-{name}.json")
            with open(path, "w") as f:
                json.dump(forged, f)
            check("NOT PROVEN" in independent(path, 1), f"forged {name} passed")

        # An unknown credential: 404 NOT_FOUND with the proof of its absence, which both
        # checkers accept as exactly that.
        status, body = http_call("GET", net.url(0) + "/v1/credentials/city-fed%2FM%2F2026%2F999999"
                            "?proof=true")
        check(status == 404 and body.get("code") == "NOT_FOUND" and "proof" in body,
              f"absent credential with proof: {status} {body}")
        absent = os.path.join(work, "absent.json")
        with open(absent, "w") as f:
            json.dump(body, f)
        check("c/city-fed/M/2026/999999: absent" in independent(absent, 0), "absence not shown")
        r = laurel("proof", "check", absent, "--genesis", genesis, "--max-age", "0", rpc=False)
        check(r.stdout.startswith("PROVEN") and "absence" in r.stdout, r.stdout)

        # Freshness on an idle chain: nothing is submitted for IDLE_S, yet the validators keep
        # certifying (an idle leader proposes an empty block after payload_wait_ms), so a fresh
        # proof is never older than a couple of seconds.
        time.sleep(IDLE_S)
        r = laurel("proof", "get", "--credential", CRED, "--genesis", genesis, "--max-age",
                   str(FRESH_S))
        check(r.stdout.startswith("PROVEN"), f"idle chain: no proof within {FRESH_S} s: {r.stdout}")
        age = time.time() - as_int(get_json(net.url(0) + "/v1/credentials/" + CRED.replace("/", "%2F") +
                                            "?proof=true")["proof"]["time_ms"]) / 1000
        log(f"MEASURED proof age after {IDLE_S} s idle: {age:.2f} s")
        check(age <= FRESH_S, f"an idle chain's proof is {age:.1f} s old")

        receipts(net, laurel, genesis, work, fed)


def receipts(net, laurel, genesis, work, fed):
    """Receipts of a few card issues submitted together (so that blocks hold several
    transactions and audit paths are not empty), checked offline, then tampered with."""
    procs = []
    for i in range(4):  # at once, so that a block holds several of them
        argv = [net.laurel, "card", "issue", "--issuer", "city-fed", "--key", fed, "--type",
                "member", "--holder-name", f"李四{i}", "--member-no", f"R-{i}",
                "--id", f"city-fed/M/2026/0009{i:02d}", "--valid-until", "2030-01-01",
                "--out", f"card-r{i}.lc1", "--rpc", net.url(i % 4)]
        procs.append(subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True, cwd=work, stdin=subprocess.DEVNULL))
    ids = []
    for p in procs:
        out, err = p.communicate(timeout=60)
        check(p.returncode == 0, f"card issue exited {p.returncode}: {out}{err}")
        m = re.search(r"tx_id\s+([0-9a-f]{64})", out)
        check(m is not None, f"no tx id in {out}")
        ids.append(m.group(1))

    def fetched(i):
        def attempt():
            r = laurel("receipt", "get", ids[i], "--out", f"receipt{i}.json", expect=None)
            return r if r.returncode == 0 else None
        return attempt
    for i in range(len(ids)):
        wait_for(fetched(i), 30, f"the receipt of tx {i}")
    saved = [json.load(open(os.path.join(work, f"receipt{i}.json"))) for i in range(len(ids))]
    for rec, tx_id in zip(saved, ids):
        status = get_json(net.url(0) + "/v1/txs/" + tx_id)
        check(as_int(rec["height"]) == as_int(status["height"]) and
              rec["position"] == status["position"] and rec["result"] == status["result"],
              f"receipt {rec} disagrees with the tx status {status}")
    log(f"MEASURED receipts: tx_count {[r['tx_count'] for r in saved]}, audit path lengths "
        f"{[len(r['audit_path']) for r in saved]}, JSON sizes "
        f"{[len(json.dumps(r)) for r in saved]} bytes")

    # Offline: no --rpc, only the genesis file.
    for i, rec in enumerate(saved):
        r = laurel("receipt", "verify", os.path.join(work, f"receipt{i}.json"), "--genesis",
                   genesis, rpc=False)
        want = (f"proven: tx {ids[i]} committed at height {as_int(rec['height'])} position "
                f"{rec['position']} with result OK, by validators ")
        check(r.stdout.startswith(want), f"expected '{want}…', got {r.stdout}")

    # The richest receipt (most transactions in its block) is tampered with.
    rec = max(saved, key=lambda x: x["tx_count"])
    check(rec["tx_count"] >= 1, "no receipt")

    def flipped(h, i):
        return h[:i] + format(int(h[i], 16) ^ 1, "x") + h[i + 1:]

    def edit(**changes):
        def f(o):
            o.update(changes)
        return f

    def set_path(o):
        o["audit_path"][0] = flipped(o["audit_path"][0], 5)

    def set_tx(o):
        o["tx"] = flipped(o["tx"], 30)  # inside the body

    def set_sig(o):
        o["tx"] = flipped(o["tx"], len(o["tx"]) - 6)  # inside the signature

    def set_cert(o):
        o["certificate"] = flipped(o["certificate"], len(o["certificate"]) - 4)

    other_pos = (rec["position"] + 1) % rec["tx_count"] if rec["tx_count"] > 1 else 1
    lies = [
        ("position", edit(position=other_pos),
         "audit path does not lead" if rec["tx_count"] > 1 else "outside a block"),
        ("code", edit(code=7, result="UNAUTHORIZED"), "audit path does not lead"),
        ("result name", edit(result="UNAUTHORIZED"), "is not OK, the name of its certified code 0"),
        ("height", edit(height=str(as_int(rec["height"]) + 1)),
         f"certificate is of height {as_int(rec['height'])}"),
        ("tx bytes", set_tx, "is not the SHA-256 of the transaction's body"),
        ("signature", set_sig, "does not verify, yet its certified result code 0"),
        ("tx id", edit(tx_id=flipped(rec["tx_id"], 0)), "is not the SHA-256"),
        ("tx root", edit(tx_root=flipped(rec["tx_root"], 7)), "tx_root is not the certified"),
        ("certificate", set_cert, "does not verify"),
        ("no certificate", edit(certificate=""), "carries no state certificate"),
    ]
    if rec["audit_path"]:
        lies.append(("audit path", set_path, "audit path does not lead"))
    for name, lie, expect in lies:
        bad = json.loads(json.dumps(rec))
        lie(bad)
        path = os.path.join(work, "receipt-bad.json")
        with open(path, "w") as f:
            json.dump(bad, f)
        r = laurel("receipt", "verify", path, "--genesis", genesis, expect=1, rpc=False)
        check(r.stdout.startswith("not proven: ") and expect in r.stdout,
              f"tampered {name}: expected a refusal naming '{expect}', got {r.stdout}")
    log(f"receipts: {len(lies)} tampered copies refused, each naming what failed")
    r = laurel("receipt", "verify", os.path.join(work, "missing.json"), "--genesis", genesis,
               expect=2, rpc=False)
    r = laurel("receipt", "get", "0" * 64, expect=1)
    check("unknown transaction" in r.stderr, r.stderr)


if __name__ == "__main__":
    a = parse_args(default_offset=260)
    main_wrapper(lambda: test(a))
