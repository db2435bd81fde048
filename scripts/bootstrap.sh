#!/usr/bin/env bash
# Creates .venv and installs skytally into it (sourced by demo.sh and test.sh).
# Needs only Python ≥ 3.11; as root on Debian it installs what is missing (venv, chromium).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"
EXTRAS="${SKYTALLY_EXTRAS:-}"

apt_install() {
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    [ -n "${_APT_UPDATED:-}" ] || { apt-get update -qq >/dev/null; _APT_UPDATED=1; }
    apt-get install -y -qq "$@" >/dev/null
  else
    echo "please install: $* (e.g. sudo apt-get install $*)" >&2
    return 1
  fi
}

if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
  echo "skytally needs Python 3.11 or newer as '$PY' (set PYTHON=/path/to/python3.11)" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  if ! "$PY" -m venv .venv >/dev/null 2>&1; then
    rm -rf .venv
    apt_install python3-venv
    "$PY" -m venv .venv
  fi
fi
# shellcheck disable=SC1091
. .venv/bin/activate
python -m pip install -q --disable-pip-version-check --upgrade pip
python -m pip install -q --disable-pip-version-check -e ".${EXTRAS}"
