#!/usr/bin/env bash
# The headless browser of the dashboard's tests (test/browser/): Debian's chromium, driven by the
# npm package playwright-core (a dev dependency; it never downloads a browser of its own).
# Installs chromium with apt-get when it is missing (needs root or sudo), then prints its path.
# Idempotent and fast when installed. Used by scripts/test.sh (npm test), hence by .ci/run.
set -euo pipefail
BIN="${PINPIPE_CHROMIUM:-/usr/bin/chromium}"
say() { echo "browser: $*" >&2; }

if [[ ! -x $BIN ]]; then
  command -v apt-get >/dev/null 2>&1 || { say "no apt-get here: install chromium with your package manager (or set PINPIPE_CHROMIUM)"; exit 1; }
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || { say "installing chromium needs root: run 'apt-get install chromium' as root"; exit 1; }
    SUDO=sudo
  fi
  log="${TMPDIR:-/tmp}/pinpipe-browser-apt.log"
  say "apt-get install chromium (log: $log)"
  {
    $SUDO apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core
  } >>"$log" 2>&1 || { say "apt-get install chromium failed; see $log"; tail -n 15 "$log" >&2; exit 1; }
fi
version="$("$BIN" --version 2>/dev/null)" || { say "$BIN does not run"; exit 1; }
say "$version"
echo "$BIN"
