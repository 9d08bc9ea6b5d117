"""The workflows around the primitives, on a real 4-validator testnet, through the `laurel` CLI
and the HTTP API, with Chinese names throughout:

  - the common flags work before the command (`laurel --rpc URL status`);
  - a holder name that is not UTF-8 (GBK, as Chinese Excel saves it) is refused before anything
    is signed or sent (exit 2, nothing on the ledger, no card file);
  - names a gate screen could be spoofed with (newline, terminal escapes, a right-to-left
    override, 65 characters) are refused by `card issue`; a card signed with such a name
    anyway is refused at verification as UNSAFE_TEXT, and its fields are not returned;
  - `card issue-csv` issues one card a row from a CSV saved as GBK and one saved as UTF-8 with a
    byte-order mark; every card verifies VALID and carries its holder's name in UTF-8;
  - `POST /v1/verify` returns the card's fields only when its signature verified (a damaged
    card is BAD_SIGNATURE with no `card`);
  - validity refusals name dates in ISO 8601;
  - the issuer clerk: `card qr` (the plain QR code, and a printable CR80 card as PNG and PDF
    whose QR code verifies VALID); `card suspend --dry-run` sends nothing; suspending a
    suspended card is explained ("SUSPENDED already ... reason 手机丢失") and not sent;
    `card revoke` on a terminal asks first (answering "no" revokes nothing), `--yes` does not.
"""

import json
import os
import pty
import subprocess
import tempfile
import time

from laurel_client import Testnet, check, get_json, http, log, main_wrapper, parse_args
from test_card_life import Cli, craft_card, day, write

CHAIN = "laurel-local"
WANG_FANG = "王芳"
ZHANG_WEI = "张伟"
LI_NA = "李娜"


def verify_api(url, text):
    """POST /v1/verify; (HTTP status, answer)."""
    return http("POST", url + "/v1/verify", json.dumps({"code": text}).encode(),
                {"Content-Type": "application/json"})


