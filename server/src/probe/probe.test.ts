// The out-of-band probe machinery on its own: mountinfo, netns mounts, resolution like a sandbox
// host, reading files without following symlinks on the server's side, bounded host processes.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeDev, namedNetnsList, namedNetnsMount, parseMountinfo } from './netns.js';
import { dnsCandidates, parseNsswitchHosts, parseResolvConf, resolveLikeHost } from './resolver.js';
import { openInRoot, readFileInRoot } from './rootfs.js';
import { runHost } from './spawn.js';

const MOUNTINFO = [
  '45 71 0:39 /100000.100000/btrfs/subvolumes/0d59/run/netns /run/netns rw,relatime shared:2 master:1 - btrfs /dev/loop0 rw',
  '55 45 0:4 net:[4026532254] /run/netns/red rw shared:3 - nsfs nsfs rw',
  '56 45 0:4 uts:[4026532260] /run/netns/uts rw shared:4 - nsfs nsfs rw',
  '57 45 0:4 net:[4026532300] /run/netns/over rw shared:5 - nsfs nsfs rw',
  '58 57 0:40 / /run/netns/over rw shared:6 - tmpfs tmpfs rw',
  '59 45 0:4 net:[4026532301] /run/netns/with\\040space rw - nsfs nsfs rw',
].join('\n');

describe('named network namespaces from mountinfo', () => {
  const mounts = parseMountinfo(MOUNTINFO);
  it('finds an nsfs mount of a network namespace at /run/netns/NAME, exactly', () => {
    expect(namedNetnsMount(mounts, 'red')).toEqual({ inode: 4026532254, dev: '0:4' });
    expect(namedNetnsMount(mounts, 're')).toBeUndefined();
    expect(namedNetnsMount(mounts, 'red-1')).toBeUndefined();
  });
  it('refuses other namespace types and a mount stacked over the netns', () => {
    expect(namedNetnsMount(mounts, 'uts')).toBeUndefined();
    expect(namedNetnsMount(mounts, 'over')).toBeUndefined();
  });
  it('unescapes mount points and lists the names', () => {
    expect(namedNetnsMount(mounts, 'with space')?.inode).toBe(4026532301);
    expect(namedNetnsList(mounts)).toEqual(['red', 'with space']);
  });
  it('encodes devices the way stat() reports them', () => {
    expect(encodeDev('0:4')).toBe(4);
    expect(encodeDev('8:1')).toBe(2049);
    expect(encodeDev('0:300')).toBe((300 & 0xff) | ((300 & ~0xff) << 12));
  });
});

describe('resolving like the sandbox host', () => {
  it('reads resolv.conf, nsswitch and the search order', () => {
    expect(parseResolvConf('nameserver 10.96.0.10\nsearch default.svc.cluster.local svc.cluster.local\noptions ndots:5\n')).toEqual({
      nameservers: ['10.96.0.10'],
      search: ['default.svc.cluster.local', 'svc.cluster.local'],
      ndots: 5,
    });
    expect(parseResolvConf('').nameservers).toEqual(['127.0.0.1']);
    expect(parseNsswitchHosts('hosts: dns [NOTFOUND=return] files\n')).toEqual([
      { source: 'dns', returnOnNotFound: true },
      { source: 'files', returnOnNotFound: false },
    ]);
    expect(parseNsswitchHosts(undefined).map((s) => s.source)).toEqual(['files', 'dns']);
    const conf = parseResolvConf('nameserver 10.0.0.1\nsearch lab\noptions ndots:2\n');
    expect(dnsCandidates('web', conf)).toEqual(['web.lab', 'web']);
    expect(dnsCandidates('a.b.c', conf)).toEqual(['a.b.c', 'a.b.c.lab']);
  });

  it('follows the nsswitch order: files first by default, dns first when the learner says so', async () => {
    const asked: string[] = [];
    const ask = async (server: string, q: string) => {
      asked.push(`${server} ${q}`);
      return q === 'web.lab' ? '10.0.0.9' : undefined;
    };
    const hosts = '127.0.0.1 localhost\n10.0.0.5 web web.lab\n';
    expect(await resolveLikeHost('web.lab', { hosts, resolvConf: 'nameserver 10.0.0.53\n' }, ask)).toEqual({ address: '10.0.0.5', via: '/etc/hosts' });
    expect(asked).toEqual([]);
    expect(await resolveLikeHost('web.lab', { hosts, nsswitch: 'hosts: dns files\n', resolvConf: 'nameserver 10.0.0.53\n' }, ask)).toEqual({ address: '10.0.0.9', via: 'dns 10.0.0.53' });
    const none = await resolveLikeHost('nope', { hosts, nsswitch: 'hosts: files\n' }, ask);
    expect(none.address).toBeUndefined();
    expect(none.via).toBe('nope does not resolve (tried /etc/hosts)');
  });
});

