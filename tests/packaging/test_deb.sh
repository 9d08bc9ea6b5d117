#!/usr/bin/env bash
# The Debian package (docs/packaging.md): builds it with CPack from BUILD_DIR, checks its
# control data, its files and its systemd unit (systemd-analyze verify: any message fails),
# then unpacks it into a scratch folder and runs a one-validator chain from the unpacked laureld
# with the packaged configuration and console. With LAUREL_DEB_INSTALL=1 (root; changes the
# machine) it also installs the package with dpkg -i, checks the user, folders and unit, runs the
# node as the laurel user without systemd, and purges it again.
# Usage: tests/packaging/test_deb.sh BUILD_DIR [PORT_OFFSET]
set -euo pipefail
BUILD=$(cd "${1:?usage: test_deb.sh BUILD_DIR [PORT_OFFSET]}" && pwd)
OFFSET=${2:-140}
RPC_PORT=$((18700 + OFFSET))
P2P_PORT=$((18800 + OFFSET))
WORK=$(mktemp -d /tmp/laurel-deb-test.XXXXXX)
PIDS=()
checks=0
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); echo "ok   $*"; }

# ---- build ----
rm -f "$BUILD"/package/laurel_*.deb
(cd "$BUILD" && cpack -G DEB >"$WORK/cpack.log" 2>&1) || { cat "$WORK/cpack.log"; fail "cpack failed"; }
VERSION=$(sed -n 's/^project(laurel VERSION \([0-9.]*\).*/\1/p' "$(dirname "$0")/../../CMakeLists.txt")
DEB=$BUILD/package/laurel_${VERSION}_amd64.deb
[ -f "$DEB" ] || fail "$DEB was not built"
ok "built $(basename "$DEB") ($(stat -c %s "$DEB") bytes)"

# ---- control data ----
field() { dpkg-deb -f "$DEB" "$1"; }
[ "$(field Package)" = laurel ] || fail "Package: $(field Package)"
[ "$(field Version)" = "$VERSION" ] || fail "Version: $(field Version)"
[ "$(field Architecture)" = amd64 ] || fail "Architecture: $(field Architecture)"
deps=$(field Depends)
for d in adduser librocksdb libsodium libprotobuf libssl3 libc6; do
  grep -q "$d" <<<"$deps" || fail "Depends lacks $d: $deps"
done
ok "control: laurel $VERSION amd64, Depends: $deps"
mkdir -p "$WORK/control"
dpkg-deb -e "$DEB" "$WORK/control"
[ "$(cat "$WORK/control/conffiles")" = /etc/laurel/laureld.toml ] || fail "conffiles: $(cat "$WORK/control/conffiles")"
for s in postinst prerm postrm; do
  [ -x "$WORK/control/$s" ] || fail "no executable $s"
  sh -n "$WORK/control/$s" || fail "$s: shell syntax"
done
grep -q "adduser --system --group" "$WORK/control/postinst" || fail "postinst creates no system user"
ok "conffiles, postinst (system user laurel), prerm, postrm"

# ---- files ----
dpkg-deb -c "$DEB" | awk '{print $6}' >"$WORK/files"
for f in ./usr/bin/laureld ./usr/bin/laurel ./lib/systemd/system/laureld.service \
         ./etc/laurel/laureld.toml ./usr/share/laurel/console/index.html \
         ./usr/share/laurel/console/gate.html ./usr/share/laurel/console/issuer.html \
         ./usr/share/laurel/console/vendor.js ./usr/share/laurel/console/openapi.yaml \
         ./usr/share/doc/laurel/operator.md ./usr/share/doc/laurel/openapi.yaml \
         ./usr/share/laurel/monitoring/laurel-dashboard.json \
         ./usr/share/laurel/monitoring/laurel-alerts.yml; do
  grep -qx "$f" "$WORK/files" || fail "the package lacks $f"
done
if grep -E 'CMakeFiles|cmake_install|node_modules|\.o$' "$WORK/files"; then fail "build leftovers in the package"; fi
ok "files: $(grep -vc '/$' "$WORK/files") files, binaries, unit, config, console, docs; no build leftovers"

