"""The transaction log (docs/spec/state.md §12) on a real 4-validator testnet:

  - every committed transaction is a leaf of one append-only RFC 6962 log, whose head
    (GET /v1/log) is the state record "l" under each certified state root;
  - bad parameters of the log routes are 400 BAD_REQUEST with a message;
  - `laurel audit --checkpoint FILE` saves the audited height with its log head; after more
    transactions, `laurel audit --from H --checkpoint FILE` checks the certified head's
    consistency proof from the saved size, downloads only the blocks after H, and says
    "log consistent from size A (height H) to size B (height H2), proven by validators ...";
  - a proxy that changes one hash of the consistency proof makes that audit refuse, naming
    the consistency proof, exit 1, and leaves the checkpoint as it was;
  - an inclusion proof of a transaction, fetched by its id, is checked offline here (RFC 9162
    §2.1.3.2, written from the spec) against the certified log root;
  - the head saved at the checkpoint's height is proven again at that past height
    (GET /v1/log?height=H&proof=true: H's own certificate, the saved size and root), and a
    first-batch transaction's inclusion at that height (&height=H) leads to the saved root;
    a height above the tip is 400 HEIGHT_ABOVE_TIP, size with height or first > second
    400 BAD_REQUEST, and none of them changes the log.
"""

import concurrent.futures
import hashlib
import json
import os
import re
import tempfile

from laurel_client import (Testnet, as_int, build_tx_pool, check, committed_location, get_json,
                           http, log, main_wrapper, parse_args, post_tx, run_audit, wait_for)
from tamper_proxy import TamperProxy

BATCH = 12
CODES = {"OK": 0}


def H(*parts):
    return hashlib.sha256(b"".join(parts)).digest()


def leaf_hash(tx_id_hex, code):
    return H(b"\x00", bytes.fromhex(tx_id_hex), code.to_bytes(4, "big"))