def test(args):
    with Testnet(args, "workflows") as net, \
            tempfile.TemporaryDirectory(prefix="laurel-workflows-") as work:
        net.init()
        net.up()
        laurel = Cli(net, work)
        fed = net.key("city-fed")
        until = day(365)

        # -- global flags before the command ---------------------------------------------------
        r = laurel("--rpc", net.url(1), "status")
        check(CHAIN in r.stdout, f"`laurel --rpc URL status`: {r.stdout!r}")
        r = laurel("--json", "--rpc", net.url(2), "status")
        check(json.loads(r.stdout).get("chain_id") == CHAIN, f"--json first: {r.stdout!r}")
        log("`laurel --rpc URL status` and `laurel --json --rpc URL status` work")

        # -- a GBK name is refused before anything is signed or sent ---------------------------
        gbk_name = WANG_FANG.encode("gbk")
        cid = "city-fed/M/2026/100001"
        argv = [net.laurel, "card", "issue", "--issuer", "city-fed", "--key", fed.encode(),
                "--type", "member", "--holder-name", gbk_name, "--member-no", "CF-0001",
                "--id", cid, "--valid-until", until, "--out", "gbk.lc1"]
        p = subprocess.run([a if isinstance(a, bytes) else a.encode() for a in argv],
                           env=laurel.env, cwd=work, capture_output=True, timeout=60)
        err = p.stderr.decode("utf-8", "replace")
        check(p.returncode == 2, f"GBK name: exit {p.returncode}, stderr {err!r}")
        check("not UTF-8" in err and "libprotobuf" not in err, f"GBK name: stderr {err!r}")
        check(not os.path.exists(os.path.join(work, "gbk.lc1")), "GBK name: a card file")
        st, _ = http("GET", net.url(0) + "/v1/credentials/city-fed%2FM%2F2026%2F100001")
        check(st == 404, f"GBK name: the credential is on the ledger (HTTP {st})")
        log("a GBK holder name: exit 2, nothing signed or sent: " + err.strip())

        # -- spoofing names refused at issue ---------------------------------------------------
        for bad in ["Li\nWei", "\x1b[31mLi Wei", "Li \u202eieW", "x" * 65]:
            r = laurel("card", "issue", "--issuer", "city-fed", "--key", fed, "--type", "member",
                       "--holder-name", bad, "--member-no", "CF-0002", "--valid-until", until,
                       "--out", "spoof.lc1", expect=2)
            check("holder name" in r.stderr and not os.path.exists(os.path.join(work,
                                                                                  "spoof.lc1")),
                  f"spoof name {bad!r}: {r.stderr!r}")
        log("names with a newline, an escape, U+202E, 65 characters: refused at issue (exit 2)")

        # -- a signed card with such a name is UNSAFE_TEXT at verification ---------------------
        now = int(time.time())
        text, _ = craft_card(fed, work, chain_id=CHAIN, credential_id="city-fed/M/2026/100009",
                             issuer_id="city-fed", key_version=1, ctype="MEMBER", level="",
                             holder="VALID \u202eLi Wei", member_no="CF-0009",
                             valid_from=now - 60, valid_until=now + 86400)
        st, vj = verify_api(net.url(0), text)
        check(st == 200 and vj.get("reason") == "UNSAFE_TEXT" and vj.get("valid") is False
              and "card" not in vj, f"spoofing card: HTTP {st} {vj}")
        laurel.verify("UNSAFE_TEXT", "--code", text)
        log("a signed card with U+202E in its name: REFUSED UNSAFE_TEXT, no card fields")

        # -- CSV in GBK and in UTF-8 with BOM --------------------------------------------------
        os.mkdir(os.path.join(work, "cards"))
        rows = [(WANG_FANG, "CF-1001", "city-fed/M/2026/101001"),
                ("Li, Na " + LI_NA, "CF-1002", "city-fed/M/2026/101002")]
        csv = "姓名,会员号,id\r\n" + "".join(
            f"\"{n}\",{m},{i}\r\n" for n, m, i in rows)
        with open(os.path.join(work, "gbk.csv"), "wb") as f:
            f.write(csv.encode("gbk"))
        csv2 = "holder_name,member_no,id,type,level\n" + \
            f"{ZHANG_WEI},CF-2001,city-fed/MW/2026/102001,model_worker,municipal\n"
        with open(os.path.join(work, "bom.csv"), "wb") as f:
            f.write(b"\xef\xbb\xbf" + csv2.encode("utf-8"))
        r = laurel("card", "issue-csv", "--csv", "gbk.csv", "--out-dir", "cards", "--issuer",
                   "city-fed", "--key", fed, "--type", "member", "--valid-until", until, "--qr")
        check("(GB18030)" in r.stdout and "issued 2 of 2 cards" in r.stdout,
              f"issue-csv gbk.csv: {r.stdout!r}")
        r = laurel("card", "issue-csv", "--csv", "bom.csv", "--out-dir", "cards", "--issuer",
                   "city-fed", "--key", fed, "--valid-until", until)
        check("(UTF-8)" in r.stdout and "issued 1 of 1 cards" in r.stdout,
              f"issue-csv bom.csv: {r.stdout!r}")
        expect = {i: n for n, _, i in rows}
        expect["city-fed/MW/2026/102001"] = ZHANG_WEI
        for cred, name in expect.items():
            path = os.path.join("cards", cred.replace("/", "_") + ".lc1")
            laurel.verify("VALID", "--file", path, node=3)
            vj = json.loads(laurel("verify", "--file", path, "--json").stdout)
            check(vj["card"]["holder_name"] == name and vj["credential"]["credential_id"] == cred,
                  f"{path}: {vj}")
        laurel.verify("VALID", "--qr", os.path.join("cards", "city-fed_M_2026_101001.png"))
        log(f"issue-csv: GBK and UTF-8+BOM files, {len(expect)} cards VALID with names "
            f"{', '.join(expect.values())}")

        # -- card fields only when the signature verified --------------------------------------
        with open(os.path.join(work, "cards", "city-fed_M_2026_101001.lc1")) as f:
            good = f.read().strip()
        r = laurel("card", "inspect", good, "--json")
        body_sig = json.loads(r.stdout)["signature"]
        # The same body with another (valid-looking) signature: craft a card signed by a
        # stranger's key in the issuer's name.
        laurel("keygen", "--out", "stranger.key")
        forged, _ = craft_card(os.path.join(work, "stranger.key"), work, chain_id=CHAIN,
                               credential_id="city-fed/M/2026/101001", issuer_id="city-fed",
                               key_version=1, ctype="MEMBER", level="", holder=WANG_FANG,
                               member_no="CF-1001", valid_from=now - 60,
                               valid_until=now + 86400)
        st, vj = verify_api(net.url(0), forged)
        check(st == 200 and vj.get("reason") == "BAD_SIGNATURE" and "card" not in vj,
              f"forged card: HTTP {st} {vj}")
        r = laurel("verify", "--code", forged, expect=1)
        check(WANG_FANG not in r.stdout and "CF-1001" not in r.stdout,
              f"verify of a forged card shows its fields: {r.stdout!r}")
        check(len(body_sig) == 128, "inspect signature")
        log("a forged card: BAD_SIGNATURE, no card fields in the API answer or the CLI output")

        # -- ISO dates in reasons ---------------------------------------------------------------
        laurel("card", "issue", "--issuer", "city-fed", "--key", fed, "--type", "member",
               "--holder-name", LI_NA, "--member-no", "CF-3001", "--id",
               "city-fed/M/2026/103001", "--valid-from", "2020-01-01", "--valid-until",
               "2021-01-01", "--out", "old.lc1")
        first = laurel.verify("EXPIRED", "--file", "old.lc1")
        check("valid until 2021-01-01T00:00:00Z, now 20" in first, f"EXPIRED line: {first!r}")
        log("EXPIRED: " + first)

        # -- issuer clerk: printable card, dry run, explained refusals, revoke confirmation -----
        card = os.path.join("cards", "city-fed_M_2026_101001.lc1")
        cid = "city-fed/M/2026/101001"
        r = laurel("card", "qr", "--file", card, "--out", "plain.png")
        laurel.verify("VALID", "--qr", "plain.png")
        r = laurel("card", "qr", "--file", card, "--print", "--union", "城市工会联合会 City Federation",
                   "--out", "print.png")
        check("printable card (85.60 x 53.98 mm, 300 dpi)" in r.stdout, f"card qr: {r.stdout!r}")
        laurel.verify("VALID", "--qr", "print.png")
        laurel("card", "qr", "--file", card, "--print", "--out", "print.pdf")
        with open(os.path.join(work, "print.pdf"), "rb") as f:
            check(f.read(5) == b"%PDF-", "print.pdf is not a PDF")
        log("card qr: plain QR and printable card PNG both verify VALID; PDF written")

        r = laurel("card", "suspend", "--id", cid, "--key", fed, "--reason", "手机丢失",
                   "--dry-run")
        check(r.stdout.startswith(f"dry run: would set {cid} from ACTIVE to SUSPENDED"),
              f"--dry-run: {r.stdout!r}")
        laurel.verify("VALID", "--file", card)
        laurel("card", "suspend", "--id", cid, "--key", fed, "--reason", "手机丢失")
        r = laurel("card", "suspend", "--id", cid, "--key", fed, expect=1)
        check("is SUSPENDED already since height" in r.stderr and "手机丢失" in r.stderr and
              "ILLEGAL_TRANSITION" in r.stderr, f"suspend twice: {r.stderr!r}")
        log("suspend twice: " + r.stderr.strip())

        # revoke on a terminal: "no" revokes nothing.
        master, slave = pty.openpty()
        p = subprocess.Popen([net.laurel, "card", "revoke", "--id", cid, "--key", fed],
                             stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=laurel.env, cwd=work)
        os.close(slave)
        os.write(master, b"no\n")
        out, err = p.communicate(timeout=60)
        os.close(master)
        check(p.returncode == 1 and b"Type yes to confirm" in err and b"not confirmed" in err,
              f"revoke on a terminal answered no: exit {p.returncode}, {err!r}")
        cred = get_json(net.url(0) + "/v1/credentials/city-fed%2FM%2F2026%2F101001")
        check(cred.get("status") == "SUSPENDED", f"after an unconfirmed revoke: {cred}")
        laurel("card", "revoke", "--id", cid, "--key", fed, "--reason", "换卡", "--yes")
        laurel.verify("REVOKED", "--file", card)
        log("revoke on a terminal asks (no: nothing sent); --yes revokes")

        net.wait_progress(range(net.n), 1, 30)


if __name__ == "__main__":
    a = parse_args(default_offset=94)
    main_wrapper(lambda: test(a))
