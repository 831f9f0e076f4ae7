// Issue 13, from the learner's side (root in the sandbox): rows 1, 2 and 8 of docs/security.md.
// Bounded: quotas are set small so that filling them takes seconds and megabytes; every sandbox
// made here is destroyed in afterAll.
import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../types.js';
import { docker } from './client.js';
import { bridgeName, DEFAULT_NETWORK } from './names.js';
import { DockerProvider } from './provider.js';
import { testLab, testSession } from './testkit.js';

const MiB = 1024 * 1024;
const provider = new DockerProvider({ scope: `test-${process.pid}`, writableBytes: 64 * MiB, dindBytes: 64 * MiB });
const plain = testLab('atk-plain', { hosts: [{ name: 'learner' }] });
const dind = testLab('atk-dind', { hosts: [{ name: 'dk', docker: true }] });
const sessions = { plain: testSession('atk-p'), dind: testSession('atk-d') };
let p: Sandbox;
let d: Sandbox;

beforeAll(async () => {
  [p, d] = await Promise.all([
    provider.create(plain, { sessionId: sessions.plain, labDir: '/nonexistent' }),
    provider.create(dind, { sessionId: sessions.dind, labDir: '/nonexistent' }),
  ]);
}, 300_000);

afterAll(async () => {
  for (const s of Object.values(sessions)) await provider.destroy({ provider: 'docker', sessionId: s, labId: 'x' }).catch(() => {});
}, 120_000);

describe('row 1: the kernel key quota shared by every sandbox', () => {
  it('add_key, keyctl and request_key fail with ENOSYS in a docker: true host, so a loop cannot exhaust the quota', async () => {
    // 200 keys of 9000 bytes: 54 such calls exhausted the remapped uid's quota before
    const loop = `perl -e 'my $p = "x" x 9000; my $ok = 0; my $err = "";
      for my $i (1..200) { my ($t, $d) = ("user", "k$i"); if (syscall(248, $t, $d, $p, length($p), -3) >= 0) { $ok++ } else { $err = $!+0 } }
      my $kc = syscall(250, 0, -3, 0) >= 0 ? "ok" : $!+0; my ($t, $d) = ("user", "k"); my $rk = syscall(249, $t, $d, 0, 0) >= 0 ? "ok" : $!+0;
      print "add_key ok=$ok errno=$err keyctl=$kc request_key=$rk\\n"'`;
    const r = await d.exec('dk', loop, { timeoutMs: 60_000 });
    expect(r.stdout.trim()).toBe('add_key ok=0 errno=38 keyctl=38 request_key=38');
    expect(provider.diskQuota).toBe(true);
  });

  it('the inner engine still runs containers (and still refuses --privileged ones)', async () => {
    const script = [
      'netdojo-dind-wait 90 >/dev/null 2>&1 || true',
      // a tiny image made on the spot: the test needs no registry and no baked-in image
      'tar -C / -ch bin/echo lib64/ld-linux-x86-64.so.2 lib/x86_64-linux-gnu/libc.so.6 2>/dev/null | docker import - netdojo-atk-tiny >/dev/null',
      'docker run --rm --network none netdojo-atk-tiny /bin/echo inner-ok',
      'docker run --rm --privileged --network none netdojo-atk-tiny /bin/echo privileged-ran 2>&1 | tail -1',
      // the watchdog test below starts from the inner engine's own data
      'docker rmi -f netdojo-atk-tiny >/dev/null 2>&1 || true',
    ].join('\n');
    const r = await d.exec('dk', script, { timeoutMs: 180_000 });
    expect(r.stdout).toContain('inner-ok');
    expect(r.stdout).not.toContain('privileged-ran');
  });
});

