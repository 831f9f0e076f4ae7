// Byte-count flow control between a shell and one client (docs/dev/architecture.md, "A terminal"): the client acknowledges
// the offset it has rendered; the shell's output is paused while too much is unacknowledged.
export interface FlowLimits {
  /** pause the shell when more than this many bytes are unacknowledged */
  highWater: number;
  /** resume it when the unacknowledged bytes fall below this */
  lowWater: number;
}

export const DEFAULT_FLOW: FlowLimits = { highWater: 1024 * 1024, lowWater: 256 * 1024 };

export class FlowWindow {
  private acked: number;
  private paused = false;

  constructor(
    readonly limits: FlowLimits,
    /** offset the client starts from (everything before counts as acknowledged) */
    start: number,
  ) {
    this.acked = start;
  }

  get ackedOffset(): number {
    return this.acked;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** after output up to `produced`; true when the producer must pause now */
  shouldPause(produced: number): boolean {
    if (!this.paused && produced - this.acked > this.limits.highWater) this.paused = true;
    return this.paused;
  }

  /** records an ack (ignored if stale or beyond what was produced); true when the producer may resume */
  ack(offset: number, produced: number): boolean {
    if (offset > this.acked) this.acked = Math.min(offset, produced);
    if (this.paused && produced - this.acked < this.limits.lowWater) {
      this.paused = false;
      return true;
    }
    return false;
  }
}
