// On start (and periodically), make Docker and the session database agree: sandboxes of live
// sessions are re-adopted, sandboxes nobody owns are removed, sessions whose sandbox vanished end.
import type { ProviderName, SandboxRef } from '../sandbox/types.js';
import type { SessionService } from './service.js';
import type { SessionRow } from './store.js';

export interface ReconcileReport {
  adopted: string[];
  removed: string[];
  failed: string[];
}

export async function reconcile(service: SessionService, providerNames: ProviderName[], opts: { startup: boolean }): Promise<ReconcileReport> {
  const report: ReconcileReport = { adopted: [], removed: [], failed: [] };
  const { store, log } = service;
  const now = Date.now();
  const seen = new Set<string>();
  const lapsed = (row: SessionRow): string | undefined =>
    now >= row.expiresAt ? 'expired' : now >= service.lastActiveAt(row) + service.config.idleMs ? 'idle' : undefined;
  const listed = new Set<ProviderName>();
  for (const name of providerNames) {
    let refs: SandboxRef[];
    const provider = await service.providers(name).catch(() => undefined);
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
      if (!row && service.pool && (await service.pool.claimOrphan(ref, opts.startup))) continue;
      // a session still being created belongs to this process unless we just started
      if (row?.status === 'starting' && !opts.startup) continue;
      if (row?.status === 'ready' && service.isAdopted(row.id)) continue;
      const entry = row && service.catalog.get(row.labId);
      const alive = row?.status === 'ready' && !lapsed(row);
      if (row && entry && alive) {
        try {
          const sandbox = await provider.adopt(ref, entry.lab);
          // at start, every shell in it belongs to the previous process and has no client any more
          if (opts.startup) await sandbox.endShells?.();
          service.adopt(row, sandbox, entry);
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
    if (!listed.has(row.provider as ProviderName) || seen.has(row.id) || service.isAdopted(row.id)) continue;
    if (row.status === 'starting' && !opts.startup) continue;
    store.setStatus(row.id, row.status === 'starting' ? 'failed' : 'ended', row.status === 'starting' ? 'the server restarted while the sandbox was starting' : (lapsed(row) ?? 'the sandbox no longer exists'));
    report.failed.push(row.id);
  }
  if (report.adopted.length || report.removed.length || report.failed.length) log.info(report, 'reconciled sandboxes with sessions');
  return report;
}
