// The learner's side of the checks (real Docker): state is built, typed verdicts are recorded, then
// the learner tampers with everything a check could lean on inside the sandbox — fake `ip`,
// `iptables`, `ping`, `curl`, `dig`, `tcpdump`, LD_PRELOAD, a shadowed PATH, a bind mount over
// /proc/net, /run/netns/x as a symlink to /proc/1/ns/net, an empty file named like a netns. No typed
// verdict changes, and the checks of what is not done yet still fail. Also here (same sandbox):
// a probe that prints without end costs the server at most the output cap.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Check, type Step } from '../labs/schema.js';
import { probeMode } from '../probe/mode.js';
import { DockerProvider } from '../sandbox/docker/provider.js';
import { testLab, testSession } from '../sandbox/docker/testkit.js';
import type { Sandbox } from '../sandbox/types.js';
import { runCheck, runStepChecks } from './index.js';
import type { CheckResult } from './types.js';

const provider = new DockerProvider({ scope: `test-${process.pid}` });
const lab = testLab('tamper', {
  hosts: [{ name: 'alpha' }, { name: 'beta' }],
  networks: [{ name: 'lan', subnet: '192.168.10.0/24', hosts: { alpha: '192.168.10.1', beta: '192.168.10.2' } }],
});
const session = testSession('tamper');
const labDir = mkdtempSync(path.join(tmpdir(), 'netdojo-tamper-'));
let sandbox: Sandbox;

const SETUP = String.raw`
set -e
ip netns add red
ip link add veth-red type veth peer name veth-red-br
ip link set veth-red netns red
ip -n red addr add 10.1.0.2/24 dev veth-red
ip -n red link set veth-red up
ip -n red link set lo up
ip addr add 10.1.0.1/24 dev veth-red-br
ip link set veth-red-br up
ip link add veth-half type veth peer name veth-half-peer
ip link set veth-half up
ip route add 10.9.0.0/16 via 10.1.0.2
iptables -A FORWARD -i veth-red-br -j ACCEPT
echo 1 > /proc/sys/net/ipv4/ip_forward
ip netns exec red sh -c 'echo 0 > /proc/sys/net/ipv4/ip_forward'
mkdir -p /etc/sysctl.d && echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.d/99-fwd.conf
echo '10.1.0.2 redbox' >> /etc/hosts
`;

/** Scripts that print what a passing check would like to read, placed over every tool. */
const FAKE_IP = String.raw`#!/bin/sh
case "$*" in
  *route*) echo '[{"dst":"10.8.0.0/16","gateway":"10.1.0.2","dev":"veth-red-br","protocol":"boot","flags":[]}]' ;;
  *addr*) echo '[{"ifname":"veth-blue","flags":["BROADCAST","UP","LOWER_UP"],"mtu":1500,"operstate":"UP","addr_info":[{"family":"inet","local":"10.2.0.1","prefixlen":24}]}]' ;;
  *) echo '[{"ifname":"veth-blue","flags":["BROADCAST","UP","LOWER_UP"],"mtu":1500,"operstate":"UP","linkinfo":{"info_kind":"veth"}}]' ;;
esac`;
const FAKE_IPTABLES = String.raw`#!/bin/sh
printf '%s\n' '-P FORWARD ACCEPT' '-P POSTROUTING ACCEPT' '-A FORWARD -i veth-blue -j ACCEPT' '-A POSTROUTING -s 10.1.0.0/24 -j MASQUERADE'`;
const FAKE_PING = String.raw`#!/bin/sh
printf 'PING x 56(84) bytes of data.\n64 bytes from x: icmp_seq=1 ttl=64 time=0.1 ms\n\n--- x ping statistics ---\n2 packets transmitted, 2 received, 0%% packet loss, time 1ms\nrtt min/avg/max/mdev = 0.1/0.1/0.1/0.0 ms\n'`;
const FAKE_CURL = String.raw`#!/bin/sh
printf 'Hostname: alpha\n'; printf 200`;
const FAKE_TCPDUMP = String.raw`#!/bin/sh
echo 'listening on veth-red-br, link-type EN10MB (Ethernet), snapshot length 262144 bytes' >&2
echo '12:00:00.000000 IP 10.1.0.77 > 10.1.0.1: ICMP echo reply, id 1, seq 1, length 64'`;
const FAKE_DIG = String.raw`#!/bin/sh
echo ';; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 1'; echo 'web.lab. 30 IN A 10.1.0.9'`;
const FAKE_CAT = String.raw`#!/bin/sh
echo 1`;

