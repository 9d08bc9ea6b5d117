#!/usr/bin/env python3
"""Checks a laurel answer asked with ?proof=true, trusting no node: a second implementation of
docs/spec/state.md §4 and §6, written from the spec alone (it shares no code with laurel).

    python3 docs/examples/verify_answer.py ANSWER.json GENESIS.json [--max-age SECONDS]

ANSWER.json is what a node answered (e.g. `curl .../v1/credentials/ID?proof=true`, or
`laurel proof get --out`). GENESIS.json is the chain's genesis file: the only thing trusted.
Prints the proven records and "PROVEN at height H by validators a,b,c", or "NOT PROVEN: why"
with exit 1. Needs Python 3 and the `cryptography` package (Debian: python3-cryptography).

It proves which records the state held at a certified height. Recomputing a gate decision from
them (validity dates, status, the issuer chain) is `laurel verify --prove`'s job.
"""
import base64
import hashlib
import json
import struct
import sys
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

LEAF = b"laurel/smt-leaf/v1\0"
NODE = b"laurel/smt-node/v1\0"
ATTESTATION = b"laurel/attestation/v2\0"
VALIDATORS = b"laurel/validators/v1\0"


class NotProven(Exception):
    pass


def sha256(*parts):
    return hashlib.sha256(b"".join(parts)).digest()


def u32(n):
    return struct.pack(">I", n)


def key_bytes(text):
    """A validator key as genesis.json (base64, protobuf's JSON) or an answer (hex) gives it."""
    if len(text) == 64 and all(c in "0123456789abcdef" for c in text):
        return bytes.fromhex(text)
    return base64.b64decode(text)


def genesis_set(genesis):
    """(chain id, [(key, name, address)]) of epoch 0."""
    chain_id = genesis.get("chain_id", genesis.get("chainId"))
    vals = [(key_bytes(v.get("public_key", v.get("publicKey"))), v.get("name", ""),
             v.get("address", "")) for v in genesis["validators"]]
    return chain_id, vals


def decode_certificate(raw):
    """§6: epoch, height, block_id, state_root, tx_root, time_ms, next_validators, signatures."""
    if len(raw) < 156:
        raise NotProven("the state certificate is truncated")
    epoch, height = struct.unpack(">QQ", raw[:16])
    cert = {"epoch": epoch, "height": height, "block_id": raw[16:48], "state_root": raw[48:80],
            "tx_root": raw[80:112], "time_ms": struct.unpack(">Q", raw[112:120])[0],
            "next_validators": raw[120:152], "signatures": []}
    (count,) = struct.unpack(">I", raw[152:156])
    if len(raw) != 156 + 68 * count:
        raise NotProven("the state certificate's length does not match its signature count")
    for i in range(count):
        off = 156 + 68 * i
        cert["signatures"].append((struct.unpack(">I", raw[off:off + 4])[0], raw[off + 4:off + 68]))
    cert["signed"] = raw[:152]  # the attested fields, as the sign-bytes carry them
    return cert


def check_certificate(chain_id, epoch, vals, cert):
    """A quorum (n - floor((n-1)/3)) of distinct validators of `epoch`'s set signed it."""
    if cert["epoch"] != epoch:
        raise NotProven(f"the certificate is of epoch {cert['epoch']}, the set of epoch {epoch}")
    message = ATTESTATION + u32(len(chain_id.encode())) + chain_id.encode() + cert["signed"]
    signers = []
    for index, sig in cert["signatures"]:
        if index >= len(vals) or index in signers:
            raise NotProven(f"the certificate names validator {index} twice or out of the set")
        try:
            Ed25519PublicKey.from_public_bytes(vals[index][0]).verify(sig, message)
        except InvalidSignature:
            raise NotProven(f"the signature of validator {index} does not verify")
        signers.append(index)
    quorum = len(vals) - (len(vals) - 1) // 3
    if len(signers) < quorum:
        raise NotProven(f"{len(signers)} signatures; {quorum} of {len(vals)} are needed")
    return [vals[i][1] or f"validator {i}" for i in signers]


def set_hash(vals):
    out = [VALIDATORS, u32(len(vals))]
    for key, name, address in vals:
        out += [key, u32(len(name.encode())), name.encode(), u32(len(address.encode())),
                address.encode()]
    return sha256(*out)


