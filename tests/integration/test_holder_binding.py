"""Holder binding on a real 4-validator testnet: a model-worker card bound to a phone's device
key (`laurel holder keygen`, `card issue --holder-key`) passes online (`laurel verify`, private
and --send-card, and POST /v1/verify) and offline (`laurel gate verify` after `gate sync`, every
node stopped) only with a fresh presentation from that phone for that gate
(`laurel holder present`); the same screenshot shown at a later slot is PRESENTATION_EXPIRED, a
presentation with one signature byte changed is BAD_HOLDER_SIGNATURE, one for another gate's
nonce is PRESENTATION_EXPIRED, none at all is PRESENTATION_MISSING; a card issued without a key
still verifies, marked UNBOUND, and is refused BINDING_REQUIRED where the gate requires binding
for model-worker cards. Online and offline give the same reason and exit code for each."""

import csv
import json
import os
import subprocess
import time

from laurel_client import (Testnet, check, first_reason, http, log, main_wrapper,
                           parse_args, run_laurel, wait_for)
from test_card_life import B45, base45

YEAR = 2026
GATE = "PEK-T3-G12"


def base45_decode(text):
    vals = [B45.index(c) for c in text]
    out = bytearray()
    for i in range(0, len(vals), 3):
        chunk = vals[i:i + 3]
        if len(chunk) == 3:
            n = chunk[0] + chunk[1] * 45 + chunk[2] * 2025
            out += bytes([n // 256, n % 256])
        else:
            out.append(chunk[0] + chunk[1] * 45)
    return bytes(out)


def tamper_signature(lp1):
    """The presentation with one byte of its signature (the last 64 bytes) flipped."""
    raw = bytearray(base45_decode(lp1[len("LP1:"):]))
    raw[-20] ^= 0x01
    return "LP1:" + base45(bytes(raw))


def test(args):
    with Testnet(args, "holder-binding") as net:
        net.init()
        net.up()
        genesis = os.path.join(net.dir, "genesis.json")
        work = net.dir

        def laurel(*a, expect=0, rpc=None):
            return run_laurel(net.laurel, a, rpc=None if rpc is False else (rpc or net.url(0)),
                              cwd=work, expect=expect, timeout=120, shown=300, shown_err=200)

        fed = net.key("city-fed")
        # The holder's phone makes its key; the union signs it into a model-worker card.
        r = laurel("holder", "keygen", "--out", "phone.key", rpc=False)
        phone_pub = r.stdout.strip()
        check(len(phone_pub) == 64, f"keygen prints the public key: {r.stdout}")
        laurel("holder", "keygen", "--out", "other-phone.key", rpc=False)
        bound_id = f"city-fed/MW/{YEAR}/000101"
        laurel("card", "issue", "--issuer", "city-fed", "--key", fed, "--type", "model_worker",
               "--level", "municipal", "--holder-name", "王芳", "--member-no", "MW-0101",
               "--id", bound_id, "--valid-until", "2030-01-01", "--holder-key", "phone.key",
               "--out", "bound.lc1")
        # A card issued the old way: no device key.
        old_id = f"city-fed/MW/{YEAR}/000102"
        laurel("card", "issue", "--issuer", "city-fed", "--key", fed, "--type", "model_worker",
               "--level", "municipal", "--holder-name", "赵敏", "--member-no", "MW-0102",
               "--id", old_id, "--valid-until", "2030-01-01", "--out", "old.lc1")
        bound, old = os.path.join(work, "bound.lc1"), os.path.join(work, "old.lc1")
        r = laurel("card", "inspect", "--file", "bound.lc1", "--json", rpc=False)
        check(json.loads(r.stdout)["holder_key"] == phone_pub, f"the card holds the key: {r.stdout}")
        r = laurel("card", "inspect", "--file", "old.lc1", "--json", rpc=False)
        check(json.loads(r.stdout)["holder_key"] is None, r.stdout)
        # A bad --holder-key is refused before anything is sent.
        laurel("card", "issue", "--issuer", "city-fed", "--key", fed, "--type", "member",
               "--holder-name", "X", "--member-no", "X-1", "--valid-until", "2030-01-01",
               "--holder-key", "abcd", "--out", "never.lc1", expect=2)
        check(not os.path.exists(os.path.join(work, "never.lc1")), "no card for a bad key")

        def present(*a, key="phone.key", card="bound.lc1"):
            return laurel("holder", "present", "--card", card, "--key", key, *a,
                          rpc=False).stdout.strip()

        other_phone = laurel("holder", "present", "--card", "bound.lc1", "--key",
                             "other-phone.key", "--slot-now", "--gate-id", GATE, expect=2,
                             rpc=False)
        check("bound to device key" in other_phone.stderr, other_phone.stderr)
        laurel("holder", "present", "--card", "old.lc1", "--key", "phone.key", "--slot-now",
               "--gate-id", GATE, expect=2, rpc=False)
        nonce, other_nonce = "00112233445566778899aabbccddeeff", "ffeeddccbbaa99887766554433221100"
        shown = {"n": 0}

        def make_cases():
            """Presentations made now (a slot presentation lives 30 to 90 s)."""
            shown["n"] += 1
            qr = os.path.join(work, f"fresh-{shown['n']}.png")
            fresh = present("--slot-now", "--gate-id", GATE, "--qr", qr)
            check(fresh.startswith("LP1:") and os.path.getsize(qr) > 0, fresh)
            # A screenshot taken five minutes ago, shown now.
            screenshot = present("--slot-now", "--at", str(int(time.time()) - 300),
                                 "--gate-id", GATE)
            by_nonce = present("--nonce", nonce, "--gate-id", GATE)
            for_other_gate = present("--nonce", other_nonce, "--gate-id", "SHA-HQ-01")
            tampered = tamper_signature(fresh)
            shown.update(fresh=fresh, screenshot=screenshot)
            # name: (card, presentation args, policy args, expected reason, holder)
            return {
                "fresh": (bound, ["--presentation", fresh], [], "VALID", "BOUND"),
                "qr": (bound, ["--presentation-qr", qr], [], "VALID", "BOUND"),
                "nonce": (bound, ["--presentation", by_nonce], ["--nonce", nonce], "VALID",
                          "BOUND"),
                "missing": (bound, [], [], "PRESENTATION_MISSING", "BOUND"),
                "screenshot": (bound, ["--presentation", screenshot], [],
                               "PRESENTATION_EXPIRED", "BOUND"),
                "other_gate_nonce": (bound, ["--presentation", for_other_gate],
                                     ["--nonce", other_nonce], "PRESENTATION_EXPIRED", "BOUND"),
                "old_nonce": (bound, ["--presentation", by_nonce], ["--nonce", other_nonce],
                              "PRESENTATION_EXPIRED", "BOUND"),
                "tampered": (bound, ["--presentation", tampered], [], "BAD_HOLDER_SIGNATURE",
                             "BOUND"),
                "unbound": (old, [], [], "VALID", "UNBOUND"),
                "unbound_required": (old, [], ["--require-binding", "model-worker"],
                                     "BINDING_REQUIRED", "UNBOUND"),
                "bound_required": (bound, ["--presentation", fresh],
                                   ["--require-binding", "model-worker"], "VALID", "BOUND"),
            }

        def run_all(cmd, extra, rpc=None):
            got = {}
            for name, (card, pres, policy, want, holder) in sorted(make_cases().items()):
                r = laurel(*cmd, "--file", card, *pres, "--gate-id", GATE, *policy, *extra,
                           "--json", expect=None, rpc=rpc)
                j = json.loads(r.stdout)
                got[name] = (j["reason"], j.get("holder"), r.returncode)
                check(j["reason"] == want, f"{' '.join(cmd)} {name}: {j['reason']} "
                      f"(want {want}): {j.get('message')}")
                check(j.get("holder") == holder, f"{name}: holder {j.get('holder')}")
                check(r.returncode == (0 if want == "VALID" else 1), f"{name}: exit {r.returncode}")
            return got

        online = run_all(["verify"], [])
        sent = run_all(["verify"], ["--send-card"])
        check(online == sent, f"private and --send-card agree: {online} / {sent}")
        # The human output: reason lines in English and Chinese.
        make_cases()
        fresh, screenshot = shown["fresh"], shown["screenshot"]
        r = laurel("verify", "--file", bound, "--presentation", screenshot, "--gate-id", GATE,
                   expect=1)
        check(r.stdout.startswith("REFUSED PRESENTATION_EXPIRED:") and "出示码已过期" in r.stdout,
              r.stdout)
        r = laurel("verify", "--file", bound, "--presentation", fresh, "--gate-id", GATE)
        check("已绑定手机" in r.stdout and "presentation verified" in r.stdout, r.stdout)
        r = laurel("verify", "--file", old, "--gate-id", GATE)
        check("unbound" in r.stdout and "未绑定手机" in r.stdout, r.stdout)
        # A presentation needs a gate id.
        laurel("verify", "--file", bound, "--presentation", fresh, expect=2)

        # POST /v1/verify with the new request fields.
        def post(body):
            status, j = http("POST", net.url(1) + "/v1/verify", json.dumps(body).encode(),
                             {"Content-Type": "application/json"})
            return status, j
        code = open(bound).read().strip()
        status, j = post({"code": code, "presentation": fresh, "gate_id": GATE})
        check(status == 200 and j["reason"] == "VALID" and j["holder"] == "BOUND" and
              j["card"]["holder_key"] == phone_pub, f"{status} {j}")
        status, j = post({"code": code, "gate_id": GATE})
        check(j["reason"] == "PRESENTATION_MISSING" and not j["valid"], j)
        status, j = post({"code": open(old).read().strip(), "require_binding": ["MODEL_WORKER"]})
        check(j["reason"] == "BINDING_REQUIRED" and j["holder"] == "UNBOUND", j)
        status, j = post({"code": code, "presentation": fresh, "gate_id": GATE,
                          "gate_nonce": "zz"})
        check(status == 400, f"a bad gate_nonce is a bad request: {status} {j}")

        # issue-batch: a holder_key column binds that member's card; a malformed key makes the
        # row invalid, and the other rows are issued.
        with open(os.path.join(work, "members.csv"), "w", encoding="utf-8") as f:
            f.write("member_no,holder_name,holder_key\n"
                    f"MW-0201,李娜,{phone_pub}\n"
                    "MW-0202,周杰,\n"
                    "MW-0203,孙丽,abcd\n")
        r = laurel("card", "issue-batch", "--issuer", "city-fed", "--key", fed, "--csv",
                   "members.csv", "--out", "batch", "--type", "model_worker", "--level",
                   "municipal", "--valid-until", "2030-01-01", "--no-qr", expect=1)
        with open(os.path.join(work, "batch", "report.csv"), encoding="utf-8") as f:
            report = {row["member_no"]: row for row in csv.DictReader(f)}
        check(report["MW-0203"]["result"] == "invalid", f"bad holder_key row: {report}")
        keys = {}
        for no in ("MW-0201", "MW-0202"):
            check(report[no]["result"] == "issued", f"{no}: {report[no]}")
            card_file = os.path.join(work, report[no]["card_file"])
            r = laurel("card", "inspect", "--file", card_file, "--json", rpc=False)
            keys[no] = (json.loads(r.stdout)["holder_key"], card_file)
        check(keys["MW-0201"][0] == phone_pub and keys["MW-0202"][0] is None, f"batch keys: {keys}")
        # A renewal keeps the binding (the old card names the key); --holder-key none unbinds
        # on replacement. Each new card is what the ledger holds, bound as printed.
        batch_id, batch_card = report["MW-0201"]["credential_id"], keys["MW-0201"][1]
        laurel("card", "renew", "--id", batch_id, "--key", fed, "--card", batch_card,
               "--valid-until", "2031-01-01", "--out", "renewed.lc1")
        r = laurel("card", "inspect", "--file", "renewed.lc1", "--json", rpc=False)
        check(json.loads(r.stdout)["holder_key"] == phone_pub, f"renewal kept the key: {r.stdout}")
        r = laurel("verify", "--file", "renewed.lc1", "--gate-id", GATE, "--json", expect=1)
        check(json.loads(r.stdout)["reason"] == "PRESENTATION_MISSING", r.stdout)
        fresh_renewed = present("--slot-now", "--gate-id", GATE, card="renewed.lc1")
        r = laurel("verify", "--file", "renewed.lc1", "--presentation", fresh_renewed,
                   "--gate-id", GATE, "--json")
        check(json.loads(r.stdout)["holder"] == "BOUND", r.stdout)
        r = laurel("verify", "--file", batch_card, "--json", expect=1)
        check(json.loads(r.stdout)["reason"] == "DIGEST_MISMATCH", f"the old card: {r.stdout}")
        laurel("card", "replace", "--id", batch_id, "--key", fed, "--card", "renewed.lc1",
               "--holder-key", "none", "--out", "unbound.lc1")
        r = laurel("card", "inspect", "--file", "unbound.lc1", "--json", rpc=False)
        check(json.loads(r.stdout)["holder_key"] is None, f"replace --holder-key none: {r.stdout}")
        r = laurel("verify", "--file", "unbound.lc1", "--json")
        j = json.loads(r.stdout)
        check(j["reason"] == "VALID" and j["holder"] == "UNBOUND", r.stdout)

        # Offline: sync, stop every node, decide the same cases.
        gate = os.path.join(work, "gate")

        def synced():
            r = laurel("gate", "sync", "--out", gate, "--genesis", genesis, "--json",
                       expect=None)
            if r.returncode != 0:
                return None
            s = json.loads(r.stdout)
            return s if s["credentials"] >= 2 else None
        wait_for(synced, 60, "a gate sync holding both cards")
        net.down()
        check(not any(net.running(i) for i in range(4)), "every node is stopped")
        offline = run_all(["gate", "verify", "--bundle", gate], [], rpc=False)
        check(offline == online, f"offline equals online: {offline} / {online}")
        # The C interface (docs/examples/gate_example.c over laurel_gate.h): the same reasons.
        example = os.path.join(net.bin, "laurel-gate-example")
        check(os.access(example, os.X_OK), f"{example} is missing: build laurel-gate-example")
        make_cases()
        r = subprocess.run([example, gate, "--gate-id", GATE, "--require-binding-model-worker",
                            "--presentation", shown["fresh"], bound,
                            "--presentation", shown["screenshot"], bound,
                            bound, old], capture_output=True, text=True, timeout=60)
        log(f"gate_example -> {r.returncode}: {r.stdout.strip()[:400]}")
        lines = [ln for ln in r.stdout.splitlines() if ln.startswith(("VALID", "REFUSED"))]
        got = [first_reason(ln) for ln in lines]
        check(got == ["VALID", "PRESENTATION_EXPIRED", "PRESENTATION_MISSING", "BINDING_REQUIRED"]
              and r.returncode == 1, f"gate_example: {r.stdout}{r.stderr}")
        log(f"holder binding reasons, online == offline: {online}")


if __name__ == "__main__":
    a = parse_args(default_offset=350)
    main_wrapper(lambda: test(a))
