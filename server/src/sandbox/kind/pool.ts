// A warm pool of ready kind clusters, per cluster config (labs with the same cluster share
// them), so a learner does not wait ~20–60 s for `kind create cluster`. Refilled in the
// background one cluster at a time (creation is heavy on a small machine); drained on shutdown.
import type { Lab } from '../../labs/schema.js';
import type { CreateOptions } from '../types.js';
import type { KindProvider } from './provider.js';
import type { KindSandbox } from './sandbox.js';

export interface KindPoolOptions {
  /** ready clusters kept per cluster config (0 disables the pool) */
  size: number;
  /** the labs whose clusters are kept warm */
  labs: Lab[];
  /** called when a background creation fails (the pool retries on the next refill) */
  onError?: (err: unknown) => void;
  /** wait this long after a failed creation before the next attempt (default 30 s) */
  backoffMs?: number;
}

export class KindPool {
  private readonly idle = new Map<string, string[]>();
  private readonly labsByKey = new Map<string, Lab>();
  private stopped = false;
  private filling: Promise<void> | undefined;
  private abort = new AbortController();

  constructor(
    private readonly provider: KindProvider,
    private readonly opts: KindPoolOptions,
  ) {
    for (const lab of opts.labs) this.labsByKey.set(provider.poolKey(lab), lab);
  }

  /** Hooks the pool into provider.create() and starts filling it. */
  start(): this {
    this.provider.pool = this;
    this.refill();
    return this;
  }

  /** Ready clusters per config key. */
  sizes(): Record<string, number> {
    return Object.fromEntries([...this.labsByKey.keys()].map((k) => [k, this.idle.get(k)?.length ?? 0]));
  }

  /** A warm cluster for this lab, assigned to the session; undefined when none is ready. */
  async take(lab: Lab, opts: CreateOptions): Promise<KindSandbox | undefined> {
    if (this.stopped) return undefined;
    const key = this.provider.poolKey(lab);
    const cluster = this.idle.get(key)?.shift();
    if (!cluster) return undefined;
    this.refill();
    return this.provider.assign(cluster, lab, opts);
  }

  /** Starts a background fill unless one is running; resolves when this round is done. */
  refill(): Promise<void> {
    if (this.stopped || this.opts.size <= 0) return Promise.resolve();
    this.filling ??= this.fill().finally(() => {
      this.filling = undefined;
    });
    return this.filling;
  }

  private async fill(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const next = [...this.labsByKey.entries()].find(([k]) => (this.idle.get(k)?.length ?? 0) < this.opts.size);
      if (!next) return;
      const [key, lab] = next;
      try {
        const name = await this.provider.createPooled(lab, this.abort.signal);
        if (this.stopped) {
          await this.provider.deleteCluster(name);
          return;
        }
        const list = this.idle.get(key) ?? [];
        list.push(name);
        this.idle.set(key, list);
      } catch (err) {
        this.opts.onError?.(err);
        if (this.stopped) return;
        await new Promise((r) => setTimeout(r, this.opts.backoffMs ?? 30_000));
      }
    }
  }

  /** Stops refilling, cancels a creation in flight, deletes every idle cluster. */
  async drain(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    if (this.provider.pool === this) this.provider.pool = undefined;
    await this.filling?.catch(() => {});
    const all = [...this.idle.values()].flat();
    this.idle.clear();
    for (const name of all) await this.provider.deleteCluster(name);
  }
}