def walk_epochs(chain_id, vals, target, changes):
    """From the genesis set to epoch `target`, each change certified by the set before it.
    Returns the set and the first height of epoch `target` (0 for epoch 0)."""
    if len(changes) != target:
        raise NotProven(f"the certificate is of epoch {target}; the proof carries "
                        f"{len(changes)} epoch changes")
    start = 0
    for epoch in range(target):
        change = changes[epoch]
        if str(change.get("epoch", "")) != str(epoch + 1):
            raise NotProven(f"epoch change {epoch + 1} names epoch {change.get('epoch')!r}, "
                            f"not {epoch + 1}")
        cert = decode_certificate(bytes.fromhex(change.get("certificate", "")))
        next_start = int(change.get("start_height", 0))
        if next_start != cert["height"] + 1 or next_start <= start:
            raise NotProven(f"the change to epoch {epoch + 1} starts at height {next_start}, "
                            f"which does not follow its certificate's height {cert['height']}")
        start = next_start
        check_certificate(chain_id, epoch, vals, cert)
        new = [(bytes.fromhex(v["public_key"]), v.get("name", ""), v.get("address", ""))
               for v in change.get("validators", [])]
        if not new or set_hash(new) != cert["next_validators"]:
            raise NotProven(f"the change to epoch {epoch + 1} lists other validators than "
                            f"epoch {epoch}'s last certificate names")
        vals = new
    return vals, start


def bit(h, i):
    return (h[i // 8] >> (7 - i % 8)) & 1


def check_record(root, rec):
    """§4: membership of (key, value), or absence when value is missing."""
    k = sha256(rec["key"].encode())
    siblings = [bytes.fromhex(s) for s in rec.get("siblings", [])]
    leaf = None
    if "leaf_key_hash" in rec:
        leaf = (bytes.fromhex(rec["leaf_key_hash"]), bytes.fromhex(rec["leaf_value_hash"]))
    if "value" in rec:
        value_hash = sha256(bytes.fromhex(rec["value"]))
        if leaf != (k, value_hash):
            raise NotProven(f"record {rec['key']!r}: the leaf is not this key and value")
        cur = sha256(LEAF, k, value_hash)
    elif leaf is None:
        cur = b"\0" * 32
    else:
        if leaf[0] == k or any(bit(leaf[0], i) != bit(k, i) for i in range(len(siblings))):
            raise NotProven(f"record {rec['key']!r}: the leaf does not prove the key absent")
        cur = sha256(LEAF, *leaf)
    for i in reversed(range(len(siblings))):
        cur = sha256(NODE, siblings[i], cur) if bit(k, i) else sha256(NODE, cur, siblings[i])
    if cur != root:
        raise NotProven(f"record {rec['key']!r}: the path does not lead to the state root")


def verify(answer, genesis, max_age_s=300, now_s=None):
    proof = answer.get("proof")
    if not proof:
        raise NotProven("the answer carries no proof")
    chain_id, vals = genesis_set(genesis)
    cert = decode_certificate(bytes.fromhex(proof.get("certificate", "")))
    vals, start = walk_epochs(chain_id, vals, cert["epoch"], proof.get("epoch_changes", []))
    if cert["height"] < start:
        raise NotProven(f"the certificate of height {cert['height']} is of epoch {cert['epoch']}, "
                        f"which starts at height {start}")
    signers = check_certificate(chain_id, cert["epoch"], vals, cert)
    if int(proof.get("height", -1)) != cert["height"]:
        raise NotProven("the proof's height is not the certified one")
    if bytes.fromhex(proof.get("state_root", "")) != cert["state_root"]:
        raise NotProven("the proof's state root is not the certified one")
    age = (now_s if now_s is not None else time.time()) - cert["time_ms"] / 1000
    if max_age_s and age > max_age_s:
        raise NotProven(f"the proof is stale: {age:.0f} s old, more than {max_age_s} s")
    records = {}
    for rec in proof.get("records", []):
        check_record(cert["state_root"], rec)
        records[rec["key"]] = bytes.fromhex(rec["value"]) if "value" in rec else None
    if not records:
        raise NotProven("the proof carries no records")
    return cert, signers, records


def main(argv):
    if len(argv) not in (3, 5) or (len(argv) == 5 and argv[3] != "--max-age"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        answer = json.load(f)
    with open(argv[2]) as f:
        genesis = json.load(f)
    try:
        cert, signers, records = verify(answer, genesis, int(argv[4]) if len(argv) == 5 else 300)
    except (NotProven, ValueError, KeyError) as e:
        print(f"NOT PROVEN: {e}")
        return 1
    for key, value in records.items():
        print(f"  {key}: " + (f"{len(value)} bytes, sha256 {sha256(value).hex()[:16]}…"
                              if value is not None else "absent"))
    print(f"PROVEN at height {cert['height']} (epoch {cert['epoch']}) by validators "
          f"{','.join(signers)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
