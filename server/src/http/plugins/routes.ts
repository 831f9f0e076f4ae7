// The routes: /api/health, the lab, session, restart and pool routes, the terminal WebSocket and the built web UI.
import fastifyStatic from '@fastify/static';
import fp from 'fastify-plugin';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checksStatus } from '../../probe/mode.js';
import { clientKey } from '../client.js';
import { labRoutes } from '../routes/labs.js';
import { poolRoutes } from '../routes/pool.js';
import { restartRoute } from '../routes/restart.js';
import { sessionRoutes } from '../routes/sessions.js';
import { errors, Health, json } from '../schemas.js';
import { terminalRoute } from '../ws.js';

export interface RoutesPluginOptions {
  /** the built web UI (Vite's dist); optional */
  webDir?: string;
  /** the operator's bearer token for /api/pool (NETDOJO_OPERATOR_TOKEN); none: those routes answer 403 */
  operatorToken?: string;
}

export const routesPlugin = fp<RoutesPluginOptions>(
  async (app, opts) => {
    app.get(
      '/api/health',
      { schema: { tags: ['health'], summary: 'engine and session status', response: { 200: json(Health), ...errors(500) } } },
      async () => {
        const s = await app.engine.status();
        const checks = await checksStatus();
        return {
          ok: s.docker && (s.userns || app.engine.allowNoUserns),
          docker: s.docker,
          userns: s.userns,
          sessions: app.sessions.liveCount,
          terminals: app.terminals.size,
          checks,
          ...(s.diskQuota === undefined ? {} : { diskQuota: s.diskQuota }),
        };
      },
    );
    labRoutes(app, app.catalog);
    sessionRoutes(app, app.sessions);
    restartRoute(app, app.sessions);
    poolRoutes(app, app.pool, app.sessions, opts.operatorToken);
    terminalRoute(app, app.sessions, app.terminals, (req) => clientKey(req.ip));

    const webDir = opts.webDir && existsSync(join(opts.webDir, 'index.html')) ? resolve(opts.webDir) : undefined;
    if (webDir) {
      await app.register(fastifyStatic, { root: webDir, index: 'index.html', wildcard: true });
      app.get('/labs/*', { schema: { hide: true } }, (_req, reply) => reply.sendFile('index.html'));
    } else {
      app.get('/', { schema: { hide: true } }, async (_req, reply) =>
        reply.code(503).type('text/plain').send('netdojo: the web UI is not built (npm run build:web); the API is at /api and its documentation at /docs\n'),
      );
    }
  },
  { name: 'routes', fastify: '5.x', dependencies: ['edge', 'engine', 'catalog', 'sessions', 'terminals', 'pool'] },
);