describe('row 2: disk', () => {
  it('a write past the writable layer quota fails inside; the host keeps its disk', async () => {
    const r = await p.exec('learner', 'dd if=/dev/zero of=/root/fill bs=1M count=100 2>&1 | grep -v records; stat -c %s /root/fill; rm -f /root/fill', { timeoutMs: 120_000 });
    expect(r.stdout).toMatch(/Disk quota exceeded|No space left on device/);
    const written = Number(r.stdout.trim().split('\n').at(-1));
    expect(written).toBeLessThanOrEqual(64 * MiB);
  });

  it('a DinD /var/lib/docker past its limit is noticed by the watchdog, which names the host', async () => {
    const before = await provider.overQuota(new Map([[sessions.dind, ['dk']]]));
    expect(before).toEqual([]);
    const w = await d.exec('dk', 'dd if=/dev/zero of=/var/lib/docker/fill bs=1M count=96 2>&1 | tail -1; sync', { timeoutMs: 120_000 });
    expect(w.exitCode).toBe(0);
    const after = await provider.overQuota(new Map([[sessions.dind, ['dk']]]));
    expect(after).toEqual([{ sessionId: sessions.dind, reason: expect.stringMatching(/^host dk used 0\.\d\d GiB for Docker images and containers \(the limit is 0\.06 GiB\)$/) }]);
  });
});

describe('row 8: /run/host-sys', () => {
  it('is one read-only sysfs mount with no host cgroup tree under it', async () => {
    const r = await p.exec('learner', 'grep " /run/host-sys" /proc/self/mountinfo | cut -d" " -f5,6,9');
    expect(r.stdout.trim().split('\n')).toEqual([expect.stringMatching(/^\/run\/host-sys ro,.* sysfs$/)]);
    const cg = await p.exec('learner', 'ls -A /run/host-sys/fs/cgroup | wc -l; echo 1 > /run/host-sys/fs/cgroup/cgroup.subtree_control; echo rc=$?; mount -o remount,rw /run/host-sys; echo remount=$?');
    expect(cg.stdout).toMatch(/^0\n/);
    expect(cg.stdout).toMatch(/rc=[1-9]/);
    expect(cg.stdout).toMatch(/remount=[1-9]/);
  });

  it('still lets ip netns exec mount a namespace’s /sys', async () => {
    const r = await p.exec('learner', 'ip netns add atk && ip netns exec atk ip -o link show lo && ip netns exec atk ls /sys/class/net; ip netns del atk');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/1: lo:/);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('lo');
  });
});

describe('host side of a sandbox bridge', () => {
  it('the host does not answer ARP on a sandbox bridge, and a removed host rule is back after the next create', async () => {
    const bridge = bridgeName(sessions.plain, DEFAULT_NETWORK);
    expect(readFileSync(`/proc/sys/net/ipv4/conf/${bridge}/arp_ignore`, 'utf8').trim()).toBe('8');
    expect(readFileSync(`/proc/sys/net/ipv4/conf/${bridge}/arp_announce`, 'utf8').trim()).toBe('2');
    // a firewall reset, in miniature: the IPv6 INPUT drop (the least disruptive of the rules for
    // the other sandboxes on this engine) goes away, and the next sandbox puts it back
    const rule = ['-t', 'filter', 'INPUT', '-i', 'lcb+', '-m', 'comment', '--comment', 'netdojo-sandbox-bridges', '-j', 'DROP'];
    const present = () => execa('ip6tables', ['-t', 'filter', '-C', ...rule.slice(2)], { reject: false }).then((r) => r.exitCode === 0);
    expect(await present()).toBe(true);
    await execa('ip6tables', ['-t', 'filter', '-D', ...rule.slice(2)]);
    const extra = testSession('atk-r');
    try {
      await provider.create(plain, { sessionId: extra, labDir: '/nonexistent' });
      expect(await present()).toBe(true);
    } finally {
      if (!(await present())) await execa('ip6tables', ['-t', 'filter', '-I', ...rule.slice(2)]);
      await provider.destroy({ provider: 'docker', sessionId: extra, labId: 'x' });
    }
  }, 180_000);
});

describe('engine restart', () => {
  // Restarting the shared engine would break every other suite running on it, so this proves the
  // mechanism instead: live-restore is on, and a sandbox's processes hang from containerd's shim,
  // not from dockerd, so a dockerd restart does not take them down.
  it('runs with live-restore, sandbox processes parented by the containerd shim', async () => {
    const info = (await docker().info()) as { LiveRestoreEnabled?: boolean };
    expect(info.LiveRestoreEnabled).toBe(true);
    const c = await docker().getContainer(`netdojo-${sessions.plain}-learner`).inspect();
    const ppid = readFileSync(`/proc/${c.State.Pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]!;
    expect(readFileSync(`/proc/${ppid}/comm`, 'utf8').trim()).toMatch(/^containerd-shim/);
  });
});
