// The platform server as a fastify instance: build(opts) registers one plugin per concern, each
// declaring what it depends on and owning its shutdown (plugins/*.ts; docs/dev/architecture.md,
// "The server"). `netdojo serve` listens on it, tests build it on a temp data dir.
//
// Shutdown runs the onClose hooks in the reverse order of registration: the sessions stop being
// watched and reaped, the warm pool drains, the terminals close, the store closes last; sessions
// and their sandboxes are kept for the next start.
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { PoolOptions } from '../sessions/pool.js';
import type { BridgeOptions } from '../terminal/bridge.js';
import { fastifyTrustProxy, type TrustProxy } from './client.js';
import { DEFAULTS } from './defaults.js';
import type { HostPolicy } from './hosts.js';
import { metricsPlugin } from './metrics.js';
import { catalogPlugin } from './plugins/catalog.js';
import { edgePlugin } from './plugins/edge.js';
import { enginePlugin } from './plugins/engine.js';
import { poolPlugin } from './plugins/pool.js';
import { providersPlugin } from './plugins/providers.js';
import { routesPlugin } from './plugins/routes.js';
import { sessionsPlugin } from './plugins/sessions.js';
import { storePlugin } from './plugins/store.js';
import { terminalsPlugin } from './plugins/terminals.js';

export { DEFAULTS };

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
  /** warm pool of ready sandboxes (default: none) */
  pool?: PoolOptions;
  /** the operator's bearer token for GET/POST /api/pool (serve: NETDOJO_OPERATOR_TOKEN); none: those routes answer 403 */
  operatorToken?: string;
}

export async function build(opts: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: 64 * 1024,
    // the sessions plugin reconciles with Docker while it loads, which can take long on a busy engine
    pluginTimeout: 300_000,
    trustProxy: fastifyTrustProxy(opts.trustProxy ?? false),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    routerOptions: { maxParamLength: 200 },
  });

  await app.register(storePlugin, { dataDir: opts.dataDir });
  await app.register(providersPlugin, { dataDir: opts.dataDir, allowNoUserns: opts.allowNoUserns, disk: opts.disk });
  await app.register(catalogPlugin, { labs: opts.labs });
  await app.register(enginePlugin, { allowNoUserns: opts.allowNoUserns });
  await app.register(terminalsPlugin, { terminal: opts.terminal });
  await app.register(poolPlugin, { pool: opts.pool });
  await app.register(sessionsPlugin, {
    maxSessions: opts.maxSessions,
    ttlMs: opts.ttlMs,
    idleMs: opts.idleMs,
    createPerMinute: opts.createPerMinute,
    createBurst: opts.createBurst,
    maxSessionsPerClient: opts.maxSessionsPerClient,
    reaperIntervalMs: opts.reaperIntervalMs,
    retentionMs: opts.retentionMs,
  });
  await app.register(edgePlugin, { hostPolicy: opts.hostPolicy });
  await app.register(metricsPlugin);
  await app.register(routesPlugin, { webDir: opts.webDir, operatorToken: opts.operatorToken });
  return app;
}
