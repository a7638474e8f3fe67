#!/usr/bin/env bash
# Create .venv and install CallHeat into it; install Debian packages first when they
# are missing and we are root. Idempotent: a second run only checks.
#   scripts/bootstrap.sh          runtime install
#   scripts/bootstrap.sh test     runtime + test extras (+ Debian chromium and postgresql for tests)
set -euo pipefail
cd "$(dirname "$0")/.."
want=${1:-run}
VENV=.venv

apt_install() {
  # apt_install PKG... : install Debian packages if missing (root only), else explain.
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "bootstrap: installing Debian packages: ${missing[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "bootstrap: please install these Debian packages: ${missing[*]}" >&2
    return 1
  fi
}

PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3 || true)}
if [ -z "$PYTHON" ]; then
  apt_install python3 python3-venv
  PYTHON=$(command -v python3)
fi
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "bootstrap: CallHeat needs Python 3.11 or newer; $PYTHON is $("$PYTHON" -V 2>&1)" >&2
  exit 1
fi

if [ ! -x "$VENV/bin/python" ]; then
  if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
    rm -rf "$VENV"
    apt_install python3-venv
    "$PYTHON" -m venv "$VENV"
  fi
fi

extras=""
[ "$want" = test ] && extras="[test]"
stamp="$VENV/.installed-$want"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -e ".$extras"
  touch "$stamp"
fi

if [ "$want" = test ]; then
  # Browser tests drive Debian's Chromium (Playwright's own download cannot work here).
  if [ ! -x /usr/bin/chromium ]; then
    apt_install chromium || echo "bootstrap: no /usr/bin/chromium; browser tests will be skipped" >&2
  fi
  # The PostgreSQL store's tests start a throwaway server from Debian's binaries.
  if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && ! command -v initdb >/dev/null; then
    apt_install postgresql || echo "bootstrap: no PostgreSQL server; its tests will be skipped" >&2
  fi
fi
