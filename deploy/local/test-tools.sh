#!/usr/bin/env bash
# What `make test` needs besides the stack (which installs Java, Maven and Postgres itself):
# Debian's chromium, for the occupancy board's browser test (tests/e2e/test_board.py).
# Installed when missing and we run as root, as the stack does for Postgres; otherwise
# stop at once with the command to run, rather than fail the last test twenty minutes later.
#   CHROMIUM   the browser to look for (default: chromium on the PATH)
#   RESETTLE_INSTALL=no   never install, only say what is missing
set -euo pipefail

browser=${CHROMIUM:-chromium}
command -v "$browser" >/dev/null 2>&1 && exit 0

if [[ $EUID -eq 0 && ${RESETTLE_INSTALL:-yes} != no ]] && command -v apt-get >/dev/null; then
  echo "[make test] installing Debian's chromium (apt-get install chromium)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >&2
  command -v "$browser" >/dev/null 2>&1 && exit 0
fi
echo "[make test] Debian's chromium is missing (the board's browser test drives it)." >&2
echo "[make test] Install it, then run make test again:  sudo apt-get install -y chromium" >&2
exit 1
