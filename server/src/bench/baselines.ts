// Baselines for the benchmark, done the way netdojo does the same work: through the Docker API
// (dockerode, and netdojo's own exec path), never the `docker` CLI, whose process start-up would
// inflate the baseline and flatter the figure beside it.
import type { Duplex } from 'node:stream';
import Docker from 'dockerode';
import { DEFAULT_IMAGE } from '../images/catalog.js';
import { runArgv } from '../sandbox/docker/exec.js';
import { ms } from './stats.js';
import type { Ctx } from './types.js';

const docker = new Docker();

function labels(ctx: Ctx): Record<string, string> {
  return { 'netdojo.scope': `${ctx.scopePrefix}-base`, 'netdojo.bench': ctx.runId };
}

/** create + start a container of the sandbox image and exec `true` in it (removal not timed) */
export async function createStartExec(ctx: Ctx): Promise<number> {
  const t0 = process.hrtime.bigint();
  const c = await docker.createContainer({
    Image: DEFAULT_IMAGE,
    Entrypoint: ['sleep', 'infinity'],
    Cmd: [],
    Labels: labels(ctx),
    HostConfig: { NetworkMode: 'none' },
  });
  try {
    await c.start();
    const r = await runArgv(c, ['true']);
    if (r.exitCode !== 0) throw new Error(`baseline exec of true failed: exit ${r.exitCode} ${r.stderr}`);
    return ms(t0);
  } finally {
    await c.remove({ force: true }).catch(() => undefined);
  }
}

/** a running container of the sandbox image, for baselines of work inside one */
export async function idleContainer(ctx: Ctx): Promise<{ container: Docker.Container; remove(): Promise<void> }> {
  const container = await docker.createContainer({
    Image: DEFAULT_IMAGE,
    Entrypoint: ['sleep', 'infinity'],
    Cmd: [],
    Labels: labels(ctx),
    HostConfig: { NetworkMode: 'none' },
  });
  await container.start();
  return { container, remove: () => container.remove({ force: true }).then(() => undefined, () => undefined) };
}

/** one exec through netdojo's exec path; fails loudly when the command fails */
export async function execMs(container: Docker.Container, argv: string[]): Promise<number> {
  const t0 = process.hrtime.bigint();
  const r = await runArgv(container, argv);
  const took = ms(t0);
  if (r.exitCode !== 0) throw new Error(`baseline exec ${argv.join(' ')} failed: exit ${r.exitCode} ${r.stderr.slice(0, 200)}`);
  return took;
}

/**
 * What a warm session has to do at the least: exec a login shell with a TTY into a running
 * container and read its first prompt (the same attach netdojo's terminals use).
 */
export async function shellPromptMs(container: Docker.Container, prompt: RegExp): Promise<number> {
  const t0 = process.hrtime.bigint();
  const exec = await container.exec({ Cmd: ['bash', '-l'], AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: true, Env: ['TERM=xterm-256color'] });
  const stream = (await exec.start({ hijack: true, stdin: true, Tty: true } as Docker.ExecStartOptions)) as unknown as Duplex;
  try {
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(() => reject(new Error(`no prompt from the baseline shell within 30 s: ${JSON.stringify(seen.slice(-200))}`)), 30_000);
      stream.on('data', (b: Buffer) => {
        seen += b.toString('latin1');
        if (prompt.test(seen)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    return ms(t0);
  } finally {
    stream.end('exit\n');
    stream.destroy();
  }
}

/** MB/s of a command's output read through an exec stream (with or without a TTY) */
export async function execThroughput(container: Docker.Container, cmd: string, tty: boolean): Promise<{ MBps: number; bytes: number }> {
  const exec = await container.exec({ Cmd: ['sh', '-c', cmd], AttachStdout: true, AttachStderr: true, Tty: tty });
  const t0 = process.hrtime.bigint();
  const stream = (await exec.start({ hijack: true, stdin: false, Tty: tty } as Docker.ExecStartOptions)) as unknown as Duplex;
  let bytes = 0;
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (b: Buffer) => (bytes += b.length));
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', reject);
  });
  // without a TTY the stream carries 8-byte frame headers; they are a fraction of a percent here
  return { MBps: bytes / 1e6 / (ms(t0) / 1000), bytes };
}

/**
 * `n` bare containers of the sandbox image (its own entrypoint, as a sandbox host runs it), created
 * and started through the Docker API two at a time with nothing of netdojo around them: what the
 * engine alone costs per container, for the host-wide cost of an idle session.
 */
export async function bareContainers(ctx: Ctx, n: number): Promise<{ ids: string[]; remove(): Promise<void> }> {
  const ids: string[] = [];
  const one = async () => {
    const c = await docker.createContainer({ Image: DEFAULT_IMAGE, Labels: labels(ctx), HostConfig: { NetworkMode: 'none' } });
    ids.push(c.id);
    await c.start();
  };
  const remove = async () => {
    for (let i = 0; i < ids.length; i += 4) await Promise.all(ids.slice(i, i + 4).map((id) => docker.getContainer(id).remove({ force: true }).catch(() => undefined)));
  };
  try {
    for (let i = 0; i < n; i += 2) await Promise.all(Array.from({ length: Math.min(2, n - i) }, one));
  } catch (err) {
    await remove();
    throw err;
  }
  return { ids, remove };
}
