#!/usr/bin/env bash
# Installs nx-27017 (PyPI: a MongoDB wire-protocol server on SQLite) into .tools/nx, for the
# tests that run Packrun's MongoDB paths without a MongoDB server (PACKRUN_TEST_NX27017=1).
# Run by scripts/setup.sh when PACKRUN_SETUP_NX27017=1, and by the tests' helper when it is
# missing; rebuilt only when the pins in test/fixtures/nx-27017/requirements.txt change.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$repo/.tools"
nx="$tools/nx"
requirements="$repo/test/fixtures/nx-27017/requirements.txt"
cmp -s "$requirements" "$nx/.requirements.txt" && exit 0
printf '==> installing nx-27017 into %s\n' "${nx#"$repo"/}"
rm -rf "$nx"
"$tools/bin/uv" venv --quiet --python "${PACKRUN_PYTHON:-python3}" "$nx"
"$tools/bin/uv" pip install --quiet --python "$nx/bin/python" -r "$requirements"
cp "$requirements" "$nx/.requirements.txt"
