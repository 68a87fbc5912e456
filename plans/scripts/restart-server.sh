#!/bin/sh
# Demo for the server-breakdown plan: says how it would restart a web
# server. It changes nothing.
set -eu
host=${1:?usage: restart-server.sh HOST}
echo "[demo] fault ${WARROOM_FAULT:-?}, run ${WARROOM_RUN:-?}, step ${WARROOM_STEP:-?}"
echo "[demo] would take $host out of the load balancer pool"
sleep 0.2 2>/dev/null || :
echo "[demo] would run: ssh $host sudo systemctl restart web.service"
sleep 0.2 2>/dev/null || :
echo "[demo] would wait for $host to pass /healthz, then put it back in the pool"
echo "[demo] $host restarted (simulated)"
