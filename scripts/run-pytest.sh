#!/usr/bin/env bash
# Run the test suite. A full run that collects no tests is an error (exit 5 would
# otherwise hide a broken test layout); a filtered run (arguments given) may match nothing.
set -uo pipefail
bin=${VENV_BIN:-.venv/bin}
workers=${PYTEST_WORKERS:-2}
# The tests start hundreds of docshelf processes (servers, the command line). Where
# PYTHONDONTWRITEBYTECODE is set, as on CI machines, none of them would keep the bytecode
# it compiled, and each would compile the modules it imports again: compiled once here.
"$bin/python" -m compileall -q src
# The slowest tests and files are listed at the end: where a run's time goes.
"$bin/python" -m pytest -n "$workers" --dist loadfile --durations=25 "$@"
code=$?
if [ "$code" -eq 5 ]; then
  if [ "$#" -gt 0 ]; then
    echo "pytest: no tests matched the given arguments." >&2
    exit 0
  fi
  echo "pytest collected no tests: the suite is broken." >&2
  exit 1
fi
exit "$code"
