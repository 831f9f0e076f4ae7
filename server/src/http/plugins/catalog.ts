// The labs this server offers, loaded once at start; availability follows the providers' capabilities.
import fp from 'fastify-plugin';
import { Catalog } from '../../sessions/catalog.js';

declare module 'fastify' {
  interface FastifyInstance {
    catalog: Catalog;
  }
}

export const catalogPlugin = fp<{ labs: string[] }>(
  async (app, opts) => {
    const catalog = new Catalog(app.providers);
    await catalog.load(opts.labs);
    for (const p of catalog.problems) app.log.warn(`lab skipped: ${p}`);
    app.decorate('catalog', catalog);
  },
  { name: 'catalog', fastify: '5.x', dependencies: ['providers'] },
);
