// What machine the figures come from: they mean nothing without it.
import { cpus, freemem, hostname, loadavg, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { engineFacts } from '../engine/facts.js';

export interface Machine {
  hostname: string;
  nproc: number;
  cpuModel: string;
  memoryGiB: number;
  freeMemoryGiB: number;
  kernel: string;
  os: string;
  node: string;
  docker: string;
  dockerCgroup: string;
  dockerStorage: string;
  loadAverageAtStart: [number, number, number];
  runningContainersAtStart: number;
}

export async function describeMachine(): Promise<Machine> {
  const kernel = (await execa('uname', ['-r'])).stdout.trim();
  let os = 'unknown';
  try {
    os = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os;
  } catch {
    /* keep unknown */
  }
  const engine = await engineFacts({ maxAgeMs: 0 });
  const [docker, cgv, cgd, running] = engine.reachable
    ? [engine.dockerVersion, engine.cgroupVersion, engine.cgroupDriver, engine.containersRunning]
    : ['unavailable', '?', '?', 0];
  const la = loadavg().map((x) => Number(x.toFixed(2))) as [number, number, number];
  return {
    hostname: hostname(),
    nproc: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    freeMemoryGiB: Number((freemem() / 2 ** 30).toFixed(1)),
    kernel,
    os,
    node: process.version,
    docker,
    dockerCgroup: `v${cgv} ${cgd}`,
    dockerStorage: engine.reachable ? `${engine.storageDriver}${engine.diskQuota ? ' (per-container disk quotas)' : ''}` : 'unavailable',
    loadAverageAtStart: la,
    runningContainersAtStart: running,
  };
}