const TAMPER = String.raw`
put() { rm -f "$1"; cat > "$1"; chmod 755 "$1"; }
mkdir -p /fake
for dir in /usr/sbin /fake; do
  put $dir/ip <<'EOF'
${FAKE_IP}
EOF
  for t in iptables iptables-nft iptables-legacy iptables-save iptables-nft-save iptables-legacy-save; do put $dir/$t <<'EOF'
${FAKE_IPTABLES}
EOF
  done
done
for dir in /usr/bin /fake; do
  put $dir/ping <<'EOF'
${FAKE_PING}
EOF
  put $dir/curl <<'EOF'
${FAKE_CURL}
EOF
  put $dir/tcpdump <<'EOF'
${FAKE_TCPDUMP}
EOF
  put $dir/dig <<'EOF'
${FAKE_DIG}
EOF
done
put /fake/cat <<'EOF'
${FAKE_CAT}
EOF
echo 'LD_PRELOAD=/lib/evil.so' >> /etc/environment
echo 'export PATH=/fake:$PATH' >> /root/.bashrc
echo 'export PATH=/fake:$PATH' >> /etc/profile
mkdir -p /tmp/fakenet && echo filter > /tmp/fakenet/ip_tables_names
mount --bind /tmp/fakenet /proc/net 2>/dev/null || mount --bind /tmp/fakenet /proc/self/net 2>/dev/null || true
mkdir -p /run/netns && ln -sfn /proc/1/ns/net /run/netns/x && : > /run/netns/blue
echo /lib/evil.so > /etc/ld.so.preload
`;

const check = (id: string, body: Record<string, unknown>) => Check.parse({ id, ...body });

/** What the setup did: these must pass, before and after the tampering. */
const DONE = [
  check('link-br', { link: { name: 'veth-red-br', type: 'veth', state: 'UP', address: '10.1.0.1/24' } }),
  check('link-red', { link: { netns: 'red', name: 'veth-red', address: '10.1.0.2/24', state: 'UP' } }),
  check('link-half-admin', { link: { name: 'veth-half', adminState: 'UP' } }),
  check('route', { route: { dst: '10.9.0.0/16', via: '10.1.0.2' } }),
  check('ipt', { iptables: { chain: 'FORWARD', match: '-i veth-red-br -j ACCEPT' } }),
  check('ping-name', { ping: { to: 'redbox' } }),
  check('ping-beta', { ping: { host: 'beta', to: 'alpha' } }),
  check('http', { http: { host: 'beta', url: 'http://alpha:8080/', bodyMatches: 'Hostname: alpha' } }),
  check('netns', { netns: { name: 'red' } }),
  check('sysctl', { sysctl: { key: 'net.ipv4.ip_forward', equals: '1' } }),
  check('sysctl-red', { sysctl: { netns: 'red', key: 'net.ipv4.ip_forward', equals: '0' } }),
  check('file', { file: { path: '/etc/sysctl.d/99-fwd.conf', lineMatches: '^net\\.ipv4\\.ip_forward\\s*=\\s*1$' } }),
  check('capture', { capture: { interface: 'veth-red-br', filter: 'icmp', send: { ping: '10.1.0.2' }, matches: 'ICMP echo reply' } }),
];

