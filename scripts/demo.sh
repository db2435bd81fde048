#!/usr/bin/env bash
# Quick start 1/2: install skytally and run the demo (server, worker, sample data).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck disable=SC1091
. "$ROOT/scripts/bootstrap.sh"
exec skytally demo "$@"
