// The warm pool of ready sandboxes (sessions/pool.ts): fills once the server is ready, drained at shutdown.
import fp from 'fastify-plugin';
import { WarmPool, type PoolOptions } from '../../sessions/pool.js';

declare module 'fastify' {
  interface FastifyInstance {
    pool: WarmPool;
  }
}

export const poolPlugin = fp<{ pool?: PoolOptions }>(
  async (app, opts) => {
    const pool = new WarmPool(app.store, app.catalog, app.providers, opts.pool ?? { size: 0 }, app.log.child({ component: 'pool' }));
    app.decorate('pool', pool);
    // onReady runs after every plugin loaded, so after the sessions plugin's startup reconcile,
    // which hands the previous process's pooled sandboxes back to the pool first
    app.addHook('onReady', async () => pool.start());
    app.addHook('onClose', async () => pool.drain());
  },
  { name: 'pool', fastify: '5.x', dependencies: ['store', 'catalog', 'providers'] },
);
