// The docker provider (docs/dev/architecture.md, "Sandboxes and isolation"): a sandbox is one container per lab host and one internal Docker
// network per lab network, all labelled with the session.
//
// Addresses: lab subnets may overlap between concurrent sandboxes (two sessions of one lab), so
// Docker never sees them. Docker picks a subnet from its pool; inside each host the interface is
// found by the MAC Docker assigned, renamed eth0, eth1 … in network order, and given the lab's
// fixed address. Bridged traffic with lab addresses needs one host rule (hostrules.ts).
//
// Isolation: user namespace (engine userns-remap) + NET_ADMIN/SYS_ADMIN only, read-only /sys at
// /run/host-sys for `ip netns exec`, internal networks whose bridges carry no host address, and
// Docker's embedded DNS pointed at the sandbox's own 127.0.0.1 so it can never forward a query out.
import { access } from 'node:fs/promises';
import path from 'node:path';
import type Docker from 'dockerode';
import { DEFAULT_IMAGE, DIND_IMAGE } from '../../images/catalog.js';
import type { Host, Lab } from '../../labs/schema.js';
import { UserError } from '../../util/errors.js';
import type { Capabilities, CreateOptions, Provider, Sandbox, SandboxRef, SandboxStoppedEvent } from '../types.js';
import { probeCapabilities } from '../capabilities.js';
import { docker, isNotFound } from './client.js';
import { runArgv } from './exec.js';
import { ensureHostRules } from './hostrules.js';
import { dindSeccompProfile } from './seccomp.js';
import { hostSysBind } from './mounts.js';
import { stoppedSandboxes, watchContainers } from './liveness.js';
import { bridgeName, containerName, dockerVolumeName, LABEL, networkName, originLabel } from './names.js';
import { etcHostsFor, hostSetupScript, planNetworks, type HostInterface, type PlannedNetwork } from './netplan.js';
import { DockerSandbox } from './sandbox.js';
import { tarOf } from '../../util/tar.js';
import { engineFacts } from '../../engine/facts.js';

export interface DockerProviderOptions {
  /** create sandboxes even when the engine has no user namespace (a single trusted user only) */
  allowNoUserns?: boolean;
  /** per host; default 256 MiB */
  memoryBytes?: number;
  /** per host; default 512 */
  pidsLimit?: number;
  /** per host; default 1.0 */
  cpus?: number;
  /** disk quota of each host's writable layer (StorageOpt size); default 1 GiB */
  writableBytes?: number;
  /** disk a `docker: true` host's inner engine may use in its /var/lib/docker volume (watched); default 2 GiB */
  dindBytes?: number;
  /** where warnings go (default: stderr) */
  warn?: (message: string) => void;
  /**
   * Sandboxes are labelled with this scope and list() returns only those of its scope, so that one
   * netdojo instance (or a test run) never reconciles away another's sandboxes on a shared engine.
   * Default: $NETDOJO_SCOPE or "default".
   */
  scope?: string;
}

const MiB = 1024 * 1024;


const SESSION_ID = /^[a-z0-9][a-z0-9-]{0,40}$/;

export class DockerProvider implements Provider {
  readonly name = 'docker' as const;
  private readonly opts: Required<Omit<DockerProviderOptions, 'warn'>> & { warn: (m: string) => void };
  private usernsChecked?: Promise<void>;
  /** false once the engine refused StorageOpt size (e.g. overlay2 on ext4): writable layers are then only watched */
  diskQuota: boolean | undefined;

  constructor(opts: DockerProviderOptions = {}) {
    this.opts = {
      allowNoUserns: opts.allowNoUserns ?? false,
      memoryBytes: opts.memoryBytes ?? 256 * MiB,
      pidsLimit: opts.pidsLimit ?? 512,
      cpus: opts.cpus ?? 1,
      writableBytes: opts.writableBytes ?? 1024 * MiB,
      dindBytes: opts.dindBytes ?? 2048 * MiB,
      warn: opts.warn ?? ((m) => process.stderr.write(`netdojo: WARNING: ${m}\n`)),
      scope: opts.scope ?? process.env.NETDOJO_SCOPE ?? 'default',
    };
  }

  capabilities(): Promise<Capabilities> {
    return probeCapabilities({ allowNoUserns: this.opts.allowNoUserns });
  }

