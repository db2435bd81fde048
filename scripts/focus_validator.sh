#!/usr/bin/env bash
# Install the FinOps Foundation's FOCUS validator (PyPI: focus-validator) into its own
# virtualenv, once: $SKYTALLY_FOCUS_VALIDATOR_VENV or <repo>/.cache/focus-validator-venv.
# It needs Python >= 3.12: the first found among python3.13, python3.12, pyenv's versions
# (~/.pyenv/versions/3.1[2-9]*) and the python3 on PATH. Prints the venv path; exits 1,
# saying why, when no such Python exists (the validator tests then skip).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${SKYTALLY_FOCUS_VALIDATOR_VENV:-$ROOT/.cache/focus-validator-venv}"
if [ -f "$VENV/.complete" ]; then echo "$VENV"; exit 0; fi

ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; }
PY=""
for cand in python3.13 python3.12 "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python python3; do
  if command -v "$cand" >/dev/null 2>&1 || [ -x "$cand" ]; then
    if ok "$cand"; then PY="$cand"; break; fi
  fi
done
if [ -z "$PY" ]; then
  echo "focus-validator needs Python >= 3.12 and none was found (python3.12/3.13, pyenv); the FOCUS validator tests will be skipped" >&2
  exit 1
fi
echo "== focus-validator (once, into $VENV, with $("$PY" -c 'import sys; print(sys.executable, sys.version.split()[0])'))" >&2
rm -rf "$VENV"
# pyarrow < 21: focus-validator pins numpy < 2, and newer pyarrow wheels need numpy 2
if "$PY" -m venv "$VENV" && "$VENV/bin/pip" install -q --disable-pip-version-check \
     "focus-validator==2.2.1" "pyarrow<21" >&2 && "$VENV/bin/focus-validator" --help >/dev/null; then
  touch "$VENV/.complete"
  echo "$VENV"
else
  rm -rf "$VENV"
  echo "focus-validator could not be installed: the FOCUS validator tests will be skipped" >&2
  exit 1
fi
