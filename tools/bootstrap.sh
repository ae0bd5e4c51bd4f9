#!/usr/bin/env bash
# Set up everything cua-replay needs, then run the demo or the test suite.
#
#   tools/bootstrap.sh demo            # venv + package + Chromium, then `cua-replay demo`
#   tools/bootstrap.sh test [ARGS...]  # venv + package + test deps + Chromium, then pytest ARGS
#
# Idempotent: a second run reinstalls nothing unless pyproject.toml changed.
# Env: PYTHON (interpreter, default python3), CUA_REPLAY_VENV (default .venv),
#      CUA_REPLAY_CHROMIUM (use this browser), HYPOTHESIS_PROFILE (ci | dev | thorough).
set -euo pipefail

cd "$(dirname "$0")/.."
mode="${1:-}"
case "$mode" in
  demo|test) shift ;;
  *) echo "usage: tools/bootstrap.sh demo | test [pytest args...]" >&2; exit 2 ;;
esac

python="${PYTHON:-python3}"
venv="${CUA_REPLAY_VENV:-.venv}"

if ! command -v "$python" >/dev/null 2>&1; then
  echo "bootstrap: '$python' not found. Install Python >= 3.11 or set PYTHON=/path/to/python3.11." >&2
  exit 1
fi
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "bootstrap: $("$python" --version 2>&1) is too old; cua-replay needs Python >= 3.11 (set PYTHON=...)." >&2
  exit 1
fi

if [ ! -x "$venv/bin/python" ]; then
  echo "bootstrap: creating virtualenv $venv"
  "$python" -m venv "$venv"
fi
vpy="$venv/bin/python"

# Reinstall only when the dependency set changed.
extra="test"
stamp="$venv/.cua-replay-$extra.stamp"
want="$("$vpy" -c 'import hashlib; print(hashlib.sha256(open("pyproject.toml", "rb").read()).hexdigest())')"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "bootstrap: installing cua-replay[$extra] into $venv"
  "$vpy" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$vpy" -m pip install --quiet --disable-pip-version-check -e ".[$extra]"
  echo "$want" > "$stamp"
fi

# A Chromium for Playwright: the OS package when we are root, else Playwright's download.
if ! "$venv/bin/cua-replay" doctor >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: installing Debian's chromium package"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium fonts-liberation >/dev/null
  else
    echo "bootstrap: installing Playwright's Chromium"
    "$vpy" -m playwright install chromium
  fi
fi
"$venv/bin/cua-replay" doctor

case "$mode" in
  demo) exec "$venv/bin/cua-replay" demo "$@" ;;
  test) exec "$vpy" -m pytest "$@" ;;
esac