def verify_inclusion(index, size, leaf, path, root):
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = H(b"\x01", p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = H(b"\x01", r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def audit(net, url, *extra, timeout=300):
    return run_audit(net, url, *extra, timeout=timeout, shown=900, shown_err=400, newline=True)


def test(args):
    with Testnet(args, "txlog") as net, tempfile.TemporaryDirectory(prefix="laurel-txlog-") as work:
        net.init()
        pool = build_tx_pool(net.laurel, net.key("city-fed"), 3 * BATCH)
        net.up()
        url = net.url(0)

        def send(k):
            status, obj = post_tx(net.url(k % net.n), pool[k].json, wait=True, timeout=30)
            loc = committed_location(status, obj)
            check(loc is not None and loc[2] == "OK", f"tx {k}: HTTP {status} {obj}")
            return loc

        def send_batch(b):
            with concurrent.futures.ThreadPoolExecutor(6) as ex:
                return list(ex.map(send, range(b * BATCH, (b + 1) * BATCH)))

        send_batch(0)
        # Sent through all four nodes: node 0 has them all once it has caught up.
        wait_for(lambda: as_int(get_json(url + "/v1/log")["size"]) >= BATCH, 30,
                 "node 0's log holds every committed tx")
        head = get_json(url + "/v1/log")

        # -- bad parameters: 400 with a code and a message ------------------------------------
        size = as_int(head["size"])
        for path in [f"/v1/log/proof/consistency?first=1&second={size + 5}",
                     "/v1/log/proof/consistency?first=3&second=2",
                     "/v1/log/proof/consistency?first=0&second=2",
                     "/v1/log/proof/consistency?first=abc",
                     "/v1/log/proof/consistency",
                     f"/v1/log/proof/inclusion?index={size}",
                     f"/v1/log/proof/inclusion?index=0&size={size + 1}",
                     "/v1/log/proof/inclusion?index=-1",
                     "/v1/log/proof/inclusion?index=0&tx=" + "0" * 64,
                     "/v1/log/proof/inclusion?tx=xyz",
                     "/v1/log?proof=true&x=1"]:
            st, j = http("GET", url + path)
            check(st == 400 and isinstance(j, dict) and j.get("code") == "BAD_REQUEST" and
                  j.get("message"), f"GET {path}: expected 400 BAD_REQUEST, got {st} {j!r}")
        st, j = http("GET", url + "/v1/log/proof/inclusion?tx=" + "ab" * 32)
        check(st == 404, f"unknown tx: {st} {j}")

        # -- first audit: saves the point -----------------------------------------------------
        cp = os.path.join(work, "audit.json")
        r = audit(net, url, "--checkpoint", cp)
        check(r.returncode == 0 and r.stdout.startswith("AUDIT PASSED:"), "first audit")
        saved = json.load(open(cp))
        h1, size1 = saved["height"], saved["log_size"]
        check(size1 >= BATCH and len(saved["log_root"]) == 64, f"checkpoint log head: {saved}")
        log(f"checkpoint at height {h1}, log size {size1}")

        # -- more transactions; the tampered consistency proof is refused ---------------------
        send_batch(1)
        wait_for(lambda: as_int(get_json(url + "/v1/log")["size"]) >= 2 * BATCH, 30,
                 "node 0's log holds the second batch")
        wait_for(lambda: as_int(get_json(url + "/v1/log?proof=true")["proof"]["height"]) > h1, 30,
                 "a certified height above the checkpoint")
        before = open(cp).read()
        with TamperProxy(url, 0, "consistency_proof") as proxy:
            r = audit(net, proxy.url, "--checkpoint", cp, "--from", str(h1))
            check(proxy.tampered >= 1, "the proxy changed no consistency proof")
        check(r.returncode == 1, f"a tampered consistency proof must fail the audit (exit 1): "
              f"{r.returncode}")
        check("LOG INCONSISTENT" in r.stdout and "consistency proof" in r.stdout and
              f"audited at height {h1}" in r.stdout and f"from size {size1} (root" in r.stdout,
              f"the refusal names the consistency proof: {r.stdout}")
        check(open(cp).read() == before, "a failed audit left the checkpoint unchanged")

        # -- the honest continuation ----------------------------------------------------------
        r = audit(net, url, "--checkpoint", cp, "--from", str(h1))
        check(r.returncode == 0, f"audit --from exited {r.returncode}")
        m = re.search(r"log consistent from size (\d+) \(height (\d+)\) to size (\d+) "
                      r"\(height (\d+)\), proven by validators (\S+)", r.stdout)
        check(m is not None, f"audit --from states what it proved: {r.stdout}")
        a, ha, b, hb, signers = int(m[1]), int(m[2]), int(m[3]), int(m[4]), m[5].split(",")
        check(a == size1 and ha == h1 and b >= size1 + BATCH and hb > h1 and len(signers) >= 3,
              f"proved {m[0]}")
        m2 = re.search(r"heights (\d+)\.\.(\d+) audited in this run \((\d+) blocks downloaded\)",
                       r.stdout)
        check(m2 is not None and int(m2[1]) == h1 + 1, f"only new blocks: {r.stdout}")
        downloaded, last = int(m2[3]), int(m2[2])
        check(downloaded <= last - h1 + 1, f"downloaded {downloaded} blocks for heights "
              f"{h1 + 1}..{last}: only the new ones (and at most the one after)")
        saved2 = json.load(open(cp))
        check(saved2["height"] == last and saved2["log_size"] >= b, f"new point saved: {saved2}")
        log(f"MEASURED audit --from: {m[0]}; {downloaded} blocks downloaded for heights "
            f"{h1 + 1}..{last} (the chain is {last + 1} blocks)")

        # -- inclusion of one transaction, checked offline ------------------------------------
        tx = pool[BATCH + 3]
        certified = wait_for(lambda: (lambda j: j if as_int(j["size"]) >= 2 * BATCH else None)(
            get_json(url + "/v1/log?proof=true")), 30, "a certified head with both batches")
        csize, croot = as_int(certified["size"]), bytes.fromhex(certified["root"])
        check(certified["proof"]["records"][0]["key"] == "l", f"proof of record 'l': {certified}")
        rec = bytes.fromhex(certified["proof"]["records"][0]["value"])
        check(int.from_bytes(rec[:8], "big") == csize and rec[8:40] == croot,
              "the record 'l' holds the size and root the answer gives")
        inc = get_json(f"{url}/v1/log/proof/inclusion?tx={tx.tx_id}&size={csize}")
        leaf = leaf_hash(tx.tx_id, 0)
        check(inc["leaf_hash"] == leaf.hex() and inc["tx_id"] == tx.tx_id, f"leaf: {inc}")
        path = [bytes.fromhex(p) for p in inc.get("audit_path", [])]
        index = as_int(inc["index"])
        check(verify_inclusion(index, csize, leaf, path, croot),
              f"the inclusion proof of {tx.tx_id} leads to the certified root")
        bad = list(path)
        bad[0] = bytes([bad[0][0] ^ 1]) + bad[0][1:]
        check(not verify_inclusion(index, csize, leaf, bad, croot), "a flipped bit fails")
        by_index = get_json(f"{url}/v1/log/proof/inclusion?index={index}&size={csize}")
        check(by_index["audit_path"] == inc["audit_path"] and by_index["tx_id"] == tx.tx_id,
              "by index and by tx id: the same proof")
        log(f"MEASURED inclusion proof at size {csize}: {len(path)} hashes; consistency "
            f"proof {a}->{b}: computed by the node from stored subtrees")

        # -- the checkpoint's head, proven again at its own (past) height ---------------------
        def past_head():
            st, j = http("GET", f"{url}/v1/log?height={h1}&proof=true")
            if st == 503 and j.get("code") == "NO_CERTIFICATE":
                return None
            check(st == 200, f"GET /v1/log?height={h1}&proof=true: {st} {j}")
            return j
        past = wait_for(past_head, 30, f"the proven log head at height {h1}")
        check(as_int(past["height"]) == h1 and as_int(past["proof"]["height"]) == h1,
              f"proven at height {h1} itself, not a later one: {past['proof']['height']}")
        check(as_int(past["size"]) == size1 and past["root"] == saved["log_root"],
              f"the past head is the one the checkpoint saved: {past} vs {saved}")
        rec = bytes.fromhex(past["proof"]["records"][0]["value"])
        check(past["proof"]["records"][0]["key"] == "l" and
              int.from_bytes(rec[:8], "big") == size1 and rec[8:40].hex() == saved["log_root"],
              "the record 'l' proven at the past height holds the saved size and root")
        early = pool[2]
        inc = get_json(f"{url}/v1/log/proof/inclusion?tx={early.tx_id}&height={h1}")
        check(as_int(inc["size"]) == size1, f"inclusion at height {h1}: size {inc['size']}")
        check(verify_inclusion(as_int(inc["index"]), size1, leaf_hash(early.tx_id, 0),
                               [bytes.fromhex(p) for p in inc.get("audit_path", [])],
                               bytes.fromhex(saved["log_root"])),
              "a first-batch transaction's inclusion at the checkpoint's height leads to the "
              "saved root")
        cons = get_json(f"{url}/v1/log/proof/consistency?first={size1}&height={hb}")
        check(as_int(cons["second"]) == b and cons["first_root"] == saved["log_root"],
              f"consistency to height {hb}: {cons}")
        size_now = get_json(url + "/v1/log")["size"]
        tip = as_int(get_json(url + "/v1/status")["height"])
        for path, code in [(f"/v1/log?height={tip + 1000}&proof=true", "HEIGHT_ABOVE_TIP"),
                           (f"/v1/log/proof/inclusion?index=0&height={tip + 1000}",
                            "HEIGHT_ABOVE_TIP"),
                           (f"/v1/log/proof/inclusion?index=0&height={h1}&size=1", "BAD_REQUEST"),
                           (f"/v1/log/proof/inclusion?tx={pool[BATCH + 3].tx_id}&height={h1}",
                            "BAD_REQUEST"),  # committed after h1
                           (f"/v1/log/proof/consistency?first={size1 + 1}&height={h1}",
                            "BAD_REQUEST"),  # first > second
                           ("/v1/log?height=x", "BAD_REQUEST")]:
            st, j = http("GET", url + path)
            check(st == 400 and isinstance(j, dict) and j.get("code") == code and j.get("message"),
                  f"GET {path}: expected 400 {code}, got {st} {j!r}")
        check(get_json(url + "/v1/log")["size"] == size_now, "refused requests changed the log")
        log(f"past head at height {h1} (size {size1}) proven under its own certificate; "
            f"inclusion and consistency anchored there verify")


if __name__ == "__main__":
    a = parse_args(default_offset=270)
    main_wrapper(lambda: test(a))
