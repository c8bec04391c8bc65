#!/usr/bin/env bash
# Make sure RabbitMQ (with its management plugin) and PostgreSQL are up on localhost.
# Starts them if they are installed and stopped; otherwise says how to get them. Idempotent.
#   scripts/servers.sh                  make sure both are up
#   scripts/servers.sh --record FILE    the same, and list in FILE the servers it started
#   scripts/servers.sh --stop FILE      stop the servers listed in FILE (and remove it)
set -euo pipefail

started_file=""

postgres_version() { ls /etc/postgresql | head -1; }

record() { [ -z "$started_file" ] || echo "$1" >> "$started_file"; }

stop_recorded() {
  [ -f "$1" ] || return 0
  while read -r server; do
    case "$server" in
      postgresql) echo "stopping PostgreSQL (started for this run)"
                  pg_ctlcluster --skip-systemctl-redirect "$(postgres_version)" main stop ;;
      rabbitmq)   echo "stopping RabbitMQ (started for this run)"; rabbitmqctl -q stop ;;
    esac
  done < "$1"
  rm -f "$1"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  for _ in $(seq 1 60); do port_open "$1" && return 0; sleep 1; done
  return 1
}

ensure_postgres() {
  port_open 5432 && return 0
  if command -v pg_ctlcluster >/dev/null; then
    echo "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(postgres_version)" main start
    record postgresql
    wait_port 5432 && return 0
  fi
  echo "PostgreSQL is not reachable on 127.0.0.1:5432." >&2
  echo "Install it (apt-get install postgresql) with trust auth for user postgres, or set DB_URL." >&2
  exit 1
}

# The demo, the tests and the benchmark connect as postgres over 127.0.0.1 without a password.
ensure_postgres_login() {
  command -v psql >/dev/null || return 0
  local answer
  for _ in $(seq 1 15); do
    answer=$(psql "postgresql://postgres@127.0.0.1:5432/postgres" -w -tAc 'SELECT 1' 2>&1) && return 0
    case "$answer" in *"starting up"*) sleep 1 ;; *) break ;; esac
  done
  echo "PostgreSQL on 127.0.0.1:5432 refused user postgres without a password: $answer" >&2
  echo "On a development machine, put 'host all all 127.0.0.1/32 trust' first in pg_hba.conf" >&2
  echo "and reload PostgreSQL (.ci/run does so on CI)." >&2
  exit 1
}

# RabbitMQ takes no new connection (handshakes hang) once its file handles are spent, and
# every quorum queue holds some: the tests' virtual hosts hold hundreds of them. A node
# started with the usual 1024 runs out halfway through `make test`.
MIN_BROKER_FILES=8192

RAISE_FILES='ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"'

start_rabbitmq() {
  if [ "$(id -u)" = 0 ] && [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]; then
    # Debian's wrapper switches to the rabbitmq user through su, whose PAM session sets the
    # limit back to 1024: the limit is raised after the switch instead
    su rabbitmq -s /bin/sh -c "$RAISE_FILES; cd /var/lib/rabbitmq && exec /usr/lib/rabbitmq/bin/rabbitmq-server -detached"
  else
    sh -c "$RAISE_FILES; exec rabbitmq-server -detached"
  fi
  wait_port 5672 || { echo "RabbitMQ did not start" >&2; exit 1; }
  for _ in $(seq 1 60); do rabbitmqctl -q status >/dev/null 2>&1 && return 0; sleep 1; done
  echo "RabbitMQ did not start" >&2; exit 1
}

port_closed_within() {
  for _ in $(seq 1 "$1"); do port_open 5672 || return 0; sleep 1; done
  return 1
}

ensure_broker_files() {
  local limit
  limit=$(rabbitmqctl -q eval 'file_handle_cache:ulimit().' 2>/dev/null) || return 0
  [ "$limit" -ge "$MIN_BROKER_FILES" ] 2>/dev/null && return 0
  echo "RabbitMQ may open only $limit files (at least $MIN_BROKER_FILES wanted): restarting it"
  local pid
  pid=$(rabbitmqctl -q eval 'os:getpid().' | tr -d '"')
  # a node whose handles are spent does not finish stopping: it is killed after a minute
  timeout 60 rabbitmqctl -q stop >/dev/null 2>&1 || true
  port_closed_within 5 || kill -9 "$pid"
  port_closed_within 30 || { echo "RabbitMQ did not stop" >&2; exit 1; }
  start_rabbitmq
  limit=$(rabbitmqctl -q eval 'file_handle_cache:ulimit().')
  if [ "$limit" -lt "$MIN_BROKER_FILES" ]; then
    echo "RabbitMQ still may open only $limit files: raise the open-files limit (ulimit -n," >&2
    echo "LimitNOFILE of its systemd unit) to $MIN_BROKER_FILES or more" >&2
    exit 1
  fi
}

ensure_rabbitmq() {
  if ! port_open 5672; then
    if command -v rabbitmq-server >/dev/null; then
      echo "starting RabbitMQ"
      start_rabbitmq
      record rabbitmq
    else
      echo "RabbitMQ is not reachable on 127.0.0.1:5672." >&2
      echo "Install it (apt-get install rabbitmq-server) or set AMQP_URI." >&2
      exit 1
    fi
  fi
  if ! port_open 15672; then
    # nameko's test fixtures create a virtual host per test through the management API.
    rabbitmq-plugins enable rabbitmq_management >/dev/null
    wait_port 15672 || { echo "RabbitMQ management plugin did not start" >&2; exit 1; }
  fi
  if command -v rabbitmqctl >/dev/null; then
    ensure_broker_files
    wait_port 15672 || { echo "RabbitMQ management plugin did not start" >&2; exit 1; }
  fi
}

case "${1:-}" in
  --stop) stop_recorded "${2:?--stop needs the file --record wrote}"; exit 0 ;;
  --record) started_file="${2:?--record needs a file}"; mkdir -p "$(dirname "$started_file")"
            : > "$started_file" ;;
  "") ;;
  *) echo "usage: $0 [--record FILE | --stop FILE]" >&2; exit 2 ;;
esac

ensure_postgres
ensure_postgres_login
ensure_rabbitmq
