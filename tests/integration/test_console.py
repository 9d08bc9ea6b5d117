"""The web console and the API contract against a real 4-validator testnet whose nodes serve
the console (docs/console.md):

1. the CLI issues a card; tests/console/api.test.mjs checks the real answers of every JSON
   route (and some errors) against docs/openapi.yaml;
2. tests/console/browser.test.mjs drives Debian's Chromium with playwright-core: explorer
   navigation, a card issued in the issuer console (signed in the page) and verified on the
   gate page from its printed QR code, the card revoked and refused, the key never sent.
   Screenshots are written to <build>/console-screenshots/.

Needs node, the console's npm packages (console/node_modules, installed by the build) and
/usr/bin/chromium (scripts/install-deps).
"""

import datetime
import os
import shutil
import subprocess
import tempfile

from laurel_client import (Testnet, check, first_reason, get_json, log, main_wrapper,
                           parse_args)

CHROMIUM = os.environ.get("LAUREL_CHROMIUM", "/usr/bin/chromium")


def run_node_tests(net, script, env, timeout):
    t = os.path.join(net.repo, "tests", "console", script)
    log(f"node --test {script}")
    r = subprocess.run(["node", "--test", "--test-reporter=spec", t], env=env, timeout=timeout,
                       capture_output=True, text=True, stdin=subprocess.DEVNULL)
    print(r.stdout, r.stderr, flush=True)
    check(r.returncode == 0, f"{script} failed (exit {r.returncode})")


def test(args):
    console = os.path.join(os.path.dirname(os.path.abspath(args.bin)), "console-dist")
    check(os.path.isfile(os.path.join(console, "index.html")),
          f"{console} holds no console: build the `console` target first")
    check(os.access(CHROMIUM, os.X_OK), f"{CHROMIUM} is missing: run scripts/install-deps")
    check(shutil.which("node") is not None, "node is missing: run scripts/install-deps")
    shots = os.path.join(os.path.dirname(os.path.abspath(args.bin)), "console-screenshots")
    os.makedirs(shots, exist_ok=True)

    with Testnet(args, "console") as net, tempfile.TemporaryDirectory(prefix="laurel-console-") as work:
        net.env["LAUREL_CONSOLE_DIR"] = console
        net.init()
        with open(os.path.join(net.dir, "node0", "node.toml")) as f:
            check(f'console_dir = "{console}"' in f.read(), "testnet init did not enable the console")
        net.up()

        # A card issued by the CLI, for the API checks.
        card = os.path.join(work, "card.lc1")
        cid = "city-fed/MW/2026/api-001"
        until = (datetime.date.today() + datetime.timedelta(days=365)).isoformat()
        r = subprocess.run([net.laurel, "card", "issue", "--rpc", net.url(0), "--issuer", "city-fed",
                            "--key", net.key("city-fed"), "--type", "model_worker",
                            "--level", "municipal", "--holder-name", "李雷 Li Lei",
                            "--member-no", "API-1", "--id", cid, "--valid-until", until,
                            "--out", card], capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, f"laurel card issue failed: {r.stdout}{r.stderr}")
        with open(card) as f:
            card_text = f.read().strip()
        check(get_json(net.url(0) + "/v1/credentials/city-fed%2FMW%2F2026%2Fapi-001")["status"]
              == "ACTIVE", "the CLI's card is not on the ledger")

        # A model-worker card bound to a device key, for the holder page.
        device = os.path.join(work, "device.key")
        r = subprocess.run([net.laurel, "holder", "keygen", "--out", device], capture_output=True,
                           text=True, timeout=60)
        check(r.returncode == 0, f"laurel holder keygen failed: {r.stdout}{r.stderr}")
        bound = os.path.join(work, "bound.lc1")
        r = subprocess.run([net.laurel, "card", "issue", "--rpc", net.url(0), "--issuer", "city-fed",
                            "--key", net.key("city-fed"), "--type", "model_worker",
                            "--level", "municipal", "--holder-name", "韩梅梅 Han Meimei",
                            "--member-no", "API-2", "--id", "city-fed/MW/2026/bound-001",
                            "--valid-until", until, "--holder-key", device, "--out", bound],
                           capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, f"laurel card issue --holder-key failed: {r.stdout}{r.stderr}")
        with open(bound) as f:
            bound_text = f.read().strip()
        presentation = os.path.join(work, "presentation.txt")

        env = dict(os.environ, LAUREL_URL=net.url(0), LAUREL_CARD=card_text, LAUREL_CREDENTIAL=cid,
                   LAUREL_BOUND_CARD=bound_text, LAUREL_DEVICE_KEY=device,
                   LAUREL_PRESENTATION_OUT=presentation,
                   LAUREL_ISSUER_KEY=net.key("city-fed"), LAUREL_SHOTS=shots,
                   LAUREL_CHROMIUM=CHROMIUM, LAUREL_CONSOLE_DIR=console, LAUREL_WORK=work)
        run_node_tests(net, "api.test.mjs", env, 120)
        run_node_tests(net, "browser.test.mjs", env, 300)
        # The presentation the browser signed opens the CLI's gate too (the same bytes as
        # `laurel holder present`), and only for the gate it was made for.
        with open(presentation) as f:
            lp1 = f.read().strip()
        for gate_id, want in (("console", "VALID"), ("SHA-HQ-01", "PRESENTATION_EXPIRED")):
            r = subprocess.run([net.laurel, "verify", "--rpc", net.url(0), "--file", bound,
                                "--presentation", lp1, "--gate-id", gate_id],
                               capture_output=True, text=True, timeout=60)
            log(f"laurel verify --presentation (browser-made) --gate-id {gate_id} -> "
                f"{r.returncode}: {r.stdout.strip()[:200]}")
            check(first_reason(r.stdout) == want, f"gate {gate_id}: {r.stdout}{r.stderr}")
        pngs = sorted(p for p in os.listdir(shots) if p.endswith(".png"))
        log(f"screenshots in {shots}: {', '.join(pngs)}")
        check(len(pngs) >= 8, f"expected at least 8 screenshots, found {len(pngs)}")
        # The console left the chain healthy.
        net.wait_progress(range(net.n), 1, 30)


if __name__ == "__main__":
    a = parse_args(default_offset=130)
    main_wrapper(lambda: test(a))
