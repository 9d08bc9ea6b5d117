"""Reproductions of attacks on the ledger's rules, on one real 4-validator testnet. Each check
plays the attacker against the node API and prints one line:

  ATTACK <name>: refused                          the node answered as DESIGN.md §4/§5 require
  ATTACK <name>: SUCCEEDED (<what happened>)      the attack worked
  ATTACK <name>: refused, not as specified (...)  it did not work, but the answer is not the
                                                  specified one (code, HTTP status, record)
  ATTACK <name>: ERROR (...)                      the check could not be played to its end

Every check runs (one failing does not stop the others); the test fails unless every line says
`refused`. The checks:

  forged-priority-card   a MEMBER-only union records a MEMBER credential whose digest is that of a
                         card body saying MODEL_WORKER NATIONAL, signed by the union: the gate
                         must answer RECORD_MISMATCH (credential type MEMBER), `laurel verify`
                         exit 1
  forged-validity-card   the card says a validity far beyond the record's: RECORD_MISMATCH
  suspended-ancestor     cards of a child and a grandchild union whose (grand)parent governance
                         suspended: ISSUER_SUSPENDED naming the suspended ancestor
  unauthorized-spam      a never-registered key signs an issuance for city-fed and a revoke of one
                         of its credentials: HTTP 400 INVALID_TX/UNAUTHORIZED at admission, never
                         committed on any node, absent from the credential and issuer histories
  governance-front-running  a governance action with 1 of the 2 required admin signatures is sent
                         first: refused at admission (INSUFFICIENT_SIGNATURES) without spending
                         the tx id, so the fully signed tx (same body, same id) then commits OK
  status-override-issuer-reinstates  governance suspends a credential; its issuer's reinstate is
                         refused HELD_BY_HIGHER_AUTHORITY; governance's own reinstate commits OK
  status-override-retired-parent  governance suspends child C and retires its parent P; P's key
                         reactivating C or revoking C's credential is refused ISSUER_INACTIVE
  status-override-suspended-issuer  a suspended issuer's key revoking / suspending its own
                         credentials is refused ISSUER_INACTIVE
  expiry-too-far         expires_at_height = height + 10,000,000: HTTP 400 EXPIRY_TOO_FAR
  one-signer-fills-mempool  [mempool] max_txs_per_signer = 20 in every node's config; with two of
                         four nodes killed (nothing commits), 30 txs of one signer: the first 20
                         accepted (202), the rest HTTP 429 SIGNER_QUOTA with Retry-After, while
                         another signer's tx is still accepted (kills nodes: runs last)

A refusal may come at admission (HTTP 400 INVALID_TX with `tx_code`) or as a committed result
code; where the design requires admission (spam, front-running) only admission counts.
Transactions are built and signed with the real `laurel tx build|sign`; forged cards are encoded
and signed as in test_card_life.py (its CardBody encoder, `openssl pkeyutl`, base45).
"""

import base64
import hashlib
import json
import os
import re
import secrets
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

from laurel_client import (Testnet, TestFailure, as_int, build_issue_tx, build_tx_pool, get_json,
                           log, main_wrapper, parse_args, result_code, wait_for)
from test_card_life import craft_card

CHAIN = "laurel-local"
TIME_LIMIT_S = 210  # testnet start and every check; stopping the nodes adds a few seconds
DAY = 86400
QUOTA = 20          # [mempool] max_txs_per_signer written into every node's config
QUOTA_SENT = 30


class SetupError(Exception):
    """A step that is not the attack itself (registering a union, issuing a card) failed."""


class TimeLimit(Exception):
    """The whole run took too long: ends every check."""


# ------------------------------------------------------------------------------------------------
# HTTP (with the response headers: Retry-After matters here)


