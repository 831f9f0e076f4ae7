#!/bin/bash
# bird.conf.sh — prints this node's BIRD configuration, as calico-node's confd renders it for BIRD:
# iBGP full mesh (AS 64512) between the nodes' underlay addresses, this node's IPAM block
# announced, the other nodes' blocks installed in the kernel (proto bird) through the tunnel.
set -e
me=$(hostname)
nodes=$(grep -v '^#' /lab/files/nodes.txt)
read -r _ myip myblock _ < <(awk -v n="$me" '$1 == n' <<<"$nodes")
[ -n "$myip" ] || { echo "$me is not in /lab/files/nodes.txt" >&2; exit 1; }
cat <<CONF
router id $myip;

protocol device { scan time 2; }

# the routes BIRD selects go to the kernel routing table; they show up as "proto bird"
protocol kernel {
  ipv4 { import none; export all; };
  scan time 2;
}

# this node's IPAM block: announced to the peers, a blackhole locally (as Calico does)
protocol static blocks {
  ipv4;
  route $myblock blackhole;
}

# how to reach each peer through the tunnel: BGP next hops (the peers' underlay addresses)
# are resolved in this table instead of the main one
ipv4 table tunnels;
protocol static tunnel_routes {
  ipv4 { table tunnels; };
CONF
while read -r node ip block tunip _; do
  [ "$node" = "$me" ] && continue
  echo "  route $ip/32 via $ip%'tunl0' onlink;   # $node: the outer IP header goes to $ip"
done <<<"$nodes"
echo "}"
while read -r node ip _; do
  [ "$node" = "$me" ] && continue
  cat <<CONF

protocol bgp ${node//-/_} {
  local $myip as 64512;
  neighbor $ip as 64512;
  ipv4 { import all; export where proto = "blocks"; gateway recursive; igp table tunnels; };
}
CONF
done <<<"$nodes"
