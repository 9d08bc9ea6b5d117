"""Hostile quorum-store messages over real TLS sockets, against a real 4-validator testnet with
[consensus] quorum_store = true (docs/spec/batches.md §6).

node3's laureld is stopped and `laurel-byzantine --behaviour batch-attacks` takes its place: node3's
key and config, so the honest nodes admit it as validator 3. For a while it sends them, cycling:
undecodable and truncated batch frames; batches the store must refuse (another validator's,
a non-canonical transaction, over the transaction cap, empty, expired, expiring too far ahead,
another epoch); forged acknowledgements (in another validator's name, a bad signature, for a
batch the receiver never made); proofs of availability with too few signers, forged signatures,
an unknown author, a duplicated signer; batch requests for unknown digests, and a flood of
requests for the batches the honest nodes pushed to it. And a few well-formed batches of its own
holding transactions whose signatures the test broke (real issuances by city-fed, never
submitted otherwise): an acknowledgement attests every signature of a batch (docs/spec/batches.md
§2.1), so node0 (the designated checker of validator 3's batches) refuses them on receipt, and
nodes 1 and 2, which hold them waiting for a proof, check them when none comes and refuse them
too: the adversary never gets an honest ack, so never a proof.

Meanwhile valid transactions are submitted to the honest nodes. What must hold:
  - every valid transaction commits OK, once, at the same place on the three honest nodes, and
    their block ids and state roots agree at every height;
  - the badly signed transactions get no honest acknowledgement and no proof, are never
    committed, and the credentials they would issue do not exist; nodes 1 and 2 checked the
    held batches late (laurel_batches_total{event="checked_late"});
  - each honest node counted refusals: laurel_batches_total{event="refused"},
    laurel_batch_acks_total{event="refused"} and laurel_batch_proofs_total{event="refused"}
    went up;
  - batch requests for unknown digests are answered "not held", requests for held batches with
    the batch (the adversary counts both);
  - no honest node crashed or halted; they keep committing after the adversary stops, and node3's
    real laureld, started again, catches up (block sync carries the adversary's batches) and
    agrees with them.
"""

import os
import urllib.parse

from laurel_client import (Adversary, Testnet, build_tx_pool, byzantine_exe, check, http, log,
                           main_wrapper, metric_value as series, parse_args,
                           send_all_ok as send_all, tx_wire, wait_for)

HONEST = [0, 1, 2]
BYZ = 3
ATTACK_S = 25       # the adversary's run
GOOD_TXS = 60       # valid txs submitted while it runs
BAD_TXS = 4         # txs with a broken signature, only ever in the adversary's batches
CONNECT_S = 20
WAVES = 5           # of valid txs, 5 s apart (the adversary's reports)


REFUSALS = [("laurel_batches_total", 'event="refused"'),
            ("laurel_batch_acks_total", 'event="refused"'),
            ("laurel_batch_proofs_total", 'event="refused"'),
            ("laurel_batches_total", 'event="received"'),
            ("laurel_batch_proofs_total", 'event="received"')]


def counters(net):
    return {i: {f"{n}{{{l}}}": series(net, i, n, l) for n, l in REFUSALS} for i in HONEST}


