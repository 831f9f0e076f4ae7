// The server's provider registry (sandbox/registry.ts): its sandboxes carry the scope of its data
// dir, so its reconcile never touches another server's, a replay's or a test's; kind keeps its
// state in the data dir.
import fp from 'fastify-plugin';
import { join, resolve } from 'node:path';
import { ProviderRegistry } from '../../sandbox/registry.js';
import { serverScope } from '../../sessions/scope.js';

declare module 'fastify' {
  interface FastifyInstance {
    providers: ProviderRegistry;
  }
}

export interface ProvidersPluginOptions {
  dataDir: string;
  allowNoUserns: boolean;
  /** disk quotas of the docker provider's sandboxes */
  disk?: { writableBytes?: number; dindBytes?: number };
}

export const providersPlugin = fp<ProvidersPluginOptions>(
  async (app, opts) => {
    app.decorate(
      'providers',
      new ProviderRegistry({
        scope: serverScope(opts.dataDir),
        allowNoUserns: opts.allowNoUserns,
        docker: { warn: (m) => app.log.warn(m), ...opts.disk },
        kind: { stateDir: join(resolve(opts.dataDir), 'kind') },
      }),
    );
    // nothing to close: sandboxes outlive the process and are re-adopted at the next start
  },
  { name: 'providers', fastify: '5.x' },
);
