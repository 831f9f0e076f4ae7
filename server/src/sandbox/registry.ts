// The provider registry: the one owner of provider instances (one per name), of the options and the
// scope they are made with, and of the cache of what each can run (capabilities, kept for
// CAPS_TTL_MS; a failed probe is not kept). The server, `netdojo replay`, `netdojo dev`,
// `netdojo rm` and the tests get their providers from a registry.
import { ttlCache, type TtlCache } from '../engine/ttl.js';
import { UserError } from '../util/errors.js';
import { DockerProvider, type DockerProviderOptions } from './docker/provider.js';
import type { KindProviderOptions } from './kind/provider.js';
import type { Capabilities, Provider, ProviderName } from './types.js';

export const PROVIDER_NAMES: readonly ProviderName[] = ['docker', 'kind'];

/** how long a provider's capabilities are trusted (kernel features and installed tools change rarely) */
export const CAPS_TTL_MS = 10 * 60_000;

export interface RegistryOptions {
  /**
   * Sandboxes are labelled with this scope (kind: cluster names carry it) and a provider lists only
   * its own, so that a server, a replay and a test on one engine never take each other's sandboxes
   * for orphans. Default: $NETDOJO_SCOPE or "default".
   */
  scope?: string;
  /** the docker provider may create sandboxes on an engine without a user namespace (one trusted user) */
  allowNoUserns?: boolean;
  /** further options of the docker provider (disk quotas, limits, where warnings go) */
  docker?: Omit<DockerProviderOptions, 'scope' | 'allowNoUserns'>;
  /** further options of the kind provider (where its state lives) */
  kind?: Omit<KindProviderOptions, 'scope'>;
  /** the clock of the capability cache (tests) */
  now?: () => number;
}

export class ProviderRegistry {
  readonly names: readonly ProviderName[] = PROVIDER_NAMES;
  private readonly instances = new Map<ProviderName, Promise<Provider>>();
  private readonly caps = new Map<ProviderName, TtlCache<Capabilities>>();
  /** set by of(): no other provider is made */
  private given: Provider[] | undefined;

  constructor(private readonly opts: RegistryOptions = {}) {}

  /** A registry of exactly these instances (a test's own provider, one handed to replay). */
  static of(given: Provider | Provider[], opts: Pick<RegistryOptions, 'now'> = {}): ProviderRegistry {
    const providers = Array.isArray(given) ? given : [given];
    const registry = new ProviderRegistry(opts);
    registry.given = providers;
    for (const p of providers) registry.instances.set(p.name, Promise.resolve(p));
    return registry;
  }

  get scope(): string {
    return this.opts.scope ?? process.env.NETDOJO_SCOPE ?? 'default';
  }

  /** The provider of that name: made once; a failure to make it is not kept (the next call tries again). */
  get(name: ProviderName): Promise<Provider> {
    let p = this.instances.get(name);
    if (!p) {
      p = this.make(name).catch((err: unknown) => {
        this.instances.delete(name);
        throw err;
      });
      this.instances.set(name, p);
    }
    return p;
  }

  /** What the provider of that name can run on this host, at most CAPS_TTL_MS old (rejects when it cannot be made). */
  capabilities(name: ProviderName): Promise<Capabilities> {
    let cache = this.caps.get(name);
    if (!cache) {
      cache = ttlCache(async () => (await this.get(name)).capabilities(), { ttlMs: CAPS_TTL_MS, keep: (c) => !c.probeError, now: this.opts.now });
      this.caps.set(name, cache);
    }
    return cache();
  }

  private async make(name: ProviderName): Promise<Provider> {
    if (this.given) throw new UserError(`only the ${this.given.map((p) => p.name).join(', ')} provider was given`);
    const scope = this.scope;
    if (name === 'docker') return new DockerProvider({ ...this.opts.docker, scope, allowNoUserns: this.opts.allowNoUserns ?? false });
    if (name === 'kind') {
      let mod: typeof import('./kind/index.js');
      try {
        // loaded on first use: commands that never touch kind do not pay for it
        mod = await import('./kind/index.js');
      } catch (err) {
        throw new UserError(`the kind provider is not available (${(err as Error).message.split('\n')[0]})`);
      }
      return new mod.KindProvider({ ...this.opts.kind, scope });
    }
    throw new UserError(`unknown provider "${String(name)}" (known: ${PROVIDER_NAMES.join(', ')})`);
  }
}

let shared: ProviderRegistry | undefined;

/** The process's registry in the default scope, with default options (`netdojo rm`, tests). */
export function defaultProviders(): ProviderRegistry {
  shared ??= new ProviderRegistry();
  return shared;
}
