#!/usr/bin/env bash
# Sets up everything mishon-graph needs on a fresh Debian/Ubuntu machine (idempotent):
# system packages (Java 17, Maven, ffmpeg, Chromium for the Browser test), a virtualenv with the
# package and its dev extras, and the Neo4j Community jars (resolved with mvn).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"

need_pkgs=()
command -v java >/dev/null || need_pkgs+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || need_pkgs+=(maven)
command -v ffmpeg >/dev/null || need_pkgs+=(ffmpeg)
if [ "${MISHON_SKIP_BROWSER:-0}" != "1" ]; then
  command -v chromium >/dev/null || need_pkgs+=(chromium)
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "== installing system packages: ${need_pkgs[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv"
  "$PY" -m venv .venv
fi
echo "== installing Python packages (cached by pip after the first time)"
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev]'
# The offline profile's audio encoder: its metadata pins numpy 1.23/librosa 0.9, which it does not need
# here (mishon computes the spectrogram itself), so it is installed without dependencies.
.venv/bin/python -m pip install -q --no-deps aisfx==0.1.2

echo "== resolving Neo4j Community with mvn"
.venv/bin/mishon db install
