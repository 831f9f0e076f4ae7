// The scrollback ring never hands a screen output that starts inside a UTF-8 character or an
// escape sequence: not after trimming, not on a resume from any offset a client may claim.
import { describe, expect, it } from 'vitest';
import { SequenceState } from './boundary.js';
import { Scrollback } from './scrollback.js';

const b = (s: string) => Buffer.from(s, 'utf8');
const SGR_RED = '\x1b[38;5;196m';
const OSC_TITLE = '\x1b]0;root@host: ~\x07';

/** every offset of `s` where the state before the byte is clean */
function cleanOffsets(buf: Buffer): number[] {
  const st = new SequenceState();
  const out: number[] = [];
  for (let i = 0; i <= buf.length; i++) {
    if (st.clean) out.push(i);
    if (i < buf.length) st.feed(buf[i]!);
  }
  return out;
}

/** the stream split into one-byte chunks, as a pty may hand it over at worst */
function appendBytewise(ring: Scrollback, buf: Buffer): void {
  for (let i = 0; i < buf.length; i++) ring.append(buf.subarray(i, i + 1));
}

describe('SequenceState', () => {
  it('is clean exactly between characters and whole sequences', () => {
    const tokens = ['a', '한', SGR_RED, '€', OSC_TITLE, '\x1b]2;t\x1b\\', '\x1bP1$r0m\x1b\\', '\x1b(B', '\x1b[?2004h', '😀', '\r', '\n', '\u009b1m', 'z'];
    const expected = [0];
    for (const t of tokens) expected.push(expected.at(-1)! + b(t).length);
    expect(cleanOffsets(b(tokens.join('')))).toEqual(expected);
  });

  it('ends sequences the way xterm.js does: CAN, ESC inside a CSI, a broken character', () => {
    expect(cleanOffsets(b('\x1b[31\x18x'))).toEqual([0, 5, 6]); // CAN aborts the CSI
    expect(cleanOffsets(b('\x1b[3\x1b[1m'))).toEqual([0, 7]); // a new ESC restarts
    expect(cleanOffsets(Buffer.from([0xe2, 0x82, 0x41]))).toEqual([0, 3]); // "A" ends the broken € (and is a character)
    expect(cleanOffsets(b('\x1bPq#0\x07still\x1b\\x'))).toEqual([0, 13, 14]); // BEL does not end a DCS
  });
});

describe('Scrollback trimming', () => {
  it('never starts inside a 3-byte UTF-8 character', () => {
    const ring = new Scrollback(4);
    ring.append(b('ab한cd')); // a b E3 85 9C c d: keeping 4 bytes would start at 85
    expect(ring.start).toBe(5);
    expect(ring.since(null)).toEqual({ offset: 5, data: b('cd') });
  });

  it('never starts inside a colour code', () => {
    const ring = new Scrollback(12);
    ring.append(b(`x${SGR_RED}red`)); // 1 + 11 + 3 bytes: keeping 12 would start at "[38;5;196m"
    expect(ring.since(null)).toEqual({ offset: 12, data: b('red') });
  });

  it('never starts inside an OSC title, in either terminator form', () => {
    const ring = new Scrollback(10);
    ring.append(b(`$ ${OSC_TITLE}$ `)); // 21 bytes: keeping 10 would start inside the title
    expect(ring.since(null).data.toString()).toBe('$ ');
    const st = new Scrollback(8);
    st.append(b('\x1b]2;title\x1b\\ok'));
    expect(st.since(null).data.toString()).toBe('ok');
  });

  it('finds the boundary when the pty split the sequence across reads', () => {
    const stream = b(`a${SGR_RED}한${OSC_TITLE}z`.repeat(20));
    const boundaries = new Set(cleanOffsets(stream));
    for (const capacity of [7, 16, 33, 100]) {
      const ring = new Scrollback(capacity);
      appendBytewise(ring, stream);
      expect(ring.bytes).toBeLessThanOrEqual(capacity);
      const { offset, data } = ring.since(null);
      expect(boundaries.has(offset)).toBe(true);
      expect(data).toEqual(stream.subarray(offset));
      // a ring longer than the longest sequence (the title, 17 bytes) always starts on a boundary
      if (capacity > 17) expect(offset).toBe(ring.start);
      else expect(data.length).toBeLessThanOrEqual(capacity);
    }
  });

  it('stays bounded when one sequence outgrows the ring, and replays only from a boundary', () => {
    const ring = new Scrollback(64);
    ring.append(b('before'));
    ring.append(b('\x1b]0;')); // a title that never ends...
    for (let i = 0; i < 100; i++) ring.append(b('0123456789'));
    expect(ring.bytes).toBeLessThanOrEqual(64);
    expect(ring.since(null)).toEqual({ offset: ring.end, data: Buffer.alloc(0) }); // nothing a screen could start on
    const inside = ring.end - 5;
    expect(ring.since(inside).offset).toBe(ring.end);
    ring.append(b('\x07after'));
    expect(ring.since(null).data.toString()).toBe('after');
    expect(ring.since(inside).data.toString()).toBe('after'); // no boundary before it is held: the first one after
  });
});

