// Provider registry: `getProvider('docker' | 'kind')`.
import { UserError } from '../util/errors.js';
import { DockerProvider, type DockerProviderOptions } from './docker/provider.js';
import type { Provider, ProviderName } from './types.js';

export interface ProviderOptions {
  docker?: DockerProviderOptions;
  /** passed as-is to the kind provider's factory */
  kind?: Record<string, unknown>;
}

type Factory = (opts: ProviderOptions) => Promise<Provider>;

// The kind provider lives in ./kind/ (owned by the kind engineer). Contract: the module
// `./kind/index.js` exports `createKindProvider(opts?: Record<string, unknown>): Provider`.
// It is imported lazily (a non-literal specifier) so this registry does not depend on it being present.
const KIND_MODULE = './kind/index.js';

const factories: Record<ProviderName, Factory> = {
  docker: async (opts) => new DockerProvider(opts.docker),
  kind: async (opts) => {
    let mod: { createKindProvider?: (o?: Record<string, unknown>) => Provider };
    try {
      mod = (await import(KIND_MODULE)) as typeof mod;
    } catch (err) {
      throw new UserError(`the kind provider is not available (${(err as Error).message.split('\n')[0]})`);
    }
    if (typeof mod.createKindProvider !== 'function') throw new UserError('the kind provider module exports no createKindProvider()');
    return mod.createKindProvider(opts.kind);
  },
};

const instances = new Map<ProviderName, Promise<Provider>>();

/** The provider of that name (one instance per process unless `opts` are given). */
export function getProvider(name: ProviderName, opts?: ProviderOptions): Promise<Provider> {
  const factory = factories[name];
  if (!factory) throw new UserError(`unknown provider "${name}" (known: ${Object.keys(factories).join(', ')})`);
  if (opts) return factory(opts);
  let p = instances.get(name);
  if (!p) {
    p = factory({}).catch((err) => {
      instances.delete(name);
      throw err;
    });
    instances.set(name, p);
  }
  return p;
}

export const PROVIDER_NAMES = Object.keys(factories) as ProviderName[];
