"""Bulk issuance of a union's whole membership on a real 4-validator testnet:

  `laurel card issue-batch` on a generated CSV of 10,000 rows (Chinese names, member and
  model-worker rows, a dozen bad rows) is killed with SIGKILL about halfway and run again: in
  the end every good member is on the ledger exactly once (the issuer's credential list equals
  the expected ids, its count equals the number of good members), every card file is a VALID
  card at POST /v1/verify (a few also through `laurel verify --file` and `--qr`), every QR file
  is a PNG, and the report names every CSV line, bad rows as `invalid` with their line.
  A third run with a fresh report finds the members on the ledger (the ledger refuses the
  second IssueCredential of a credential id) and reports them `issued_before` without issuing
  anything. `laurel card revoke-batch` revokes some; their cards are then REVOKED, and a
  second revoke-batch reports them `already`.

  POST /v1/txs:batch itself: one bad transaction (a broken signature) in a batch is refused
  alone while the others commit; a body over max_body_bytes is 413 PAYLOAD_TOO_LARGE; more
  than max_batch_txs transactions is 413 TOO_MANY_TXS; a node with a low tx_rate answers a
  batch over it 429 RATE_LIMITED.
"""

import base64
import csv
import hashlib
import http.client as http_client
import json
import os
import re
import signal
import subprocess
import tempfile
import time

from laurel_client import (Testnet, build_issue_tx, check, http, log, main_wrapper, parse_args,
                           wait_for)

ISSUER = "city-fed"
ROWS = 10_000
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "芳伟娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂"


def member_id(member_no):
    h = hashlib.sha256(f"laurel/member-id/v1\0{ISSUER}\0{member_no}".encode()).hexdigest()
    return f"{ISSUER}/m/{h[:20]}"


