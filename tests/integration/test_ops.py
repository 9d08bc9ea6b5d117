"""Every metric the Grafana dashboard and the Prometheus alert rules (docs/ops/) name exists in
a real node's GET /metrics: a renamed or removed metric would leave a panel empty and an alert
silent. Starts a one-validator testnet with the console, so the console's series exist too."""

import json
import os
import re
import urllib.request

from laurel_client import Testnet, check, log, main_wrapper, parse_args

# Series Prometheus makes itself, not the node.
SYNTHETIC = {"up"}
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def names_in(expr):
    """Metric names in a PromQL expression: identifiers followed by '{', '[' or used bare,
    minus functions, keywords and label names."""
    expr = re.sub(r'"[^"]*"', '""', expr)  # label values
    expr = re.sub(r"\{[^}]*\}", "{}", expr)  # label matchers
    out = set()
    for m in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr):
        word = m.group(0)
        if word.startswith("laurel_") or word in SYNTHETIC:
            out.add(word)
    return out


def dashboard_names(path):
    with open(path) as f:
        dash = json.load(f)
    names = set()
    for p in dash["panels"]:
        for t in p.get("targets", []):
            names |= names_in(t["expr"])
    for v in dash.get("templating", {}).get("list", []):
        q = v.get("definition") or ""
        names |= names_in(q)
    return names


def rule_names(path):
    # The rules file is YAML; its expressions are the `expr:` values (one line or folded).
    names = set()
    with open(path) as f:
        text = f.read()
    for m in re.finditer(r"expr:\s*(>-\s*\n((?:\s{10,}.*\n)+)|.*)", text):
        names |= names_in(m.group(2) or m.group(1))
    return names


def exported(metrics_text):
    """{name: type} from the # TYPE lines, plus the histograms' sample names."""
    types = {}
    for line in metrics_text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(None, 3)
            types[name] = kind
    return types


def family(name, types):
    """The metric family a series name belongs to (a histogram's _bucket, _sum, _count)."""
    for suf in HISTOGRAM_SUFFIXES:
        if name.endswith(suf) and types.get(name[: -len(suf)]) == "histogram":
            return name[: -len(suf)]
    return name


def test(args):
    dash_path = os.path.join(args.repo, "docs", "ops", "laurel-dashboard.json")
    rules_path = os.path.join(args.repo, "docs", "ops", "laurel-alerts.yml")
    used_dash = dashboard_names(dash_path)
    used_rules = rule_names(rules_path)
    log(f"dashboard names {len(used_dash)} metrics, rules {len(used_rules)}")
    check(len(used_dash) >= 12 and len(used_rules) >= 8,
          f"too few metrics found (parser broken?): {sorted(used_dash)} {sorted(used_rules)}")
    with Testnet(args, "ops", n=1) as net:
        net.init()
        net.up()
        with urllib.request.urlopen(net.url(0) + "/console/index.html", timeout=5) as r:
            check(r.status == 200, "console not served")
        with urllib.request.urlopen(net.url(0) + "/metrics", timeout=5) as r:
            text = r.read().decode()
    types = exported(text)
    log(f"the node exports {len(types)} metric families")
    missing = [n for n in sorted((used_dash | used_rules) - SYNTHETIC)
               if family(n, types) not in types]
    check(not missing, f"named in docs/ops but not exported by the node: {missing}")
    # The console's file requests are counted by status.
    check(re.search(r'laurel_console_requests_total\{status="200"\} [1-9]', text),
          "laurel_console_requests_total{status=\"200\"} did not count the console page")
    unused = sorted(set(types) - {family(n, types) for n in used_dash})
    log(f"all {len((used_dash | used_rules) - SYNTHETIC)} metrics named in docs/ops exist; "
        f"exported but not on the dashboard: {unused}")


if __name__ == "__main__":
    a = parse_args(default_offset=170)
    main_wrapper(lambda: test(a))
