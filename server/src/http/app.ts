// The platform server as a fastify instance: build(opts) wires store, catalog, sessions, terminals
// and routes; `netdojo serve` listens on it, tests build it on a temp data dir.
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Provider, ProviderName } from '../sandbox/types.js';
import { getProvider } from '../sandbox/providers.js';
import { serverScope } from '../sessions/scope.js';
import { Catalog, type ProviderSource } from '../sessions/catalog.js';
import { WarmPool, type PoolOptions } from '../sessions/pool.js';
import { engineProbe } from '../sessions/host.js';
import { Reaper } from '../sessions/reaper.js';
import { reconcile } from '../sessions/reconcile.js';
import { ServiceError, SessionService } from '../sessions/service.js';
import { SessionStore } from '../sessions/store.js';
import { DEFAULT_BRIDGE, TerminalHub, type BridgeOptions } from '../terminal/bridge.js';
import { labRoutes } from './routes/labs.js';
import { sessionRoutes } from './routes/sessions.js';
import { errors, Health, json } from './schemas.js';
import { MAX_FRAME_BYTES, terminalRoute } from './ws.js';

export interface AppOptions {
  dataDir: string;
  labs: string[];
  /** the built web UI (Vite's dist); optional */
  webDir?: string;
  maxSessions: number;
  ttlMs: number;
  idleMs: number;
  createPerMinute: number;
  createBurst: number;
  allowNoUserns: boolean;
  reaperIntervalMs: number;
  terminal?: Partial<BridgeOptions>;
  logger?: FastifyServerOptions['logger'];
  trustProxy?: boolean;
  providers?: ProviderSource;
  /** warm pool of ready sandboxes (default: none) */
  pool?: PoolOptions;
}

export { DEFAULTS } from './defaults.js';

declare module 'fastify' {
  interface FastifyInstance {
    platform: { service: SessionService; hub: TerminalHub; catalog: Catalog; store: SessionStore; reaper: Reaper; pool: WarmPool };
  }
}

const PROVIDERS: ProviderName[] = ['docker', 'kind'];

function validationMessage(err: FastifyError): string {
  const v = err.validation?.[0];
  if (!v) return err.message;
  const where = [err.validationContext ?? 'request', ...v.instancePath.split('/').filter(Boolean)].join('.');
  const p = v.params as Record<string, unknown>;
  if (v.keyword === 'required') return `${where}.${String(p.missingProperty)} is required`;
  if (v.keyword === 'additionalProperties') return `${where}.${String(p.additionalProperty)} is not a known field`;
  if (v.keyword === 'pattern') return `${where} is malformed (must match ${String(p.pattern)})`;
  return `${where} ${v.message ?? 'is invalid'}`;
}

export async function build(opts: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: 64 * 1024,
    // onReady reconciles with Docker, which can take long on a busy engine
    pluginTimeout: 300_000,
    trustProxy: opts.trustProxy ?? false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    routerOptions: { maxParamLength: 200 },
  });

  const cache = new Map<ProviderName, Promise<Provider>>();
  const providers: ProviderSource =
    opts.providers ??
    ((name) => {
      if (name !== 'docker') return getProvider(name);
      const scope = serverScope(opts.dataDir);
      if (!cache.has(name)) cache.set(name, getProvider(name, { docker: { scope, allowNoUserns: opts.allowNoUserns ?? false, warn: (m) => app.log.warn(m) } }));
      return cache.get(name)!;
    });
  const store = new SessionStore(join(resolve(opts.dataDir), 'netdojo.sqlite'));
  const catalog = new Catalog(providers);
  await catalog.load(opts.labs);
  for (const p of catalog.problems) app.log.warn(`lab skipped: ${p}`);
  const probe = engineProbe();
  const service = new SessionService(
    store,
    catalog,
    providers,
    {
      maxSessions: opts.maxSessions,
      ttlMs: opts.ttlMs,
      idleMs: opts.idleMs,
      createPerMinute: opts.createPerMinute,
      createBurst: opts.createBurst,
      createTimeoutMs: 180_000,
      sandboxGate: async () => {
        const s = await probe();
        if (!s.docker) return `the Docker engine does not answer: ${s.error ?? 'unknown error'}`;
        if (!s.userns && !opts.allowNoUserns) {
          return 'the Docker engine runs without a user namespace (userns-remap), so sandboxes would be root on the host; start it with userns-remap or pass --allow-no-userns for a single trusted user';
        }
        return undefined;
      },
    },
    app.log.child({ component: 'sessions' }),
  );
  const hub = new TerminalHub({ ...DEFAULT_BRIDGE, ...opts.terminal });
  service.onEnd = (id) => hub.closeSession(id);
  const reaper = new Reaper(service, PROVIDERS, opts.reaperIntervalMs);
  const pool = new WarmPool(store, catalog, providers, opts.pool ?? { size: 0 }, app.log.child({ component: 'pool' }));
  service.pool = pool;
  app.decorate('platform', { service, hub, catalog, store, reaper, pool });

  if (!(await probe()).userns && opts.allowNoUserns) {
    app.log.warn('DANGER: the Docker engine has no user namespace and --allow-no-userns is set: every learner is root on this host. Only for a single trusted user.');
  }

  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'netdojo', version: '0.1.0', description: 'Hands-on lab platform: sessions, checks, terminals' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  await app.register(fastifyWebsocket, { options: { maxPayload: MAX_FRAME_BYTES } });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof ServiceError) {
      if (err.retryAfterSeconds) reply.header('retry-after', String(err.retryAfterSeconds));
      if (err.status >= 500) req.log.error({ err: err.message }, err.code);
      return reply.code(err.status).send({ error: err.code, message: err.message });
    }
    if (err.validation) return reply.code(400).send({ error: 'bad_request', message: validationMessage(err) });
    const status = err.statusCode ?? 500;
    if (status < 500) {
      const code = err.code === 'FST_ERR_CTP_INVALID_JSON' || err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'bad_json' : status === 413 ? 'too_large' : 'bad_request';
      return reply.code(status).send({ error: code, message: err.message });
    }
    req.log.error({ err }, 'internal error');
    return reply.code(500).send({ error: 'internal', message: 'internal server error' });
  });
  app.setNotFoundHandler((req, reply) => {
    return reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` });
  });

  app.get(
    '/api/health',
    { schema: { tags: ['health'], summary: 'engine and session status', response: { 200: json(Health), ...errors(500) } } },
    async () => {
      const s = await probe();
      return { ok: s.docker && (s.userns || opts.allowNoUserns), docker: s.docker, userns: s.userns, sessions: service.liveCount, terminals: hub.size };
    },
  );
  labRoutes(app, catalog);
  sessionRoutes(app, service);
  terminalRoute(app, service, hub);

  const webDir = opts.webDir && existsSync(join(opts.webDir, 'index.html')) ? resolve(opts.webDir) : undefined;
  if (webDir) {
    await app.register(fastifyStatic, { root: webDir, index: 'index.html', wildcard: true });
    app.get('/labs/*', { schema: { hide: true } }, (_req, reply) => reply.sendFile('index.html'));
  } else {
    app.get('/', { schema: { hide: true } }, async (_req, reply) =>
      reply.code(503).type('text/plain').send('netdojo: the web UI is not built (npm run build:web); the API is at /api and its documentation at /docs\n'),
    );
  }

  app.addHook('onReady', async () => {
    await reconcile(service, PROVIDERS, { startup: true });
    pool.start();
    reaper.start();
  });
  app.addHook('onClose', async () => {
    await reaper.stop();
    await pool.drain();
    await hub.closeAll();
    store.close();
  });
  return app;
}
