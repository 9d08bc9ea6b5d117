"""Checks of the chaos campaign's manifests and argument handling that need no testnet
(tests/integration/chaos.py): manifests are a function of seed and length, every generated
manifest passes validation, bad manifests and arguments are refused with a clear message and
exit 2 before anything starts."""

import copy
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import chaos  # noqa: E402

SCRIPT = os.path.join(HERE, "..", "..", "scripts", "chaos")
failures = []


def expect(cond, what):
    if not cond:
        failures.append(what)
        print(f"FAIL: {what}", flush=True)


def main():
    a = chaos.make_manifest(42, 10)
    expect(a == chaos.make_manifest(42, 10), "same seed and minutes, same manifest")
    expect(a != chaos.make_manifest(43, 10), "another seed, another manifest")
    expect(json.loads(json.dumps(a)) == chaos.validate_manifest(json.loads(json.dumps(a))),
           "a generated manifest survives JSON and validation")
    kinds = {f["kind"] for f in a["faults"]}
    expect(len(kinds) >= 8, f"a 10-minute manifest draws most kinds (got {sorted(kinds)})")
    for seed in range(200):
        m = chaos.make_manifest(seed, 3)
        chaos.validate_manifest(m)
        for f in m["faults"]:
            if f["kind"] == "split":
                expect(sorted(len(g) for g in f["groups"]) == [2, 2], f"seed {seed}: 2|2 split")
            if f["kind"] in ("oneway",):
                expect(f["to"] != f["node"], f"seed {seed}: oneway to another node")
    only = chaos.make_manifest(5, 10, ("kill", "loss"))
    expect({f["kind"] for f in only["faults"]} <= {"kill", "loss"}, "--kinds limits the draw")
    expect(chaos.pct([3.0, 1.0, 2.0], 50) == 2.0 and chaos.pct([1.0, 2.0, 3.0], 99) == 3.0,
           "nearest-rank percentiles")

    bad = []
    m = copy.deepcopy(a); m["version"] = 9; bad.append((m, "manifest version"))
    m = copy.deepcopy(a); m["nodes"] = 5; bad.append((m, "nodes must be 4"))
    m = copy.deepcopy(a); m["faults"] = []; bad.append((m, "non-empty list"))
    m = copy.deepcopy(a); m["faults"][0]["kind"] = "meteor"; bad.append((m, "unknown kind"))
    m = copy.deepcopy(a); m["faults"][0]["node"] = 7; bad.append((m, "node must be 0..3"))
    m = copy.deepcopy(a); m["faults"][0]["hold_s"] = -1; bad.append((m, "hold_s"))
    m = copy.deepcopy(a); m["minutes"] = 0; bad.append((m, "minutes"))
    split = {"id": 1, "kind": "split", "node": 0, "gap_s": 1, "hold_s": 1, "groups": [[0, 1], [1, 2]]}
    m = copy.deepcopy(a); m["faults"] = [split]; bad.append((m, "groups must split"))
    loss = {"id": 1, "kind": "loss", "node": 0, "gap_s": 1, "hold_s": 1, "loss": 2}
    m = copy.deepcopy(a); m["faults"] = [loss]; bad.append((m, "loss must be 0..1"))
    for m, want in bad:
        try:
            chaos.validate_manifest(m)
            expect(False, f"manifest accepted, expected an error about {want!r}")
        except ValueError as e:
            expect(want in str(e), f"error {e!r} should mention {want!r}")

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.json")
        with open(path, "w") as f:
            f.write("{not json")
        for args, want in ((["--manifest", path], "cannot use manifest"),
                           (["--kinds", "kill,meteor"], "unknown fault kind"),
                           (["--minutes", "0"], "--minutes"),
                           (["--seed", "1", "--faults", "0"], "--faults")):
            r = subprocess.run([sys.executable, SCRIPT, "--out", d, *args], capture_output=True,
                               text=True, timeout=60)
            expect(r.returncode == 2 and want in r.stderr,
                   f"scripts/chaos {' '.join(args)}: exit {r.returncode}, stderr {r.stderr!r}")
    if failures:
        print(f"{len(failures)} check(s) failed", flush=True)
        return 1
    print("PASS", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
