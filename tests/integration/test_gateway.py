"""What gates and auditors need beyond one node, on a real 4-validator testnet (port offset 180),
with Chinese holder names:

  - private online verification: `laurel verify` checks the card's signature itself and sends
    only the credential id and the card digest (POST /v1/verify/status); its verdict, reason,
    message, record and card fields equal those of `--send-card` (POST /v1/verify), for a valid,
    a damaged and a revoked card; bad requests get 400 and change nothing; no node log holds the
    holder's name or member number afterwards;
  - GET /v1/nodes lists the API URLs of the four nodes (this one first) as configured, and each
    answers;
  - `laurel audit --checkpoint FILE`: the first run audits from genesis and records the tip; the
    next audits only the new heights; a checkpoint with a changed block id, or a state root its
    state folder does not have, is refused (exit 1) and left as it was; a garbage file is exit 2;
  - `laurel audit --rpc A --rpc B --rpc C`: three honest nodes agree at one height; a node whose
    answers are tampered with is named as failing (exit 1);
  - HTTPS on node 3's API (a self-signed certificate made with openssl): the CLI (`--cacert`) and
    Python's ssl module get answers, an audit passes over it; a plain HTTP request is answered
    400 TLS_REQUIRED, a TLS 1.2-only client and garbage bytes are refused, and the node keeps
    running and in consensus.
"""

import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time

from laurel_client import (Testnet, check, get_json, http, log, main_wrapper, parse_args,
                           wait_for)
from tamper_proxy import TamperProxy
from test_card_life import Cli, day, flip_one_char

CHAIN = "laurel-local"
HOLDER = "欧阳秀英"
MEMBER_NO = "青岛港-2026-0042"
HOLDER2 = "张伟"
MEMBER_NO2 = "QD-2026-0043"
JSON = {"Content-Type": "application/json"}


def status_api(url, body, content_type="application/json"):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return http("POST", url + "/v1/verify/status", raw, {"Content-Type": content_type})


def audit(net, *args, timeout=300):
    t0 = time.monotonic()
    r = subprocess.run([net.laurel, "audit", *args], capture_output=True, text=True,
                       timeout=timeout, stdin=subprocess.DEVNULL)
    log(f"laurel audit {' '.join(args)} -> exit {r.returncode} in {time.monotonic() - t0:.1f}s: "
        f"{r.stdout.strip()[:600]} {r.stderr.strip()[:300]}")
    return r


def verify_both(laurel, node_url, *source):
    """`laurel verify --json` privately and with --send-card: (exit codes, answers)."""
    p = laurel("verify", "--rpc", node_url, "--json", *source, expect=None)
    f = laurel("verify", "--rpc", node_url, "--json", "--send-card", *source, expect=None)
    return (p.returncode, json.loads(p.stdout)), (f.returncode, json.loads(f.stdout))


def check_same_decision(what, private, full):
    (prc, pj), (frc, fj) = private, full
    check(prc == frc, f"{what}: private exit {prc}, --send-card exit {frc}")
    for key in ("valid", "reason", "message", "credential", "card", "chain_id"):
        check(pj.get(key) == fj.get(key),
              f"{what}: '{key}' differs: private {pj.get(key)!r}, --send-card {fj.get(key)!r}")