class Answer:
    def __init__(self, status, body, headers):
        self.status, self.body, self.headers = status, body, headers

    def field(self, name):
        return self.body.get(name) if isinstance(self.body, dict) else None

    def header(self, name):
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)

    @property
    def committed(self):
        return self.status == 200 and self.field("status") == "committed"

    @property
    def ledger_code(self):
        """The ledger's code for this tx: `tx_code` of an admission refusal, or the result of a
        committed tx; None otherwise (accepted and pending, timeout, other errors)."""
        if self.status == 400 and self.field("code") == "INVALID_TX":
            return self.field("tx_code")
        if self.committed:
            return result_code(self.field("result"))
        return None

    def __str__(self):
        if self.committed:
            return f"committed at height {self.field('height')} with result {self.ledger_code}"
        if self.status == 202:
            return f"accepted (HTTP 202 {self.field('admission')})"
        code = self.field("code")
        extra = f"/{self.field('tx_code')}" if self.field("tx_code") else ""
        return f"HTTP {self.status} {code}{extra}" if code else f"HTTP {self.status} {self.body!r}"


def request(method, url, body=None, timeout=30):
    headers = {"Content-Type": "application/json"} if body is not None else {}
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, raw, hdrs = r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        status, raw, hdrs = e.code, e.read(), dict(e.headers)
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = raw.decode("utf-8", "replace")
    return Answer(status, parsed, hdrs)


def quoted(ident):
    return urllib.parse.quote(ident, safe="")


# ------------------------------------------------------------------------------------------------
# Transaction bodies (protobuf JSON mapping of laurel.v1.TxBody's actions)


def b64(data):
    return base64.b64encode(data).decode()


def register_issuer(issuer_id, public_key_hex, parent="", can_delegate=False):
    """A union allowed MEMBER cards only (every union here is one)."""
    return {"register_issuer": {"issuer_id": issuer_id, "name": f"{issuer_id} trade union",
                                "parent_id": parent,
                                "public_key": b64(bytes.fromhex(public_key_hex)),
                                "grants": [{"type": "MEMBER"}], "can_delegate": can_delegate}}


def set_issuer_status(issuer_id, status, reason="attack test"):
    return {"set_issuer_status": {"issuer_id": issuer_id, "status": status, "reason": reason}}


def issue_credential(credential_id, issuer_id, digest, valid_from, valid_until, ctype="MEMBER",
                     level="LEVEL_UNSPECIFIED"):
    return {"issue_credential": {"credential_id": credential_id, "issuer_id": issuer_id,
                                 "type": ctype, "level": level, "card_digest": b64(digest),
                                 "valid_from": valid_from, "valid_until": valid_until}}


def set_credential_status(credential_id, status, reason="attack test"):
    return {"set_credential_status": {"credential_id": credential_id, "status": status,
                                      "reason": reason}}


# ------------------------------------------------------------------------------------------------
# The attacker's workbench: keys, signed txs, submission, forged cards


class Tx:
    def __init__(self, tx_json):
        self.json = tx_json
        self.id = hashlib.sha256(base64.b64decode(json.loads(tx_json)["body"])).hexdigest()


