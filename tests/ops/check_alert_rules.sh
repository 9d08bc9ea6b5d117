#!/usr/bin/env bash
# The Prometheus alert rules (docs/ops/laurel-alerts.yml) load, and fire on the series that
# should fire them (tests/ops/alerts_test.yml). Exit 77 (skipped) only when promtool is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
if ! command -v promtool >/dev/null 2>&1; then
  echo "SKIPPED: promtool is not installed (Debian package 'prometheus'; scripts/install-deps installs it)"
  exit 77
fi
promtool check rules "$repo/docs/ops/laurel-alerts.yml"
cd "$here" && promtool test rules alerts_test.yml
echo "alert rules: checked and unit-tested"