def test_private_verify(net, laurel, work):
    fed = net.key("city-fed")
    until = day(365)
    cid = "city-fed/MW/2026/000042"
    laurel("card", "issue", "--issuer", "city-fed", "--key", fed, "--type", "model_worker",
           "--level", "municipal", "--holder-name", HOLDER, "--member-no", MEMBER_NO, "--id", cid,
           "--valid-until", until, "--out", "ouyang.lc1")
    laurel("card", "issue", "--issuer", "city-fed", "--key", fed, "--type", "member",
           "--holder-name", HOLDER2, "--member-no", MEMBER_NO2, "--id", "city-fed/M/2026/000043",
           "--valid-until", until, "--out", "zhang.lc1")

    # The default is private; the verdict shows the card's fields from the card itself.
    r = laurel("verify", "--rpc", net.url(1), "--file", "ouyang.lc1")
    first = r.stdout.splitlines()[0]
    check(first.startswith("VALID " + cid) and HOLDER in r.stdout and MEMBER_NO in r.stdout,
          f"private verify: {r.stdout!r}")
    private, full = verify_both(laurel, net.url(1), "--file", "ouyang.lc1")
    check_same_decision("valid card", private, full)
    check(private[1]["card"]["holder_name"] == HOLDER and private[1]["ready"] is True,
          f"private answer: {private[1]}")
    log(f"private verify: {first}; the same answer as --send-card")

    with open(os.path.join(work, "ouyang.lc1")) as f:
        text = f.read().strip()
    damaged = flip_one_char(text)
    check_same_decision("damaged card", *verify_both(laurel, net.url(2), "--code", damaged))

    # The node's half, straight: the answer carries no card, and names height and readiness.
    digest = private[1]["credential"]["card_digest"]
    ask = {"credential_id": cid, "card_digest": digest, "issuer_id": "city-fed", "key_version": 1}
    st, b = status_api(net.url(0), ask)
    check(st == 200 and b["valid"] is True and b["reason"] == "VALID" and "card" not in b and
          b["ready"] is True and int(b["height"]) >= 1 and int(b["block_time_ms"]) > 0 and
          b["credential"]["credential_id"] == cid, f"/v1/verify/status: HTTP {st} {b}")
    before = get_json(net.url(0) + "/v1/credentials/city-fed%2FMW%2F2026%2F000042")
    wrong = "0" * 64 if digest != "0" * 64 else "1" * 64
    decisions = [
        ({**ask, "card_digest": wrong}, "DIGEST_MISMATCH"),
        ({**ask, "credential_id": "city-fed/MW/2026/999999"}, "NOT_ON_LEDGER"),
        ({**ask, "issuer_id": "无此工会"}, "UNKNOWN_ISSUER"),
        ({**ask, "key_version": 9}, "BAD_SIGNATURE"),
    ]
    for body, reason in decisions:
        st, b = status_api(net.url(0), body)
        check(st == 200 and b.get("reason") == reason and b.get("valid") is False,
              f"{body}: expected {reason}, got HTTP {st} {b}")
    bad = [
        (b'{"credential_id": "x"', 400),
        (b"\xff\xfe garbage", 400),
        ({**ask, "card_digest": digest[:-2]}, 400),
        ({**ask, "card_digest": digest + "00"}, 400),
        ({**ask, "card_digest": "zz" * 32}, 400),
        ({**ask, "credential_id": ""}, 400),
        ({**ask, "key_version": 0}, 400),
        ({**ask, "holder_name": HOLDER}, 400),  # card fields are not accepted at all
        ({**ask, "key_version": -1}, 400),
    ]
    for body, want in bad:
        st, b = status_api(net.url(0), body)
        check(st == want and isinstance(b, dict) and b.get("code") and b.get("message"),
              f"bad request {body!r}: HTTP {st} {b}")
    st, b = status_api(net.url(0), ask, content_type="text/plain")
    check(st == 415, f"text/plain: HTTP {st} {b}")
    st, b = http("GET", net.url(0) + "/v1/verify/status")
    check(st == 405, f"GET /v1/verify/status: HTTP {st} {b}")
    after = get_json(net.url(0) + "/v1/credentials/city-fed%2FMW%2F2026%2F000042")
    check(before == after, f"the record changed: {before} -> {after}")
    log(f"/v1/verify/status: {len(decisions)} refusals as reasons, {len(bad) + 2} bad requests "
        "answered 4xx, the record unchanged")

    # A revoked card: the same refusal both ways.
    laurel("card", "revoke", "--id", cid, "--key", fed, "--reason", "称号撤销", "--yes")
    private, full = verify_both(laurel, net.url(3), "--file", "ouyang.lc1")
    check(private[1]["reason"] == "REVOKED" and private[0] == 1, f"revoked: {private}")
    check_same_decision("revoked card", private, full)
    r = laurel("verify", "--rpc", net.url(3), "--file", "ouyang.lc1", expect=1)
    check(r.stdout.startswith("REFUSED REVOKED: credential revoked: 称号撤销"), r.stdout)
    log("revoked: " + r.stdout.splitlines()[0])

    # No node logs a card field, nor the card text (which holds them), whichever route the
    # card came by.
    cards = [text]
    with open(os.path.join(work, "zhang.lc1")) as f:
        cards.append(f.read().strip())
    for i in range(net.n):
        with open(net.log_path(i), encoding="utf-8", errors="replace") as f:
            logged = f.read()
        check(f"node{i}" in logged or "laureld" in logged, f"node{i}'s log looks empty")
        for secret in (HOLDER, MEMBER_NO, HOLDER2, MEMBER_NO2, *cards, *[c[4:40] for c in cards]):
            check(secret not in logged, f"node{i}'s log holds the card field {secret!r}")
    log(f"no node log holds {HOLDER!r}, {MEMBER_NO!r} or the second card's fields")