  /** Refuses to go on without a user namespace (SYS_ADMIN without one is root on the host). */
  private requireUserns(): Promise<void> {
    this.usernsChecked ??= (async () => {
      const engine = await engineFacts();
      if (!engine.reachable) throw new UserError(`the Docker engine does not answer (${engine.error}); start it with infra/docker-engine.sh`);
      if (engine.userns) return;
      if (!this.opts.allowNoUserns)
        throw new UserError(
          'the Docker engine runs without a user namespace (userns-remap): a sandbox would give learners root on this host; restart dockerd with "userns-remap": "default" (infra/docker-engine.sh) or, for a single trusted user on their own machine, allow it explicitly',
        );
      this.opts.warn('!!! the Docker engine has NO user namespace: every sandbox user is root on this host (allowNoUserns is set) !!!');
    })().catch((err) => {
      this.usernsChecked = undefined;
      throw err;
    });
    return this.usernsChecked;
  }

  imageOf(host: Host): string {
    return host.docker && host.image === DEFAULT_IMAGE ? DIND_IMAGE : host.image;
  }

  async create(lab: Lab, opts: CreateOptions): Promise<Sandbox> {
    if (!SESSION_ID.test(opts.sessionId)) throw new UserError(`invalid session id "${opts.sessionId}" (lower-case letters, digits, dashes)`);
    if (lab.environment.hosts.length === 0) throw new UserError(`lab ${lab.id} declares no hosts`);
    const say = opts.onProgress ?? (() => {});
    const session = opts.sessionId;
    const ref: SandboxRef = { provider: 'docker', sessionId: session, labId: lab.id, createdAt: new Date().toISOString() };
    await this.requireUserns();
    // the images are looked up while the networks are made (a missing one fails the creation)
    const images = Promise.all(
      [...new Set(lab.environment.hosts.map((h) => this.imageOf(h)))].map((image) =>
        docker()
          .getImage(image)
          .inspect()
          .catch((err: unknown) => {
            if (isNotFound(err)) throw new UserError(`image ${image} is missing: run \`netdojo images build\``);
            throw err;
          }),
      ),
    );
    images.catch(() => {});
    try {
      return await this.build(lab, ref, opts, say, images);
    } catch (err) {
      say('creation failed: removing what was created');
      await this.destroy(ref).catch(() => {});
      throw err;
    }
  }

  private labels(ref: SandboxRef, extra: Record<string, string> = {}): Record<string, string> {
    return { [LABEL.session]: ref.sessionId, [LABEL.lab]: ref.labId, [LABEL.provider]: 'docker', [LABEL.scope]: this.opts.scope, [LABEL.created]: ref.createdAt ?? '', ...originLabel(), ...extra };
  }