class Bench:
    def __init__(self, net, work):
        self.net = net
        self.work = work
        self.city_fed = net.key("city-fed")
        self.admins = [net.key("admin1"), net.key("admin2"), net.key("admin3")]
        self.now = int(time.time())

    def cli(self, *args, stdin=None, expect=0):
        r = subprocess.run([self.net.laurel, *map(str, args)], capture_output=True, timeout=60,
                           **({"input": stdin} if stdin is not None else
                              {"stdin": subprocess.DEVNULL}))
        if expect is not None and r.returncode != expect:
            raise SetupError(f"`laurel {' '.join(map(str, args))}` exited {r.returncode}: "
                             f"{r.stderr.decode(errors='replace')}")
        return r

    def keygen(self, name):
        """A new key file; returns (path, public key hex)."""
        path = os.path.join(self.work, f"{name}-{secrets.token_hex(3)}.key")
        return path, self.cli("keygen", "--out", path).stdout.decode().strip()

    def build(self, action, expires_at_height=None):
        """An unsigned Tx (laurel tx build) of `action` on this chain."""
        body = dict(action, chain_id=CHAIN)
        extra = ["--expires-at-height", expires_at_height] if expires_at_height else []
        r = self.cli("tx", "build", "--in", "-", "--out", "-", *extra,
                     stdin=json.dumps(body).encode())
        return Tx(r.stdout.decode())

    def sign(self, tx, *keys):
        """tx with one more signature per key (laurel tx sign); the body is untouched."""
        out = tx.json
        for k in keys:
            out = self.cli("tx", "sign", "--in", "-", "--key", k, "--out", "-",
                           stdin=out.encode()).stdout.decode()
        signed = Tx(out)
        assert signed.id == tx.id
        return signed

    def tx(self, action, *keys, expires_at_height=None):
        return self.sign(self.build(action, expires_at_height), *keys)

    def post(self, tx, node=0, wait=True):
        """POST /v1/txs; with `wait`, until it commits (20 s at most)."""
        q = "?wait=commit&timeout_ms=20000" if wait else ""
        return request("POST", f"{self.net.url(node)}/v1/txs{q}", tx.json.encode())

    def must_commit(self, action, *keys, what):
        """A setup step: the tx must commit with result OK."""
        a = self.post(self.tx(action, *keys))
        if not (a.committed and a.ledger_code == "OK"):
            raise SetupError(f"{what}: {a}: {a.body}")
        return a

    def governance(self, action, what):
        return self.must_commit(action, self.admins[0], self.admins[1], what=what)

    def new_union(self, name, parent="city-fed", parent_key=None, can_delegate=False):
        """Registers a MEMBER-only union under `parent` by delegation; returns its key file."""
        key, pub = self.keygen(name)
        self.must_commit(register_issuer(name, pub, parent, can_delegate=can_delegate),
                         parent_key or self.city_fed, what=f"registering {name} under {parent}")
        return key

    def forge_card(self, key, credential_id, issuer_id, ctype="MEMBER", level="",
                   valid_from=None, valid_until=None):
        """A card signed with `key` ("LC1:..." text) and its card digest."""
        return craft_card(key, self.work, chain_id=CHAIN, credential_id=credential_id,
                          issuer_id=issuer_id, key_version=1, ctype=ctype, level=level,
                          holder="Li Hua", member_no="ATK-0001",
                          valid_from=valid_from or self.now - DAY,
                          valid_until=valid_until or self.now + 365 * DAY)

    def issue(self, key, credential_id, issuer_id, card=None, record=None):
        """Records a MEMBER credential signed by `key`. The card (fields for forge_card) and the
        record (fields for issue_credential) default to the same validity; returns the card."""
        card = {"valid_from": self.now - DAY, "valid_until": self.now + 365 * DAY, **(card or {})}
        text, digest = self.forge_card(key, credential_id, issuer_id, **card)
        rec = dict(valid_from=card["valid_from"], valid_until=card["valid_until"])
        rec.update(record or {})
        self.must_commit(issue_credential(credential_id, issuer_id, digest, **rec), key,
                         what=f"issuing {credential_id}")
        return text

    def verify(self, card, node=0):
        a = request("POST", f"{self.net.url(node)}/v1/verify",
                    json.dumps({"code": card}).encode())
        if a.status != 200 or not isinstance(a.body, dict):
            raise SetupError(f"POST /v1/verify: {a}")
        return a.body

    def credential(self, cid):
        return get_json(f"{self.net.url(0)}/v1/credentials/{quoted(cid)}")

    def issuer(self, issuer_id):
        return get_json(f"{self.net.url(0)}/v1/issuers/{quoted(issuer_id)}")

    def history(self, path):
        """Every entry of a history route (`credentials/ID` or `issuers/ID`); [] on 404."""
        entries, token = [], ""
        for _ in range(100):
            url = f"{self.net.url(0)}/v1/{path}/history?limit=1000"
            a = request("GET", url + (f"&page_token={token}" if token else ""))
            if a.status == 404:
                return entries
            if a.status != 200:
                raise SetupError(f"GET {url}: {a}")
            entries += a.body.get("entries") or []
            token = a.body.get("next_page_token") or ""
            if not token:
                return entries
        raise SetupError(f"history of {path}: pagination does not end")


# ------------------------------------------------------------------------------------------------
# Findings of one check


class Finding:
    def __init__(self, name):
        self.name = name
        self.worked = []    # what the attacker achieved
        self.off_spec = []  # refused, but not with the specified answer
        self.error = None

    def saw(self, what):
        """Logs what the node answered (the trace of the check)."""
        log(f"     {what}")

    def attack(self, cond, what):
        """Records `what` as achieved by the attacker when cond holds; returns cond."""
        if cond:
            self.worked.append(what)
        return cond

    def expect(self, cond, what):
        if not cond:
            self.off_spec.append(what)
        return cond

    @property
    def refused(self):
        return not self.worked and not self.off_spec and self.error is None

    def line(self):
        if self.worked:
            tail = f"; then ERROR {self.error}" if self.error else ""
            return f"ATTACK {self.name}: SUCCEEDED ({'; '.join(self.worked)}{tail})"
        if self.error:
            return f"ATTACK {self.name}: ERROR ({self.error})"
        if self.off_spec:
            return f"ATTACK {self.name}: refused, not as specified ({'; '.join(self.off_spec)})"
        return f"ATTACK {self.name}: refused"


