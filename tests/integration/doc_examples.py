"""The runnable examples of laurel's role guides (docs/issuer.md, gate.md, auditor.md,
operator.md; see test_docs.py): parsing and running them.

Only fenced blocks marked ```console are examples; other blocks are illustration. In a block:

  $ laurel verify --file card.lc1                 a command (bash); a line ending in "\\"
  VALID model-worker card ...                     continues on the next one. The lines after
                                                  it, up to the next "$ ", are its output.
  $ laurel verify --file old.lc1   # exit 1       a trailing "# exit N" is the expected exit
  REFUSED REVOKED credential revoked ...          code (default 0).

Output is checked loosely: only example lines that start with an upper-case word count, and
for each of them its leading run of upper-case words ("VALID", "REFUSED REVOKED", "OK") must
begin a line of the real output (stdout then stderr), in order. Ids, hashes and heights in the
other lines differ on every run and are not compared.

Run by hand: python3 tests/integration/doc_examples.py docs/gate.md  (lists the examples).
"""

import os
import re
import subprocess
import sys

FENCE = re.compile(r"^(\s*)(```+|~~~+)\s*([\w+-]*)")
EXIT_NOTE = re.compile(r"\s#\s*exit\s+(\d+)\s*$")
UPPER_WORD = re.compile(r"^[A-Z][A-Z0-9_]*$")


class Example:
    def __init__(self, path, line, command, expect_rc, output):
        self.path = path
        self.line = line          # 1-based line of the "$ " in the file
        self.command = command    # the shell text, continuation lines joined with newlines
        self.expect_rc = expect_rc
        self.output = output      # example output lines

    def where(self):
        return f"{os.path.basename(self.path)}:{self.line}"

    def verdicts(self):
        """The leading upper-case word runs of the example output lines that have one."""
        out = []
        for line in self.output:
            words = []
            for w in _words(line):
                if not UPPER_WORD.match(w):
                    break
                words.append(w)
            if words:
                out.append(" ".join(words))
        return out


def parse(path):
    """The examples of one markdown file, in order."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    examples = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, lang = m.group(2), m.group(3)
        i += 1
        block = []
        while i < len(lines) and not lines[i].strip().startswith(fence):
            block.append((i + 1, lines[i]))
            i += 1
        i += 1  # the closing fence
        if lang == "console":
            examples += _parse_block(path, block)
    return examples


def _parse_block(path, block):
    examples = []
    k = 0
    current = None
    while k < len(block):
        lineno, text = block[k]
        if text.startswith("$ "):
            cmd_lines = [text[2:]]
            while cmd_lines[-1].rstrip().endswith("\\") and k + 1 < len(block):
                k += 1
                nxt = block[k][1]
                cmd_lines.append(nxt[2:] if nxt.startswith("> ") else nxt)
            command = "\n".join(cmd_lines)
            m = EXIT_NOTE.search(cmd_lines[-1])
            expect = int(m.group(1)) if m else 0
            current = Example(path, lineno, command, expect, [])
            examples.append(current)
        elif current is not None:
            current.output.append(text)
        k += 1
    return examples


_ENV_SKIP = re.compile(r"^declare -x (PWD|OLDPWD|SHLVL|_)(=|$)")


class Runner:
    """Runs examples one after another in `workdir`, each in a fresh bash that first reloads the
    variables earlier examples exported."""

    def __init__(self, workdir, env, timeout=120):
        self.workdir = workdir
        self.env = env
        self.timeout = timeout
        self.state = os.path.join(workdir, ".doc-env")

    def run(self, ex):
        script = (f'[ -f {self.state} ] && . {self.state}\n'
                  f'{ex.command}\n'
                  f'__rc=$?\n'
                  f'export -p | grep -Ev \'{_ENV_SKIP.pattern}\' > {self.state}.new && '
                  f'mv {self.state}.new {self.state}\n'
                  f'exit $__rc\n')
        r = subprocess.run(["bash", "-c", script], cwd=self.workdir, env=self.env,
                           capture_output=True, text=True, timeout=self.timeout,
                           stdin=subprocess.DEVNULL)
        return r

    def check(self, ex, r):
        """None if the example behaved as documented, else what went wrong."""
        if r.returncode != ex.expect_rc:
            return f"exited {r.returncode}, the guide says {ex.expect_rc}"
        got = (r.stdout + ("\n" if r.stdout and not r.stdout.endswith("\n") else "") +
               r.stderr).splitlines()
        pos = 0
        for verdict in ex.verdicts():
            while pos < len(got) and not _starts_with_words(got[pos], verdict):
                pos += 1
            if pos == len(got):
                return f"no output line starts with '{verdict}' (in order)"
            pos += 1
        return None


def _words(line):
    """Whitespace-separated words without trailing punctuation ("REVOKED:" -> "REVOKED")."""
    return [w.rstrip(":,;.") for w in line.split()]


def _starts_with_words(line, words):
    w = words.split()
    return _words(line)[:len(w)] == w


if __name__ == "__main__":
    for p in sys.argv[1:]:
        for ex in parse(p):
            print(f"{ex.where()}: exit {ex.expect_rc}: {ex.command!r} -> {ex.verdicts()}")
