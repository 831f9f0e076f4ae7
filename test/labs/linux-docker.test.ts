// The `linux` and `docker` tracks replayed for real (docs/dev/architecture.md, "A replay"): every lab passes, every check
// fails before its solve and passes after it, nothing is left on the engine, and only the labs that
// run Docker inside get the dind variant — a plain lab's host has Docker's default capabilities
// plus NET_ADMIN and SYS_ADMIN, nothing more, and keeps its seccomp filter.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLabs } from '../../server/src/labs/loader.js';
import type { LoadedLab } from '../../server/src/labs/schema.js';
import { activeSessions, destroyActive } from '../../server/src/runner/cleanup.js';
import { replayMany } from '../../server/src/runner/replay.js';
import type { ReplayEvent, ReplaySummary } from '../../server/src/runner/types.js';
import { defaultProviders } from '../../server/src/sandbox/registry.js';
import type { Provider } from '../../server/src/sandbox/types.js';

// exactly these (a lab added to the two tracks is added here)
const LAB_PATHS = [
  'linux/linux-routing',
  'linux/netns-veth',
  'linux/netns-bridge',
  'linux/netns-nat',
  'linux/dns-basics',
  'linux/troubleshooting',
  'docker/docker-network-modes',
  'docker/docker-port-mapping',
  'docker/pod-pause-container',
  'docker/container-is-a-process',
];
const LABS = LAB_PATHS.map((p) => p.split('/')[1]!);

// Linux capability numbers (linux/capability.h)
const CAP = {
  CHOWN: 0, DAC_OVERRIDE: 1, FOWNER: 3, FSETID: 4, KILL: 5, SETGID: 6, SETUID: 7, SETPCAP: 8,
  NET_BIND_SERVICE: 10, NET_ADMIN: 12, NET_RAW: 13, SYS_CHROOT: 18, SYS_ADMIN: 21, MKNOD: 27,
  AUDIT_WRITE: 29, SETFCAP: 31,
} as const;
/** Docker's default capability set (moby oci/caps/defaults.go) */
const DOCKER_DEFAULT = [
  'CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP',
  'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE',
] as const;
const mask = (names: readonly (keyof typeof CAP)[]) => names.reduce((m, n) => m | (1n << BigInt(CAP[n])), 0n);
const EXPECTED_CAPS = mask([...DOCKER_DEFAULT, 'NET_ADMIN', 'SYS_ADMIN']);

function dockerObjects(sessionId: string): string[] {
  const filter = `label=netdojo.session=${sessionId}`;
  const ls = (...args: string[]) => execFileSync('docker', [...args, '-q', '--filter', filter], { encoding: 'utf8' }).split('\n').filter(Boolean);
  return [...ls('ps', '-a'), ...ls('network', 'ls'), ...ls('volume', 'ls')];
}

interface HostSecurity {
  capEff: bigint;
  seccomp: string;
  privileged: string;
}

/** CapEff and Seccomp of a command exec'd in the host (what a learner's shell gets), and Privileged. */
function hostSecurity(sessionId: string, host: string): HostSecurity {
  const name = `netdojo-${sessionId}-${host}`;
  const status = execFileSync('docker', ['exec', name, 'cat', '/proc/self/status'], { encoding: 'utf8' });
  const capEff = /^CapEff:\s*([0-9a-f]+)/m.exec(status)?.[1];
  const seccomp = /^Seccomp:\s*(\d+)/m.exec(status)?.[1];
  if (!capEff || !seccomp) throw new Error(`no CapEff/Seccomp in /proc/self/status of ${name}`);
  const privileged = execFileSync('docker', ['inspect', '-f', '{{.HostConfig.Privileged}}', name], { encoding: 'utf8' }).trim();
  return { capEff: BigInt(`0x${capEff}`), seccomp, privileged };
}

let docker: Provider;
let labs: LoadedLab[];
let summary: ReplaySummary;
const security = new Map<string, Promise<HostSecurity>>();
const sessions: string[] = [];

beforeAll(async () => {
  docker = await defaultProviders().get('docker');
  const loaded = await loadLabs(LAB_PATHS.map((p) => `labs/${p}`));
  expect(loaded.problems.filter((p) => p.severity === 'error')).toEqual([]);
  labs = loaded.labs;
  const onEvent = (e: ReplayEvent) => {
    if (e.type !== 'sandbox-ready') return;
    sessions.push(e.sessionId);
    // read the first host's security while the sandbox is up (the replay keeps it for many seconds)
    const lab = labs.find((l) => l.lab.id === e.lab)!.lab;
    const host = lab.environment.hosts[0]!;
    security.set(e.lab, new Promise((resolve, reject) => setImmediate(() => {
      try {
        resolve(hostSecurity(e.sessionId, host.name));
      } catch (err) {
        reject(err);
      }
    })));
  };
  summary = await replayMany(labs, { provider: defaultProviders(), jobs: 3, onEvent });
}, 3_600_000);