describe('Scrollback resume offsets', () => {
  const held = `ab${SGR_RED}red한\x1b]0;t\x07$ `;
  const ring = new Scrollback(1024);
  ring.append(b(held));
  const stream = b(held);
  const boundaries = cleanOffsets(stream);

  it('resumes at the offset asked for when it is a boundary', () => {
    expect(ring.since(2)).toEqual({ offset: 2, data: stream.subarray(2) });
    expect(ring.since(stream.length)).toEqual({ offset: stream.length, data: Buffer.alloc(0) });
  });

  it('resumes an offset inside a sequence from the start of that sequence', () => {
    expect(ring.since(5).offset).toBe(2); // inside "\x1b[38;5;196m"
    expect(ring.since(5).data.toString()).toBe(held.slice(2));
    const han = b(`ab${SGR_RED}red`).length;
    expect(ring.since(han + 2).offset).toBe(han); // inside 한
    expect(ring.since(han + 5).offset).toBe(han + 3); // inside the title
  });

  it('answers any claimed offset, however false, from a boundary inside the ring', () => {
    for (const from of [-1, -1e18, 0.5, 3.7, NaN, Infinity, -Infinity, stream.length + 1, 2 ** 53, Number.MAX_VALUE, null, undefined]) {
      const { offset, data } = ring.since(from);
      expect(boundaries).toContain(offset);
      expect(data).toEqual(stream.subarray(offset));
      if (typeof from === 'number' && from >= 0 && from <= stream.length) expect(offset).toBeLessThanOrEqual(from);
      else expect(offset).toBe(0);
    }
  });

  it('holds for random streams, chunkings, capacities and claims', () => {
    let seed = 42;
    const rnd = (n: number) => {
      seed ^= seed << 13; // xorshift32
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const tokens = ['a', 'bc ', '\r\n', '한', 'é', '😀', SGR_RED, '\x1b[0m', '\x1b[?1049h', OSC_TITLE, '\x1b]8;;http://x\x1b\\', '\x1bP+q544e\x1b\\', '\x1b7', '\u009b2J'];
    for (let round = 0; round < 200; round++) {
      const stream = b(Array.from({ length: 5 + rnd(60) }, () => tokens[rnd(tokens.length)]).join(''));
      const boundaries = new Set(cleanOffsets(stream));
      // rings shorter than the longest sequence (19 bytes) too: they may hold no boundary at all
      const ring = new Scrollback(4 + rnd(120));
      const roomy = ring.capacity > 19;
      for (let i = 0; i < stream.length; ) {
        const n = 1 + rnd(9);
        ring.append(stream.subarray(i, i + n));
        i += n;
        expect(ring.bytes).toBeLessThanOrEqual(ring.capacity);
        if (roomy) expect(boundaries.has(ring.start)).toBe(true);
      }
      for (let k = 0; k < 10; k++) {
        const from = rnd(stream.length + 20) - 10;
        const { offset, data } = ring.since(from);
        expect(boundaries.has(offset)).toBe(true); // (the stream ends on a boundary: so does an empty replay)
        expect(offset).toBeGreaterThanOrEqual(ring.start);
        expect(data).toEqual(stream.subarray(offset));
        if (roomy && from >= ring.start && from <= ring.end) expect(offset).toBeLessThanOrEqual(from);
      }
    }
  });
});