def expect_code(f, answer, code, what):
    """The tx got ledger code `code`: at admission (HTTP 400) or as its committed result."""
    f.expect(answer.ledger_code == code, f"{what}: {answer}, expected {code}")


# ------------------------------------------------------------------------------------------------
# The checks


def forged_card(b, f, union, valid_until_on_card, ctype, level, says):
    """The union records a MEMBER credential over a card body that says something else."""
    key = b.new_union(union)
    cid = f"{union}/M/000001"
    card = b.issue(key, cid, union,
                   card=dict(ctype=ctype, level=level, valid_until=valid_until_on_card),
                   record=dict(valid_until=b.now + 365 * DAY))
    v = b.verify(card)
    cred = v.get("credential") or {}
    f.saw(f"verify: valid {v.get('valid')}, {v.get('reason')}: {v.get('message')}; the record's "
          f"type {cred.get('type')}")
    if not f.attack(v.get("valid") is True,
                    f"POST /v1/verify: valid: true, reason {v.get('reason')}, for a card saying "
                    f"{says} over a MEMBER record valid 1 year"):
        f.expect(v.get("reason") == "RECORD_MISMATCH",
                 f"verify reason {v.get('reason')} ({v.get('message')}), expected RECORD_MISMATCH")
        f.expect(cred.get("type") == "MEMBER", f"verify answer's credential: {cred}, expected "
                 f"type MEMBER")
    r = b.cli("verify", "--rpc", b.net.url(0), "--code", card, expect=None)
    first = (r.stdout.decode().strip().splitlines() or [""])[0]
    f.saw(f"laurel verify: exit {r.returncode}: {first}")
    if not f.attack(r.returncode == 0, f"`laurel verify` exit 0: {first}"):
        f.expect(r.returncode == 1 and "RECORD_MISMATCH" in first,
                 f"`laurel verify` exit {r.returncode}: {first}, expected exit 1 RECORD_MISMATCH")


def check_forged_priority_card(b, f):
    forged_card(b, f, "atk-grassroots", b.now + 365 * DAY, "MODEL_WORKER", "NATIONAL",
                "MODEL_WORKER NATIONAL")


def check_forged_validity_card(b, f):
    forged_card(b, f, "atk-lasting", b.now + 50 * 365 * DAY, "MEMBER", "",
                "MEMBER valid 50 years")


def check_suspended_ancestor(b, f):
    # city-fed > atk-anc-parent > atk-anc-child > atk-anc-grandchild; governance suspends the
    # parent; the child and grandchild stay active.
    parent = b.new_union("atk-anc-parent", can_delegate=True)
    child = b.new_union("atk-anc-child", "atk-anc-parent", parent, can_delegate=True)
    grandchild = b.new_union("atk-anc-grandchild", "atk-anc-child", child)
    cards = {"child": b.issue(child, "atk-anc-child/M/000001", "atk-anc-child"),
             "grandchild": b.issue(grandchild, "atk-anc-grandchild/M/000001",
                                   "atk-anc-grandchild")}
    for who, card in cards.items():
        v = b.verify(card)
        if v.get("reason") != "VALID":
            raise SetupError(f"the {who}'s card before the suspension: {v.get('reason')}")
    b.governance(set_issuer_status("atk-anc-parent", "ISSUER_SUSPENDED"),
                 "governance suspends atk-anc-parent")
    for who, card in cards.items():
        v = b.verify(card)
        f.saw(f"the {who}'s card: {v.get('reason')}: {v.get('message')}")
        if not f.attack(v.get("valid") is True,
                        f"the {who}'s card is {v.get('reason')} with atk-anc-parent suspended"):
            f.expect(v.get("reason") == "ISSUER_SUSPENDED" and
                     "atk-anc-parent" in (v.get("message") or ""),
                     f"the {who}'s card: {v.get('reason')} ({v.get('message')}), expected "
                     f"ISSUER_SUSPENDED naming atk-anc-parent")


