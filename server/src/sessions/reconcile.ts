// Owned by the session service (SessionService.reconcile): make the providers' sandboxes and the
// session database agree, at start and now and then: sandboxes of live sessions are re-adopted,
// sandboxes nobody owns are removed, sessions whose sandbox vanished end. It sees the service only
// through the context below.
import type { FastifyBaseLogger as Logger } from 'fastify';
import type { ProviderRegistry } from '../sandbox/registry.js';
import type { ProviderName, Sandbox, SandboxRef } from '../sandbox/types.js';
import type { Catalog, CatalogEntry } from './catalog.js';
import type { WarmPool } from './pool.js';
import type { SessionRow, SessionStore } from './store.js';

export interface ReconcileReport {
  adopted: string[];
  removed: string[];
  failed: string[];
}

export interface ReconcileContext {
  store: SessionStore;
  catalog: Catalog;
  providers: ProviderRegistry;
  pool: WarmPool | undefined;
  log: Logger;
  /** why a session may not go on at `now` ('expired', 'idle'), or undefined */
  lapsed(row: SessionRow, now: number): string | undefined;
  /** the service holds a live sandbox for this session */
  isLive(sessionId: string): boolean;
  /** hand a sandbox found running to the service */
  adopt(row: SessionRow, sandbox: Sandbox, entry: CatalogEntry): void;
}

export async function reconcileSandboxes(ctx: ReconcileContext, opts: { startup: boolean }): Promise<ReconcileReport> {
  const report: ReconcileReport = { adopted: [], removed: [], failed: [] };
  const { store, log } = ctx;
  const now = Date.now();
  const seen = new Set<string>();
  const lapsed = (row: SessionRow) => ctx.lapsed(row, now);
  const listed = new Set<ProviderName>();
  for (const name of ctx.providers.names) {
    let refs: SandboxRef[];
    const provider = await ctx.providers.get(name).catch(() => undefined);
    if (!provider) continue;
    try {
      refs = await provider.list();
      listed.add(name);
    } catch (err) {
      log.warn({ provider: name, err: String(err) }, 'cannot list sandboxes; skipping this provider');
      continue;
    }
    for (const ref of refs) {
      seen.add(ref.sessionId);
      const row = store.get(ref.sessionId);
      if (!row && ctx.pool && (await ctx.pool.claimOrphan(ref, opts.startup))) continue;
      // a session still being created belongs to this process unless we just started
      if (row?.status === 'starting' && !opts.startup) continue;
      if (row?.status === 'ready' && ctx.isLive(row.id)) continue;
      const entry = row && ctx.catalog.get(row.labId);
      const alive = row?.status === 'ready' && !lapsed(row);
      if (row && entry && alive) {
        try {
          const sandbox = await provider.adopt(ref, entry.lab);
          // at start, every shell in it belongs to the previous process and has no client any more
          if (opts.startup) await sandbox.endShells?.();
          ctx.adopt(row, sandbox, entry);
          report.adopted.push(row.id);
          continue;
        } catch (err) {
          log.error({ session: row.id, err: String(err) }, 'cannot re-adopt sandbox; ending the session');
        }
      }
      if (row && (row.status === 'ready' || row.status === 'starting')) {
        store.setStatus(
          row.id,
          row.status === 'starting' ? 'failed' : 'ended',
          row.status === 'starting' ? 'the server restarted while the sandbox was starting' : (lapsed(row) ?? 'the sandbox could not be re-adopted'),
        );
      }
      await provider.destroy(ref).catch((err: unknown) => log.error({ session: ref.sessionId, err: String(err) }, 'cannot remove orphan sandbox'));
      report.removed.push(ref.sessionId);
    }
  }
  // live sessions whose sandbox is gone cannot continue
  for (const row of store.live()) {
    if (!listed.has(row.provider as ProviderName) || seen.has(row.id) || ctx.isLive(row.id)) continue;
    if (row.status === 'starting' && !opts.startup) continue;
    store.setStatus(row.id, row.status === 'starting' ? 'failed' : 'ended', row.status === 'starting' ? 'the server restarted while the sandbox was starting' : (lapsed(row) ?? 'the sandbox no longer exists'));
    report.failed.push(row.id);
  }
  if (report.adopted.length || report.removed.length || report.failed.length) log.info(report, 'reconciled sandboxes with sessions');
  return report;
}
