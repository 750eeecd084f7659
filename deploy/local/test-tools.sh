#!/usr/bin/env bash
# What `make test` needs besides the stack (which installs Java, Maven and Postgres itself):
# Debian's chromium, for the browser tests (tests/e2e/test_board.py, tests/e2e/test_fieldapp.py),
# and npm, which fetches axe-core for the field app's accessibility test (tests/e2e/package.json)
# and esbuild and jsqr for the check of its built files (services/intake/fieldapp-build).
# Installed when missing and we run as root, as the stack does for Postgres; otherwise
# stop at once with the command to run, rather than fail the last test twenty minutes later.
#   CHROMIUM   the browser to look for (default: chromium on the PATH)
#   NPM        the npm to look for (default: npm on the PATH)
#   RESETTLE_INSTALL=no   never install, only say what is missing
set -euo pipefail

need() { # need COMMAND DEBIAN-PACKAGE WHAT-FOR
  local command=$1 package=$2 what_for=$3
  command -v "$command" >/dev/null 2>&1 && return 0
  if [[ $EUID -eq 0 && ${RESETTLE_INSTALL:-yes} != no ]] && command -v apt-get >/dev/null; then
    echo "[make test] installing Debian's $package (apt-get install $package)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package" >&2
    command -v "$command" >/dev/null 2>&1 && return 0
  fi
  echo "[make test] Debian's $package is missing ($what_for)." >&2
  echo "[make test] Install it, then run make test again:  sudo apt-get install -y $package" >&2
  exit 1
}

need "${CHROMIUM:-chromium}" chromium "the browser tests drive it"
need "${NPM:-npm}" npm "it fetches axe-core and the field app's build tools for its tests"
