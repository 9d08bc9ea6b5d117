"""`laurel audit` against a real 4-validator testnet: the honest chain passes (also with the
genesis file pinned), a node serving no state certificates passes with a warning (fails with
--require-certificates), a different pinned genesis fails, and a proxy that changes one height's
served block (a tx signature, a tx body, a result code, a stored state root, a state
certificate's root) makes the audit fail naming that height. Logs the audit's throughput."""

import concurrent.futures
import json
import os
import re

from laurel_client import (Testnet, as_int, build_tx_pool, check, committed_location, get_json,
                           log, main_wrapper, parse_args, post_tx, run_audit, wait_for)
from tamper_proxy import TamperProxy

TXS = 40
MODES = {
    # A block that carries its transactions: its id; one that carries proofs of availability
    # (quorum store): its batches' digests.
    "tx_signature": ("does not reproduce its id", "do not hash to its digest"),
    "tx_body": ("does not reproduce its id", "do not hash to its digest"),
    "result_code": "result: the node records",
    "stored_state_root": "state root: the node records",
    "certificate_state_root": "state certificate",
}


def audit(net, url, *extra, timeout=300):
    return run_audit(net, url, *extra, timeout=timeout)


def test(args):
    with Testnet(args, "audit") as net:
        net.init()
        pool = build_tx_pool(net.laurel, net.key("city-fed"), TXS)
        net.up()

        def send(k):
            status, obj = post_tx(net.url(k % net.n), pool[k].json, wait=True, timeout=30)
            loc = committed_location(status, obj)
            check(loc is not None and loc[2] == "OK", f"tx {k}: HTTP {status} {obj}")
            return loc

        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            locs = list(ex.map(send, range(TXS)))
        tx_heights = sorted({loc[0] for loc in locs})
        log(f"{TXS} txs committed at heights {tx_heights}")

        # Wait until a height with txs has its state certificate on node 0.
        def certified_tx_height():
            top = max(tx_heights)
            rng = get_json(f"{net.url(0)}/v1/blocks?from={min(tx_heights)}&limit={top + 1}")
            for b in rng.get("blocks", []):
                h = as_int(b["block"]["meta"]["height"])
                if h in tx_heights and b.get("state_certificate") and b["block"].get("txs"):
                    return h
            return None
        target = wait_for(certified_tx_height, 30, "a certified height with txs")
        log(f"tampering target: height {target}")

        # The honest chain passes, with the node's genesis and with the file pinned.
        r = audit(net, net.url(0))
        check(r.returncode == 0, f"audit of the honest chain exited {r.returncode}: "
              f"{r.stdout}{r.stderr}")
        check(r.stdout.startswith("AUDIT PASSED:"), f"unexpected verdict: {r.stdout}")
        genesis_file = os.path.join(net.dir, "genesis.json")
        r = audit(net, net.url(2), "--genesis", genesis_file, "--json", "--batch", "7")
        check(r.returncode == 0, f"pinned audit exited {r.returncode}: {r.stdout}{r.stderr}")
        summary = json.loads(r.stdout)
        check(summary["verdict"] == "PASSED", f"summary {summary}")
        check(summary["txs"] >= TXS, f"audit re-executed {summary['txs']} txs, expected >= {TXS}")
        check(summary["certified_heights"] >= 1 and "warning" not in summary,
              f"few state certificates checked: {summary}")
        log(f"MEASURED audit: {summary['blocks']} blocks, {summary['txs']} txs in "
            f"{summary['seconds']:.2f}s = {summary['txs_per_s']:.0f} tx/s, "
            f"{summary['blocks_per_s']:.0f} blocks/s")

        # A node serving no state certificates: the audit passes with a WARNING that names the
        # certified heights, and fails with --require-certificates. The honest node carries
        # enough of them for --require-certificates.
        r = audit(net, net.url(0), "--require-certificates")
        check(r.returncode == 0 and r.stdout.startswith("AUDIT PASSED:") and
              "WARNING" not in r.stdout, f"honest chain, --require-certificates: exit "
              f"{r.returncode}: {r.stdout}{r.stderr}")
        with TamperProxy(net.url(0), 0, "drop_certificates") as proxy:
            r = audit(net, proxy.url)
            strict = audit(net, proxy.url, "--require-certificates")
            check(proxy.tampered >= 2, "drop_certificates: the proxy removed nothing")
        lines = r.stdout.splitlines()
        check(r.returncode == 0 and len(lines) == 2 and lines[0].startswith("AUDIT PASSED:") and
              re.search(r", 0 of [1-9]\d* heights after genesis certified, ", lines[0]) and
              lines[1].startswith("WARNING: only 0 of "),
              f"no certificates: exit {r.returncode}: {r.stdout}{r.stderr}")
        check(strict.returncode == 1 and strict.stdout.startswith("AUDIT FAILED: only 0 of ") and
              "--require-certificates" in strict.stdout,
              f"no certificates, --require-certificates: exit {strict.returncode}: "
              f"{strict.stdout}{strict.stderr}")

        # A pinned genesis that is not the node's: failure at height 0.
        with open(genesis_file) as f:
            doc = json.load(f)
        doc["chain_id"] = "laurel-other"
        other = os.path.join(net.dir, "other-genesis.json")
        with open(other, "w") as f:
            json.dump(doc, f)
        r = audit(net, net.url(0), "--genesis", other)
        check(r.returncode == 1 and "AUDIT FAILED at height 0:" in r.stdout,
              f"a foreign genesis: exit {r.returncode}: {r.stdout}{r.stderr}")

        # Nothing listening: exit 2.
        r = audit(net, "http://127.0.0.1:1")
        check(r.returncode == 2, f"unreachable node: exit {r.returncode}: {r.stdout}{r.stderr}")

        # One changed thing at one height: the audit stops there and names it.
        for mode, words in MODES.items():
            with TamperProxy(net.url(0), target, mode) as proxy:
                r = audit(net, proxy.url, "--batch", "5")
                check(proxy.tampered >= 1, f"{mode}: the proxy never met height {target}")
            check(r.returncode == 1, f"{mode}: audit exited {r.returncode}: {r.stdout}{r.stderr}")
            check(f"AUDIT FAILED at height {target}:" in r.stdout,
                  f"{mode}: the verdict does not name height {target}: {r.stdout}")
            words = (words,) if isinstance(words, str) else words
            check(any(w in r.stdout for w in words),
                  f"{mode}: the verdict does not say any of {words}: {r.stdout}")


if __name__ == "__main__":
    a = parse_args(default_offset=40)
    main_wrapper(lambda: test(a))
