// What an operator watches during a class: GET /metrics in the Prometheus text format.
// Gauges are read from the live objects at scrape time; latencies are measured at the HTTP edge
// (the time a learner waits), so the core stays free of metrics code.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { WarmPool } from '../sessions/pool.js';
import type { SessionService } from '../sessions/service.js';
import type { SessionStore } from '../sessions/store.js';
import type { TerminalHub } from '../terminal/bridge.js';

export interface MetricsSources {
  service: SessionService;
  store: SessionStore;
  pool: WarmPool;
  hub: TerminalHub;
}

/** Why a session ended, folded into a few label values (the reasons themselves are free text). */
export function endReasonLabel(reason: string): string {
  if (reason === 'expired' || reason === 'idle') return reason;
  if (reason.startsWith('your sandbox stopped')) return 'sandbox_stopped';
  if (reason === 'ended by the learner') return 'learner';
  // POST …/restart: the session goes on under its new sandbox's id
  if (reason.startsWith('restarted at step')) return 'restarted';
  return 'other';
}

const SESSION_CREATE = 'POST /api/sessions';
const CHECK = 'POST /api/sessions/:id/steps/:step/check';

function routeOf(req: FastifyRequest): string {
  return `${req.method} ${req.routeOptions.url ?? ''}`;
}

export function installMetrics(app: FastifyInstance, src: MetricsSources): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ app: 'netdojo' });
  collectDefaultMetrics({ register: registry, prefix: 'netdojo_' });

  new Gauge({
    name: 'netdojo_sessions',
    help: 'live sessions by lab and state',
    labelNames: ['lab', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const row of src.store.live()) this.inc({ lab: row.labId, state: row.status });
    },
  });
  new Gauge({
    name: 'netdojo_pool_sandboxes',
    help: 'warm pool sandboxes by lab and state (ready, warming)',
    labelNames: ['lab', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [lab, s] of Object.entries(src.pool.stats())) {
        this.set({ lab, state: 'ready' }, s.ready);
        this.set({ lab, state: 'warming' }, s.warming);
      }
    },
  });
  new Gauge({
    name: 'netdojo_pool_claims',
    help: 'sessions created since start, by whether the warm pool had a sandbox ready (hit) or not (miss)',
    labelNames: ['result'],
    registers: [registry],
    collect() {
      this.set({ result: 'hit' }, src.pool.claims.hit);
      this.set({ result: 'miss' }, src.pool.claims.miss);
    },
  });
  new Gauge({
    name: 'netdojo_terminals_open',
    help: 'open terminal shells',
    registers: [registry],
    collect() {
      this.set(src.hub.size);
    },
  });
  const ready = new Histogram({
    name: 'netdojo_session_ready_seconds',
    help: 'POST /api/sessions until the sandbox is ready (successful creations)',
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30, 60, 180],
    registers: [registry],
  });
  const check = new Histogram({
    name: 'netdojo_check_seconds',
    help: 'a Check of a step, as the learner waits for it',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [registry],
  });
  const failures = new Counter({
    name: 'netdojo_session_create_failures_total',
    help: 'session creations that failed, by error code (full, rate_limited, sandbox_failed …)',
    labelNames: ['code'],
    registers: [registry],
  });
  const ended = new Counter({
    name: 'netdojo_sessions_ended_total',
    help: 'sessions ended, by reason (expired and idle are the reaper)',
    labelNames: ['reason'],
    registers: [registry],
  });

  src.service.onEnd((_id, reason) => void ended.inc({ reason: endReasonLabel(reason) }));

  const started = new WeakMap<FastifyRequest, bigint>();
  const codes = new WeakMap<FastifyRequest, string>();
  app.addHook('onRequest', async (req) => {
    started.set(req, process.hrtime.bigint());
  });
  app.addHook('onSend', async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    if (routeOf(req) === SESSION_CREATE && reply.statusCode >= 400 && typeof payload === 'string') {
      try {
        codes.set(req, String((JSON.parse(payload) as { error?: unknown }).error ?? reply.statusCode));
      } catch {
        codes.set(req, String(reply.statusCode));
      }
    }
    return payload;
  });
  app.addHook('onResponse', async (req, reply) => {
    const t0 = started.get(req);
    if (t0 === undefined) return;
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const route = routeOf(req);
    if (route === SESSION_CREATE) {
      if (reply.statusCode === 201) ready.observe(seconds);
      else failures.inc({ code: codes.get(req) ?? String(reply.statusCode) });
    } else if (route === CHECK && reply.statusCode === 200) {
      check.observe(seconds);
    }
  });

  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
  return registry;
}

/** GET /metrics and the edge timings, over the sessions, the store, the warm pool and the terminals. */
export const metricsPlugin = fp(
  async (app) => {
    installMetrics(app, { service: app.sessions, store: app.store, pool: app.pool, hub: app.terminals });
  },
  { name: 'metrics', fastify: '5.x', dependencies: ['edge', 'sessions', 'store', 'pool', 'terminals'] },
);
