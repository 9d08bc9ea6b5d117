"""A tampering HTTP proxy for `laurel audit` tests: forwards GET requests to a node and, in the
binary laurel.v1.BlockRange answers of GET /v1/blocks, changes one thing at one height (or, in
mode "drop_certificates", removes the state certificate of every height); in mode
"consistency_proof" it changes one hex digit of the first hash of every JSON answer of
GET /v1/log/proof/consistency instead.

The protobuf bytes are edited with a tiny hand-written wire-format codec (varint and
length-delimited fields only, which is all chain.proto and state.proto use), so the proxy needs
nothing beyond the Python standard library.

Field numbers (proto/laurel/v1/chain.proto, state.proto, tx.proto):
  BlockRange       1 blocks (ChainBlock)
  ChainBlock       1 block (StoredBlock), 2 state_certificate (StateCertificate)
  StoredBlock      1 meta (BlockMeta), 2 txs (Tx), 3 header, 4 certificate, 5 results (packed)
  BlockMeta        1 height, 6 state_root
  Tx               1 body, 2 signatures (Signature: 1 public_key, 2 signature)
  StateCertificate 3 state_root (hex string)
"""

import http.server
import json
import threading
import urllib.error
import urllib.request

PROTOBUF = "application/x-protobuf"


# ---- protobuf wire format ------------------------------------------------------------------

def _read_varint(b, i):
    shift = value = 0
    while True:
        byte = b[i]
        i += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, i
        shift += 7


def _varint(v):
    out = bytearray()
    while True:
        byte = v & 0x7F
        v >>= 7
        if v:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def parse(b):
    """[(field, wire_type, value)]: int for varints, bytes for length-delimited fields."""
    fields, i = [], 0
    while i < len(b):
        key, i = _read_varint(b, i)
        field, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _read_varint(b, i)
        elif wt == 2:
            n, i = _read_varint(b, i)
            v, i = bytes(b[i:i + n]), i + n
        else:
            raise ValueError(f"wire type {wt} is not used by laurel's chain messages")
        fields.append((field, wt, v))
    return fields


def encode(fields):
    out = bytearray()
    for field, wt, v in fields:
        out += _varint(field << 3 | wt)
        if wt == 0:
            out += _varint(v)
        else:
            out += _varint(len(v)) + v
    return bytes(out)


def first(fields, number, default=None):
    for f, _, v in fields:
        if f == number:
            return v
    return default


def _replace(fields, number, fn, index=0):
    """Applies fn to the index-th occurrence of field `number`; True when there was one."""
    seen = 0
    for k, (f, wt, v) in enumerate(fields):
        if f == number:
            if seen == index:
                fields[k] = (f, wt, fn(v))
                return True
            seen += 1
    return False


def _flip_last_byte(v):
    return v[:-1] + bytes([v[-1] ^ 0x01])


# ---- tampering of one ChainBlock ----------------------------------------------------------

def tamper_chain_block(cb_bytes, mode):
    """Returns the changed ChainBlock bytes, or None when `mode` has nothing to change here."""
    cb = parse(cb_bytes)
    block = parse(first(cb, 1, b""))
    changed = False
    if mode == "tx_signature":
        def tx_fn(tx_bytes):
            tx = parse(tx_bytes)
            _replace(tx, 2, lambda s: encode(_with(parse(s), 2, _flip_last_byte)))
            return encode(tx)
        changed = _replace(block, 2, tx_fn)
    elif mode == "tx_body":
        def tx_fn(tx_bytes):
            tx = parse(tx_bytes)
            _replace(tx, 1, _flip_last_byte)
            return encode(tx)
        changed = _replace(block, 2, tx_fn)
    elif mode == "result_code":
        # results are packed varints: the first one (OK = 0) becomes UNAUTHORIZED-ish 13.
        def results_fn(packed):
            v, i = _read_varint(packed, 0)
            return _varint(13 if v != 13 else 0) + packed[i:]
        changed = _replace(block, 5, results_fn)
    elif mode == "stored_state_root":
        changed = _replace(block, 1, lambda m: encode(_with(parse(m), 6, _flip_last_byte)))
    elif mode == "certificate_state_root":
        def cert_fn(c):
            return encode(_with(parse(c), 3, lambda h: (b"0" if h[:1] != b"0" else b"1") + h[1:]))
        changed = _replace(cb, 2, cert_fn)
    elif mode == "drop_certificates":
        kept = [f for f in cb if f[0] != 2]
        if len(kept) == len(cb):
            return None
        return encode(kept)
    else:
        raise ValueError(f"unknown tampering mode {mode}")
    if not changed:
        return None
    _replace(cb, 1, lambda _: encode(block))
    return encode(cb)


def _with(fields, number, fn):
    _replace(fields, number, fn)
    return fields


def tamper_range(body, height, mode):
    """The BlockRange `body` with the block at `height` tampered (when it is in the range).
    Returns (bytes, whether something changed)."""
    out, hit = [], False
    for f, wt, v in parse(body):
        if f == 1 and wt == 2:
            meta = parse(first(parse(first(parse(v), 1, b"")), 1, b""))
            if mode == "drop_certificates" or first(meta, 1, 0) == height:
                t = tamper_chain_block(v, mode)
                if t is not None:
                    v, hit = t, True
        out.append((f, wt, v))
    return encode(out), hit


def tamper_consistency(body):
    """A GET /v1/log/proof/consistency answer with one hex digit of its first proof hash
    changed. Returns (bytes, whether something changed)."""
    j = json.loads(body)
    proof = j.get("proof") or []
    if not proof:
        return body, False
    h = proof[0]
    proof[0] = ("1" if h[0] == "0" else "0") + h[1:]
    return json.dumps(j).encode(), True


# ---- the proxy -----------------------------------------------------------------------------

class TamperProxy:
    """A proxy on 127.0.0.1 (ephemeral port) in front of `upstream`. Use as a context manager;
    `url` is its address, `tampered` counts the answers it changed."""

    def __init__(self, upstream, height, mode):
        self.upstream = upstream.rstrip("/")
        self.height = height
        self.mode = mode
        self.tampered = 0
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as laurel's HTTP client expects

            def do_GET(self):
                headers = {}
                if self.headers.get("Accept"):
                    headers["Accept"] = self.headers["Accept"]
                req = urllib.request.Request(proxy.upstream + self.path, headers=headers)
                try:
                    with urllib.request.urlopen(req, timeout=60) as r:
                        status, body, ctype = r.status, r.read(), r.headers.get("Content-Type")
                except urllib.error.HTTPError as e:
                    status, body, ctype = e.code, e.read(), e.headers.get("Content-Type")
                if (status == 200 and proxy.mode == "consistency_proof" and
                        self.path.startswith("/v1/log/proof/consistency")):
                    body, hit = tamper_consistency(body)
                    if hit:
                        proxy.tampered += 1
                elif status == 200 and self.path.startswith("/v1/blocks?") and ctype == PROTOBUF:
                    body, hit = tamper_range(body, proxy.height, proxy.mode)
                    if hit:
                        proxy.tampered += 1
                self.send_response(status)
                self.send_header("Content-Type", ctype or "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
        return False