def check_unauthorized_spam(b, f):
    victim = "city-fed/ATK/SPAM/000001"
    b.issue(b.city_fed, victim, "city-fed")
    intruder, _ = b.keygen("intruder")
    spam = {
        "an issuance for city-fed": b.tx(issue_credential(
            "city-fed/ATK/SPAM/000002", "city-fed", secrets.token_bytes(32), b.now,
            b.now + 365 * DAY, "MODEL_WORKER", "NATIONAL"), intruder),
        f"a revoke of {victim}": b.tx(set_credential_status(victim, "REVOKED", "spam"), intruder),
    }
    for what, tx in spam.items():
        a = b.post(tx, wait=False)
        f.saw(f"{what} signed by an unregistered key: {a}")
        if not f.attack(a.status in (200, 202), f"{what} signed by an unregistered key: {a}"):
            f.expect(a.status == 400 and a.field("code") == "INVALID_TX" and
                     a.field("tx_code") == "UNAUTHORIZED",
                     f"{what}: {a}, expected HTTP 400 INVALID_TX/UNAUTHORIZED")
    b.net.wait_progress(range(b.net.n), 3, 60)
    for what, tx in spam.items():
        seen = {}  # result -> nodes that have the tx committed with it
        for i in range(b.net.n):
            status, obj = b.net.tx(i, tx.id)
            if status == 200 and obj.get("status") == "committed":
                seen.setdefault(result_code(obj.get("result")), []).append(f"node{i}")
            else:
                f.expect(status == 404, f"node{i} GET /v1/txs of {what}: HTTP {status} {obj}")
        f.saw(f"{what}: committed on {sum(map(len, seen.values()))} of {b.net.n} nodes "
              f"after 3 more blocks")
        f.attack(bool(seen), f"{what} committed (" + "; ".join(
            f"{code} on {','.join(nodes)}" for code, nodes in seen.items()) + ")")
    histories = {name: {e.get("tx_id") for e in b.history(f"{kind}/{quoted(name)}")}
                 for kind, name in (("credentials", victim),
                                    ("credentials", "city-fed/ATK/SPAM/000002"),
                                    ("issuers", "city-fed"))}
    for what, tx in spam.items():
        where = [name for name, ids in histories.items() if tx.id in ids]
        f.attack(bool(where), f"{what} is in the history of {' and '.join(where)}")


def check_governance_front_running(b, f):
    _, pub = b.keygen("atk-gov-fed")
    unsigned = b.build(register_issuer("atk-gov-fed", pub))
    partial = b.sign(unsigned, b.admins[0])
    full = b.sign(partial, b.admins[1])
    a = b.post(partial)
    f.saw(f"the 1-of-2 copy: {a}")
    if not f.attack(a.committed, f"the 1-of-2 copy was {a}"):
        f.expect(a.status == 400 and a.field("tx_code") == "INSUFFICIENT_SIGNATURES",
                 f"the 1-of-2 copy: {a}, expected HTTP 400 INVALID_TX/INSUFFICIENT_SIGNATURES")
    a = b.post(full)
    f.saw(f"the fully signed tx, same id: {a}")
    if a.committed and a.ledger_code == "OK":
        f.expect(b.issuer("atk-gov-fed").get("status") == "ISSUER_ACTIVE",
                 "atk-gov-fed is not registered after its tx committed OK")
    elif not f.attack(a.committed or a.ledger_code == "DUPLICATE_TX",
                      f"the fully signed tx (same id) then {a}: atk-gov-fed never registered"):
        f.expect(False, f"the fully signed tx: {a}, expected committed OK")


