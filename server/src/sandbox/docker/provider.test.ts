// Integration tests of the docker provider against the real engine (userns-remapped).
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../types.js';
import { docker } from './client.js';
import { originLabel } from './names.js';
import { DockerProvider } from './provider.js';
import { terminalReader, testLab, testSession } from './testkit.js';

// a scope of our own: a server's reconcile on this shared engine must not take our sandboxes for orphans
const provider = new DockerProvider({ scope: `test-${process.pid}` });
const lab = testLab('two-hosts', {
  hosts: [{ name: 'alpha' }, { name: 'beta' }],
  networks: [
    { name: 'lan', subnet: '192.168.10.0/24', hosts: { alpha: '192.168.10.1', beta: '192.168.10.2' } },
    { name: 'back', subnet: '10.99.0.0/16', hosts: { beta: '10.99.0.2' } },
  ],
});
const sessions = { a: testSession('prov-a'), b: testSession('prov-b'), d: testSession('prov-dind') };
const labDir = mkdtempSync(path.join(tmpdir(), 'netdojo-prov-'));
let a: Sandbox;
let b: Sandbox;

beforeAll(async () => {
  mkdirSync(path.join(labDir, 'files/sub'), { recursive: true });
  writeFileSync(path.join(labDir, 'files/hello.txt'), 'hello from the lab\n');
  writeFileSync(path.join(labDir, 'files/sub/run.sh'), '#!/bin/sh\necho sub\n', { mode: 0o755 });
  // two sandboxes of the same lab at once: both use 192.168.10.0/24
  [a, b] = await Promise.all([
    provider.create(lab, { sessionId: sessions.a, labDir }),
    provider.create(lab, { sessionId: sessions.b, labDir }),
  ]);
}, 120_000);

afterAll(async () => {
  for (const s of Object.values(sessions)) await provider.destroy({ provider: 'docker', sessionId: s, labId: 'x' }).catch(() => {});
  rmSync(labDir, { recursive: true, force: true });
}, 120_000);

