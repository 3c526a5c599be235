#!/usr/bin/env bash
# Installs what mimamori's tests need on a fresh machine. Idempotent: a second run only checks.
#
#  - PostgreSQL server (Debian `postgresql`): the governance store is tested on PostgreSQL as
#    well as SQLite; scripts/test starts a throwaway cluster.
#  - Python `holidays` (PyPI), pinned, in ./.venv: the independent dataset the holiday tests
#    compare against (crates/policy/tests/holidays_reference.rs).
set -euo pipefail
cd "$(dirname "$0")/.."

HOLIDAYS_VERSION=0.109
apt_packages=()

ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || apt_packages+=(postgresql)

if [ ${#apt_packages[@]} -gt 0 ]; then
  echo "test-deps: installing ${apt_packages[*]}"
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
fi

if ! .venv/bin/python -c "import holidays, sys; sys.exit(holidays.__version__ != '$HOLIDAYS_VERSION')" 2>/dev/null; then
  echo "test-deps: installing Python holidays==$HOLIDAYS_VERSION into .venv"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check "holidays==$HOLIDAYS_VERSION"
fi
