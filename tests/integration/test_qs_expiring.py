"""A Byzantine validator's proven batch that expires within a few heights must not hold back a
transaction a client sends to an honest validator, with [consensus] quorum_store = true
(docs/spec/batches.md §6, "A transaction another validator batched").

An honest validator answers ALREADY_KNOWN, without batching it, to a transaction that sits in a
peer's batch with a proof of availability: the proof makes that batch proposable by every honest
leader. A Byzantine author can get a proof for a batch that expires a few heights on (the honest
validators acknowledge any batch that expires above their committed height + 1). If that were
enough, the transaction would be held back until the batch expired unproposed, and a client
waiting for its commit would wait in vain. So the proof counts only while its batch has more than
64 heights to go.

node3's laureld is replaced by `laurel-byzantine --behaviour batch-attacks --batch-expiry 8`,
which pushes one well-formed batch of its own holding a valid transaction T (never sent to the
honest nodes otherwise), expiring 8 heights above the highest block it saw, makes its proof from
the honest acknowledgements and broadcasts it (between its hostile messages). The honest nodes
drop their votes meanwhile (fault injection, kind 2), so no height passes and the batch stays
8 heights from its expiry. Then:
  - node1 holds the adversary's proof (laurel_batch_proofs_total{event="received"}), and node2
    too unless its inbound queue dropped it among the adversary's hostile messages;
  - T sent to each of them holding the proof is ACCEPTED (batched), not ALREADY_KNOWN;
  - votes flow again: T commits OK, once (any other copy in the chain is DUPLICATE_TX), and the
    honest nodes agree on every block.
With the 64-height margin removed (ProvenBatchOf), node1 answered ALREADY_KNOWN.
"""

import os
import time

from chaos import (drop_kind, init_with_fault_file, quorum_store_fault_testnet,
                   write_link_faults)
from laurel_client import (Adversary, build_tx_pool, byzantine_exe, check, committed_location,
                           get_json, log, main_wrapper, metric_value as series, parse_args,
                           post_tx, result_code, tx_wire, wait_for)

HONEST = [0, 1, 2]
BYZ = 3
VOTE_KIND = 2
ATTACK_S = 20


def test(args):
    exe = byzantine_exe(args)
    net = quorum_store_fault_testnet(args, "qs-expiring")
    with net:
        init_with_fault_file(net)
        pool = build_tx_pool(net.laurel, net.key("city-fed"), 2)
        held = pool[0]
        tx_file = os.path.join(net.dir, "valid-txs.hex")
        with open(tx_file, "w") as f:
            f.write(tx_wire(held).hex() + "\n")
        net.up()
        net.wait_progress(range(net.n), 2, 60)
        net.kill(BYZ)

        # No honest vote leaves: no QC, no commit, no height; batches and proofs still travel.
        drop_kind(net, HONEST, VOTE_KIND)
        time.sleep(1.0)  # blocks certified before the rule commit now
        stalled = net.heights(HONEST)

        proofs_before = {i: series(net, i, "laurel_batch_proofs_total", 'event="received"')
                         for i in HONEST}
        with Adversary(exe, net, BYZ, "expiring",
                       ["--behaviour", "batch-attacks", "--seconds", str(ATTACK_S),
                        "--tx-file", tx_file, "--bad-batches", "1", "--batch-expiry", "8",
                        "--rate", "20"]) as adv:
            def proven_on(i):
                adv.check_running()
                return series(net, i, "laurel_batch_proofs_total",
                              'event="received"') > proofs_before[i]
            # Its hostile messages share each peer's inbound queue with the proof, which a full
            # queue drops: the nodes that received it are asked.
            wait_for(lambda: proven_on(1), 30, "node1 to receive the adversary's proof")
            time.sleep(0.5)
            asked = [i for i in (1, 2) if i == 1 or proven_on(i)]
            now = net.heights(HONEST)
            check(max(now.values()) == max(stalled.values()),
                  f"the chain grew while votes were dropped: {stalled} -> {now}")
            net.check_not_committed(1, held.tx_id, "T committed while votes were dropped")
            log(f"nodes {asked} hold the adversary's proof of its batch of T "
                f"({held.tx_id[:16]}), 8 heights from expiry; heights stay at {now}")

            answers = {}
            for i in asked:
                status, obj = post_tx(net.url(i), held.json, wait=False)
                check(status == 202, f"node{i} answered T with HTTP {status} {obj}")
                answers[i] = (obj.get("admission"), obj.get("message", ""))
            log(f"T sent to nodes {asked}: {answers}")
            for i in asked:
                check(answers[i][0] == "ACCEPTED",
                      f"node{i} answered T with {answers[i]}: a proven batch about to expire held "
                      f"it back")
            # Votes flow again.
            for i in HONEST:
                write_link_faults(net, i, [])
            status, obj = post_tx(net.url(1), held.json, wait=True, timeout=60)
            loc = committed_location(status, obj)
            check(loc is not None and loc[2] == "OK", f"T did not commit OK: HTTP {status} {obj}")
            status, obj = post_tx(net.url(0), pool[1].json, wait=True, timeout=60)
            loc2 = committed_location(status, obj)
            check(loc2 is not None and loc2[2] == "OK", f"a later tx: HTTP {status} {obj}")
            log(f"T committed OK at height {loc[0]}; a later tx at {loc2[0]}")
            adv.finish(ATTACK_S + 30)
        line, done = adv.last_line("byzantine: batches")
        check(done.get("own_proofs_out") == 1,
              f"the adversary did not make one proof of its batch: {line}")
        log(line)

        # T once in the chain (another copy only as DUPLICATE_TX); the honest nodes agree.
        net.wait_height(HONEST, loc2[0], 30)
        copies = []
        for h in range(1, loc2[0] + 1):
            b = get_json(f"{net.url(0)}/v1/blocks/{h}", timeout=10)
            for t in b.get("txs", []):
                if t.get("tx_id") == held.tx_id:
                    copies.append((h, result_code(t.get("result"))))
        executed = [c for c in copies if c[1] != "DUPLICATE_TX"]
        check(executed == [(loc[0], "OK")], f"T is in the chain as {copies}")
        for i in HONEST:
            check(net.running(i), f"node{i} is not running:\n{net.log_tail(i)}")
            check(not net.log_lines(i, "HALT"), f"node{i} halted")
        compared = net.assert_same_blocks(HONEST, loc2[0])
        log(f"T in the chain as {copies}; block ids and state roots agree on the honest nodes "
            f"({compared} heights)")


if __name__ == "__main__":
    a = parse_args(default_offset=460)
    main_wrapper(lambda: test(a))
