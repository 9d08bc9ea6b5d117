"""The auditor's and the clerk's workflows on a real 4-validator testnet, with Chinese holder names
and reasons, through the `laurel` CLI and the HTTP API:

  - city-fed delegates city-north; both issue member and model-worker cards (王芳, 张伟, 李娜,
    赵敏, 陈静); city-fed, as the parent, suspends a card of city-north ("会籍核查") and revokes
    one of its own ("调离本会");
  - `laurel card list --issuer` (GET /v1/issuers/{id}/credentials) lists an issuer's own cards in
    id order, filtered by status, type and level, page by page and as CSV; bad filters, cursors
    and limits and an unknown issuer are 4xx with a code and change nothing;
  - `laurel issuer stats` / `laurel stats` (GET /v1/issuers/{id}/stats, /v1/stats): own and
    with-descendants counts equal to what the lists show; every node counts the same, also one
    killed with -9 while cards were issued and restarted (it catches up by sync);
  - history entries name the credential, the new status, the reason and the resolved signer;
    city-fed's history shows the suspension it signed on city-north's card (also with
    signed_by=me), city-north's signed_by=me does not; `--csv` exports it;
  - `laurel verify --height H` / `--at TIME` answer from the records as of that height (VALID
    before the suspension, SUSPENDED from it), saying which height and block time they decided
    at; heights above the tip and times before genesis are refused.
"""

import csv
import datetime
import io
import json
import os
import tempfile
import urllib.parse

from laurel_client import Testnet, check, get_json, http, log, main_wrapper, parse_args, \
    wait_for
from test_card_life import Cli, day

NAMES = {"city-fed/M/0001": "王芳", "city-fed/M/0002": "张伟", "city-fed/MW/0003": "李娜",
         "city-fed/MW/0004": "刘洋", "city-north/M/0001": "赵敏", "city-north/M/0002": "陈静"}


def q(s):
    return urllib.parse.quote(s, safe="")


def api(url, path):
    st, body = http("GET", url + path)
    return st, body if isinstance(body, dict) else {}


def check_4xx(url, path, status, code):
    st, j = http("GET", url + path)
    check(st == status and isinstance(j, dict) and j.get("code") == code and j.get("message"),
          f"GET {path}: expected {status} {code}, got {st} {j!r}")


def ids(page):
    return [c["credential_id"] for c in page["credentials"]]


