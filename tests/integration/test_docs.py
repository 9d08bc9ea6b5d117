"""The role guides' command examples work: on a fresh 4-validator testnet, every "$ ..." line of
the ```console blocks of docs/issuer.md, docs/gate.md, docs/auditor.md and docs/operator.md
runs, in that order, in one working folder, and exits as the guide says (0 unless the command
ends in "# exit N"); example output lines starting with upper-case words (VALID,
REFUSED REVOKED, ...) must begin a line of the real output. See doc_examples.py for the format.

docs/cli.md is a reference, not a guide: its sample sessions (unmarked blocks) name issuers and
cards the test's testnet does not have and are not run. The CLI's behaviour is tested by
unit_cli (tests/unit/cli/) and tests/integration/test_card_life.py instead.

Exported for the examples: RPC (node0; also LAUREL_RPC), RPC1..RPC3, KEYS (the testnet's keys:
admin1..3, city-fed), LAUREL_TESTNET_DIR / LAUREL_BIN / LAUREL_RPC_BASE / LAUREL_P2P_BASE (so
`testnet/testnet ...` acts on this testnet), and PATH starting with the build's bin folder. The
working folder has symlinks `testnet` and `scripts` to the checkout's folders.
LAUREL_DOCS_VERBOSE=1 prints every example's real output (for writing the guides).
"""

import os
import tempfile
import time

from doc_examples import Runner, parse
from laurel_client import Testnet, check, log, main_wrapper, parse_args

GUIDES = ["issuer.md", "gate.md", "auditor.md", "operator.md"]
REQUIRED = ["issuer.md", "gate.md", "operator.md"]


def test(args):
    docs = os.path.join(os.path.abspath(args.repo), "docs")
    plan = []
    for g in GUIDES:
        path = os.path.join(docs, g)
        if not os.path.exists(path):
            check(g not in REQUIRED, f"docs/{g} is missing")
            log(f"docs/{g}: not there (yet); skipped")
            continue
        exs = parse(path)
        log(f"docs/{g}: {len(exs)} examples")
        plan += exs
    for g in REQUIRED:
        check(any(os.path.basename(e.path) == g for e in plan),
              f"docs/{g} has no ```console examples")

    with Testnet(args, "docs") as net, tempfile.TemporaryDirectory(prefix="laurel-docs-") as work:
        net.init()
        net.up()
        os.symlink(os.path.join(net.repo, "testnet"), os.path.join(work, "testnet"))
        os.symlink(os.path.join(net.repo, "scripts"), os.path.join(work, "scripts"))
        env = dict(net.env, RPC=net.url(0), LAUREL_RPC=net.url(0),
                   KEYS=os.path.join(net.dir, "keys"),
                   PATH=net.bin + os.pathsep + os.environ.get("PATH", ""))
        for i in range(1, net.n):
            env[f"RPC{i}"] = net.url(i)
        runner = Runner(work, env)
        failures = []
        t0 = time.monotonic()
        for ex in plan:
            r = runner.run(ex)
            problem = runner.check(ex, r)
            first = (r.stdout.strip().splitlines() or [""])[0][:100]
            if problem:
                failures.append(f"{ex.where()}: `{ex.command}`: {problem}\n"
                                f"    stdout: {r.stdout.strip()[:800]}\n"
                                f"    stderr: {r.stderr.strip()[:800]}")
                log(f"FAIL {ex.where()}: {problem}: $ {ex.command}")
            else:
                log(f"ok   {ex.where()}: $ {ex.command.splitlines()[0][:90]}  -> {first}")
            if os.environ.get("LAUREL_DOCS_VERBOSE"):  # the real output, for writing guides
                print(f"$ {ex.command}\n{r.stdout}{r.stderr}-- exit {r.returncode}", flush=True)
        log(f"{len(plan)} examples run in {time.monotonic() - t0:.0f}s, "
            f"{len(failures)} failed")
        if failures:
            raise AssertionError("guide examples that do not work as documented:\n" +
                                 "\n".join(failures))
        # The examples left the testnet healthy.
        net.wait_progress(range(net.n), 1, 30)


if __name__ == "__main__":
    a = parse_args(default_offset=50)
    main_wrapper(lambda: test(a))