def test_nodes(net):
    for i in (0, 2):
        nodes = get_json(net.url(i) + "/v1/nodes")["nodes"]
        urls = [n["url"] for n in nodes]
        want = [net.url(i)] + [net.url(j) for j in range(net.n) if j != i]
        check(urls == want, f"node{i} /v1/nodes: {urls}, expected {want}")
        check(nodes[0].get("self") is True and not any(n.get("self") for n in nodes[1:]),
              f"node{i} /v1/nodes: self flags {nodes}")
    for u in urls:
        check(get_json(u + "/v1/status")["chain_id"] == CHAIN, f"{u} is not on {CHAIN}")
    log(f"GET /v1/nodes: {urls}")


def test_checkpoint(net, laurel, work):
    cp = os.path.join(work, "audit.checkpoint")
    r = audit(net, "--rpc", net.url(0), "--checkpoint", cp)
    check(r.returncode == 0 and r.stdout.startswith("AUDIT PASSED:") and
          "checkpoint: " in r.stdout, f"first checkpointed audit: {r.stdout}{r.stderr}")
    with open(cp) as f:
        c1 = json.load(f)
    h1 = c1["height"]
    block = get_json(f"{net.url(0)}/v1/blocks/{h1}")
    check(c1["block_id"] == block["block_id"] and c1["state_root"] == block["state_root"],
          f"checkpoint {c1} vs block {block}")
    check(os.path.isdir(cp + ".state") and not os.path.exists(cp + ".state.work"),
          "the audit state folder is not in place")

    laurel("card", "issue", "--issuer", "city-fed", "--key", net.key("city-fed"), "--type",
           "member", "--holder-name", "李娜", "--member-no", "QD-2026-0044", "--valid-until",
           day(30), "--out", "li.lc1")
    net.wait_height([0], h1 + 3, 60)
    r = audit(net, "--rpc", net.url(0), "--checkpoint", cp)
    check(r.returncode == 0 and f"extends the checkpoint at height {h1};" in r.stdout,
          f"resumed audit: {r.stdout}{r.stderr}")
    with open(cp) as f:
        c2 = json.load(f)
    check(c2["height"] > h1 and c2["totals"]["blocks"] == c2["height"] + 1 and
          c2["totals"]["txs"] > c1["totals"]["txs"], f"checkpoint after: {c2}, before {c1}")
    log(f"checkpoint: height {h1} -> {c2['height']}, txs {c1['totals']['txs']} -> "
        f"{c2['totals']['txs']}")

    # A checkpoint whose block id was changed: refused, and not touched.
    bad = os.path.join(work, "tampered.checkpoint")
    doc = dict(c2, block_id="ab" * 32)
    with open(bad, "w") as f:
        json.dump(doc, f)
    with open(bad) as f:
        bad_text = f.read()
    # node1 may still be a block or two below node0's checkpoint: a node below it is refused
    # for that (exit 2) before the block id is compared.
    net.wait_height([1], c2["height"], 60)
    r = audit(net, "--rpc", net.url(1), "--checkpoint", bad)
    check(r.returncode == 1 and "does not extend the checkpoint" in r.stdout and
          "ab" * 32 in r.stdout, f"tampered block id: exit {r.returncode}: {r.stdout}{r.stderr}")
    with open(bad) as f:
        check(f.read() == bad_text, "the tampered checkpoint file was rewritten")

    # A checkpoint whose state root its state folder does not have: refused.
    other = os.path.join(work, "other.checkpoint")
    shutil.copytree(cp + ".state", other + ".state")
    with open(other, "w") as f:
        json.dump(dict(c2, state_root="cd" * 32), f)
    r = audit(net, "--rpc", net.url(0), "--checkpoint", other)
    check(r.returncode == 1 and "does not match its audit state" in r.stdout,
          f"tampered state root: exit {r.returncode}: {r.stdout}{r.stderr}")

    # Not a checkpoint at all: exit 2.
    junk = os.path.join(work, "junk.checkpoint")
    with open(junk, "w") as f:
        f.write("{not json")
    r = audit(net, "--rpc", net.url(0), "--checkpoint", junk)
    check(r.returncode == 2 and "not a laurel-audit-checkpoint" in r.stderr,
          f"garbage checkpoint: exit {r.returncode}: {r.stdout}{r.stderr}")

    # The good checkpoint still works after all that, from another node.
    net.wait_height([2], c2["height"] + 1, 60)
    r = audit(net, "--rpc", net.url(2), "--checkpoint", cp, "--json")
    summary = json.loads(r.stdout)
    check(r.returncode == 0 and summary["verdict"] == "PASSED" and
          summary["resumed_from_height"] == c2["height"], f"after refusals: {r.stdout}")
    return c2["height"]