def check_issuer_reinstates(b, f):
    cid = "city-fed/ATK/HELD/000001"
    b.issue(b.city_fed, cid, "city-fed")
    b.governance(set_credential_status(cid, "SUSPENDED", "governance review"),
                 "governance suspends the credential")
    a = b.post(b.tx(set_credential_status(cid, "ACTIVE", "lifted by the issuer"), b.city_fed))
    status = b.credential(cid).get("status")
    f.saw(f"city-fed's reinstate: {a}; the credential is {status}")
    if not f.attack(a.ledger_code == "OK" or status != "SUSPENDED",
                    f"city-fed's reinstate {a}; the credential is {status}"):
        expect_code(f, a, "HELD_BY_HIGHER_AUTHORITY", "city-fed's reinstate")
        a = b.post(b.tx(set_credential_status(cid, "ACTIVE", "lifted"), *b.admins[:2]))
        f.saw(f"governance's reinstate: {a}")
        expect_code(f, a, "OK", "governance's own reinstate")
        status = b.credential(cid).get("status")
        f.expect(status == "ACTIVE", f"after governance's reinstate the credential is {status}")


def check_retired_parent(b, f):
    parent = b.new_union("atk-ret-parent", can_delegate=True)
    child = b.new_union("atk-ret-child", "atk-ret-parent", parent)
    cid = "atk-ret-child/M/000001"
    b.issue(child, cid, "atk-ret-child")
    b.governance(set_issuer_status("atk-ret-child", "ISSUER_SUSPENDED"),
                 "governance suspends atk-ret-child")
    b.governance(set_issuer_status("atk-ret-parent", "ISSUER_RETIRED"),
                 "governance retires atk-ret-parent")
    a = b.post(b.tx(set_issuer_status("atk-ret-child", "ISSUER_ACTIVE", "back"), parent))
    status = b.issuer("atk-ret-child").get("status")
    f.saw(f"the retired parent reactivates its child: {a}; the child is {status}")
    if not f.attack(a.ledger_code == "OK" or status != "ISSUER_SUSPENDED",
                    f"the retired parent's reactivation of its child {a}; the child is {status}"):
        expect_code(f, a, "ISSUER_INACTIVE", "the retired parent's reactivation of its child")
    a = b.post(b.tx(set_credential_status(cid, "REVOKED", "parent's last act"), parent))
    status = b.credential(cid).get("status")
    f.saw(f"the retired parent revokes {cid}: {a}; it is {status}")
    if not f.attack(a.ledger_code == "OK" or status != "ACTIVE",
                    f"the retired parent's revoke of {cid} {a}; it is {status}"):
        expect_code(f, a, "ISSUER_INACTIVE", f"the retired parent's revoke of {cid}")


def check_suspended_issuer(b, f):
    key = b.new_union("atk-susp")
    cids = ["atk-susp/M/000001", "atk-susp/M/000002"]
    for cid in cids:
        b.issue(key, cid, "atk-susp")
    b.governance(set_issuer_status("atk-susp", "ISSUER_SUSPENDED"), "governance suspends atk-susp")
    for cid, new in zip(cids, ("REVOKED", "SUSPENDED")):
        a = b.post(b.tx(set_credential_status(cid, new, "while suspended"), key))
        status = b.credential(cid).get("status")
        f.saw(f"the suspended issuer sets {cid} {new}: {a}; it is {status}")
        if not f.attack(a.ledger_code == "OK" or status != "ACTIVE",
                        f"the suspended issuer's own {new} of {cid} {a}; it is {status}"):
            expect_code(f, a, "ISSUER_INACTIVE", f"the suspended issuer's {new} of {cid}")


def check_expiry_too_far(b, f):
    h = b.net.height(0)
    tx = b.tx(issue_credential("city-fed/ATK/FAR/000001", "city-fed", secrets.token_bytes(32),
                               b.now, b.now + 365 * DAY), b.city_fed,
              expires_at_height=h + 10_000_000)
    a = b.post(tx, wait=False)
    f.saw(f"expires_at_height = height {h} + 10,000,000: {a}")
    if not f.attack(a.status in (200, 202), f"expires_at_height = height {h} + 10,000,000: {a}"):
        f.expect(a.status == 400 and a.field("code") == "EXPIRY_TOO_FAR",
                 f"{a}, expected HTTP 400 EXPIRY_TOO_FAR")


