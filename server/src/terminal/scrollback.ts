// A bounded ring of recent terminal output addressed by absolute byte offsets, so a client
// that reconnects can say "I have everything up to N" and get exactly the bytes after N.
export class Scrollback {
  private chunks: Buffer[] = [];
  private size = 0;
  /** absolute offset of the first byte still held */
  private startOffset = 0;

  constructor(readonly capacity: number) {}

  /** absolute offset one past the last byte ever appended */
  get end(): number {
    return this.startOffset + this.size;
  }

  get start(): number {
    return this.startOffset;
  }

  get bytes(): number {
    return this.size;
  }

  append(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.capacity) {
      const head = this.chunks[0]!;
      const excess = this.size - this.capacity;
      if (head.length <= excess) {
        this.chunks.shift();
        this.size -= head.length;
        this.startOffset += head.length;
      } else {
        this.chunks[0] = head.subarray(excess);
        this.size -= excess;
        this.startOffset += excess;
      }
    }
  }

  /** bytes from `from` (clamped into the held range) to the end, and the offset they start at */
  since(from: number | null | undefined): { offset: number; data: Buffer } {
    let offset = from ?? this.startOffset;
    if (!Number.isFinite(offset) || offset < this.startOffset || offset > this.end) offset = this.startOffset;
    let skip = offset - this.startOffset;
    const out: Buffer[] = [];
    for (const c of this.chunks) {
      if (skip >= c.length) {
        skip -= c.length;
        continue;
      }
      out.push(skip > 0 ? c.subarray(skip) : c);
      skip = 0;
    }
    return { offset, data: Buffer.concat(out) };
  }
}