def test_several_nodes(net, height):
    r = audit(net, "--rpc", net.url(0), "--rpc", net.url(1), "--rpc", net.url(2))
    check(r.returncode == 0 and "NODES AGREE at height" in r.stdout and
          r.stdout.count("AUDIT PASSED:") == 3, f"three nodes: {r.stdout}{r.stderr}")
    r = audit(net, "--rpc", net.url(0), "--rpc", net.url(3), "--to", str(height), "--json")
    j = json.loads(r.stdout)
    check(r.returncode == 0 and j["agree"] is True and j["height"] == height and
          all(n["verdict"] == "PASSED" for n in j["nodes"]), f"--to {height} --json: {r.stdout}")
    with TamperProxy(net.url(3), height - 1, "stored_state_root") as proxy:
        r = audit(net, "--rpc", net.url(0), "--rpc", proxy.url, "--to", str(height))
    lines = r.stdout.splitlines()
    at = next((k for k, l in enumerate(lines) if l == f"node {proxy.url}:"), None)
    check(r.returncode == 1 and at is not None and
          lines[at + 1].startswith(f"AUDIT FAILED at height {height - 1}:") and
          "NODES AGREE" not in r.stdout, f"a tampering node: {r.stdout}{r.stderr}")
    log(f"several nodes: three agree; the tampered one is named: {lines[at + 1][:120]}")


