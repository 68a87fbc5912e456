#!/bin/sh
# Demo for the network-attack plan: says how it would block (or unblock)
# an address range at the edge firewall. It changes nothing.
set -eu
action=${1:?usage: harden-firewall.sh block|unblock CIDR}
cidr=${2:?usage: harden-firewall.sh block|unblock CIDR}
case $action in
block)
	echo "[demo] would run: nft add rule inet edge input ip saddr $cidr drop"
	echo "[demo] would turn on SYN cookies and per-source connection limits"
	;;
unblock)
	echo "[demo] would run: nft delete rule inet edge input ip saddr $cidr drop"
	;;
*)
	echo "harden-firewall.sh: unknown action: $action (block or unblock)" >&2
	exit 2
	;;
esac
sleep 0.2 2>/dev/null || :
echo "[demo] firewall: $action $cidr done (simulated)"
