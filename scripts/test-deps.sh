#!/usr/bin/env bash
# Installs what mimamori's tests need on a fresh machine. Idempotent: a second run only checks.
#
#  - Python `holidays` (PyPI), pinned, in ./.venv: the independent dataset the holiday tests
#    compare against (crates/policy/tests/holidays_reference.rs).
set -euo pipefail
cd "$(dirname "$0")/.."

HOLIDAYS_VERSION=0.109

if ! .venv/bin/python -c "import holidays, sys; sys.exit(holidays.__version__ != '$HOLIDAYS_VERSION')" 2>/dev/null; then
  echo "test-deps: installing Python holidays==$HOLIDAYS_VERSION into .venv"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check "holidays==$HOLIDAYS_VERSION"
fi
