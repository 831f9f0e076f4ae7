// Bounded output for every probe: a sandbox decides what its commands print, so the server keeps at
// most OUTPUT_CAP_BYTES of each stream and has the producer stopped past it.

export const OUTPUT_CAP_BYTES = 1024 * 1024;

/** What a learner reads when a probe printed too much ("output exceeded 1 MiB on stdout"). */
export function capExceededMessage(stream: 'stdout' | 'stderr', cap = OUTPUT_CAP_BYTES): string {
  return `output exceeded ${formatBytes(cap)} on ${stream}: the probe was stopped`;
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

/** Collects one stream up to `cap` bytes; `push` returns false once the cap is passed. */
export class CappedBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  overflowed = false;

  constructor(readonly cap = OUTPUT_CAP_BYTES) {}

  push(chunk: Buffer): boolean {
    if (this.overflowed) return false;
    const room = this.cap - this.size;
    if (chunk.length > room) {
      if (room > 0) this.chunks.push(chunk.subarray(0, room));
      this.size = this.cap;
      this.overflowed = true;
      return false;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    return true;
  }

  get bytes(): number {
    return this.size;
  }

  text(): string {
    return Buffer.concat(this.chunks, this.size).toString('utf8');
  }
}