def test(args):
    with Testnet(args, "auditor") as net, \
            tempfile.TemporaryDirectory(prefix="laurel-auditor-") as work:
        net.init()
        net.up()
        laurel = Cli(net, work)
        url = net.url(0)
        fed = net.key("city-fed")
        until = day(365)

        # -- setup: a delegated district, cards with Chinese names ------------------------------
        north = os.path.join(work, "city-north.key")
        laurel("keygen", "--out", north)
        laurel("issuer", "register", "--id", "city-north", "--parent", "city-fed",
               "--name", "城北区总工会", "--issuer-key", north, "--grant", "member", "--key", fed)

        def issue(cid, issuer, key, kind="member", level=None):
            args_ = ["card", "issue", "--issuer", issuer, "--key", key, "--type", kind,
                     "--holder-name", NAMES[cid], "--member-no", cid.split("/")[-1],
                     "--id", cid, "--valid-until", until, "--out", cid.replace("/", "_") + ".lc1"]
            if level:
                args_ += ["--level", level]
            laurel(*args_)
            return cid.replace("/", "_") + ".lc1"

        issue("city-fed/M/0001", "city-fed", fed)
        issue("city-fed/M/0002", "city-fed", fed)
        issue("city-fed/MW/0003", "city-fed", fed, "model_worker", "municipal")
        zhao_card = issue("city-north/M/0001", "city-north", north)
        # One node is killed while more cards are issued; it must catch up with the same counts.
        net.kill(3)
        issue("city-fed/MW/0004", "city-fed", fed, "model_worker", "district")
        chen_card = issue("city-north/M/0002", "city-north", north)
        net.start(3)

        valid_before = get_json(url + "/v1/status")["height"]
        laurel("card", "suspend", "--id", "city-north/M/0001", "--key", fed, "--reason", "会籍核查")
        suspended_at = int(get_json(url + "/v1/credentials/" + q("city-north/M/0001"))
                           ["updated_height"])
        laurel("card", "revoke", "--id", "city-fed/M/0002", "--key", fed, "--reason", "调离本会",
               "--yes")
        log(f"cards issued; city-north/M/0001 suspended by city-fed at height {suspended_at}")

        # -- card list --------------------------------------------------------------------------
        st, page = api(url, "/v1/issuers/city-fed/credentials")
        check(st == 200, f"list: {st} {page}")
        all_fed = ["city-fed/M/0001", "city-fed/M/0002", "city-fed/MW/0003", "city-fed/MW/0004"]
        check(ids(page) == all_fed, f"city-fed's own cards, in id order: {ids(page)}")
        for query, want in [("status=REVOKED", ["city-fed/M/0002"]),
                            ("status=active&type=MODEL_WORKER", ["city-fed/MW/0003",
                                                                 "city-fed/MW/0004"]),
                            ("type=MODEL_WORKER&level=DISTRICT", ["city-fed/MW/0004"]),
                            ("level=NATIONAL", [])]:
            got = ids(api(url, "/v1/issuers/city-fed/credentials?" + query)[1])
            check(got == want, f"?{query}: {got}, expected {want}")
        north_page = api(url, "/v1/issuers/city-north/credentials?status=SUSPENDED")[1]
        check(ids(north_page) == ["city-north/M/0001"], f"city-north suspended: {north_page}")
        check(north_page["credentials"][0]["status_reason"] == "会籍核查", str(north_page))

        r = laurel("card", "list", "--issuer", "city-fed", "--limit", "3", "--all", "--json")
        check(ids(json.loads(r.stdout)) == all_fed, f"card list --all pages: {r.stdout}")
        r = laurel("card", "list", "--issuer", "city-fed", "--limit", "3")
        check("(more: --page-token" in r.stdout, f"card list shows there is more: {r.stdout}")
        r = laurel("card", "list", "--issuer", "city-fed", "--status", "revoked")
        check("city-fed/M/0002" in r.stdout and "调离本会" in r.stdout and
              "city-fed/M/0001" not in r.stdout, f"card list --status revoked: {r.stdout}")
        r = laurel("card", "list", "--issuer", "city-north", "--csv")
        rows = list(csv.DictReader(io.StringIO(r.stdout)))
        check([x["credential_id"] for x in rows] == ["city-north/M/0001", "city-north/M/0002"] and
              rows[0]["status"] == "SUSPENDED" and rows[0]["status_reason"] == "会籍核查" and
              rows[0]["status_set_by"] == "parent", f"card list --csv: {r.stdout}")
        laurel("card", "list", "--issuer", "city-fed", "--status", "lost", expect=2)
        r = laurel("card", "list", "--issuer", "no-such-union", expect=1)
        check("NOT_FOUND" in r.stderr, f"unknown issuer: {r.stderr}")

        # Bad input: a code, nothing changed.
        before = api(url, "/v1/issuers/city-fed/stats")[1]
        for path, status, code in [
                ("/v1/issuers/city-fed/credentials?status=LOST", 400, "BAD_FILTER"),
                ("/v1/issuers/city-fed/credentials?type=MEMBER&level=DISTRICT", 400, "BAD_FILTER"),
                ("/v1/issuers/city-fed/credentials?limit=1001", 400, "BAD_REQUEST"),
                ("/v1/issuers/city-fed/credentials?limit=0", 400, "BAD_REQUEST"),
                ("/v1/issuers/city-fed/credentials?page_token=xyz", 400, "BAD_PAGE_TOKEN"),
                ("/v1/issuers/city-fed/credentials?staus=ACTIVE", 400, "BAD_REQUEST"),
                ("/v1/issuers/no-such-union/credentials", 404, "NOT_FOUND"),
                ("/v1/issuers/no-such-union/stats", 404, "NOT_FOUND"),
                ("/v1/issuers/city-fed/history?signed_by=them", 400, "BAD_FILTER")]:
            check_4xx(url, path, status, code)
        after = api(url, "/v1/issuers/city-fed/stats")[1]
        check(before["own"] == after["own"], "bad requests changed the counts")
        log("card list: order, filters, pages, CSV and bad input as expected")

        # -- stats ------------------------------------------------------------------------------
        r = laurel("issuer", "stats", "city-fed", "--json")
        s = json.loads(r.stdout)
        own, tree = s["own"], s["including_descendants"]
        check(own["total"] == "4" and own["by_status"]["REVOKED"] == "1" and
              own["by_type"]["MODEL_WORKER"] == "2" and own["by_level"]["DISTRICT"] == "1",
              f"city-fed own counts: {own}")
        check(tree["total"] == "6" and tree["by_status"]["SUSPENDED"] == "1" and
              tree["by_type"]["MEMBER"] == "4", f"city-fed with city-north: {tree}")
        r = laurel("issuer", "stats", "city-fed", "--csv")
        rows = {(x["group"], x["key"]): x for x in csv.DictReader(io.StringIO(r.stdout))}
        check(rows[("total", "")]["own"] == "4" and
              rows[("total", "")]["including_descendants"] == "6" and
              rows[("status", "SUSPENDED")]["including_descendants"] == "1",
              f"issuer stats --csv: {r.stdout}")
        r = laurel("stats")
        check("credentials_total" in r.stdout, f"laurel stats: {r.stdout}")
        # Counts agree with the lists, and every node counts the same (node 3 was down while
        # two of the cards were issued).
        listed = sum(len(ids(api(url, f"/v1/issuers/{i}/credentials")[1]))
                     for i in ("city-fed", "city-north"))
        tip = get_json(url + "/v1/status")["height"]
        net.wait_height(range(net.n), int(tip), 60, "all nodes past the last card")
        chain = None
        for i in range(net.n):
            c = get_json(net.url(i) + "/v1/stats")
            check(c["credentials"]["total"] == str(listed), f"node{i} counts {c}, lists {listed}")
            check(c["issuers"] == "2", f"node{i} issuers: {c}")
            got = (c["credentials"], c["issuers_by_status"])
            check(chain is None or got == chain, f"node{i} counts differ: {got} vs {chain}")
            chain = got
            f = get_json(net.url(i) + "/v1/issuers/city-fed/stats")
            check(f["including_descendants"] == tree, f"node{i} city-fed counts: {f}")
        log(f"stats: {listed} cards, the same on all {net.n} nodes (node3 caught up after kill -9)")

        # -- history ----------------------------------------------------------------------------
        def suspension(entries):
            return [e for e in entries if e["action"] == "set_credential_status" and
                    e["credential_id"] == "city-north/M/0001"]

        r = laurel("history", "--issuer", "city-fed", "--all", "--json")
        s = suspension(json.loads(r.stdout)["entries"])
        check(len(s) == 1, f"city-fed's history lacks the suspension it signed: {r.stdout[:800]}")
        e = s[0]
        check(e["new_status"] == "SUSPENDED" and e["reason"] == "会籍核查" and
              e["issuer_id"] == "city-north" and e["type"] == "MEMBER" and
              e["signed_by"]["authority"] == "parent" and
              e["signed_by"]["issuer_id"] == "city-fed" and e["signed_by"]["key_version"] == 1,
              f"the entry: {e}")
        r = laurel("history", "--issuer", "city-fed", "--signed-by-me", "--all", "--json")
        check(len(suspension(json.loads(r.stdout)["entries"])) == 1, "signed_by=me lacks it")
        r = laurel("history", "--issuer", "city-north", "--signed-by-me", "--all", "--json")
        mine = json.loads(r.stdout)["entries"]
        check(not suspension(mine) and {x["action"] for x in mine} == {"issue_credential"},
              f"city-north signed only its issues: {mine}")
        r = laurel("history", "--issuer", "city-fed", "--all")
        check("city-fed v1 (parent)" in r.stdout and "会籍核查" in r.stdout,
              f"history table: {r.stdout}")
        r = laurel("history", "city-north/M/0001", "--csv")
        rows = list(csv.DictReader(io.StringIO(r.stdout)))
        check([x["action"] for x in rows] == ["issue_credential", "set_credential_status"] and
              rows[1]["new_status"] == "SUSPENDED" and rows[1]["reason"] == "会籍核查" and
              rows[1]["signed_as"] == "parent" and rows[1]["signer_issuer_id"] == "city-fed" and
              rows[0]["signed_as"] == "issuer" and rows[0]["signer_issuer_id"] == "city-north",
              f"history --csv: {r.stdout}")
        log("history: what happened and who signed; the parent sees what it signed; CSV")

        # -- verify as of a height or a time ----------------------------------------------------
        before_h = suspended_at - 1
        r = laurel("verify", "--file", zhao_card, "--height", before_h)
        check(r.stdout.startswith("VALID city-north/M/0001") and
              f"as of        height {before_h}" in r.stdout, f"verify --height: {r.stdout}")
        r = laurel("verify", "--file", zhao_card, "--height", suspended_at, expect=1)
        check(r.stdout.startswith("REFUSED SUSPENDED"), f"at the suspension: {r.stdout}")
        laurel.verify("SUSPENDED", "--file", zhao_card)  # and now
        block = get_json(f"{url}/v1/blocks/{before_h}")
        t = datetime.datetime.fromtimestamp(int(block["time_ms"]) / 1000,
                                            datetime.timezone(datetime.timedelta(hours=8)))
        at = t.isoformat(timespec="milliseconds")  # e.g. 2026-12-05T15:04:05.123+08:00
        r = laurel("verify", "--file", zhao_card, "--at", at, "--json")
        j = json.loads(r.stdout)
        check(j["valid"] and j["historical"] and int(j["height"]) >= before_h and
              int(j["height"]) < suspended_at, f"verify --at {at}: {r.stdout}")
        # The API answers the same for a card that was revoked later.
        with open(os.path.join(work, "city-fed_M_0002.lc1")) as f:
            revoked_text = f.read().strip()
        st, j = http("POST", f"{url}/v1/verify?height={valid_before}",
                     json.dumps({"code": revoked_text}).encode(),
                     {"Content-Type": "application/json"})
        check(st == 200 and j["valid"] and j["height"] == str(valid_before),
              f"revoked card before its revocation: {st} {j}")
        r = laurel("verify", "--file", chen_card, "--height", 99999999, expect=1)
        check("HEIGHT_ABOVE_TIP" in r.stderr, f"above the tip: {r.stderr}")
        r = laurel("verify", "--file", chen_card, "--at", "2001-01-01", expect=1)
        check("HEIGHT_NOT_RETAINED" in r.stderr, f"before genesis: {r.stderr}")
        r = laurel("verify", "--file", chen_card, "--at", "2099-01-01", expect=1)
        check("TIME_IN_FUTURE" in r.stderr, f"in the future: {r.stderr}")
        laurel("verify", "--file", chen_card, "--at", "yesterday", expect=1)
        log("verify --height/--at: decided on the records of then, naming the height")

        net.wait_progress(range(net.n), 1, 30)


if __name__ == "__main__":
    a = parse_args(default_offset=200)
    main_wrapper(lambda: test(a))
