#!/usr/bin/env bash
# `make test`: the tests that start no stack of processes in two shards at once (half of the
# test modules each, each on a database and RabbitMQ virtual hosts of its own: they mostly wait
# on the broker and the database), then the end-to-end and fault tests, which start whole
# stacks, restart servers and measure, alone. Exits non-zero when any part failed.
#   scripts/run_tests.sh [PYTEST ARGS...]    e.g. -x, or -k name
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
OPTIONS=(-W ignore::DeprecationWarning -W ignore::UserWarning "$@")
mkdir -p .run
second_log=.run/test-shard-2.log

# The two shards at once may hold more than PostgreSQL's default 100 connections
# (scripts/system_packages.sh gives a PostgreSQL it installs, or CI's, 300).
room=$(psql -h 127.0.0.1 -U postgres -w -tAc 'SHOW max_connections' 2>/dev/null || echo 300)
if [[ "$room" =~ ^[0-9]+$ ]] && [ "$room" -lt 200 ]; then
  echo "warning: PostgreSQL takes $room connections; the two shards may need more (a test then" \
       "fails with a 503): set max_connections = 300 and restart it" >&2
fi

MOTCUA_SHARD=2/2 "$PY" -m pytest "${OPTIONS[@]}" --durations=5 -m "not e2e and not faults" \
  tests > "$second_log" 2>&1 &
second=$!
echo "== the tests without a stack, shard 1/2 (shard 2/2 beside it, printed after)"
MOTCUA_SHARD=1/2 "$PY" -m pytest "${OPTIONS[@]}" --durations=5 -m "not e2e and not faults" tests
first_status=$?
wait "$second"
second_status=$?
echo "== the tests without a stack, shard 2/2"
cat "$second_log"

echo "== end-to-end and fault tests"
"$PY" -m pytest "${OPTIONS[@]}" --durations=15 -m "e2e or faults" tests
last_status=$?

for status in "$first_status" "$second_status" "$last_status"; do
  # 5: nothing collected (a -k that matched no test of that part)
  [ "$status" = 0 ] || [ "$status" = 5 ] || exit 1
done
