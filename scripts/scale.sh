#!/usr/bin/env bash
# Grows a results database with a year of generated calls and times the
# reports and pages that read it (issue 14; see internal/scale):
#
#   scripts/scale.sh sqlite 1m        # SQLite file, 1 million results
#   scripts/scale.sh postgres 11m     # PostgreSQL database, 11 million
#
# It builds callqa and callqa-scale, creates the database afresh (a file
# under $SCALE_DIR, default /tmp/callqa-scale; or the PostgreSQL database
# callqa_scale_SIZE on $SCALE_PG, default postgres://postgres@127.0.0.1:5432,
# dropped first), loads SIZE results over the 365 days ending 2026-11-25,
# then one more day (2026-11-26) of 30,000 calls, the hotline's size, for
# the review queue; and prints the load's rate and the rows of the
# README's scale table (medians of $SCALE_RUNS runs, default 3).
#
# SCALE_KEEP=1 keeps a database that is already there (no drop, no load:
# only the queries run). The database stays after the run: drop it with
# dropdb or rm. It refuses to start when the disk is more than 80% full.
set -euo pipefail
cd "$(dirname "$0")/.."

backend="${1:?usage: scripts/scale.sh sqlite|postgres SIZE (e.g. 1m, 11m)}"
size="${2:?usage: scripts/scale.sh sqlite|postgres SIZE (e.g. 1m, 11m)}"
runs="${SCALE_RUNS:-3}"
seed="${SCALE_SEED:-1}"
dir="${SCALE_DIR:-/tmp/callqa-scale}"
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
	db="$dir/results-$size.db"
	if [ "${SCALE_KEEP:-}" != 1 ]; then rm -f "$db" "$db-wal" "$db-shm"; fi
	;;
postgres)
	name="callqa_scale_${size}"
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

if [ "${SCALE_KEEP:-}" != 1 ]; then
	echo "== load $size results into $db" >&2
	"$bin/callqa-scale" load --db "$db" --results "$size" --seed "$seed"
	echo "== load the busy day $busy_day ($busy_calls calls)" >&2
	"$bin/callqa-scale" load --db "$db" --results "$busy_calls" --days 1 --end "$busy_day" --seed "$seed"
fi
echo "== queries ($runs runs each)" >&2
echo "| $backend $size | median | runs (s) |"
echo "|---|---|---|"
"$bin/callqa-scale" queries --db "$db" --runs "$runs" --callqa "$bin/callqa" --to 2026-11-25 --day "$busy_day"
