// The kind provider (docs/dev/architecture.md, "Sandboxes and isolation"): one kind cluster per session, created from a config generated out
// of the lab's `environment.cluster`, with its own kubeconfig file (kind would otherwise merge into
// ~/.kube/config). kind nodes are privileged containers: a kind session hands the learner root
// over the host — trusted use only.
//
// Scope: kind cannot label its node containers for us, so the owner is in the cluster's name,
// `netdojo-<scope tag>-<session>`; list() and reconcile see only clusters of their own scope, as
// the docker provider sees only containers labelled with its `netdojo.scope`.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { KindCluster, type Lab } from '../../labs/schema.js';
import { UserError } from '../../util/errors.js';
import { generateKindConfig, kindNodeNames, type GenerateOptions } from '../../k8s/kind-config.js';
import type { Capabilities, CreateOptions, Provider, SandboxRef } from '../types.js';
import { docker, isNotFound } from '../docker/client.js';
import { execaRunner, lastLine, type CliRunner } from './cli.js';
import { kernelFeatures } from './host-kernel.js';
import { copyToNodes, prepareNodes } from './nodes.js';
import { KindSandbox } from './sandbox.js';
import { pinnedVersions } from './versions.js';
import { missingVendored, NODE_VENDOR_DIR, VENDOR_DIR, vendorRefs } from './vendor.js';

export const CLUSTER_PREFIX = 'netdojo-';
export const KIND_MISSING = 'kind is not installed (not on PATH)';
/** The label kind puts on every node container of a cluster. */
export const KIND_CLUSTER_LABEL = 'io.x-k8s.kind.cluster';

export interface KindProviderOptions {
  /** where configs, kubeconfigs and session records live (default ./data/kind) */
  stateDir?: string;
  /** which netdojo instance owns the clusters (default $NETDOJO_SCOPE or "default") */
  scope?: string;
  cli?: CliRunner;
  kindBin?: string;
  kubectlBin?: string;
  /** `kind create cluster` (default 300 s) */
  createTimeoutMs?: number;
  /** API server /readyz, then nodes Ready when the default CNI is on (default 180 s) */
  readyTimeoutMs?: number;
  /** poll interval while waiting for readiness (default 1 s) */
  pollMs?: number;
  /** `kind delete cluster` (default 120 s) */
  deleteTimeoutMs?: number;
  hostPorts?: GenerateOptions['hostPorts'];
  /** kindest/node image for every node (default: KIND_NODE_IMAGE of infra/kind/versions.env) */
  nodeImage?: string;
  /** where the vendored upstream manifests are (default infra/kind/manifests); a lab's /lab/vendor/<dir> comes from there */
  vendorDir?: string;
  /** /sys/module of this machine (tests) */
  sysModule?: string;
}

interface ClusterRecord {
  cluster: string;
  scope: string;
  sessionId: string;
  labId: string;
  createdAt: string;
}

const tagOf = (scope: string): string => createHash('sha256').update(scope).digest('hex').slice(0, 6);

/** The name prefix of every cluster of one scope: `netdojo-<6 hex of the scope>-`. */
export function scopePrefix(scope: string): string {
  return `${CLUSTER_PREFIX}${tagOf(scope)}-`;
}

/** `netdojo-<scope tag>-` + a DNS-safe, short form of the id (kind names become container host names). */
export function clusterName(id: string, scope: string): string {
  const safe = id.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '').slice(0, 24).replace(/-+$/, '');
  if (!safe) throw new UserError(`cannot make a kind cluster name from session id "${id}"`);
  return `${scopePrefix(scope)}${safe}`;
}

