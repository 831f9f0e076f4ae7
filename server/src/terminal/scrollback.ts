// A bounded ring of recent terminal output addressed by absolute byte offsets, so a client
// that reconnects can say "I have everything up to N" and get the bytes after N. The ring is
// trimmed, and replays start, only where a screen can start parsing (boundary.ts): never inside
// a UTF-8 character or an escape sequence. A replay may therefore start a little before the
// offset asked for; `since` says where it starts, and a client that kept its screen skips what it has.
import { SequenceState } from './boundary.js';

export class Scrollback {
  private chunks: Buffer[] = [];
  private size = 0;
  /** absolute offset of the first byte still held */
  private startOffset = 0;
  /** the parser state at startOffset (clean unless one sequence outgrew the whole ring) */
  private head = new SequenceState();

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
    if (this.size > this.capacity) this.trim(this.size - this.capacity);
  }

  /** drops `excess` bytes from the front and then on to the next boundary (all of it, if none is held) */
  private trim(excess: number): void {
    let skip = excess;
    while (this.chunks.length > 0) {
      const c = this.chunks[0]!;
      const upTo = Math.min(skip, c.length);
      this.head.advance(c, 0, upTo);
      skip -= upTo;
      const at = skip > 0 ? -1 : this.head.advanceToClean(c, upTo);
      if (at >= 0 && at < c.length) {
        this.chunks[0] = c.subarray(at);
        this.drop(at);
        return;
      }
      this.chunks.shift();
      this.drop(c.length);
      if (at === c.length) return;
    }
  }

  private drop(n: number): void {
    this.size -= n;
    this.startOffset += n;
  }

  /**
   * Output to replay for a client that has the bytes before `from`: from the last boundary at or
   * before `from` (so a client with a fresh screen parses it whole and one that kept its screen
   * skips `from - offset` bytes), or from the ring's first boundary when `from` is absent, not held,
   * or not a byte offset at all. `offset` is where `data` starts; it is never past `end`.
   */
  since(from: number | null | undefined): { offset: number; data: Buffer } {
    const held = typeof from === 'number' && Number.isFinite(from) && from >= this.startOffset && from <= this.end;
    const target = held ? Math.floor(from) : this.startOffset;
    const state = this.head.copy();
    let offset = -1;
    let pos = this.startOffset;
    for (const c of this.chunks) {
      if (pos + c.length <= target) {
        const last = state.advanceLastClean(c);
        if (last >= 0) offset = pos + last;
      } else {
        // the chunk holding the target, or one after it: stop at the target's boundary, or else
        // (one sequence outgrew the ring) take the first boundary after it
        const at = Math.max(0, target - pos);
        const last = state.advanceLastClean(c, 0, at);
        if (last >= 0) offset = pos + last;
        if (offset >= 0) break;
        const next = state.advanceToClean(c, at);
        if (next >= 0) {
          offset = pos + next;
          break;
        }
      }
      pos += c.length;
    }
    if (offset < 0) offset = this.end; // no boundary held at all: nothing to replay
    return { offset, data: this.slice(offset) };
  }

  private slice(from: number): Buffer {
    let skip = from - this.startOffset;
    const out: Buffer[] = [];
    for (const c of this.chunks) {
      if (skip >= c.length) {
        skip -= c.length;
        continue;
      }
      out.push(skip > 0 ? c.subarray(skip) : c);
      skip = 0;
    }
    return Buffer.concat(out);
  }
}
