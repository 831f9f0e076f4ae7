// Isolation of a docker sandbox, tested from the learner's side (docs/dev/architecture.md, "Sandboxes and isolation").
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../types.js';
import { docker } from './client.js';
import { bridgeName, networkName } from './names.js';
import { DockerProvider } from './provider.js';
import { testLab, testSession } from './testkit.js';

// a scope of our own: a server's reconcile on this shared engine must not take our sandboxes for orphans
const provider = new DockerProvider({ scope: `test-${process.pid}` });
const lab = testLab('iso', {
  hosts: [{ name: 'learner' }, { name: 'peer' }],
  networks: [{ name: 'lan', subnet: '172.31.0.0/24', hosts: { learner: '172.31.0.10', peer: '172.31.0.20' } }],
});
const single = testLab('iso-default', { hosts: [{ name: 'solo' }] });
const sessions = { a: testSession('iso-a'), b: testSession('iso-b') };
let a: Sandbox;
let b: Sandbox;
const hostCorePattern = readFileSync('/proc/sys/kernel/core_pattern', 'utf8');

// Docker's default capability set (moby oci/caps/defaults.go) by bit number, plus NET_ADMIN (12) and SYS_ADMIN (21)
const DOCKER_DEFAULT_CAPS = [0, 1, 3, 4, 5, 6, 7, 8, 10, 13, 18, 27, 29, 31]; // CHOWN … SETFCAP
const expectedCapEff = [...DOCKER_DEFAULT_CAPS, 12, 21].reduce((m, bit) => m | (1n << BigInt(bit)), 0n);

beforeAll(async () => {
  [a, b] = await Promise.all([
    provider.create(lab, { sessionId: sessions.a, labDir: '/nonexistent' }),
    provider.create(single, { sessionId: sessions.b, labDir: '/nonexistent' }),
  ]);
}, 120_000);

afterAll(async () => {
  for (const s of Object.values(sessions)) await provider.destroy({ provider: 'docker', sessionId: s, labId: 'x' }).catch(() => {});
}, 120_000);

