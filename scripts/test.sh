#!/usr/bin/env bash
# The project's test command: install the package with its test extras, lint, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh --with-postgres
python3 -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip
python -m pip install -q -e '.[test]'
ruff check .
export QT_QPA_PLATFORM=offscreen
set +e
# One worker per core: most tests wait on a device, a port or a database, not the CPU.
python -m pytest -q -n auto "$@"
status=$?
set -e
# pytest exits 5 when no test ran: that is a failure here, never a pass.
[ "$status" -eq 5 ] && { echo "no tests ran" >&2; exit 1; }
exit "$status"