describe('reading files inside a root without following symlinks outside it', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'netdojo-rootfs-'));
  // this process as the "container": its root is the real root, its cgroup names itself
  const cgroup = readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n')[0]!.split(':').pop()!;
  const ref = { pid: process.pid, containerId: cgroup };
  mkdirSync(path.join(dir, 'etc'));
  writeFileSync(path.join(dir, 'etc/real'), 'real content\n');
  symlinkSync('real', path.join(dir, 'etc/rel'));
  symlinkSync(path.join(dir, 'etc/real'), path.join(dir, 'abs'));
  symlinkSync('../../../../../../../../..' + path.join(dir, 'etc/real'), path.join(dir, 'climb'));
  symlinkSync('loop', path.join(dir, 'loop'));
  execFileSync('mkfifo', [path.join(dir, 'fifo')]);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('resolves relative, absolute and climbing symlinks inside the root', async () => {
    for (const p of ['etc/real', 'etc/rel', 'abs', 'climb']) {
      const f = await readFileInRoot(ref, path.join(dir, p), 1024);
      expect(f, p).toMatchObject({ kind: 'file', size: 13, truncated: false });
      if (f.kind === 'file') expect(f.content.toString()).toBe('real content\n');
    }
  });
  it('caps, reports absence, loops, FIFOs and directories without blocking', async () => {
    const f = await readFileInRoot(ref, path.join(dir, 'etc/real'), 4);
    expect(f).toMatchObject({ kind: 'file', truncated: true });
    if (f.kind === 'file') expect(f.content.toString()).toBe('real');
    expect(await readFileInRoot(ref, path.join(dir, 'nope'), 10)).toMatchObject({ kind: 'absent' });
    await expect(readFileInRoot(ref, path.join(dir, 'loop'), 10)).rejects.toThrow(/too many levels/);
    expect(await readFileInRoot(ref, path.join(dir, 'fifo'), 10)).toMatchObject({ kind: 'other', why: expect.stringMatching(/not a regular file/) });
    expect(await readFileInRoot(ref, path.join(dir, 'etc'), 10)).toMatchObject({ kind: 'other', why: expect.stringMatching(/directory/) });
  });
  it('refuses any symlink when asked not to follow (named netns paths)', async () => {
    await expect(openInRoot(ref, path.join(dir, 'abs'), { follow: false })).rejects.toThrow(/is a symlink \(refused\)/);
  });
  it('refuses a process that is not the container it claims to be', async () => {
    await expect(readFileInRoot({ pid: process.pid, containerId: 'f'.repeat(64) }, '/etc/hostname', 10)).rejects.toThrow(/no longer belongs/);
  });
});

describe('bounded host processes', () => {
  it('keeps 1 MiB of a stream that prints 200 MiB and kills the process group', async () => {
    const r = await runHost(['/bin/bash', '-c', 'head -c 200M /dev/zero; echo done'], { timeoutMs: 60_000 });
    expect(r.overflow).toBe('stdout');
    expect(r.stdout.length).toBe(1024 * 1024);
    expect(r.stdout).not.toContain('done');
  });
  it('kills at the timeout', async () => {
    const r = await runHost(['/bin/bash', '-c', 'sleep 30 & wait'], { timeoutMs: 300 });
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBe(137);
  });
});

describe('checks mode', () => {
  it('is out-of-band here (root, host pid namespace, tools), in-band when the operator says so, and then typed checks use the sandbox', async () => {
    const { probeMode, resetProbeMode } = await import('./mode.js');
    const { runCheck } = await import('../checks/index.js');
    const { Check } = await import('../labs/schema.js');
    resetProbeMode();
    expect((await probeMode()).mode).toBe('out-of-band');
    const warned: string[] = [];
    const { setProbeModeWarn } = await import('./mode.js');
    setProbeModeWarn((m) => warned.push(m));
    process.env.NETDOJO_CHECKS = 'in-band';
    try {
      resetProbeMode();
      expect(await probeMode()).toMatchObject({ mode: 'in-band', reason: 'NETDOJO_CHECKS=in-band' });
      expect(warned).toEqual(["typed checks run IN-BAND, with the sandbox's own tools (a learner can fool them): NETDOJO_CHECKS=in-band"]);
      const scripts: string[] = [];
      const sandbox = {
        ref: { provider: 'docker' as const, sessionId: 'u', labId: 'u' },
        hosts: ['h'],
        exec: async (_h: string, script: string) => {
          scripts.push(script);
          return { exitCode: 0, stdout: '1\n', stderr: '', timedOut: false, durationMs: 1 };
        },
        attach: () => Promise.reject(new Error('none')),
        probeAccess: { initProcess: () => Promise.reject(new Error('must not be probed from outside')) },
      };
      const r = await runCheck(Check.parse({ id: 's', sysctl: { key: 'net.ipv4.ip_forward', equals: '1' } }), { sandbox, defaultHost: 'h' });
      expect(r).toMatchObject({ pass: true, via: 'in-band' });
      expect(scripts).toEqual(["cat -- '/proc/sys/net/ipv4/ip_forward'"]);
    } finally {
      delete process.env.NETDOJO_CHECKS;
      resetProbeMode();
    }
  });
});