  private async build(lab: Lab, ref: SandboxRef, opts: CreateOptions, say: (m: string) => void, images: Promise<unknown>): Promise<Sandbox> {
    const session = ref.sessionId;
    const abort = () => {
      if (opts.signal?.aborted) throw new UserError('sandbox creation was cancelled');
    };
    const nets = planNetworks(lab);
    say(`creating ${nets.length} network(s)`);
    await Promise.all(
      nets.map((n) =>
        docker().createNetwork({
          Name: networkName(session, n.name),
          Driver: 'bridge',
          Internal: true,
          CheckDuplicate: true,
          Labels: this.labels(ref, { [LABEL.network]: n.name }),
          Options: {
            'com.docker.network.bridge.name': bridgeName(session, n.name),
            // the host keeps no address on a sandbox bridge: nothing of the host is reachable from it
            'com.docker.network.bridge.inhibit_ipv4': 'true',
          },
        }),
      ),
    );
    await images;
    abort();
    // the host rules (verified for every sandbox: a firewall reset is repaired) and the ARP settings
    // of this sandbox's bridges, before any container joins them: set while the hosts attach, the
    // first packet between two hosts was lost (ping: 50% loss right after creation). A created
    // container has joined nothing yet (that happens at start), so the hosts are created meanwhile.
    const rules = ensureHostRules(
      DEFAULT_IMAGE,
      nets.map((n) => bridgeName(session, n.name)),
    );
    rules.catch(() => {});

    const netsOf = (host: string) => nets.filter((n) => n.hosts.includes(host));
    say(`creating ${lab.environment.hosts.length} host(s)`);
    const containers = new Map<string, Docker.Container>();
    await Promise.all(
      lab.environment.hosts.map(async (h) => {
        const hostNets = netsOf(h.name);
        const binds = [hostSysBind(this.opts.warn)];
        if (h.docker) {
          const vol = dockerVolumeName(session, h.name);
          await docker().createVolume({ Name: vol, Labels: this.labels(ref, { [LABEL.host]: h.name }) });
          binds.push(`${vol}:/var/lib/docker`);
        }
        const first = hostNets[0];
        const spec: Docker.ContainerCreateOptions = {
          name: containerName(session, h.name),
          Image: this.imageOf(h),
          Hostname: h.hostname ?? h.name,
          Env: Object.entries(h.env ?? {}).map(([k, v]) => `${k}=${v}`),
          Labels: this.labels(ref, { [LABEL.host]: h.name }),
          WorkingDir: '/root',
          HostConfig: {
            NetworkMode: first ? networkName(session, first.name) : 'none',
            CapAdd: ['NET_ADMIN', 'SYS_ADMIN'],
            // Docker inside: Docker's default seccomp profile with the kernel key syscalls failing (seccomp.ts)
            SecurityOpt: h.docker ? [`seccomp=${dindSeccompProfile()}`] : [],
            Binds: binds,
            Memory: this.opts.memoryBytes,
            MemorySwap: this.opts.memoryBytes,
            PidsLimit: this.opts.pidsLimit,
            NanoCpus: Math.round(this.opts.cpus * 1e9),
            // Docker's embedded DNS forwards names it does not know to these servers: the sandbox's
            // own loopback, so it is never a way out (labs run their own DNS servers)
            Dns: ['127.0.0.1'],
            Privileged: false,
            Init: false,
          },
        };
        const c = await this.createWithQuota(spec);
        containers.set(h.name, c);
        for (const n of hostNets.slice(1)) await docker().getNetwork(networkName(session, n.name)).connect({ Container: c.id });
        await rules;
        abort();
        await c.start();
      }),
    );
    await rules;

    say('configuring addresses');
    const inspected = new Map<string, Docker.ContainerInspectInfo>();
    await Promise.all([...containers].map(async ([host, c]) => inspected.set(host, await c.inspect())));
    const ifacesOf = (host: string): HostInterface[] =>
      netsOf(host).map((n) => {
        const ep = inspected.get(host)!.NetworkSettings.Networks[networkName(session, n.name)];
        if (!ep?.MacAddress) throw new Error(`host ${host} has no endpoint on network ${n.name}`);
        return {
          network: n.name,
          mac: ep.MacAddress,
          dockerAddress: ep.IPAddress ? `${ep.IPAddress}/${ep.IPPrefixLen}` : undefined,
          labAddress: n.prefix !== undefined && n.addresses[host] ? `${n.addresses[host]}/${n.prefix}` : undefined,
          gateway: n.gateway,
        };
      });
    const plans = new Map(lab.environment.hosts.map((h) => [h.name, ifacesOf(h.name)]));
    const etcHosts = etcHostsFor(
      lab.environment.hosts.map((h) => {
        const f = plans.get(h.name)![0];
        return { host: h.name, hostname: h.hostname, address: (f?.labAddress ?? f?.dockerAddress)?.split('/')[0] };
      }),
    );
    const filesDir = path.join(opts.labDir, 'files');
    const files = await access(filesDir).then(
      () => true,
      () => false,
    );
    const archive = files ? await tarOf(filesDir) : undefined;

    await Promise.all(
      lab.environment.hosts.map(async (h) => {
        const c = containers.get(h.name)!;
        const r = await runArgv(c, ['bash', '-c', hostSetupScript(plans.get(h.name)!, etcHosts, h.hostname ?? h.name)]);
        if (r.exitCode !== 0) throw new Error(`setting up host ${h.name} failed: ${r.stderr.trim() || r.stdout.trim()}`);
        if (archive) {
          await runArgv(c, ['mkdir', '-p', '/lab/files']);
          await c.putArchive(archive, { path: '/lab/files' });
        }
        if (h.docker) {
          say(`waiting for the Docker engine inside ${h.name}`);
          const w = await runArgv(c, ['bash', '-c', 'command -v netdojo-dind-wait >/dev/null && exec netdojo-dind-wait 90; for i in $(seq 1 900); do docker info >/dev/null 2>&1 && exit 0; sleep 0.1; done; exit 1']);
          if (w.exitCode !== 0) throw new Error(`the Docker engine inside ${h.name} did not start (see /var/log/dockerd.log there)`);
        }
      }),
    );
    say('ready');
    // hosts in the lab's order (containers were created in parallel, so the map is in completion order)
    return new DockerSandbox(ref, new Map(lab.environment.hosts.map((h) => [h.name, containers.get(h.name)!.id])));
  }

