// Out-of-band probes of one sandbox for one round of checks: the server's own tools run inside the
// target network namespace (entered by fd), files are read from outside (rootfs.ts), names resolve
// as the host would (resolver.ts). Nothing here runs a sandbox binary or follows a sandbox symlink.
import { isIP } from 'node:net';
import type { ExecResult, ProbeAccess } from '../sandbox/types.js';
import { type ProbeMode } from './mode.js';
import { openHostNetns, openNamedNetns, readMountinfo, type MountEntry, type NetnsHandle } from './netns.js';
import { ProbeAccessError, type ProcessRef } from './proc.js';
import { parseResolvConf, resolveLikeHost, type Resolution } from './resolver.js';
import { readFileInRoot, type FileRead } from './rootfs.js';
import { startHost, type HostProcess, type HostRunOptions } from './spawn.js';
import type { Tool } from './tools.js';

const CONFIG_MAX = 256 * 1024;

/** Single-quotes a value for bash (values from sandbox files never reach a script unquoted). */
export const sq = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

export interface Place {
  host: string;
  netns?: string;
}

export class OutOfBand {
  private readonly procs = new Map<string, Promise<ProcessRef>>();
  private readonly files = new Map<string, Promise<FileRead>>();

  constructor(
    private readonly access: ProbeAccess,
    readonly mode: ProbeMode,
    private readonly signal?: AbortSignal,
  ) {}

  has(tool: Tool): boolean {
    return Boolean(this.mode.tools[tool]);
  }

  tool(tool: Tool): string {
    const p = this.mode.tools[tool];
    if (!p) throw new ProbeAccessError(`${tool} is missing on the server`);
    return p;
  }

  label(place: Place): string {
    return place.netns ? `${place.host} (netns ${place.netns})` : place.host;
  }

  process(host: string): Promise<ProcessRef> {
    let p = this.procs.get(host);
    if (!p) {
      p = this.access.initProcess(host);
      p.catch(() => this.procs.delete(host));
      this.procs.set(host, p);
    }
    return p;
  }

  async openNetns(place: Place): Promise<NetnsHandle> {
    const ref = await this.process(place.host);
    return place.netns ? openNamedNetns(ref, place.netns, place.host) : openHostNetns(ref, place.host);
  }

  async mounts(host: string): Promise<MountEntry[]> {
    return readMountinfo(await this.process(host));
  }

  /** A file of the host (cached for this round: config files are read once per check round). */
  readFile(host: string, path: string, maxBytes = CONFIG_MAX, cache = false): Promise<FileRead> {
    const key = `${host}\0${path}\0${maxBytes}`;
    const hit = cache ? this.files.get(key) : undefined;
    if (hit) return hit;
    const p = this.process(host).then((ref) => readFileInRoot(ref, path, maxBytes));
    if (cache) this.files.set(key, p);
    return p;
  }

  /** Starts a host tool inside `place`'s netns; the netns fd is closed when the process ends. */
  async start(place: Place, argv: string[], opts: Omit<HostRunOptions, 'netnsFd' | 'nsenter'>): Promise<HostProcess> {
    const ns = await this.openNetns(place);
    let proc: HostProcess;
    try {
      proc = startHost(argv, { ...opts, signal: opts.signal ?? this.signal, netnsFd: ns.fd, nsenter: this.tool('nsenter') });
    } catch (err) {
      await ns.close();
      throw err;
    }
    void proc.done.finally(() => ns.close());
    return proc;
  }

  /**
   * Runs a bash script of the checkers with the server's bash and tools inside `place`'s netns.
   * Never throws: a netns that cannot be entered is a failed probe (exit 1, the reason on stderr).
   */
  async run(place: Place, script: string, timeoutMs: number): Promise<ExecResult> {
    try {
      const p = await this.start(place, [this.tool('bash'), '--noprofile', '--norc', '-c', script], { timeoutMs });
      return await p.done;
    } catch (err) {
      if (!(err instanceof ProbeAccessError)) throw err;
      return { exitCode: 1, stdout: '', stderr: `${err.message}\n`, timedOut: false, durationMs: 0 };
    }
  }

  /** A config file as the host sees it, inside `ip netns exec NAME` (where /etc/netns/NAME/X replaces /etc/X). */
  private async configFile(place: Place, name: string): Promise<string | undefined> {
    if (place.netns) {
      const own = await this.readFile(place.host, `/etc/netns/${place.netns}/${name}`, CONFIG_MAX, true);
      if (own.kind === 'file') return own.content.toString('utf8');
    }
    const f = await this.readFile(place.host, `/etc/${name}`, CONFIG_MAX, true);
    return f.kind === 'file' ? f.content.toString('utf8') : undefined;
  }

  async resolverFiles(place: Place) {
    const [nsswitch, hosts, resolvConf] = await Promise.all(['nsswitch.conf', 'hosts', 'resolv.conf'].map((n) => this.configFile(place, n)));
    return { nsswitch, hosts, resolvConf };
  }

  /** `name` → an address, as `place` would resolve it. */
  async resolve(place: Place, name: string): Promise<Resolution> {
    if (isIP(name)) return { address: name, via: 'literal' };
    const files = await this.resolverFiles(place);
    return resolveLikeHost(name, files, async (server, qname) => {
      if (!this.has('dig')) return undefined;
      const r = await this.run(place, `${this.tool('dig')} +short +time=2 +tries=1 ${sq(`@${server}`)} -q ${sq(qname)} -t A`, 10_000);
      return r.stdout.split('\n').map((l) => l.trim()).find((l) => isIP(l) === 4);
    });
  }

  /** The sandbox's first name server (as dig inside would ask it). */
  async nameserver(place: Place): Promise<string> {
    const { resolvConf } = await this.resolverFiles(place);
    return parseResolvConf(resolvConf).nameservers[0]!;
  }
}
