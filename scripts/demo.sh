#!/usr/bin/env bash
# Sets everything up, starts the local Neo4j and runs the end-to-end demo. Extra arguments go to `mishon demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
.venv/bin/mishon db start
exec .venv/bin/mishon demo "$@"
