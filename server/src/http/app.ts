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
import { restartRoute } from './routes/restart.js';
import { errors, Health, json } from './schemas.js';
import { MAX_FRAME_BYTES, terminalRoute } from './ws.js';
import { installMetrics } from './metrics.js';
import { clientKey, fastifyTrustProxy, type TrustProxy } from './client.js';
import { installHostGuard, type HostPolicy } from './hosts.js';
import { checksStatus, probeMode, setProbeModeWarn } from '../probe/mode.js';

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
  /** fastify/proxy-addr: a hop count or the proxies' addresses (true trusts the left-most X-Forwarded-For: tests only) */
  trustProxy?: boolean | TrustProxy;
  /** live sessions per client (IPv4 address or IPv6 /64); 0 = unlimited; default 3 */
  maxSessionsPerClient?: number;
  /** disk quotas of the docker provider's sandboxes (default 1 GiB writable layer, 2 GiB DinD) */
  disk?: { writableBytes?: number; dindBytes?: number };
  /** ended sessions older than this are purged (default 30 days) */
  retentionMs?: number;
  /** the listen address and public URLs: the Host names (and Origins) the server answers to */
  hostPolicy?: HostPolicy;
  providers?: ProviderSource;
  /** warm pool of ready sandboxes (default: none) */
  pool?: PoolOptions;
}

import { DEFAULTS } from './defaults.js';
export { DEFAULTS };

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
    trustProxy: fastifyTrustProxy(opts.trustProxy ?? false),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    routerOptions: { maxParamLength: 200 },
  });

  const cache = new Map<ProviderName, Promise<Provider>>();
  const providers: ProviderSource =
    opts.providers ??
    ((name) => {
      const scope = serverScope(opts.dataDir);
      // each provider owns only the sandboxes of this server's scope (kind: clusters, state in the data dir)
      const kind = { scope, stateDir: join(resolve(opts.dataDir), 'kind') };
      if (!cache.has(name)) cache.set(name, getProvider(name, { docker: { scope, allowNoUserns: opts.allowNoUserns ?? false, warn: (m) => app.log.warn(m), ...opts.disk }, kind }));
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
      maxSessionsPerClient: opts.maxSessionsPerClient ?? DEFAULTS.maxSessionsPerClient,
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
  service.onEnd = (id, reason) => hub.closeSession(id, reason);
  const reaper = new Reaper(service, PROVIDERS, opts.reaperIntervalMs, { retentionMs: opts.retentionMs ?? DEFAULTS.retentionMs });
  const pool = new WarmPool(store, catalog, providers, opts.pool ?? { size: 0 }, app.log.child({ component: 'pool' }));
  service.pool = pool;
  app.decorate('platform', { service, hub, catalog, store, reaper, pool });

  const engine = await probe();
  if (engine.docker && engine.diskQuota === false) {
    app.log.warn(
      `!!! the Docker engine's storage driver (${engine.storageDriver ?? 'unknown'}) cannot limit a sandbox's disk: a learner can fill this host's disk up to the watchdog's next look; run infra/docker-engine.sh for a btrfs data root with quotas !!!`,
    );
  }
  if (!engine.userns && opts.allowNoUserns) {
    app.log.warn('DANGER: the Docker engine has no user namespace and --allow-no-userns is set: every learner is root on this host. Only for a single trusted user.');
  }

  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'netdojo', version: '0.1.0', description: 'Hands-on lab platform: sessions, checks, terminals' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  installHostGuard(app, opts.hostPolicy ?? {});
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
      const checks = await checksStatus();
      return {
        ok: s.docker && (s.userns || opts.allowNoUserns),
        docker: s.docker,
        userns: s.userns,
        sessions: service.liveCount,
        terminals: hub.size,
        checks,
        ...(s.diskQuota === undefined ? {} : { diskQuota: s.diskQuota }),
      };
    },
  );
  installMetrics(app, { service, store, pool, hub });
  labRoutes(app, catalog);
  sessionRoutes(app, service);
  restartRoute(app, service);
  terminalRoute(app, service, hub, (req) => clientKey(req.ip));

  const webDir = opts.webDir && existsSync(join(opts.webDir, 'index.html')) ? resolve(opts.webDir) : undefined;
  if (webDir) {
    await app.register(fastifyStatic, { root: webDir, index: 'index.html', wildcard: true });
    app.get('/labs/*', { schema: { hide: true } }, (_req, reply) => reply.sendFile('index.html'));
  } else {
    app.get('/', { schema: { hide: true } }, async (_req, reply) =>
      reply.code(503).type('text/plain').send('netdojo: the web UI is not built (npm run build:web); the API is at /api and its documentation at /docs\n'),
    );
  }

  const watches: Array<{ stop(): void }> = [];
  app.addHook('onReady', async () => {
    // typed checks: out-of-band when this server can enter the sandboxes' namespaces; loud when not
    setProbeModeWarn((m) => app.log.warn(m));
    const checks = await probeMode();
    app.log.info({ checks: checks.mode, reason: checks.reason || undefined }, `typed checks run ${checks.mode}`);
    // a sandbox that dies (killed PID 1, out of memory, removed) ends its session within seconds
    for (const name of PROVIDERS) {
      const provider = await providers(name).catch(() => undefined);
      const w = provider?.watchStopped?.((e) => void service.sandboxStopped(e.sessionId, e.reason).catch((err: unknown) => app.log.error({ err: String(err) }, 'ending a stopped sandbox')));
      if (w) watches.push(w);
    }
    await reconcile(service, PROVIDERS, { startup: true });
    pool.start();
    reaper.start();
  });
  app.addHook('onClose', async () => {
    for (const w of watches) w.stop();
    await reaper.stop();
    await pool.drain();
    await hub.closeAll();
    store.close();
  });
  return app;
}
