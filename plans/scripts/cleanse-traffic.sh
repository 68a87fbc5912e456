#!/bin/sh
# Demo for the network-attack plan: says how it would divert traffic from
# an address range through the scrubbing service. It changes nothing.
set -eu
[ "${1:-}" = --profile ] || { echo "usage: cleanse-traffic.sh --profile PROFILE CIDR" >&2; exit 2; }
profile=${2:?usage: cleanse-traffic.sh --profile PROFILE CIDR}
cidr=${3:?usage: cleanse-traffic.sh --profile PROFILE CIDR}
echo "[demo] would announce $cidr's return routes through the scrubbing centre"
sleep 0.2 2>/dev/null || :
echo "[demo] would apply the $profile filter profile"
for pct in 25 50 75 100; do
	echo "[demo] traffic through the scrubber: $pct%"
done
echo "[demo] cleansing $cidr with $profile (simulated)"