afterAll(async () => {
  if (activeSessions().length) await destroyActive();
});

describe('replay of labs/linux and labs/docker', () => {
  it('finds every lab of the two tracks', () => {
    expect(labs.map((l) => l.lab.id).sort()).toEqual([...LABS].sort());
  });

  it('passes every lab, skipping none', () => {
    const failed = summary.labs.filter((l) => l.status !== 'passed').map((l) => `${l.id}: ${l.status} ${l.reason ?? l.failures.join('; ')}`);
    expect(failed).toEqual([]);
    expect(summary.passed).toBe(LABS.length);
    expect(summary.skipped).toBe(0);
  });

  it('saw every check fail before its solve and pass after it', () => {
    const wrong: string[] = [];
    let checks = 0;
    for (const lab of summary.labs) {
      expect(lab.steps.length).toBeGreaterThan(0);
      for (const step of lab.steps) {
        expect(step.checks.length, `${lab.id}/${step.id} has checks`).toBeGreaterThan(0);
        for (const c of step.checks) {
          checks++;
          const where = `${lab.id}/${step.id}/${c.id}`;
          if (c.status !== 'passed') wrong.push(`${where}: ${c.status} ${c.reason ?? ''}`);
          if (!c.passesBeforeSolve && c.before?.pass !== false) wrong.push(`${where}: did not fail before the solve`);
          if (c.after?.pass !== true) wrong.push(`${where}: did not pass after the solve`);
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(checks).toBeGreaterThan(40);
  });

  it('catches every near-miss, accepts every alternative, and repeats every repeatable solve', () => {
    const wrong: string[] = [];
    for (const lab of summary.labs) {
      for (const v of lab.variants) if (v.status !== 'passed') wrong.push(`${lab.id}/${v.step}/${v.id} (${v.kind}): ${v.reason ?? v.status}`);
      for (const step of lab.steps) if (step.again?.status === 'failed') wrong.push(`${lab.id}/${step.id}: solve twice: ${step.again.reason ?? ''}`);
    }
    expect(wrong).toEqual([]);
    const count = (kind: string) => summary.labs.reduce((n, l) => n + l.variants.filter((v) => v.kind === kind).length, 0);
    // every lab declares wrong answers, and the labs together at least this many
    for (const lab of summary.labs) expect(lab.variants.some((v) => v.kind === 'near-miss'), lab.id).toBe(true);
    expect(count('near-miss')).toBeGreaterThanOrEqual(80);
    expect(count('alternative')).toBeGreaterThanOrEqual(30);
  });

  it('leaves nothing behind', async () => {
    expect(sessions.length).toBe(LABS.length);
    for (const lab of summary.labs) {
      expect(lab.leftovers, lab.id).toEqual([]);
      for (const v of lab.variants) {
        expect(v.leftovers, `${lab.id}/${v.step}/${v.id}`).toEqual([]);
        if (v.sessionId) expect(dockerObjects(v.sessionId), v.sessionId).toEqual([]);
      }
    }
    for (const id of sessions) {
      expect(await docker.leftovers(id), id).toEqual([]);
      expect(dockerObjects(id), id).toEqual([]);
    }
  });

  it('gives a lab without Docker inside only the default capabilities plus NET_ADMIN and SYS_ADMIN', async () => {
    for (const id of ['linux-routing', 'netns-nat', 'dns-basics']) {
      const sec = await security.get(id)!;
      expect(sec.capEff.toString(16), id).toBe(EXPECTED_CAPS.toString(16));
      expect(sec.seccomp, `${id} keeps its seccomp filter`).toBe('2');
      expect(sec.privileged, id).toBe('false');
    }
  });

  it('gives a Docker lab no more capabilities either, and a seccomp filter of its own (docs/security.md)', async () => {
    for (const id of ['docker-network-modes', 'docker-port-mapping', 'pod-pause-container']) {
      const sec = await security.get(id)!;
      expect(sec.capEff.toString(16), id).toBe(EXPECTED_CAPS.toString(16));
      // Docker's default profile plus pivot_root, the kernel key syscalls failing: filtered, not unconfined
      expect(sec.seccomp, id).toBe('2');
      expect(sec.privileged, id).toBe('false');
    }
  });
});
