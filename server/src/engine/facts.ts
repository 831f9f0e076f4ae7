// What the Docker engine says about itself, parsed in one place: is it up, does it isolate with a
// user namespace, which storage driver (and so whether per-container disk quotas work), kernel,
// versions. Probed through `docker info` at most once per time-to-live; callers that ask at the
// same time share one probe.
import type Docker from 'dockerode';
import { docker } from './client.js';
import { ttlCache, type TtlCache } from './ttl.js';

export interface EngineUp {
  reachable: true;
  /** the engine runs with userns-remap: container root is an unprivileged user on the host */
  userns: boolean;
  storageDriver: string;
  /** HostConfig.StorageOpt `size` is honoured (btrfs, zfs; overlay2 only on xfs with pquota) */
  diskQuota: boolean;
  kernel: string;
  dockerVersion: string;
  cgroupVersion: string;
  cgroupDriver: string;
  containersRunning: number;
}
export interface EngineDown {
  reachable: false;
  error: string;
}
export type EngineFacts = EngineUp | EngineDown;

/** the part of `docker info` (GET /info) these facts come from */
export interface DockerInfo {
  SecurityOptions?: string[];
  Driver?: string;
  DriverStatus?: Array<[string, string]>;
  KernelVersion?: string;
  ServerVersion?: string;
  CgroupVersion?: string;
  CgroupDriver?: string;
  ContainersRunning?: number;
}

/** the facts in a `docker info` answer */
export function factsFromInfo(info: DockerInfo): EngineUp {
  const driver = info.Driver ?? 'unknown';
  const status = new Map((info.DriverStatus ?? []).map(([k, v]) => [k, v]));
  const backing = status.get('Backing Filesystem') ?? '';
  return {
    reachable: true,
    userns: (info.SecurityOptions ?? []).some((o) => o.includes('name=userns')),
    storageDriver: driver,
    diskQuota: driver === 'btrfs' || driver === 'zfs' || (driver === 'overlay2' && backing === 'xfs'),
    kernel: info.KernelVersion ?? 'unknown',
    dockerVersion: info.ServerVersion ?? 'unknown',
    cgroupVersion: info.CgroupVersion ?? '?',
    cgroupDriver: info.CgroupDriver ?? '?',
    containersRunning: info.ContainersRunning ?? 0,
  };
}

const firstLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

/** the facts, at most `ttlMs` old (a failed probe is retried on the next call); reset() after restarting the engine */
export type EngineProbe = TtlCache<EngineFacts>;

export function engineProbe(ttlMs = 15_000, client: () => Docker = docker): EngineProbe {
  const probe = (): Promise<EngineFacts> =>
    client()
      .info()
      .then(
        (info: unknown) => factsFromInfo(info as DockerInfo),
        (err: unknown): EngineFacts => ({ reachable: false, error: firstLine(err) }),
      );
  return ttlCache(probe, { ttlMs, keep: (facts) => facts.reachable });
}

/** the process's engine facts (15 s time-to-live) */
export const engineFacts: EngineProbe = engineProbe();
