// The terminal's output against the parser that reads it in the browser: xterm.js's own (its
// TypeScript source ships in the @xterm/xterm package the web client uses), bundled with esbuild.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Duplex } from 'node:stream';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import type { TerminalStream } from '../sandbox/types.js';
import { SequenceState } from './boundary.js';
import { TerminalHub } from './bridge.js';

interface XtermParser {
  currentState: number;
  parse(data: Uint32Array, length: number): void;
}
interface XtermDecoder {
  interim: Uint8Array;
  decode(input: Uint8Array, target: Uint32Array): number;
}

async function loadXterm(): Promise<{ Parser: new () => XtermParser; Decoder: new () => XtermDecoder }> {
  const src = join(dirname(createRequire(import.meta.url).resolve('@xterm/xterm/package.json')), 'src');
  const out = await build({
    stdin: {
      contents: "export { EscapeSequenceParser } from 'common/parser/EscapeSequenceParser'; export { Utf8ToUtf32 } from 'common/input/TextDecoder';",
      resolveDir: src,
      loader: 'ts',
    },
    alias: { common: join(src, 'common'), vs: join(src, 'vs') },
    bundle: true,
    format: 'cjs',
    platform: 'node',
    write: false,
    logLevel: 'silent',
  });
  const module = { exports: {} as Record<string, unknown> };
  new Function('module', 'exports', out.outputFiles[0]!.text)(module, module.exports);
  return { Parser: module.exports.EscapeSequenceParser as new () => XtermParser, Decoder: module.exports.Utf8ToUtf32 as new () => XtermDecoder };
}

describe('SequenceState', () => {
  // On random byte streams of sequences, C1 controls, broken and invalid UTF-8, both must agree at
  // every byte on "between characters and sequences or not".
  it('agrees with xterm.js on every byte of random terminal output', async () => {
    const { Parser, Decoder } = await loadXterm();
    const text = ['a', ' ', '\r', '\n', '\x07', '\x1b', '[', ']', 'P', '\\', ';', '0', '3', '8', 'm', 'H', '?', '<', '\x18', '\x1a', '\x7f', '\x00', '\x05', '_', '^', 'X', '(', '#', '$', 'q',
      '한', 'é', '😀', '\u009b', '\u009c', '\u009d', '\u0090', '\u0085', '\u0098'];
    // broken and invalid UTF-8: a stray continuation, overlong forms, a surrogate, a BOM, cut characters, beyond U+10FFFF
    const raw = [[0x80], [0xc0], [0xc1, 0xbf], [0xf5], [0xff], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xef, 0xbb, 0xbf], [0xe2, 0x82], [0xf0, 0x9f], [0xf4, 0x90, 0x80, 0x80]];
    const pieces = [...text.map((t) => Buffer.from(t)), ...raw.map((r) => Buffer.from(r))];
    let seed = 7;
    const rnd = (n: number) => {
      seed ^= seed << 13; // xorshift32
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const cp = new Uint32Array(256);
    let positions = 0;
    let cleanPositions = 0;
    const states = new Set<number>();
    for (let round = 0; round < 1500; round++) {
      const bytes = Buffer.concat(Array.from({ length: 1 + rnd(40) }, () => pieces[rnd(pieces.length)]!));
      const mine = new SequenceState();
      for (let i = 0; i < bytes.length; i++) {
        mine.feed(bytes[i]!);
        // xterm.js reads each prefix in one write: its decoder mishandles a character split across
        // writes after a 0x80 byte (xtermjs/xterm.js#6003), which is not what is tested here
        const parser = new Parser();
        const decoder = new Decoder();
        parser.parse(cp, decoder.decode(bytes.subarray(0, i + 1), cp));
        const xterm = parser.currentState === 0 && decoder.interim[0] === 0;
        if (mine.clean !== xterm) expect.fail(`after ${bytes.subarray(0, i + 1).toString('hex')}: xterm.js ${xterm ? 'clean' : `in state ${parser.currentState}`}, SequenceState ${mine.clean}`);
        positions++;
        if (xterm) cleanPositions++;
        states.add(parser.currentState);
      }
    }
    // the streams exercise both answers plenty, and every state of xterm.js's parser (14)
    expect(states.size).toBe(14);
    expect(positions).toBeGreaterThan(25_000);
    expect(cleanPositions / positions).toBeGreaterThan(0.2);
    expect(cleanPositions / positions).toBeLessThan(0.8);
  });
});

describe('Terminal frames', () => {
  it('never split a character, so xterm.js 6.0 loses none of them (xtermjs/xterm.js#6003)', async () => {
    const { Decoder } = await loadXterm();
    /** what xterm.js shows for frames written one by one */
    const shown = (frames: Buffer[]) => {
      const decoder = new Decoder();
      const cp = new Uint32Array(1024);
      let out = '';
      for (const f of frames) {
        const n = decoder.decode(f, cp);
        for (let i = 0; i < n; i++) out += String.fromCodePoint(cp[i]!);
      }
      return out;
    };
    const text = 'a — b … “c” 😀 한 – d\r\n'.repeat(6);
    const bytes = Buffer.from(text);
    const shell = new Duplex({ read() {}, write: (_c, _e, cb) => cb() });
    const ts: TerminalStream = { stream: shell, resize: async () => {}, close: async () => {} };
    const hub = new TerminalHub({ flow: { highWater: 1 << 20, lowWater: 1 << 18 }, scrollbackBytes: 1 << 20, graceMs: 60_000, maxFrameBytes: 8, coalesceMs: 0, maxTerminalsPerSession: 2, resizeIntervalMs: 0 });
    const { terminal } = await hub.open('s', 'host', 'main', async () => ts);
    const frames: Buffer[] = [];
    const client = { sendData: (d: Buffer) => frames.push(d), sendControl: () => {}, close: () => {} };
    terminal.attach(client, null, true);
    // the pty hands the output over in reads that cut characters anywhere, E2 80 | 94 included
    for (let i = 0, n = 1; i < bytes.length; i += n, n = (n % 5) + 1) {
      shell.push(bytes.subarray(i, i + n));
      await new Promise((r) => setTimeout(r, 1));
    }
    await new Promise((r) => setTimeout(r, 20));
    expect(Buffer.concat(frames).equals(bytes)).toBe(true);
    expect(shown(frames)).toBe(text);
    // and a replay, in frames of at most 8 bytes
    frames.length = 0;
    terminal.attach({ ...client, sendData: (d: Buffer) => frames.push(d) }, null, false);
    expect(frames.every((f) => f.length <= 8)).toBe(true);
    expect(shown(frames)).toBe(text);
    await hub.closeSession('s');
  });
});
