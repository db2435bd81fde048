#!/usr/bin/env bash
# Quick start 2/2: install skytally with its dev tools and run lint, types and tests.
# PostgreSQL and Redis tests run when SKYTALLY_TEST_POSTGRES_URL / SKYTALLY_TEST_REDIS_URL
# are set; browser tests need Debian's chromium (installed here when running as root).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SKYTALLY_EXTRAS="[dev]"
# shellcheck disable=SC1091
. "$ROOT/scripts/bootstrap.sh"
if [ ! -x /usr/bin/chromium ]; then apt_install chromium || echo "browser tests will be skipped" >&2; fi
# The emulator's conformance tests drive Microsoft's Azure CLI (tests/emulator/test_azure_cli.py)
# from its own virtualenv, made once and reused across runs (.cache/azure-cli-venv).
AZ_VENV="$ROOT/.cache/azure-cli-venv"
if [ ! -x "$AZ_VENV/bin/az" ]; then
  echo "== Azure CLI (once, into $AZ_VENV)"
  if ! { python -m venv "$AZ_VENV" && "$AZ_VENV/bin/pip" install -q --disable-pip-version-check "azure-cli>=2.60"; }; then
    rm -rf "$AZ_VENV"
    echo "Azure CLI could not be installed: its conformance tests will be skipped" >&2
  fi
fi
# The FOCUS export is checked with the FinOps Foundation's validator (needs Python >= 3.12),
# installed once into .cache/focus-validator-venv (tests/costs/test_focus_validator.py).
bash "$ROOT/scripts/focus_validator.sh" >/dev/null || true

start=$(date +%s)
echo "== ruff"; ruff check src tests bench
echo "== mypy (services)"; mypy src/skytally --exclude 'src/skytally/(web|api|cli)/'
echo "== import contracts"; lint-imports
echo "== pytest"
python -m pytest -n "${SKYTALLY_TEST_WORKERS:-2}" "$@"
echo "== total $(( $(date +%s) - start )) s"
