#!/usr/bin/env bash
# Starts the services the integration tests need, where they are not
# already running, and exports where they are:
#
#   CALLQA_TEST_REDIS      host:port of Redis (tests use databases 7-15)
#   CALLQA_TEST_POSTGRES   postgres:// URL of the "test" database
#   CALLQA_TEST_VERSITYGW  the versitygw binary (tests start their own
#                          gateway on a free port over a temporary folder),
#                          built once and kept in ~/.cache/callqa/bin
#
# Idempotent: running it again starts nothing new. When sourced (as
# scripts/test.sh does) it stops, on exit, only what it started; when run
# as a program it leaves them running and prints the exports.
#
#   source scripts/services.sh          # in a test script
#   eval "$(scripts/services.sh)"       # in a shell
set -euo pipefail

callqa_sourced=0
(return 0 2>/dev/null) && callqa_sourced=1

callqa_log() { echo "services.sh: $*" >&2; }
callqa_fail() { callqa_log "$*"; if [ "$callqa_sourced" = 1 ]; then return 1; else exit 1; fi; }

CALLQA_TEST_REDIS="${CALLQA_TEST_REDIS:-127.0.0.1:6379}"
CALLQA_TEST_POSTGRES="${CALLQA_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}"
callqa_started=()

# versitygw: an Apache-2.0 S3 gateway in Go, pinned. Building it takes
# about 7 minutes on a 2-core machine, so the binary is kept, by version,
# in $XDG_CACHE_HOME/callqa/bin (default ~/.cache/callqa/bin; CALLQA_CACHE_DIR
# replaces $XDG_CACHE_HOME/callqa): versitygw-v1.8.0. A versitygw of the
# pinned version already on the PATH or in $GOBIN (go version -m says which
# module version it is) is copied there instead of built. Delete the file
# to build it again; set CALLQA_TEST_VERSITYGW to use another binary.
callqa_vgw_version="v1.8.0"
callqa_cache_bin="${CALLQA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/callqa}/bin"
callqa_vgw_cached="$callqa_cache_bin/versitygw-$callqa_vgw_version"

# callqa_vgw_pinned FILE: FILE is a versitygw built from the pinned version.
callqa_vgw_pinned() {
  local info
  info="$(go version -m "$1" 2>/dev/null)" || return 1
  grep -Eq "^[[:space:]]*mod[[:space:]]+github.com/versity/versitygw[[:space:]]+$callqa_vgw_version([[:space:]]|\$)" <<<"$info"
}

if [ -z "${CALLQA_TEST_VERSITYGW:-}" ]; then
  if [ ! -x "$callqa_vgw_cached" ]; then
    mkdir -p "$callqa_cache_bin" || callqa_fail "cannot make $callqa_cache_bin"
    gobin="$(go env GOBIN)"
    [ -n "$gobin" ] || gobin="$(go env GOPATH | cut -d: -f1)/bin"
    callqa_vgw_found=""
    for c in "$(command -v versitygw || true)" "$gobin/versitygw"; do
      if [ -n "$c" ] && [ -x "$c" ] && callqa_vgw_pinned "$c"; then
        callqa_vgw_found="$c"
        break
      fi
    done
    callqa_vgw_tmp="$(mktemp -d "$callqa_cache_bin/.versitygw.XXXXXX")"
    if [ -n "$callqa_vgw_found" ]; then
      callqa_log "caching $callqa_vgw_found (versitygw $callqa_vgw_version) as $callqa_vgw_cached"
      cp "$callqa_vgw_found" "$callqa_vgw_tmp/versitygw" || callqa_fail "cannot copy $callqa_vgw_found"
    else
      callqa_log "building versitygw $callqa_vgw_version into $callqa_vgw_cached (once: about 7 minutes on 2 cores)"
      GOBIN="$callqa_vgw_tmp" go install "github.com/versity/versitygw/cmd/versitygw@$callqa_vgw_version" ||
        callqa_fail "go install versitygw failed"
    fi
    # Renamed into place: a run killed mid-build leaves no half binary.
    mv -f "$callqa_vgw_tmp/versitygw" "$callqa_vgw_cached" || callqa_fail "cannot move versitygw to $callqa_vgw_cached"
    rm -rf "$callqa_vgw_tmp"
  fi
  CALLQA_TEST_VERSITYGW="$callqa_vgw_cached"
