"""The whole life of union cards on a real 4-validator testnet, driven through the `laurel` CLI
as a user would (subprocesses; exit codes and printed output are what is checked):

  governance (2 of 3 admins, `--key` twice) registers the top-level issuer harbour-fed; a second
  top-level issuer is registered by sign-then-combine (`--out`, `tx sign`, `tx submit`);
  harbour-fed delegates MEMBER cards to harbour-north (`issuer register --parent`);
  harbour-fed issues a model-worker card with a QR PNG: `verify --qr` VALID; suspend ->
  SUSPENDED; reinstate -> VALID; renew -> the old card DIGEST_MISMATCH, the new one VALID;
  revoke -> REVOKED, after which reinstate / renew / suspend are refused by the node
  (ILLEGAL_TRANSITION) and never reach the ledger or its history;
  one flipped character -> MALFORMED or BAD_SIGNATURE; past validity -> EXPIRED; future
  valid-from -> NOT_YET_VALID; the district union cannot issue model-worker cards
  (SCOPE_NOT_ALLOWED); governance suspends the district union -> ISSUER_SUSPENDED, then
  reactivates it; key rotation: a card signed before stays VALID, the old key can no longer
  issue, and a card signed with the old key after the rotation is refused (BAD_SIGNATURE).

Cards the CLI will (rightly) never make - another chain's card (WRONG_CHAIN), a card naming an
issuer the chain does not know (UNKNOWN_ISSUER), a well-signed card that was never issued
(NOT_ON_LEDGER), a card body claiming the pre-rotation key version for a record written after
the rotation - are crafted here in Python: the CardBody is encoded canonically by hand
(proto/laurel/v1/card.proto), signed with `openssl pkeyutl` (Ed25519 over
"laurel/card/v1\\0" || body) using the seed of a testnet key file, and base45-encoded (RFC 9285).

Then the credential's history lists each event in order (CLI, `--limit 2` following page tokens,
and GET /v1/credentials/{id}/history directly), and bad HTTP requests (malformed JSON, wrong
content types, a huge body, unknown routes, bad paging parameters) get 4xx while the testnet
keeps committing.
"""

import base64
import datetime
import hashlib
import http.client as http_client
import json
import os
import re
import secrets
import socket
import subprocess
import tempfile
import time
import urllib.parse

from laurel_client import (Testnet, as_int, check, get_json, http, key_file_to_pem, log,
                           main_wrapper, parse_args, result_code)

CHAIN = "laurel-local"

# ------------------------------------------------------------------------------------------------
# Running the CLI


class Cli:
    def __init__(self, net, work):
        self.net = net
        self.work = work
        self.env = dict(os.environ, LAUREL_RPC=net.url(0))
        self.calls = []  # (argv, rc) of every command, for the record

    def __call__(self, *args, expect=0, timeout=90):
        argv = [self.net.laurel, *map(str, args)]
        r = subprocess.run(argv, env=self.env, cwd=self.work, capture_output=True, text=True,
                           timeout=timeout, stdin=subprocess.DEVNULL)
        shown = " ".join(["laurel", *map(str, args)])
        self.calls.append((shown, r.returncode))
        if expect is not None and r.returncode != expect:
            raise AssertionError(f"`{shown}` exited {r.returncode}, expected {expect}\n"
                                 f"stdout: {r.stdout}\nstderr: {r.stderr}")
        return r

    def tx_id(self, r, what):
        """The id on the "tx_id" line a submitting command prints (other lines may hold keys)."""
        m = re.search(r"^tx_id\s+([0-9a-f]{64})\s*$", r.stdout, re.M)
        check(m is not None, f"{what}: no tx_id line in the output: {r.stdout!r}")
        return m.group(1)

    def verify(self, expected, *source, node=0):
        """`laurel verify` on a card; checks the first output line and the exit code."""
        args = ["verify", "--rpc", self.net.url(node), *source]
        r = self(*args, expect=None)
        first = (r.stdout.strip().splitlines() or [""])[0]
        if expected == "VALID":
            ok = r.returncode == 0 and first.split()[:1] == ["VALID"]
        else:
            words = [w.rstrip(":,;.") for w in first.split()]
            reasons = expected if isinstance(expected, (tuple, list)) else (expected,)
            ok = r.returncode == 1 and words[:1] == ["REFUSED"] and len(words) > 1 and \
                words[1] in reasons
        check(ok, f"`laurel {' '.join(map(str, args))}`: expected {expected}, got exit "
              f"{r.returncode}, stdout {r.stdout!r}, stderr {r.stderr!r}")
        return first

    def refused(self, code, *args):
        """A command refused by the ledger: exit 1 and the code name somewhere in the output."""
        r = self(*args, expect=1)
        check(code in r.stdout + r.stderr, f"`laurel {' '.join(map(str, args))}` exited 1 but "
              f"does not name {code}: stdout {r.stdout!r}, stderr {r.stderr!r}")
        return r


# ------------------------------------------------------------------------------------------------
# Crafting cards by hand (for cards the CLI refuses to make)

B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
TYPES = {"MEMBER": 1, "MODEL_WORKER": 2}
LEVELS = {"": 0, "NATIONAL": 1, "PROVINCIAL": 2, "MUNICIPAL": 3, "DISTRICT": 4, "ENTERPRISE": 5}