  /** creates a container with a disk quota on its writable layer, or without one (loudly) when the engine has none */
  private async createWithQuota(spec: Docker.ContainerCreateOptions): Promise<Docker.Container> {
    if (this.diskQuota === false) return docker().createContainer(spec);
    const quota = { size: String(this.opts.writableBytes) };
    try {
      const c = await docker().createContainer({ ...spec, HostConfig: { ...spec.HostConfig, StorageOpt: quota } });
      this.diskQuota = true;
      return c;
    } catch (err) {
      if (!/storage-?opt|storage option|quota|size/i.test(String((err as Error).message))) throw err;
      this.diskQuota = false;
      this.opts.warn(
        `!!! the Docker engine cannot limit a container's disk (${String((err as Error).message).split('\n')[0]}): sandboxes run WITHOUT disk quotas; usage is only watched (infra/docker-engine.sh sets up a btrfs data root with quotas) !!!`,
      );
      return docker().createContainer(spec);
    }
  }

  /** sessions (id → hosts) whose disk use is past its quota: a DinD volume, or a writable layer the engine could not limit */
  async overQuota(sessions: Map<string, string[]>): Promise<SandboxStoppedEvent[]> {
    if (sessions.size === 0) return [];
    const df = (await docker().df()) as {
      Volumes?: Array<{ Labels?: Record<string, string> | null; UsageData?: { Size?: number } | null }>;
      Containers?: Array<{ Labels?: Record<string, string>; SizeRw?: number }>;
    };
    const out = new Map<string, string>();
    const gib = (n: number) => `${(n / 1024 ** 3).toFixed(2)} GiB`;
    for (const v of df.Volumes ?? []) {
      const s = v.Labels?.[LABEL.session];
      const size = v.UsageData?.Size ?? 0;
      if (s && sessions.has(s) && size > this.opts.dindBytes && !out.has(s)) {
        out.set(s, `host ${v.Labels?.[LABEL.host] ?? '?'} used ${gib(size)} for Docker images and containers (the limit is ${gib(this.opts.dindBytes)})`);
      }
    }
    for (const c of df.Containers ?? []) {
      const s = c.Labels?.[LABEL.session];
      const size = c.SizeRw ?? 0;
      if (s && sessions.has(s) && size > this.opts.writableBytes && !out.has(s)) {
        out.set(s, `host ${c.Labels?.[LABEL.host] ?? '?'} used ${gib(size)} of disk (the limit is ${gib(this.opts.writableBytes)})`);
      }
    }
    return [...out].map(([sessionId, reason]) => ({ sessionId, reason }));
  }

  async adopt(ref: SandboxRef, lab: Lab): Promise<Sandbox> {
    const found = await docker().listContainers({ all: true, filters: { label: [`${LABEL.session}=${ref.sessionId}`] } });
    const byHost = new Map<string, Docker.ContainerInfo>();
    for (const c of found) {
      const host = c.Labels[LABEL.host];
      if (host) byHost.set(host, c);
    }
    const ids = new Map<string, string>();
    for (const h of lab.environment.hosts) {
      const c = byHost.get(h.name);
      if (!c) throw new UserError(`sandbox ${ref.sessionId}: host ${h.name} is gone`);
      if (c.State !== 'running') throw new UserError(`sandbox ${ref.sessionId}: host ${h.name} is ${c.State}, not running`);
      ids.set(h.name, c.Id);
    }
    const createdAt = found[0]?.Labels[LABEL.created] || ref.createdAt;
    return new DockerSandbox({ ...ref, provider: 'docker', labId: found[0]?.Labels[LABEL.lab] ?? ref.labId, createdAt }, ids);
  }

  watchStopped(onStopped: (e: SandboxStoppedEvent) => void): { stop(): void } {
    return watchContainers(this.opts.scope, onStopped, (err) => this.opts.warn(`Docker event stream: ${err.message}; reconnecting`));
  }

  stopped(sessions: Map<string, string[]>): Promise<SandboxStoppedEvent[]> {
    return stoppedSandboxes(this.opts.scope, sessions);
  }