def test(args):
    os.environ["LAUREL_QUORUM_STORE"] = "1"
    exe = byzantine_exe(args)
    with Testnet(args, "qs-hostile") as net:
        net.init()
        pool = build_tx_pool(net.laurel, net.key("city-fed"), GOOD_TXS + BAD_TXS)
        good, bad = pool[:GOOD_TXS], pool[GOOD_TXS:]
        tx_file = os.path.join(net.dir, "broken-txs.hex")
        with open(tx_file, "w") as f:
            for tx in bad:
                f.write(tx_wire(tx, break_signatures=True).hex() + "\n")
        bad_ids = [tx.tx_id for tx in bad]
        net.up()
        net.wait_progress(range(net.n), 2, 60)

        net.kill(BYZ)
        before = counters(net)
        with Adversary(exe, net, BYZ, "batch-attacks",
                       ["--behaviour", "batch-attacks", "--seconds", str(ATTACK_S),
                        "--tx-file", tx_file]) as adv:
            adv.wait_connected(CONNECT_S)
            # The valid txs go in waves, one after each of the adversary's 5-second reports,
            # so that they commit all through the attack.
            acked = {}
            for k in range(WAVES):
                if k > 0:
                    wait_for(lambda: adv.proc.poll() is not None or adv.output().count(
                        "byzantine: batches at") >= k, ATTACK_S + 30, f"the adversary's report {k}")
                wave = good[k * len(good) // WAVES:(k + 1) * len(good) // WAVES]
                acked.update(send_all(net, wave, HONEST))
            log(f"{len(acked)} valid txs committed OK through the honest nodes in {WAVES} waves "
                f"while the adversary ran")
            adv.finish(ATTACK_S + 30)
        line, done = adv.last_line("byzantine: batches done")
        log(line)

        # The adversary really sent each kind of hostile message and got its answers.
        cases = ["malformed_batch", "truncated_batch", "other_author_batch",
                 "non_canonical_batch", "oversized_batch", "empty_batch", "expired_batch",
                 "far_expiry_batch", "other_epoch_batch", "ack_in_others_name",
                 "ack_bad_signature", "ack_unknown_batch", "proof_too_few", "proof_forged",
                 "proof_unknown_author", "proof_duplicate_signer", "request_unknown",
                 "request_held"]
        for c in cases:
            check(done.get(c, 0) > 0, f"the adversary sent no {c} message: {line}")
        check(done.get("responses_empty_in", 0) > 0,
              f"no batch request for an unknown digest was answered 'not held': {line}")
        check(done.get("responses_full_in", 0) > 0,
              f"no batch request for a held batch was answered with the batch: {line}")
        check(done.get("own_acks_in", 0) == 0,
              f"an honest node acknowledged a batch holding a forged signature: {line}")
        check(done.get("own_proofs_out", 0) == 0,
              f"the adversary made a proof for its batch of badly signed txs: {line}")

        # Every honest node is alive, keeps committing and agrees.
        for i in HONEST:
            check(net.running(i), f"node{i} is not running:\n{net.log_tail(i)}")
            halted = net.log_lines(i, "HALT")
            check(not halted, f"node{i} halted: {halted[:3]}")
        net.wait_progress(HONEST, 2, 60)
        compared, upto = net.assert_acked_and_agreed(HONEST, acked)
        log(f"block ids and state roots agree on the honest nodes at heights 1..{upto}")

        # Refusals were counted where they happen.
        after = counters(net)
        for i in HONEST:
            moved = {k: after[i][k] - before[i][k] for k in after[i]}
            log(f"node{i}: {moved}")
            for n, l in REFUSALS[:3]:
                check(moved[f"{n}{{{l}}}"] > 0, f"node{i}: {n}{{{l}}} did not move: {moved}")

        # The badly signed txs were refused by every honest checker: never committed, no
        # credential issued. Nodes 1 and 2 held the adversary's batches and checked them late.
        def refused_everywhere(nodes):
            for i in nodes:
                for tx in bad:
                    status, obj = net.tx(i, tx.tx_id)
                    committed = status == 200 and isinstance(obj, dict) and \
                        obj.get("status") == "committed"
                    check(not committed, f"node{i}: badly signed tx {tx.tx_id} was committed: "
                          f"{obj}")
                    cid = urllib.parse.quote(tx.credential_id, safe="")
                    status, obj = http("GET", f"{net.url(i)}/v1/credentials/{cid}")
                    check(status == 404, f"node{i}: the credential of badly signed tx "
                          f"{tx.tx_id} exists: HTTP {status} {obj}")
        refused_everywhere(HONEST)
        for i in (1, 2):
            late = series(net, i, "laurel_batches_total", 'event="checked_late"')
            check(late >= 1, f"node{i} held validator 3's batches but checked none late")
        log(f"the {len(bad)} badly signed txs got no ack, no proof and no commit on the honest "
            f"nodes; none of their credentials exists")

        # node3's real laureld comes back, catches up by block sync and agrees.
        net.start(BYZ)
        top = max(net.heights(HONEST).values())
        net.wait_height([BYZ], top, 90, "node3 to catch up")
        net.wait_progress(range(net.n), 2, 60)
        compared, upto = net.assert_acked_and_agreed(list(range(net.n)), acked, timeout=60)
        refused_everywhere([BYZ])
        log(f"node3 caught up; block ids and state roots agree on 4 nodes at 1..{upto}; the "
            f"badly signed txs are not committed there either")


if __name__ == "__main__":
    a = parse_args(default_offset=390)
    main_wrapper(lambda: test(a))
