#!/bin/sh
# Demo for the db-data-exception plan: says how it would roll a database
# back to a point in time. It changes nothing.
set -eu
db= to=
while [ $# -gt 0 ]; do
	case $1 in
	--database) db=${2:?--database needs a value}; shift 2 ;;
	--to) to=${2:?--to needs a value}; shift 2 ;;
	*) echo "rollback-data.sh: unknown argument: $1" >&2; exit 2 ;;
	esac
done
[ -n "$db" ] && [ -n "$to" ] || { echo "usage: rollback-data.sh --database DB --to TIME" >&2; exit 2; }
echo "[demo] would stop writes to $db (read-only mode)"
sleep 0.2 2>/dev/null || :
echo "[demo] would run: pg_restore point-in-time recovery of $db to $to"
sleep 0.2 2>/dev/null || :
echo "[demo] would re-enable writes to $db"
echo "[demo] $db rolled back to $to (simulated)"
