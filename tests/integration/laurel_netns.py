"""A testnet whose validators each run in their own network namespace, so that links between them
can be cut: a veth link per node to a host bridge, node i at <subnet>.(i+1), the host at
<subnet>.254, and faults as iptables DROP rules in the namespaces' OUTPUT chains. Needs root,
`ip` (iproute2) and `iptables`; `can_run()` says why not otherwise.

Used by test_partitions.py and the chaos campaign (chaos.py). Each user picks its own namespace
prefix, bridge and subnet, so that two of them can run side by side.
"""

import os
import shutil
import subprocess
import time

from laurel_client import Testnet, TestFailure, log


def sh(*args, check_rc=True):
    r = subprocess.run(list(args), capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if check_rc and r.returncode != 0:
        raise TestFailure(f"{' '.join(args)} exited {r.returncode}: {r.stderr.strip()}")
    return r


def can_run(probe="lzp-probe"):
    """None when namespaces and iptables in them work here, else the reason they do not."""
    if os.geteuid() != 0:
        return "not root"
    for tool in ("ip", "iptables"):
        if not shutil.which(tool):
            return f"{tool} is not installed (scripts/install-deps)"
    r = sh("ip", "netns", "add", probe, check_rc=False)
    if r.returncode != 0:
        return f"cannot create a network namespace: {r.stderr.strip()}"
    r = sh("ip", "netns", "exec", probe, "iptables", "-S", check_rc=False)
    sh("ip", "netns", "del", probe, check_rc=False)
    if r.returncode != 0:
        return f"iptables does not work in a namespace: {r.stderr.strip()}"
    return None


class NetnsTestnet(Testnet):
    """A Testnet whose nodes run in namespaces <prefix>0..<prefix>N-1 with their own addresses.
    `prefix` and `bridge` must be short (interface names have at most 15 characters)."""

    def __init__(self, args, name, n=4, prefix="lzp", bridge="lzpbr0", subnet="10.231.7",
                 extra_args=None):
        self.ns_prefix = prefix
        self.bridge = bridge
        self.subnet = subnet
        self.extra_args = list(extra_args or [])  # appended to every laureld command line
        super().__init__(args, name, n)

    def ns(self, i):
        return f"{self.ns_prefix}{i}"

    def ip(self, i):
        return f"{self.subnet}.{i + 1}"

    def url(self, i):
        return f"http://{self.ip(i)}:{self.rpc_base + i}"

    # -- network ---------------------------------------------------------------------------

    def net_setup(self):
        self.net_teardown()  # leftovers of an interrupted run
        self.after_stop.append(self.net_teardown)
        sh("ip", "link", "add", self.bridge, "type", "bridge")
        sh("ip", "addr", "add", f"{self.subnet}.254/24", "dev", self.bridge)
        sh("ip", "link", "set", self.bridge, "up")
        for i in range(self.n):
            ns, host_end = self.ns(i), f"{self.ns_prefix}h{i}"
            sh("ip", "netns", "add", ns)
            sh("ip", "link", "add", host_end, "type", "veth", "peer", "name", "eth0", "netns", ns)
            sh("ip", "link", "set", host_end, "master", self.bridge)
            sh("ip", "link", "set", host_end, "up")
            sh("ip", "-n", ns, "addr", "add", f"{self.ip(i)}/24", "dev", "eth0")
            sh("ip", "-n", ns, "link", "set", "eth0", "up")
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        log(f"network: bridge {self.bridge} {self.subnet}.254, nodes {self.ip(0)}..."
            f"{self.ip(self.n - 1)} in namespaces {self.ns(0)}..{self.ns(self.n - 1)}")

    def net_teardown(self):
        for i in range(self.n):
            sh("ip", "netns", "del", self.ns(i), check_rc=False)
        sh("ip", "link", "del", self.bridge, check_rc=False)

    def ipt(self, i, *rule):
        sh("ip", "netns", "exec", self.ns(i), "iptables", *rule)

    def drop(self, src, dst):
        """Drops every packet `src` sends to `dst` (in src's namespace, on the way out)."""
        self.ipt(src, "-A", "OUTPUT", "-d", self.ip(dst), "-j", "DROP")

    def cut(self, a, b):
        self.drop(a, b)
        self.drop(b, a)

    def partition(self, *groups):
        for gi, g in enumerate(groups):
            for h in groups[gi + 1:]:
                for a in g:
                    for b in h:
                        self.cut(a, b)
        log(f"partition {' | '.join('{' + ','.join(map(str, g)) + '}' for g in groups)}")

    def heal(self):
        for i in range(self.n):
            self.ipt(i, "-F", "OUTPUT")
        log("healed: every DROP rule removed")

    # -- nodes -----------------------------------------------------------------------------

    def bind_configs(self):
        """Node i listens on its own address; its peers are at theirs."""
        for i in range(self.n):
            path = os.path.join(self.dir, f"node{i}", "node.toml")
            with open(path) as f:
                text = f.read()
            for j in range(self.n):
                for port in (self.rpc_base + j, self.p2p_base + j):
                    text = text.replace(f"127.0.0.1:{port}", f"{self.ip(j)}:{port}")
            with open(path, "w") as f:
                f.write(text)

    def launch(self, i):
        d = os.path.join(self.dir, f"node{i}")
        with open(os.path.join(d, "laureld.log"), "a") as logf:
            logf.write(f"\n==== starting node{i} in {self.ns(i)} ====\n")
            logf.flush()
            # `ip netns exec` execs laureld in place: the pid is the node's (testnet/testnet
            # kill/down and the reaper find it in laureld.pid).
            p = subprocess.Popen(["ip", "netns", "exec", self.ns(i),
                                  os.path.join(self.bin, "laureld"), "--config",
                                  os.path.join(d, "node.toml"), *self.extra_args],
                                 cwd=d, stdout=logf, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL)
        with open(os.path.join(d, "laureld.pid"), "w") as f:
            f.write(f"{p.pid}\n")

    def up(self):
        t0 = time.monotonic()
        for i in range(self.n):
            self.launch(i)
        self.wait_height(range(self.n), 2, 90)
        log(f"testnet up in namespaces: all {self.n} nodes at height >= 2 after "
            f"{time.monotonic() - t0:.1f}s")

    def start(self, i):
        self.launch(i)
        log(f"started node{i}")
