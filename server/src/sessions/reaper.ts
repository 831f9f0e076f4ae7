// Ends sessions past their TTL or idle timeout, and now and then sweeps for orphan sandboxes.
import type { SessionService } from './service.js';

export class Reaper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private ticks = 0;

  constructor(
    private readonly service: SessionService,
    private readonly intervalMs: number,
    private readonly opts: { retentionMs?: number } = {},
    /** every how many ticks to sweep the providers for orphans */
    private readonly sweepEvery = 20,
    /** every how many ticks to measure disk use against the quotas */
    private readonly diskEvery = 4,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** one pass; overlapping calls share the pass in progress */
  tick(): Promise<void> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<void> {
    try {
      for (const { row, reason } of this.service.due()) await this.service.end(row.id, reason);
      // disk use is costly to measure (the engine walks the volumes): every few ticks
      await this.service.sweepStopped({ disk: this.ticks % this.diskEvery === 0 });
      if (this.opts.retentionMs && this.ticks % this.sweepEvery === 0) {
        const purged = this.service.store.purgeEndedBefore(Date.now() - this.opts.retentionMs);
        if (purged) this.service.log.info({ purged }, 'purged ended sessions past their retention');
      }
      if (this.ticks++ % this.sweepEvery === this.sweepEvery - 1) await this.service.reconcile({ startup: false });
    } catch (err) {
      this.service.log.error({ err: String(err) }, 'reaper pass failed');
    }
  }
}