describe('docker provider', () => {
  it('gives every host its fixed address on eth0/eth1 in network order, and the hosts ping each other', async () => {
    expect(a.hosts).toEqual(['alpha', 'beta']);
    const beta = await a.exec('beta', 'ip -4 -br addr show dev eth0; ip -4 -br addr show dev eth1; ip route show default');
    expect(beta.exitCode).toBe(0);
    expect(beta.stdout).toMatch(/^eth0(@\S+)?\s+UP\s+192\.168\.10\.2\/24/m);
    expect(beta.stdout).toMatch(/^eth1(@\S+)?\s+UP\s+10\.99\.0\.2\/16/m);
    expect(beta.stdout).not.toMatch(/default/);
    const ping = await a.exec('beta', 'ping -c 2 -W 2 alpha');
    expect(ping.stdout).toContain('2 received');
    const name = await a.exec('alpha', 'hostname; getent hosts beta');
    expect(name.stdout).toMatch(/^alpha\n192\.168\.10\.2\s+beta/);
  });

  it('runs two sandboxes with the same subnet side by side, each reaching only its own hosts', async () => {
    const srv = await b.exec('alpha', 'whoami-server --name b-alpha --port 8080', { background: true });
    expect(srv.exitCode).toBe(0);
    const fromB = await b.exec('beta', 'for i in $(seq 50); do curl -s --max-time 2 http://192.168.10.1:8080/ && exit 0; sleep 0.1; done; exit 1');
    expect(fromB.stdout).toContain('Hostname: b-alpha');
    expect(fromB.stdout).toContain('RemoteAddr: 192.168.10.2:');
    // the same address in sandbox a is a different host without that server
    const fromA = await a.exec('beta', 'curl -s --max-time 3 http://192.168.10.1:8080/');
    expect(fromA.exitCode).not.toBe(0);
    expect(fromA.stdout).not.toContain('b-alpha');
    expect((await a.exec('beta', 'ping -c 1 -W 2 192.168.10.1')).exitCode).toBe(0);
  });

  it('copies the lab files/ folder into every host at /lab/files', async () => {
    for (const host of a.hosts) {
      const r = await a.exec(host, 'cat /lab/files/hello.txt && /lab/files/sub/run.sh');
      expect(r.stdout).toBe('hello from the lab\nsub\n');
    }
  });

  it('executes in a network namespace', async () => {
    expect((await a.exec('alpha', 'ip netns add red && ip -n red link set lo up')).exitCode).toBe(0);
    const inside = await a.exec('alpha', 'ip -br link; echo ns=$(ip netns identify)', { netns: 'red' });
    expect(inside.exitCode).toBe(0);
    expect(inside.stdout).toMatch(/^lo\s+UNKNOWN/m);
    expect(inside.stdout).not.toMatch(/eth0/);
    expect(inside.stdout).toContain('ns=red');
  });

  it('separates stdout and stderr, passes stdin and env, returns the exit code', async () => {
    const r = await a.exec('alpha', 'read line; echo "$line/$GREETING"; echo oops >&2; exit 3', { stdin: 'hi\n', env: { GREETING: 'hello' } });
    expect(r).toMatchObject({ exitCode: 3, stdout: 'hi/hello\n', stderr: 'oops\n', timedOut: false });
  });

  it('kills a command past its timeout', async () => {
    const r = await a.exec('alpha', 'echo started; sleep 300', { timeoutMs: 700 });
    expect(r.timedOut).toBe(true);
    expect(r.stdout).toBe('started\n');
    expect((await a.exec('alpha', 'pgrep -f "sleep 300"')).exitCode).toBe(1);
  });

  it('starts a background command and returns while it still runs', async () => {
    const r = await a.exec('alpha', 'sleep 77; touch /tmp/never', { background: true, netns: 'red' });
    expect(r.exitCode).toBe(0);
    const running = await a.exec('alpha', 'pgrep -f "sleep 77"');
    expect(running.exitCode).toBe(0);
    const out = await a.exec('alpha', 'echo bg-$(ip netns identify) ', { background: true, netns: 'red' });
    const log = out.stdout.match(/output: (\S+)\)/)?.[1];
    expect(log).toBeDefined();
    const content = await a.exec('alpha', `for i in $(seq 50); do [ -s ${log} ] && break; sleep 0.1; done; cat ${log}`);
    expect(content.stdout).toBe('bg-red\n');
  });

  it('attaches an interactive shell: prompt, input, resize, and close ends the shell', async () => {
    const term = await a.attach('alpha', { cols: 80, rows: 24 });
    const out = terminalReader(term);
    try {
      await out.waitFor(/root@alpha:~# $/m);
      term.stream.write('ip netns add x; ip netns list\r');
      await out.waitFor(/^x\s*$/m);
      await term.resize({ cols: 120, rows: 40 });
      term.stream.write('stty size; echo $$ > /tmp/term.pid\r');
      await out.waitFor(/^40 120\s*$/m);
    } finally {
      await term.close();
    }
    const gone = await a.exec('alpha', 'p=$(cat /tmp/term.pid); kill -0 "$p" 2>/dev/null && echo alive || echo gone; ls /run/netdojo-term-*.pid 2>/dev/null | wc -l');
    expect(gone.stdout).toBe('gone\n0\n');
    expect((await a.exec('alpha', 'ip netns list')).stdout).toMatch(/^x\b/m);
  });

  it('adopts a running sandbox and lists it', async () => {
    const refs = await provider.list();
    expect(refs.map((r) => r.sessionId)).toEqual(expect.arrayContaining([sessions.a, sessions.b]));
    const again = await provider.adopt({ provider: 'docker', sessionId: sessions.a, labId: lab.id }, lab);
    expect(again.hosts).toEqual(['alpha', 'beta']);
    expect(again.ref.labId).toBe('two-hosts');
    expect((await again.exec('beta', 'ping -c 1 -W 2 alpha')).exitCode).toBe(0);
  });

  it('destroys completely and idempotently', async () => {
    expect((await provider.leftovers(sessions.b)).length).toBeGreaterThanOrEqual(4); // 2 containers + 2 networks
    await provider.destroy(b.ref);
    await provider.destroy(b.ref);
    expect(await provider.leftovers(sessions.b)).toEqual([]);
    expect((await provider.list()).map((r) => r.sessionId)).not.toContain(sessions.b);
    await expect(provider.adopt(b.ref, lab)).rejects.toThrow(/gone/);
  });

  it('destroy removes a network that something else still holds an endpoint on', async () => {
    // the race seen under load ("has active endpoints"), made for sure: a container destroy does not
    // list (no session label) holds an endpoint on the sandbox's network
    const sid = testSession('prov-ep');
    const one = testLab('one-net', { hosts: [{ name: 'solo' }], networks: [{ name: 'lan', subnet: '192.168.11.0/24', hosts: { solo: '192.168.11.1' } }] });
    const sb = await provider.create(one, { sessionId: sid, labDir });
    const net = (await docker().listNetworks({ filters: { label: [`netdojo.session=${sid}`] } }))[0]!;
    const squatter = await docker().createContainer({
      Image: 'netdojo/netbox', Entrypoint: ['sleep', '60'], Labels: originLabel(),
      HostConfig: { NetworkMode: net.Id, AutoRemove: false },
    });
    try {
      await squatter.start();
      await provider.destroy(sb.ref);
      expect(await provider.leftovers(sid)).toEqual([]);
    } finally {
      await squatter.remove({ force: true }).catch(() => {});
    }
  });

  it('runs a Docker engine inside a docker: true host, with a volume that destroy removes', async () => {
    const dlab = testLab('dind', { hosts: [{ name: 'node', docker: true }] });
    const d = await provider.create(dlab, { sessionId: sessions.d, labDir });
    const info = await d.exec('node', 'docker info --format "{{.ServerVersion}} {{.Driver}}"; iptables -t nat -S POSTROUTING | grep -c MASQUERADE');
    expect(info.exitCode).toBe(0);
    // btrfs when the outer data root is btrfs (infra/docker-engine.sh), overlay2 otherwise
    expect(info.stdout).toMatch(/^\d+\.\d+\.\d+\S* (overlay2|btrfs)\n[1-9]/);
    expect(await provider.leftovers(sessions.d)).toEqual(expect.arrayContaining([`volume:netdojo-${sessions.d}-node-docker`]));
    await provider.destroy(d.ref);
    expect(await provider.leftovers(sessions.d)).toEqual([]);
  }, 120_000);
});
