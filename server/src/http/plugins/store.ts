// The session database (SQLite in the data dir). Closed last: every other plugin's shutdown may still write to it.
import fp from 'fastify-plugin';
import { join, resolve } from 'node:path';
import { SessionStore } from '../../sessions/store.js';

declare module 'fastify' {
  interface FastifyInstance {
    store: SessionStore;
  }
}

export const storePlugin = fp<{ dataDir: string }>(
  async (app, opts) => {
    const store = new SessionStore(join(resolve(opts.dataDir), 'netdojo.sqlite'));
    app.decorate('store', store);
    // onClose hooks run in the reverse order of registration, and this plugin is registered first
    app.addHook('onClose', async () => store.close());
  },
  { name: 'store', fastify: '5.x' },
);
