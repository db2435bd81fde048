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

start=$(date +%s)
echo "== ruff"; ruff check src tests bench
echo "== mypy (services)"; mypy src/skytally --exclude 'src/skytally/(web|api|cli)/'
echo "== import contracts"; lint-imports
echo "== pytest"
python -m pytest -n "${SKYTALLY_TEST_WORKERS:-2}" "$@"
echo "== total $(( $(date +%s) - start )) s"