def check_one_signer_fills_mempool(b, f):
    net = b.net
    other = b.new_union("atk-other")
    pool = build_tx_pool(net.laurel, b.city_fed, QUOTA_SENT, tag="atk-quota")
    other_tx = build_issue_tx(net.laurel, other, "atk-other/M/000001", issuer_id="atk-other",
                              ctype="MEMBER")
    wait_for(lambda: as_int(net.status(0).get("mempool_txs")) == 0, 30, "an empty mempool")
    net.kill(2)
    net.kill(3)
    time.sleep(1)  # a block proposed before the kill may still commit; then nothing can
    answers = [request("POST", f"{net.url(0)}/v1/txs", tx.json.encode()) for tx in pool]
    accepted = sum(1 for a in answers if a.status == 202)
    f.saw(f"{QUOTA_SENT} txs of city-fed: {accepted} accepted; the last: {answers[-1]}, "
          f"Retry-After {answers[-1].header('Retry-After')!r}")
    f.attack(accepted > QUOTA, f"{accepted} of {QUOTA_SENT} txs of one signer accepted with "
             f"max_txs_per_signer = {QUOTA}")
    statuses = [a.status for a in answers]
    if f.expect(statuses == [202] * QUOTA + [429] * (QUOTA_SENT - QUOTA),
                f"HTTP statuses {statuses}, expected {QUOTA} x 202 then 429s"):
        for a in answers[QUOTA:]:
            f.expect(a.field("code") == "SIGNER_QUOTA" and a.header("Retry-After"),
                     f"over the quota: {a} Retry-After {a.header('Retry-After')!r}, expected "
                     f"SIGNER_QUOTA and a Retry-After header")
    a = request("POST", f"{net.url(0)}/v1/txs", other_tx.json.encode())
    f.saw(f"a tx of another signer: {a}")
    f.expect(a.status == 202, f"another signer's tx: {a}, expected 202")


CHECKS = [
    ("forged-priority-card", check_forged_priority_card),
    ("forged-validity-card", check_forged_validity_card),
    ("suspended-ancestor", check_suspended_ancestor),
    ("unauthorized-spam", check_unauthorized_spam),
    ("governance-front-running", check_governance_front_running),
    ("status-override-issuer-reinstates", check_issuer_reinstates),
    ("status-override-retired-parent", check_retired_parent),
    ("status-override-suspended-issuer", check_suspended_issuer),
    ("expiry-too-far", check_expiry_too_far),
    ("one-signer-fills-mempool", check_one_signer_fills_mempool),  # kills nodes: last
]


# ------------------------------------------------------------------------------------------------


def set_signer_quota(net):
    """Writes max_txs_per_signer into the [mempool] table of every node's config."""
    for i in range(net.n):
        path = os.path.join(net.dir, f"node{i}", "node.toml")
        with open(path) as fh:
            text = fh.read()
        text, n = re.subn(r"^\[mempool\]\n", f"[mempool]\nmax_txs_per_signer = {QUOTA}\n", text,
                          flags=re.M)
        if n != 1:
            raise TestFailure(f"{path} has no [mempool] table")
        with open(path, "w") as fh:
            fh.write(text)


def _time_limit(_signum, _frame):
    raise TimeLimit(f"the run took over {TIME_LIMIT_S} s")


def test(args):
    signal.signal(signal.SIGALRM, _time_limit)
    signal.alarm(TIME_LIMIT_S)
    findings = []
    with Testnet(args, "attacks") as net, tempfile.TemporaryDirectory(prefix="laurel-atk-") \
            as work:
        net.init()
        set_signer_quota(net)
        net.up()
        bench = Bench(net, work)
        for name, fn in CHECKS:
            f = Finding(name)
            t0 = time.monotonic()
            log(f"-- {name}")
            try:
                fn(bench, f)
            except TimeLimit:
                raise
            except Exception as e:  # one broken check must not hide the others' results
                f.error = f"{type(e).__name__}: {e}"
            log(f"   {f.line()}  [{time.monotonic() - t0:.1f}s]")
            findings.append(f)
        signal.alarm(0)
        # A check that could not run may be a node's fault: keep the logs and folder then.
        # Attacks that worked are the nodes doing what they were told: nothing to keep.
        net.failed = any(f.error for f in findings)
    print("\n".join(f.line() for f in findings), flush=True)
    bad = [f.name for f in findings if not f.refused]
    if bad:
        raise TestFailure(f"{len(bad)} of {len(findings)} attacks not refused as specified: "
                          + ", ".join(bad))


if __name__ == "__main__":
    a = parse_args(default_offset=70)
    main_wrapper(lambda: test(a))
