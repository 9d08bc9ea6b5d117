"""The offline gate on a real 4-validator testnet: cards in every state a gate meets are
decided online (`laurel verify`), the gate syncs its bundle (`laurel gate sync`), every node is
stopped, and `laurel gate verify` gives the same reason for each card with no network. Also: a
delta applied to an older bundle equals a fresh full bundle; a downloaded bundle with one byte
changed is refused and never replaces the good one; a bundle changed on disk is refused; a
bundle older than --max-offline is BUNDLE_STALE (refused with --fail-closed, decided and marked
with fail-open)."""

import hashlib
import json
import os
import shutil
import subprocess
import time
import urllib.request

from laurel_client import (Testnet, check, first_reason, log, main_wrapper,
                           parse_args, run_laurel, wait_for)
from test_card_life import craft_card

CHAIN = "laurel-local"
YEAR = 2026


def sha256_file(p):
    with open(p, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test(args):
    with Testnet(args, "gate-offline") as net:
        net.init()
        net.up()
        genesis = os.path.join(net.dir, "genesis.json")
        work = net.dir

        def laurel(*a, expect=0, rpc=None):
            return run_laurel(net.laurel, a, rpc=None if rpc is False else (rpc or net.url(0)),
                              cwd=work, expect=expect, timeout=120, shown=400)

        fed = net.key("city-fed")
        admins = [net.key("admin1"), net.key("admin2")]
        cards = {}

        def issue(name, cid, key=fed, issuer="city-fed", extra=()):
            out = f"{name}.lc1"
            laurel("card", "issue", "--issuer", issuer, "--key", key, "--type", "member",
                   "--holder-name", "张三", "--member-no", "M-" + name, "--id", cid,
                   "--valid-until", "2030-01-01", *extra, "--out", out)
            cards[name] = os.path.join(work, out)

        # Demo-like cards, one per state.
        issue("active", f"city-fed/M/{YEAR}/000001")
        issue("suspended", f"city-fed/M/{YEAR}/000002")
        laurel("card", "suspend", "--id", f"city-fed/M/{YEAR}/000002", "--key", fed,
               "--reason", "挂失 reported lost")
        issue("revoked", f"city-fed/M/{YEAR}/000003")
        laurel("card", "revoke", "--id", f"city-fed/M/{YEAR}/000003", "--key", fed,
               "--reason", "left the union", "--yes")
        laurel("card", "issue", "--issuer", "city-fed", "--key", fed, "--type", "member",
               "--holder-name", "李四", "--member-no", "M-expired", "--id",
               f"city-fed/M/{YEAR}/000005", "--valid-from", "2020-01-01", "--valid-until",
               "2021-01-01", "--out", "expired.lc1")
        cards["expired"] = os.path.join(work, "expired.lc1")
        laurel("card", "issue", "--issuer", "city-fed", "--key", fed, "--type", "member",
               "--holder-name", "王五", "--member-no", "M-future", "--id",
               f"city-fed/M/{YEAR}/000006", "--valid-from", "2029-01-01", "--valid-until",
               "2030-01-01", "--out", "not_yet_valid.lc1")
        cards["not_yet_valid"] = os.path.join(work, "not_yet_valid.lc1")
        # A card replaced by a renewal: the old one.
        issue("renewed_old", f"city-fed/M/{YEAR}/000007")
        laurel("card", "renew", "--id", f"city-fed/M/{YEAR}/000007", "--key", fed,
               "--card", "renewed_old.lc1", "--valid-until", "2031-01-01", "--out",
               "renewed_new.lc1")
        cards["renewed_new"] = os.path.join(work, "renewed_new.lc1")

        # A union of its own: its cards before a key rotation stay valid; a card naming the
        # old (revoked) key version but signed otherwise is refused; then the union suspended.
        laurel("keygen", "--out", "union.key", rpc=False)
        laurel("keygen", "--out", "union2.key", rpc=False)
        union, union2 = os.path.join(work, "union.key"), os.path.join(work, "union2.key")
        laurel("issuer", "register", "--id", "gate-union", "--parent", "city-fed", "--name",
               "闸机测试工会 Gate Test Union", "--issuer-key", union, "--grant", "member",
               "--key", fed)
        issue("before_rotation", f"gate-union/M/{YEAR}/000001", key=union, issuer="gate-union")
        laurel("issuer", "rotate-key", "--id", "gate-union", "--new-key", union2, "--key", union)
        issue("revoked_key", f"gate-union/M/{YEAR}/000002", key=union2, issuer="gate-union",
              extra=("--key-version", "1"))
        issue("after_rotation", f"gate-union/M/{YEAR}/000003", key=union2, issuer="gate-union")
        laurel("keygen", "--out", "union3.key", rpc=False)
        union3 = os.path.join(work, "union3.key")
        laurel("issuer", "register", "--id", "paused-union", "--parent", "city-fed", "--name",
               "Paused Union", "--issuer-key", union3, "--grant", "member", "--key", fed)
        issue("issuer_suspended", f"paused-union/M/{YEAR}/000001", key=union3,
              issuer="paused-union")
        laurel("issuer", "set-status", "--id", "paused-union", "--status", "suspended",
               "--reason", "audit", "--key", fed)
        # Cards the ledger never saw: an unknown issuer, and a well-signed card never issued.
        now = int(time.time())
        text, _ = craft_card(fed, work, chain_id=CHAIN, credential_id="ghost/M/1",
                             issuer_id="ghost-union", key_version=1, ctype="MEMBER", level="",
                             holder="赵六", member_no="G-1", valid_from=now - 86400,
                             valid_until=now + 86400 * 365)
        text2, _ = craft_card(fed, work, chain_id=CHAIN, credential_id="city-fed/M/never",
                              issuer_id="city-fed", key_version=1, ctype="MEMBER", level="",
                              holder="赵六", member_no="G-2", valid_from=now - 86400,
                              valid_until=now + 86400 * 365)
        for name, t in (("unknown_issuer", text), ("not_on_ledger", text2),
                        ("malformed", "LC1:THIS-IS-NOT-A-CARD")):
            p = os.path.join(work, name + ".lc1")
            with open(p, "w") as f:
                f.write(t + "\n")
            cards[name] = p

        # Online decisions.
        online = {}
        for name, p in sorted(cards.items()):
            r = laurel("verify", "--file", p, expect=None)
            online[name] = first_reason(r.stdout)
        log(f"online: {online}")
        want = {"active": "VALID", "suspended": "SUSPENDED", "revoked": "REVOKED",
                "expired": "EXPIRED", "not_yet_valid": "NOT_YET_VALID",
                "renewed_old": "DIGEST_MISMATCH", "renewed_new": "VALID",
                "before_rotation": "VALID", "revoked_key": "BAD_SIGNATURE",
                "after_rotation": "VALID", "issuer_suspended": "ISSUER_SUSPENDED",
                "unknown_issuer": "UNKNOWN_ISSUER", "not_on_ledger": "NOT_ON_LEDGER",
                "malformed": "MALFORMED"}
        for name, reason in want.items():
            check(online.get(name) == reason, f"online {name}: {online.get(name)}, want {reason}")

        # The gate syncs: a full bundle first.
        gate = os.path.join(work, "gate")

        def synced():
            r = laurel("gate", "sync", "--out", gate, "--genesis", genesis, "--json",
                       expect=None)
            return json.loads(r.stdout) if r.returncode == 0 else None
        first = wait_for(synced, 30, "a first gate sync")
        check(not first["delta"], f"the first sync is a full bundle: {first}")
        check(first["credentials"] >= 9 and first["issuers"] == 3, f"counts: {first}")
        log(f"MEASURED gate bundle: {first['downloaded_bytes']} bytes gzip for "
            f"{first['credentials']} credentials in {first['issuers']} issuers")

        # A change, then a delta over the bundle held; a fresh full bundle elsewhere equals it.
        issue("late", f"city-fed/M/{YEAR}/000008")
        laurel("card", "suspend", "--id", f"city-fed/M/{YEAR}/000008", "--key", fed)

        # Let the suspension's height be certified (a few blocks).
        time.sleep(3)
        second = wait_for(lambda: (lambda s: s if s and s.get("delta") else None)(synced()), 30,
                          "a delta sync")
        check(second["delta"] and second["since"] == first["height"], f"a delta: {second}")
        fresh_dir = os.path.join(work, "gate-fresh")
        r = laurel("gate", "sync", "--out", fresh_dir, "--genesis", genesis, "--full", "--json")
        fresh = json.loads(r.stdout)
        check(fresh["content_sha256"] == second["content_sha256"],
              f"delta applied {second['content_sha256']} != fresh full {fresh['content_sha256']}")
        check(second["downloaded_bytes"] < fresh["downloaded_bytes"] or fresh["credentials"] < 50,
              "the delta is smaller than a full bundle")
        log(f"MEASURED delta: {second['downloaded_bytes']} bytes (full: "
            f"{fresh['downloaded_bytes']}); delta applied == fresh full: "
            f"{second['content_sha256'][:16]}")
        cards["late"] = os.path.join(work, "late.lc1")
        online["late"] = first_reason(laurel("verify", "--file", cards["late"], expect=None).stdout)
        check(online["late"] == "SUSPENDED", f"late card online: {online['late']}")

        # A downloaded bundle with one byte changed: refused, the good one kept.
        with urllib.request.urlopen(net.url(1) + "/v1/gate/bundle", timeout=30) as resp:
            raw = resp.read()
            check(resp.headers.get("Content-Type", "").startswith(
                "application/vnd.laurel.gate-bundle+gzip"), "bundle media type")
        good_sha = sha256_file(os.path.join(gate, "bundle.pb.gz"))
        # (not in the last bytes of the deflate data: its padding bits change nothing decoded)
        for i, pos in enumerate((len(raw) // 3, len(raw) // 2, len(raw) * 2 // 3)):
            bad = bytearray(raw)
            bad[pos] ^= 0x10
            p = os.path.join(work, f"bad{i}.pb.gz")
            with open(p, "wb") as f:
                f.write(bad)
            r = laurel("gate", "sync", "--in", p, "--out", gate, expect=1, rpc=False)
            check(r.stdout.startswith("REFUSED") and "kept" in r.stdout, r.stdout)
            check(sha256_file(os.path.join(gate, "bundle.pb.gz")) == good_sha,
                  "a refused download changed the bundle held")
        # The untouched download installs (an air-gapped copy).
        p = os.path.join(work, "good.pb.gz")
        with open(p, "wb") as f:
            f.write(raw)
        laurel("gate", "sync", "--in", p, "--out", os.path.join(work, "gate-usb"), "--genesis",
               genesis, rpc=False)

        # Every node stopped: the gate decides alone.
        net.down()
        check(not any(net.running(i) for i in range(4)), "every node is stopped")
        offline = {}
        for name, p in sorted(cards.items()):
            r = laurel("gate", "verify", "--file", p, "--bundle", gate, expect=None, rpc=False)
            offline[name] = first_reason(r.stdout)
            check(r.returncode == (0 if offline[name] == "VALID" else 1),
                  f"{name}: exit {r.returncode} for {offline[name]}")
        log(f"offline: {offline}")
        for name in cards:
            expected = online[name]
            # The one documented difference: a card replaced by a renewal (docs/gate.md).
            if expected == "DIGEST_MISMATCH":
                expected = "NOT_ON_LEDGER"
            check(offline[name] == expected,
                  f"{name}: offline {offline[name]}, online {online[name]}")

        # The C interface (gate/include/laurel_gate.h) through its example program: the same.
        example = os.path.join(net.bin, "laurel-gate-example")
        check(os.access(example, os.X_OK), f"{example} is missing: build laurel-gate-example")
        names = sorted(cards)
        r = subprocess.run([example, gate, *[cards[n] for n in names]], capture_output=True,
                           text=True, timeout=60)
        log(f"gate_example -> {r.returncode}: {r.stdout.strip()[:300]}")
        lines = [x for x in r.stdout.splitlines() if x.startswith(("VALID", "REFUSED"))]
        check(len(lines) == len(names) and r.returncode == 1, f"gate_example: {r.stdout}{r.stderr}")
        for n, line in zip(names, lines):
            check(first_reason(line) == offline[n], f"C gate {n}: {line}, CLI {offline[n]}")

        # A bundle changed on disk is refused (exit 2), not decided on.
        tampered = os.path.join(work, "gate-tampered")
        shutil.copytree(gate, tampered)
        with open(os.path.join(tampered, "bundle.pb.gz"), "r+b") as f:
            data = bytearray(f.read())
            data[len(data) // 2] ^= 0x01
            f.seek(0)
            f.write(data)
        r = laurel("gate", "verify", "--file", cards["active"], "--bundle", tampered, expect=2,
                   rpc=False)
        check("does not check" in r.stderr + r.stdout, r.stderr)

        # Staleness.
        time.sleep(2.2)
        r = laurel("gate", "verify", "--file", cards["active"], "--bundle", gate,
                   "--max-offline", "1s", "--fail-closed", expect=1, rpc=False)
        check(first_reason(r.stdout) == "BUNDLE_STALE" and "fails closed" in r.stdout, r.stdout)
        r = laurel("gate", "verify", "--file", cards["active"], "--bundle", gate,
                   "--max-offline", "1s", expect=0, rpc=False)
        check(r.stdout.startswith("BUNDLE_STALE (fails open)") and
              first_reason(r.stdout) == "VALID", r.stdout)
        r = laurel("gate", "verify", "--file", cards["revoked"], "--bundle", gate,
                   "--max-offline", "1s", "--json", expect=1, rpc=False)
        j = json.loads(r.stdout)
        check(j["bundle_stale"] and j["fail_mode"] == "open" and j["reason"] == "REVOKED", j)
        r = laurel("gate", "verify", "--file", cards["active"], "--bundle", gate,
                   "--max-offline", "24h", "--fail-closed", expect=0, rpc=False)


if __name__ == "__main__":
    a = parse_args(default_offset=290)
    main_wrapper(lambda: test(a))
