#!/usr/bin/env bash
# Install the system packages the test suite needs, when missing (via apt-get when root).
# The PostgreSQL server binaries: the tests start a throw-away cluster with initdb/pg_ctl.
set -euo pipefail

have_pg() {
  command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1 && return 0
  compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null
}

missing=()
have_pg || missing+=(postgresql)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "Missing system packages: ${missing[*]}." >&2
  echo "Install them (Debian/Ubuntu: sudo apt-get install ${missing[*]}) and run make test again." >&2
  exit 1
fi
echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
