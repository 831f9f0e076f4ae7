// The session service (sessions/service.ts) and its reaper. While it loads, it finds out how typed
// checks run, starts watching for sandboxes that die, and reconciles with the providers (sandboxes
// of live sessions re-adopted, orphans removed); at shutdown it stops watching and reaping, and
// sessions and their sandboxes are kept for the next start.
import fp from 'fastify-plugin';
import { probeMode, setProbeModeWarn } from '../../probe/mode.js';
import { Reaper } from '../../sessions/reaper.js';
import { SessionService, type ServiceConfig } from '../../sessions/service.js';
import { DEFAULTS } from '../defaults.js';

declare module 'fastify' {
  interface FastifyInstance {
    sessions: SessionService;
  }
}

export type SessionsPluginOptions = Pick<ServiceConfig, 'maxSessions' | 'ttlMs' | 'idleMs' | 'createPerMinute' | 'createBurst' | 'maxSessionsPerClient'> & {
  reaperIntervalMs: number;
  /** ended sessions older than this are purged */
  retentionMs?: number;
};

export const sessionsPlugin = fp<SessionsPluginOptions>(
  async (app, opts) => {
    const service = new SessionService(
      app.store,
      app.catalog,
      app.providers,
      {
        maxSessions: opts.maxSessions,
        ttlMs: opts.ttlMs,
        idleMs: opts.idleMs,
        createPerMinute: opts.createPerMinute,
        createBurst: opts.createBurst,
        maxSessionsPerClient: opts.maxSessionsPerClient ?? DEFAULTS.maxSessionsPerClient,
        createTimeoutMs: 180_000,
        sandboxGate: () => app.engine.refusal(),
      },
      app.log.child({ component: 'sessions' }),
      app.pool,
    );
    service.onEnd((id, reason) => app.terminals.closeSession(id, reason));
    app.decorate('sessions', service);

    // typed checks: out-of-band when this server can enter the sandboxes' namespaces; loud when not
    setProbeModeWarn((m) => app.log.warn(m));
    const checks = await probeMode();
    app.log.info({ checks: checks.mode, reason: checks.reason || undefined }, `typed checks run ${checks.mode}`);

    // a sandbox that dies (killed PID 1, out of memory, removed) ends its session within seconds
    const watches: Array<{ stop(): void }> = [];
    for (const name of app.providers.names) {
      const provider = await app.providers.get(name).catch(() => undefined);
      const w = provider?.watchStopped?.((e) => void service.sandboxStopped(e.sessionId, e.reason).catch((err: unknown) => app.log.error({ err: String(err) }, 'ending a stopped sandbox')));
      if (w) watches.push(w);
    }
    await service.reconcile({ startup: true });

    const reaper = new Reaper(service, opts.reaperIntervalMs, { retentionMs: opts.retentionMs ?? DEFAULTS.retentionMs });
    app.addHook('onReady', async () => reaper.start());
    app.addHook('onClose', async () => {
      for (const w of watches) w.stop();
      await reaper.stop();
      await service.settled();
    });
  },
  { name: 'sessions', fastify: '5.x', dependencies: ['store', 'catalog', 'providers', 'engine', 'terminals', 'pool'] },
);
