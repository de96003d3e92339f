#!/usr/bin/env bash
# Grows a results database with a year of generated calls and times the
# reports and pages that read it (issue 14; see internal/scale):
#
#   scripts/scale.sh sqlite 1m        # SQLite file, 1 million results
#   scripts/scale.sh postgres 11m     # PostgreSQL database, 11 million
#
# It builds callqa and callqa-scale, creates the database afresh (a file
# under $SCALE_DIR, default /tmp/callqa-scale-run; or the PostgreSQL database
# callqa_scale_SIZE on $SCALE_PG, default postgres://postgres@127.0.0.1:5432,
# dropped first), loads SIZE results over the 365 days ending 2026-11-25,
# then one more day (2026-11-26) of 30,000 calls, the hotline's size, for
# the review queue; and prints the load's rate and the rows of the
# README's scale table (medians of $SCALE_RUNS runs, default 3).
#
# To grow a database step by step (and time it at each size), load further
# series of calls into it: SCALE_KEEP=1 keeps the database (no drop) and
# SCALE_SERIES=k loads SIZE more calls as series k (other call ids, the
# same agents and spreads); SCALE_NAME names the database (default
# callqa_scale_SIZE, or results-SIZE.db). SCALE_NOLOAD=1 only runs the
# queries. The busy day is loaded with series 0 only.
#
#   scripts/scale.sh postgres 1m                                   # 1 M
#   SCALE_KEEP=1 SCALE_SERIES=1 SCALE_NAME=callqa_scale_1m scripts/scale.sh postgres 2m   # 3 M
#
# On PostgreSQL, SCALE_COPIES=n then copies the loaded rows n times under
# new keys (scripts/scale-replicate.sql: every day holds n+1 times its
# calls, same agents and spreads) and rebuilds the rollups, before the busy
# day is loaded: 1m with SCALE_COPIES=10 is 11 million results in minutes,
# where saving each through SaveResults takes hours on 2 cores.
#
#   SCALE_COPIES=10 SCALE_NAME=callqa_scale_11m scripts/scale.sh postgres 1m   # 11 M
#
# The database stays after the run: drop it with dropdb or rm. It refuses
# to start when the disk is more than 80% full.
set -euo pipefail
cd "$(dirname "$0")/.."

backend="${1:?usage: scripts/scale.sh sqlite|postgres SIZE (e.g. 1m, 11m)}"
size="${2:?usage: scripts/scale.sh sqlite|postgres SIZE (e.g. 1m, 11m)}"
runs="${SCALE_RUNS:-3}"
seed="${SCALE_SEED:-1}"
series="${SCALE_SERIES:-0}"
dir="${SCALE_DIR:-/tmp/callqa-scale-run}"
pg="${SCALE_PG:-postgres://postgres@127.0.0.1:5432}"
busy_day=2026-11-26
busy_calls=30000

used=$(df --output=pcent "$(dirname "$dir")" | tail -1 | tr -dc 0-9)
if [ "$used" -gt 80 ]; then
	echo "scale.sh: the disk is ${used}% full; refusing to grow a database" >&2
	exit 1
fi

bin="$dir/bin"
mkdir -p "$bin"
go build -o "$bin/callqa" ./cmd/callqa
go build -o "$bin/callqa-scale" ./internal/scale/cmd/callqa-scale

case "$backend" in
sqlite)
	db="$dir/${SCALE_NAME:-results-$size}.db"
	if [ "${SCALE_KEEP:-}" != 1 ]; then rm -f "$db" "$db-wal" "$db-shm"; fi
	;;
postgres)
	name="${SCALE_NAME:-callqa_scale_${size}}"
	db="$pg/$name?sslmode=disable"
	host=$(echo "$pg" | sed -E 's#^postgres(ql)?://([^@]*@)?##; s#[:/].*##')
	port=$(echo "$pg" | sed -nE 's#.*:([0-9]+)$#\1#p')
	user=$(echo "$pg" | sed -nE 's#^postgres(ql)?://([^@:]*).*@.*#\2#p')
	if [ "${SCALE_KEEP:-}" != 1 ]; then
		dropdb --if-exists -h "$host" -p "${port:-5432}" -U "${user:-postgres}" "$name"
		createdb -h "$host" -p "${port:-5432}" -U "${user:-postgres}" "$name"
	fi
	;;
*)
	echo "scale.sh: backend $backend: want sqlite or postgres" >&2
	exit 2
	;;
esac

if [ "${SCALE_NOLOAD:-}" != 1 ]; then
	echo "== load $size results into $db (series $series)" >&2
	"$bin/callqa-scale" load --db "$db" --results "$size" --seed "$seed" --series "$series"
	if [ "$backend" = postgres ] && [ "${SCALE_COPIES:-0}" -gt 0 ]; then
		echo "== copy the rows ${SCALE_COPIES} times, rebuild the rollups" >&2
		psql "$db" -q -v ON_ERROR_STOP=1 -v copies="$SCALE_COPIES" -f scripts/scale-replicate.sql
		"$bin/callqa" rollup rebuild --db "$db"
		psql "$db" -q -c ANALYZE
	fi
	if [ "$series" = 0 ]; then
		echo "== load the busy day $busy_day ($busy_calls calls)" >&2
		"$bin/callqa-scale" load --db "$db" --results "$busy_calls" --days 1 --end "$busy_day" --seed "$seed" --chunk 50
	fi
fi
echo "== queries ($runs runs each)" >&2
echo "| $backend ${SCALE_NAME:-$size} | median | runs (s) |"
echo "|---|---|---|"
"$bin/callqa-scale" queries --db "$db" --runs "$runs" --callqa "$bin/callqa" --to 2026-11-25 --day "$busy_day"
