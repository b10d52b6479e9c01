#!/usr/bin/env bash
# Install the console and open it on its embedded defaults: the built-in emulator behind
# a real pseudo-terminal, a throwaway SQLite record and a demo clinician.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh
python3 -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip
python -m pip install -q -e .
exec mfconsole --demo "$@"
