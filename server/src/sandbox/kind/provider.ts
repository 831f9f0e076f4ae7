// The kind provider (DESIGN §4): one kind cluster per session, named `netdojo-<id>`, created
// from a config generated out of the lab's `environment.cluster`, with its own kubeconfig
// file (kind would otherwise merge into ~/.kube/config). kind nodes are privileged
// containers: a kind session hands the learner root over the host — trusted use only.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { KindCluster, type Lab } from '../../labs/schema.js';
import { UserError } from '../../util/errors.js';
import { generateKindConfig, kindNodeNames, type GenerateOptions } from '../../k8s/kind-config.js';
import type { Capabilities, CreateOptions, Provider, SandboxRef } from '../types.js';
import { execaRunner, lastLine, type CliRunner } from './cli.js';
import { KindSandbox, NODE_KUBECONFIG } from './sandbox.js';

export const CLUSTER_PREFIX = 'netdojo-';
export const KIND_MISSING = 'kind is not installed (not on PATH)';

export interface KindProviderOptions {
  /** where configs, kubeconfigs and session records live (default ./data/kind) */
  stateDir?: string;
  cli?: CliRunner;
  kindBin?: string;
  kubectlBin?: string;
  dockerBin?: string;
  /** `kind create cluster` (default 300 s) */
  createTimeoutMs?: number;
  /** API server /readyz, then nodes Ready when the default CNI is on (default 180 s) */
  readyTimeoutMs?: number;
  /** poll interval while waiting for readiness (default 1 s) */
  pollMs?: number;
  /** `kind delete cluster` (default 120 s) */
  deleteTimeoutMs?: number;
  hostPorts?: GenerateOptions['hostPorts'];
  /** kindest/node image for every node (kind's default when unset) */
  nodeImage?: string;
}

interface Record_ {
  cluster: string;
  sessionId: string;
  labId: string;
  createdAt: string;
  /** set while the cluster waits in the warm pool */
  pool?: string;
}

/** `netdojo-` + a DNS-safe, short form of the id (kind names become container host names). */
export function clusterName(id: string): string {
  const safe = id.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '').slice(0, 24).replace(/-+$/, '');
  if (!safe) throw new UserError(`cannot make a kind cluster name from session id "${id}"`);
  return `${CLUSTER_PREFIX}${safe}`;
}

