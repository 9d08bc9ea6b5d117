"""A stale node's proof against a real 4-validator testnet. node3 is cut off (the transport's
fault file: every frame to and from it lost) while the other three commit on, among other
things the revocation of a card. Asked for a proven answer, node3 still answers, from its last
certified height: the proof verifies, says plainly which height, when and how old, and shows the
card VALID as it was then; `laurel verify --prove --max-age N` refuses it as stale, naming the
height and its age. A live node gives the fresh proven REVOKED. Once node3 is let back in it
catches up and proves the revocation too. Also: ?proof=yes is 400 BAD_PROOF, never an
unproven answer, and verify/status proves what it read."""

import json
import os
import re
import sys
import time

from chaos import enable_fault_injection, laureld_has_hook  # noqa: E402
from laurel_client import http as http_call  # noqa: E402
from laurel_client import (Testnet, as_int, check, log, main_wrapper, parse_args, run_laurel,
                           wait_for)

CRED = "city-fed/M/2026/000777"
STALE = 3         # the node cut off
MAX_AGE_S = 4     # --max-age for the stale check
CUT_S = 30        # longest time the cut lasts


def test(args):
    check(laureld_has_hook(args.bin), "laureld lacks --allow-fault-injection")
    net = Testnet(args, "stale-proof")
    net.env["LAUREL_NODE_ARGS"] = "--allow-fault-injection"
    with net:
        net.init()
        enable_fault_injection(net)
        net.up()
        genesis = os.path.join(net.dir, "genesis.json")
        work = net.dir

        def laurel(*a, expect=0, node=0):
            return run_laurel(net.laurel, a, rpc=net.url(node), cwd=work, expect=expect,
                              label=f" @node{node}")

        def post(url, obj):
            return http_call("POST", url, json.dumps(obj).encode(),
                             {"Content-Type": "application/json"})

        def set_faults(i, rules):
            path = os.path.join(net.dir, f"node{i}", "faults.json")
            with open(path + ".tmp", "w") as f:
                json.dump({"links": rules}, f)
            os.replace(path + ".tmp", path)

        fed = net.key("city-fed")
        laurel("card", "issue", "--issuer", "city-fed", "--key", fed, "--type", "member",
               "--holder-name", "王芳", "--member-no", "S-0777", "--id", CRED,
               "--valid-until", "2030-01-01", "--out", "card.lc1")
        card = os.path.join(work, "card.lc1")
        code = open(card).read().strip()

        # ?proof= takes true/1/false/0 only: anything else is a 400, not an unproven answer.
        status, ans = post(net.url(0) + "/v1/verify?proof=yes", {"code": code})
        check(status == 400 and ans.get("code") == "BAD_PROOF" and "'yes'" in ans["message"],
              f"verify?proof=yes: {status} {ans}")
        status, ans = http_call("GET", net.url(0) + "/v1/credentials/city-fed%2FM%2F2026%2F000777"
                                "?proof=yes")
        check(status == 400 and ans.get("code") == "BAD_PROOF", f"credential ?proof=yes: {ans}")

        def proven(node, want):
            def attempt():
                r = laurel("verify", "--prove", "--genesis", genesis, "--file", card,
                           expect=None, node=node)
                return r if want in r.stdout and "proven:" in r.stdout else None
            return attempt

        # Every node proves the card VALID once its height is certified.
        for i in (0, STALE):
            wait_for(proven(i, "VALID"), 30, f"a proven VALID answer from node{i}")

        # The private check with proofs, straight over HTTP: the records are proven, no card.
        card_json = json.loads(laurel("verify", "--file", card, "--json").stdout)
        ask = {"credential_id": CRED, "issuer_id": "city-fed", "key_version": 1,
               "card_digest": card_json["credential"]["card_digest"]}
        status, ans = post(net.url(0) + "/v1/verify/status?proof=true", ask)
        check(status == 200 and ans.get("valid") is True and "card" not in ans and
              {r["key"] for r in ans["proof"]["records"]} >= {"c/" + CRED, "i/city-fed"},
              f"verify/status?proof=true: {status} {ans}")
        status, ans = post(net.url(0) + "/v1/verify/status?proof=yes", ask)
        check(status == 400 and ans.get("code") == "BAD_PROOF", f"verify/status?proof=yes: {ans}")

        # Cut node3 off: it loses every frame it sends, the others every frame they send it.
        stale_key = net.node_pubkey(STALE)
        set_faults(STALE, [{"peer": "*", "loss": 1.0}])
        for i in range(4):
            if i != STALE:
                set_faults(i, [{"peer": stale_key, "loss": 1.0}])
        cut_at = time.time()
        time.sleep(1.5)  # the fault files are read again within a fraction of a second
        h_cut = as_int(http_call("GET", net.url(STALE) + "/v1/status")[1]["height"])
        log(f"node{STALE} cut off at height {h_cut}")

        # The others go on, and revoke the card.
        laurel("card", "revoke", "--id", CRED, "--key", fed, "--reason", "left the union")
        r = wait_for(proven(0, "REVOKED"), 30, "a proven REVOKED answer from a live node")
        live_h = int(re.search(r"at height (\d+)", r.stdout).group(1))
        h_stale = as_int(http_call("GET", net.url(STALE) + "/v1/status")[1]["height"])
        check(h_stale <= h_cut + 1, f"node{STALE} went on committing: {h_cut} -> {h_stale}")
        check(live_h > h_stale, f"the live proof (height {live_h}) is not past the stale node "
              f"({h_stale})")

        # The stale node answers from its last certified height, plainly: a proof that
        # verifies, of the card VALID as it was, at height H, time T, age A.
        r = laurel("verify", "--prove", "--genesis", genesis, "--file", card, node=STALE)
        m = re.search(r"proven: the card is VALID, at height (\d+) \(([^,]+), (\d+) s old\)",
                      r.stdout)
        check(m is not None, f"no plain height, time and age in the stale answer: {r.stdout}")
        old_h = int(m.group(1))
        check(old_h <= h_stale < live_h, f"stale proof height {old_h}, node at {h_stale}, "
              f"live {live_h}")
        # Waits until that proof is older than MAX_AGE_S, then: refused as stale, naming it.
        wait_s = max(0.0, cut_at + MAX_AGE_S + 1.5 - time.time())
        time.sleep(wait_s)
        r = laurel("verify", "--prove", "--genesis", genesis, "--file", card, "--max-age",
                   str(MAX_AGE_S), expect=1, node=STALE)
        m = re.search(r"REFUSED NOT_PROVEN: the proof is stale: height (\d+) is ([\d.]+) s old, "
                      r"more than the (\d+) s allowed", r.stdout)
        check(m is not None and int(m.group(1)) == old_h and float(m.group(2)) > MAX_AGE_S and
              int(m.group(3)) == MAX_AGE_S, f"stale refusal not as expected: {r.stdout}")
        log(f"MEASURED stale node: proof of height {old_h}, {m.group(2)} s old, refused; "
            f"live node proves height {live_h}")
        # The same --max-age on a live node: the fresh, proven revocation.
        r = laurel("verify", "--prove", "--genesis", genesis, "--file", card, "--max-age",
                   str(MAX_AGE_S), expect=1, node=0)
        check(r.stdout.startswith("REFUSED REVOKED") and
              "proven: the card is REFUSED REVOKED" in r.stdout, r.stdout)
        # Over HTTP the stale answer states its height and time too.
        status, ans = post(net.url(STALE) + "/v1/verify/status?proof=true", ask)
        check(status == 200 and as_int(ans["proof"]["height"]) == old_h and
              f"as of height {old_h} (" in ans["proof"]["proven"], f"stale HTTP answer: {ans}")
        check(time.time() - cut_at < CUT_S, "the cut lasted too long")

        # Let node3 back in: it catches up and proves the revocation.
        for i in range(4):
            set_faults(i, [])
        wait_for(proven(STALE, "REVOKED"), 60, f"node{STALE} proving the revocation after the cut")


if __name__ == "__main__":
    a = parse_args(default_offset=280)
    main_wrapper(lambda: test(a))