# ---- unpacked: unit and a running node ----
ROOTFS=$WORK/root
dpkg-deb -x "$DEB" "$ROOTFS"
UNIT=$ROOTFS/lib/systemd/system/laureld.service
for k in "User=laurel" "ProtectSystem=strict" "StateDirectory=laurel" "NoNewPrivileges=yes" \
         "ExecStart=/usr/bin/laureld --config /etc/laurel/laureld.toml"; do
  grep -qx "$k" "$UNIT" || fail "unit lacks $k"
done
mkdir -p "$WORK/unit"
# The unit as installed, its binary path moved to the unpacked one (verify wants it executable).
sed "s#/usr/bin/laureld#$ROOTFS/usr/bin/laureld#" "$UNIT" >"$WORK/unit/laureld.service"
if command -v systemd-analyze >/dev/null; then
  out=$(systemd-analyze verify "$WORK/unit/laureld.service" 2>&1) || fail "systemd-analyze verify: $out"
  [ -z "$out" ] || fail "systemd-analyze verify complained: $out"
  exposure=$(systemd-analyze security --offline=yes "$WORK/unit/laureld.service" 2>/dev/null |
             sed -n 's/.*Overall exposure level for laureld.service: \([0-9.]*\).*/\1/p')
  ok "systemd-analyze verify: clean; security exposure ${exposure:-?} (0 best, 10 worst)"
  awk -v e="${exposure:-10}" 'BEGIN { exit !(e < 3.0) }' || fail "unit exposure $exposure is not below 3.0"
else
  echo "skip systemd-analyze (not installed)"
fi

L=$ROOTFS/usr/bin/laurel
D=$ROOTFS/usr/bin/laureld
"$D" --help | grep -q -- "--config" || fail "laureld --help"
"$L" --help | grep -q "keygen" || fail "laurel --help"
ETC=$WORK/etc
mkdir -p "$ETC" "$WORK/var"
"$L" keygen --out "$ETC/node.key" >/dev/null
"$L" keygen --out "$WORK/admin.key" >/dev/null
"$L" genesis --chain-id laurel-deb --validator-key "$ETC/node.key=node@127.0.0.1:$P2P_PORT" \
  --admin-key "$WORK/admin.key" --threshold 1 --out "$ETC/genesis.json" >/dev/null
# The packaged configuration with its paths moved into the scratch folder and the console on.
sed -e "s#/var/lib/laurel#$WORK/var#; s#/etc/laurel/#$ETC/#g" \
    -e "s#^listen = \"0.0.0.0:8800\"#listen = \"127.0.0.1:$P2P_PORT\"#" \
    -e "s#^listen = \"127.0.0.1:8700\"#listen = \"127.0.0.1:$RPC_PORT\"#" \
    -e "s|^# console_dir = \"/usr/share/laurel/console\"|console_dir = \"$ROOTFS/usr/share/laurel/console\"|" \
    "$ROOTFS/etc/laurel/laureld.toml" >"$ETC/laureld.toml"
grep -q "console_dir = \"$ROOTFS" "$ETC/laureld.toml" || fail "could not enable the console in the packaged config"
"$D" --config "$ETC/laureld.toml" >"$WORK/laureld.log" 2>&1 &
PIDS+=($!)
height=0
for _ in $(seq 1 100); do
  height=$(curl -sf "http://127.0.0.1:$RPC_PORT/v1/status" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["height"])' 2>/dev/null || echo 0)
  [ "$height" -ge 3 ] && break
  sleep 0.2
