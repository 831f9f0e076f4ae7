// The docker provider (DESIGN §4): a sandbox is one container per lab host and one internal Docker
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
import { execa } from 'execa';
import { DEFAULT_IMAGE, DIND_IMAGE } from '../../images/catalog.js';
import type { Host, Lab } from '../../labs/schema.js';
import { UserError } from '../../util/errors.js';
import type { Capabilities, CreateOptions, Provider, Sandbox, SandboxRef } from '../types.js';
import { probeCapabilities } from '../capabilities.js';
import { docker, isNotFound } from './client.js';
import { runArgv } from './exec.js';
import { ensureHostRules } from './hostrules.js';
import { bridgeName, containerName, dockerVolumeName, LABEL, networkName, originLabel } from './names.js';
import { etcHostsFor, hostSetupScript, planNetworks, type HostInterface, type PlannedNetwork } from './netplan.js';
import { DockerSandbox } from './sandbox.js';

export interface DockerProviderOptions {
  /** create sandboxes even when the engine has no user namespace (a single trusted user only) */
  allowNoUserns?: boolean;
  /** per host; default 256 MiB */
  memoryBytes?: number;
  /** per host; default 512 */
  pidsLimit?: number;
  /** per host; default 1.0 */
  cpus?: number;
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

  constructor(opts: DockerProviderOptions = {}) {
    this.opts = {
      allowNoUserns: opts.allowNoUserns ?? false,
      memoryBytes: opts.memoryBytes ?? 256 * MiB,
      pidsLimit: opts.pidsLimit ?? 512,
      cpus: opts.cpus ?? 1,
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
      let info: { SecurityOptions?: string[] };
      try {
        info = await docker().info();
      } catch (err) {
        throw new UserError(`the Docker engine does not answer (${(err as Error).message}); start it with infra/docker-engine.sh`);
      }
      if ((info.SecurityOptions ?? []).some((o) => o.includes('name=userns'))) return;
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
    for (const image of new Set(lab.environment.hosts.map((h) => this.imageOf(h)))) {
      try {
        await docker().getImage(image).inspect();
      } catch (err) {
        if (isNotFound(err)) throw new UserError(`image ${image} is missing: run \`netdojo images build\``);
        throw err;
      }
    }
    await ensureHostRules(DEFAULT_IMAGE);
    try {
      return await this.build(lab, ref, opts, say);
    } catch (err) {
      say('creation failed: removing what was created');
      await this.destroy(ref).catch(() => {});
      throw err;
    }
  }

  private labels(ref: SandboxRef, extra: Record<string, string> = {}): Record<string, string> {
    return { [LABEL.session]: ref.sessionId, [LABEL.lab]: ref.labId, [LABEL.provider]: 'docker', [LABEL.scope]: this.opts.scope, [LABEL.created]: ref.createdAt ?? '', ...originLabel(), ...extra };
  }

  private async build(lab: Lab, ref: SandboxRef, opts: CreateOptions, say: (m: string) => void): Promise<Sandbox> {
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
    abort();

    const netsOf = (host: string) => nets.filter((n) => n.hosts.includes(host));
    say(`creating ${lab.environment.hosts.length} host(s)`);
    const containers = new Map<string, Docker.Container>();
    await Promise.all(
      lab.environment.hosts.map(async (h) => {
        const hostNets = netsOf(h.name);
        const binds = ['/sys:/run/host-sys:ro'];
        if (h.docker) {
          const vol = dockerVolumeName(session, h.name);
          await docker().createVolume({ Name: vol, Labels: this.labels(ref, { [LABEL.host]: h.name }) });
          binds.push(`${vol}:/var/lib/docker`);
        }
        const first = hostNets[0];
        const c = await docker().createContainer({
          name: containerName(session, h.name),
          Image: this.imageOf(h),
          Hostname: h.hostname ?? h.name,
          Env: Object.entries(h.env ?? {}).map(([k, v]) => `${k}=${v}`),
          Labels: this.labels(ref, { [LABEL.host]: h.name }),
          WorkingDir: '/root',
          HostConfig: {
            NetworkMode: first ? networkName(session, first.name) : 'none',
            CapAdd: ['NET_ADMIN', 'SYS_ADMIN'],
            SecurityOpt: h.docker ? ['seccomp=unconfined'] : [],
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
        });
        containers.set(h.name, c);
        for (const n of hostNets.slice(1)) await docker().getNetwork(networkName(session, n.name)).connect({ Container: c.id });
        abort();
        await c.start();
      }),
    );

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
    const archive = files ? Buffer.from((await execa('tar', ['-C', filesDir, '--owner=0', '--group=0', '-c', '.'], { encoding: 'buffer' })).stdout) : undefined;

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
    await Promise.all(
      cs.map((c) =>
        docker()
          .getContainer(c.Id)
          .remove({ force: true, v: true })
          .catch((err) => {
            if (!isNotFound(err) && !/already in progress/.test(String(err))) throw err;
          }),
      ),
    );
    const ns = await docker().listNetworks({ filters });
    await Promise.all(ns.map((n) => retry(() => docker().getNetwork(n.Id).remove())));
    const vs = (await docker().listVolumes({ filters })).Volumes ?? [];
    await Promise.all(vs.map((v) => retry(() => docker().getVolume(v.Name).remove({ force: true }))));
    const left = await this.leftovers(ref.sessionId);
    if (left.length) throw new Error(`sandbox ${ref.sessionId}: could not remove ${left.join(', ')}`);
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

/** Removal of an object another removal still holds (a network whose endpoints are going away). */
async function retry(fn: () => Promise<unknown>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await fn();
      return;
    } catch (err) {
      if (isNotFound(err)) return;
      if (attempt >= 10) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

export type { PlannedNetwork };