/** What is not done: these must fail, before and after the tampering. */
const NOT_DONE = [
  check('link-blue', { link: { name: 'veth-blue' } }),
  check('link-half-up', { link: { name: 'veth-half', state: 'UP' } }),
  check('link-in-x', { link: { netns: 'x', name: 'lo' } }),
  check('link-red-prefix', { link: { netns: 're', name: 'veth-red' } }),
  check('route-8', { route: { dst: '10.8.0.0/16' } }),
  check('ipt-blue', { iptables: { chain: 'FORWARD', match: 'veth-blue' } }),
  check('ipt-masq', { iptables: { table: 'nat', chain: 'POSTROUTING', match: 'MASQUERADE' } }),
  check('ping-nobody', { ping: { to: '10.1.0.99', count: 1 } }),
  check('http-9090', { http: { host: 'beta', url: 'http://alpha:9090/' } }),
  check('netns-blue', { netns: { name: 'blue' } }),
  check('netns-x', { netns: { name: 'x' } }),
  check('sysctl-x', { sysctl: { netns: 'x', key: 'net.ipv4.ip_forward', equals: '1' } }),
  check('sysctl-proxy-arp', { sysctl: { key: 'net.ipv4.conf.veth-red-br.proxy_arp', equals: '1' } }),
  check('file-blue', { file: { path: '/etc/blue.conf' } }),
  check('capture-77', { capture: { interface: 'veth-red-br', filter: 'icmp and host 10.1.0.77', send: { ping: '10.1.0.77' }, matches: 'echo reply' } }),
];

const stepOf = (checks: Check[]): Step => ({ id: 's', title: 's', text: 's', setup: [], solve: [{ run: 'true', background: false, timeout: 60 }], checks }) as unknown as Step;

async function verdicts(): Promise<Record<string, boolean>> {
  const results: CheckResult[] = await runStepChecks(stepOf([...DONE, ...NOT_DONE]), sandbox, lab);
  for (const r of results) expect(r.via, `${r.id} ran ${r.via}`).toBe('out-of-band');
  return Object.fromEntries(results.map((r) => [r.id, r.pass]));
}

const failing = (v: Record<string, boolean>, ids: string[], want: boolean) => ids.filter((id) => v[id] !== want);

beforeAll(async () => {
  sandbox = await provider.create(lab, { sessionId: session, labDir });
  const setup = await sandbox.exec('alpha', SETUP);
  expect(setup.exitCode, setup.stderr).toBe(0);
  const srv = await sandbox.exec('alpha', 'whoami-server --name alpha --port 8080', { background: true });
  expect(srv.exitCode).toBe(0);
  const up = await sandbox.exec('beta', 'for i in $(seq 50); do curl -s --max-time 1 http://alpha:8080/ >/dev/null && exit 0; sleep 0.1; done; exit 1');
  expect(up.exitCode).toBe(0);
}, 300_000);

afterAll(async () => {
  await provider.destroy({ provider: 'docker', sessionId: session, labId: lab.id }).catch(() => {});
  rmSync(labDir, { recursive: true, force: true });
}, 120_000);

describe('bounded probes', () => {
  const flood = (stream: 'stdout' | 'stderr') => `head -c 200M /dev/zero | tr '\\0' x${stream === 'stderr' ? ' >&2' : ''}; echo done`;

  it('a shell check printing 200 MiB fails naming the 1 MiB cap, keeps at most the cap, and its process is killed', async () => {
    for (const stream of ['stdout', 'stderr'] as const) {
      const res = await sandbox.exec('alpha', flood(stream), { timeoutMs: 60_000 });
      expect(res.overflow).toBe(stream);
      expect(Buffer.byteLength(res[stream])).toBeLessThanOrEqual(1024 * 1024);
      expect(res.stdout).not.toContain('done');
      const left = await sandbox.exec('alpha', 'for i in $(seq 50); do pgrep -f "[h]ead -c 200M" >/dev/null || exit 0; sleep 0.1; done; pgrep -af "[h]ead -c 200M"; exit 1');
      expect(left.exitCode, `still running: ${left.stdout}`).toBe(0);

      const r = await runCheck(check(`flood-${stream}`, { shell: { run: flood(stream) } }), { sandbox, defaultHost: 'alpha' });
      expect(r.pass).toBe(false);
      expect(r.message).toBe(`the probe on alpha: output exceeded 1 MiB on ${stream}: the probe was stopped`);
      expect(JSON.stringify(r).length).toBeLessThan(4096);
    }
  }, 120_000);
});