done
[ "$height" -ge 3 ] || { tail -20 "$WORK/laureld.log"; fail "the unpacked node did not commit (height $height)"; }
code=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "http://127.0.0.1:$RPC_PORT/console/")
[ "$code" = "302 http://127.0.0.1:$RPC_PORT/console/index.html" ] || fail "/console/: $code"
# (Whole answers first: `curl | grep -q` fails under pipefail when grep stops reading early.)
page=$(curl -sf "http://127.0.0.1:$RPC_PORT/console/gate.html") || fail "gate.html not served"
grep -q 'gate.js' <<<"$page" || fail "gate.html is not the console's"
spec=$(curl -sf "http://127.0.0.1:$RPC_PORT/openapi.yaml") || fail "/openapi.yaml not served"
grep -q '^openapi: 3.1' <<<"$spec" || fail "/openapi.yaml is not the OpenAPI document"
# A transaction commits through the packaged consensus settings (the quorum store with one
# validator: its own acknowledgement is the proof).
"$L" keygen --out "$WORK/fed.key" >/dev/null
reg=$("$L" issuer register --rpc "http://127.0.0.1:$RPC_PORT" --id deb-fed --name "测试总工会" \
  --issuer-key "$WORK/fed.key" --grant member --key "$WORK/admin.key" 2>&1) ||
  { tail -20 "$WORK/laureld.log"; fail "issuer register on the unpacked node: $reg"; }
grep -Eq '^result +OK' <<<"$reg" || fail "issuer register did not commit OK: $reg"
ok "unpacked laureld with the packaged config: height $height, a transaction committed, console and /openapi.yaml served"
kill "${PIDS[0]}"; wait "${PIDS[0]}" 2>/dev/null || true; PIDS=()

# ---- installed for real (opt-in) ----
if [ "${LAUREL_DEB_INSTALL:-0}" = 1 ]; then
  [ "$(id -u)" = 0 ] || fail "LAUREL_DEB_INSTALL=1 needs root"
  if dpkg-query -W laurel >/dev/null 2>&1; then fail "laurel is already installed here: not touching it"; fi
  dpkg -i "$DEB" >"$WORK/dpkg.log" 2>&1 || { cat "$WORK/dpkg.log"; fail "dpkg -i"; }
  trap 'dpkg --purge laurel >/dev/null 2>&1 || true; cleanup' EXIT
  getent passwd laurel >/dev/null || fail "no laurel user after install"
  [ "$(stat -c '%U %a' /var/lib/laurel)" = "laurel 750" ] || fail "/var/lib/laurel: $(stat -c '%U %a' /var/lib/laurel)"
  [ -f /lib/systemd/system/laureld.service ] || fail "unit not installed"
  cp "$ETC/genesis.json" /etc/laurel/genesis.json
  cp "$ETC/node.key" /etc/laurel/node.key
  chown laurel:laurel /etc/laurel/node.key
  sed -i "s#^listen = \"0.0.0.0:8800\"#listen = \"127.0.0.1:$P2P_PORT\"#; s#^listen = \"127.0.0.1:8700\"#listen = \"127.0.0.1:$RPC_PORT\"#" /etc/laurel/laureld.toml
  runuser -u laurel -- /usr/bin/laureld --config /etc/laurel/laureld.toml >"$WORK/installed.log" 2>&1 &
  PIDS+=($!)
  height=0
  for _ in $(seq 1 100); do
    height=$(curl -sf "http://127.0.0.1:$RPC_PORT/v1/status" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["height"])' 2>/dev/null || echo 0)
    [ "$height" -ge 3 ] && break
    sleep 0.2
  done
  [ "$height" -ge 3 ] || { tail -20 "$WORK/installed.log"; fail "the installed node did not commit"; }
  [ "$(stat -c %U /var/lib/laurel/db 2>/dev/null || stat -c %U "$(ls -d /var/lib/laurel/* | head -1)")" = laurel ] || fail "state not owned by laurel"
  kill "${PIDS[0]}"; wait "${PIDS[0]}" 2>/dev/null || true; PIDS=()
  rm -f /etc/laurel/genesis.json /etc/laurel/node.key
  dpkg --purge laurel >"$WORK/dpkg.log" 2>&1 || { cat "$WORK/dpkg.log"; fail "dpkg --purge"; }
  [ ! -e /usr/bin/laureld ] && [ ! -e /etc/laurel/laureld.toml ] || fail "purge left files"
  rm -rf /var/lib/laurel
  ok "dpkg -i: user laurel, /var/lib/laurel 0750, unit installed; node ran as laurel to height $height; purged"
else
  echo "skip dpkg -i (set LAUREL_DEB_INSTALL=1 as root to install the package for real)"
fi
echo "$checks passed, 0 failed"
