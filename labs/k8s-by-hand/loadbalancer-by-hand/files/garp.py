#!/usr/bin/env python3
"""garp.py IFACE ADDR [COUNT] — announce that ADDR is at IFACE's MAC address with gratuitous ARP.

What MetalLB's speaker does when it takes over a LoadBalancer IP (and keepalived, or `arping -U`):
an unsolicited ARP message whose sender and target IP are both ADDR, broadcast to the LAN, so that
every host that already has ADDR in its ARP cache replaces the old MAC address at once.
"""
import socket
import struct
import sys
import time

if len(sys.argv) not in (3, 4):
    sys.exit(__doc__.strip().splitlines()[0])
iface, addr = sys.argv[1], sys.argv[2]
count = int(sys.argv[3]) if len(sys.argv) == 4 else 2
try:
    with open(f"/sys/class/net/{iface}/address") as f:
        mac = bytes.fromhex(f.read().strip().replace(":", ""))
except OSError:
    sys.exit(f"garp.py: no interface {iface}")
ip = socket.inet_aton(addr)
broadcast = b"\xff" * 6
# Ethernet header, then ARP: htype 1 (Ethernet), ptype IPv4, hlen 6, plen 4, op 1 (request)
frame = broadcast + mac + struct.pack("!H", 0x0806)
frame += struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac + ip + b"\x00" * 6 + ip
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((iface, 0))
for i in range(count):
    s.send(frame)
    if i + 1 < count:
        time.sleep(0.2)
print(f"{count} gratuitous ARP for {addr} is-at {':'.join(f'{b:02x}' for b in mac)} sent on {iface}")
