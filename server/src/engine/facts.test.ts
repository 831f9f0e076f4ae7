import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { engineFacts, engineProbe, factsFromInfo } from './facts.js';

describe('engine facts', () => {
  it('parses docker info: user namespace, storage driver and whether disk quotas work', () => {
    const base = { ServerVersion: '20.10.24', KernelVersion: '6.1.0', CgroupVersion: '1', CgroupDriver: 'cgroupfs', ContainersRunning: 3 };
    expect(factsFromInfo({ ...base, SecurityOptions: ['name=seccomp,profile=default', 'name=userns'], Driver: 'btrfs' })).toEqual({
      reachable: true,
      userns: true,
      storageDriver: 'btrfs',
      diskQuota: true,
      kernel: '6.1.0',
      dockerVersion: '20.10.24',
      cgroupVersion: '1',
      cgroupDriver: 'cgroupfs',
      containersRunning: 3,
    });
    expect(factsFromInfo({ ...base, SecurityOptions: ['name=seccomp,profile=default'], Driver: 'overlay2', DriverStatus: [['Backing Filesystem', 'extfs']] })).toMatchObject({ userns: false, diskQuota: false });
    expect(factsFromInfo({ ...base, Driver: 'overlay2', DriverStatus: [['Backing Filesystem', 'xfs']] })).toMatchObject({ userns: false, diskQuota: true });
  });

  it('asks the engine once per time-to-live, shares a probe in flight, and retries after a failure', async () => {
    let calls = 0;
    let fail = false;
    const client = { info: async () => (calls++, fail ? Promise.reject(new Error('connect ENOENT /var/run/docker.sock\nmore')) : { Driver: 'btrfs', SecurityOptions: ['name=userns'] }) } as unknown as Docker;
    const probe = engineProbe(60_000, () => client);
    const [a, b] = await Promise.all([probe(), probe()]);
    expect(calls).toBe(1);
    expect(a).toBe(b);
    await probe();
    expect(calls).toBe(1);
    await probe({ maxAgeMs: 0 });
    expect(calls).toBe(2);
    probe.reset();
    fail = true;
    expect(await probe()).toEqual({ reachable: false, error: 'connect ENOENT /var/run/docker.sock' });
    fail = false;
    expect(await probe()).toMatchObject({ reachable: true, userns: true });
    expect(calls).toBe(4);
  });

  it("this machine's engine: reachable, user-namespaced, with per-container disk quotas", async () => {
    const facts = await engineFacts({ maxAgeMs: 0 });
    expect(facts).toMatchObject({ reachable: true, userns: true, diskQuota: true });
    if (facts.reachable) expect(facts.dockerVersion).toMatch(/^\d+\.\d+/);
  });
});