export function clusterOf(lab: Lab): KindCluster {
  if (lab.environment.provider !== 'kind') throw new UserError(`lab ${lab.id} is not a kind lab (provider: ${lab.environment.provider})`);
  return lab.environment.cluster ?? KindCluster.parse({});
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class KindProvider implements Provider {
  readonly name = 'kind' as const;
  readonly stateDir: string;
  private readonly cli: CliRunner;
  private readonly kind: string;
  private readonly kubectl: string;
  private readonly docker: string;
  private readonly o: Required<Pick<KindProviderOptions, 'createTimeoutMs' | 'readyTimeoutMs' | 'pollMs' | 'deleteTimeoutMs'>> & KindProviderOptions;
  /** set by KindPool.attach: create() takes a warm cluster when one fits */
  pool?: { take(lab: Lab, opts: CreateOptions): Promise<KindSandbox | undefined> };

  constructor(opts: KindProviderOptions = {}) {
    this.stateDir = resolve(opts.stateDir ?? join(process.cwd(), 'data', 'kind'));
    this.cli = opts.cli ?? execaRunner();
    this.kind = opts.kindBin ?? 'kind';
    this.kubectl = opts.kubectlBin ?? 'kubectl';
    this.docker = opts.dockerBin ?? 'docker';
    this.o = { createTimeoutMs: 300_000, readyTimeoutMs: 180_000, pollMs: 1_000, deleteTimeoutMs: 120_000, ...opts };
  }

  async capabilities(): Promise<Capabilities> {
    const has: Record<string, boolean> = {};
    const missing: Record<string, string> = {};
    const kubectl = await this.cli.run(this.kubectl, ['version', '--client'], { timeoutMs: 15_000 });
    has.kubectl = !kubectl.notFound && kubectl.exitCode === 0;
    if (!has.kubectl) missing.kubectl = kubectl.notFound ? 'kubectl is not installed (not on PATH)' : `kubectl does not run: ${lastLine(kubectl)}`;
    const kind = await this.cli.run(this.kind, ['version'], { timeoutMs: 15_000 });
    if (kind.notFound) missing.kind = KIND_MISSING;
    else if (kind.exitCode !== 0) missing.kind = `kind does not run: ${lastLine(kind)}`;
    else {
      const docker = await this.cli.run(this.docker, ['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 20_000 });
      if (docker.notFound) missing.kind = 'kind needs Docker: docker is not installed (not on PATH)';
      else if (docker.exitCode !== 0) missing.kind = `kind needs Docker: the Docker engine does not answer (${lastLine(docker)})`;
      else if (!has.kubectl) missing.kind = `kind labs need kubectl: ${missing.kubectl}`;
    }
    has.kind = !missing.kind;
    return { has, missing };
  }

  private files(cluster: string): { config: string; kubeconfig: string; record: string } {
    return {
      config: join(this.stateDir, `${cluster}.kind.yaml`),
      kubeconfig: join(this.stateDir, `${cluster}.kubeconfig`),
      record: join(this.stateDir, `${cluster}.json`),
    };
  }

  /** The config a lab's cluster is created with (also the warm pool's key). */
  configFor(lab: Lab): string {
    return generateKindConfig(clusterOf(lab), { hostPorts: this.o.hostPorts ?? 'free', image: this.o.nodeImage });
  }

  poolKey(lab: Lab): string {
    return createHash('sha256').update(this.configFor(lab)).digest('hex').slice(0, 12);
  }

  async create(lab: Lab, opts: CreateOptions): Promise<KindSandbox> {
    const warm = await this.pool?.take(lab, opts);
    if (warm) return warm;
    const name = clusterName(opts.sessionId);
    await this.createCluster(name, lab, opts);
    await this.writeRecord({ cluster: name, sessionId: opts.sessionId, labId: lab.id, createdAt: new Date().toISOString() });
    const sandbox = this.sandbox(name, lab, { provider: 'kind', sessionId: opts.sessionId, labId: lab.id });
    await this.prepare(sandbox, opts.labDir);
    return sandbox;
  }

  /** A cluster for the warm pool: created and ready, not yet anyone's. */
  async createPooled(lab: Lab, signal?: AbortSignal): Promise<string> {
    const name = `${CLUSTER_PREFIX}pool-${randomBytes(4).toString('hex')}`;
    await this.createCluster(name, lab, { sessionId: name, labDir: '', signal });
    await this.writeRecord({ cluster: name, sessionId: name, labId: lab.id, createdAt: new Date().toISOString(), pool: this.poolKey(lab) });
    return name;
  }

  /** Hands a pooled cluster to a session. */
  async assign(cluster: string, lab: Lab, opts: CreateOptions): Promise<KindSandbox> {
    await this.writeRecord({ cluster, sessionId: opts.sessionId, labId: lab.id, createdAt: new Date().toISOString() });
    const sandbox = this.sandbox(cluster, lab, { provider: 'kind', sessionId: opts.sessionId, labId: lab.id });
    await this.prepare(sandbox, opts.labDir);
    return sandbox;
  }

  private async createCluster(name: string, lab: Lab, opts: CreateOptions): Promise<void> {
    const caps = await this.capabilities();
    if (!caps.has.kind) throw new UserError(caps.missing.kind ?? KIND_MISSING);
    const f = this.files(name);
    await mkdir(this.stateDir, { recursive: true });
    await writeFile(f.config, this.configFor(lab));
    const progress = opts.onProgress ?? (() => {});
    progress(`creating kind cluster ${name}`);
    const created = await this.cli.run(this.kind, ['create', 'cluster', '--name', name, '--config', f.config, '--kubeconfig', f.kubeconfig], {
      timeoutMs: this.o.createTimeoutMs,
      signal: opts.signal,
    });
    if (created.exitCode !== 0 || created.timedOut) {
      await this.deleteCluster(name);
      const why = created.timedOut
        ? `timed out after ${this.o.createTimeoutMs / 1000}s`
        : opts.signal?.aborted
          ? 'cancelled'
          : lastLine(created);
      throw new UserError(`kind create cluster ${name} failed: ${why}`);
    }
    try {
      progress(`waiting for the API server of ${name}`);
      await this.waitApiServer(name, f.kubeconfig, opts.signal);
      // With disableDefaultCNI, nodes stay NotReady until the lab installs a CNI: the lab waits.
      if (!clusterOf(lab).disableDefaultCNI) {
        progress(`waiting for the nodes of ${name} to be Ready`);
        const secs = Math.max(1, Math.ceil(this.o.readyTimeoutMs / 1000));
        const ready = await this.cli.run(this.kubectl, ['--kubeconfig', f.kubeconfig, 'wait', '--for=condition=Ready', 'nodes', '--all', `--timeout=${secs}s`], {
          timeoutMs: this.o.readyTimeoutMs + 10_000,
          signal: opts.signal,
        });
        if (ready.exitCode !== 0 || ready.timedOut) {
          throw new UserError(`kind cluster ${name}: nodes not Ready after ${secs}s: ${ready.timedOut ? 'timed out' : lastLine(ready)}`);
        }
      }
    } catch (err) {
      await this.deleteCluster(name);
      throw err;
    }
  }

  private async waitApiServer(name: string, kubeconfig: string, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + this.o.readyTimeoutMs;
    let last = 'no answer';
    for (;;) {
      if (signal?.aborted) throw new UserError(`kind cluster ${name}: creation cancelled`);
      const res = await this.cli.run(this.kubectl, ['--kubeconfig', kubeconfig, 'get', '--raw', '/readyz'], { timeoutMs: 10_000, signal });
      if (res.exitCode === 0 && !res.timedOut) return;
      last = res.timedOut ? 'timed out' : lastLine(res);
      if (Date.now() + this.o.pollMs > deadline) break;
      await sleep(this.o.pollMs);
    }
    throw new UserError(`kind cluster ${name}: API server not ready after ${Math.round(this.o.readyTimeoutMs / 1000)}s: ${last}`);
  }

  /** Copies admin.conf to the workers (kubectl everywhere) and the lab's files/ to /root. */
  private async prepare(sandbox: KindSandbox, labDir: string): Promise<void> {
    const cp = sandbox.container('control-plane');
    const conf = await this.cli.run(this.docker, ['exec', cp, 'cat', NODE_KUBECONFIG], { timeoutMs: 30_000 });
    if (conf.exitCode === 0) {
      for (const host of sandbox.hosts.filter((h) => h !== 'control-plane')) {
        await this.cli.run(this.docker, ['exec', '-i', sandbox.container(host), 'sh', '-c', `cat > ${NODE_KUBECONFIG}`], { input: conf.stdout, timeoutMs: 30_000 });
      }
    }
    const files = labDir ? join(labDir, 'files') : '';
    if (files && existsSync(files)) {
      const res = await this.cli.run(this.docker, ['cp', `${files}/.`, `${cp}:/root/`], { timeoutMs: 60_000 });
      if (res.exitCode !== 0) throw new UserError(`could not copy ${files} into ${cp}: ${lastLine(res)}`);
    }
  }

  private sandbox(cluster: string, lab: Lab, ref: SandboxRef): KindSandbox {
    return new KindSandbox({
      ref,
      cluster,
      hosts: kindNodeNames(clusterOf(lab)),
      kubeconfig: this.files(cluster).kubeconfig,
      cli: this.cli,
      dockerBin: this.docker,
    });
  }

  async adopt(ref: SandboxRef, lab: Lab): Promise<KindSandbox> {
    const rec = (await this.records()).find((r) => r.sessionId === ref.sessionId && !r.pool);
    const name = rec?.cluster ?? clusterName(ref.sessionId);
    if (!(await this.clusters()).includes(name)) throw new UserError(`kind cluster ${name} of session ${ref.sessionId} no longer exists`);
    return this.sandbox(name, lab, ref);
  }

  /** `kind get clusters`, only ours (prefix `netdojo-`). */
  async clusters(): Promise<string[]> {
    const res = await this.cli.run(this.kind, ['get', 'clusters'], { timeoutMs: 30_000 });
    if (res.notFound) return [];
    if (res.exitCode !== 0) throw new UserError(`kind get clusters failed: ${lastLine(res)}`);
    return res.stdout.split('\n').map((l) => l.trim()).filter((l) => l.startsWith(CLUSTER_PREFIX));
  }

  async list(): Promise<SandboxRef[]> {
    const records = new Map((await this.records()).map((r) => [r.cluster, r]));
    return (await this.clusters()).map((cluster) => {
      const r = records.get(cluster);
      return r
        ? { provider: 'kind' as const, sessionId: r.sessionId, labId: r.pool ? '' : r.labId, createdAt: r.createdAt }
        : { provider: 'kind' as const, sessionId: cluster.slice(CLUSTER_PREFIX.length), labId: '' };
    });
  }

  async destroy(ref: SandboxRef): Promise<void> {
    const rec = (await this.records()).find((r) => r.sessionId === ref.sessionId);
    await this.deleteCluster(rec?.cluster ?? clusterName(ref.sessionId));
  }

  /** Idempotent: kind deletes a cluster that does not exist without complaint; files go too. */
  async deleteCluster(name: string): Promise<void> {
    const f = this.files(name);
    const res = await this.cli.run(this.kind, ['delete', 'cluster', '--name', name, '--kubeconfig', f.kubeconfig], { timeoutMs: this.o.deleteTimeoutMs });
    if (res.notFound) {
      if (existsSync(f.record)) throw new UserError(`cannot delete kind cluster ${name}: ${KIND_MISSING}`);
    } else if (res.exitCode !== 0 || res.timedOut) {
      throw new UserError(`kind delete cluster ${name} failed: ${res.timedOut ? 'timed out' : lastLine(res)}`);
    }
    await Promise.all([f.config, f.kubeconfig, f.record].map((p) => rm(p, { force: true })));
  }

  async leftovers(sessionId: string): Promise<string[]> {
    const rec = (await this.records()).find((r) => r.sessionId === sessionId);
    const name = rec?.cluster ?? clusterName(sessionId);
    const out: string[] = [];
    const ps = await this.cli.run(this.docker, ['ps', '-a', '--filter', `label=io.x-k8s.kind.cluster=${name}`, '--format', '{{.Names}}'], { timeoutMs: 30_000 });
    if (ps.exitCode === 0) out.push(...ps.stdout.split('\n').map((l) => l.trim()).filter(Boolean).map((n) => `container ${n}`));
    for (const p of Object.values(this.files(name))) if (existsSync(p)) out.push(`file ${p}`);
    return out;
  }

  private async writeRecord(r: Record_): Promise<void> {
    await mkdir(this.stateDir, { recursive: true });
    await writeFile(this.files(r.cluster).record, `${JSON.stringify(r, null, 2)}\n`);
  }

  private async records(): Promise<Record_[]> {
    if (!existsSync(this.stateDir)) return [];
    const out: Record_[] = [];
    for (const f of await readdir(this.stateDir)) {
      if (!f.startsWith(CLUSTER_PREFIX) || !f.endsWith('.json')) continue;
      try {
        out.push(JSON.parse(await readFile(join(this.stateDir, f), 'utf8')) as Record_);
      } catch {
        // a half-written record: the cluster is listed without it (an orphan for reconcile)
      }
    }
    return out;
  }
}
