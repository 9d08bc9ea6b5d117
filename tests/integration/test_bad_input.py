"""Bad input against real nodes:
  - garbage and oversized RPC bodies get a 4xx and the node keeps committing;
  - raw garbage bytes and an oversized length prefix sent to a P2P port close only that
    connection (also an oversized frame header sent inside an authenticated TLS session);
  - a peer whose key is not in the validator set is refused at the TLS handshake
    (openssl s_client with a fresh self-signed Ed25519 certificate);
and through all of it the network keeps committing transactions."""

import base64
import os
import secrets
import socket
import ssl
import subprocess
import time

from laurel_client import (Testnet, build_tx_pool, check, committed_location, http,
                           key_file_to_pem,
                           log, main_wrapper, new_foreign_cert, parse_args, post_tx,
                           self_signed_cert, wait_for)


def commit_one(net, pool, node):
    tx = pool.pop()
    status, obj = post_tx(net.url(node), tx.json, wait=True, timeout=30)
    loc = committed_location(status, obj)
    check(loc is not None and loc[2] == "OK", f"a valid tx to node{node}: HTTP {status} {obj}")
    return loc


def still_committing(net, pool, what):
    net.wait_progress(range(net.n), 2, 30)
    for i in range(net.n):
        commit_one(net, pool, i)
    log(f"after {what}: every node still commits")