def write_members(path):
    """10,000 rows; returns ({line: member_no} of the good rows, {line: why} of the bad ones)."""
    good, bad = {}, {}
    rows = []
    for i in range(ROWS):
        line = i + 2  # the header is line 1
        no = f"CF-{i:06d}"
        name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i // 7) % len(GIVEN)] + \
            GIVEN[(i // 3) % len(GIVEN)]
        ctype, level, until = "member", "", ""
        if i % 10 == 3:
            ctype, level = "model_worker", "municipal"
        why = None
        if i % 1000 == 17:
            name = "Li Wei\u202e"  # a bidi control: refused
            why = "bidi"
        elif i % 1000 == 517:
            ctype = "boss"
            why = "type"
        elif i % 2500 == 1234:
            ctype, level = "model_worker", ""  # no level
            why = "level"
        elif i == 4321:
            until = "2001-01-01"  # before valid_from
            why = "validity"
        elif i == 8765:
            no = "CF-000100"  # a duplicate member number (row 100 has it)
            why = "duplicate"
        rows.append([no, name, ctype, level, until])
        if why:
            bad[line] = why
        else:
            good[line] = no
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["会员号", "姓名", "type", "level", "valid_until"])
        w.writerows(rows)
    return good, bad


def read_report(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    check(rows and rows[0][:6] == ["line", "member_no", "credential_id", "tx_id", "height",
                                   "result"], f"report header: {rows[:1]}")
    return rows[1:]


def issued_count(path):
    try:
        return sum(1 for r in read_report(path) if len(r) > 5 and r[5] == "issued")
    except Exception:  # noqa: BLE001 - the file is being written
        return 0


def ledger_ids(url):
    ids, token = [], ""
    while True:
        q = f"{url}/v1/issuers/{ISSUER}/credentials?limit=1000" + \
            (f"&page_token={token}" if token else "")
        status, page = http("GET", q, timeout=30)
        check(status == 200, f"GET credentials: {status} {page}")
        ids += [c["credential_id"] for c in page["credentials"]]
        token = page.get("next_page_token", "")
        if not token:
            return ids


def verify_all(url, files):
    """POST /v1/verify for every card file over one keep-alive connection; {file: reason}."""
    host, port = url.split("//")[1].split(":")
    conn = http_client.HTTPConnection(host, int(port), timeout=30)
    out = {}
    for path in files:
        with open(path, encoding="ascii") as f:
            code = f.read().strip()
        conn.request("POST", "/v1/verify", json.dumps({"code": code}),
                     {"Content-Type": "application/json"})
        r = conn.getresponse()
        body = json.loads(r.read())
        out[path] = body.get("reason")
    conn.close()
    return out


def post_batch(url, txs_json, query="", timeout=90):
    body = '{"txs":[' + ",".join(txs_json) + "]}"
    return http("POST", url + "/v1/txs:batch" + query, body.encode(),
                {"Content-Type": "application/json"}, timeout)


def test(args):
    with Testnet(args, "issue-batch") as net, \
            tempfile.TemporaryDirectory(prefix="laurel-batch-") as work:
        net.init()
        net.up()
        url = net.url(0)
        laurel = net.laurel
        env = dict(os.environ, LAUREL_RPC=url)
        members_csv = os.path.join(work, "members.csv")
        good, bad = write_members(members_csv)
        out = os.path.join(work, "cards")
        report = os.path.join(out, "report.csv")
        argv = [laurel, "card", "issue-batch", "--issuer", ISSUER, "--key", net.key(ISSUER),
                "--csv", members_csv, "--out", out, "--valid-until", "2031-12-31",
                "--rpc", url, "--batch-size", "500", "--connections", "4"]

        # 1. Killed about halfway.
        t0 = time.monotonic()
        p = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             stdin=subprocess.DEVNULL)
        try:
            wait_for(lambda: issued_count(report) >= ROWS // 3 or p.poll() is not None, 150,
                     "a third of the members issued")
        finally:
            p.send_signal(signal.SIGKILL)
            _, err = p.communicate(timeout=30)
        first = issued_count(report)
        log(f"SIGKILL after {time.monotonic() - t0:.1f}s with {first} issued in the report")
        check(first < len(good), f"the first run finished before it was killed: {err[-2000:]!r}")

        # 2. Run again: finishes; exit 1 because of the bad rows.
        t1 = time.monotonic()
        r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300,
                           stdin=subprocess.DEVNULL)
        log(f"second run: exit {r.returncode} in {time.monotonic() - t1:.1f}s: "
            f"{r.stdout.strip()} / {r.stderr.strip().splitlines()[-1] if r.stderr else ''}")
        check(r.returncode == 1, f"second run exit {r.returncode}: {r.stdout}\n{r.stderr[-3000:]}")
        m = re.search(r"skipped (\d+)", r.stdout)
        check(m and int(m.group(1)) >= first, f"the second run skipped too few: {r.stdout}")

        # The report: every good line finally issued (once, or found issued before), every bad
        # line reported invalid with its line number.
        rows = read_report(report)
        # A line cut short by the SIGKILL (ended by the next run) is not an outcome.
        cut = [r for r in rows if len(r) != 9]
        check(len(cut) <= 1, f"more than one cut line in the report: {cut}")
        rows = [r for r in rows if len(r) == 9]
        final = {}
        for row in rows:
            final[int(row[0])] = row
        for line, no in good.items():
            row = final.get(line)
            check(row is not None, f"line {line} ({no}) is not in the report")
            check(row[5] in ("issued", "issued_before"), f"line {line}: {row}")
            check(row[2] == member_id(no), f"line {line}: credential id {row[2]}")
        for line, why in bad.items():
            row = final.get(line)
            check(row is not None and row[5] == "invalid", f"bad line {line} ({why}): {row}")
        issued_lines = [r for r in rows if r[5] == "issued"]
        check(len({r[2] for r in issued_lines}) == len(issued_lines),
              "a member was reported issued twice")
        log(f"report: {len(rows)} lines, {len(good)} good rows issued, {len(bad)} bad rows "
            f"reported with their lines")

        # The ledger: every good member exactly once, nothing else.
        expected = {member_id(no) for no in good.values()}
        ids = ledger_ids(url)
        check(len(ids) == len(set(ids)), "a credential id listed twice")
        check(set(ids) == expected,
              f"ledger ids differ: {len(set(ids) - expected)} extra, "
              f"{len(expected - set(ids))} missing")
        status, stats = http("GET", f"{url}/v1/issuers/{ISSUER}/stats")
        check(status == 200 and int(stats["own"]["total"]) == len(good), f"stats: {stats}")
        log(f"ledger: {len(ids)} credentials of {ISSUER}, each good member exactly once")

        # Every card file verifies; every QR file is a PNG.
        t2 = time.monotonic()
        card_files = [final[line][6] for line in good]
        reasons = verify_all(url, card_files)
        not_valid = {f: why for f, why in reasons.items() if why != "VALID"}
        check(not not_valid, f"{len(not_valid)} cards not VALID, e.g. {list(not_valid.items())[:3]}")
        for line in good:
            with open(final[line][7], "rb") as f:
                check(f.read(8) == b"\x89PNG\r\n\x1a\n", f"{final[line][7]} is not a PNG")
        log(f"{len(card_files)} card files VALID at POST /v1/verify, QR PNGs present "
            f"({time.monotonic() - t2:.1f}s)")
        sample = [final[line] for line in sorted(good)[:: len(good) // 3]]
        for row in sample:
            v = subprocess.run([laurel, "verify", "--rpc", url, "--file", row[6]],
                               capture_output=True, text=True, timeout=60)
            check(v.returncode == 0 and v.stdout.startswith("VALID"), f"verify --file: {v.stdout}")
            q = subprocess.run([laurel, "verify", "--rpc", url, "--qr", row[7]],
                               capture_output=True, text=True, timeout=60)
            check(q.returncode == 0 and q.stdout.startswith("VALID"), f"verify --qr: {q.stdout}")
        no_tmp = [f for f in os.listdir(out) if not f.endswith((".lc1", ".png", ".csv"))]
        check(not no_tmp, f"leftover files in the output folder: {no_tmp[:5]}")

        # 3. A fresh report over the first 300 rows: the ledger refuses the duplicates; the
        # command finds each member's card there and issues nothing.
        subset = os.path.join(work, "subset.csv")
        with open(members_csv, encoding="utf-8") as f:
            lines = f.readlines()
        with open(subset, "w", encoding="utf-8") as f:
            f.writelines(lines[:301])
        before = len(ledger_ids(url))
        report2 = os.path.join(work, "again.csv")
        r3 = subprocess.run([*argv[:argv.index("--csv")], "--csv", subset, "--out", out,
                             "--report", report2, "--valid-until", "2031-12-31", "--rpc", url],
                            env=env, capture_output=True, text=True, timeout=300)
        again = read_report(report2)
        results = {}
        for row in again:
            results[row[5]] = results.get(row[5], 0) + 1
        check(results.get("issued", 0) == 0 and results.get("issued_before", 0) ==
              sum(1 for line in good if line <= 301), f"third run: {results} {r3.stdout}")
        check(len(ledger_ids(url)) == before, "the third run added credentials")
        log(f"third run with a fresh report: {results}; no credential added")

        # 4. revoke-batch of 200 members, then again.
        revoke_csv = os.path.join(work, "revoke.csv")
        revoked = sorted(expected)[:200]
        with open(revoke_csv, "w", encoding="utf-8") as f:
            f.write("credential_id,reason\n")
            for cid in revoked:
                f.write(f"{cid},退会\n")
        rargv = [laurel, "card", "revoke-batch", "--csv", revoke_csv, "--key", net.key(ISSUER),
                 "--report", os.path.join(work, "revoke-report.csv"), "--yes", "--rpc", url]
        rr = subprocess.run(rargv, capture_output=True, text=True, timeout=300)
        check(rr.returncode == 0, f"revoke-batch: {rr.returncode} {rr.stdout} {rr.stderr[-2000:]}")
        check("200 set" in rr.stdout, f"revoke-batch: {rr.stdout}")
        by_id = {final[line][2]: final[line][6] for line in good}
        reasons = verify_all(url, [by_id[c] for c in revoked])
        check(all(v == "REVOKED" for v in reasons.values()), f"after revoke: {set(reasons.values())}")
        rr2 = subprocess.run(rargv, capture_output=True, text=True, timeout=300)
        check(rr2.returncode == 0 and "200 already" in rr2.stdout, f"revoke again: {rr2.stdout}")
        no_yes = subprocess.run([a for a in rargv if a != "--yes"], capture_output=True,
                                text=True, timeout=60)
        check(no_yes.returncode == 2, "revoke-batch without --yes must refuse")
        log("revoke-batch: 200 revoked (cards REVOKED), a second run reports them already")

        # 5. The endpoint: one bad tx in a batch; 413s; 429.
        txs = [build_issue_tx(laurel, net.key(ISSUER), f"{ISSUER}/api-batch/{i}")
               for i in range(4)]
        broken = json.loads(txs[2].json)
        sig = bytearray(base64.b64decode(broken["signatures"][0]["signature"]))
        sig[0] ^= 1
        broken["signatures"][0]["signature"] = base64.b64encode(bytes(sig)).decode()
        batch = [txs[0].json, txs[1].json, json.dumps(broken), txs[3].json]
        status, res = post_batch(url, batch, "?wait=commit&timeout_ms=30000")
        check(status == 200, f"batch: {status} {res}")
        got = [(x["status"], x.get("code"), x.get("tx_code"), x.get("result")) for x in
               res["results"]]
        check(got[0] == ("committed", None, None, "OK") and got[1][0] == "committed" and
              got[3][0] == "committed", f"batch results: {got}")
        check(got[2][:3] == ("refused", "INVALID_TX", "BAD_SIGNATURE"), f"bad tx: {got[2]}")
        check(res["accepted"] == 3 and res["refused"] == 1, f"counts: {res}")
        status, res = post_batch(url, [txs[0].json], "?wait=commit")
        check(status == 200 and res["results"][0]["admission"] == "COMMITTED", f"dup: {res}")
        status, res = post_batch(url, [txs[0].json] * 1001)
        check(status == 413 and res["code"] == "TOO_MANY_TXS", f"1001 txs: {status} {res}")
        status, res = post_batch(url, [txs[0].json] * 4000)
        check(status == 413 and res["code"] == "PAYLOAD_TOO_LARGE", f"big body: {status} {res}")
        log("POST /v1/txs:batch: a broken signature refused alone (BAD_SIGNATURE), the others "
            "committed; 413 TOO_MANY_TXS and PAYLOAD_TOO_LARGE")

        # A node with a low rate: a batch over it is 429.
        cfg = os.path.join(net.dir, "node3", "node.toml")
        with open(cfg, encoding="utf-8") as f:
            text = f.read()
        text = re.sub(r"(?m)^tx_rate = .*$", "tx_rate = 1", text)
        text = re.sub(r"(?m)^tx_burst = .*$", "tx_burst = 10", text)
        with open(cfg, "w", encoding="utf-8") as f:
            f.write(text)
        net.kill(3)
        net.start(3)
        extra = [build_issue_tx(laurel, net.key(ISSUER), f"{ISSUER}/api-rate/{i}")
                 for i in range(3)]
        status, res = post_batch(net.url(3), [t.json for t in extra] * 1)
        check(status == 200, f"a batch under the rate: {status} {res}")
        status, res = post_batch(net.url(3), [extra[0].json] * 10)
        check(status == 429 and res["code"] == "RATE_LIMITED", f"over the rate: {status} {res}")
        log("a batch over the node's tx_rate: 429 RATE_LIMITED")


if __name__ == "__main__":
    main_wrapper(lambda: test(parse_args(250)))
