#!/usr/bin/env bash
# Set up everything cua-replay needs, then run the demo or the test suite.
#
#   tools/bootstrap.sh demo            # venv + package + Chromium, then `cua-replay demo`
#   tools/bootstrap.sh test [ARGS...]  # venv + package[test] + Chromium, then ruff, mypy
#                                      # and pytest ARGS on all cores (pytest-xdist)
#
# Idempotent: a second run reinstalls nothing unless pyproject.toml changed.
# Env: PYTHON (interpreter, default python3), CUA_REPLAY_VENV (default .venv),
#      CUA_REPLAY_CHROMIUM (use this browser), HYPOTHESIS_PROFILE (ci | dev | thorough).
# Test mode: pytest runs with `-n auto --dist loadfile`; ARGS come after, so `-n 0`
# runs it in one process, and PYTEST_XDIST_AUTO_NUM_WORKERS=N sets the worker count.
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

# The demo needs the base install; the tests need the test extra (pytest, vcrpy,
# hypothesis, the pytest plugins, ruff, mypy). Each install is stamped with
# pyproject.toml's hash and redone only when that changes; the test install
# also covers the demo.
case "$mode" in
  demo) spec="."; accept="demo test" ;;
  test) spec=".[test]"; accept="test" ;;
esac
want="$("$vpy" -c 'import hashlib; print(hashlib.sha256(open("pyproject.toml", "rb").read()).hexdigest())')"
installed=""
for kind in $accept; do
  stamp="$venv/.cua-replay-$kind.stamp"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then installed="$kind"; fi
done
if [ -z "$installed" ]; then
  echo "bootstrap: installing cua-replay ($spec) into $venv"
  "$vpy" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$vpy" -m pip install --quiet --disable-pip-version-check -e "$spec"
  echo "$want" > "$venv/.cua-replay-$mode.stamp"
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

# Desktop computers (cua_replay.executors.desktop): a virtual X display, xdotool for input,
# xwd for screenshots, xmodmap to bind keysyms the keymap lacks, and Tk for the bundled
# desktop app. Debian packages when root; elsewhere the desktop tests skip and name these
# packages (in CI, with CI=true, they fail).
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1 \
  && ! { command -v Xvfb && command -v xdotool && command -v xwd && command -v xmodmap \
         && "$vpy" -c "import tkinter"; } >/dev/null 2>&1; then
  echo "bootstrap: installing Debian's xvfb, xdotool, x11-apps, x11-xserver-utils, python3-tk"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq xvfb xdotool x11-apps x11-xserver-utils python3-tk >/dev/null
fi

if [ "$mode" = demo ]; then
  exec "$venv/bin/cua-replay" demo "$@"
fi

# The proxy's Node client (tests/proxy/test_node_client.py): the official openai npm
# package, pinned by package-lock.json, installed once per lock file; without npm the
# test skips and says how to install it.
node_dir="tests/proxy/node"
if command -v npm >/dev/null 2>&1; then
  lock="$(sha256sum "$node_dir/package-lock.json" | cut -d' ' -f1)"
  if [ "$(cat "$node_dir/node_modules/.cua-replay.stamp" 2>/dev/null)" != "$lock" ]; then
    echo "bootstrap: installing the openai npm package into $node_dir"
    (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error) \
      && echo "$lock" > "$node_dir/node_modules/.cua-replay.stamp"
  fi
fi

# The code stays clean: any lint, format or type finding fails the run before pytest.
checked=(cua_replay tests tools)
check() {  # check FIX COMMAND...: run COMMAND; on a finding, say what to do and stop
  local fix="$1"; shift
  if ! "$@"; then
    echo "bootstrap: ${*#"$venv"/bin/} found problems (above); $fix, then run again." >&2
    exit 1
  fi
}
echo "bootstrap: ruff check, ruff format --check, mypy --strict cua_replay"
check "fix them (many: $venv/bin/ruff check --fix ${checked[*]})" \
  "$venv/bin/ruff" check --quiet "${checked[@]}"
check "run $venv/bin/ruff format ${checked[*]}" \
  "$venv/bin/ruff" format --check --quiet "${checked[@]}"
check "fix the types" "$venv/bin/mypy" --strict cua_replay

# All cores; loadfile keeps each test file on one worker, so a module's expensive
# fixtures (recordings, a browser session) are built once and its tests keep
# their order. `-p no:xdist` in ARGS turns it off.
parallel=(-n auto --dist loadfile)
for arg in "$@"; do
  case "$arg" in *no:xdist*) parallel=() ;; esac
done
status=0
"$vpy" -m pytest "${parallel[@]}" "$@" || status=$?
if [ "$status" = 5 ]; then
  echo "bootstrap: pytest collected no tests${*:+ for: $*} (exit 5); check the paths, -k and -m given." >&2
fi
exit "$status"
