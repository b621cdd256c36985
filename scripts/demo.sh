#!/usr/bin/env bash
# Sets everything up and runs the end-to-end demo (which starts its own Neo4j under $MISHON_HOME/demo).
# Extra arguments go to `mishon demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec .venv/bin/mishon demo "$@"
