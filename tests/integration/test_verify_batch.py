"""POST /v1/verify:batch on a real 4-validator testnet: cards issued with the CLI (valid, revoked,
suspended, bound to a phone), a card with one character changed, a well-signed card that was
never issued, text that is not a card, each sent in one batch (with and without the bound
card's presentation, with a bad gate_nonce, under require_binding): every item's verdict equals
what POST /v1/verify answers for the same item alone (same status, reason, message, records);
one bad item sinks no other; 257 cards are 413 TOO_MANY_CARDS, an empty list 400 EMPTY_BATCH,
a body that is not a VerifyBatchRequest 400 MALFORMED_BODY. Then HTTP/1.1 pipelining on a raw
socket: three POST /v1/verify written before any answer is read come back in request order."""

import json
import os
import socket
import time

from laurel_client import (Testnet, check, http, log, main_wrapper, parse_args, run_laurel)
from test_card_life import CHAIN, craft_card, flip_one_char

GATE = "PEK-T3-G12"
JSON = {"Content-Type": "application/json"}


def without_time(verdict):
    """A decision without what may change between two requests: the clock reading (`time`) and
    the committed height with its block time (a block may commit in between)."""
    return {k: v for k, v in verdict.items() if k not in ("time", "height", "block_time_ms")}


def read_answer(sock, buf):
    """One HTTP answer (Content-Length framed) from sock: (status, body bytes, rest of buf)."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        check(chunk, "the node closed the connection mid-answer")
        buf += chunk
    head, buf = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    while len(buf) < length:
        chunk = sock.recv(65536)
        check(chunk, "the node closed the connection mid-body")
        buf += chunk
    return status, buf[:length], buf[length:]


def test(args):
    with Testnet(args, "verify-batch") as net:
        net.init()
        net.up()
        work = net.dir

        def laurel(*a, expect=0, rpc=None):
            return run_laurel(net.laurel, a, rpc=None if rpc is False else (rpc or net.url(0)),
                              cwd=work, expect=expect, timeout=120, shown=300, shown_err=200)

        fed = net.key("city-fed")
        laurel("holder", "keygen", "--out", "phone.key", rpc=False)

        def issue(n, holder, *extra):
            cid = f"city-fed/MW/2026/{n:06d}"
            laurel("card", "issue", "--issuer", "city-fed", "--key", fed, "--type",
                   "model_worker", "--level", "municipal", "--holder-name", holder,
                   "--member-no", f"VB-{n}", "--id", cid, "--valid-until", "2030-01-01",
                   "--out", f"card-{n}.lc1", *extra)
            with open(os.path.join(work, f"card-{n}.lc1")) as f:
                return cid, f.read().strip()

        _, valid = issue(1, "王芳")
        revoked_id, revoked = issue(2, "李娜")
        suspended_id, suspended = issue(3, "赵敏")
        _, bound = issue(4, "周杰", "--holder-key", "phone.key")
        laurel("card", "revoke", "--id", revoked_id, "--key", fed, "--reason", "离开工会")
        laurel("card", "suspend", "--id", suspended_id, "--key", fed, "--reason", "会费未缴")
        presentation = laurel("holder", "present", "--card", "card-4.lc1", "--key", "phone.key",
                              "--slot-now", "--gate-id", GATE, rpc=False).stdout.strip()
        check(presentation.startswith("LP1:"), presentation)
        now = int(time.time())
        never, _ = craft_card(fed, work, chain_id=CHAIN, credential_id="city-fed/MW/2026/999999",
                              issuer_id="city-fed", key_version=1, ctype="MODEL_WORKER",
                              level="MUNICIPAL", holder="Wang Fang", member_no="VB-999",
                              valid_from=now - 86400, valid_until=now + 365 * 86400)
        tampered = flip_one_char(valid)

        items = [
            ({"code": valid}, "VALID"),
            ({"code": revoked}, "REVOKED"),
            ({"code": suspended}, "SUSPENDED"),
            ({"code": tampered}, None),  # BAD_SIGNATURE or MALFORMED, as POST /v1/verify says
            ({"code": never}, "NOT_ON_LEDGER"),
            ({"code": bound, "gate_id": GATE}, "PRESENTATION_MISSING"),
            ({"code": bound, "presentation": presentation, "gate_id": GATE}, "VALID"),
            ({"code": valid, "require_binding": ["MODEL_WORKER"]}, "BINDING_REQUIRED"),
            ({"code": "LC1:NOT-A-CARD"}, "MALFORMED"),
            ({"code": valid, "gate_nonce": "zz"}, 400),
            ({"code": "\n " + valid + " \n"}, "VALID"),
        ]
        url = net.url(1)
        body = json.dumps({"cards": [i for i, _ in items]}).encode()
        st, batch = http("POST", url + "/v1/verify:batch", body, JSON)
        check(st == 200, f"POST /v1/verify:batch: HTTP {st} {batch}")
        results = batch["results"]
        check(len(results) == len(items), f"{len(results)} results for {len(items)} cards")
        for i, (item, want) in enumerate(items):
            got = results[i]
            st1, single = http("POST", url + "/v1/verify", json.dumps(item).encode(), JSON)
            check(got["index"] == i, f"item {i}: index {got.get('index')}")
            check(got["http_status"] == st1, f"item {i}: {got['http_status']} vs {st1}")
            if want == 400:
                check(st1 == 400 and got["code"] == single["code"] == "BAD_REQUEST" and
                      got["message"] == single["message"] and "verdict" not in got,
                      f"item {i}: {got} vs {single}")
                continue
            verdict = got["verdict"]
            if want is not None:
                check(verdict["reason"] == want, f"item {i}: {verdict['reason']} (want {want}): "
                      f"{verdict.get('message')}")
            check(without_time(verdict) == without_time(single),
                  f"item {i}: the batch's verdict differs from POST /v1/verify's:\n"
                  f"{verdict}\n{single}")
        check(batch["valid"] == 3 and batch["errors"] == 1 and
              batch["refused"] == len(items) - 4, f"counts: {batch}")
        check(results[1]["verdict"]["credential"]["status_reason"] == "离开工会",
              f"the revocation reason: {results[1]}")
        check(results[0]["verdict"]["card"]["holder_name"] == "王芳", f"{results[0]}")
        heights = {r["verdict"]["height"] for r in results if "verdict" in r}
        check(len(heights) == 1, f"one snapshot for the batch: heights {heights}")
        log(f"batch of {len(items)}: " + ", ".join(
            r["verdict"]["reason"] if "verdict" in r else str(r["http_status"]) for r in results))

        # Limits and malformed bodies.
        st, j = http("POST", url + "/v1/verify:batch",
                     json.dumps({"cards": [{"code": valid}] * 257}).encode(), JSON)
        check(st == 413 and j["code"] == "TOO_MANY_CARDS", f"257 cards: {st} {j}")
        st, j = http("POST", url + "/v1/verify:batch",
                     json.dumps({"cards": [{"code": valid}] * 256}).encode(), JSON, timeout=30)
        check(st == 200 and j["valid"] == 256, f"256 cards: {st} {str(j)[:300]}")
        st, j = http("POST", url + "/v1/verify:batch", b'{"cards": []}', JSON)
        check(st == 400 and j["code"] == "EMPTY_BATCH", f"empty: {st} {j}")
        for bad in (b"{not json", b'{"cards": [{"cod": "x"}]}', b'{"code": "LC1:x"}'):
            st, j = http("POST", url + "/v1/verify:batch", bad, JSON)
            check(st == 400 and j["code"] == "MALFORMED_BODY", f"{bad!r}: {st} {j}")

        # HTTP/1.1 pipelining: three requests in one write, three answers in order.
        host, port = url[len("http://"):].rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=10) as s:
            reqs = b""
            for code in (valid, revoked, suspended):
                b = json.dumps({"code": code}).encode()
                reqs += (b"POST /v1/verify HTTP/1.1\r\nHost: laurel\r\n"
                         b"Content-Type: application/json\r\nContent-Length: " +
                         str(len(b)).encode() + b"\r\n\r\n" + b)
            s.sendall(reqs)
            buf = b""
            reasons = []
            for _ in range(3):
                st, b, buf = read_answer(s, buf)
                check(st == 200, f"pipelined answer: {st} {b[:200]!r}")
                reasons.append(json.loads(b)["reason"])
            check(reasons == ["VALID", "REVOKED", "SUSPENDED"],
                  f"pipelined answers out of order: {reasons}")
        log(f"pipelined POST /v1/verify x3: {reasons}")


if __name__ == "__main__":
    a = parse_args(default_offset=380)
    main_wrapper(lambda: test(a))