def base45(data):
    out = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        out += [B45[n % 45], B45[(n // 45) % 45], B45[n // 2025]]
    if len(data) % 2:
        n = data[-1]
        out += [B45[n % 45], B45[n // 45]]
    return "".join(out)


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def pb_field(num, value):
    """One field in protobuf's canonical form; default values are omitted."""
    if isinstance(value, int):
        return b"" if value == 0 else varint(num << 3) + varint(value)
    data = value.encode() if isinstance(value, str) else value
    return b"" if not data else varint(num << 3 | 2) + varint(len(data)) + data


def card_body(chain_id, credential_id, issuer_id, key_version, ctype, level, holder, member_no,
              valid_from, valid_until, salt=None):
    """CardBody bytes (proto/laurel/v1/card.proto), fields in order as protobuf writes them."""
    fields = [(1, chain_id), (2, credential_id), (3, issuer_id), (4, key_version),
              (5, TYPES[ctype]), (6, LEVELS[level]), (7, holder), (8, member_no),
              (9, salt or secrets.token_bytes(16)), (10, valid_from), (11, valid_until)]
    return b"".join(pb_field(n, v) for n, v in fields)


def ed25519_sign(key_file, message, folder):
    pem = os.path.join(folder, "sign.pem")
    msg = os.path.join(folder, "sign.msg")
    sig = os.path.join(folder, "sign.sig")
    key_file_to_pem(key_file, pem)
    with open(msg, "wb") as f:
        f.write(message)
    subprocess.run(["openssl", "pkeyutl", "-sign", "-rawin", "-inkey", pem, "-in", msg,
                    "-out", sig], check=True, capture_output=True, timeout=30)
    with open(sig, "rb") as f:
        s = f.read()
    for p in (pem, msg, sig):
        os.remove(p)
    check(len(s) == 64, f"openssl made a {len(s)}-byte Ed25519 signature")
    return s


def craft_card(key_file, folder, **fields):
    """Returns (card text "LC1:...", digest bytes) for a CardBody signed with key_file."""
    body = card_body(**fields)
    sig = ed25519_sign(key_file, b"laurel/card/v1\0" + body, folder)
    card = pb_field(1, body) + pb_field(2, sig)
    digest = hashlib.sha256(b"laurel/card-digest/v1\0" + body).digest()
    return "LC1:" + base45(card), digest


def write(path, text):
    with open(path, "w") as f:
        f.write(text + "\n")
    return path


def day(offset_days):
    d = datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(offset_days)
    return d.isoformat()


def flip_one_char(text):
    """The card text with one character of its base45 payload changed (mid-card)."""
    i = len("LC1:") + (len(text) - 4) // 2
    c = text[i]
    repl = "Q" if c != "Q" else "R"
    return text[:i] + repl + text[i + 1:]


# ------------------------------------------------------------------------------------------------
# HTTP abuse


def raw_request(port, head, body=b"", timeout=10):
    """Sends a raw HTTP request; returns the status code of the answer (or None if the server
    closed the connection without one). Errors while sending a large body are ignored: a server
    may answer and close as soon as it sees the headers."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(head)
        try:
            for i in range(0, len(body), 65536):
                s.sendall(body[i:i + 65536])
        except OSError:
            pass
        data = b""
        try:
            while b"\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        except OSError:
            pass
    m = re.match(rb"HTTP/1\.[01] (\d{3})", data)
    return int(m.group(1)) if m else None


def check_4xx(what, status, body=None):
    check(status is not None and 400 <= status < 500, f"{what}: HTTP {status} {body!r}, "
          f"expected 4xx")
    if isinstance(body, dict):
        check("code" in body and "message" in body, f"{what}: error body is not {{code, "
              f"message}}: {body}")
    log(f"  {what}: HTTP {status}" + (f" {body.get('code')}" if isinstance(body, dict) else ""))


def abuse(net):
    url, port = net.url(0), net.rpc_base
    j = {"Content-Type": "application/json"}
    st, b = http("POST", url + "/v1/verify", b'{"code": "LC1:', j)
    check_4xx("verify, truncated JSON", st, b)
    st, b = http("POST", url + "/v1/verify", b"not json at all", j)
    check_4xx("verify, not JSON", st, b)
    st, b = http("POST", url + "/v1/verify", b'{"code": 42}', j)
    check_4xx("verify, code is a number", st, b)
    st, b = http("POST", url + "/v1/verify", b'{"kode": "LC1:"}', j)
    check_4xx("verify, unknown field", st, b)
    st, b = http("POST", url + "/v1/verify", b'["LC1:"]', j)
    check_4xx("verify, JSON array", st, b)
    st, b = http("POST", url + "/v1/verify", b'{"code": "LC1:X"}', {"Content-Type": "text/plain"})
    check_4xx("verify, Content-Type text/plain", st, b)
    st, b = http("POST", url + "/v1/verify", b'{"code": "LC1:X"}',
                 {"Content-Type": "application/x-www-form-urlencoded"})
    check_4xx("verify, Content-Type form", st, b)
    st, b = http("POST", url + "/v1/verify", b"\xff\xfe\x00garbage",
                 {"Content-Type": "application/x-protobuf"})
    check_4xx("verify, garbage protobuf", st, b)
    st, b = http("POST", url + "/v1/txs", b'{"body": ', j)
    check_4xx("txs, truncated JSON", st, b)
    st, b = http("GET", url + "/v1/verify")
    check_4xx("GET /v1/verify", st, b)
    huge = b'{"code": "LC1:' + b"A" * (2 * 1024 * 1024) + b'"}'
    st = raw_request(port, b"POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                     b"\r\nContent-Length: " + str(len(huge)).encode() + b"\r\n\r\n", huge)
    check_4xx("verify, 2 MiB body", st)
    st = raw_request(port, b"POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                     b"\r\nContent-Length: 99999999999\r\n\r\n")
    check_4xx("verify, Content-Length 99999999999", st)
    for path in ["/v1/nope", "/v2/verify", "/v1/credentials", "/v1/credentials/",
                 "/v1/credentials/no-such%2FMW%2F1", "/v1/credentials/no-such%2FMW%2F1/history",
                 "/v1/credentials/x/history/more", "/v1/issuers/no-such-union",
                 "/v1/issuers/no-such-union/history", "/v1/issuers/city-fed/nope",
                 "/metrics/x", "/v1/credentials/%zz"]:
        st, b = http("GET", url + path)
        check_4xx(f"GET {path}", st, b)
    for q in ["limit=abc", "limit=-1", "page_token=%00garbage", "page_token=zzzz",
              "limit=99999999999999999999"]:
        st, b = http("GET", url + "/v1/issuers/city-fed/history?" + q)
        check_4xx(f"GET /v1/issuers/city-fed/history?{q}", st, b)
    for method, path in [("DELETE", "/v1/credentials/x"), ("PUT", "/v1/issuers/city-fed"),
                         ("POST", "/v1/status"), ("POST", "/v1/issuers")]:
        st, b = http(method, url + path, b"{}", j)
        check_4xx(f"{method} {path}", st, b)
    # A verify of a bad card is not a bad request: 200 with valid=false.
    st, b = http("POST", url + "/v1/verify", b'{"code": "LC1:NOT A CARD"}', j)
    check(st == 200 and b.get("valid") is False and b.get("reason") == "MALFORMED",
          f"POST /v1/verify of a malformed card: HTTP {st} {b}, expected 200 MALFORMED")


def measure_verify(port, card_text, n=300):
    """n sequential POST /v1/verify on one kept-alive connection (what a gate does); returns the
    latencies in ms, sorted."""
    body = json.dumps({"code": card_text}).encode()
    conn = http_client.HTTPConnection("127.0.0.1", port, timeout=10)
    out = []
    try:
        for _ in range(n):
            t0 = time.perf_counter()
            conn.request("POST", "/v1/verify", body, {"Content-Type": "application/json"})
            r = conn.getresponse()
            data = r.read()
            out.append((time.perf_counter() - t0) * 1000)
            check(r.status == 200 and json.loads(data).get("reason") == "VALID",
                  f"verify during the latency run: HTTP {r.status} {data[:200]!r}")
    finally:
        conn.close()
    return sorted(out)


# ------------------------------------------------------------------------------------------------


def history_entries(page):
    return page.get("entries") or []


def test(args):
    with Testnet(args, "card-life") as net, tempfile.TemporaryDirectory(prefix="laurel-cards-") \
            as work:
        net.init()
        net.up()
        laurel = Cli(net, work)
        K = net.key
        admin1, admin2, admin3 = K("admin1"), K("admin2"), K("admin3")
        until = day(2 * 365)

        def keygen(name):
            path = os.path.join(work, name + ".key")
            r = laurel("keygen", "--out", path)
            return path, r.stdout.strip()

        harbour, _ = keygen("harbour-fed")
        north, _ = keygen("harbour-north")
        bay, bay_pub = keygen("bay-fed")

        # -- governance registers a top-level issuer ------------------------------------------
        log("governance registers harbour-fed (2 of 3 admins)")
        reg = ["issuer", "register", "--id", "harbour-fed",
               "--name", "Harbour City Federation of Trade Unions", "--issuer-key", harbour,
               "--grant", "member", "--grant",
               "model_worker:national,provincial,municipal,district,enterprise", "--can-delegate"]
        laurel.refused("INSUFFICIENT_SIGNATURES", *reg, "--key", admin1)
        # (action, tx id) of every OK transaction that concerns harbour-fed or that its key
        # signed, in order: its registration and key rotation, its delegate's registration, the
        # cards it issued and their status changes, its suspension of its delegate's card
        # (checked against its history at the end).
        fed_events = []
        r = laurel(*reg, "--key", admin1, "--key", admin2)
        fed_events.append(("register_issuer", laurel.tx_id(r, "issuer register harbour-fed")))
        laurel.refused("ISSUER_EXISTS", *reg, "--key", admin1, "--key", admin3)
        r = laurel("issuer", "show", "harbour-fed", "--json")
        iv = json.loads(r.stdout)
        check(iv.get("issuer_id") == "harbour-fed" and iv.get("status") == "ISSUER_ACTIVE" and
              as_int(iv.get("current_key_version")) == 1, f"issuer show harbour-fed: {iv}")

        log("governance registers bay-fed by sign-then-combine (--out, tx sign, tx submit)")
        tx_file = os.path.join(work, "register-bay-fed.tx.json")
        laurel("issuer", "register", "--id", "bay-fed", "--name", "Bay Federation of Trade Unions",
               "--public-key", bay_pub, "--grant", "member", "--key", admin1, "--out", tx_file)
        check(os.path.exists(tx_file), "--out wrote no tx file")
        st, _ = http("GET", net.url(0) + "/v1/issuers/bay-fed")
        check(st == 404, f"bay-fed exists before the tx was submitted (HTTP {st})")
        r = laurel("tx", "inspect", "--in", tx_file, "--json")
        check(len(json.loads(r.stdout).get("signatures") or []) == 1, f"tx inspect: {r.stdout}")
        laurel("tx", "sign", "--in", tx_file, "--key", admin3, "--out", tx_file)
        laurel("tx", "submit", "--in", tx_file)
        r = laurel("issuer", "show", "bay-fed", "--json")
        check(json.loads(r.stdout).get("issuer_id") == "bay-fed", f"bay-fed: {r.stdout}")
        r = laurel("issuer", "list")
        for name in ("city-fed", "harbour-fed", "bay-fed"):
            check(name in r.stdout, f"issuer list lacks {name}: {r.stdout}")

        # -- delegation ----------------------------------------------------------------------
        log("harbour-fed delegates MEMBER cards to harbour-north")
        r = laurel("issuer", "register", "--id", "harbour-north", "--parent", "harbour-fed",
                   "--name", "Harbour North District Federation of Trade Unions",
                   "--issuer-key", north, "--grant", "member", "--key", harbour)
        fed_events.append(("register_issuer", laurel.tx_id(r, "issuer register harbour-north")))
        laurel.refused("SCOPE_NOT_ALLOWED", "card", "issue", "--issuer", "harbour-north",
                       "--key", north, "--type", "model_worker", "--level", "district",
                       "--holder-name", "Li Wei", "--member-no", "HN-0001",
                       "--valid-until", until, "--out", "nope.lc1")
        laurel("card", "issue", "--issuer", "harbour-north", "--key", north, "--type", "member",
               "--holder-name", "Zhao Min", "--member-no", "HN-0002",
               "--id", "harbour-north/M/2026/000001", "--valid-until", until,
               "--out", "member.lc1")
        laurel.verify("VALID", "--file", "member.lc1")

        # -- a model-worker card: issue with QR, suspend, reinstate, renew, revoke -------------
        cid = "harbour-fed/MW/2026/000001"
        events = []  # tx ids of the OK events of cid, in order
        log(f"issue {cid} with a QR PNG")
        r = laurel("card", "issue", "--issuer", "harbour-fed", "--key", harbour,
                   "--type", "model_worker", "--level", "municipal",
                   "--holder-name", "Wang Fang", "--member-no", "HF-2026-0001", "--id", cid,
                   "--valid-until", until, "--out", "mw.lc1", "--qr", "mw.png")
        events.append(laurel.tx_id(r, "card issue"))
        fed_events.append(("issue_credential", events[-1]))
        check(cid in r.stdout, f"card issue does not print the credential id: {r.stdout}")
        with open(os.path.join(work, "mw.png"), "rb") as f:
            check(f.read(8) == b"\x89PNG\r\n\x1a\n", "mw.png is not a PNG")
        with open(os.path.join(work, "mw.lc1")) as f:
            mw_text = f.read().strip()
        check(mw_text.startswith("LC1:"), f"mw.lc1 holds {mw_text[:20]!r}...")
        valid_line = laurel.verify("VALID", "--qr", "mw.png")
        laurel.verify("VALID", "--file", "mw.lc1")
        laurel.verify("VALID", "--code", mw_text)
        r = laurel("verify", "--file", "mw.lc1", "--json")
        vj = json.loads(r.stdout)
        check(vj.get("valid") is True and vj.get("reason") == "VALID" and
              vj.get("chain_id") == CHAIN and (vj.get("card") or {}).get("credential_id") == cid,
              f"verify --json: {vj}")
        laurel.refused("CREDENTIAL_EXISTS", "card", "issue", "--issuer", "harbour-fed",
                       "--key", harbour, "--type", "model_worker", "--level", "municipal",
                       "--holder-name", "Wang Fang", "--member-no", "HF-2026-0001", "--id", cid,
                       "--valid-until", until, "--out", "mw-again.lc1")

        log("suspend, reinstate")
        r = laurel("card", "suspend", "--id", cid, "--key", harbour, "--reason", "under review")
        events.append(laurel.tx_id(r, "card suspend"))
        fed_events.append(("set_credential_status", events[-1]))
        laurel.verify("SUSPENDED", "--qr", "mw.png")
        laurel.refused("ILLEGAL_TRANSITION", "card", "suspend", "--id", cid, "--key", harbour)
        r = laurel("card", "reinstate", "--id", cid, "--key", harbour, "--reason", "cleared")
        events.append(laurel.tx_id(r, "card reinstate"))
        fed_events.append(("set_credential_status", events[-1]))
        laurel.verify("VALID", "--qr", "mw.png")

        log("renew: the old card is DIGEST_MISMATCH, the new one VALID")
        r = laurel("card", "renew", "--id", cid, "--key", harbour, "--card", "mw.lc1",
                   "--valid-until", day(3 * 365), "--out", "mw2.lc1", "--qr", "mw2.png")
        events.append(laurel.tx_id(r, "card renew"))
        fed_events.append(("renew_credential", events[-1]))
        laurel.verify("DIGEST_MISMATCH", "--file", "mw.lc1")
        laurel.verify("VALID", "--qr", "mw2.png")

        log("revoke: REVOKED, and nothing after revoke is accepted")
        r = laurel("card", "revoke", "--id", cid, "--key", harbour, "--reason", "title withdrawn")
        events.append(laurel.tx_id(r, "card revoke"))
        fed_events.append(("set_credential_status", events[-1]))
        revoked_line = laurel.verify("REVOKED", "--qr", "mw2.png")
        laurel.verify(("REVOKED", "DIGEST_MISMATCH"), "--file", "mw.lc1")
        laurel.refused("ILLEGAL_TRANSITION", "card", "reinstate", "--id", cid, "--key", harbour)
        laurel.refused("ILLEGAL_TRANSITION", "card", "suspend", "--id", cid, "--key", harbour)
        laurel.refused("ILLEGAL_TRANSITION", "card", "revoke", "--id", cid, "--key", harbour)
        laurel.refused("ILLEGAL_TRANSITION", "card", "renew", "--id", cid, "--key", harbour,
                       "--card", "mw2.lc1", "--valid-until", day(4 * 365), "--out", "mw3.lc1")
        laurel.verify("REVOKED", "--file", "mw2.lc1")
        # Another node answers the same (it has the revocation once it reaches that height).
        net.wait_height(range(net.n), net.height(0), 30)
        laurel.verify("REVOKED", "--file", "mw2.lc1", node=3)

        # -- tampering, validity windows ---------------------------------------------------------
        log("one flipped character; past and future validity")
        r = laurel("card", "issue", "--issuer", "harbour-fed", "--key", harbour,
                   "--type", "model_worker", "--level", "provincial", "--holder-name", "Chen Jie",
                   "--member-no", "HF-2026-0002", "--id", "harbour-fed/MW/2026/000002",
                   "--valid-until", until, "--out", "mw-b.lc1")
        fed_events.append(("issue_credential", laurel.tx_id(r, "card issue MW/2026/000002")))
        with open(os.path.join(work, "mw-b.lc1")) as f:
            b_text = f.read().strip()
        laurel.verify(("MALFORMED", "BAD_SIGNATURE"), "--code", flip_one_char(b_text))
        write(os.path.join(work, "flipped.lc1"), flip_one_char(b_text))
        laurel.verify(("MALFORMED", "BAD_SIGNATURE"), "--file", "flipped.lc1")
        laurel.verify("MALFORMED", "--code", "LC1:" + "A" * 40)
        r = laurel("card", "issue", "--issuer", "harbour-fed", "--key", harbour,
                   "--type", "model_worker", "--level", "enterprise", "--holder-name", "Sun Lei",
                   "--member-no", "HF-2020-0009", "--id", "harbour-fed/MW/2020/000009",
                   "--valid-from", "2020-01-01", "--valid-until", "2021-01-01", "--out", "old.lc1")
        fed_events.append(("issue_credential", laurel.tx_id(r, "card issue MW/2020/000009")))
        laurel.verify("EXPIRED", "--file", "old.lc1")
        r = laurel("card", "issue", "--issuer", "harbour-fed", "--key", harbour,
                   "--type", "model_worker", "--level", "district", "--holder-name", "Zhou Yan",
                   "--member-no", "HF-2027-0001", "--id", "harbour-fed/MW/2027/000001",
                   "--valid-from", day(365), "--valid-until", day(3 * 365), "--out", "future.lc1")
        fed_events.append(("issue_credential", laurel.tx_id(r, "card issue MW/2027/000001")))
        laurel.verify("NOT_YET_VALID", "--file", "future.lc1")
        # An empty validity window is a usage error the CLI catches before asking the ledger.
        laurel("card", "issue", "--issuer", "harbour-fed", "--key", harbour, "--type", "member",
               "--holder-name", "X", "--member-no", "1", "--valid-from", "2030-01-01",
               "--valid-until", "2029-01-01", "--out", "bad.lc1", expect=2)

        # -- crafted cards ----------------------------------------------------------------------
        log("crafted cards: another chain, an unknown issuer, never issued (see the docstring)")
        now = int(time.time())
        common = dict(key_version=1, ctype="MODEL_WORKER", level="MUNICIPAL", holder="Wang Fang",
                      member_no="HF-2026-0001", valid_from=now - 86400,
                      valid_until=now + 365 * 86400)
        other_chain, _ = craft_card(harbour, work, chain_id="laurel-other",
                                    credential_id="harbour-fed/MW/2026/000002",
                                    issuer_id="harbour-fed", **common)
        laurel.verify("WRONG_CHAIN", "--code", other_chain)
        ghost_key, _ = keygen("ghost-union")
        ghost, _ = craft_card(ghost_key, work, chain_id=CHAIN,
                              credential_id="ghost-union/MW/2026/000001",
                              issuer_id="ghost-union", **common)
        laurel.verify("UNKNOWN_ISSUER", "--code", ghost)
        forged, _ = craft_card(ghost_key, work, chain_id=CHAIN,
                               credential_id="harbour-fed/MW/2026/000002",
                               issuer_id="harbour-fed", **common)
        laurel.verify("BAD_SIGNATURE", "--code", forged)
        never, _ = craft_card(harbour, work, chain_id=CHAIN,
                              credential_id="harbour-fed/MW/2026/999999",
                              issuer_id="harbour-fed", **common)
        laurel.verify("NOT_ON_LEDGER", "--code", never)
        st, b = http("POST", net.url(0) + "/v1/verify",
                     json.dumps({"code": never}).encode(), {"Content-Type": "application/json"})
        check(st == 200 and b.get("valid") is False and b.get("reason") == "NOT_ON_LEDGER",
              f"POST /v1/verify of a never-issued card: HTTP {st} {b}")

        # -- issuer suspended by governance -------------------------------------------------------
        log("governance suspends harbour-north: ISSUER_SUSPENDED; reactivated: VALID")
        laurel("issuer", "set-status", "--id", "harbour-north", "--status", "suspended",
               "--reason", "audit pending", "--key", admin2, "--key", admin3)
        laurel.verify("ISSUER_SUSPENDED", "--file", "member.lc1")
        r = laurel("issuer", "show", "harbour-north", "--json")
        check(json.loads(r.stdout).get("status") == "ISSUER_SUSPENDED", f"{r.stdout}")
        laurel.refused("ISSUER_INACTIVE", "card", "issue", "--issuer", "harbour-north",
                       "--key", north, "--type", "member", "--holder-name", "Qian Hao",
                       "--member-no", "HN-0003", "--valid-until", until, "--out", "m3.lc1")
        laurel("issuer", "set-status", "--id", "harbour-north", "--status", "active",
               "--key", admin1, "--key", admin2)
        laurel.verify("VALID", "--file", "member.lc1")

        # The parent and governance may act on a delegated union's card too.
        r = laurel("card", "suspend", "--id", "harbour-north/M/2026/000001", "--key", harbour,
                   "--reason", "parent's check")
        # harbour-fed signed it: it is in harbour-fed's history too (and harbour-north's).
        fed_events.append(("set_credential_status", laurel.tx_id(r, "parent's suspend")))
        laurel.verify("SUSPENDED", "--file", "member.lc1")
        laurel("card", "reinstate", "--id", "harbour-north/M/2026/000001",
               "--key", admin1, "--key", admin3)
        laurel.verify("VALID", "--file", "member.lc1")

        # A retired issuer's cards are refused as ISSUER_SUSPENDED, and retiring is final.
        laurel("card", "issue", "--issuer", "bay-fed", "--key", bay, "--type", "member",
               "--holder-name", "He Ping", "--member-no", "BF-0001",
               "--id", "bay-fed/M/2026/000001", "--valid-until", until, "--out", "bay.lc1")
        laurel.verify("VALID", "--file", "bay.lc1")
        laurel("issuer", "set-status", "--id", "bay-fed", "--status", "retired",
               "--reason", "merged", "--key", admin1, "--key", admin2)
        laurel.verify("ISSUER_SUSPENDED", "--file", "bay.lc1")
        laurel.refused("ILLEGAL_TRANSITION", "issuer", "set-status", "--id", "bay-fed",
                       "--status", "active", "--key", admin1, "--key", admin2)

        # -- key rotation -----------------------------------------------------------------------
        log("key rotation of harbour-fed")
        r = laurel("card", "issue", "--issuer", "harbour-fed", "--key", harbour,
                   "--type", "model_worker", "--level", "national", "--holder-name", "Wu Gang",
                   "--member-no", "HF-2026-0003", "--id", "harbour-fed/MW/2026/000003",
                   "--valid-until", until, "--out", "before.lc1")
        fed_events.append(("issue_credential", laurel.tx_id(r, "card issue MW/2026/000003")))
        harbour2, _ = keygen("harbour-fed-2")
        r = laurel("issuer", "rotate-key", "--id", "harbour-fed", "--new-key", harbour2,
                   "--key", harbour)
        fed_events.append(("rotate_issuer_key", laurel.tx_id(r, "issuer rotate-key")))
        r = laurel("issuer", "show", "harbour-fed", "--json")
        iv = json.loads(r.stdout)
        check(as_int(iv.get("current_key_version")) == 2 and len(iv.get("keys") or []) == 2,
              f"after rotation: {iv}")
        laurel.verify("VALID", "--file", "before.lc1")  # signed while version 1 was current
        # The old key can no longer issue: the CLI sees it is not the current key and stops;
        # forced on (--key-version 1), the ledger refuses its transaction.
        stolen = ["card", "issue", "--issuer", "harbour-fed", "--key", harbour,
                  "--type", "model_worker", "--level", "municipal", "--holder-name", "Ma Li",
                  "--member-no", "HF-2026-0004", "--id", "harbour-fed/MW/2026/000004",
                  "--valid-until", until]
        laurel(*stolen, "--out", "stolen.lc1", expect=1)
        laurel.refused("UNAUTHORIZED", *stolen, "--key-version", 1, "--out", "stolen.lc1")
        check(not os.path.exists(os.path.join(work, "stolen.lc1")),
              "a refused card issue wrote its card file")
        # A card signed with the old key after the rotation, claiming key version 1, whose
        # digest is on the ledger (registered by a tx the new key signed): the record was
        # written under key version 2, so the card is refused.
        late_id = "harbour-fed/MW/2026/000005"
        late, digest = craft_card(harbour, work, chain_id=CHAIN, credential_id=late_id,
                                  issuer_id="harbour-fed", **common)
        body = {"chain_id": CHAIN, "issue_credential": {
            "credential_id": late_id, "issuer_id": "harbour-fed", "type": "MODEL_WORKER",
            "level": "MUNICIPAL", "card_digest": base64.b64encode(digest).decode(),
            "valid_from": common["valid_from"], "valid_until": common["valid_until"]}}
        body_file = write(os.path.join(work, "late.body.json"), json.dumps(body))
        st = laurel.net.height(0)
        laurel("tx", "build", "--in", body_file, "--out", "late.tx.json",
               "--expires-at-height", st + 1000)
        laurel("tx", "sign", "--in", "late.tx.json", "--key", harbour2, "--out", "late.tx.json")
        r = laurel("tx", "submit", "--in", "late.tx.json")
        fed_events.append(("issue_credential", laurel.tx_id(r, f"tx submit (issue {late_id})")))
        laurel.verify("BAD_SIGNATURE", "--code", late)
        # Claiming the new key version but signed with the old key: the signature fails.
        late2, _ = craft_card(harbour, work, chain_id=CHAIN, credential_id=late_id,
                              issuer_id="harbour-fed", **dict(common, key_version=2))
        laurel.verify("BAD_SIGNATURE", "--code", late2)
        # The new key issues normally.
        r = laurel("card", "issue", "--issuer", "harbour-fed", "--key", harbour2,
                   "--type", "model_worker", "--level", "municipal", "--holder-name", "Ma Li",
                   "--member-no", "HF-2026-0004", "--id", "harbour-fed/MW/2026/000004",
                   "--valid-until", until, "--out", "after.lc1")
        fed_events.append(("issue_credential", laurel.tx_id(r, "card issue MW/2026/000004")))
        laurel.verify("VALID", "--file", "after.lc1")
        r = laurel("card", "inspect", "--file", "after.lc1", "--json")
        check(as_int(json.loads(r.stdout).get("key_version")) == 2, f"after.lc1: {r.stdout}")

        # -- history ---------------------------------------------------------------------------
        log("history of the card: each event in order, across pages")
        base = net.url(0) + "/v1/credentials/" + urllib.parse.quote(cid, safe="") + "/history"
        full = get_json(base + "?limit=1000")
        entries = history_entries(full)
        ok = [e for e in entries if result_code(e.get("result")) == "OK"]
        check([e.get("tx_id") for e in ok] == events,
              f"history OK entries {[e.get('tx_id') for e in ok]} != events {events}")
        want = ["issue", "status", "status", "renew", "status"]
        for e, w in zip(ok, want):
            act = re.sub(r"[^a-z]", "", str(e.get("action")).lower())
            check(w in act, f"history entry {e} has action {e.get('action')}, expected ~{w}")
        # The attempts after the revoke were refused by the node (admission applies the
        # ledger's rules): none reached a block, so none is in the history.
        after = entries[entries.index(ok[-1]) + 1:]
        check(after == [], f"history after the revoke: {after}")
        heights = [(as_int(e.get("height")), as_int(e.get("position"))) for e in entries]
        check(heights == sorted(heights), f"history not oldest first: {heights}")
        for e in entries:
            check(e.get("signer") and e.get("time_ms") is not None and e.get("tx_id"),
                  f"history entry lacks signer/time_ms/tx_id: {e}")
        log(f"  {len(entries)} entries ({len(ok)} OK): " +
            ", ".join(f"{e.get('action')}@{e.get('height')}={e.get('result')}" for e in entries))

        # HTTP, two at a time.
        pages, token, got = 0, "", []
        while True:
            page = get_json(base + "?limit=2" + (f"&page_token={urllib.parse.quote(token)}"
                                                 if token else ""))
            es = history_entries(page)
            check(len(es) <= 2, f"limit=2 gave {len(es)} entries")
            got += es
            pages += 1
            token = page.get("next_page_token") or ""
            if not token:
                break
            check(pages < 50, "history pagination does not end")
        check(got == entries, f"paged history (HTTP) differs from the full one: {got}")
        check(pages >= 3, f"{len(entries)} entries in {pages} pages of 2")

        # CLI, two at a time, following the page tokens.
        cli_got, token, pages = [], "", 0
        while True:
            r = laurel("history", cid, "--limit", 2, "--json",
                       *(["--page-token", token] if token else []))
            page = json.loads(r.stdout)
            cli_got += history_entries(page)
            pages += 1
            token = page.get("next_page_token") or ""
            if not token:
                break
            check(pages < 50, "CLI history pagination does not end")
        check([e.get("tx_id") for e in cli_got] == [e.get("tx_id") for e in entries],
              "paged history (CLI --json) differs from the full one")
        r = laurel("history", cid, "--limit", 2)
        check(events[0] in r.stdout or events[0][:16] in r.stdout,
              f"laurel history (first page) does not show the issue tx: {r.stdout}")
        r = laurel("history", cid, "--limit", 2, "--all")
        for t in events:
            check(t in r.stdout or t[:16] in r.stdout,
                  f"laurel history --all lacks tx {t}: {r.stdout}")
        log("history of harbour-fed: its OK transactions in order, across pages of 3")
        r = laurel("history", "--issuer", "harbour-fed", "--limit", 3, "--all", "--json")
        ih = json.loads(r.stdout)
        check(ih.get("next_page_token") in ("", None), f"issuer history --all: {r.stdout[:300]}")
        fed_entries = history_entries(ih)
        fed_ok = [(e.get("action"), e.get("tx_id")) for e in fed_entries
                  if result_code(e.get("result")) == "OK"]
        check(fed_ok == fed_events, f"issuer history OK entries {fed_ok} != {fed_events}")
        heights = [(as_int(e.get("height")), as_int(e.get("position"))) for e in fed_entries]
        check(heights == sorted(heights) and len(set(heights)) == len(heights),
              f"issuer history not oldest first: {heights}")
        # Refused attempts never reached a block: admission refused them.
        refused = {result_code(e.get("result")) for e in fed_entries} - {"OK"}
        check(not refused, f"issuer history holds refused transactions: {sorted(refused)}")
        log(f"  {len(fed_entries)} entries ({len(fed_ok)} OK, refused: {sorted(refused)})")
        st, b = http("GET", net.url(0) + "/v1/issuers/harbour-fed/history?limit=2")
        check(st == 200 and len(history_entries(b)) == 2 and b.get("next_page_token"),
              f"issuer history page: HTTP {st} {b}")

        # -- usage and I/O errors exit 2 ------------------------------------------------------
        laurel("verify", "--qr", "no-such.png", expect=2)
        laurel("verify", "--qr", "mw.lc1", expect=2)  # not a PNG
        laurel("verify", "--file", "mw2.lc1", "--rpc", "http://127.0.0.1:1", expect=2)
        laurel("verify", "--file", "mw2.lc1", "--code", "LC1:", expect=2)
        laurel("card", "issue", "--issuer", "harbour-fed", "--key", harbour2, "--type", "member",
               "--holder-name", "X", "--member-no", "1", "--valid-until", until,
               "--out", "after.lc1", expect=2)  # never overwrites a card file
        laurel("card", "issue", "--issuer", "harbour-fed", "--key", harbour2,
               "--type", "model_worker", "--holder-name", "X", "--member-no", "1",
               "--valid-until", until, "--out", "x.lc1", expect=2)  # no --level

        # -- bad requests ---------------------------------------------------------------------
        log("bad HTTP requests get 4xx; the testnet keeps committing")
        h0 = net.height(0)
        abuse(net)
        net.wait_progress(range(net.n), 2, 30)
        laurel.verify("REVOKED", "--qr", "mw2.png")
        laurel.verify("VALID", "--file", "after.lc1")
        r = laurel("status")
        log(f"  height {h0} -> {net.height(0)}; laurel status: {r.stdout.strip().splitlines()[:1]}")

        lat = measure_verify(net.rpc_base, open(os.path.join(work, "after.lc1")).read().strip())
        p50, p99 = lat[len(lat) // 2], lat[int(len(lat) * 0.99) - 1]
        log(f"MEASURED gate verify, one keep-alive connection, {len(lat)} sequential calls on a "
            f"loaded 2-core machine: p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {lat[-1]:.2f} ms")
        check(p99 < 500, f"verify p99 {p99:.1f} ms")
        # -- metrics and readiness after all this -------------------------------------------
        st, text = http("GET", net.url(0) + "/metrics")
        check(st == 200 and isinstance(text, str), f"GET /metrics: HTTP {st}")
        series = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                series[name] = float(value)
        log("  /metrics: " + ", ".join(f"{k} {v:g}" for k, v in sorted(series.items())
                                       if not k.startswith("laurel_rpc_request_duration")))
        for name in ('laurel_verify_total{reason="VALID"}', 'laurel_verify_total{reason="REVOKED"}',
                     'laurel_verify_total{reason="NOT_ON_LEDGER"}', "laurel_commits_total",
                     "laurel_tx_admitted_total", "laurel_height"):
            check(series.get(name, 0) > 0, f"/metrics: {name} is {series.get(name)}, expected > 0")
        check(series.get("laurel_peers_connected") == net.n - 1 and series.get("laurel_ready") == 1,
              "/metrics: peers/ready")
        check(any(k.startswith("laurel_rpc_request_duration_seconds_bucket") for k in series),
              "/metrics: no RPC latency histogram")
        st, body = http("GET", net.url(0) + "/readyz")
        check(st == 200, f"/readyz: HTTP {st} {body}")

        log("verify output, valid card:   " + valid_line)
        log("verify output, revoked card: " + revoked_line)
        log(f"{len(laurel.calls)} laurel commands run")


if __name__ == "__main__":
    a = parse_args(default_offset=30)
    main_wrapper(lambda: test(a))
