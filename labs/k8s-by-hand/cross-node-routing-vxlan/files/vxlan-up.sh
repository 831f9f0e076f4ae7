#!/bin/bash
# vxlan-up.sh — what Felix programs for Calico's VXLAN mode on this node: the VTEP vxlan.calico
# (VNI 4096, UDP 4789) with the node's tunnel address, and for every other node its VTEP's
# MAC (neighbour entry) and underlay address (forwarding database entry).
set -e
me=$(hostname)
nodes=$(grep -v '^#' /lab/files/nodes.txt)
read -r _ myip _ mytun mymac < <(awk -v n="$me" '$1 == n' <<<"$nodes")
ip link add vxlan.calico type vxlan id 4096 dstport 4789 local "$myip" dev eth0 nolearning
ip link set vxlan.calico address "$mymac" mtu 1450 up
ip addr add "$mytun/32" dev vxlan.calico
while read -r node ip _ tun mac; do
  [ "$node" = "$me" ] && continue
  ip neigh replace "$tun" lladdr "$mac" dev vxlan.calico nud permanent
  bridge fdb append "$mac" dev vxlan.calico dst "$ip"
done <<<"$nodes"