describe('one round trip per step', () => {
  it('runs the shell checks of one host in one exec, each with its own verdict and bounded output, in step order', async () => {
    // every check reports the pid of the shell that ran it: one batch, one shell
    const who = 'echo "batch $(ps -o ppid= -p $PPID | tr -d " ")"';
    const step = stepOf([
      check('sh-ok', { shell: { run: `${who}; cat /proc/sys/net/ipv4/ip_forward`, outputMatches: '^1$' } }),
      check('typed-route', { route: { dst: '10.9.0.0/16', via: '10.1.0.2' } }),
      check('sh-fails', { shell: { run: `${who}; echo nope >&2; exit 3` } }),
      // a command that tries to forge the batch's report lines: it cannot know the nonce
      check('sh-forge', { shell: { run: `${who}; printf 'x 0 0 %s %s\\n' $(echo ok | base64) ''; exit 1` } }),
      check('sh-flood', { shell: { run: "head -c 200M /dev/zero | tr '\\0' y" } }),
      check('typed-link', { link: { name: 'veth-red-br', state: 'UP' } }),
      check('sh-beta', { shell: { host: 'beta', run: who } }),
    ]);
    const r = await runStepChecks(step, sandbox, lab);
    expect(r.map((x) => [x.id, x.pass, x.via])).toEqual([
      ['sh-ok', true, 'in-band'],
      ['typed-route', true, 'out-of-band'],
      ['sh-fails', false, 'in-band'],
      ['sh-forge', false, 'in-band'],
      ['sh-flood', false, 'in-band'],
      ['typed-link', true, 'out-of-band'],
      ['sh-beta', true, 'in-band'],
    ]);
    expect(r[2]!.message).toBe('`echo "batch $(ps -o ppid= -p $PPID | tr -d " ")"; echo nope >&2; exit 3` failed on alpha (exit 3): nope');
    expect(r[4]!.message).toBe('the probe on alpha: output exceeded 1 MiB on stdout: the probe was stopped');
    const shells = [r[0]!, r[2]!, r[3]!].map((x) => /batch (\d+)/.exec(x.actual)?.[1]);
    expect(shells[0]).toMatch(/^\d+$/);
    expect(new Set(shells).size).toBe(1);
  }, 120_000);
});

// last: the tampering leaves the sandbox's own tools lying
describe('typed checks against a tampering learner', () => {
  it('run out-of-band on this machine', async () => {
    const mode = await probeMode();
    expect(mode.mode, mode.reason).toBe('out-of-band');
  });

  it('keep every verdict when the learner fakes the tools, the environment, /proc/net and /run/netns', async () => {
    const before = await verdicts();
    expect(failing(before, DONE.map((c) => c.id), true), 'checks of what is done that fail').toEqual([]);
    expect(failing(before, NOT_DONE.map((c) => c.id), false), 'checks of what is not done that pass').toEqual([]);

    for (const host of ['alpha', 'beta']) {
      const t = await sandbox.exec(host, TAMPER);
      expect(t.exitCode, t.stderr).toBe(0);
    }
    // the tampering works on anything that runs inside: the sandbox's own tools now lie
    const lie = await sandbox.exec('alpha', 'ip -j link show dev veth-blue; iptables -S FORWARD; test -L /run/netns/x && echo symlinked');
    expect(lie.stdout).toContain('veth-blue');
    expect(lie.stdout).toContain('-A FORWARD -i veth-blue -j ACCEPT');
    expect(lie.stdout).toContain('symlinked');

    const after = await verdicts();
    expect(after).toEqual(before);
  }, 180_000);

  it('fail loudly when the learner writes rules with iptables-legacy (they filter too, but iptables-nft does not show them)', async () => {
    const before = await runStepChecks(stepOf([NOT_DONE.find((c) => c.id === 'ipt-blue')!]), sandbox, lab);
    expect(before[0]!.pass).toBe(false);
    // the real legacy binary (iptables-legacy itself was replaced by a fake above)
    const add = await sandbox.exec('alpha', 'xtables-legacy-multi iptables -A FORWARD -i veth-blue -j ACCEPT');
    expect(add.exitCode, add.stderr).toBe(0);
    try {
      const r = await runStepChecks(stepOf([NOT_DONE.find((c) => c.id === 'ipt-blue')!, DONE.find((c) => c.id === 'ipt')!]), sandbox, lab);
      for (const x of r) {
        expect(x.pass, x.id).toBe(false);
        expect(x.message).toMatch(/^alpha has iptables-legacy rules in table filter \(-A FORWARD -i veth-blue -j ACCEPT\): they filter packets too/);
      }
    } finally {
      await sandbox.exec('alpha', 'xtables-legacy-multi iptables -F FORWARD');
    }
  }, 60_000);
});