def raw_http(port, head, body_len, chunk=b"A" * 65536, timeout=15):
    """Sends a request head then `body_len` bytes (stopping if the server closes); returns the
    status line's code, or None if the connection closed without an answer."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(head)
        sent = 0
        try:
            while sent < body_len:
                n = min(len(chunk), body_len - sent)
                s.sendall(chunk[:n])
                sent += n
        except OSError:
            pass  # the server may answer and close before reading everything
        data = b""
        try:
            while b"\r\n" not in data:
                got = s.recv(4096)
                if not got:
                    break
                data += got
        except OSError:
            pass
        if not data.startswith(b"HTTP/1."):
            return None
        return int(data.split(b" ", 2)[1])
    finally:
        s.close()


def rpc_bad_input(net, pool):
    url = net.url(0)
    port = net.rpc_base
    cases = [
        ("not JSON", b"this is not json {{{", "application/json"),
        ("empty body", b"", "application/json"),
        ("JSON of the wrong shape", b'{"body": 12, "signatures": "x"}', "application/json"),
        ("unknown field", b'{"body": "AAAA", "nonsense": 1}', "application/json"),
        ("bad base64", b'{"body": "!!!not base64!!!", "signatures": []}', "application/json"),
        ("garbage tx body bytes", b'{"body": "' + base64.b64encode(
            secrets.token_bytes(200)) + b'", "signatures": []}', "application/json"),
        ("binary protobuf garbage", secrets.token_bytes(300), "application/x-protobuf"),
        ("JSON array", b"[1,2,3]", "application/json"),
    ]
    for what, body, ctype in cases:
        status, obj = http("POST", url + "/v1/txs?wait=commit", body, {"Content-Type": ctype}, 15)
        check(400 <= status < 500, f"POST /v1/txs with {what}: expected 4xx, got {status} {obj}")
        log(f"RPC {what}: HTTP {status}")
    for path, what in [("/v1/txs/zz-not-hex", "bad tx id"),
                       ("/v1/blocks/not-a-number", "bad height"),
                       ("/v1/blocks/99999999999", "height beyond the tip"),
                       ("/v1/no-such-route", "unknown route")]:
        status, obj = http("GET", url + path, timeout=10)
        check(400 <= status < 500, f"GET {path} ({what}): expected 4xx, got {status} {obj}")
        log(f"RPC GET {what}: HTTP {status}")

    # A body over rpc.max_body_bytes (1 MiB), declared up front.
    size = 3 << 20
    head = (f"POST /v1/txs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {size}\r\n\r\n").encode()
    code = raw_http(port, head, size)
    check(code is not None and 400 <= code < 500,
          f"oversized ({size} bytes) RPC body: expected a 4xx answer, got {code}")
    log(f"RPC oversized body ({size} bytes, Content-Length): HTTP {code}")
    # The same without a Content-Length (chunked), so the size is only known while reading.
    head = (b"POST /v1/txs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    chunk = b"10000\r\n" + b"A" * 0x10000 + b"\r\n"
    code = raw_http(port, head, len(chunk) * 48, chunk=chunk)
    check(code is not None and 400 <= code < 500,
          f"oversized chunked RPC body: expected a 4xx answer, got {code}")
    log(f"RPC oversized chunked body (3 MiB): HTTP {code}")
    still_committing(net, pool, "bad RPC input")


def read_until_closed(sock, what, timeout=10):
    """Reads until the node closes the connection (EOF, reset or a TLS alert) within `timeout`.
    Returns the number of application bytes received before."""
    sock.settimeout(timeout)
    deadline = time.monotonic() + timeout
    received = 0
    while time.monotonic() < deadline:
        try:
            got = sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            return received
        except ssl.SSLError as e:
            log(f"{what}: TLS error on read: {e.reason or e}")
            return received
        except socket.timeout:
            break
        if not got:
            return received
        received += len(got)
    raise AssertionError(f"{what}: the node kept the connection open for {timeout}s")


def read_for(sock, seconds):
    """Reads for `seconds`; returns (application bytes received, whether still open)."""
    deadline = time.monotonic() + seconds
    received = 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return received, True
        sock.settimeout(left)
        try:
            got = sock.recv(65536)
        except socket.timeout:
            return received, True
        except (OSError, ssl.SSLError):
            return received, False
        if not got:
            return received, False
        received += len(got)


def tls_client(cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if cert:
        ctx.load_cert_chain(cert, key)
    return ctx


def p2p_raw_garbage(net, pool):
    target = 0
    for what, payload in [("garbage bytes", secrets.token_bytes(4096)),
                          ("an oversized length prefix (plaintext)",
                           b"\xff\xff\xff\xff" + secrets.token_bytes(64)),
                          ("an HTTP request", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")]:
        s = socket.create_connection(("127.0.0.1", net.p2p_port(target)), timeout=10)
        try:
            try:
                s.sendall(payload)
            except OSError:
                pass
            deadline = time.monotonic() + 10
            # A TLS server may answer garbage with an alert before closing: read until EOF.
            s.settimeout(10)
            closed = False
            while time.monotonic() < deadline:
                try:
                    got = s.recv(4096)
                except (ConnectionResetError, BrokenPipeError):
                    closed = True
                    break
                except socket.timeout:
                    break
                if not got:
                    closed = True
                    break
            check(closed, f"P2P port given {what}: connection still open after 10s")
            log(f"P2P {what}: connection closed by node{target}")
        finally:
            s.close()
    st = net.status(target)
    check(int(st["peers_connected"]) == net.n - 1,
          f"node{target} lost peers after garbage on its P2P port: {st['peers_connected']}")
    still_committing(net, pool, "garbage on a P2P port")


def s_client(port, cert=None, key=None, hold=3):
    """Runs openssl s_client against a P2P port with stdin held open (and nothing sent) for
    `hold` seconds. Returns (exit code, output, whether the session was still open)."""
    cmd = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-tls1_3", "-ign_eof"]
    if cert:
        cmd += ["-cert", cert, "-key", key]
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    try:
        out, _ = p.communicate(timeout=hold)
        return p.returncode, out.decode("utf-8", "replace"), False
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
        return p.returncode, out.decode("utf-8", "replace"), True
    finally:
        if p.poll() is None:
            p.kill()


def dialer_and_target(net):
    """(me, target): the validators with the smallest and the largest key. `me` is the side
    that dials `target`, so `target` takes a new connection carrying `me`'s key as `me`
    reconnecting (docs: node/net/transport.h)."""
    keys = {i: net.node_pubkey(i) for i in range(net.n)}
    return min(keys, key=keys.get), max(keys, key=keys.get)


def validator_cert(net, i, folder):
    key_pem = os.path.join(folder, f"node{i}.key.pem")
    cert_pem = os.path.join(folder, f"node{i}.crt.pem")
    if not os.path.exists(cert_pem):
        key_file_to_pem(net.node_key(i), key_pem)
        self_signed_cert(key_pem, cert_pem, f"node{i}")
    return key_pem, cert_pem


def p2p_tls(net, pool, folder):
    """TLS on a P2P port. We borrow the identity of validator `me` while `me` is down (so that no
    live connection of `me` competes with ours) and talk to validator `target`:
      control: with `me`'s key the session is accepted (the node sends us protocol data);
      an oversized frame header inside that session closes it;
      a fresh self-signed Ed25519 certificate (openssl req -newkey ed25519) and no certificate
      at all are refused at the handshake, with no data sent to us;
    then `me` comes back, reconnects, and everyone commits."""
    me, target = dialer_and_target(net)
    port = net.p2p_port(target)
    others = [i for i in range(net.n) if i != me]
    vkey, vcert = validator_cert(net, me, folder)
    fkey, fcert = new_foreign_cert(folder)
    net.kill(me)
    wait_for(lambda: int(net.status(target)["peers_connected"]) == net.n - 2, 20,
             f"node{target} to notice node{me} is gone")

    # Control, with openssl s_client: the session stays up.
    rc, out, still_open = s_client(port, vcert, vkey)
    check(still_open and "alert" not in out.lower(),
          f"control: s_client with validator node{me}'s key was refused by node{target} "
          f"(rc {rc}):\n{out[-1500:]}")
    log(f"control: s_client with node{me}'s key holds a TLS session with node{target}")
    # Control, from Python: the node talks to us.
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with tls_client(vcert, vkey).wrap_socket(raw, server_hostname="127.0.0.1") as s:
            got, still_open = read_for(s, 3)
    check(still_open and got > 0, f"control: as node{me}, node{target} sent {got} bytes and "
          f"{'kept' if still_open else 'closed'} the session (expected data and an open session)")
    log(f"control: as node{me}, node{target} sent {got} bytes of protocol data in 3s")

    # An oversized frame header from an authenticated peer closes that connection.
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with tls_client(vcert, vkey).wrap_socket(raw, server_hostname="127.0.0.1") as s:
            s.sendall(b"\x7f\xff\xff\xff")  # 2 GiB declared; max_frame_bytes is 4 MiB
            t0 = time.monotonic()
            read_until_closed(s, "authenticated oversized frame header")
    log(f"P2P oversized frame header over TLS as node{me}: node{target} closed the connection "
        f"after {time.monotonic() - t0:.2f}s")

    # Keys outside the validator set, with openssl s_client.
    for what, c, k in [("a fresh self-signed Ed25519 certificate", fcert, fkey),
                       ("no client certificate", None, None)]:
        rc, out, still_open = s_client(port, c, k)
        alert = next((ln.strip() for ln in out.splitlines() if "alert" in ln.lower()), "")
        check(not still_open and alert,
              f"s_client with {what}: not refused at the handshake by node{target} "
              f"(rc {rc}, still open {still_open}):\n{out[-1500:]}")
        log(f"TLS with {what}: refused by node{target} (rc {rc}; {alert})")
    # ... and from Python: no application data ever arrives.
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        try:
            s = tls_client(fcert, fkey).wrap_socket(raw, server_hostname="127.0.0.1")
        except (ssl.SSLError, OSError) as e:
            log(f"python TLS with a foreign key: handshake failed: {e}")
        else:
            with s:
                try:
                    s.sendall(b"\x00\x00\x00\x04ping")
                except OSError:
                    pass
                got = read_until_closed(s, "TLS with a foreign key")
            check(got == 0, f"node{target} sent {got} bytes to a peer with a foreign key")
            log("python TLS with a foreign key: closed by the node, no data received")
    check(int(net.status(target)["peers_connected"]) == net.n - 2,
          f"node{target}'s peers changed after the foreign handshakes")
    net.wait_progress(others, 2, 60)
    log(f"nodes {others} kept committing throughout")

    net.start(me)
    wait_for(lambda: all(int(net.status(i)["peers_connected"]) == net.n - 1
                         for i in range(net.n)), 60, f"every node to have {net.n - 1} peers again")
    top = max(net.heights(others).values())
    net.wait_height([me], top, 60, f"node{me} to catch up to height {top}")
    still_committing(net, pool, "the TLS checks")


def test(args):
    with Testnet(args, "bad-input") as net:
        net.init()
        pool = build_tx_pool(net.laurel, net.key("city-fed"), 80)
        net.up()
        still_committing(net, pool, "start-up")
        folder = os.path.join(net.dir, "certs")
        os.makedirs(folder, exist_ok=True)
        rpc_bad_input(net, pool)
        p2p_raw_garbage(net, pool)
        p2p_tls(net, pool, folder)
        upto = min(net.heights(range(net.n)).values())
        net.assert_same_blocks(range(net.n), upto)
        log(f"block_id and state_root agree on all nodes at heights 1..{upto}")


if __name__ == "__main__":
    a = parse_args(default_offset=20)
    main_wrapper(lambda: test(a))
