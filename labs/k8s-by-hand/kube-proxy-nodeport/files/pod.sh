#!/bin/bash
# pod.sh NAME IP VETH — a pod wired the way Calico wires one (see the lab calico-same-node):
# a network namespace, a veth whose node end is VETH, IP/32, default gateway 169.254.1.1 answered
# by proxy ARP with ee:ee:ee:ee:ee:ee, a /32 route on the node, forwarding on.
set -e
name=$1 ip=$2 veth=$3
ip netns add "$name"
ip link add "$veth" type veth peer name eth0 netns "$name"
ip -n "$name" addr add "$ip/32" dev eth0
ip -n "$name" link set lo up
ip -n "$name" link set eth0 up
ip -n "$name" route add 169.254.1.1 dev eth0 scope link
ip -n "$name" route add default via 169.254.1.1 dev eth0
ip link set "$veth" address ee:ee:ee:ee:ee:ee up
echo 1 > "/proc/sys/net/ipv4/conf/$veth/proxy_arp"
echo 0 > "/proc/sys/net/ipv4/neigh/$veth/proxy_delay"
ip route add "$ip/32" dev "$veth" scope link
echo 1 > /proc/sys/net/ipv4/ip_forward