def make_cert(folder):
    cert, key = os.path.join(folder, "rpc-cert.pem"), os.path.join(folder, "rpc-key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=laurel gateway test",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def test_tls(net, laurel, work):
    cert, key = make_cert(work)
    conf = os.path.join(net.dir, "node3", "node.toml")
    with open(conf) as f:
        text = f.read()
    text = text.replace("[rpc]\n", f"[rpc]\ntls_cert = \"{cert}\"\ntls_key = \"{key}\"\n", 1)
    net.kill(3)
    with open(conf, "w") as f:
        f.write(text)
    net.start(3)  # testnet/testnet reads tls_cert and waits over HTTPS
    port = net.rpc_base + 3
    https = f"https://127.0.0.1:{port}"
    ctx = ssl.create_default_context(cafile=cert)

    def get_tls(path):
        return get_json(https + path, context=ctx)

    check(get_tls("/v1/status")["chain_id"] == CHAIN, "HTTPS status")
    # The private check over HTTPS from the Python client too.
    st, b = http("POST", https + "/v1/verify/status",
                 json.dumps({"credential_id": "city-fed/M/2026/000043", "card_digest": "0" * 64,
                             "issuer_id": "city-fed", "key_version": 1}).encode(), JSON,
                 context=ctx)
    check(st == 200 and b.get("reason") == "DIGEST_MISMATCH", f"HTTPS verify/status: {st} {b}")
    r = laurel("status", "--rpc", https, "--cacert", cert)
    check(CHAIN in r.stdout, f"laurel status over HTTPS: {r.stdout}")
    r = laurel("verify", "--rpc", https, "--cacert", cert, "--file", "zhang.lc1")
    check(r.stdout.startswith("VALID city-fed/M/2026/000043") and HOLDER2 in r.stdout,
          f"laurel verify over HTTPS: {r.stdout}")
    r = laurel("status", "--rpc", https, expect=2)
    check("not trusted" in r.stderr, f"without --cacert: {r.stderr}")
    log("HTTPS: laurel status and verify with --cacert; without it: " + r.stderr.strip()[:160])

    # Plain HTTP on the TLS port: a clear 400 in plain text.
    st, b = http("GET", f"http://127.0.0.1:{port}/v1/status")
    check(st == 400 and isinstance(b, dict) and b.get("code") == "TLS_REQUIRED",
          f"plain HTTP on the TLS port: HTTP {st} {b}")
    # A TLS 1.2-only client: the handshake fails.
    old = ssl.create_default_context(cafile=cert)
    old.maximum_version = ssl.TLSVersion.TLSv1_2
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            with old.wrap_socket(s, server_hostname="127.0.0.1"):
                pass
        raise AssertionError("a TLS 1.2-only client completed a handshake")
    except ssl.SSLError as e:
        log(f"TLS 1.2-only client refused: {e}")
    # Garbage that looks like a TLS record, then garbage that looks like nothing.
    for junk in (b"\x16\x03\x01\x00\x40" + os.urandom(64), os.urandom(300)):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(junk)
            try:
                got = s.recv(4096)
            except (ConnectionResetError, socket.timeout):
                got = b""
            check(not got.startswith(b"HTTP/1.1 200"), f"garbage answered {got[:60]!r}")
    check(get_tls("/v1/status")["chain_id"] == CHAIN, "HTTPS after garbage")

    # Still in consensus, and its chain audits over HTTPS.
    h = int(get_json(net.url(0) + "/v1/status")["height"])
    wait_for(lambda: int(get_tls("/v1/status")["height"]) >= h + 2, 60, "node3 over HTTPS")
    r = audit(net, "--rpc", https, "--cacert", cert, "--to", str(h))
    check(r.returncode == 0 and r.stdout.startswith("AUDIT PASSED:"), f"audit over HTTPS: {r}")
    r = audit(net, "--rpc", net.url(0), "--rpc", https, "--cacert", cert, "--to", str(h))
    check(r.returncode == 0 and "NODES AGREE" in r.stdout, f"http and https nodes: {r.stdout}")
    log(f"HTTPS node3 at height >= {h + 2}, audited over HTTPS, agrees with node0")


def test(args):
    with Testnet(args, "gateway") as net, \
            tempfile.TemporaryDirectory(prefix="laurel-gateway-") as work:
        # Debug logs: the most a node ever writes, none of which may hold a card field.
        net.env["LAUREL_LOG_LEVEL"] = "debug"
        net.init()
        net.up()
        laurel = Cli(net, work)
        test_private_verify(net, laurel, work)
        test_nodes(net)
        height = test_checkpoint(net, laurel, work)
        test_several_nodes(net, height)
        test_tls(net, laurel, work)


if __name__ == "__main__":
    a = parse_args(default_offset=180)
    main_wrapper(lambda: test(a))