export function clusterOf(lab: Lab): KindCluster {
  if (lab.environment.provider !== 'kind') throw new UserError(`lab ${lab.id} is not a kind lab (provider: ${lab.environment.provider})`);
  return lab.environment.cluster ?? KindCluster.parse({});
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class KindProvider implements Provider {
  readonly name = 'kind' as const;
  readonly stateDir: string;
  readonly scope: string;
  private readonly cli: CliRunner;
  private readonly kind: string;
  private readonly kubectl: string;
  private readonly vendorDir: string;
  private readonly o: Required<Pick<KindProviderOptions, 'createTimeoutMs' | 'readyTimeoutMs' | 'pollMs' | 'deleteTimeoutMs'>> & KindProviderOptions;

  constructor(opts: KindProviderOptions = {}) {
    this.stateDir = resolve(opts.stateDir ?? join(process.cwd(), 'data', 'kind'));
    this.scope = opts.scope ?? process.env.NETDOJO_SCOPE ?? 'default';
    this.cli = opts.cli ?? execaRunner();
    this.kind = opts.kindBin ?? 'kind';
    this.kubectl = opts.kubectlBin ?? 'kubectl';
    this.vendorDir = opts.vendorDir ?? VENDOR_DIR;
    this.o = { createTimeoutMs: 300_000, readyTimeoutMs: 180_000, pollMs: 1_000, deleteTimeoutMs: 120_000, ...opts };
  }

  async capabilities(): Promise<Capabilities> {
    const has: Record<string, boolean> = {};
    const missing: Record<string, string> = {};
    let probeError: string | undefined;
    const kubectl = await this.cli.run(this.kubectl, ['version', '--client'], { timeoutMs: 15_000 });
    has.kubectl = !kubectl.notFound && kubectl.exitCode === 0;
    if (!has.kubectl) missing.kubectl = kubectl.notFound ? 'kubectl is not installed (not on PATH)' : `kubectl does not run: ${lastLine(kubectl)}`;
    const kind = await this.cli.run(this.kind, ['version'], { timeoutMs: 15_000 });
    if (kind.notFound) missing.kind = KIND_MISSING;
    else if (kind.exitCode !== 0) missing.kind = `kind does not run: ${lastLine(kind)}`;
    else {
      const engine = await docker()
        .ping()
        .then(
          () => '',
          (err: Error) => err.message.split('\n')[0] ?? 'no answer',
        );
      if (engine) missing.kind = probeError = `kind needs Docker: the Docker engine does not answer (${engine})`;
      else if (!has.kubectl) missing.kind = `kind labs need kubectl: ${missing.kubectl}`;
    }
    has.kind = !missing.kind;
    // decided without sending a packet out, as for the docker provider: the operator says so
    has.internet = process.env.NETDOJO_INTERNET === '1';
    if (!has.internet) missing.internet = 'no internet access on this host (an operator enables it with NETDOJO_INTERNET=1)';
    const kernel = kernelFeatures(this.o.sysModule);
    Object.assign(has, kernel.has);
    Object.assign(missing, kernel.missing);
    return { has, missing, ...(probeError ? { probeError } : {}) };
  }

  private files(cluster: string): { config: string; kubeconfig: string; record: string } {
    return {
      config: join(this.stateDir, `${cluster}.kind.yaml`),
      kubeconfig: join(this.stateDir, `${cluster}.kubeconfig`),
      record: join(this.stateDir, `${cluster}.json`),
    };
  }

  /** The config a lab's cluster is created with. */
  configFor(lab: Lab): string {
    return generateKindConfig(clusterOf(lab), { hostPorts: this.o.hostPorts ?? 'free', image: this.o.nodeImage ?? pinnedVersions().KIND_NODE_IMAGE });
  }

  async create(lab: Lab, opts: CreateOptions): Promise<KindSandbox> {
    const name = clusterName(opts.sessionId, this.scope);
    const missing = missingVendored(JSON.stringify(lab), this.vendorDir);
    if (missing.length) throw new UserError(`lab ${lab.id} applies vendored manifests: ${missing[0]}`);
    await this.createCluster(name, lab, opts);
    const createdAt = new Date().toISOString();
    const sandbox = this.sandbox(name, lab, { provider: 'kind', sessionId: opts.sessionId, labId: lab.id, createdAt });
    try {
      await this.writeRecord({ cluster: name, scope: this.scope, sessionId: opts.sessionId, labId: lab.id, createdAt });
      opts.onProgress?.('copying the lab files to every node');
      const containers = sandbox.hosts.map((h) => sandbox.container(h));
      await prepareNodes({ containers, labDir: opts.labDir });
      for (const dir of new Set(vendorRefs(JSON.stringify(lab)).map((r) => r.dir))) {
        await copyToNodes(containers, join(this.vendorDir, dir), `${NODE_VENDOR_DIR}/${dir}`);
      }
    } catch (err) {
      await this.deleteCluster(name).catch(() => {});
      throw err;
    }
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

  private sandbox(cluster: string, lab: Lab, ref: SandboxRef): KindSandbox {
    return new KindSandbox({ ref, cluster, hosts: kindNodeNames(clusterOf(lab)), kubeconfig: this.files(cluster).kubeconfig });
  }

  private async clusterOfSession(sessionId: string): Promise<string> {
    const rec = (await this.records()).find((r) => r.sessionId === sessionId);
    return rec?.cluster ?? clusterName(sessionId, this.scope);
  }

  async adopt(ref: SandboxRef, lab: Lab): Promise<KindSandbox> {
    const name = await this.clusterOfSession(ref.sessionId);
    if (!(await this.clusters()).includes(name)) throw new UserError(`kind cluster ${name} of session ${ref.sessionId} no longer exists`);
    const sandbox = this.sandbox(name, lab, ref);
    for (const host of sandbox.hosts) {
      const state = await docker()
        .getContainer(sandbox.container(host))
        .inspect()
        .then(
          (i) => (i.State.Running ? 'running' : i.State.Status),
          (err: unknown) => (isNotFound(err) ? 'gone' : `not inspectable (${String(err)})`),
        );
      if (state !== 'running') throw new UserError(`kind cluster ${name} of session ${ref.sessionId}: node ${host} is ${state}`);
    }
    return sandbox;
  }

  /** `kind get clusters`, only those of this provider's scope. */
  async clusters(): Promise<string[]> {
    const res = await this.cli.run(this.kind, ['get', 'clusters'], { timeoutMs: 30_000 });
    if (res.notFound) return [];
    if (res.exitCode !== 0) throw new UserError(`kind get clusters failed: ${lastLine(res)}`);
    const prefix = scopePrefix(this.scope);
    return res.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith(prefix));
  }

  async list(): Promise<SandboxRef[]> {
    const records = new Map((await this.records()).map((r) => [r.cluster, r]));
    const prefix = scopePrefix(this.scope);
    return (await this.clusters()).map((cluster) => {
      const r = records.get(cluster);
      return r
        ? { provider: 'kind' as const, sessionId: r.sessionId, labId: r.labId, createdAt: r.createdAt }
        : { provider: 'kind' as const, sessionId: cluster.slice(prefix.length), labId: '' };
    });
  }

  async destroy(ref: SandboxRef): Promise<void> {
    await this.deleteCluster(await this.clusterOfSession(ref.sessionId));
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
    const name = await this.clusterOfSession(sessionId);
    const nodes = await docker().listContainers({ all: true, filters: { label: [`${KIND_CLUSTER_LABEL}=${name}`] } });
    const out = nodes.map((c) => `container:${c.Names[0]?.replace(/^\//, '') ?? c.Id}`);
    for (const p of Object.values(this.files(name))) if (existsSync(p)) out.push(`file:${p}`);
    return out;
  }

  private async writeRecord(r: ClusterRecord): Promise<void> {
    await mkdir(this.stateDir, { recursive: true });
    await writeFile(this.files(r.cluster).record, `${JSON.stringify(r, null, 2)}\n`);
  }

  /** Session records of this scope's clusters. */
  private async records(): Promise<ClusterRecord[]> {
    if (!existsSync(this.stateDir)) return [];
    const prefix = scopePrefix(this.scope);
    const out: ClusterRecord[] = [];
    for (const f of await readdir(this.stateDir)) {
      if (!f.startsWith(prefix) || !f.endsWith('.json')) continue;
      try {
        out.push(JSON.parse(await readFile(join(this.stateDir, f), 'utf8')) as ClusterRecord);
      } catch {
        // a half-written record: the cluster is listed without it (an orphan for reconcile)
      }
    }
    return out;
  }
}