describe('sandbox isolation (from inside)', () => {
  it('denies kernel.core_pattern even after remounting /proc/sys read-write', async () => {
    const r = await a.exec('learner', "mount -o remount,rw /proc/sys; echo '|/tmp/evil %p' > /proc/sys/kernel/core_pattern");
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/Permission denied|Read-only|Operation not permitted/);
    expect(readFileSync('/proc/sys/kernel/core_pattern', 'utf8')).toBe(hostCorePattern);
  });

  it('lets net.* sysctls of its own namespace be written', async () => {
    const r = await a.exec('learner', 'echo 1 > /proc/sys/net/ipv4/ip_forward && cat /proc/sys/net/ipv4/ip_forward');
    expect(r).toMatchObject({ exitCode: 0, stdout: '1\n' });
  });

  it('denies /sys/kernel/uevent_helper (also through the host-sys mount)', async () => {
    const r1 = await a.exec('learner', 'echo /tmp/evil > /sys/kernel/uevent_helper');
    expect(r1.exitCode).not.toBe(0);
    const r2 = await a.exec('learner', 'echo /tmp/evil > /run/host-sys/kernel/uevent_helper');
    expect(r2.exitCode).not.toBe(0);
    const r3 = await a.exec('learner', 'mount -o remount,rw /run/host-sys');
    expect(r3.exitCode).not.toBe(0);
  });

  it('denies mounting a cgroup hierarchy', async () => {
    const r = await a.exec('learner', 'mkdir -p /tmp/cg1 /tmp/cg2; mount -t cgroup -o memory cgroup /tmp/cg1; a=$?; mount -t cgroup2 none /tmp/cg2; b=$?; echo "$a $b"; [ $a -ne 0 ] && [ $b -ne 0 ]');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^[1-9]\d* [1-9]\d*\n$/);
  });

  it('has no Docker socket (and is not privileged)', async () => {
    const r = await a.exec('learner', 'ls -l /var/run/docker.sock /run/docker.sock 2>&1; find / -xdev -name "docker.sock" 2>/dev/null | head -1');
    expect(r.stdout).not.toMatch(/^s/m);
    expect(r.stdout).toMatch(/No such file/);
    expect(r.stdout).not.toMatch(/\/docker\.sock\n?$/);
    const info = await docker().getContainer(`netdojo-${sessions.a}-learner`).inspect();
    expect(info.HostConfig.Privileged).toBe(false);
    expect(info.HostConfig.Binds ?? []).not.toEqual(expect.arrayContaining([expect.stringContaining('docker.sock')]));
  });

  it('has exactly Docker’s default capabilities plus NET_ADMIN and SYS_ADMIN', async () => {
    const r = await a.exec('learner', 'grep -E "^Cap(Eff|Bnd):" /proc/self/status');
    const eff = BigInt(`0x${r.stdout.match(/CapEff:\s+([0-9a-f]+)/)![1]}`);
    const bnd = BigInt(`0x${r.stdout.match(/CapBnd:\s+([0-9a-f]+)/)![1]}`);
    expect(eff.toString(16)).toBe(expectedCapEff.toString(16));
    expect(bnd.toString(16)).toBe(expectedCapEff.toString(16));
  });

  it('maps its uid 0 to an unprivileged uid of the host', async () => {
    const r = await a.exec('learner', 'id -u; cat /proc/self/uid_map');
    const [uid, map] = r.stdout.split('\n');
    expect(uid).toBe('0');
    const [inside, outside] = map!.trim().split(/\s+/).map(Number);
    expect(inside).toBe(0);
    expect(outside).toBeGreaterThan(0);
  });

  it('has no route out, and its network is internal with no host address on the bridge', async () => {
    const r = await a.exec('learner', 'ip route show default; ip route get 192.0.2.1 2>&1; true');
    expect(r.stdout).toMatch(/Network is unreachable/);
    expect(r.stdout).not.toMatch(/^default/m);
    const solo = await b.exec('solo', 'ip route show default | wc -l; ip route get 192.0.2.1 2>&1; true');
    expect(solo.stdout).toMatch(/^0\n.*unreachable/s);
    const net = await docker().getNetwork(networkName(sessions.a, 'lan')).inspect();
    expect(net.Internal).toBe(true);
    const bridge = networkInterfaces()[bridgeName(sessions.a, 'lan')] ?? [];
    expect(bridge.filter((i) => i.family === 'IPv4')).toEqual([]);
  });

  it('never forwards a DNS query outside: Docker’s resolver only asks the sandbox’s own loopback', async () => {
    const listener = `python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 53)); s.settimeout(5)
d, _ = s.recvfrom(512); print("got", d[12:].split(b"\\0")[0][1:].decode(errors="replace"))'`;
    const r = await a.exec('learner', `${listener} & sleep 0.5; dig @127.0.0.11 netdojo-probe.invalid +tries=1 +time=2 >/dev/null; wait`);
    expect(r.stdout).toMatch(/got netdojo-probe/);
    expect((await a.exec('learner', 'cat /etc/resolv.conf')).stdout).toMatch(/^nameserver 127\.0\.0\.1$/m);
  });

  it('cannot reach another sandbox', async () => {
    const soloAddr = (await b.exec('solo', "ip -4 -o addr show dev eth0 | awk '{print $4}'")).stdout.trim();
    expect(soloAddr).toMatch(/^10\.\d+\.\d+\.\d+\/24$/);
    await b.exec('solo', 'whoami-server --name solo --port 8080', { background: true });
    const ready = await b.exec('solo', 'for i in $(seq 50); do curl -s --max-time 1 http://127.0.0.1:8080/ && exit 0; sleep 0.1; done; exit 1');
    expect(ready.stdout).toContain('Hostname: solo');
    const ip = soloAddr.split('/')[0]!;
    // a learner who takes an address in the other sandbox's subnet still sees nothing of it
    const r = await a.exec('learner', `ip addr add ${soloAddr.replace(/\d+\/24$/, '250/24')} dev eth0; ping -c 2 -W 1 ${ip}; curl -s --max-time 2 http://${ip}:8080/; echo rc=$?`);
    expect(r.stdout).toContain('0 received');
    expect(r.stdout).not.toContain('Hostname: solo');
    expect(r.stdout).toMatch(/rc=[1-9]/);
  });
});
