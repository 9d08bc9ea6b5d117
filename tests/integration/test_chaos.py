"""A short chaos campaign with a fixed seed (tests/integration/chaos.py, docs/testing.md): about
two and a half minutes of faults of several kinds - process faults always, partitions as root
(skipped with a SKIP note otherwise), frame delay/loss/reorder through the transport's
fault-injection hook - under a load of transactions, then the full safety checks.
Fails on any violation, naming it and printing the replay command."""

import sys

import chaos

SEED = 4709      # kill, a 2|2 split, flaky links, isolate, delay, wipe, ... in 2.5 minutes
MINUTES = 2.5

if __name__ == "__main__":
    # The ctest entry passes --bin, --repo and --port-offset; the campaign is fixed here. The
    # manifest and summary go to BIN/../chaos (the log has the table too).
    sys.exit(chaos.main(sys.argv[1:] + ["--seed", str(SEED), "--minutes", str(MINUTES)],
                        default_offset=210))