  async list(): Promise<SandboxRef[]> {
    const label = { label: [LABEL.session, `${LABEL.provider}=docker`, `${LABEL.scope}=${this.opts.scope}`] };
    const [cs, ns, vs] = await Promise.all([
      docker().listContainers({ all: true, filters: label }),
      docker().listNetworks({ filters: label }),
      docker().listVolumes({ filters: label }),
    ]);
    const refs = new Map<string, SandboxRef>();
    const add = (labels: Record<string, string> | undefined) => {
      const sessionId = labels?.[LABEL.session];
      if (!sessionId || refs.has(sessionId)) return;
      refs.set(sessionId, { provider: 'docker', sessionId, labId: labels[LABEL.lab] ?? '', createdAt: labels[LABEL.created] || undefined });
    };
    cs.forEach((c) => add(c.Labels));
    ns.forEach((n) => add(n.Labels));
    (vs.Volumes ?? []).forEach((v) => add(v.Labels ?? undefined));
    return [...refs.values()];
  }

  async destroy(ref: SandboxRef): Promise<void> {
    const filters = { label: [`${LABEL.session}=${ref.sessionId}`] };
    const cs = await docker().listContainers({ all: true, filters });
    // one at a time: concurrent removals on one network can leave libnetwork counting an endpoint
    // that no longer exists ("has active endpoints" with no container: moby/moby#42119), and such a
    // network cannot be removed until dockerd restarts
    for (const c of cs) {
      await docker()
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch((err) => {
          if (!isNotFound(err) && !/already in progress/.test(String(err))) throw err;
        });
    }
    // every removal is tried even when one fails; what remains is reported once, with the engine's reasons
    const reasons: string[] = [];
    const attempt = (what: string, fn: () => Promise<unknown>) =>
      retry(fn).catch((err: unknown) => void reasons.push(`${what}: ${(err as { json?: { message?: string } }).json?.message ?? String(err)}`));
    // a removal another caller started ("already in progress") is still holding its endpoints
    for (let i = 0; i < 60 && (await docker().listContainers({ all: true, filters })).length > 0; i++) await sleep(250);
    const ns = await docker().listNetworks({ filters });
    await Promise.all(ns.map((n) => attempt(`network ${n.Name}`, () => removeNetwork(n.Id))));
    const vs = (await docker().listVolumes({ filters })).Volumes ?? [];
    await Promise.all(vs.map((v) => attempt(`volume ${v.Name}`, () => docker().getVolume(v.Name).remove({ force: true }))));
    const left = await this.leftovers(ref.sessionId);
    if (left.length) throw new Error(`sandbox ${ref.sessionId}: could not remove ${left.join(', ')}${reasons.length ? ` (${reasons.join('; ')})` : ''}`);
  }

  async leftovers(sessionId: string): Promise<string[]> {
    const filters = { label: [`${LABEL.session}=${sessionId}`] };
    const [cs, ns, vs] = await Promise.all([
      docker().listContainers({ all: true, filters }),
      docker().listNetworks({ filters }),
      docker().listVolumes({ filters }),
    ]);
    return [
      ...cs.map((c) => `container:${c.Names[0]?.replace(/^\//, '') ?? c.Id}`),
      ...ns.map((n) => `network:${n.Name}`),
      ...(vs.Volumes ?? []).map((v) => `volume:${v.Name}`),
    ];
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Removal of an object another removal still holds (a network whose endpoints are going away). */
async function retry(fn: () => Promise<unknown>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await fn();
      return;
    } catch (err) {
      if (isNotFound(err)) return;
      if (attempt >= 20) throw err;
      await sleep(250);
    }
  }
}

/** Removes a sandbox network; endpoints the engine still lists (a container's removal racing this
 *  one, seen under load as "has active endpoints") are disconnected by force first. */
async function removeNetwork(id: string): Promise<void> {
  const net = docker().getNetwork(id);
  try {
    await net.remove();
  } catch (err) {
    if (!/active endpoints/i.test(String((err as { json?: { message?: string } }).json?.message ?? err))) throw err;
    const info = (await net.inspect().catch(() => undefined)) as { Containers?: Record<string, unknown> } | undefined;
    await Promise.all(Object.keys(info?.Containers ?? {}).map((c) => net.disconnect({ Container: c, Force: true }).catch(() => {})));
    throw err;
  }
}

export type { PlannedNetwork };
