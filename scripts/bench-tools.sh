#!/usr/bin/env bash
# Tools the benchmark uses when present (npm run bench:tools): wrk, a C HTTP load generator, for the
# API's closed-loop throughput figures (src/bench/wrk.ts). Debian/Ubuntu package; needs root or sudo.
set -euo pipefail
if command -v wrk >/dev/null 2>&1; then
  echo "bench-tools: wrk is installed ($(command -v wrk))"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "bench-tools: installing wrk needs root: run 'apt-get install wrk' as root" >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "bench-tools: no apt-get here: install wrk (https://github.com/wg/wrk) with your package manager" >&2
  exit 1
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk >/dev/null
echo "bench-tools: installed $(wrk --version 2>&1 | head -1)"