fi
[ -x "$CALLQA_TEST_VERSITYGW" ] || callqa_fail "versitygw not executable at $CALLQA_TEST_VERSITYGW"

# Redis.
callqa_redis_host="${CALLQA_TEST_REDIS%:*}"
callqa_redis_port="${CALLQA_TEST_REDIS##*:}"
if ! redis-cli -h "$callqa_redis_host" -p "$callqa_redis_port" ping >/dev/null 2>&1; then
  command -v redis-server >/dev/null || callqa_fail "Redis is not answering at $CALLQA_TEST_REDIS and redis-server is not installed (apt-get install redis-server)"
  callqa_log "starting redis-server on port $callqa_redis_port"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$callqa_redis_port" --save "" --appendonly no >/dev/null
  for _ in $(seq 50); do
    redis-cli -h "$callqa_redis_host" -p "$callqa_redis_port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  redis-cli -h "$callqa_redis_host" -p "$callqa_redis_port" ping >/dev/null 2>&1 || callqa_fail "redis-server did not start"
  callqa_started+=(redis)
fi

# PostgreSQL (trust authentication on loopback, database "test").
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  command -v pg_ctlcluster >/dev/null || callqa_fail "PostgreSQL is not answering on 127.0.0.1:5432 and pg_ctlcluster is not installed (apt-get install postgresql)"
  callqa_pg_version="$(ls /etc/postgresql | sort -V | tail -1)"
  callqa_log "starting PostgreSQL $callqa_pg_version"
  pg_ctlcluster --skip-systemctl-redirect "$callqa_pg_version" main start || callqa_fail "pg_ctlcluster start failed"
  for _ in $(seq 100); do
    pg_isready -q -h 127.0.0.1 -p 5432 && break
    sleep 0.1
  done
  pg_isready -q -h 127.0.0.1 -p 5432 || callqa_fail "PostgreSQL did not start"
  callqa_started+=(postgres)
fi
if ! psql "$CALLQA_TEST_POSTGRES" -Atc 'SELECT 1' >/dev/null 2>&1; then
  callqa_log "creating database test"
  psql "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable" -qc 'CREATE DATABASE test' >/dev/null ||
    callqa_fail "cannot connect to PostgreSQL as $CALLQA_TEST_POSTGRES (trust auth for postgres on 127.0.0.1 expected)"
fi

export CALLQA_TEST_REDIS CALLQA_TEST_POSTGRES CALLQA_TEST_VERSITYGW

callqa_services_stop() {
  local s
  for s in "${callqa_started[@]}"; do
    case "$s" in
    redis)
      callqa_log "stopping the redis-server it started"
      redis-cli -h "$callqa_redis_host" -p "$callqa_redis_port" shutdown nosave >/dev/null 2>&1 || true
      ;;
    postgres)
      callqa_log "stopping the PostgreSQL it started"
      pg_ctlcluster --skip-systemctl-redirect "$callqa_pg_version" main stop || true
      ;;
    esac
  done
}

if [ "$callqa_sourced" = 1 ]; then
  if [ ${#callqa_started[@]} -gt 0 ]; then
    trap callqa_services_stop EXIT
  fi
else
  echo "export CALLQA_TEST_REDIS='$CALLQA_TEST_REDIS'"
  echo "export CALLQA_TEST_POSTGRES='$CALLQA_TEST_POSTGRES'"
  echo "export CALLQA_TEST_VERSITYGW='$CALLQA_TEST_VERSITYGW'"
fi
