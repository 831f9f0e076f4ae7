// Sandboxes a replay has created and not yet destroyed, so that Ctrl-C or a SIGTERM from CI
// removes them before the process exits instead of leaking containers and networks.
import type { Provider, SandboxRef } from '../sandbox/types.js';

const active = new Map<string, { provider: Provider; ref: SandboxRef }>();

export function track(provider: Provider, ref: SandboxRef): void {
  active.set(ref.sessionId, { provider, ref });
}

export function untrack(sessionId: string): void {
  active.delete(sessionId);
}

export function activeSessions(): string[] {
  return [...active.keys()];
}

/** Destroys every tracked sandbox (in parallel); errors are reported, not thrown. */
export async function destroyActive(log: (line: string) => void = () => {}): Promise<void> {
  const all = [...active.values()];
  await Promise.all(
    all.map(async ({ provider, ref }) => {
      try {
        await provider.destroy(ref);
        active.delete(ref.sessionId);
        log(`removed sandbox ${ref.sessionId}`);
      } catch (err) {
        log(`could not remove sandbox ${ref.sessionId}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }),
  );
}

const aborts = new Set<() => void>();
let handler: ((sig: NodeJS.Signals) => void) | undefined;

/**
 * On SIGINT/SIGTERM: abort the running replay, destroy the tracked sandboxes, exit 128+n.
 * A second signal exits at once. Returns an uninstaller; nested installs share one handler.
 */
export function installSignalCleanup(abort: () => void, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): () => void {
  const abortThis = () => abort();
  aborts.add(abortThis);
  if (!handler) {
    let exiting = false;
    handler = (sig) => {
      const code = sig === 'SIGINT' ? 130 : 143;
      if (exiting) process.exit(code);
      exiting = true;
      log(`\n${sig}: removing ${active.size} sandbox(es) before exit …`);
      for (const a of aborts) a();
      const timer = setTimeout(() => process.exit(code), 150_000);
      void destroyActive(log).finally(() => {
        clearTimeout(timer);
        process.exit(code);
      });
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  }
  let done = false;
  return () => {
    if (done) return;
    done = true;
    aborts.delete(abortThis);
    if (aborts.size === 0 && handler) {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
      handler = undefined;
    }
  };
}
