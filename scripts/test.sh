#!/usr/bin/env bash
# Sets everything up, then runs the whole test suite (unit, integration on a real Neo4j that the
# tests start themselves, slow end-to-end tests, and the Neo4j Browser test). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
.venv/bin/ruff check .
exec .venv/bin/python -m pytest -m "not gpu" "$@"
