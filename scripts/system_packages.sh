#!/usr/bin/env bash
# The system packages motcua needs, installed when missing (Debian or Ubuntu), shared by
# `make demo`, `make test` and `.ci/run`. Idempotent: with everything present it only checks.
# As root it runs apt-get; otherwise through `sudo -n` when that needs no password; otherwise
# it prints the exact command to run and stops.
#   RabbitMQ, PostgreSQL (and its client: pg_dump/pg_restore for `motcua backup`), Kannel and
#   its fake SMSC (notify's SMS tests), promtool and docker-compose (tests/deploy), Chromium
#   and Vietnamese-capable fonts (printed forms and the desk's browser tests), ClamAV, OCRmyPDF
#   with Vietnamese, poppler and SoftHSM2 (docstore), kubectl when an apt source offers it.
# A PostgreSQL installed here, or any on CI (CI=true), lets postgres in over loopback without a
# password, as the demo and the tests connect, and takes 300 connections (the tests' two shards).
set -euo pipefail

need=()
command -v make >/dev/null || need+=(make)
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
command -v pg_ctlcluster >/dev/null || command -v psql >/dev/null || need+=(postgresql)
command -v pg_restore >/dev/null || need+=(postgresql-client)
command -v rabbitmq-server >/dev/null || need+=(rabbitmq-server)
command -v promtool >/dev/null || need+=(prometheus)
command -v docker-compose >/dev/null || need+=(docker-compose)
command -v bearerbox >/dev/null || need+=(kannel)
[ -x /usr/lib/kannel/test/fakesmsc ] || need+=(kannel-extras)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -d /usr/share/fonts/truetype/noto ] || need+=(fonts-noto-core)
[ -d /usr/share/fonts/truetype/liberation2 ] || need+=(fonts-liberation2)
# docstore: clamd and sigtool (virus scan; the tests' own clamd with the EICAR signature),
# OCRmyPDF with Tesseract's Vietnamese model (PDF/A), poppler (pages, thumbnails), SoftHSM2
# (PKCS#11 signing in the tests)
[ -x /usr/sbin/clamd ] || need+=(clamav-daemon)
command -v sigtool >/dev/null || need+=(clamav)
command -v ocrmypdf >/dev/null || need+=(ocrmypdf)
ls /usr/share/tesseract-ocr/*/tessdata/vie.traineddata >/dev/null 2>&1 || need+=(tesseract-ocr-vie)
command -v pdftoppm >/dev/null || need+=(poppler-utils)
[ -e /usr/lib/softhsm/libsofthsm2.so ] || need+=(softhsm2)
# kubectl is in no Debian archive: looked for only when apt runs anyway, or on CI
want_kubectl=false
if [ ${#need[@]} -gt 0 ] || [ "${CI:-}" = true ]; then
  command -v kubectl >/dev/null || command -v kustomize >/dev/null || want_kubectl=true
fi

installing_postgres=false
[[ " ${need[*]} " == *" postgresql "* ]] && installing_postgres=true

[ ${#need[@]} -gt 0 ] || $want_kubectl || [ "${CI:-}" = true ] || exit 0

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
elif [ ${#need[@]} -gt 0 ]; then
  echo "motcua needs these system packages: ${need[*]}" >&2
  echo "Install them as root, then run this again:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${need[*]}" >&2
  exit 1
else
  exit 0  # only kubectl is missing: tests/deploy/test_k8s.py says so itself
fi

if [ ${#need[@]} -gt 0 ] || $want_kubectl; then
  export DEBIAN_FRONTEND=noninteractive
  echo "installing system packages: ${need[*]:-(none)}"
  "${as_root[@]}" apt-get update -qq
  if $want_kubectl; then
    if apt-cache policy kubectl | grep -q 'Candidate: [^(]'; then
      need+=(kubectl)
    else
      echo "no apt source offers kubectl: tests/deploy/test_k8s.py will ask for kubectl or kustomize" >&2
    fi
  fi
  if [ ${#need[@]} -gt 0 ]; then
    "${as_root[@]}" apt-get install -y -qq "${need[@]}"
  fi
fi

# Loopback trust for a PostgreSQL installed just now, or on CI (the first matching line wins).
if $installing_postgres || [ "${CI:-}" = true ]; then
  for hba in /etc/postgresql/*/main/pg_hba.conf; do
    [ -f "$hba" ] || continue
    first=$("${as_root[@]}" awk '$1 ~ /^host/ && $2 == "all" && $4 == "127.0.0.1/32" {print $5; exit}' "$hba")
    [ "$first" = trust ] && continue
    "${as_root[@]}" sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
    cluster=$(basename "$(dirname "$(dirname "$hba")")")
    "${as_root[@]}" pg_ctlcluster --skip-systemctl-redirect "$cluster" main reload 2>/dev/null || true
  done
fi

# Room for the tests' connections, for a PostgreSQL installed just now or on CI: two shards
# at once each start up to eight services (a pool of DB_POOL_SIZE=10 each, beside their relays
# and listeners), which passes the default 100. A running server restarts to take it.
if $installing_postgres || [ "${CI:-}" = true ]; then
  for conf_dir in /etc/postgresql/*/main/conf.d; do
    [ -d "$conf_dir" ] || continue
    echo "max_connections = 300" | "${as_root[@]}" tee "$conf_dir/motcua-connections.conf" >/dev/null
    version=$(basename "$(dirname "$(dirname "$conf_dir")")")
    "${as_root[@]}" pg_ctlcluster --skip-systemctl-redirect "$version" main status >/dev/null 2>&1 \
      || continue
    port=$("${as_root[@]}" awk -F'[= \t]+' '$1 == "port" {print $2}' "$conf_dir/../postgresql.conf")
    in_force=$(psql -h 127.0.0.1 -p "${port:-5432}" -U postgres -w -tAc 'SHOW max_connections' \
               2>/dev/null || true)
    [ "$in_force" = 300 ] && continue
    "${as_root[@]}" pg_ctlcluster --skip-systemctl-redirect "$version" main restart
  done
fi
